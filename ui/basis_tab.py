"""The official's desk in the web app: "Kiểm tra căn cứ" (a draft's citations checked) and "Đối chiếu
văn bản" (a letter's tasks traced to the law), in one tab.

A draft is uploaded (DOCX, PDF, DOC, HTML, TXT; read by ingest's readers, nothing stored; the edge lets
only a legal-staff login upload, ui.web) or pasted (anyone who may read).
The reports are rendered here from the service's typed results (qa.desk), every piece of text
escaped; a citation found in the base is a button that opens it in the tab's own lookup panel
(`data-action="lookup"`, the same event the Tra cứu tab answers). Reading it needs what reading
needs (App._require_reader); it changes nothing, so it runs in the read queue.
"""
from __future__ import annotations

from pathlib import Path

import gradio as gr

from core.errors import KbError
from core.vocab import UPLOAD_EXTENSIONS
from ingest.limits import Limits
from qa.desk.basis_check import PROBLEMS, BasisReport
from qa.desk.draft import DraftError, read_draft_file, read_draft_text
from qa.desk.trace import BASIS_LABELS, RELATIONS, TraceReport
from ui.render import esc, format_date, render_lookup

PLACEHOLDER = ('<div class="kb-empty">Tải lên hoặc dán dự thảo, rồi bấm “Kiểm tra căn cứ” (mọi văn bản, điều khoản '
               'được dẫn) hoặc “Đối chiếu văn bản” (từng nhiệm vụ của công văn, kế hoạch với điều khoản làm căn cứ).</div>')
SOURCE = {"chọn": "ngày được chọn", "dự thảo": "ngày ghi trên dự thảo", "hôm nay": "hôm nay"}


# ---------------------------------------------------------------- rendering (pure)


def _lookup_button(ref: str, label: str) -> str:
    return (f'<button type="button" class="kb-suggest" data-action="lookup" data-ref="{esc(ref)}" '
            f'title="Xem nguyên văn {esc(ref)}">{esc(label)}</button>')


def _copy(text: str) -> str:
    return f'<button type="button" class="kb-copy" data-copy="{esc(text)}">Sao chép cách ghi đề nghị</button>'


def render_basis(report: BasisReport) -> str:
    counts = report.counts()
    problems = sum(counts[k] for k in PROBLEMS)
    head = (f'<div class="kb-sub">Kiểm tra tại ngày {esc(format_date(report.as_of))} '
            f'({esc(SOURCE.get(report.as_of_source, report.as_of_source))}) — {esc(report.draft)}: '
            f'{len(report.citations)} trích dẫn, {problems} cần xử lý, {counts["form_fix"]} cần sửa cách ghi.</div>')
    blocks = []
    for p in report.passages:
        if not p.citations:
            continue
        items = []
        for c in p.citations:
            cls = "kb-error" if c.verdict in PROBLEMS else ("kb-warn" if c.verdict == "amended" else "")
            target = _lookup_button(c.lookup, c.citation or c.lookup) if c.lookup else (
                f'<span class="kb-sub">{esc(c.citation)}</span>' if c.citation else "")
            reasons = "".join(f"<li>{esc(r)}</li>" for r in c.reasons)
            form = ""
            if c.form == "fix":
                form = ('<div class="kb-warn">Cách ghi: ' + esc("; ".join(c.form_issues)) + "</div>"
                        f'<div class="kb-formal"><span class="kb-sub">Đề nghị ghi:</span> {esc(c.suggested)} '
                        f"{_copy(c.suggested)}</div>")
            items.append(f'<li class="kb-desk-cite kb-v-{esc(c.verdict)}"><span class="kb-pick">“{esc(c.written)}”</span> '
                         f'— <strong class="{cls}">{esc(c.label)}</strong> {target}'
                         f'{f"<ul class=kb-relations>{reasons}</ul>" if reasons else ""}{form}</li>')
        blocks.append(f'<div class="kb-preview"><div class="kb-citation">{esc(p.label)}</div>'
                      f'<div class="kb-para kb-sub">{esc(_clip(p.text, 300))}</div><ul class="kb-relations">'
                      + "".join(items) + "</ul></div>")
    if not blocks:
        blocks.append('<div class="kb-empty">Không thấy trích dẫn văn bản nào trong dự thảo.</div>')
    tail = ""
    if report.bodies:
        tail += ('<div class="kb-warnings"><div>Cơ quan được nêu trong dự thảo:</div><ul>'
                 + "".join(f"<li>{esc(b)}</li>" for b in report.bodies) + "</ul></div>")
    tail += "".join(f'<div class="kb-note">Lưu ý: {esc(n)}</div>' for n in report.notes)
    return f'<div class="kb-lookup kb-desk">{head}{"".join(blocks)}{tail}</div>'


def render_trace(report: TraceReport) -> str:
    flagged = sum(t.flagged for t in report.tasks)
    head = (f'<div class="kb-sub">Đối chiếu tại ngày {esc(format_date(report.as_of))} — {esc(report.source)}: '
            f'{len(report.tasks)} nhiệm vụ, {flagged} chưa tìm thấy căn cứ trong cơ sở dữ liệu.</div>')
    if report.source_note:
        head += f'<div class="kb-warn" role="note">{esc(report.source_note)}</div>'
    blocks = []
    for t in report.tasks:
        mark = '<strong class="kb-error">Chưa có căn cứ</strong> ' if t.flagged else ""
        basis = f'{esc(BASIS_LABELS[t.basis])} (độ tin cậy {t.confidence:.0%})'
        if t.links and t.basis == "none":
            links = ('<div class="kb-sub">Gần nhất, không đủ làm căn cứ: '
                     + " ".join(_lookup_button(l.citation, l.citation) for l in t.links) + "</div>")
        else:
            links = "".join(f"<li>{_lookup_button(l.citation, l.citation)} "
                            f'<span class="kb-sub">({esc(RELATIONS[l.relation])})</span></li>' for l in t.links)
            links = f'<ul class="kb-relations">{links}</ul>' if links else ""
        named = "".join(f'<li>“{esc(c.written)}” — <span class="{"kb-error" if c.verdict in PROBLEMS else ""}">'
                        f"{esc(c.label)}</span>"
                        + (f" {_lookup_button(c.lookup, c.citation or c.lookup)}" if c.lookup else "") + "</li>"
                        for c in t.named)
        named = f'<div class="kb-sub">Văn bản được nêu:</div><ul class="kb-relations">{named}</ul>' if named else ""
        reasons = "".join(f'<div class="kb-note">{esc(r)}</div>' for r in t.reasons)
        blocks.append(f'<div class="kb-preview"><div class="kb-citation">{mark}{esc(t.label)}</div>'
                      f'<div class="kb-para">{esc(_clip(t.text, 400))}</div><div class="kb-sub">{basis}</div>'
                      f"{links}{named}{reasons}</div>")
    if not blocks:
        blocks.append('<div class="kb-empty">Không thấy nhiệm vụ nào (mục đánh số hoặc câu giao việc) trong văn bản.</div>')
    tail = "".join(f'<div class="kb-note">Lưu ý: {esc(n)}</div>' for n in report.notes)
    return f'<div class="kb-lookup kb-desk">{head}{"".join(blocks)}{tail}</div>'


def _clip(text: str, n: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


# ---------------------------------------------------------------- handlers


class DeskTab:
    """The tab's handlers, bound to the app (its reader check, its read lock, its service)."""

    def __init__(self, app):
        self.app = app

    def _draft(self, file, text):
        s = self.app.settings
        if file:
            path = Path(file if isinstance(file, str) else getattr(file, "name", ""))
            if path.suffix.lower() not in UPLOAD_EXTENSIONS:
                raise DraftError(f"{path.name}: định dạng {path.suffix or '(không có đuôi)'} không hỗ trợ; dùng DOCX, "
                                 "PDF, DOC, HTML hoặc TXT.")
            return read_draft_file(str(path), s.desk_max_chars, Limits.from_settings(s))
        return read_draft_text(text if isinstance(text, str) else "", s.desk_max_chars)

    def _run(self, what: str, file, text, date_text, session, request):
        self.app._require_reader(session, request)
        try:
            as_of = _parse_date(date_text)
            draft = self._draft(file, text)
            with self.app.lock.read():
                report = self.app.kb.check_basis(draft, as_of) if what == "basis" else self.app.kb.trace(draft, as_of)
        except (KbError, ValueError) as exc:  # ReaderError, DraftError, a bad date: said where the report goes
            return f'<div class="kb-action-error kb-error" role="alert">{esc(str(exc))}</div>'
        return render_basis(report) if what == "basis" else render_trace(report)

    def check(self, file, text, date_text, session, request: gr.Request):
        return self._run("basis", file, text, date_text, session, request)

    def trace(self, file, text, date_text, session, request: gr.Request):
        return self._run("trace", file, text, date_text, session, request)

    def lookup_click(self, session, evt: gr.EventData, request: gr.Request):
        data = getattr(evt, "_data", None) or {}
        ref = data.get("ref", "") if data.get("action") == "lookup" else ""
        if not ref:
            return gr.skip()
        self.app._require_reader(session, request)
        with self.app.lock.read():
            return render_lookup(self.app.kb.lookup(ref))


def _parse_date(text) -> str | None:
    from core.vocab import parse_date

    return parse_date(text if isinstance(text, str) else "")


def build(app, session, events_js: str, upload_types, read: dict) -> None:
    """The tab, inside the app's gr.Tabs (ui/app.py calls this once)."""
    desk = DeskTab(app)
    s = app.settings
    with gr.Tab("Kiểm tra căn cứ", id="desk"):
        gr.Markdown("## Kiểm tra căn cứ và đối chiếu văn bản\nDự thảo được đọc để kiểm tra, không được lưu vào cơ sở "
                    "dữ liệu. Ngày kiểm tra mặc định là ngày ghi trên dự thảo, nếu không có thì hôm nay.")
        with gr.Row():
            with gr.Column(scale=3):
                # Uploads are for a legal-staff login (ui.web refuses others at the edge); anyone may paste.
                file = gr.File(label="Tệp dự thảo (DOCX, PDF, DOC, HTML, TXT; tải lên cần đăng nhập cán bộ pháp chế)",
                               type="filepath",
                               file_types=list(upload_types), elem_id="kb-desk-file")
                text = gr.Textbox(label="Hoặc dán nội dung", lines=8, max_lines=30, elem_id="kb-desk-text",
                                  max_length=s.desk_max_chars,
                                  placeholder="Căn cứ Nghị định số …\nĐiều 1. …")
                with gr.Row():
                    date = gr.Textbox(label="Kiểm tra tại ngày", placeholder="dd/mm/yyyy (tuỳ chọn)", scale=1,
                                      elem_id="kb-desk-date")
                    check_btn = gr.Button("Kiểm tra căn cứ", variant="primary", scale=1, elem_id="kb-desk-check")
                    trace_btn = gr.Button("Đối chiếu văn bản", scale=1, elem_id="kb-desk-trace")
                report = gr.HTML(PLACEHOLDER, js_on_load=events_js, elem_id="kb-desk-report")
            with gr.Column(scale=2):
                panel = gr.HTML('<div class="kb-empty">Bấm một điều khoản trong báo cáo để xem nguyên văn.</div>',
                                js_on_load=events_js, elem_id="kb-desk-lookup")
    inputs = [file, text, date, session]
    check_btn.click(desk.check, inputs, report, api_name="ui_desk_check", **read)
    trace_btn.click(desk.trace, inputs, report, api_name="ui_desk_trace", **read)
    report.click(desk.lookup_click, [session], panel, api_name="ui_desk_lookup", **read)
