"""A draft, letter or plan brought to the desk, read into passages (pure, over ingest's readers).

    read_draft_file("du-thao.docx", limits)  -> Draft (DOCX, PDF, DOC, HTML, TXT: ingest.readers)
    read_draft_text("Căn cứ …\nĐiều 1. …")    -> Draft (pasted text: the same parser, no file)

A passage is one piece of the text with its place: a "Căn cứ" line of the preamble, an article's
opening words, a khoản, a điểm, or a numbered section of a letter. The place is what a relative
reference ("khoản 2 Điều này") is resolved against and what the desk's reports are arranged by.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.errors import KbError
from core.vocab import nfc, unit_label
from ingest.document_parser import PREAMBLE_RE, parse_document_lines
from ingest.limits import DEFAULT_LIMITS, Limits
from ingest.model import Article, LegalDocument

PASTED = "văn bản dán vào"


class DraftError(KbError):
    """The draft cannot be read or is too long; the message says which and what to do."""


@dataclass(frozen=True)
class Passage:
    label: str  # "Căn cứ 2", "Khoản 1 Điều 3", "Điểm a khoản 1 Điều 3", "Mục (2)", "Mở đầu"
    text: str  # verbatim
    kind: str = "body"  # "basis" (a Căn cứ line), "intro" (before a unit's khoản), "clause", "point", "section"
    unit_kind: str = ""  # "dieu" | "section" | ""
    article: str = ""
    clause: str = ""
    point: str = ""


@dataclass
class Draft:
    name: str  # file name, or PASTED
    doc: LegalDocument
    passages: list[Passage] = field(default_factory=list)

    @property
    def date(self) -> str:
        """The date in the draft's header (ISO), "" when it has none."""
        return self.doc.issued_on

    def has_unit(self, article: str, clause: str = "", point: str = "") -> bool:
        """Does the draft itself have this Điều (khoản, điểm)?"""
        unit = next((u for u in self.doc.units if u.kind == "dieu" and u.number.lower() == article.lower()), None)
        if unit is None:
            return False
        c = next((c for c in unit.clauses if c.number == clause), None) if clause else None
        if clause and c is None:
            return False
        if point:
            points = c.points if c is not None else [p for c in unit.clauses if not c.number for p in c.points]
            return any(p.label == point for p in points)
        return True

    @property
    def has_articles(self) -> bool:
        return any(u.kind == "dieu" for u in self.doc.units)


def _basis_lines(preamble: str) -> list[str]:
    """The preamble's "Căn cứ …" lines, a wrapped line joined to the one it continues."""
    out: list[str] = []
    for line in (preamble or "").split("\n"):
        line = line.strip()
        if not line:
            continue
        if out and not PREAMBLE_RE.match(line) and line[:1].islower():
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return [l for l in out if l.startswith("Căn cứ")]  # "Theo đề nghị của …" names a proposer, not a basis


def _unit_passages(u: Article) -> list[Passage]:
    where = unit_label(u.kind, u.number) if u.number else (u.title or "Mở đầu")
    base = dict(unit_kind=u.kind, article=u.number if u.kind == "dieu" else "")
    out = []
    if u.intro:
        out.append(Passage(where, u.intro, "intro" if u.kind == "dieu" else "section", **base))
    for c in u.clauses:
        clause_label = f"Khoản {c.number} {where}" if c.number else where
        if c.text:
            out.append(Passage(clause_label, c.text, "clause", clause=c.number, **base))
        for p in c.points:
            inside = f"k{clause_label[1:]}" if c.number else clause_label  # "Điểm a khoản 1 Điều 3"
            out.append(Passage(f"Điểm {p.label} {inside}", p.text, "point",
                               clause=c.number, point=p.label, **base))
    return out


def draft_from_document(doc: LegalDocument, name: str) -> Draft:
    passages = [Passage(f"Căn cứ {i}", line, "basis") for i, line in enumerate(_basis_lines(doc.preamble), 1)]
    for u in doc.units:
        passages += _unit_passages(u)
    return Draft(name=name, doc=doc, passages=passages)


def _check_length(text: str, max_chars: int, name: str) -> None:
    if len(text) > max_chars:
        raise DraftError(f"{name}: dài {len(text):,} ký tự, vượt giới hạn {max_chars:,} ký tự (KB_DESK_MAX_CHARS). "
                         "Hãy chia văn bản thành nhiều phần.".replace(",", "."))


def read_draft_text(text: str, max_chars: int, name: str = PASTED) -> Draft:
    """Pasted text: the parser that reads files reads it (header, Căn cứ, Điều / khoản / điểm, sections)."""
    text = nfc(text or "").strip()
    if not text:
        raise DraftError("Chưa có nội dung: dán văn bản hoặc tải tệp lên.")
    _check_length(text, max_chars, name)
    return draft_from_document(parse_document_lines(text.splitlines(), source_path=name), name)


def read_draft_file(path: str, max_chars: int, limits: Limits = DEFAULT_LIMITS) -> Draft:
    """A file read by ingest's readers (ReaderError names the file and the reason); nothing is stored."""
    from ingest.read_worker import read_bounded  # format detection pulls in the PDF/DOCX libraries

    docs = read_bounded(str(path), limits)  # in a child process when the limits say so (the settings' default)
    if not docs:
        raise DraftError(f"{path}: không đọc được nội dung văn bản.")
    doc = docs[0]
    name = Path(path).name
    _check_length("\n".join([doc.preamble, *(u.full_text for u in doc.units)]), max_chars, name)
    return draft_from_document(doc, name)
