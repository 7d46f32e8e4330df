"""The official's desk as files an office works from: a checklist of a body's duties (DOCX, XLSX) and
the calendar of its dated and periodic limits for a year (iCalendar). Pure: rows in, bytes out.

Every text is the stored text of the cited unit (quotes are never rewritten); control characters are
dropped (XML and iCalendar cannot hold them)."""
from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import io

from core.bodies import KINDS
from core.vocab import format_iso, strip_controls
from qa.desk.deadlines import Deadline
from qa.desk.duties import HOW, Duty
from qa.desk.timeparse import FixedDate, Period
from ui.export import FONT

CHECK = "☐"  # a box to tick, in the "Đã thực hiện" column
NOTE = ("Trích nguyên văn từ các văn bản trong cơ sở dữ liệu có hiệu lực tại ngày {date}; "
        "kiểm tra lại căn cứ trước khi sử dụng.")
_HEADERS = ("STT", "Loại", "Nhiệm vụ, quyền hạn (trích nguyên văn)", "Cơ quan liên quan", "Căn cứ", "Đã thực hiện")


def _clean(text: str) -> str:
    return strip_controls(text or "").strip()


def _via(d: Duty | Deadline) -> str:
    return f"Áp dụng với tư cách {KINDS[d.via].label}" if d.via in KINDS else ""


def _label(body: str) -> str:
    return KINDS[body].label if body in KINDS else body


def duties_docx(rows: list[Duty], body: str, as_of: str) -> bytes:
    """A table per group (the body's own duties, then those laid on a broader kind it is one of):
    STT, kind of rule, the verbatim text (a point's lead in italics before it), the other bodies,
    the formal citation, a box to tick."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    doc.core_properties.title = f"Danh mục nhiệm vụ: {_label(body)}"
    doc.core_properties.language = "vi-VN"
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(12)
    doc.add_heading(f"Danh mục nhiệm vụ, quyền hạn của {_label(body)}", level=1)
    doc.add_paragraph(NOTE.format(date=format_iso(as_of)))
    groups = [("Được giao trực tiếp", [d for d in rows if not d.via]),
              ("Áp dụng chung cho các cơ quan cùng loại", [d for d in rows if d.via])]
    number = 0
    for title, group in groups:
        if not group:
            continue
        doc.add_heading(title, level=2)
        table = doc.add_table(rows=1, cols=len(_HEADERS))
        table.style = "Table Grid"
        for cell, head in zip(table.rows[0].cells, _HEADERS):
            cell.text = head
        for d in group:
            number += 1
            cells = table.add_row().cells
            cells[0].text = str(number)
            cells[1].text = d.role
            text = cells[2].paragraphs[0]
            if d.context:
                text.add_run(_clean(d.context) + "\n").italic = True
            text.add_run(_clean(d.quote))
            cells[3].text = "; ".join(d.counterparts)
            cells[4].text = _clean(d.formal_citation or d.citation) + (f"\n({_via(d)})" if d.via else "")
            cells[5].text = CHECK
    if not number:
        doc.add_paragraph("Không tìm thấy nhiệm vụ nào của cơ quan này trong các văn bản có hiệu lực.")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def duties_xlsx(rows: list[Duty], body: str, as_of: str, deadlines: list[Deadline] | None = None) -> bytes:
    """Sheet "Nhiệm vụ" (one row per duty, filterable), and "Thời hạn" when `deadlines` are given."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Nhiệm vụ"
    ws.append([f"Danh mục nhiệm vụ, quyền hạn của {_label(body)}"])
    ws.append([NOTE.format(date=format_iso(as_of))])
    head = ["STT", "Loại", "Nhiệm vụ, quyền hạn (trích nguyên văn)", "Câu dẫn", "Cơ quan liên quan", "Căn cứ",
            "Văn bản", "Áp dụng", "Đã thực hiện", "Ghi chú"]
    ws.append(head)
    for i, d in enumerate(rows, 1):
        ws.append([i, d.role, _clean(d.quote), _clean(d.context), "; ".join(d.counterparts),
                   _clean(d.formal_citation or d.citation), d.document_name, _via(d) or "Được giao trực tiếp", CHECK,
                   f"Xác định theo {HOW.get(d.how, d.how)}"])
    _tidy(ws, head, (6, 12, 70, 30, 30, 45, 28, 30, 12, 20), Font, Alignment)
    if deadlines is not None:
        ws = wb.create_sheet("Thời hạn")
        head = ["STT", "Thời hạn", "Loại", "Sự kiện bắt đầu tính", "Cơ quan phải thực hiện", "Cơ quan nhận / liên quan",
                "Căn cứ", "Nội dung (trích nguyên văn)"]
        ws.append([f"Thời hạn của {_label(body)}" if body else "Thời hạn"])
        ws.append([NOTE.format(date=format_iso(as_of))])
        ws.append(head)
        for i, d in enumerate(deadlines, 1):
            ws.append([i, d.limit.describe(), d.to_dict()["kind_label"], d.trigger, d.responsible,
                       "; ".join(d.recipients), _clean(d.formal_citation or d.citation), _clean(d.quote)])
        _tidy(ws, head, (6, 36, 16, 36, 30, 30, 45, 70), Font, Alignment)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _tidy(ws, head, widths, Font, Alignment) -> None:
    """Bold header on row 3, filters, the header frozen, wrapped columns of readable widths."""
    from openpyxl.utils import get_column_letter

    ws["A1"].font = Font(bold=True, size=13)
    for cell in ws[3]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A4"
    ws.auto_filter.ref = f"A3:{get_column_letter(len(head))}{max(ws.max_row, 3)}"
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _period_dates(p: Period, year: int) -> list[dt.date]:
    """The ends of a period's terms within the year (a 6-month period: 30/6 and 31/12); none when the
    period does not divide the year (24 months, weeks, days: said in the listing instead)."""
    months = {"month": p.every, "quarter": 3 * p.every, "year": 12 * p.every}.get(p.unit)
    if not months or 12 % months:
        return []
    return [dt.date(year, m, calendar.monthrange(year, m)[1]) for m in range(months, 13, months)]


def calendar_dates(d: Deadline, year: int, dated_units: set[str]) -> list[tuple[dt.date, str]]:
    """(date, note) of one limit in `year`: a fixed date (every month when its month is 0), or the ends
    of a period's terms (not for a unit that states its own dates). Relative limits have none."""
    if isinstance(d.limit, FixedDate):
        months = range(1, 13) if not d.limit.month else [d.limit.month]
        out = []
        for m in months:
            day = min(d.limit.day, calendar.monthrange(year, m)[1])
            out.append((dt.date(year, m, day), ""))
        return out
    if isinstance(d.limit, Period) and d.citation not in dated_units:
        note = (f"Mốc cuối kỳ ({d.limit.describe()}): văn bản quy định định kỳ, không ấn định ngày; "
                "ngày trên lịch là ngày cuối mỗi kỳ.")
        return [(day, note) for day in _period_dates(d.limit, year)]
    return []


def deadlines_ics(rows: list[Deadline], body: str | None, year: int) -> tuple[bytes, list[Deadline]]:
    """An iCalendar of the dated and periodic limits in `year`, one all-day event per date, each
    carrying its citation and the verbatim text. Returns the file and the limits it could not place
    (relative ones: listed with their trigger instead; periods that do not divide the year)."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//kb-ttdn//Ban lam viec//VI")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Thời hạn {year}" + (f" — {_label(body)}" if body else ""))
    dated = {d.citation for d in rows if isinstance(d.limit, FixedDate)}
    left = []
    stamp = dt.datetime(year, 1, 1, tzinfo=dt.timezone.utc)  # fixed: the same rows give the same file
    for d in rows:
        dates = calendar_dates(d, year, dated)
        if not dates:
            if not (isinstance(d.limit, Period) and d.citation in dated):
                left.append(d)
            continue
        for day, note in dates:
            ev = Event()
            ev.add("summary", _clean(f"{d.limit.describe()} — {d.citation}"))
            ev.add("dtstart", day)
            ev.add("dtend", day + dt.timedelta(days=1))
            ev.add("dtstamp", stamp)
            text = [f"Căn cứ: {_clean(d.formal_citation or d.citation)}"]
            if d.responsible:
                text.append(f"Cơ quan thực hiện: {d.responsible}")
            if d.recipients:
                text.append("Cơ quan nhận / liên quan: " + "; ".join(d.recipients))
            if note:
                text.append(note)
            text += ["", _clean(d.quote)]
            ev.add("description", "\n".join(text))
            uid = hashlib.sha1(f"{d.citation}|{day.isoformat()}|{d.limit.describe()}".encode()).hexdigest()
            ev.add("uid", f"{uid}@kb-ttdn")
            cal.add_component(ev)
    return cal.to_ical(), left
