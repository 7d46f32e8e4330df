"""The parsed shape of a legal document: small dataclasses, no behaviour beyond naming.

A document is a list of units. A unit is an Điều (article) in normative texts, or a
numbered section (I., 1., (1) …) in Party documents and official letters that have no Điều.
Units hold khoản (clauses), khoản hold điểm (points). All text is verbatim from the source,
NFC-normalised, with whitespace tidied; nothing is ever written by us.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import KbError
from ingest.identity import document_key, has_identity


@dataclass
class Point:
    """Điểm: "a) …", "đ) …"."""

    label: str  # "a", "đ"
    text: str  # verbatim, including the "a)" marker


@dataclass
class Clause:
    """Khoản: "1. …". `text` is the lead line(s) before the first điểm."""

    number: str  # "1", "2"
    text: str  # verbatim, including the "1." marker
    points: list[Point] = field(default_factory=list)

    @property
    def full_text(self) -> str:
        return "\n".join([self.text, *[p.text for p in self.points]]).strip()


@dataclass
class Article:
    """Điều (kind="dieu") or a numbered section of a document without Điều (kind="section")."""

    number: str  # original number: "7", "13a"; for sections the label: "I", "1", "(1)"
    title: str = ""
    intro: str = ""  # text before the first khoản (verbatim)
    clauses: list[Clause] = field(default_factory=list)
    kind: str = "dieu"
    part: str = ""  # "Phần thứ nhất …"
    chapter: str = ""  # "Chương II. THÔNG TIN …"
    section: str = ""  # "Mục 1. …"
    phapdien_id: str = ""  # "Điều 32.1.NĐ.3.7"
    effective_from: str = ""  # ISO date from the source note, when given
    source_note: str = ""  # the Pháp điển pGhiChu text, verbatim
    amendment_note: str = ""  # "có nội dung được sửa đổi, bổ sung bởi …"
    see_also: list[str] = field(default_factory=list)  # pChiDan references
    url: str = ""

    @property
    def full_text(self) -> str:
        parts = [self.intro] if self.intro else []
        parts += [c.full_text for c in self.clauses]
        return "\n".join(p for p in parts if p).strip()


@dataclass
class LegalDocument:
    """One legal document, rebuilt from its units and header metadata."""

    number: str = ""  # "72/2015/NĐ-CP"; empty for documents identified by title
    doc_type: str = ""  # "Nghị định", "Luật", "Thông tư", "Công văn", "Kết luận", …
    title: str = ""  # "Về quản lý hoạt động thông tin đối ngoại"
    issuer: str = ""  # "Chính phủ"
    issued_on: str = ""  # ISO date
    effective_from: str = ""  # ISO date
    place: str = ""  # "Hà Nội"
    status: str = ""  # from the catalogue / source notes: "in_force", "amended", "secondary", ""
    # The words that mark the file as a draft ("DỰ THẢO", "Dự thảo lần 2 - lấy ý kiến"), verbatim from its
    # header or file name; "" = none. A draft changes no other document (ingest.amendments.may_amend).
    draft: str = ""
    source_kind: str = "original"  # "phapdien" | "original" | "benchmark" | "secondary"
    source_path: str = ""
    source_url: str = ""
    # Pháp điển: its đề mục file is up to at least this date (ISO; ingest.readers.phapdien.snapshot_date).
    snapshot_on: str = ""
    preamble: str = ""  # "Căn cứ …" lines, verbatim
    signature: str = ""  # signature block, verbatim
    units: list[Article] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # structure problems worth showing staff
    # identity when there is neither number nor title: file name + content hash (set by read_path)
    fallback_key: str = ""
    # Staff corrections of the header facts applied to this reading (KnowledgeStore._prepare):
    # {override field: {"read": value as read, "value": as corrected, "kept": re-applied from an
    # earlier version}}, and the key as read, before them (corrections are kept under both keys).
    corrections: dict[str, dict] = field(default_factory=dict)
    read_key: str = ""

    @property
    def key(self) -> str:
        """Identity: the document number, or for documents without one, the title, else the fallback."""
        if has_identity(self.number, self.title):
            return document_key(self.number, self.title, self.doc_type)
        return self.fallback_key or document_key(self.number, self.title, self.doc_type)


@dataclass(frozen=True)
class NodeMeta:
    """What a clause node knows about itself, written by ingest.nodes and read back everywhere
    (retrieval, lookup, the UI, Chroma). Stored as JSON in the registry; `from_dict` refuses a
    row without the keys a citation needs, so a renamed key fails loudly instead of reading "".
    """

    doc_key: str
    citation: str
    path: str
    article: str
    document_number: str = ""
    document_name: str = ""
    doc_type: str = ""
    doc_title: str = ""
    issuer: str = ""
    issued_on: str = ""
    doc_effective_from: str = ""
    status: str = ""
    source_kind: str = ""
    unit_kind: str = "dieu"
    article_title: str = ""
    chapter: str = ""
    section: str = ""
    part: str = ""
    phapdien_id: str = ""
    effective_from: str = ""
    amendment_note: str = ""
    url: str = ""
    clause: str = ""
    point: str = ""
    # Units this node's text refers to ("khoản 2 Điều này", "điểm c khoản 1 Điều 52 Luật báo chí"),
    # as canonical citation strings (ingest.crossrefs); followed when the node is quoted.
    references: tuple[str, ...] = ()
    # Who the document applies to, read from its scope articles (core.bodies actor kinds); () = not said.
    scope: tuple[str, ...] = ()

    REQUIRED = ("doc_key", "citation", "path", "article")

    @classmethod
    def from_dict(cls, data: dict) -> "NodeMeta":
        missing = [k for k in cls.REQUIRED if k not in data]
        if missing:
            raise KeyError(f"node metadata lacks {missing}; re-ingest with `kb ingest --force`")
        names = cls.__dataclass_fields__
        values = {k: ("" if v is None else v) for k, v in data.items() if k in names}
        values["references"] = tuple(values.get("references") or ())
        values["scope"] = tuple(values.get("scope") or ())
        return cls(**values)

    def to_dict(self) -> dict:
        # every field is a string or a tuple of strings: a shallow copy is what asdict's deep walk
        # returns, at a tenth of the cost (called for every node stored)
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


class ReaderError(KbError):
    """A file cannot be used. The message names the file and the reason (in Vietnamese)."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class NothingToStore(ReaderError):
    """A well-formed file that holds no legal text: skipped with its reason, not refused (an empty
    Pháp điển đề mục, a heading and nothing else, is part of the official package)."""
