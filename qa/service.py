"""The answering service: one object the CLI and the UI call. It returns typed data; they render it.

`KnowledgeService` is the contract the UI is written against (its tests implement it with a
fake); `KnowledgeBase` implements it over a KnowledgeStore built from settings and backends.
"""
from __future__ import annotations

from typing import Callable, Iterator, Protocol

from core.backends import Backends, make_backends
from core.errors import SettingsError
from core.settings import ANSWER_MODES, Settings
from ingest.identity import citation_string, document_name, unit_label
from ingest.model import ReaderError
from ingest.store import KnowledgeStore
from core.vocab import NOT_IN_BASE, format_iso
from qa.answer import (Quoted, assess_basis, no_basis_answer, plan_answer, render_extractive,
                       summary_answer)
from qa.catalog_view import document_list, relation_lines
from qa.llm import iter_answer_with_llm
from qa.lookup import lookup_reference
from qa.references import DocDescriptor, find_document_mentions
from qa.retrieval import FusionParams, RetrievalFilters, RetrievalResult, Retriever, hit_from_row
from qa.types import (Answer, ClauseHit, ClauseView, DocumentSummary, DocumentTree, LookupResult, PointView,
                      UnitView)

Progress = Callable[[float, str], None]


class KnowledgeService(Protocol):
    """What the UI needs from the knowledge base."""

    def ask_stream(self, question: str, as_of: str | None = None, mode: str = "extractive",
                   documents=None) -> Iterator[str | Answer]: ...

    def ask(self, question: str, as_of: str | None = None, mode: str = "extractive", documents=None) -> Answer: ...

    def lookup(self, reference: str) -> LookupResult: ...

    def documents(self) -> list[DocumentSummary]: ...

    def relations(self, key: str) -> list[str]: ...

    def document_tree(self, key: str) -> DocumentTree | None: ...

    def clause(self, node_id: str) -> ClauseHit | None: ...

    def preview_file(self, path: str, overrides: dict | None = None) -> list[dict]: ...

    def ingest_files(self, paths: list[str], overrides: dict | None = None, progress: Progress | None = None,
                     replace=False, commit_lock=None) -> dict: ...

    def remove_document(self, key: str) -> bool: ...


class RegistryUnits:
    """The answer stage's view of the base (qa.answer.UnitSource): units by citation, article nodes."""

    def __init__(self, kb: "KnowledgeBase"):
        self.kb = kb

    def lookup(self, reference: str) -> LookupResult:
        return self.kb.lookup(reference)

    def article_hits(self, document: str, unit_kind: str, article: str) -> list[ClauseHit]:
        return [hit_from_row(n) for n in self.kb.store.registry.nodes_of(document)
                if n.meta.article == article and n.meta.unit_kind == unit_kind]


class KnowledgeBase:
    def __init__(self, settings: Settings, backends: Backends | None = None, params: FusionParams | None = None):
        self.settings = settings
        self.store = KnowledgeStore(settings, backends or make_backends(settings))
        self.retriever = Retriever(self.store, params)
        self.units = RegistryUnits(self)
        self._catalogued: list[DocDescriptor] | None = None

    # ---- questions
    def _filters(self, as_of, documents) -> RetrievalFilters | None:
        if not as_of and not documents:
            return None
        return RetrievalFilters(documents=list(documents) if documents else None, as_of=as_of or None)

    def retrieve(self, question: str, k: int = 10, as_of: str | None = None, documents=None) -> RetrievalResult:
        return self.retriever.search(question, k=k, filters=self._filters(as_of, documents))

    def _check_mode(self, mode: str) -> None:
        if mode not in ANSWER_MODES:
            raise SettingsError(f"chế độ {mode!r} không hợp lệ; chọn một trong: {', '.join(ANSWER_MODES)}")
        if mode == "llm" and not self.settings.llm_configured:
            raise SettingsError("Chế độ llm cần OPENAI_BASE_URL và KB_LLM_MODEL (máy chủ tương thích OpenAI).")

    def extractive(self, question: str, res: RetrievalResult, as_of: str | None = None) -> Answer:
        """The extractive answer for a retrieval result (also what `kb eval` times)."""
        return self._answer(question, res, as_of)[0]

    def _answer(self, question: str, res: RetrievalResult, as_of: str | None) -> tuple[Answer, list[Quoted]]:
        """The extractive answer and the units it cites, in order (the LLM mode is given the same)."""
        missing = self.missing_documents(question)
        gap = self._gap_answer(question, res, as_of, missing)
        if gap is not None:
            return gap, []
        basis, conf = assess_basis(question, res.hits, res.dense_top, res.dense_top > 0, res.coverage, res.folded)
        plan: list[Quoted] = []
        if basis == "none":
            ans = no_basis_answer(question, res.hits, conf)
        else:
            plan, scope_note = plan_answer(question, res.hits, self.units, res.mentioned)
            ans = render_extractive(question, res.hits, basis, conf, plan, scope_note, as_of)
        ans.missing_documents = missing
        ans.warnings += [f"{self._document_name(key)}: {NOT_IN_BASE}." for key in missing]
        return ans, plan

    # ---- gaps said plainly
    def missing_documents(self, question: str) -> list[str]:
        """Catalogued documents the question names whose text is not in the base."""
        loaded = {d.key for d in self.retriever.descriptors()}
        return [k for k in find_document_mentions(question, self.catalogued_descriptors()) if k not in loaded]

    def _document_name(self, key: str) -> str:
        """How a citation names a document: from the registry when loaded, else from the catalogue."""
        d = self.store.registry.document(key) or self.store.catalog.entry(key)
        return document_name(d.number, d.doc_type, d.title) if d else key

    def _gap_answer(self, question: str, res: RetrievalResult, as_of: str | None,
                    missing: list[str]) -> Answer | None:
        """A question about a document the base lacks, or one not yet in force on the as-of date,
        is answered by saying so, never from a clause that merely mentions it."""
        if missing and not res.mentioned:
            names = ", ".join(self._document_name(k) for k in missing)
            # A secondary source written about the missing document may be shown, labelled; one
            # that merely names it is never presented as its content.
            about = {s.title for s in self.store.catalog.secondary if s.about and s.about.upper() in missing}
            summaries = [h for h in res.hits[:5] if h.source_kind == "secondary" and h.title in about][:2]
            if summaries:
                return summary_answer(question, summaries, res.hits, names, missing)
            return no_basis_answer(question, res.hits, 0.0, missing=missing, prefix=(
                f"{names} có trong danh mục nhưng {NOT_IN_BASE}, nên không thể trả lời từ nội dung của văn bản này."
                " Cán bộ pháp chế cần bổ sung văn bản chính thức."))
        if as_of and res.mentioned:
            later = [(k, d.effective_from) for k in res.mentioned
                     if (d := self.store.registry.document(k)) and d.effective_from and d.effective_from > as_of]
            if later and len(later) == len(res.mentioned):
                said = "; ".join(f"{self._document_name(k)} có hiệu lực từ {format_iso(eff)}" for k, eff in later)
                return no_basis_answer(question, [], 0.0, prefix=(
                    f"Tại ngày {format_iso(as_of)} văn bản được hỏi chưa có hiệu lực: {said}."))
        return None

    def ask(self, question: str, as_of: str | None = None, mode: str = "extractive", documents=None) -> Answer:
        answer = None
        for item in self.ask_stream(question, as_of=as_of, mode=mode, documents=documents):
            if isinstance(item, Answer):
                answer = item
        return answer

    def ask_stream(self, question: str, as_of: str | None = None, mode: str = "extractive",
                   documents=None) -> Iterator[str | Answer]:
        """Text chunks (llm mode streams tokens), then the final Answer."""
        self._check_mode(mode)
        question = (question or "").strip()
        if not question:
            yield Answer(question="", answer="Hãy nhập câu hỏi.", citations=[], basis="none", confidence=0.0, mode=mode)
            return
        res = self.retrieve(question, k=10, as_of=as_of, documents=documents)
        ans, plan = self._answer(question, res, as_of)
        if mode == "extractive":
            yield ans.answer
            yield ans
            return
        # The model gets the clause set the extractive answer cites, in the same order (followed
        # references included); with no basis it is not called (qa.llm), and the extractive
        # answer is its fallback either way.
        hits = [p.as_hit() for p in plan] or res.hits[:6]
        roles = {(p.hit.node_id, p.citation): p.role for p in plan}
        for item in iter_answer_with_llm(self.settings, question, hits, lambda q, h: ans):
            if isinstance(item, Answer):
                item.missing_documents = ans.missing_documents
                for c in item.citations:
                    c.role = roles.get((c.node_id, c.citation), c.role)
            yield item

    # ---- references
    def catalogued_descriptors(self) -> list[DocDescriptor]:
        if self._catalogued is None:  # the catalogue is read once, with the store
            self._catalogued = [DocDescriptor(key=e.key, number=e.number, doc_type=e.doc_type, title=e.title,
                                              aliases=tuple(e.aliases)) for e in self.store.catalog.entries]
        return self._catalogued

    def lookup(self, reference: str) -> LookupResult:
        return lookup_reference(self.store.registry, self.retriever.descriptors(), self.catalogued_descriptors(),
                                reference)

    # ---- documents
    def documents(self) -> list[DocumentSummary]:
        return document_list(self.store.registry.documents(), self.store.catalog)

    def relations(self, key: str) -> list[str]:
        docs = self.documents()
        return relation_lines(self.store.catalog, key, {d.key: d.name for d in docs}, {d.key for d in docs if d.ready})

    def document_tree(self, key: str) -> DocumentTree | None:
        doc = self.store.registry.document(key)
        if doc is None:
            return None
        name = document_name(doc.number, doc.doc_type, doc.title)
        # first node of each (unit, clause): a long clause may span several nodes
        first_node: dict[tuple[str, str, str], str] = {}
        for n in self.store.registry.nodes_of(key):
            first_node.setdefault((n.meta.unit_kind, n.meta.article, n.meta.clause), n.node_id)
        units = []
        for u in self.store.registry.units(key):
            clauses = [
                ClauseView(number=c.number, citation=citation_string(name, u.kind, u.number, c.number), text=c.text,
                           node_id=first_node.get((u.kind, u.number, c.number)),
                           points=[PointView(p.label, citation_string(name, u.kind, u.number, c.number, p.label), p.text)
                                   for p in c.points])
                for c in u.clauses
            ]
            units.append(UnitView(kind=u.kind, number=u.number, title=u.title, chapter=u.chapter, section=u.section,
                                  citation=citation_string(name, u.kind, u.number), intro=u.intro, clauses=clauses,
                                  effective_from=u.effective_from, amendment_note=u.amendment_note,
                                  phapdien_id=u.phapdien_id))
        return DocumentTree(key=key, name=name, status=doc.status, effective_from=doc.effective_from,
                            issuer=doc.issuer, number=doc.number, doc_type=doc.doc_type, issued_on=doc.issued_on,
                            relations=self.relations(key), units=units)

    def clause(self, node_id: str) -> ClauseHit | None:
        row = self.store.registry.nodes_by_id([node_id]).get(node_id)
        return hit_from_row(row) if row else None

    # ---- legal staff
    def preview_file(self, path: str, overrides: dict | None = None) -> list[dict]:
        try:
            docs = self.store.parse_file(path, overrides)
        except ReaderError as exc:
            return [{"error": str(exc)}]
        out = []
        for d in docs:
            out.append({
                "key": d.key, "number": d.number, "type": d.doc_type, "title": d.title, "issuer": d.issuer,
                "issued_on": d.issued_on, "effective_from": d.effective_from, "status": d.status,
                "articles": len(d.units), "clauses": sum(len(u.clauses) for u in d.units),
                "units": [f"{unit_label(u.kind, u.number)}. {u.title}".strip() for u in d.units[:200]],
                "warnings": list(d.warnings), "error": None,
            })
        if not out:
            out.append({"error": f"{path}: không tìm thấy điều/mục nào trong tệp"})
        return out

    def ingest_files(self, paths: list[str], overrides: dict | None = None, progress: Progress | None = None,
                     replace=False, commit_lock=None) -> dict:
        """`replace`: the keys of the documents the user chose to replace (or True); a file whose document
        another file already holds is otherwise refused (KnowledgeStore.ingest). `commit_lock`: a
        context-manager factory (the UI's write lock) held only around each registry swap and index sync."""
        report = self.store.ingest(paths, embed=True, restore=True, force=bool(overrides),
                                   overrides=overrides, progress=progress, replace=replace, commit_lock=commit_lock)
        return report.to_dict()

    def remove_document(self, key: str) -> bool:
        return self.store.remove(key)
