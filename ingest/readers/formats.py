"""File -> list of clean text lines, one reader per format (.txt/.md, .html, .pdf, .docx, .doc, images).

Each reader returns NFC-normalised, whitespace-tidied, non-empty lines in reading order and
raises ReaderError (message in Vietnamese, naming the file) when the file cannot be used.
Structure (Điều, khoản …) is not decided here: that is ingest.document_parser's job. The only
structural knowledge used is "does this line start a new unit?", so that lines a PDF wrapped
can be joined back without gluing two khoản together.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

from core.vocab import DOCUMENT_EXTENSIONS, HTML_EXTENSIONS, IMAGE_EXTENSIONS, TEXT_EXTENSIONS
from ingest.limits import (BROKEN_DOCX, BROKEN_PDF, DEFAULT_LIMITS, Deadline, Limits, check_file_size,
                           check_paragraphs, check_text_size, check_unzipped_size)
from ingest.model import ReaderError
from ingest.readers.legacy_encoding import RunTally, docx_paragraph_text, uses_legacy_fonts
from ingest.text import clean_lines, html_fragment_to_lines

SUPPORTED_EXTENSIONS = DOCUMENT_EXTENSIONS

NO_TEXT_LAYER = "PDF không có lớp văn bản (bản scan?)"


# ---------------------------------------------------------------- bytes and text


def _read_bytes(path, limits: Limits = DEFAULT_LIMITS) -> bytes:
    check_file_size(path, limits)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ReaderError(str(path), f"không mở được tệp ({exc.strerror or exc})") from exc
    if not data.strip():
        raise ReaderError(str(path), "tệp rỗng")
    return data


def decode_text(data: bytes, path) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with BOM. Anything else is refused rather than
    guessed: a wrong guess would silently corrupt the diacritics that citations quote."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise ReaderError(str(path), "tệp nhị phân, không phải văn bản")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        from ingest.readers.legacy_encoding import decode_legacy_bytes

        # not a guess: converted only when the result reads as Vietnamese (see legacy_encoding.detect)
        legacy = decode_legacy_bytes(data)
        if legacy is not None:
            return legacy
        raise ReaderError(
            str(path),
            f"không giải mã được văn bản (không phải UTF-8, lỗi ở byte {exc.start}, cũng không nhận ra bảng mã "
            "cũ TCVN3/VNI/VISCII/Windows-1258); hãy lưu lại tệp với bảng mã UTF-8",
        ) from exc


def _ensure_lines(lines: list[str], path) -> list[str]:
    if not lines:
        raise ReaderError(str(path), "tệp không có nội dung văn bản")
    return lines


# ---------------------------------------------------------------- .txt / .md

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_QUOTE = re.compile(r"^\s{0,3}>\s?")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_MD_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")


def strip_markdown(line: str) -> str:
    """Drop Markdown markup (headings, quotes, bold, rules); keep the words and the "-" bullets."""
    if _MD_RULE.match(line):
        return ""
    line = _MD_QUOTE.sub("", _MD_HEADING.sub("", line))
    return _MD_EMPHASIS.sub(r"\2", line)


def read_text_lines(path, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    text = decode_text(_read_bytes(path, limits), path)
    raw = text.splitlines()
    if str(path).lower().endswith(".md"):
        raw = [strip_markdown(l) for l in raw]
    return _ensure_lines(clean_lines(raw), path)


# ---------------------------------------------------------------- .html

# Elements that are never document content on a saved page. (Not <form>: ASP.NET pages wrap
# the whole page, content included, in one.)
_ALWAYS_DROP = ("script", "style", "noscript", "template", "svg", "head", "iframe", "button", "input", "select",
                "textarea")
# Page landmarks that are usually site chrome …
_LANDMARKS = ("nav", "header", "footer", "aside")
# … and class/id words of menus, share buttons, sidebars (matched as whole words of the attribute)
_BOILERPLATE_ATTR = re.compile(
    r"(?:^|[\s_-])(menu|nav|navbar|breadcrumbs?|share|sharing|social|footer|header|sidebar|banner|"
    r"ads?|advert\w*|quangcao|comments?|related|login|cookie|popup|modal|toolbar|tags?|rating)(?:$|[\s_-])",
    re.I,
)
# … unless they hold the document itself (a "doc-header" div with the number and the motto).
_DOCUMENT_TEXT = re.compile(r"CỘNG HÒA XÃ HỘI|CỘNG HOÀ XÃ HỘI|ĐẢNG CỘNG SẢN|Số\s*:|Điều\s+\d|Căn cứ|Chương\s+[IVXLC]")
_MAIN_XPATHS = ("//main", "//article", "//*[@role='main']")


def _html_text(data: bytes, path) -> str:
    try:
        text = decode_text(data, path)
    except ReaderError:
        # A page saved in its own charset: trust its <meta charset>.
        m = re.search(rb"charset=[\"']?([\w-]+)", data[:4096], re.I)
        if not m:
            raise
        try:
            text = data.decode(m.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError) as exc:
            raise ReaderError(str(path), "không giải mã được trang HTML theo bảng mã khai báo") from exc
    # lxml refuses str input that still carries an XML encoding declaration
    return re.sub(r"^\s*<\?xml[^>]*\?>", "", text)


def _drop_boilerplate_elements(root) -> None:
    for el in root.xpath("//" + " | //".join(_ALWAYS_DROP)):
        el.drop_tree()
    total = len(root.text_content()) or 1
    candidates = root.xpath("//" + " | //".join(_LANDMARKS)) + [
        el for el in root.xpath("//*[@class or @id]")
        if _BOILERPLATE_ATTR.search(f"{el.get('class', '')} {el.get('id', '')}")
    ]
    for el in candidates:
        if el.getparent() is None:  # already dropped (a <header class="site-header"> is listed twice)
            continue
        text = el.text_content()
        # guard: a wrapper holding most of the page, or legal text, is content whatever its name says
        if len(text) < 0.4 * total and not _DOCUMENT_TEXT.search(text):
            el.drop_tree()


def _main_content(root):
    for xp in _MAIN_XPATHS:
        found = root.xpath(xp)
        if found:
            return max(found, key=lambda e: len(e.text_content()))
    body = root.find("body")
    return body if body is not None else root


def read_html_lines(path, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    from lxml import etree
    from lxml import html as lxml_html

    text = _html_text(_read_bytes(path, limits), path)
    try:
        root = lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ReaderError(str(path), f"không phân tích được trang HTML ({exc})") from exc
    _drop_boilerplate_elements(root)
    content = _main_content(root)
    fragment = etree.tostring(content, encoding="unicode", method="html")
    return _ensure_lines(html_fragment_to_lines(fragment), path)


# ---------------------------------------------------------------- .pdf

# A line starting like this begins a new paragraph: never glue it to the previous line.
_NEW_PARAGRAPH = re.compile(
    r"^(?:(?:Điều|ĐIỀU)\s+\d|(?:Chương|CHƯƠNG|Mục|MỤC|Phần|PHẦN)\s+\w|\d{1,3}\.\s|\d{1,3}\.\d|[a-zđ]\)\s?|"
    r"\(\d{1,3}\)|[IVXLC]{1,6}\.\s|[-–•+*]\s|Căn cứ|Theo đề nghị|Xét đề nghị|Kính gửi|V/[vV]\b|Số\s*:?\s*\d|"
    r"Nơi nhận|TM\.|T/M|KT\.|TL\.|TUQ\.)"
)
_RULE = re.compile(r"^[-_*=~.•\s]+$")  # "-------", "*": header decorations
_PAGE_NUMBER = re.compile(r"^[-–\s]*(?:Trang\s+)?\d{1,4}(?:\s*/\s*\d{1,4})?[-–\s]*$")
# A wrapped line is nearly as long as the longest line of its page (proportional fonts vary).
_FULL_LINE_RATIO = 0.8


def _is_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _drop_page_numbers(lines: list[str]) -> list[str]:
    """A bare number as the first or last line of a page is a page number, not content."""
    if lines and _PAGE_NUMBER.match(lines[-1]):
        lines = lines[:-1]
    if lines and _PAGE_NUMBER.match(lines[0]):
        lines = lines[1:]
    return lines


def _continues(prev: str, nxt: str, full_width: float) -> bool:
    """Is `nxt` the rest of a paragraph the PDF wrapped after `prev`?"""
    if _NEW_PARAGRAPH.match(nxt) or prev.endswith("./.") or _RULE.match(prev) or _RULE.match(nxt):
        return False
    if re.search(r"\w-$", prev) and nxt[0].isalnum():
        return True  # a token broken at its hyphen: "NĐ-" + "CP"
    if _is_upper(nxt) != _is_upper(prev):
        return False  # a heading ("KẾT LUẬN") is not continued by body text, nor body text by a heading
    if nxt[0].islower():
        return True  # Vietnamese paragraphs never start in lower case
    return len(prev) >= full_width


def join_wrapped_lines(pages: list[list[str]]) -> list[str]:
    """Join the lines a PDF wrapped, page by page and across page breaks.

    "…tách" + "đúng cấu trúc…" -> one line; a break after a hyphen inside a word ("NĐ-" + "CP")
    is joined without a space.
    """
    out: list[str] = []
    # measured over the whole document: a sparse last page (signature) has no full lines
    width = _FULL_LINE_RATIO * max((len(l) for page in pages for l in page), default=0)
    for page in pages:
        for line in page:
            if out and _continues(out[-1], line, width):
                glue = "" if re.search(r"\w-$", out[-1]) and line[0].isalnum() else " "
                out[-1] = out[-1] + glue + line
            else:
                out.append(line)
    return out


def read_pdf_lines(path, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    from pypdf import PdfReader

    data = _read_bytes(path, limits)
    if b"%PDF" not in data[:1024]:
        raise ReaderError(str(path), "không phải tệp PDF hợp lệ (thiếu chữ ký %PDF)")
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReaderError(str(path), "PDF được bảo vệ bằng mật khẩu")
        pages, extracted = [], 0
        for page in reader.pages:
            text = page.extract_text() or ""
            extracted += len(text)
            check_text_size(path, extracted, limits)  # compressed streams can inflate far past the file size
            pages.append(clean_lines(text.splitlines()))
    except ReaderError:
        raise
    except Exception as exc:  # noqa: BLE001 — a damaged PDF can fail anywhere inside pypdf
        raise ReaderError(str(path), BROKEN_PDF) from exc
    if not all(pages):  # scanned pages: OCR them (see ingest.readers.ocr)
        from ingest.readers.ocr import ocr_missing_pdf_pages

        pages = ocr_missing_pdf_pages(path, pages, NO_TEXT_LAYER, Deadline(path, limits.max_seconds), limits=limits)
    if not any(pages):
        raise ReaderError(str(path), f"{NO_TEXT_LAYER}: OCR không nhận ra chữ nào — kiểm tra bản quét "
                                     "(nên quét 300 dpi, rõ nét)")
    return _ensure_lines(join_wrapped_lines([_drop_page_numbers(p) for p in pages]), path)


# ---------------------------------------------------------------- .docx


_ROMANS = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
           (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def _format_number(n: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        s = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return s.upper() if fmt == "upperLetter" else s
    if fmt in ("lowerRoman", "upperRoman"):
        out = ""
        for value, sym in _ROMANS:
            while n >= value:
                out, n = out + sym, n - value
        return out.lower() if fmt == "lowerRoman" else out
    return str(n)


class _AutoNumbering:
    """Word's automatic list numbers ("1.", "a)") are not in the paragraph text, yet a khoản or
    điểm is recognised by them: render them as Word displays them."""

    def __init__(self, doc):
        from docx.oxml.ns import qn

        self.qn, self.levels, self.counters = qn, {}, {}
        # style id -> its chain: python-docx's paragraph.style scans every style of the file for
        # the default one each time (2.5 ms a paragraph here), so it is looked up once per style
        self.chains: dict[str | None, list] = {}
        try:
            root = doc.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        def val(lvl, tag, default):
            el = lvl.find(qn(tag))
            return el.get(qn("w:val")) if el is not None else default

        abstract = {}
        for an in root.findall(qn("w:abstractNum")):
            for lvl in an.findall(qn("w:lvl")):
                abstract[(an.get(qn("w:abstractNumId")), int(lvl.get(qn("w:ilvl"))))] = (
                    val(lvl, "w:numFmt", "decimal"), val(lvl, "w:lvlText", ""), int(val(lvl, "w:start", "1")))
        for num in root.findall(qn("w:num")):
            aid = num.find(qn("w:abstractNumId")).get(qn("w:val"))
            for (a, ilvl), spec in abstract.items():
                if a == aid:
                    self.levels[(num.get(qn("w:numId")), ilvl)] = spec

    def _num_pr(self, paragraph):
        """(numId, ilvl) from the paragraph, else from its style chain."""
        qn = self.qn
        style_id = paragraph._p.style
        if style_id not in self.chains:
            self.chains[style_id] = self._style_chain(paragraph.style)
        for el in [paragraph._p] + self.chains[style_id]:
            pr = el.find(qn("w:pPr"))
            num_pr = pr.find(qn("w:numPr")) if pr is not None else None
            if num_pr is not None and num_pr.find(qn("w:numId")) is not None:
                ilvl = num_pr.find(qn("w:ilvl"))
                return num_pr.find(qn("w:numId")).get(qn("w:val")), int(ilvl.get(qn("w:val"))) if ilvl is not None else 0
        return None

    @staticmethod
    def _style_chain(style):
        chain = []
        while style is not None and len(chain) < 10:
            chain.append(style.element)
            style = style.base_style
        return chain

    def label(self, paragraph) -> str:
        if not self.levels or not paragraph.text.strip():
            return ""
        key = self._num_pr(paragraph)
        spec = self.levels.get(key) if key else None
        if not spec:
            return ""
        num_id, ilvl = key
        fmt, text, start = spec
        if fmt == "bullet":
            return "- "
        counters = self.counters.setdefault(num_id, {})
        counters[ilvl] = counters.get(ilvl, start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:  # a new "1." restarts its "a)"
            del counters[deeper]
        for lvl in range(ilvl + 1):
            lvl_fmt, _, lvl_start = self.levels.get((num_id, lvl), ("decimal", "", 1))
            text = text.replace(f"%{lvl + 1}", _format_number(counters.get(lvl, lvl_start), lvl_fmt))
        return text + " " if text else ""


def _plain_text(paragraph) -> str:
    return paragraph.text


class _Ticker:
    """The reading time, checked every few hundred paragraphs: a 57 KB DOCX can hold 200,000 empty
    paragraphs, and the web UI's threads cannot be interrupted by the time limit's alarm (see
    ingest.limits.time_limit), so the paragraph loop stops itself."""

    def __init__(self, deadline: Deadline):
        self.deadline, self.count = deadline, 0

    def tick(self) -> None:
        self.count += 1
        if self.count % 256 == 0:
            self.deadline.check()


def _docx_blocks(container, numbering: _AutoNumbering, text=_plain_text, ticker: _Ticker | None = None):
    """Paragraphs and tables in document order; table cells row by row, merged cells once.
    `text`: paragraph -> its text (legacy_encoding.docx_paragraph_text for .VnTime/VNI fonts)."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                seen: list = []  # the cell elements themselves: a merged cell repeats in row.cells
                for cell in row.cells:
                    if any(cell._tc is tc for tc in seen):
                        continue
                    seen.append(cell._tc)
                    yield from _docx_blocks(cell, numbering, text, ticker)
        else:
            if ticker is not None:
                ticker.tick()
            # a soft line break (Shift+Enter) is a line of its own, e.g. in the header
            yield from (numbering.label(block) + text(block)).split("\n")


def read_docx_lines(path, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    from docx import Document

    data = _read_bytes(path, limits)
    from ingest.readers.doc import OLE_MAGIC

    if data.startswith(OLE_MAGIC):  # a Word 97–2003 file renamed .docx
        return read_doc_lines(path, limits)
    if not data.startswith(b"PK"):
        raise ReaderError(str(path), "không phải tệp DOCX hợp lệ (tệp .doc cũ cần lưu lại thành .docx)")
    deadline = Deadline(path, limits.max_seconds)
    check_unzipped_size(path, limits)
    try:
        doc = Document(str(path))
        # counted in the parsed XML (fast) before python-docx builds an object per paragraph
        check_paragraphs(path, sum(1 for _ in doc.element.body.iter(_W_P)), limits)
        legacy = uses_legacy_fonts(doc)  # .VnTime / VNI-Times runs are converted run by run
        tally = RunTally()
        text = functools.partial(_legacy_or_plain_text, tally=tally) if legacy else _plain_text
        raw = list(_docx_blocks(doc, _AutoNumbering(doc), text, _Ticker(deadline)))
        tally.emit()
    except ReaderError:
        raise
    except Exception as exc:  # noqa: BLE001 — bad zip, missing part, broken XML: all unusable files
        raise ReaderError(str(path), BROKEN_DOCX) from exc
    return _ensure_lines(clean_lines(raw), path)


_W_P = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}p"


def _legacy_or_plain_text(paragraph, tally: RunTally) -> str:
    converted = docx_paragraph_text(paragraph, tally)
    return paragraph.text if converted is None else converted


# ---------------------------------------------------------------- .doc and page images (OCR)


def read_doc_lines(path, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """Word 97–2003 (ingest.readers.doc). A .docx or a Word web page saved under the .doc name is
    read as what it really is."""
    from ingest.readers.doc import read_doc_text, sniff_doc
    from ingest.readers.legacy_encoding import fix_legacy_lines

    data = _read_bytes(path, limits)
    kind = sniff_doc(data[:4096])
    if kind == "docx":
        return read_docx_lines(path, limits)
    if kind == "html":
        return read_html_lines(path, limits)
    if kind == "rtf":
        raise ReaderError(str(path), "tệp .doc này thực chất là RTF: mở bằng Word, lưu thành .docx rồi nạp lại")
    if kind != "ole":
        raise ReaderError(str(path), "không phải tệp Word .doc (không có chữ ký của Word 97–2003)")
    # U+00AD is TCVN3's "ư" in a .VnTime document, else an optional hyphen that must not stay in the text
    lines = fix_legacy_lines(clean_lines(read_doc_text(path, limits).splitlines()))
    return _ensure_lines(clean_lines(l.replace("\xad", "") for l in lines), path)


def read_image_lines(path, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """A scanned page image (PNG, JPEG, TIFF — each TIFF frame a page), OCR'd page by page."""
    from ingest.readers.ocr import ocr_image_file

    check_file_size(path, limits)
    pages = ocr_image_file(path, Deadline(path, limits.max_seconds), limits=limits)
    if not any(pages):
        raise ReaderError(str(path), "OCR không nhận ra chữ nào trong ảnh — kiểm tra bản quét (nên quét 300 dpi, rõ nét)")
    return join_wrapped_lines([_drop_page_numbers(p) for p in pages])


# ---------------------------------------------------------------- site boilerplate in text

# Lines a legal web site appends after the article (contact, share, disclaimer, "see also").
_TRAILER_LINE = re.compile(
    r"^(?:(?:Địa chỉ|Điện thoại|ĐT|Fax|E-?mail|Website|Hotline)\s*:|(?:Gởi|Gửi) câu hỏi|.*Chia sẻ bài viết|"
    r"Bài viết về$|Bài viết liên quan|Tin liên quan|Xem thêm|lĩnh vực\b|Chính sách khác$|"
    r"Nội dung nêu trên là phần giải đáp|Bản quyền|Copyright|©|Tải về|In bài viết|Theo dõi chúng tôi)",
    re.I,
)
# Image captions of web articles carry no text of the document.
_CAPTION_LINE = re.compile(r"\((?:Hình|Ảnh)(?: minh họa| minh hoạ)?(?: từ Internet)?\)$", re.I)


def drop_site_boilerplate(lines: list[str]) -> list[str]:
    """Drop image captions anywhere and the run of site boilerplate lines at the end."""
    lines = [l for l in lines if not _CAPTION_LINE.search(l)]
    end = len(lines)
    while end > 0 and _TRAILER_LINE.match(lines[end - 1]):
        end -= 1
    return lines[:end]


READERS = {
    **{ext: read_text_lines for ext in TEXT_EXTENSIONS},
    **{ext: read_html_lines for ext in HTML_EXTENSIONS},
    ".pdf": read_pdf_lines,
    ".docx": read_docx_lines,
    ".doc": read_doc_lines,
    **{ext: read_image_lines for ext in IMAGE_EXTENSIONS},
}


def read_lines(path, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """Dispatch on the extension."""
    ext = Path(path).suffix.lower()
    reader = READERS.get(ext)
    if reader is None:
        raise ReaderError(
            str(path),
            f"định dạng {ext or '(không có phần mở rộng)'} không được hỗ trợ; "
            f"chỉ nhận: {', '.join(SUPPORTED_EXTENSIONS)}",
        )
    return reader(path, limits)
