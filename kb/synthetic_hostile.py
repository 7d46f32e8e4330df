"""Hostile files for the reading child's probes (tests/test_read_worker.py) and `kb bench read`.

Each is small on disk and within the limits the readers check themselves (file size, unzipped
size, paragraphs, pixels), yet costs a reader tens of seconds or a gigabyte: only the reading
child's own limits (ingest.read_worker) stop it. The text they hold is made up, never law text,
and every caller names them synthetic_*.
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

SYNTHETIC_TEXT = "Nội dung tổng hợp để kiểm thử (synthetic), không phải văn bản pháp luật. "


def docx_parts(text: str = SYNTHETIC_TEXT) -> dict[str, bytes]:
    """The parts of a one-paragraph DOCX made by python-docx (the hostile files are built from them)."""
    from docx import Document

    doc = Document()
    doc.add_paragraph(text)
    buf = io.BytesIO()
    doc.save(buf)
    with zipfile.ZipFile(buf) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def paragraphs_docx(path: Path, count: int, text: str = "") -> Path:
    """A DOCX of `count` paragraphs holding `text` (empty paragraphs when ""), with honest zip sizes:
    40,000 paragraphs of 900 characters are 240 KB that inflate to 36 MB."""
    parts = docx_parts()
    para = f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" if text else "<w:p/>"
    xml = parts["word/document.xml"].decode("utf-8")
    parts["word/document.xml"] = xml.replace("<w:body>", "<w:body>" + para * count, 1).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def long_paragraph_text(chars: int = 900) -> str:
    return (SYNTHETIC_TEXT * (chars // len(SYNTHETIC_TEXT) + 1))[:chars]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def blank_rgba_png(path: Path, side: int) -> Path:
    """A white, opaque RGBA PNG of side×side pixels, written row by row: 8900² is 330 KB on disk,
    79 megapixels (under KB_MAX_IMAGE_MEGAPIXELS), 1.2 GB once decoded and prepared for OCR."""
    comp = zlib.compressobj(9)
    row = b"\0" + b"\xff" * (4 * side)
    idat = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)  # 8 bits, colour type 6 = RGBA
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat)
                     + _png_chunk(b"IEND", b""))
    return path


def rectangles_pdf(path: Path, rectangles: int) -> Path:
    """A one-page PDF whose only content is `rectangles` filled 1×1 pt rectangles (no text, so the
    page goes to OCR): one deflated content stream of a repeated operator. 3 million are 76 KB on
    disk, and rendering the page is one PDFium call of tens of seconds and about a gigabyte."""
    stream = zlib.compress(b"0 0 1 1 re f\n" * rectangles, 9)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path
