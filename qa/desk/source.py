"""What the official's desk reads: each stored document's units in force on a date.

The desk's tools (qa.desk.duties, qa.desk.deadlines) are pure functions over `DeskDocument`s; this
module is the one place that reads them from the registry. Whether a document or an article is in
force on a date is decided by `in_force` alone, so a fuller status model can replace it there.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ingest.identity import citation_string, document_name, formal_citation
from ingest.model import Article
from ingest.registry import DocumentRow, Registry
from qa.amended import relations_for, units_in_force
from qa.references import DocDescriptor

# Statuses that take a document off the desk: a secondary source is not law, the others have ended.
NOT_BINDING = frozenset({"secondary", "expired", "replaced", "repealed"})


@dataclass(frozen=True)
class DeskDocument:
    """One document as the desk reads it: its naming facts and its units in force on `as_of`."""

    key: str
    name: str  # how a citation names it: "Nghị định 72/2015/NĐ-CP"
    number: str = ""
    doc_type: str = ""
    issued_on: str = ""
    issuer: str = ""
    units: tuple[Article, ...] = ()
    as_of: str = ""

    def citation(self, article: str, clause: str = "", point: str = "", kind: str = "dieu") -> str:
        return citation_string(self.name, kind, article, clause, point)

    def formal(self, citation: str) -> str:
        """"khoản 3 Điều 7 Nghị định số 72/2015/NĐ-CP ngày 07/9/2015 của Chính phủ" (a checklist's column)."""
        return formal_citation(citation, self.name, self.number, self.doc_type, self.issued_on, self.issuer)


def in_force(doc: DocumentRow, unit: Article | None, as_of: str) -> bool:
    """Whether the document (and the article, when given) binds on `as_of` (ISO date). The desk's only
    test of force: from its effective date (the article's own, else the document's, else its date of
    issue); never a secondary source or a document that has ended."""
    if (doc.status or "") in NOT_BINDING:
        return False
    start = (unit.effective_from if unit is not None else "") or doc.effective_from or doc.issued_on
    return not start or start <= as_of


def _drop_repealed(units: list[Article], repealed: set[tuple[str, str, str]]) -> list[Article]:
    """The units without those repealed by then (an article, a clause or a point)."""
    if not repealed:
        return units
    out = []
    for u in units:
        if (u.number, "", "") in repealed:
            continue
        clauses = []
        for c in u.clauses:
            if (u.number, c.number, "") in repealed:
                continue
            clauses.append(replace(c, points=[p for p in c.points if (u.number, c.number, p.label) not in repealed]))
        out.append(replace(u, clauses=clauses))
    return out


def desk_document(row: DocumentRow, units: list[Article], as_of: str) -> DeskDocument:
    return DeskDocument(key=row.key, name=document_name(row.number, row.doc_type, row.title), number=row.number,
                        doc_type=row.doc_type, issued_on=row.issued_on, issuer=row.issuer, units=tuple(units),
                        as_of=as_of)


def units_in_force_of(registry: Registry, row: DocumentRow, stored: list[Article], rels: list,
                      loaded_keys: set[str], as_of: str) -> list[Article]:
    """A document's articles in force on `as_of`: the amendments whose amending document is in the base
    applied, the repealed units left out, the articles not yet in force dropped."""
    units = stored
    if rels:
        units, repealed, _ = units_in_force(units, rels, loaded_keys, as_of)
        units = _drop_repealed(units, repealed)
    return [u for u in units if in_force(row, u, as_of)]


def documents_in_force(registry: Registry, loaded: list[DocDescriptor], as_of: str) -> list[DeskDocument]:
    """Every stored document in force on `as_of`, with its articles in force, the amendments whose
    amending document is in the base applied and the repealed units left out (qa.amended)."""
    loaded_keys = {d.key for d in loaded}
    out = []
    for d in loaded:
        row = registry.document(d.key)
        if row is None or not in_force(row, None, as_of):
            continue
        units = units_in_force_of(registry, row, registry.units(d.key), relations_for(registry, d), loaded_keys, as_of)
        if units:
            out.append(desk_document(row, units, as_of))
    return out
