"""The facts qa.validity decides on, read from the registry and the catalogue (one reader per request,
documents and relations cached in it). Staff's own status of a document is the status field of its
corrections (ingest.corrections: set in the preview, or on a stored document with `kb correct` or the
"Sửa thông tin văn bản đã lưu" panel, both audited)."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from ingest.amendments import Amendment
from ingest.catalog import Catalog
from ingest.identity import citation_string, document_name
from ingest.registry import Registry
from qa.amended import relations_for, today
from qa.references import DocDescriptor
from qa.validity import DocFacts, Statement, Status, UnitFacts, Wording, status_of, stored_wording

STATUS_FIELD = "status"  # the key of staff's setting among a document's corrections (ingest.corrections.FIELDS)


def _day(at) -> str:
    """When a correction was made (a Unix time; an ISO timestamp in older records) -> ISO date."""
    if isinstance(at, (int, float)) and at:
        return dt.date.fromtimestamp(at).isoformat()
    return str(at or "")[:10]


def staff_statement(corrections: dict[str, dict]) -> Statement | None:
    """Staff's status setting among a document's corrections (stored, or made in the preview before
    ingest); None when there is none."""
    c = corrections.get(STATUS_FIELD) or {}
    if not c.get("value"):
        return None
    return Statement(value=c["value"], since=c.get("since", ""), stated_on=_day(c.get("at")),
                     note=c.get("note", ""), by=c.get("by", ""))


def doc_facts(key: str, row, entry, staff: Statement | None = None) -> DocFacts | None:
    """A document's facts from what the base stores of it (`row`: a registry row or an
    ingest.model.LegalDocument, with number, doc_type, title, source_kind, effective_from, snapshot_on)
    and its catalogue entry; None when neither knows it. `kb bench validity` reads files this way."""
    catalog = Statement(entry.status, note=entry.status_note) if entry and entry.status else None
    if row is None and entry is None:
        return None
    if row is None:
        return DocFacts(key, document_name(entry.number, entry.doc_type, entry.title),
                        effective_from=entry.effective_from, catalog=catalog, in_catalog=True, staff=staff)
    return DocFacts(key, document_name(row.number, row.doc_type, row.title), source_kind=row.source_kind,
                    effective_from=row.effective_from, snapshot_on=row.snapshot_on, catalog=catalog,
                    in_catalog=entry is not None, staff=staff)


class ValidityFacts:
    def __init__(self, registry: Registry, catalog: Catalog, loaded: list[DocDescriptor], resolve_words: bool = True):
        """resolve_words=False: only the relations stored under each document's key (the document list:
        resolving relations that name their target in words costs a scan of them per document)."""
        self.registry, self.catalog, self.resolve_words = registry, catalog, resolve_words
        self.loaded = {d.key: d for d in loaded}
        self._docs: dict[str, DocFacts | None] = {}
        self._rels: dict[str, list[Amendment]] = {}
        self._pd: dict[str, list[Amendment]] = {}

    def doc(self, key: str) -> DocFacts | None:
        if key not in self._docs:
            row, entry = self.registry.document(key), self.catalog.entry(key)
            staff = staff_statement(self.registry.corrections(key)) if row is not None or entry is not None else None
            self._docs[key] = doc_facts(key, row, entry, staff)
        return self._docs[key]

    def relations(self, key: str) -> list[Amendment]:
        if key not in self._rels:
            desc = self.loaded.get(key)
            self._rels[key] = (relations_for(self.registry, desc) if desc and self.resolve_words
                               else self.registry.amendments(key))
        return self._rels[key]

    def phapdien_notes(self, key: str) -> list[Amendment]:
        """Every Pháp điển note on the document, also those relations_for leaves out because the
        amending text is stored: the Pháp điển text already includes that change."""
        if key not in self._pd:
            self._pd[key] = [a for a in self.registry.amendments(key) if a.source == "phapdien"]
        return self._pd[key]

    def status(self, key: str, unit: UnitFacts | None = None, as_of: str | None = None) -> Status | None:
        doc = self.doc(key)
        if doc is None:
            return None
        return status_of(doc, unit, as_of or today(), self.relations(key))

    def wording(self, key: str, unit: UnitFacts, as_of: str | None) -> Wording:
        """The Pháp điển notes are about whole articles: the note names the article, not the clause."""
        doc = self.doc(key)
        if doc is None or not as_of:
            return Wording()
        article = replace(unit, label=citation_string(doc.name, "dieu", unit.article))
        return stored_wording(doc.source_kind, article, as_of, self.phapdien_notes(key), doc.snapshot_on)


def unit_of_hit(hit, citation: str = "", clause: str | None = None, point: str | None = None) -> UnitFacts | None:
    """The unit a ClauseHit (or a quoted part of it) is, as status_of reads it; None for a section of a
    document without articles (its status is the document's)."""
    if hit.unit_kind != "dieu":
        return None
    point = hit.point if point is None else point
    return UnitFacts(article=hit.article, clause=hit.clause if clause is None else clause,
                     point="" if "-" in point else point, label=citation or hit.citation,
                     effective_from=hit.effective_from, note=hit.amendment_note)
