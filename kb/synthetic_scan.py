"""Synthetic "scanned" letters for the OCR tests and `kb bench ingest` (section OCR).

The words are real: articles of Nghị định 72/2015/NĐ-CP (for long scans, Luật Báo chí
103/2016/QH13) as đề mục 32.1 of the Bộ pháp điển gives them, read with our own Pháp điển reader, and
a header block built from that document's own metadata (issuer, number, type, title). What is
synthetic is the page: DejaVu Sans drawn on A4 at 300 dpi, then degraded like a scan (a small
skew, blur, speckle) and saved as an image-only PDF or a page image. The files say so in their
names (synthetic_scan_*) and on the page.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from core.settings import DEMUC_32_1

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
DPI = 300
A4 = (2480, 3508)  # pixels at 300 dpi
MARGINS = (330, 240, 200, 240)  # left, top, right, bottom
SYNTHETIC_MARK = "Bản quét tổng hợp (synthetic) để kiểm thử OCR"


@dataclass
class Line:
    text: str
    bold: bool = False
    center: bool = False
    page_break_before: bool = False


def source_document(number: str = "72/2015/NĐ-CP", demuc: Path = DEMUC_32_1):
    from ingest.readers.phapdien import read_phapdien_file

    docs = [d for d in read_phapdien_file(str(demuc)) if d.number == number]
    if not docs:
        raise LookupError(f"{demuc}: không có văn bản số {number}")
    return docs[0]


def header_lines(doc) -> list[Line]:
    """The header as the original sets it: issuer, number, type, title (facts from the source)."""
    return [Line(doc.issuer.upper(), bold=True), Line(f"Số: {doc.number}"),
            Line(doc.doc_type.upper(), bold=True, center=True), Line(doc.title.upper(), bold=True, center=True)]


def article_lines(unit, page_break: bool = False) -> list[Line]:
    out = [Line(f"Điều {unit.number}. {unit.title}", bold=True, page_break_before=page_break)]
    if unit.intro:
        out += [Line(t) for t in unit.intro.split("\n")]
    for clause in unit.clauses:
        out += [Line(t) for t in clause.full_text.split("\n")]
    return out


def _wrap(draw, text: str, font, width: int) -> list[str]:
    words, rows, row = text.split(), [], ""
    for word in words:
        candidate = f"{row} {word}".strip()
        if row and draw.textlength(candidate, font=font) > width:
            rows.append(row)
            row = word
        else:
            row = candidate
    return rows + ([row] if row else [])


def render_pages(lines: list[Line], font_px: int = 50, seed: int = 7, skew_deg: float = 1.2,
                 blur: float = 0.7, speckle: float = 0.0006):
    """Yield one degraded greyscale page image (PIL) at a time, so long scans stay small in memory."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    regular, bold = ImageFont.truetype(str(FONT), font_px), ImageFont.truetype(str(FONT_BOLD), font_px)
    small = ImageFont.truetype(str(FONT), font_px * 3 // 5)
    left, top, right, bottom = MARGINS
    width = A4[0] - left - right
    step = int(font_px * 1.45)
    rng = random.Random(seed)
    page_no = 0

    def new_page():
        img = Image.new("L", A4, 255)
        draw = ImageDraw.Draw(img)
        if page_no == 0:  # above the header, where the parser skips (and reports) stray lines
            draw.text((A4[0] - right, 90), SYNTHETIC_MARK, font=small, fill=90, anchor="ra")
        return img, draw

    def degrade(img):
        angle = skew_deg * (1 if page_no % 2 == 0 else -0.8)
        img = img.rotate(angle, resample=Image.BICUBIC, fillcolor=255).filter(ImageFilter.GaussianBlur(blur))
        pixels = img.load()
        for _ in range(int(A4[0] * A4[1] * speckle)):
            x, y = rng.randrange(A4[0]), rng.randrange(A4[1])
            pixels[x, y] = rng.choice((0, 40, 80))
        return img

    img, draw = new_page()
    y = top
    for line in lines:
        font = bold if line.bold else regular
        rows = _wrap(draw, line.text, font, width)
        if line.page_break_before and y > top:
            yield degrade(img)
            page_no += 1
            img, draw = new_page()
            y = top
        for row in rows:
            if y + step > A4[1] - bottom:
                yield degrade(img)
                page_no += 1
                img, draw = new_page()
                y = top
            x = left + (width - draw.textlength(row, font=font)) / 2 if line.center else left
            draw.text((x, y), row, font=font, fill=0)
            y += step
        y += step // 3  # paragraph spacing
    yield degrade(img)


def write_image_pdf(path, pages) -> Path:
    """Pages (an iterable of PIL images) -> an image-only PDF, written page by page."""
    import io

    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    try:
        for img in pages:
            buf = io.BytesIO()
            img.convert("L").save(buf, format="JPEG", quality=80, dpi=(DPI, DPI))
            buf.seek(0)
            w_pt, h_pt = img.width * 72 / DPI, img.height * 72 / DPI
            page = pdf.new_page(w_pt, h_pt)
            image = pdfium.PdfImage.new(pdf)
            image.load_jpeg(buf, inline=True)
            image.set_matrix(pdfium.PdfMatrix().scale(w_pt, h_pt))
            page.insert_obj(image)
            page.gen_content()
            image.close()
            page.close()
        pdf.save(str(path))
    finally:
        pdf.close()
    return Path(path)


def scan_72_2015(path, articles=("22", "23"), page_per_article: bool = True, **render) -> Path:
    """synthetic_scan_*.pdf: the header of Nghị định 72/2015/NĐ-CP and the given articles."""
    doc = source_document()
    units = {u.number: u for u in doc.units}
    lines = header_lines(doc)
    for i, number in enumerate(articles):
        lines += article_lines(units[number], page_break=page_per_article and i > 0)
    return write_image_pdf(path, render_pages(lines, **render))


def long_scan(path, pages: int = 20, number: str = "103/2016/QH13", **render) -> Path:
    """An image-only PDF of the first `pages` pages of a long document of the đề mục (Luật Báo chí:
    about 30 pages), header included."""
    doc = source_document(number)
    lines = header_lines(doc) + [line for unit in doc.units for line in article_lines(unit)]

    def first_pages():
        for i, img in enumerate(render_pages(lines, **render)):
            if i >= pages:
                return
            yield img

    return write_image_pdf(path, first_pages())
