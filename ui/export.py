"""The drafter's selection of clauses as a Word document (python-docx): each clause's verbatim text
followed by its formal citation, its hiệu lực and the notes the lookup gave it ("Lưu ý: …": amended,
repealed, a later wording than the date chosen, a body that no longer exists as named), in the order
the user picked them. Pure: items in, bytes out."""
from __future__ import annotations

import io
from dataclasses import dataclass

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.shared import Pt

from core.vocab import format_iso, strip_controls

TITLE = "Bản trích điều khoản"
FONT = "Times New Roman"  # the font Vietnamese administrative documents are written in


@dataclass(frozen=True)
class ExportItem:
    text: str  # verbatim text of the unit (stored text, never rewritten)
    citation: str  # the formal citation: "khoản 3 Điều 7 Nghị định số 72/2015/NĐ-CP ngày 07/9/2015 của Chính phủ"
    notes: tuple[str, ...] = ()  # LookupResult.notes: said after the citation, never inside the quoted text
    status: str = ""  # "Còn hiệu lực — Bộ pháp điển (…)": the unit's hiệu lực and its source (ui.render.validity_text)
    as_of: str = ""  # ISO date the text and the status are for ("" = today's status, the text as enacted)


def _document(title: str):
    """A Word document in the exports' house style: its title and language, 13 pt body text, and the
    italic citation style. Returns the document, its Normal style and the citation style."""
    doc = Document()
    doc.core_properties.title = title
    doc.core_properties.language = "vi-VN"
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(13)
    cite_style = doc.styles.add_style("KbCitation", WD_STYLE_TYPE.PARAGRAPH)
    cite_style.base_style = normal
    cite_style.font.italic = True
    return doc, normal, cite_style


def clauses_docx(items: list[ExportItem]) -> bytes:
    """One paragraph per line of each text, then its citation in italics on a paragraph of its own.
    Control characters are dropped (stored text has none since the readers strip them, but text
    stored before them, or a title typed in a correction, could): XML cannot hold them."""
    doc, normal, cite_style = _document(TITLE)
    cite_style.paragraph_format.space_after = Pt(12)
    note_style = doc.styles.add_style("KbNote", WD_STYLE_TYPE.PARAGRAPH)
    note_style.base_style = normal
    note_style.font.size = Pt(11)
    note_style.paragraph_format.space_after = Pt(6)
    for item in items:
        for line in item.text.splitlines():
            line = strip_controls(line).strip()
            if line:
                doc.add_paragraph(line)
        doc.add_paragraph(strip_controls(item.citation), style=cite_style)
        when = f" tại ngày {format_iso(item.as_of)}" if item.as_of else ""
        if item.status:
            doc.add_paragraph(strip_controls(f"Hiệu lực{when}: {item.status}"), style=note_style)
        for note in item.notes:
            doc.add_paragraph(strip_controls(f"Lưu ý: {note}"), style=note_style)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


ANSWER_TITLE = "Câu trả lời kèm căn cứ"


def answer_docx(text: str) -> bytes:
    """"Tải câu trả lời (Word)": the text "Sao chép câu trả lời" copies (ui.chat_view.copy_text: the
    question, the answer with its quotes in «», then "Căn cứ:" and every citation in formal form), one
    paragraph a line, the citations in italics."""
    doc, normal, cite_style = _document(ANSWER_TITLE)
    in_citations = False
    for line in text.splitlines():
        line = strip_controls(line).strip()
        if not line:
            continue
        if line == "Căn cứ:":
            in_citations = True
            doc.add_paragraph(line).runs[0].bold = True
            continue
        doc.add_paragraph(line, style=cite_style if in_citations else normal)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
