"""The corpus catalogue (corpus/catalog.toml): documents users need, with verified metadata."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import KbError
from ingest.identity import document_key
from ingest.model import LegalDocument

RELATION_LABELS = {
    "guides": "Hướng dẫn",
    "guided_by": "Được hướng dẫn bởi",
    "implements": "Triển khai thực hiện",
    "implemented_by": "Được triển khai bởi",
    "amends": "Sửa đổi, bổ sung",
    "amended_by": "Được sửa đổi, bổ sung bởi",
    "replaces": "Thay thế",
    "replaced_by": "Bị thay thế bởi",
}


class CatalogError(KbError, ValueError):
    """corpus/catalog.toml cannot be used; the message names the file and the key."""


@dataclass
class CatalogEntry:
    number: str
    doc_type: str
    title: str
    issuer: str = ""
    issued_on: str = ""
    issued_year: int | None = None
    effective_from: str = ""
    status: str = ""
    status_note: str = ""
    aliases: list[str] = field(default_factory=list)
    relations: list[dict] = field(default_factory=list)
    text: str = ""
    source: str = ""

    @property
    def key(self) -> str:
        return document_key(self.number, self.title, self.doc_type)


@dataclass
class SecondarySource:
    file: str
    doc_type: str
    title: str
    issuer: str = ""
    issued_on: str = ""
    about: str = ""
    note: str = ""


@dataclass
class Catalog:
    entries: list[CatalogEntry] = field(default_factory=list)
    secondary: list[SecondarySource] = field(default_factory=list)

    def entry(self, key: str) -> CatalogEntry | None:
        return next((e for e in self.entries if e.key == key), None)

    def relations_of(self, key: str) -> list[tuple[str, str]]:
        """(relation type, target key) including inverses declared on other entries."""
        inverse = {"guides": "guided_by", "implements": "implemented_by", "amends": "amended_by", "replaces": "replaced_by"}
        inverse |= {v: k for k, v in inverse.items()}
        out = []
        for e in self.entries:
            for r in e.relations:
                if e.key == key:
                    out.append((r["type"], r["target"].upper()))
                elif r["target"].upper() == key:
                    out.append((inverse.get(r["type"], r["type"]), e.key))
        seen, uniq = set(), []
        for r in out:
            if r not in seen:
                seen.add(r)
                uniq.append(r)
        return uniq

    def apply_secondary(self, doc: LegalDocument) -> LegalDocument:
        """A file listed as a secondary source is labelled so, whatever its header says."""
        name = Path(doc.source_path).name
        for s in self.secondary:
            if s.file == name:
                doc.number, doc.doc_type, doc.title = "", s.doc_type, s.title
                doc.issuer, doc.issued_on = s.issuer or doc.issuer, s.issued_on or doc.issued_on
                doc.status, doc.source_kind = "secondary", "secondary"
        return doc

    def apply_metadata(self, doc: LegalDocument) -> LegalDocument:
        """Fill gaps from the catalogue (never overwrite what the document itself says)."""
        e = self.entry(doc.key)
        if e:
            doc.issuer = doc.issuer or e.issuer
            doc.issued_on = doc.issued_on or e.issued_on
            doc.effective_from = doc.effective_from or e.effective_from
            if not doc.status or (doc.status != "amended" and e.status):
                doc.status = doc.status if doc.status == "amended" else (e.status or doc.status)
        return doc


_ENTRY_KEYS = {"number", "type", "title", "issuer", "issued_on", "issued_year", "effective_from", "status",
               "status_note", "aliases", "relations", "text", "source"}
_SECONDARY_KEYS = {"file", "type", "title", "issuer", "issued_on", "about", "note"}


def _records(path: Path, rows: list[dict], allowed: set[str], dates: tuple[str, ...], cls) -> list:
    """Check keys (unknown ones fail, listing the valid ones), rename `type`, keep dates as ISO text."""
    out = []
    for raw in rows:
        unknown = set(raw) - allowed
        if unknown:
            raise CatalogError(f"{path}: khoá lạ {sorted(unknown)}; hợp lệ: {sorted(allowed)}")
        raw = {("doc_type" if k == "type" else k): (str(v) if k in dates else v) for k, v in raw.items()}
        out.append(cls(**raw))
    return out


def load_catalog(path: Path) -> Catalog:
    if not path.is_file():
        return Catalog()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path}: TOML không hợp lệ ({exc})") from exc
    cat = Catalog()
    cat.entries = _records(path, data.get("document", []), _ENTRY_KEYS, ("issued_on", "effective_from"), CatalogEntry)
    cat.secondary = _records(path, data.get("secondary", []), _SECONDARY_KEYS, ("issued_on",), SecondarySource)
    return cat
