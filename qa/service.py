"""The answering service: one object the CLI and the UI call. It returns typed data; they render it.

`KnowledgeService` is the contract the UI is written against (its tests implement it with a
fake); `KnowledgeBase` implements it over a KnowledgeStore built from settings and backends.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from typing import Callable, Iterator, Protocol

from core.backends import Backends, make_backends
from core.errors import KbError, SettingsError
from core.settings import ANSWER_MODES, Settings
from ingest.amendments import Amendment, screen_amendments, target_type
from ingest.identity import citation_string, document_name, unit_label
from ingest.compare import DocumentDiff, compare_documents
from ingest.corrections import FIELD_LABELS
from ingest.model import LegalDocument, ReaderError
from ingest.store import FileOutcome, KnowledgeStore
from ingest.versions import VersionRow, document_from_version
from core.vocab import LEGAL_STATUS, LEXICAL_ONLY_NOTE, NOT_IN_BASE, format_iso
from qa.amended import (UnitStatus, action_words, amend_plan, amending_label, planned_change, relations_for, today,
                        unit_status)
from qa.answer import (Quoted, applicability_units, assess_basis, no_basis_answer, plan_answer, render_extractive,
                       summary_answer)
from qa.question import Question
from qa.catalog_view import document_list, relation_lines
from qa.desk.base_view import BaseView
from qa.desk.basis_check import BasisReport, check_basis
from qa.desk.draft import Draft
from qa.desk.index import DeskIndex
from qa.desk.indexed_view import IndexedDeskView
from qa.desk.trace import TraceReport, trace
from qa.desk.view import DeskView
from qa.llm import iter_answer_with_llm
from qa.lookup import lookup_reference
from qa.references import DocDescriptor
from qa.succession import change_line, notes_for, reading_note
from qa.retrieval import FusionParams, RetrievalFilters, RetrievalResult, Retriever, hit_from_row
from qa.types import (Answer, EmbedProgress, ClauseHit, ClauseView, DocumentSummary, DocumentTree, LookupResult, OriginalFile,
                      PointView, UnitView)
from qa.asof import check_units, label_answer, lead_is_later_wording, lead_not_in_force, not_in_force
from qa.validity import DocFacts, Statement, UnitFacts, status_of
from qa.validity_facts import STATUS_FIELD, ValidityFacts, staff_statement, unit_of_hit

Progress = Callable[[float, str], None]
MAX_PREVIEW_RELATIONS = 200  # lines per list in the staff preview (a Pháp điển đề mục may note hundreds)


def _as_typed(key: str) -> list[str]:
    """A document key as typed, then in upper and lower case ("998/2099/nđ-cp")."""
    return list(dict.fromkeys((key, key.upper(), key.lower())))


class KnowledgeService(Protocol):
    """What the UI needs from the knowledge base."""

    def ask_stream(self, question: str, as_of: str | None = None, mode: str = "extractive",
                   documents=None, previous: str | None = None) -> Iterator[str | Answer]: ...

    def ask(self, question: str, as_of: str | None = None, mode: str = "extractive", documents=None,
            previous: str | None = None) -> Answer: ...

    def lookup(self, reference: str, as_of: str | None = None) -> LookupResult: ...

    def documents(self) -> list[DocumentSummary]: ...

    def relations(self, key: str) -> list[str]: ...

    def document_tree(self, key: str) -> DocumentTree | None: ...

    def clause(self, node_id: str) -> ClauseHit | None: ...

    def preview_file(self, path: str, overrides: dict | None = None) -> list[dict]: ...

    def scan_pages(self, path: str) -> list[dict]: ...

    def scan_page_image(self, path: str, number: int) -> bytes: ...

    def compare_file(self, path: str, overrides: dict | None = None, replace: str | None = None) -> list[DocumentDiff]: ...

    def original_file(self, key: str) -> OriginalFile | None: ...

    def ingest_files(self, paths: list[str], overrides: dict | None = None, progress: Progress | None = None,
                     replace=False, commit_lock=None, user: str = "") -> dict: ...

    def remove_document(self, key: str) -> bool: ...

    def correct_document(self, key: str, fix: dict, by: str = "", commit_lock=None) -> dict: ...

    def document_status(self, key: str, as_of: str | None = None) -> dict: ...

    def staff_status(self, key: str) -> dict: ...

    def versions(self, key: str) -> list[VersionRow]: ...

    def version_document(self, key: str, version: int) -> LegalDocument | None: ...

    def restore_version(self, key: str, version: int, user: str = "", commit_lock=None) -> FileOutcome: ...

    def check_basis(self, draft: Draft, as_of: str | None = None) -> BasisReport: ...

    def trace(self, draft: Draft, as_of: str | None = None) -> TraceReport: ...

    def desk(self, as_of: str | None = None) -> DeskView: ...


class RegistryUnits:
    """The answer stage's view of the base (qa.answer.UnitSource): units by citation, article nodes."""

    def __init__(self, kb: "KnowledgeBase"):
        self.kb = kb

    def lookup(self, reference: str) -> LookupResult:
        kb = self.kb
        return lookup_reference(kb.store.registry, kb.retriever.descriptors(), kb.catalogued_descriptors(),
                                reference, suggest=False)

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
        self._usage: dict[str, int] = {}  # documents answers drew on, since take_usage() last ran
        self._usage_lock = threading.Lock()
        self._parsed: dict[tuple, list[LegalDocument]] = {}
        self._desk: dict[tuple[int, str], DeskView] = {}  # (registry generation, date) -> the desk's view
        self._desk_lock = threading.Lock()
        self._desk_idx: DeskIndex | None = None  # qa.desk.index, opened on first use
        self._desk_fresh = -1  # the registry generation the desk's index was last brought up to date with
        self._word_nodes: tuple = (None, [])  # (generation, words) -> nodes holding them (nodes_with_words)
        self._word_lock = threading.Lock()

    def close(self) -> None:
        """Release what this knowledge base holds open (the registry, the desk's index, the Chroma
        client). `kb serve` keeps one for its lifetime; tests and benchmarks that build many close them."""
        if self._desk_idx is not None:
            self._desk_idx.close()
            self._desk_idx = None
        self.store.close()

    def __enter__(self) -> "KnowledgeBase":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def take_usage(self) -> dict[str, int]:
        """Documents the answers drew on since the last call (the background embedding's order)."""
        with self._usage_lock:
            out, self._usage = self._usage, {}
        return out

    def _note_usage(self, res: RetrievalResult) -> None:
        with self._usage_lock:
            for key in dict.fromkeys(h.document for h in res.hits[:3]):
                self._usage[key] = self._usage.get(key, 0) + 1

    def embedding_progress(self) -> EmbedProgress:
        """How many clause nodes have vectors, and how fast the background embedding goes (ETA)."""
        c = self.store.registry.counts()
        raw = self.store.registry.get_meta("embed_progress")
        info = json.loads(raw) if raw else {}
        active = bool(info) and time.time() - float(info.get("updated", 0)) < 180
        rate = float(info.get("rate") or 0.0) if active else 0.0
        return EmbedProgress(nodes=c["nodes"], dense=c["dense"], rate=rate, active=active)

    # ---- questions
    def _filters(self, as_of, documents) -> RetrievalFilters | None:
        if not as_of and not documents:
            return None
        return RetrievalFilters(documents=list(documents) if documents else None, as_of=as_of or None)

    def question(self, text: str, previous: str | None = None) -> Question:
        """The question parsed once (qa.question), read as a follow-up of `previous` when it continues it."""
        loaded, catalogued = self.retriever.descriptors(), self.catalogued_descriptors()
        successions = self.store.catalog.successions
        before = Question.parse(previous, loaded, catalogued, successions=successions) if previous and previous.strip() else None
        return Question.parse(text, loaded, catalogued, previous=before, successions=successions)

    def retrieve(self, question: Question | str, k: int = 10, as_of: str | None = None, documents=None) -> RetrievalResult:
        q = question if isinstance(question, Question) else self.question(question)
        return self.retriever.search(q, k=k, filters=self._filters(as_of, documents))

    def _check_mode(self, mode: str) -> None:
        if mode not in ANSWER_MODES:
            raise SettingsError(f"chế độ {mode!r} không hợp lệ; chọn một trong: {', '.join(ANSWER_MODES)}")
        if mode == "llm" and not self.settings.llm_configured:
            raise SettingsError("Chế độ llm cần OPENAI_BASE_URL và KB_LLM_MODEL (máy chủ tương thích OpenAI).")

    def extractive(self, res: RetrievalResult, as_of: str | None = None) -> Answer:
        """The extractive answer for a retrieval result (also what `kb eval` times)."""
        return self._answer(res, as_of)[0]

    def _answer(self, res: RetrievalResult, as_of: str | None) -> tuple[Answer, list[Quoted]]:
        """The extractive answer and the units it cites, in order (the LLM mode is given the same)."""
        ans, plan = self._answer_of(res.question, res, as_of)
        ans.continues = res.question.continues
        if ans.continues and not ans.answer.startswith("(Tiếp theo"):  # the extractive text says it already
            ans.answer = f"(Tiếp theo câu hỏi: «{ans.continues}»)\n\n{ans.answer}"
        if res.dense_unavailable:  # shown with the answer (UI, `kb ask`, `--json` warnings)
            ans.lexical_only = True
            # the cause (server address, error) is for the operator's log (ingest.dense), not for readers
            ans.warnings.append(f"{LEXICAL_ONLY_NOTE}.")
        self._succession_notes(ans, res.question, as_of)
        return ans, plan

    def _succession_notes(self, ans: Answer, q: Question, as_of: str | None) -> None:
        """Bodies that no longer exist as named (qa.succession): first how the question was read when it
        named the new body, then one line per change a quoted clause's body went through."""
        cat = self.store.catalog
        said = [reading_note(s, cat) for s in q.read_as]
        already = {change_line(s, cat) for s in q.read_as}  # the reading note says these already
        lines = [n for n in notes_for([c.quote for c in ans.citations], cat, as_of) if n not in already]
        ans.warnings[:0] = [w for w in said if w not in ans.warnings]
        ans.warnings += [w for w in lines if w not in ans.warnings]

    def _answer_of(self, q: Question, res: RetrievalResult, as_of: str | None) -> tuple[Answer, list[Quoted]]:
        missing = list(q.missing)
        gap = self._gap_answer(q, res, as_of, missing)
        if gap is not None:
            return gap, []
        ranker = self.retriever.ranker
        basis, conf = assess_basis(q, res.hits, res.features, res.dense_top, ranker, res.unknown_words,
                                   res.unknown_folded)
        scope_units = applicability_units(q, res.hits, self.units)
        if scope_units:
            basis, conf = "found", max(conf, 0.8)  # the named document's scope article is the answer
        why = {"basis_probability": round(conf, 4)}
        units: list[Quoted] = []
        if basis == "none":
            ans = no_basis_answer(q.text, res.hits, conf)
            ans.why = why | {"rule": "no_basis"}
        else:
            facts = self._facts()
            # units not in force on the date go after those in force: never the lead of a "found" answer
            plan = plan_answer(q, res.hits, self.units, ranker, scope_units, not_in_force(res.hits, facts, as_of))
            # amended units: the text in force on the date, or a warning naming the amending document
            plan.units, amended_by, notes = amend_plan(plan.units, self.store.registry, self.retriever.descriptors(),
                                                       as_of)
            units = plan.units
            # hiệu lực on the date, and quotes whose wording is later than the date (never the basis)
            checked = check_units(units, facts, as_of)
            if basis == "found" and (lead_is_later_wording(checked) or lead_not_in_force(checked)):
                basis = "weak"
            lead = units[0].hit
            why |= {"rule": plan.rule, "lead": units[0].citation, "score": round(lead.score, 4)}
            if lead.node_id in res.features:
                why["features"] = ranker.contributions(res.features[lead.node_id])
            ans = render_extractive(q, res.hits, basis, conf, plan, as_of, why)
            for c, by in zip(ans.citations, amended_by):
                c.amended_by = by
            label_answer(ans, units, checked, as_of)
            ans.warnings += [n for n in notes if n not in ans.warnings]
        ans.missing_documents = missing
        ans.warnings += [f"{self._document_name(key)}: {NOT_IN_BASE}." for key in missing]
        return ans, units

    # ---- gaps said plainly
    def _document_name(self, key: str) -> str:
        """How a citation names a document: from the registry when loaded, else from the catalogue."""
        d = self.store.registry.document(key) or self.store.catalog.entry(key)
        return document_name(d.number, d.doc_type, d.title) if d else key

    def _gap_answer(self, q: Question, res: RetrievalResult, as_of: str | None,
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
                return summary_answer(q.text, summaries, res.hits, names, missing)
            return no_basis_answer(q.text, res.hits, 0.0, missing=missing, prefix=(
                f"{names} có trong danh mục nhưng {NOT_IN_BASE}, nên không thể trả lời từ nội dung của văn bản này."
                " Cán bộ pháp chế cần bổ sung văn bản chính thức."))
        if as_of and res.mentioned:
            later = [(k, d.effective_from) for k in res.mentioned
                     if (d := self.store.registry.document(k)) and d.effective_from and d.effective_from > as_of]
            if later and len(later) == len(res.mentioned):
                said = "; ".join(f"{self._document_name(k)} có hiệu lực từ {format_iso(eff)}" for k, eff in later)
                return no_basis_answer(q.text, [], 0.0, prefix=(
                    f"Tại ngày {format_iso(as_of)} văn bản được hỏi chưa có hiệu lực: {said}."))
        return None

    def ask(self, question: str, as_of: str | None = None, mode: str = "extractive", documents=None,
            previous: str | None = None) -> Answer:
        answer = None
        for item in self.ask_stream(question, as_of=as_of, mode=mode, documents=documents, previous=previous):
            if isinstance(item, Answer):
                answer = item
        return answer

    def ask_stream(self, question: str, as_of: str | None = None, mode: str = "extractive",
                   documents=None, previous: str | None = None) -> Iterator[str | Answer]:
        """Text chunks (llm mode streams tokens), then the final Answer. `previous`: the question
        asked before in the same conversation; this one is read as its follow-up when it continues it."""
        self._check_mode(mode)
        question = (question or "").strip()
        if not question:
            yield Answer(question="", answer="Hãy nhập câu hỏi.", citations=[], basis="none", confidence=0.0, mode=mode)
            return
        res = self.retrieve(self.question(question, previous), k=10, as_of=as_of, documents=documents)
        self._note_usage(res)
        ans, plan = self._answer(res, as_of)
        if mode == "extractive":
            yield ans.answer
            yield ans
            return
        # The model gets the clause set the extractive answer cites, in the same order (followed
        # references included); with no basis it is not called (qa.llm), and the extractive
        # answer is its fallback either way.
        hits = [p.as_hit() for p in plan] or res.hits[:6]
        roles = {(p.hit.node_id, p.citation): p.role for p in plan}
        amended = {(c.node_id, c.citation): c.amended_by for c in ans.citations}
        checked = check_units(plan, self._facts(), as_of) if plan else []
        for item in iter_answer_with_llm(self.settings, question, hits, lambda q, h: ans):
            if isinstance(item, Answer) and item is not ans:
                label_answer(item, plan, checked, as_of)
            if isinstance(item, Answer):
                item.missing_documents = ans.missing_documents
                item.continues, item.why = ans.continues, ans.why
                if ans.lexical_only and not item.lexical_only:
                    item.lexical_only = True
                    item.warnings += [w for w in ans.warnings if w.startswith(LEXICAL_ONLY_NOTE) and w not in item.warnings]
                for c in item.citations:
                    c.role = roles.get((c.node_id, c.citation), c.role)
                    c.amended_by = amended.get((c.node_id, c.citation), c.amended_by)
                self._succession_notes(item, res.question, as_of)  # the model's quotes: once each (deduplicated)
            yield item

    # ---- references
    def catalogued_descriptors(self) -> list[DocDescriptor]:
        if self._catalogued is None:  # the catalogue is read once, with the store
            self._catalogued = [DocDescriptor(key=e.key, number=e.number, doc_type=e.doc_type, title=e.title,
                                              aliases=tuple(e.aliases)) for e in self.store.catalog.entries]
        return self._catalogued

    def desk(self, as_of: str | None = None) -> DeskView:
        """The official's desk (qa.desk) on a date (today when None): every duty and time limit of the
        units in force. Read once per registry generation and date; the last few are kept."""
        date = as_of or today()
        generation = self.store.registry.generation()
        key = (generation, date)
        with self._desk_lock:
            if key not in self._desk:
                if self._desk_fresh != generation:  # documents stored since the index was read: read them
                    self.refresh_desk_index()
                    self._desk_fresh = generation
                if len(self._desk) >= 4:
                    self._desk.pop(next(iter(self._desk)))
                self._desk[key] = IndexedDeskView(self.store.registry, self.retriever.descriptors(), date,
                                                  self._desk_index())
            return self._desk[key]

    def nodes_with_words(self, words: tuple[str, ...]) -> list:
        """(ASCII-lowered text, node) of every stored node holding one of `words` (as SQLite's LIKE
        matches), in the registry's order; kept per registry generation (qa.desk.base_view reads what
        stored texts say about a document from it: one scan of every node, not one per document)."""
        from qa.desk.base_view import ascii_lower

        key = (self.store.registry.generation(), words)
        with self._word_lock:
            if self._word_nodes[0] != key:
                rows = self.store.registry.nodes_mentioning("", words, limit=-1)  # SQLite: no limit
                self._word_nodes = (key, [(ascii_lower(n.text), n) for n in rows])
            return self._word_nodes[1]

    def _desk_index(self) -> DeskIndex:
        if self._desk_idx is None:
            self._desk_idx = DeskIndex(self.store.registry, self.settings.desk_index_path)
        return self._desk_idx

    def refresh_desk_index(self, progress=None) -> int:
        """Read the documents stored or changed since into the desk's index (qa.desk.index): called after
        every change to the stored documents, so the desk's tools read rows instead of articles."""
        return self._desk_index().refresh(progress=progress)

    def lookup(self, reference: str, as_of: str | None = None) -> LookupResult:
        res = lookup_reference(self.store.registry, self.retriever.descriptors(), self.catalogued_descriptors(),
                               reference, as_of, facts=self._facts())
        if res.status == "found":  # a body the unit names no longer exists as named (qa.succession)
            res.notes += [n for n in notes_for([res.text], self.store.catalog, as_of) if n not in res.notes]
        return res

    # ---- the official's desk (qa.desk): a draft's citations checked, a letter's tasks traced to the law
    def check_basis(self, draft: Draft, as_of: str | None = None) -> BasisReport:
        return check_basis(draft, BaseView(self), as_of, self.settings.desk_max_citations)

    def trace(self, draft: Draft, as_of: str | None = None) -> TraceReport:
        return trace(draft, BaseView(self), as_of, self.settings.desk_max_tasks)

    # ---- hiệu lực
    def _facts(self, resolve_words: bool = True) -> ValidityFacts:
        """What qa.validity decides on, read afresh for each request (staff may have just set a status)."""
        return ValidityFacts(self.store.registry, self.store.catalog, self.retriever.descriptors(), resolve_words)

    def document_status(self, key: str, as_of: str | None = None) -> dict:
        """The hiệu lực of a document on `as_of` (today when None), with its source; {} when unknown key.
        Staff set it by correcting the document's status (correct_document)."""
        status = self._facts().status(key, None, as_of)
        return status.to_dict() if status else {}

    def staff_status(self, key: str) -> dict:
        """The status staff set on a document ({"value", "since", "note", "by", "at", …}); {} when none."""
        return dict(self.store.registry.corrections(key).get(STATUS_FIELD) or {})

    def _amendment_status(self, key: str, article: str, clause: str = "", point: str = "") -> UnitStatus:
        """What other documents changed in a unit (qa.amended), as of today."""
        loaded = self.retriever.descriptors()
        doc = next((d for d in loaded if d.key == key), None)
        rels = relations_for(self.store.registry, doc) if doc else []
        if not rels:
            return UnitStatus([], [], [])
        name = document_name(doc.number, doc.doc_type, doc.title)
        return unit_status(rels, {d.key for d in loaded}, name, article, clause, point)

    def _documents_amended(self, key: str, loaded: set[str]) -> list[str]:
        """An amending document: the documents it changes, how many units, from when; named even
        when they are not in the base."""
        made = [a for a in self.store.registry.amendments_made_by(key) if a.source == "text"]
        out = []
        for target in dict.fromkeys(a.target_key or a.target_ref for a in made):
            mine = [a for a in made if (a.target_key or a.target_ref) == target]
            name = self._document_name(target) if mine[0].target_key else mine[0].target_ref
            dates = ", ".join(dict.fromkeys(format_iso(a.effective_from) for a in mine if a.effective_from))
            out.append(f"Văn bản này sửa đổi, bổ sung, bãi bỏ {len(mine)} nội dung của {name}"
                       + ("" if target in loaded else f" ({NOT_IN_BASE})")
                       + (f", có hiệu lực từ {dates}" if dates else "") + ".")
        return out

    @staticmethod
    def _unit_amendments(rels, loaded: set[str], name: str, unit) -> dict:
        if not rels or unit.kind != "dieu":
            return {}
        st = unit_status(rels, loaded, name, unit.number)
        return {"amendments": st.lines, "amended_by": st.amended_by}

    # ---- documents
    def documents(self) -> list[DocumentSummary]:
        docs = document_list(self.store.registry.documents(), self.store.catalog)
        facts = self._facts(resolve_words=False)
        for d in docs:
            status = facts.status(d.key)
            d.validity = status.to_dict() if status else {}
        return docs

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
        loaded = self.retriever.descriptors()
        loaded_keys = {d.key for d in loaded}
        desc = next((d for d in loaded if d.key == key), None)
        rels = relations_for(self.store.registry, desc) if desc else []
        facts = self._facts()
        doc_status = facts.status(key)
        units = []
        for u in self.store.registry.units(key):
            now = facts.status(key, UnitFacts(u.number, label=citation_string(name, u.kind, u.number),
                                              effective_from=u.effective_from, note=u.amendment_note)
                               ) if u.kind == "dieu" else None
            differs = now is not None and doc_status is not None and now.value != doc_status.value
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
                                  phapdien_id=u.phapdien_id, **self._unit_amendments(rels, loaded_keys, name, u),
                                  validity=now.to_dict() if differs else {}))
        # changes to the whole document, or adding articles it does not have
        numbers = {u.number.lower() for u in units if u.kind == "dieu"}
        extra = [a for a in rels if not a.article or a.article.lower() not in numbers]
        extra_lines = list(dict.fromkeys(
            line for a in extra for line in unit_status([a], loaded_keys, name, a.article).lines))
        extra_lines += self._documents_amended(key, loaded_keys)
        return DocumentTree(key=key, name=name, status=doc.status, effective_from=doc.effective_from,
                            issuer=doc.issuer, number=doc.number, doc_type=doc.doc_type, issued_on=doc.issued_on,
                            relations=self.relations(key), units=units, amendments=extra_lines,
                            validity=doc_status.to_dict() if doc_status else {},
                            corrections=self.correction_lines(key))

    def correction_lines(self, key: str) -> list[str]:
        """The staff corrections stored for a document: field, as corrected, as read, who and when."""
        def shown(k: str, v: str) -> str:
            return format_iso(v) if k in ("issued_on", "effective_from") else LEGAL_STATUS.get(v, v) if k == "status" else v

        out = []
        for k, c in self.store.registry.corrections(key).items():
            when = time.strftime("%d/%m/%Y %H:%M", time.localtime(c["at"])) if c.get("at") else ""
            who = ", ".join(x for x in (c.get("by", ""), when) if x)
            read = f"bản đọc được: “{shown(k, c['read'])}”" if c.get("read") else "bản đọc được không ghi"
            grounds = (f" từ {format_iso(c['since'])}" if c.get("since") else "") + (  # a status staff set
                f" — {c['note']}" if c.get("note") else "")
            out.append(f"{FIELD_LABELS.get(k, k)}: “{shown(k, c['value'])}”{grounds} ({read}"
                       + (f"; {who})" if who else ")"))
        return out

    def clause(self, node_id: str) -> ClauseHit | None:
        row = self.store.registry.nodes_by_id([node_id]).get(node_id)
        if row is None:
            return None
        hit = hit_from_row(row)
        if hit.unit_kind == "dieu":
            point = "" if "-" in hit.point else hit.point
            hit.amendments = tuple(self._amendment_status(hit.document, hit.article, hit.clause, point).lines)
        status = self._facts().status(hit.document, unit_of_hit(hit))
        hit.validity = status.to_dict() if status else {}
        return hit

    def original_file(self, key: str) -> OriginalFile | None:
        """The file a document was read from, as ingested (not for Pháp điển: assembled from đề mục files)."""
        path = self.store.original_file(key)
        if path is None:
            return None
        return OriginalFile(key=key, name=path.name, path=str(path), size=path.stat().st_size)

    # ---- legal staff
    def _parse(self, path: str, overrides: dict | None) -> list[LegalDocument]:
        """parse_file, remembered for the last few files: the preview and the comparison of a
        replacement read the same file (an OCR'd scan takes minutes) one after the other."""
        st = os.stat(path)
        key = (path, st.st_size, st.st_mtime_ns, self.store.registry.generation(),
               json.dumps(overrides or {}, sort_keys=True, ensure_ascii=False))
        if key not in self._parsed:
            docs = self.store.parse_file(path, overrides)
            while len(self._parsed) >= 4:
                self._parsed.pop(next(iter(self._parsed)))
            self._parsed[key] = docs
        return self._parsed[key]

    def compare_file(self, path: str, overrides: dict | None = None, replace: str | None = None) -> list[DocumentDiff]:
        """Each document of the file against the stored version it would replace: the one with the
        same key, else (one document per file) the document `replace` names. Nothing is stored."""
        try:
            docs = self._parse(path, overrides)
        except (ReaderError, OSError):
            return []  # the preview already says why the file cannot be read
        out = []
        for d in docs:
            target = d.key if self.store.registry.document(d.key) else replace
            old = self._stored_document(target) if target else None
            if old is None:
                continue
            diff = compare_documents(old, d)
            diff.old_key = target
            out.append(diff)
        return out

    def _stored_document(self, key: str) -> LegalDocument | None:
        """The document `key` as stored now (header facts and units), or None."""
        row = self.store.registry.document(key)
        if row is None:
            return None
        return LegalDocument(number=row.number, doc_type=row.doc_type, title=row.title, issuer=row.issuer,
                             issued_on=row.issued_on, effective_from=row.effective_from,
                             units=self.store.registry.units(key))

    def compare(self, old: str, new: str) -> DocumentDiff:
        """`kb compare`: two documents, each named by a stored key ("72/2015/NĐ-CP", in any case), a
        version of one ("72/2015/NĐ-CP@2", see `kb versions`) or a file (read, not stored; of a file
        holding several documents, the one with the other side's key). Nothing is stored. KbError
        naming the side that cannot be found and what to type instead."""
        found: dict[str, tuple[LegalDocument, str]] = {}
        refs = (old, new)
        for ref in sorted(refs, key=lambda r: os.path.isfile(r)):  # keys first: a file's document is picked by them
            others = [found[r][0].key for r in refs if r in found and r != ref]
            found[ref] = self._compared(ref, others[0] if others else "")
        (a, a_name), (b, b_name) = found[old], found[new]
        diff = compare_documents(a, b)
        diff.old_name, diff.new_name = a_name, b_name
        return diff

    def _compared(self, ref: str, hint: str) -> tuple[LegalDocument, str]:
        """One side of `compare`: the document and how it is named."""
        ref = ref.strip()
        if os.path.isfile(ref):
            docs = self._parse(ref, None)
            if not docs:
                raise ReaderError(ref, "không có văn bản nào có điều hoặc mục để so sánh")
            doc = docs[0] if len(docs) == 1 else next((d for d in docs if d.key == hint), None)
            if doc is None:
                keys = ", ".join(d.key for d in docs)
                raise ReaderError(ref, f"tệp có {len(docs)} văn bản ({keys}); so sánh từng văn bản với văn bản "
                                       "đã lưu cùng số hiệu: `kb compare SỐ_HIỆU TỆP`")
            return doc, f"tệp {os.path.basename(ref)} ({document_name(doc.number, doc.doc_type, doc.title)})"
        key, at, version = ref.rpartition("@")
        if at and version.isdigit():
            match = next((k for k in _as_typed(key.strip()) if self.versions(k)), None)
            if match is None:
                raise KbError(f"Không có phiên bản nào của văn bản {key.strip()!r}: chỉ văn bản nạp nguyên từ một "
                              "tệp mới có lịch sử phiên bản. Xem số hiệu đúng bằng `kb docs`.")
            doc = self.version_document(match, int(version))
            if doc is None:
                raise KbError(f"Văn bản {match} không có phiên bản {version}. Xem danh sách bằng `kb versions {match}`.")
            current = " (đang dùng)" if self.store.registry.current_version(match) == int(version) else ""
            return doc, f"{document_name(doc.number, doc.doc_type, doc.title)}, phiên bản {version}{current}"
        for k in _as_typed(ref):
            doc = self._stored_document(k)
            if doc is not None:
                return doc, f"{document_name(doc.number, doc.doc_type, doc.title)} (bản đang lưu)"
        raise KbError(f"Không có văn bản {ref!r} trong cơ sở dữ liệu, cũng không có tệp nào ở đường dẫn đó. Xem số "
                      "hiệu bằng `kb docs`; một phiên bản cũ là SỐ_HIỆU@N (xem `kb versions SỐ_HIỆU`).")

    def _target_name(self, a: Amendment) -> str:
        """How a relation's amended document is named: as the base or the catalogue name it, else by
        its number and type, else as the amending words wrote it."""
        if not a.target_key:
            return a.target_ref
        name = self._document_name(a.target_key)
        return document_name(a.target_key, target_type(a), "") if name == a.target_key else name

    def _planned_relations(self, doc: LegalDocument) -> dict:
        """The amendment relations storing `doc` would create, and those it states but may not create
        (ingest.amendments.may_amend), as lines for the staff preview."""
        kept, refused = screen_amendments(doc)
        stored = self.store.registry.keys()
        lines = []
        for a in kept[:MAX_PREVIEW_RELATIONS]:
            target = self._target_name(a)
            if a.source == "phapdien":  # the Pháp điển says what others changed in this document
                where = citation_string(target, "dieu", a.article) if a.article else target
                when = f", có hiệu lực từ {format_iso(a.effective_from)}" if a.effective_from else ""
                lines.append(f"Ghi nhận theo ghi chú Pháp điển: {where} {action_words(a)} bởi "
                             f"{amending_label(a, a.amending_key in stored)}{when}")
                continue
            absent = "" if a.target_key in stored else f" ({target}: {NOT_IN_BASE}; áp dụng khi văn bản đó được nạp)"
            lines.append(f"Văn bản này sẽ {planned_change(a, target)}{absent}")
        lines += [f"… và {len(kept) - MAX_PREVIEW_RELATIONS} quan hệ khác"] if len(kept) > MAX_PREVIEW_RELATIONS else []
        out = [f"Không ghi nhận việc {planned_change(r.amendment, self._target_name(r.amendment))}: {r.refusal.reason}."
               for r in refused[:MAX_PREVIEW_RELATIONS]]
        out += [f"… và {len(refused) - MAX_PREVIEW_RELATIONS} nội dung khác"] if len(refused) > MAX_PREVIEW_RELATIONS else []
        return {"amendments": lines, "refused_amendments": out}

    def _preview_status(self, d: LegalDocument):
        """The hiệu lực the document will have once stored, from what this reading and the catalogue say
        and the status staff set (now, or on an earlier version)."""
        entry = self.store.catalog.entry(d.key)
        staff = staff_statement(d.corrections) or staff_statement(self.store.registry.corrections(d.key))
        facts = DocFacts(d.key, document_name(d.number, d.doc_type, d.title), source_kind=d.source_kind,
                         effective_from=d.effective_from, snapshot_on=d.snapshot_on,
                         catalog=Statement(entry.status, note=entry.status_note) if entry and entry.status else None,
                         staff=staff, in_catalog=entry is not None)
        return status_of(facts, None, today(), [a for a in screen_amendments(d)[0] if a.target_key == d.key])

    def scan_pages(self, path: str) -> list[dict]:
        """What OCR recognised on each page of the file, as it was last read (the OCR cache, by the
        file's SHA-256): number, lines, mean confidence, whether staff should check it. [] when the
        file was not OCR'd (or its pages are no longer kept)."""
        from ingest.readers.ocr import PageText
        from ingest.readers.ocr_cache import file_sha256

        try:
            pages = self.store.ocr_cache.latest(file_sha256(path))
        except OSError:
            return []
        out = []
        for number, p in pages.items():
            page = PageText(number, [str(l) for l in p["lines"]], p.get("confidence"), p.get("doubtful") or 0.0)
            out.append({"number": number, "lines": page.lines, "confidence": page.confidence, "low": page.low})
        return out

    def scan_page_image(self, path: str, number: int) -> bytes:
        """Page `number` of a scanned file as a small JPEG (ingest.readers.ocr.page_image); ReaderError if it cannot be drawn."""
        from ingest.readers.ocr import page_image

        return page_image(path, number, limits=self.store.limits)

    def preview_file(self, path: str, overrides: dict | None = None) -> list[dict]:
        try:
            docs = self._parse(path, overrides)
        except ReaderError as exc:
            return [{"error": str(exc)}]
        scanned = self.scan_pages(path)
        out = []
        for d in docs:
            out.append({
                "key": d.key, "number": d.number, "type": d.doc_type, "title": d.title, "issuer": d.issuer,
                "issued_on": d.issued_on, "effective_from": d.effective_from, "status": d.status,
                "articles": len(d.units), "clauses": sum(len(u.clauses) for u in d.units),
                "units": [f"{unit_label(u.kind, u.number)}. {u.title}".strip() for u in d.units[:200]],
                "warnings": list(d.warnings), "error": None, "draft": d.draft,
                "validity": self._preview_status(d).to_dict(),
                **self._planned_relations(d),
                # corrections made to an earlier version, applied again to this one
                "kept_corrections": {k: c["value"] for k, c in d.corrections.items() if c.get("kept")},
                # the recognised text of each scanned page, shown beside the page image
                "scan_pages": scanned,
            })
        if not out:
            out.append({"error": f"{path}: không tìm thấy điều/mục nào trong tệp"})
        return out

    def ingest_files(self, paths: list[str], overrides: dict | None = None, progress: Progress | None = None,
                     replace=False, commit_lock=None, user: str = "") -> dict:
        """`replace`: the keys of the documents the user chose to replace (or True); a file whose document
        another file already holds is otherwise refused (KnowledgeStore.ingest). `commit_lock`: a
        context-manager factory (the UI's write lock) held only around each registry swap and index sync.
        `user`: the user ingesting (a staff member after the preview, the OS user for `kb ingest`),
        recorded with each version stored and, as confirmed_by, with the amendment relations."""
        report = self.store.ingest(paths, embed=True, restore=True, force=bool(overrides),
                                   overrides=overrides, progress=progress, replace=replace, commit_lock=commit_lock,
                                   user=user)
        self._after_change()
        return report.to_dict()

    def _after_change(self) -> None:
        """The desk's index read at once after a change to the stored documents (so the next desk query
        is a lookup); a failure here leaves the change stored and the index is brought up to date by
        the next desk query instead."""
        try:
            self.refresh_desk_index()
        except (sqlite3.Error, OSError):
            pass

    def remove_document(self, key: str) -> bool:
        removed = self.store.remove(key)
        self._after_change()
        return removed

    def correct_document(self, key: str, fix: dict, by: str = "", commit_lock=None) -> dict:
        """Correct a stored document's header facts (KnowledgeStore.correct): the ingest report of the
        files read again, with "corrected": the fields that changed. Raises CorrectionError (a KbError), changing nothing, for a correction that
        is not valid or a file no longer as ingested."""
        self._parsed.clear()  # the previews remembered were read before the correction
        report, fixed = self.store.correct(key, fix, by=by, commit_lock=commit_lock)
        self._after_change()
        return report.to_dict() | {"corrected": fixed}

    # ---- versions of a document (ingest.versions)
    def versions(self, key: str) -> list[VersionRow]:
        """Every stored version of `key`, oldest first, the current one marked (none once removed)."""
        return self.store.registry.versions(key)

    def version_document(self, key: str, version: int) -> LegalDocument | None:
        """Version `version` of `key` as it was stored (to read before restoring it), or None."""
        row = self.store.registry.version(key, version)
        return document_from_version(row.data) if row else None

    def restore_version(self, key: str, version: int, user: str = "", commit_lock=None) -> FileOutcome:
        """Make that version the stored text (re-indexed like a replacement); KbError when it does not exist."""
        outcome = self.store.restore_version(key, version, user=user, commit_lock=commit_lock)
        self._after_change()
        return outcome
