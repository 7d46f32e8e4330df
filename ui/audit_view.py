"""The audit log as legal staff read it (“Nhật ký”): records filtered by user, action and document,
newest first, drawn as a table in Vietnamese and exported as CSV.

Pure functions over the records `ui.audit.read_audit` returns; who may see them is checked by the
handler (ui.audit_tab), never here. What a visitor typed reaches the log (a user name tried at
login, a file name), so every cell is escaped in HTML and, in the CSV, a cell a spreadsheet would
read as a formula (=, +, -, @ first) is prefixed with an apostrophe.
"""
from __future__ import annotations

import csv
import io
import json

from ui import render, wording
from ui.audit import INTENT, AuditReading

MAX_SHOWN = 200  # rows drawn in the page; the CSV holds every record the filter keeps

ACTION_LABELS = {
    "login": "Đăng nhập",
    "login_failed": "Đăng nhập không thành công",
    "logout": "Đăng xuất",
    "session_ended": "Phiên bị kết thúc (tài khoản thay đổi)",
    "denied": "Thao tác bị từ chối (không có quyền)",
    "preview": "Xem trước tệp",
    "upload": "Nạp văn bản",
    "replace": "Thay thế văn bản",
    "remove": "Gỡ văn bản",
    "correct": "Sửa thông tin văn bản",
    "restore": "Khôi phục phiên bản",
    "audit_export": "Tải nhật ký (CSV)",
}
OUTCOME_LABELS = {
    "ok": "thành công",
    "refused": "bị từ chối",
    "error": "lỗi",
    INTENT: "bắt đầu (chưa có kết quả)",
    "cancelled": "đã huỷ",
    "not_found": "không có văn bản",
    "removed": "đã gỡ bản cũ",
    "skipped": "bỏ qua",
    "unchanged": "không thay đổi",
    "deleted": "tài khoản bị xoá",
    "role_changed": "vai trò bị đổi",
    "password_changed": "mật khẩu bị đổi",
}
ROLE_LABELS = {"legal_staff": "cán bộ pháp chế", "official": "cán bộ", "": ""}
# An attempt that did not go through: what “Chỉ các lần bị từ chối, lỗi” keeps.
REFUSED_OUTCOMES = {"refused", "error"}
REFUSED_ACTIONS = {"login_failed", "denied"}
CSV_COLUMNS = (("ts", "Thời điểm"), ("user", "Người dùng"), ("role", "Vai trò"), ("action", "Mã thao tác"),
               ("action_label", "Thao tác"), ("outcome", "Mã kết quả"), ("outcome_label", "Kết quả"),
               ("target", "Văn bản"), ("file", "Tệp"), ("sha256", "SHA-256"), ("client", "Địa chỉ máy"),
               ("detail", "Chi tiết"), ("id", "Mã ý định"), ("intent", "Kết quả của ý định"))


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


def outcome_label(code: str) -> str:
    return OUTCOME_LABELS.get(code, code)


def is_refused(record: dict) -> bool:
    return record.get("outcome") in REFUSED_OUTCOMES or record.get("action") in REFUSED_ACTIONS


def _text(value) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return str(value)


def filter_records(reading: AuditReading, user: str = "", action: str = "", document: str = "",
                   refused_only: bool = False, with_intents: bool = False) -> list[dict]:
    """The records kept by the filter, newest first. `user`: the user name (any case); `action`: its
    code; `document`: words found in the document, the file name or the SHA-256 (any case);
    `refused_only`: refused or failed attempts only. An intent whose outcome is recorded is left out
    unless `with_intents` (the outcome says all); one left unanswered is always kept."""
    user, document = (user or "").strip().casefold(), (document or "").strip().casefold()
    unfinished = {id(r) for r in reading.unfinished}
    out = []
    for r in reading.records:
        if r.get("outcome") == INTENT and not with_intents and id(r) not in unfinished:
            continue
        if user and _text(r.get("user")).casefold() != user:
            continue
        if action and r.get("action") != action:
            continue
        if document and document not in " ".join(_text(r.get(k)) for k in ("target", "file", "sha256")).casefold():
            continue
        if refused_only and not is_refused(r):
            continue
        out.append(r)
    out.reverse()  # the log is in time order: newest first
    return out


def user_choices(reading: AuditReading) -> list[tuple[str, str]]:
    """Every user name in the log (first choice: everyone)."""
    names = sorted({_text(r.get("user")) for r in reading.records if r.get("user")}, key=str.casefold)
    return [("Mọi người dùng", "")] + [(n, n) for n in names]


def action_choices() -> list[tuple[str, str]]:
    return [("Mọi thao tác", "")] + [(label, code) for code, label in ACTION_LABELS.items()]


def _safe_cell(text: str) -> str:
    """A spreadsheet cell that cannot run as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(records: list[dict]) -> bytes:
    """CSV (UTF-8 with BOM, so that Excel shows the Vietnamese letters), one row per record."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([label for _, label in CSV_COLUMNS])
    for r in records:
        row = {**r, "action_label": action_label(r.get("action", "")), "outcome_label": outcome_label(r.get("outcome", ""))}
        w.writerow([_safe_cell(_text(row.get(k))) for k, _ in CSV_COLUMNS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


# The log's own words in its detail field (kept as written, for `kb audit` and the CSV), said in the page.
DETAIL_WORDS = {
    "bad credentials": "sai tên đăng nhập hoặc mật khẩu", "locked": "đang tạm khoá đăng nhập từ máy này",
    "upload": "tải tệp lên", "preview": "xem trước tệp", "history": "xem lịch sử phiên bản",
    "correct": "sửa thông tin văn bản", "remove": "gỡ văn bản", "restore": "khôi phục phiên bản",
    "audit": "xem nhật ký", "expired": "phiên đã hết hạn", "deleted": "tài khoản đã bị xoá",
    "role": "vai trò đã đổi", "password": "mật khẩu đã đổi", "unavailable": "tệp tài khoản không dùng được",
}
DETAIL_KEYS = {"overrides": "thông tin sửa khi xem trước", "reason": "lý do", "replaced": "thay thế văn bản",
               "versions": "phiên bản đã lưu", "values": "giá trị nhập", "corrected": "đã sửa",
               "version": "phiên bản"}


def _detail(r: dict) -> str:
    """The detail field in the page's words: known codes said in Vietnamese, no server path or exception name."""
    d = r.get("detail")
    if isinstance(d, dict):
        return "; ".join(f"{DETAIL_KEYS.get(k, k)}: {_detail({'detail': v})}" for k, v in d.items()
                         if v not in (None, "", [], {}))
    text = _text(d)
    if not text:
        return ""
    parts = [DETAIL_WORDS.get(part.strip(), part) for part in text.split(": ")]
    return wording.plain_reason(": ".join(parts))


def render_audit(records: list[dict], reading: AuditReading) -> str:
    """The filtered records as a table (at most MAX_SHOWN), with what was found and skipped."""
    head = [f"{len(records)} bản ghi khớp bộ lọc (nhật ký có {len(reading.records)} bản ghi)."]
    if reading.skipped:
        head.append(f"Bỏ qua {len(reading.skipped)} dòng hỏng của nhật ký (ghi dở khi ổ đĩa đầy hoặc máy chủ dừng).")
    if reading.unfinished:
        head.append(f"{len(reading.unfinished)} thao tác đã bắt đầu nhưng chưa có kết quả.")
    meta = f'<div class="kb-meta" role="status">{render.esc(" ".join(head))}</div>'
    if not records:
        return meta + '<div class="kb-empty">Không có bản ghi nào khớp bộ lọc.</div>'
    rows = []
    for r in records[:MAX_SHOWN]:
        refused = ' class="kb-audit-refused"' if is_refused(r) else ""
        who = render.esc(_text(r.get("user")))
        role = ROLE_LABELS.get(r.get("role", ""), _text(r.get("role")))
        if role:
            who += f'<div class="kb-sub">{render.esc(role)}</div>'
        doc = render.esc(_text(r.get("target")))
        if r.get("file"):
            doc += f'<div class="kb-sub">{render.esc(_text(r.get("file")))}</div>'
        cells = [render.esc(_text(r.get("ts")).replace("T", " ")), who, render.esc(action_label(r.get("action", ""))),
                 render.esc(outcome_label(r.get("outcome", ""))), doc, render.esc(_text(r.get("client"))),
                 render.esc(_detail(r))]
        rows.append(f"<tr{refused}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    more = (f'<div class="kb-note">Đang hiện {MAX_SHOWN}/{len(records)} bản ghi mới nhất; tải tệp CSV để có đủ.</div>'
            if len(records) > MAX_SHOWN else "")
    return (meta + '<div class="kb-table-scroll"><table class="kb-docs kb-audit"><thead><tr><th>Thời điểm</th>'
            "<th>Người dùng</th><th>Thao tác</th><th>Kết quả</th><th>Văn bản, tệp</th><th>Địa chỉ máy</th>"
            f"<th>Chi tiết</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>" + more)
