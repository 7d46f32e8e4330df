"""Tab “Bàn làm việc”: an official chooses a body and a date and sees what the law in force asks of
it (qa.desk: Ai phải làm gì, Thời hạn), and downloads the checklist (Word, Excel) and the calendar
(.ics). The renderers are pure (rows in, escaped HTML out); `build` adds the tab to the app's Blocks."""
from __future__ import annotations

import datetime as dt

import gradio as gr

from core.bodies import DESK_CHOICES, KINDS
from core.vocab import format_iso
from qa.desk.deadlines import Deadline
from qa.desk.duties import Duty
from qa.desk.timeparse import Relative
from ui import render
from ui.desk_export import calendar_dates, deadlines_ics, duties_docx, duties_xlsx

FILES = {"docx": "danh-muc-nhiem-vu.docx", "xlsx": "danh-muc-nhiem-vu.xlsx", "ics": "thoi-han.ics"}
MAX_SHOWN = 400  # rows drawn in the page; the files hold them all
PLACEHOLDER = '<div class="kb-empty">Chọn cơ quan rồi bấm “Xem”.</div>'


def body_choices() -> list[tuple[str, str]]:
    return [(KINDS[k].label, k) for k in DESK_CHOICES]


def _row(cells: list[str]) -> str:
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def render_duties(rows: list[Duty], body: str, as_of: str, documents: int) -> str:
    """A table: kind of rule, the verbatim text (a point's lead before it), other bodies, citation."""
    label = KINDS[body].label
    own = sum(1 for d in rows if not d.via)
    head = (f'<div class="kb-meta">{render.esc(label)}: {own} nhiệm vụ, quyền hạn được giao trực tiếp'
            + (f", {len(rows) - own} áp dụng chung cho cơ quan cùng loại" if len(rows) > own else "")
            + f" — {documents} văn bản có hiệu lực tại ngày {render.esc(format_iso(as_of))}.</div>")
    if not rows:
        return head + '<div class="kb-empty">Không tìm thấy nhiệm vụ nào của cơ quan này.</div>'
    body_rows = []
    for d in rows[:MAX_SHOWN]:
        text = (f'<div class="kb-sub">{render.esc(d.context)}</div>' if d.context else "") + \
               f'<div class="kb-verbatim">{render.esc(d.quote)}</div>'
        cite = render.esc(d.citation) + (f'<div class="kb-sub">với tư cách {render.esc(KINDS[d.via].label)}</div>'
                                        if d.via in KINDS else "")
        body_rows.append(_row([render.esc(d.role), text, render.esc("; ".join(d.counterparts)), cite]))
    more = (f'<div class="kb-note">Đang hiện {MAX_SHOWN}/{len(rows)} dòng; tải tệp Excel hoặc Word để xem đủ.</div>'
            if len(rows) > MAX_SHOWN else "")
    return (head + '<div class="kb-table-scroll"><table class="kb-docs kb-desk-duties"><thead><tr><th>Loại</th>'
            "<th>Nhiệm vụ, quyền hạn (trích nguyên văn)</th><th>Cơ quan liên quan</th><th>Căn cứ</th></tr></thead>"
            f"<tbody>{''.join(body_rows)}</tbody></table></div>" + more)


def render_deadlines(rows: list[Deadline], year: int) -> str:
    """Dated and periodic limits with their dates in `year`, then those counted from an event."""
    if not rows:
        return '<div class="kb-empty">Không có thời hạn nào của cơ quan này.</div>'
    dated = {d.citation for d in rows if d.kind == "fixed"}
    out = []
    for kind, title in (("fixed", "Ngày cố định"), ("period", "Định kỳ"), ("relative", "Tính từ một sự kiện")):
        group = [d for d in rows if d.kind == kind]
        if not group:
            continue
        items = []
        for d in group[:MAX_SHOWN]:
            days = ", ".join(x.strftime("%d/%m/%Y") for x, _ in calendar_dates(d, year, dated))
            when = render.esc(d.limit.describe()) + (f" <strong>[{render.esc(days)}]</strong>" if days else "")
            who = (f'<div class="kb-sub">Thực hiện: {render.esc(d.responsible)}'
                   + (f"; gửi/liên quan: {render.esc('; '.join(d.recipients))}" if d.recipients else "") + "</div>"
                   if d.responsible else "")
            trigger = (f'<div class="kb-sub">Tính từ: {render.esc(d.trigger)}</div>'
                       if isinstance(d.limit, Relative) and d.trigger else "")
            items.append(f"<li>{when} — <span class=\"kb-tcite\">{render.esc(d.citation)}</span>{who}{trigger}</li>")
        more = f'<div class="kb-note">Đang hiện {MAX_SHOWN}/{len(group)}; tải tệp Excel để xem đủ.</div>' \
            if len(group) > MAX_SHOWN else ""
        out.append(f"<h4>{render.esc(title)} ({len(group)})</h4><ul class=\"kb-relations\">{''.join(items)}</ul>{more}")
    return "".join(out)


class DeskTab:
    """The tab's handler; reads through the app's service under its read lock."""

    def __init__(self, app):
        self.app = app

    def _fail(self, message: str):
        hidden = gr.update(value=None, visible=False)
        return render.render_action_error(message), "", hidden, hidden, hidden

    def show(self, body, as_of_text, year_text, general, session, request: gr.Request):
        self.app._require_reader(session, request)
        if body not in DESK_CHOICES:
            return self._fail("Hãy chọn một cơ quan trong danh sách.")
        try:
            as_of = render.parse_date(as_of_text)
        except ValueError as exc:
            return self._fail(str(exc))
        year_text = str(year_text or "").strip()
        if year_text and not (year_text.isdigit() and 1900 <= int(year_text) <= 2200):
            return self._fail(f"Năm “{year_text}” không hợp lệ: ghi bốn chữ số, ví dụ 2027.")
        with self.app.lock.read():
            view = self.app.kb.desk(as_of)
        year = int(year_text) if year_text else int(view.as_of[:4])
        general = bool(general)
        rows, limits = view.duties_of(body, general), view.deadlines_of(body, general)
        folder = self.app._export_path().parent  # a fresh folder, removed after an hour
        files = {"docx": duties_docx(rows, body, view.as_of), "xlsx": duties_xlsx(rows, body, view.as_of, limits),
                 "ics": deadlines_ics(limits, body, year)[0]}
        paths = {}
        for kind, data in files.items():
            path = folder / FILES[kind]
            path.write_bytes(data)
            paths[kind] = gr.update(value=str(path), visible=True)
        return (render_duties(rows, body, view.as_of, view.documents), render_deadlines(limits, year),
                paths["docx"], paths["xlsx"], paths["ics"])


def build(app, session, events: dict) -> None:
    """Add the tab (inside the app's gr.Tabs) and wire it; `events`: the app's read-queue settings."""
    tab = DeskTab(app)
    with gr.Tab("Bàn làm việc", id="duties"):
        gr.Markdown("## Ai phải làm gì, và khi nào\nChọn cơ quan: danh sách nhiệm vụ, quyền hạn, điều cấm và các "
                    "thời hạn trong những văn bản có hiệu lực tại ngày đã chọn, kèm căn cứ. Tải danh mục (Word, Excel) "
                    "và lịch thời hạn (.ics).")
        with gr.Row():
            body = gr.Dropdown(label="Cơ quan", choices=body_choices(), value="province", elem_id="kb-desk-body", scale=3)
            as_of = gr.Textbox(label="Có hiệu lực tại ngày", placeholder="dd/mm/yyyy (mặc định hôm nay)",
                               elem_id="kb-desk-as-of", scale=2, max_length=40)
            year = gr.Textbox(label="Năm của lịch", placeholder=str(dt.date.today().year), elem_id="kb-desk-year",
                              scale=1, max_length=4)
        general = gr.Checkbox(label="Gồm nhiệm vụ chung của các cơ quan cùng loại (ví dụ “các Bộ”)", value=True,
                              elem_id="kb-desk-general")
        show_btn = gr.Button("Xem", variant="primary", elem_id="kb-desk-btn")
        with gr.Row():
            docx = gr.DownloadButton("Tải danh mục (Word)", visible=False, elem_id="kb-desk-docx", size="sm")
            xlsx = gr.DownloadButton("Tải bảng (Excel)", visible=False, elem_id="kb-desk-xlsx", size="sm")
            ics = gr.DownloadButton("Tải lịch thời hạn (.ics)", visible=False, elem_id="kb-desk-ics", size="sm")
        with gr.Row():
            with gr.Column(scale=3):
                gr.Markdown("### Nhiệm vụ, quyền hạn")
                duties_html = gr.HTML(PLACEHOLDER, js_on_load=None, elem_id="kb-desk-duties")
            with gr.Column(scale=2):
                gr.Markdown("### Thời hạn")
                deadlines_html = gr.HTML("", js_on_load=None, elem_id="kb-desk-deadlines")
    show_btn.click(tab.show, [body, as_of, year, general, session], [duties_html, deadlines_html, docx, xlsx, ics],
                   api_name="ui_desk", **events)
