"""The desk's view on a date read from its index (qa.desk.index) instead of every article.

Same rows as qa.desk.view.DeskView over documents_in_force (tests/test_desk_index.py compares them):
the documents and articles in force are decided by qa.desk.source as before; an article's rows come
from the index when its text in force is the stored one, and are read again when an amendment in the
base or a repeal changed it (the few documents with relations).
"""
from __future__ import annotations

from ingest.registry import Registry
from qa.amended import relations_for
from qa.desk.deadlines import Deadline
from qa.desk.duties import Duty, names_any
from qa.desk.index import DeskIndex, decode, read_article
from qa.desk.source import desk_document, in_force, units_in_force_of
from qa.desk.view import DeskView
from qa.references import DocDescriptor, match_documents, parse_reference


def _related(registry: Registry, loaded: list[DocDescriptor]) -> set[str]:
    """The documents some amendment relation may bear on (relations_for is asked only for these)."""
    keys = {k for (k,) in registry.db.execute("SELECT DISTINCT target_key FROM amendments WHERE target_key != ''")}
    refs = [parse_reference(a.target_ref) for a in registry.amendments("") if a.target_ref]
    if refs:
        keys |= {d.key for d in loaded if any(match_documents(r, [d]) for r in refs)}
    return keys


class IndexedDeskView(DeskView):
    def __init__(self, registry: Registry, loaded: list[DocDescriptor], as_of: str, index: DeskIndex):
        super().__init__((), as_of)
        self.index = index
        loaded_keys = {d.key for d in loaded}
        related = _related(registry, loaded)
        starts = index.starts()
        self._order: list[str] = []  # documents in force, in the registry's order
        self._live: dict[str, tuple] = {}  # key -> (DeskDocument of its units in force, its stored units)
        for d in loaded:
            row = registry.document(d.key)
            if row is None or not in_force(row, None, as_of):
                continue
            # only a change read from an amending document in the base, in effect by the date, changes a text
            # (qa.amended.units_in_force, ingest.amendments.apply_amendments): without one it reads as stored
            rels = [a for a in relations_for(registry, d) if a.amending_key in loaded_keys and a.source == "text"
                    and a.effective_from and a.effective_from <= as_of] if d.key in related else []
            if rels:
                stored = registry.units(d.key)
                units = units_in_force_of(registry, row, stored, rels, loaded_keys, as_of)
                if units:
                    self._live[d.key] = (desk_document(row, units, as_of), stored)
                    self._order.append(d.key)
            elif any(not s or s <= as_of for s in starts.get(d.key, [])):
                self._order.append(d.key)
        self.documents = len(self._order)

    def rows(self, kinds: frozenset[str] | None = None) -> tuple[list[Duty], list[Deadline]]:
        with self._lock:
            if kinds not in self._rows:
                self._rows[kinds] = self._read(kinds)
            return self._rows[kinds]

    def _read(self, kinds: frozenset[str] | None) -> tuple[list[Duty], list[Deadline]]:
        by_doc = self.index.articles_naming(kinds)
        duties: list[Duty] = []
        deadlines: list[Deadline] = []
        for key in self._order:
            found = by_doc.get(key, [])
            if key not in self._live:
                for _pos, _kind, _number, start, blob in found:
                    if not start or start <= self.as_of:
                        d, t = decode(blob)
                        duties += d
                        deadlines += t
                continue
            doc, stored = self._live[key]
            at = {(u.kind, u.number): u for u in stored}
            indexed = {(kind, number): blob for _pos, kind, number, _start, blob in found}
            for a in doc.units:
                if at.get((a.kind, a.number)) == a:  # the stored text is the one in force
                    blob = indexed.get((a.kind, a.number))
                    if blob is None:
                        continue
                    d, t = decode(blob)
                elif kinds is None or names_any(a, kinds):  # amended or partly repealed by then: read as in force
                    d, t = read_article(doc, a)
                else:
                    continue
                duties += d
                deadlines += t
        return duties, deadlines
