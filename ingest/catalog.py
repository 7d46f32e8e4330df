"""The corpus catalogue (corpus/catalog.toml): documents users need, with verified metadata."""
from __future__ import annotations

import re
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


# How a body changed ([[succession]] in the catalogue). "transferred": some of its functions moved to
# another body, which goes on (the former body may also change in another entry).
CHANGE_TYPES = ("renamed", "merged", "split", "abolished", "transferred")
LOCAL_LEVELS = ("province", "district", "commune")  # core.bodies levels of local government


@dataclass(frozen=True)
class Succession:
    """A body renamed, merged, split or abolished, or functions moved from it, by catalogued documents.

    The body is named (`former`, and the other ways texts write it) or, for a whole level of local
    government, given by its level (core.bodies: "district" is cấp huyện). `verified` is False until
    legal staff have checked the entry against the text of the documents that made the change: every
    line the product says from it then ends with "(chưa đối chiếu văn bản)"."""

    change: str
    instruments: tuple[str, ...]  # numbers (or titles) of [[document]] entries, text present or not
    former: str = ""
    former_aliases: tuple[str, ...] = ()
    former_level: str = ""
    successor: str = ""
    successor_aliases: tuple[str, ...] = ()
    functions: str = ""  # what moved ("quản lý nhà nước về báo chí, thông tin đối ngoại")
    effective_from: str = ""  # ISO date from which the change holds
    statement: str = ""  # what changed, when the change type's own wording does not fit
    verified: bool = False
    source: str = ""

    @property
    def former_names(self) -> tuple[str, ...]:
        return tuple(n for n in (self.former, *self.former_aliases) if n)

    @property
    def successor_names(self) -> tuple[str, ...]:
        return tuple(n for n in (self.successor, *self.successor_aliases) if n)


@dataclass
class Catalog:
    entries: list[CatalogEntry] = field(default_factory=list)
    secondary: list[SecondarySource] = field(default_factory=list)
    successions: list[Succession] = field(default_factory=list)

    def entry(self, key: str) -> CatalogEntry | None:
        return next((e for e in self.entries if e.key == key), None)

    def find(self, ref: str) -> CatalogEntry | None:
        """The entry a catalogue field refers to: by number, key, title or alias."""
        ref = (ref or "").strip()
        return next((e for e in self.entries
                     if ref and (ref.upper() in (e.number.upper(), e.key.upper()) or ref == e.title
                                 or ref in e.aliases)), None)

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
_SUCCESSION_KEYS = {"change", "instruments", "former", "former_aliases", "former_level", "successor",
                    "successor_aliases", "functions", "effective_from", "statement", "verified", "source"}


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
    cat.successions = [_succession(path, cat, i, raw) for i, raw in enumerate(data.get("succession", []), 1)]
    return cat


def _succession(path: Path, cat: Catalog, n: int, raw: dict) -> Succession:
    """One [[succession]] entry, checked: a mistake here would put a wrong line under answers."""
    where = f"{path}: [[succession]] thứ {n}"
    unknown = set(raw) - _SUCCESSION_KEYS
    if unknown:
        raise CatalogError(f"{where}: khoá lạ {sorted(unknown)}; hợp lệ: {sorted(_SUCCESSION_KEYS)}")
    lists = ("instruments", "former_aliases", "successor_aliases")
    values = {k: (tuple(v if isinstance(v, list) else [v]) if k in lists else str(v) if k == "effective_from" else v)
              for k, v in raw.items()}
    try:
        s = Succession(**values)
    except TypeError as exc:
        raise CatalogError(f"{where}: thiếu khoá bắt buộc ({exc}); cần change và instruments") from None
    if s.change not in CHANGE_TYPES:
        raise CatalogError(f"{where}: change = {s.change!r} không hợp lệ; chọn một trong {list(CHANGE_TYPES)}")
    if bool(s.former) == bool(s.former_level):
        raise CatalogError(f"{where}: cần đúng một trong former (tên cơ quan) hoặc former_level (cấp chính quyền)")
    if s.former_level and s.former_level not in LOCAL_LEVELS:
        raise CatalogError(f"{where}: former_level = {s.former_level!r} không hợp lệ; chọn một trong {list(LOCAL_LEVELS)}")
    if s.change != "abolished" and not s.successor:
        raise CatalogError(f"{where}: change = {s.change!r} cần successor (cơ quan tiếp nhận)")
    if s.change == "transferred" and not s.functions:
        raise CatalogError(f"{where}: change = 'transferred' cần functions (chức năng được chuyển)")
    if not isinstance(s.verified, bool):
        raise CatalogError(f"{where}: verified phải là true hoặc false")
    if s.effective_from and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", s.effective_from):
        raise CatalogError(f"{where}: effective_from = {s.effective_from!r} phải là ngày dạng 2025-03-01")
    if not s.instruments:
        raise CatalogError(f"{where}: cần instruments (văn bản quy định việc thay đổi)")
    for ref in s.instruments:
        if cat.find(ref) is None:  # catalogued even when its text is missing, so users can ask for it
            raise CatalogError(f"{where}: văn bản {ref!r} chưa có trong danh mục; thêm một [[document]] cho nó")
    return s
