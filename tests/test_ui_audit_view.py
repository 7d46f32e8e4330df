"""“Nhật ký”: the audit log in the app. The filter and the CSV (ui.audit_view) over records written by
the real AuditLog; over HTTP, only a legal-staff session reads it, and every other caller is refused
and logged. The user names and file names below are synthetic."""
from __future__ import annotations

import csv
import io
import socket

from ui.audit import AuditLog, read_audit
from ui.audit_view import filter_records, render_audit, to_csv, user_choices

from test_ui_api import UI_ACCOUNTS, Raw, _download, _error, fake_app, legal_staff  # noqa: F401 (fixture)


def synthetic_log(path):
    log = AuditLog(path)
    log.record("login_failed", user="=HYPERLINK(\"http://x\")", outcome="refused", client="10.0.0.9",
               detail="bad credentials")
    log.record("login", user="phapche", role="legal_staff", client="10.0.0.1")
    intent = log.intent("upload", user="phapche", role="legal_staff", target="999/2099/NĐ-CP",
                        file="synthetic_nd999.txt", sha256="ab" * 32, client="10.0.0.1")
    log.record("upload", user="phapche", role="legal_staff", target="999/2099/NĐ-CP", file="synthetic_nd999.txt",
               sha256="ab" * 32, client="10.0.0.1", intent=intent, detail={"reason": ""})
    log.record("denied", user="canbo", role="official", outcome="refused", target="72/2015/NĐ-CP",
               client="10.0.0.2", detail="remove")
    log.intent("remove", user="phapche", role="legal_staff", target="72/2015/NĐ-CP", client="10.0.0.1")  # unanswered
    log.record("login_failed", user="<b>x</b>", outcome="refused", client="10.0.0.9", detail="locked")
    return read_audit(path)


def test_filter_by_user_action_document_and_refused(tmp_path):
    reading = synthetic_log(tmp_path / "audit.jsonl")
    everything = filter_records(reading)
    # newest first; the answered intent is left out (its outcome says all), the unanswered one kept
    assert [r["action"] for r in everything] == ["login_failed", "remove", "denied", "upload", "login", "login_failed"]
    assert everything[1]["outcome"] == "intent"
    assert [r["action"] for r in filter_records(reading, user="PHAPCHE")] == ["remove", "upload", "login"]
    assert [r["user"] for r in filter_records(reading, action="denied")] == ["canbo"]
    assert [r["action"] for r in filter_records(reading, document="synthetic_ND999")] == ["upload"]
    assert [r["action"] for r in filter_records(reading, document="abab")] == ["upload"]  # by SHA-256
    assert [r["action"] for r in filter_records(reading, document="72/2015")] == ["remove", "denied"]
    refused = filter_records(reading, refused_only=True)
    assert [r["action"] for r in refused] == ["login_failed", "denied", "login_failed"]
    assert [r["action"] for r in filter_records(reading, user="phapche", with_intents=True)] == [
        "remove", "upload", "upload", "login"]
    assert filter_records(reading, user="nobody") == []
    assert [v for _, v in user_choices(reading)] == ["", "<b>x</b>", "=HYPERLINK(\"http://x\")", "canbo", "phapche"]


def test_csv_has_every_record_kept_in_vietnamese_and_no_formula(tmp_path):
    reading = synthetic_log(tmp_path / "audit.jsonl")
    data = to_csv(filter_records(reading, with_intents=True))
    assert data.startswith("\ufeff".encode("utf-8"))  # Excel reads the file as UTF-8
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 7 and rows[0]["Thao tác"] == "Đăng nhập không thành công"
    upload = next(r for r in rows if r["Mã thao tác"] == "upload" and r["Mã kết quả"] == "ok")
    assert (upload["Người dùng"], upload["Văn bản"], upload["Tệp"], upload["SHA-256"]) == (
        "phapche", "999/2099/NĐ-CP", "synthetic_nd999.txt", "ab" * 32)
    assert upload["Kết quả của ý định"] == next(r for r in rows if r["Mã kết quả"] == "intent"
                                                and r["Mã thao tác"] == "upload")["Mã ý định"]
    # a name typed at the login box cannot run as a spreadsheet formula
    assert rows[-1]["Người dùng"] == "'=HYPERLINK(\"http://x\")"


def test_table_is_escaped_and_said_in_vietnamese(tmp_path):
    reading = synthetic_log(tmp_path / "audit.jsonl")
    html = render_audit(filter_records(reading), reading)
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "bad credentials" not in html and "sai tên đăng nhập hoặc mật khẩu" in html
    assert "Thao tác bị từ chối (không có quyền)" in html and "gỡ văn bản" in html
    assert "6 bản ghi khớp bộ lọc (nhật ký có 7 bản ghi)" in html and "1 thao tác đã bắt đầu" in html
    assert html.count('class="kb-audit-refused"') == 3
    assert "Không có bản ghi nào" in render_audit([], reading)


def test_only_legal_staff_read_the_log_over_http_and_others_are_logged(fake_app):
    url, kb, settings = fake_app
    for login in (None, "canbo"):
        raw = Raw(url)
        assert raw.call("ui_load", [])["success"]
        if login:
            assert raw.login(login, UI_ACCOUNTS[login][1])["success"]
        for name, data in (("ui_audit_btn", ["", "", "", False, None]), ("ui_audit_csv", ["", "", "", False, None])):
            out = raw.call(name, data)
            assert not out["success"] and "cán bộ pháp chế" in _error(out), (login, name, out)
    denied = [r for r in read_audit(settings.audit_path).records if r["action"] == "denied" and r["detail"] == "audit"]
    assert len(denied) == 4 and {r["user"] for r in denied} == {"anonymous", "canbo"}

    raw = legal_staff(url)
    Raw(url).login("phapche", "synthetic-wrong-password")
    shown = raw.call("ui_audit_btn", ["", "login_failed", "", False, None])
    assert shown["success"], shown
    table, users = shown["output"]["data"]
    assert "Đăng nhập không thành công" in table and "Đăng nhập</td>" not in table
    assert "phapche" in [c[1] for c in users["choices"]]
    refused = raw.call("ui_audit_btn", ["canbo", "", "", True, None])["output"]["data"][0]
    assert "Thao tác bị từ chối (không có quyền)" in refused and "xem nhật ký" in refused

    exported = raw.call("ui_audit_csv", ["", "", "", True, None])
    assert exported["success"], exported
    file_data, note = exported["output"]["data"]
    rows = list(csv.DictReader(io.StringIO(_download(raw, file_data["value"]).decode("utf-8-sig"))))
    assert rows and all(r["Mã kết quả"] in ("refused", "error") or r["Mã thao tác"] in ("denied", "login_failed")
                        for r in rows)
    assert f"{len(rows)} bản ghi" in note
    logged = [r for r in read_audit(settings.audit_path).records if r["action"] == "audit_export"]
    assert logged[-1]["user"] == "phapche" and logged[-1]["detail"]["rows"] == len(rows)


def test_refused_uploads_are_logged(fake_app, tmp_path, monkeypatch):
    """A file the preview refuses, and an upload over the size limit, are refused attempts in the log."""
    url, kb, settings = fake_app
    raw = legal_staff(url)
    broken = tmp_path / "synthetic_broken.docx"
    broken.write_bytes(b"not a zip")
    monkeypatch.setattr(kb, "preview_file", lambda path, overrides=None: [
        {"error": f"{path}: tệp DOCX bị hỏng hoặc không phải DOCX (BadZipFile)"}])
    assert raw.call("ui_preview", [[raw.upload(broken)], None])["success"]
    logged = [r for r in read_audit(settings.audit_path).records if r["action"] == "preview"]
    assert logged[-1]["outcome"] == "refused" and logged[-1]["file"] == "synthetic_broken.docx"
    assert logged[-1]["user"] == "phapche" and len(logged[-1]["sha256"]) == 64
    assert "bị hỏng" in logged[-1]["detail"] and str(tmp_path) not in logged[-1]["detail"]

    # declared larger than KB_MAX_UPLOAD_MB: refused before a byte is read, and logged (a raw socket:
    # an HTTP client would not send a body shorter than its declared length)
    host, port = url.split("//", 1)[1].rstrip("/").split(":")
    cookies = "; ".join(f"{k}={v}" for k, v in raw.http.cookies.items())
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall((f"POST /gradio_api/upload HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookies}\r\n"
                      f"Content-Type: multipart/form-data; boundary=x\r\n"
                      f"Content-Length: {settings.upload_request_bytes + 1}\r\n\r\n").encode() + b"x" * 1024)
        status = sock.recv(200).split(b"\r\n", 1)[0]
    assert b" 413 " in status, status
    refused = [r for r in read_audit(settings.audit_path).records if r["action"] == "upload"
               and r["outcome"] == "refused"]
    assert refused and refused[-1]["user"] == "phapche" and "413" in refused[-1]["detail"]
