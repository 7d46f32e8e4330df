"""Bộ pháp điển đề mục HTML -> documents rebuilt from their articles.

Each article (`pDieu`) is mapped back to its source document and ORIGINAL article number through
its source note (`pGhiChu`): "(Điều 7 Nghị định số 72/2015/NĐ-CP, có hiệu lực thi hành kể từ
ngày 22/10/2015)". Citations must use those numbers, never the Pháp điển numbering.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from core.vocab import DOC_TYPES as VOCAB_DOC_TYPES
from ingest.model import Article, LegalDocument, ReaderError
from ingest.structure import split_clauses
from ingest.text import clean_line, html_fragment_to_lines

# Longest first ("Thông tư liên tịch" before "Thông tư"); notes also write "Bộ Luật".
DOC_TYPES = sorted((*VOCAB_DOC_TYPES, "Bộ Luật"), key=len, reverse=True)
_TYPE_ALT = "|".join(re.escape(t) for t in DOC_TYPES)
_DATE = r"(\d{1,2})/(\d{1,2})/(\d{4})"

_MARKER_RE = re.compile(r"<p class='(pChuong|pDieu|pGhiChu|pNoiDung|pChiDan)'>")
_NOTE_HEAD_RE = re.compile(
    rf"^\(*\s*(?:(?:Điều|Mục)\s+(?:(?P<art>[0-9IVXLC]+[a-zđ]?)\s+)?)?(?P<type>{_TYPE_ALT})\s+(?:số\s+(?P<number>[^\s,]+))?(?P<rest>.*)$",
    re.S,
)
_EFFECTIVE_RE = re.compile(rf"có hiệu lực thi hành kể từ ngày\s*{_DATE}")
_TITLE_RE = re.compile(rf"^\s*(?P<title>.*?)\s+ngày\s+{_DATE}\s+của\s+(?P<issuer>[^,]+)", re.S)
_ANCHOR_RE = re.compile(r"#(?:(?:Phan_\w+?_)?Chuong_(?P<chuong>[IVXLC]+)_)?(?:Muc_\w+?_)?Dieu_(?P<dieu>\d+[a-zđ]?)")
_PD_ID_RE = re.compile(r"^(Điều\s+\d+\.\d+\.[^\s]+?)\.?\s+(.*)$")


@dataclass
class SourceNote:
    """What a pGhiChu says about the article's origin."""

    article: str
    doc_type: str
    number: str
    title: str
    issuer: str
    issued_on: str
    effective_from: str
    amendment: str


def _iso(d: str, m: str, y: str) -> str:
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"


def parse_source_note(note: str) -> SourceNote | None:
    """Parse a pGhiChu text. Returns None when it names no document type."""
    note = clean_line(note)
    m = _NOTE_HEAD_RE.match(note.lstrip("("))
    if not m:
        return None
    rest = m.group("rest")
    eff = _EFFECTIVE_RE.search(rest)
    head = rest[: eff.start()] if eff else rest
    title = issuer = issued = ""
    t = _TITLE_RE.match(head)
    if t:
        title, issuer = clean_line(t.group("title")), clean_line(t.group("issuer"))
        issued = _iso(t.group(2), t.group(3), t.group(4))
    elif not m.group("number"):
        # "Điều 2 Pháp lệnh Về Quyền ưu đãi …, có hiệu lực …": the title identifies the document
        title = clean_line(head.strip(" ,"))
    amendment = ""
    if eff:
        tail = rest[eff.end():].strip(" ,.)")
        if tail:
            amendment = clean_line(tail)
    return SourceNote(
        article=m.group("art") or "",
        doc_type=m.group("type").replace("Bộ Luật", "Bộ luật"),
        number=(m.group("number") or "").rstrip(".,"),
        title=title,
        issuer=issuer,
        issued_on=issued,
        effective_from=_iso(*eff.groups()) if eff else "",
        amendment=amendment,
    )


def _strip_tags(fragment: str) -> str:
    return " ".join(html_fragment_to_lines(fragment))


def _iter_blocks(html_text: str):
    """Yield (class, inner_html) for each marked paragraph, in order."""
    marks = list(_MARKER_RE.finditer(html_text))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(html_text)
        yield m.group(1), html_text[m.end():end]


def parse_phapdien_html(html_text: str, source_path: str = "") -> list[LegalDocument]:
    """Rebuild the source documents of one đề mục file from its articles, in first-seen order."""
    if "class='pDieu'" not in html_text:
        raise ReaderError(source_path, "không phải tệp đề mục Bộ pháp điển (không có thẻ pDieu)")
    docs: dict[str, LegalDocument] = {}
    current: Article | None = None
    pending: dict | None = None  # article being read: its pd id, title, note

    def finish():
        nonlocal pending
        if not pending:
            return
        note: SourceNote | None = pending.get("note")
        art = pending["article"]
        if note is None:
            docs.setdefault("?", LegalDocument(source_kind="phapdien")).warnings.append(
                f"{art.phapdien_id}: không đọc được ghi chú nguồn; bỏ qua"
            )
            pending = None
            return
        key = note.number.upper() if note.number else f"{note.doc_type} {note.title}".lower()
        doc = docs.get(key)
        if doc is None:
            doc = docs[key] = LegalDocument(
                number=note.number, doc_type=note.doc_type, title=note.title, issuer=note.issuer,
                issued_on=note.issued_on, effective_from=note.effective_from, status="",
                source_kind="phapdien", source_path=source_path,
            )
        else:
            doc.title = doc.title or note.title
            doc.issuer = doc.issuer or note.issuer
            doc.issued_on = doc.issued_on or note.issued_on
            if note.effective_from and (not doc.effective_from or note.effective_from < doc.effective_from):
                doc.effective_from = note.effective_from
        if not doc.source_url and art.url:
            doc.source_url = art.url.split("#")[0]
        if not art.number:
            doc.warnings.append(f"{art.phapdien_id}: ghi chú nguồn không ghi số điều gốc; dùng số theo liên kết/pháp điển")
            a = _ANCHOR_RE.search(art.url or "")
            art.number = a.group("dieu") if a else art.phapdien_id.rsplit(".", 1)[-1]
        if any(u.number == art.number for u in doc.units):
            doc.warnings.append(f"Điều {art.number} xuất hiện hai lần ({art.phapdien_id}); giữ bản đầu")
        else:
            doc.units.append(art)
        pending = None

    for cls, inner in _iter_blocks(html_text):
        if cls == "pDieu":
            finish()
            heading = _strip_tags(inner)
            m = _PD_ID_RE.match(heading)
            pd_id, title = (m.group(1), m.group(2)) if m else (heading, "")
            current = Article(number="", title=clean_line(title), phapdien_id=pd_id)
            pending = {"article": current, "note": None}
        elif cls == "pGhiChu" and current is not None:
            href = re.search(r"href='([^']+)'", inner)
            current.url = href.group(1) if href and href.group(1).startswith("http") else ""
            current.source_note = _strip_tags(inner)
            note = parse_source_note(current.source_note)
            pending["note"] = note
            if note:
                current.number = note.article if note.article and note.article[0].isdigit() else ""
                current.effective_from = note.effective_from
                current.amendment_note = note.amendment
                a = _ANCHOR_RE.search(current.url)
                if a and a.group("chuong"):
                    current.chapter = f"Chương {a.group('chuong')}"
        elif cls == "pNoiDung" and current is not None:
            lines = html_fragment_to_lines(inner)
            current.intro, current.clauses = split_clauses(lines)
        elif cls == "pChiDan" and current is not None:
            text = _strip_tags(inner)
            body = re.sub(r"^\(?Điều này có nội dung liên quan đến\s*", "", text).rstrip(")")
            current.see_also = [clean_line(s) for s in body.split(";") if s.strip()]
    finish()
    # Articles whose source note could not be read are left out (their original document and number
    # are unknown); the warning travels with the file's first document so the ingest report shows it.
    orphan = docs.pop("?", None)
    if orphan is not None and docs:
        next(iter(docs.values())).warnings.extend(orphan.warnings)
    snapshot = snapshot_date(html_text)
    for doc in docs.values():
        if any(u.amendment_note for u in doc.units):
            doc.status = "amended"
        doc.snapshot_on = snapshot
    return list(docs.values())


# Issue dates the notes name: "… Báo chí ngày 05/04/2016 của Quốc hội" (pGhiChu), "… ban hành ngày
# 29/09/2021" (pChiDan). Effective dates are left out: a text may be codified before it takes effect.
_ISSUED_RE = re.compile(rf"(?:ban hành\s+)?ngày\s*{_DATE}\s*(?:của|</a>)")
_NOTES_RE = re.compile(r"class='(?:pGhiChu|pChiDan)'>(.*?)</p>", re.S)


def snapshot_date(html_text: str) -> str:
    """The date the đề mục file is known to be up to: the latest issue date its notes name (ISO; "" when
    none). The files carry no date of their own (nor does the package's SOURCE.md), and a text is
    codified only once issued, so the Pháp điển snapshot of this file is no earlier than this."""
    dates = [_iso(*m.groups()) for note in _NOTES_RE.findall(html_text) for m in _ISSUED_RE.finditer(note)]
    return max(dates, default="")


# An đề mục file of the official package: its heading ("Đề mục 26.1 Giá") and the list button.
_DEMUC_FILE_RE = re.compile(r"Đề mục\s+\d+(?:\.\d+)*\s*<br|ViewDanhSachVB\(")


def is_empty_demuc(html_head: str) -> bool:
    """An đề mục file of the Pháp điển package with no article: a heading, maybe "(loại bỏ)", nothing
    else (91 of the 301 files are under 2 KB)."""
    return bool(_DEMUC_FILE_RE.search(html_head)) and "class='pDieu'" not in html_head


def read_phapdien_file(path: str) -> list[LegalDocument]:
    try:
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        raise ReaderError(path, f"không phải văn bản UTF-8 ({exc.reason})") from exc
    return parse_phapdien_html(text, source_path=str(path))
