"""The answering service: one object the CLI and the UI call. It returns data; they render it."""
from __future__ import annotations

from typing import Callable, Iterator

from ingest.identity import citation_string, document_name
from ingest.store import KnowledgeStore
from kb.settings import ANSWER_MODES, Settings, SettingsError
from qa.answer import extractive_answer
from qa.catalog_view import document_list, relation_lines
from qa.retrieval import FusionParams, RetrievalFilters, Retriever, hit_from_row
from qa.types import Answer, ClauseHit, LookupResult


class KnowledgeBase:
    def __init__(self, settings: Settings, params: FusionParams | None = None):
        self.settings = settings
        self.store = KnowledgeStore(settings)
        self.retriever = Retriever(self.store, params)

    # ---- questions
    def _filters(self, as_of, documents) -> RetrievalFilters | None:
        if not as_of and not documents:
            return None
        return RetrievalFilters(documents=list(documents) if documents else None, as_of=as_of or None)

    def retrieve(self, question: str, k: int = 10, as_of: str | None = None, documents=None):
        return self.retriever.search(question, k=k, filters=self._filters(as_of, documents))

    def _check_mode(self, mode: str) -> None:
        if mode not in ANSWER_MODES:
            raise SettingsError(f"chế độ {mode!r} không hợp lệ; chọn một trong: {', '.join(ANSWER_MODES)}")
        if mode == "llm" and not self.settings.llm_configured:
            raise SettingsError("Chế độ llm cần OPENAI_BASE_URL và KB_LLM_MODEL (máy chủ tương thích OpenAI).")

    def extractive(self, question: str, res, as_of: str | None = None) -> Answer:
        """The extractive answer for a retrieval result (also what `kb eval` times)."""
        has_dense = res.dense_top > 0
        return extractive_answer(question, res.hits, dense_top=res.dense_top, has_dense=has_dense,
                                 term_coverage=res.coverage, as_of=as_of)

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
        fallback = lambda q, hits: self.extractive(q, res, as_of)  # noqa: E731
        if mode == "extractive":
            ans = fallback(question, res.hits)
            yield ans.answer
            yield ans
            return
        from qa.llm import iter_answer_with_llm

        for item in iter_answer_with_llm(self.settings, question, res.hits[:6], fallback):
            yield item

    # ---- references
    def lookup(self, reference: str) -> LookupResult:
        from qa.lookup import lookup_reference

        return lookup_reference(self, reference)

    # ---- documents
    def documents(self) -> list[dict]:
        dense = dict(self.store.registry.db.execute(
            "SELECT n.doc_key, COUNT(*) FROM dense_state d JOIN nodes n ON n.node_id=d.node_id "
            "AND n.text_hash=d.text_hash GROUP BY n.doc_key").fetchall())
        return document_list(self.store.registry.documents(), self.store.catalog, dense)

    def relations(self, key: str) -> list[str]:
        docs = self.documents()
        return relation_lines(self.store.catalog, key, {d["key"]: d["name"] for d in docs},
                              {d["key"] for d in docs if d["status"] == "ready"})

    def document_tree(self, key: str) -> dict:
        doc = self.store.registry.document(key)
        if doc is None:
            return {}
        name = document_name(doc["number"], doc["doc_type"], doc["title"])
        # first node of each (unit, clause): a long clause may span several nodes
        first_node: dict[tuple[str, str, str], str] = {}
        for n in self.store.registry.nodes_of(key):
            m = n["meta"]
            first_node.setdefault((m.get("unit_kind", ""), m.get("article", ""), m.get("clause", "")), n["node_id"])
        units = []
        for u in self.store.registry.units(key):
            base = citation_string(name, u.kind, u.number)
            clauses = []
            for c in u.clauses:
                node = first_node.get((u.kind, u.number, c.number))
                clauses.append({
                    "number": c.number,
                    "citation": citation_string(name, u.kind, u.number, c.number),
                    "text": c.text,
                    "node_id": node,
                    "points": [{"label": p.label, "citation": citation_string(name, u.kind, u.number, c.number, p.label),
                                "text": p.text} for p in c.points],
                })
            units.append({"kind": u.kind, "number": u.number, "title": u.title, "chapter": u.chapter,
                          "section": u.section, "citation": base, "intro": u.intro, "clauses": clauses,
                          "effective_from": u.effective_from, "amendment_note": u.amendment_note,
                          "phapdien_id": u.phapdien_id})
        return {"key": key, "name": name, "status": doc.get("status", ""),
                "effective_from": doc.get("effective_from", ""), "issuer": doc.get("issuer", ""),
                "relations": self.relations(key), "units": units}

    def clause(self, node_id: str) -> ClauseHit | None:
        row = self.store.registry.nodes_by_id([node_id]).get(node_id)
        return hit_from_row(node_id, row["text"], row["meta"]) if row else None

    # ---- legal staff
    def preview_file(self, path: str, overrides: dict | None = None) -> list[dict]:
        from ingest.model import ReaderError

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
                "units": [f"{'Điều' if u.kind == 'dieu' else 'Mục'} {u.number}. {u.title}".strip() for u in d.units[:200]],
                "warnings": list(d.warnings), "error": None,
            })
        if not out:
            out.append({"error": f"{path}: không tìm thấy điều/mục nào trong tệp"})
        return out

    def ingest_files(self, paths: list[str], overrides: dict | None = None,
                     progress: Callable[[float, str], None] | None = None) -> dict:
        report = self.store.ingest(paths, embed=True, restore=True, force=bool(overrides),
                                   overrides=overrides, progress=progress)
        return report.to_dict()

    def remove_document(self, key: str) -> bool:
        return self.store.remove(key)
