"""“Nhật ký”: the audit log in the app, for legal staff only (inside the staff column of “Văn bản”,
which anonymous visitors and officials never get). Filter by user, action and document, refused
attempts only; download what the filter keeps as CSV.

Each handler checks the legal-staff session itself, like every staff action (an HTTP caller
without one is refused, and the refusal is itself logged as `denied`); a download is logged
(`audit_export`), since the log names people and addresses.
"""
from __future__ import annotations

import gradio as gr

from ui import render
from ui.audit import read_audit
from ui.audit_view import action_choices, filter_records, render_audit, to_csv, user_choices
from ui.staff import client_address

CSV_NAME = "nhat-ky-kiem-toan.csv"
PLACEHOLDER = '<div class="kb-empty">Chọn bộ lọc rồi bấm “Xem nhật ký”.</div>'


def show(app, user, action, document, refused_only, session, request: gr.Request):
    """“Xem nhật ký”: the records the filter keeps, newest first; the user list refreshed from the log."""
    app._require_staff(session, request, "audit")
    reading = read_audit(app.audit.path)
    records = filter_records(reading, user or "", action or "", document or "", bool(refused_only))
    return render_audit(records, reading), gr.update(choices=user_choices(reading), value=user or "")


def export(app, user, action, document, refused_only, session, request: gr.Request):
    """“Tải CSV”: every record the filter keeps (intents included), as a CSV file; the download is logged."""
    s = app._require_staff(session, request, "audit")
    reading = read_audit(app.audit.path)
    records = filter_records(reading, user or "", action or "", document or "", bool(refused_only), with_intents=True)
    path = app._export_path().with_name(CSV_NAME)
    path.write_bytes(to_csv(records))
    app.audit.record("audit_export", user=s.username, role=s.role, client=client_address(request),
                     detail={"user": user or "", "action": action or "", "document": document or "",
                             "refused_only": bool(refused_only), "rows": len(records)})
    note = f"Tệp CSV gồm {len(records)} bản ghi khớp bộ lọc (kể cả các dòng ghi trước khi thực hiện thay đổi)."
    return gr.update(value=str(path), visible=True), f'<div class="kb-report">{render.esc(note)}</div>'


def build(app, session, read: dict, refused: dict, session_outputs: list) -> list:
    """The “Nhật ký” section (inside the staff column); returns its components that logging out clears.
    `read`: the event options of reading; `refused`: of the .failure handler (ui.staff.staff_refused),
    whose outputs are `session_outputs` then the message."""
    with gr.Accordion("Nhật ký", open=False, elem_id="kb-audit") as box:
        gr.Markdown("Mọi lần đăng nhập (kể cả không thành công), thao tác bị từ chối, lần nạp, thay thế, gỡ, sửa "
                    "và khôi phục văn bản, mới nhất ở trên.")
        with gr.Row():
            user = gr.Dropdown(label="Người dùng", choices=[("Mọi người dùng", "")], value="", elem_id="kb-audit-user",
                               allow_custom_value=True, scale=2)
            action = gr.Dropdown(label="Thao tác", choices=action_choices(), value="", elem_id="kb-audit-action",
                                 scale=2)
            document = gr.Textbox(label="Văn bản hoặc tệp", placeholder="Số hiệu, tên tệp hoặc SHA-256",
                                  elem_id="kb-audit-document", scale=2)
        refused_only = gr.Checkbox(label="Chỉ các lần bị từ chối hoặc lỗi", elem_id="kb-audit-refused")
        with gr.Row():
            show_btn = gr.Button("Xem nhật ký", elem_id="kb-audit-btn")
            csv_btn = gr.Button("Tải CSV", elem_id="kb-audit-csv-btn")
        table = gr.HTML(PLACEHOLDER, js_on_load=None, elem_id="kb-audit-table")
        csv_file = gr.File(label="Tệp CSV", visible=False, interactive=False, elem_id="kb-audit-file")
        csv_msg = gr.HTML("", js_on_load=None, elem_id="kb-audit-msg")

    inputs = [user, action, document, refused_only, session]

    def on_show(user, action, document, refused_only, session, request: gr.Request):
        return show(app, user, action, document, refused_only, session, request)

    def on_export(user, action, document, refused_only, session, request: gr.Request):
        return export(app, user, action, document, refused_only, session, request)

    for name, trigger in (("btn", show_btn.click), ("open", box.expand), ("submit", document.submit)):
        trigger(on_show, inputs, [table, user], api_name=f"ui_audit_{name}", **read).failure(
            outputs=[*session_outputs, table], api_name=f"ui_audit_{name}_refused", **refused)
    csv_btn.click(on_export, inputs, [csv_file, csv_msg], api_name="ui_audit_csv", **read).failure(
        outputs=[*session_outputs, csv_msg], api_name="ui_audit_csv_refused", **refused)
    return [table, csv_file, csv_msg]
