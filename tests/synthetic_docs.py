"""Generate test files (DOCX, PDF, HTML) from a structured synthetic text.

The tests build their inputs here instead of shipping binaries, so every fixture is readable
text and the round trip file -> reader -> parser can be checked against parsing the text itself.
All content passed in is SYNTHETIC test data, never real law text.
"""
from __future__ import annotations

import html
import os
from pathlib import Path

# A Unicode TTF is needed: the PDF core fonts cannot encode Vietnamese diacritics.
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def load_fixture_lines(path) -> list[str]:
    """Lines of a tests/fixtures/*.txt file, without its "#" comment lines and blank lines."""
    text = Path(path).read_text(encoding="utf-8")
    return [l for l in text.splitlines() if l.strip() and not l.lstrip().startswith("#")]


def write_docx(path, lines: list[str]) -> Path:
    """One paragraph per line, in order. Returns the path."""
    from docx import Document

    doc = Document()
    for line in lines:
        doc.add_paragraph(line)
    doc.save(str(path))
    return Path(path)


def write_docx_with_header_table(path, header_rows: list[tuple[str, str]], lines: list[str]) -> Path:
    """The usual layout of an official document: a 2-column header table, then paragraphs."""
    from docx import Document

    doc = Document()
    table = doc.add_table(rows=0, cols=2)
    for left, right in header_rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = left, right
    for line in lines:
        doc.add_paragraph(line)
    doc.save(str(path))
    return Path(path)


def write_docx_auto_numbered(path, lines: list[str], items: list[tuple[int, str]]) -> Path:
    """Paragraphs `lines`, then `items` as a Word auto-numbered list: level 0 shows "1.", "2." …,
    level 1 shows "a)", "b)" … The numbers are NOT in the paragraph text, as in many drafts."""
    from docx import Document
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    doc = Document()
    for line in lines:
        doc.add_paragraph(line)
    numbering = doc.part.numbering_part.element
    numbering.insert(0, parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%2)"/></w:lvl>'
        "</w:abstractNum>"
    ))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    for level, text in items:
        p = doc.add_paragraph(text)
        p._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'
        ))
    doc.save(str(path))
    return Path(path)


def font_available() -> bool:
    return os.path.exists(DEJAVU)


def write_pdf(path, lines: list[str], font_size: int = 11) -> Path:
    """One paragraph per line, wrapped to the page width (so long khoản span several PDF lines)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("DejaVu", "", DEJAVU)
    pdf.set_font("DejaVu", size=font_size)
    pdf.add_page()
    for line in lines:
        # new_x/new_y: each paragraph starts at the left margin on a new line
        pdf.multi_cell(0, font_size * 0.5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return Path(path)


def write_image_only_pdf(path) -> Path:
    """A 'scanned' page: one image, no text layer."""
    from fpdf import FPDF
    from PIL import Image

    img = Image.new("RGB", (200, 280), "white")
    for x in range(20, 180):  # a dark band, like a scanned line of text
        for y in range(40, 48):
            img.putpixel((x, y), (0, 0, 0))
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.image(img, x=10, y=10, w=100)
    pdf.output(str(path))
    return Path(path)


_BOILERPLATE_TOP = """<header class="site-header"><div class="logo">Cổng thông tin thử nghiệm</div>
<nav class="main-menu"><ul><li><a href="/">Trang chủ</a></li><li><a href="/vb">Văn bản</a></li>
<li><a href="/hd">Hỏi đáp</a></li></ul></nav></header>
<div class="breadcrumb"><a href="/">Trang chủ</a> » <a href="/vb">Văn bản</a></div>
<script>var tracking = "Điều 99. không được đọc";</script><style>.x{color:red}</style>"""

_BOILERPLATE_BOTTOM = """<div class="share-buttons"><a>Chia sẻ Facebook</a> <a>In văn bản</a></div>
<aside class="sidebar"><h3>Văn bản liên quan</h3><ul><li>Văn bản khác 1</li></ul></aside>
<footer class="site-footer"><p>Địa chỉ: 1 Phố Thử Nghiệm</p><p>Điện thoại: 000 000</p>
<p>© Bản quyền thuộc về cổng thông tin thử nghiệm</p></footer>"""


def write_html(path, lines: list[str], with_boilerplate: bool = True) -> Path:
    """A saved web page: the lines as <p> inside <main>, optionally wrapped in site boilerplate."""
    body = "\n".join(f"<p>{html.escape(l)}</p>" for l in lines)
    content = f'<main><div class="content-doc">\n{body}\n</div></main>'
    if with_boilerplate:
        content = f"{_BOILERPLATE_TOP}\n{content}\n{_BOILERPLATE_BOTTOM}"
    page = (
        '<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Văn bản thử nghiệm</title>'
        f"</head><body>\n{content}\n</body></html>"
    )
    Path(path).write_text(page, encoding="utf-8")
    return Path(path)
