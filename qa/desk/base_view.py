"""What the desk's tools read of the knowledge base, and nothing else: documents loaded and catalogued,
their facts, the amendment relations on them, the units (through the lookup), what stored texts say
about a document, and retrieval. The tools (qa.desk.basis_check, qa.desk.trace) are functions of
this view and the draft; the view is built over a KnowledgeBase (qa.service), once per check.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ingest.amendments import Amendment
from ingest.catalog import CatalogEntry
from ingest.identity import document_name
from qa.amended import relations_for
from qa.lookup import lookup_reference
from qa.references import DocDescriptor
from qa.succession import notes_for
from qa.types import LookupResult

MENTIONS = 50  # nodes read for what stored texts say about one document, at most (the registry's order)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """Lower case as SQLite's LIKE compares (ASCII letters only: "Đ" stays "Đ")."""
    return text.translate(_ASCII_LOWER)


# Who does now what a body the draft addresses used to do (corpus/catalog.toml [[succession]]):
# (texts, ISO date) -> one line per change (qa.succession.notes_for over the catalogue, by default).
BodyNotes = Callable[[list[str], str], list[str]]


@dataclass(frozen=True)
class Facts:
    """A document's header facts, from the registry when its text is stored, else from the catalogue."""

    key: str
    name: str  # "Nghị định 72/2015/NĐ-CP", how citations name it
    number: str = ""
    doc_type: str = ""
    title: str = ""
    issuer: str = ""
    issued_on: str = ""
    effective_from: str = ""
    status: str = ""
    source_kind: str = ""
    stored: bool = False  # its text is in the base


class BaseView:
    def __init__(self, kb, body_notes: BodyNotes | None = None):
        self.kb = kb
        self.registry = kb.store.registry
        self.catalog = kb.store.catalog
        self.loaded: list[DocDescriptor] = kb.retriever.descriptors()
        self.catalogued: list[DocDescriptor] = kb.catalogued_descriptors()
        self.loaded_keys = {d.key for d in self.loaded}
        self._body_notes = body_notes or (lambda texts, as_of: notes_for(texts, self.catalog, as_of))
        self._relations: dict[str, list[Amendment]] = {}
        self._mentions: dict[tuple, list] = {}

    # ---- documents
    def entry(self, key: str) -> CatalogEntry | None:
        return self.catalog.entry(key)

    def facts(self, key: str) -> Facts | None:
        row = self.registry.document(key)
        e = self.entry(key)
        if row is not None:
            return Facts(key, document_name(row.number, row.doc_type, row.title), row.number, row.doc_type, row.title,
                         row.issuer or (e.issuer if e else ""), row.issued_on or (e.issued_on if e else ""),
                         row.effective_from or (e.effective_from if e else ""), row.status, row.source_kind, True)
        if e is not None:
            return Facts(key, document_name(e.number, e.doc_type, e.title), e.number, e.doc_type, e.title, e.issuer,
                         e.issued_on, e.effective_from, e.status, "", False)
        return None

    def replaced_by(self, key: str) -> list[str]:
        """Names of the documents the catalogue says replace this one."""
        return [self.name_of(t) for rel, t in self.catalog.relations_of(key) if rel == "replaced_by"]

    def name_of(self, key: str) -> str:
        f = self.facts(key)
        return f.name if f else key

    def relations(self, desc: DocDescriptor) -> list[Amendment]:
        if desc.key not in self._relations:
            self._relations[desc.key] = relations_for(self.registry, desc)
        return self._relations[desc.key]

    # ---- units
    def lookup(self, reference: str, as_of: str | None) -> LookupResult:
        return lookup_reference(self.registry, self.loaded, self.catalogued, reference, as_of, suggest=False)

    def nodes_mentioning(self, fragment: str, any_of: tuple[str, ...] = ()) -> list:
        """Stored nodes whose text holds `fragment` and one of `any_of`, the first MENTIONS in the
        registry's order (remembered for the check). With `any_of`, read from the nodes holding one of
        those words, which the knowledge base keeps per registry generation: one scan of every node for
        all the documents of all the checks, not one per document (seconds each on the whole Pháp điển).
        Matched as SQLite's LIKE does (Registry.nodes_mentioning): ASCII letters in either case."""
        key = (fragment, any_of)
        if key not in self._mentions:
            if any_of:
                wanted = ascii_lower(fragment)
                found = []
                for low, node in self.kb.nodes_with_words(any_of):
                    if wanted in low:
                        found.append(node)
                        if len(found) == MENTIONS:
                            break
                self._mentions[key] = found
            else:
                self._mentions[key] = self.registry.nodes_mentioning(fragment, any_of, MENTIONS)
        return self._mentions[key]

    # ---- bodies addressed
    def body_notes(self, texts: list[str], as_of: str) -> list[str]:
        """The bodies the texts name that no longer exist as named on the date, with who does it now."""
        return self._body_notes(texts, as_of)

    # ---- retrieval (qa.desk.trace)
    def retrieve(self, text: str, k: int, as_of: str | None, documents: list[str] | None):
        return self.kb.retrieve(text, k=k, as_of=as_of, documents=documents)

    @property
    def ranker(self):
        return self.kb.retriever.ranker
