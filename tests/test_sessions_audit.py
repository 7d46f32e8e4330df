"""Issue 22, items 1 and 4: sessions that outlive their account, and the audit log on a full disk.

Item 1: a legal-staff session is checked against the users file at every staff action; a deleted,
demoted or re-passworded account loses its sessions (all of them) at its next request.
Item 4: audit lines are written whole (one os.write on an O_APPEND descriptor, then fsync); the
reader skips and counts a line the disk cut short; a full disk never blocks a login or a read but
refuses a change whose intent cannot be recorded, in Vietnamese ("Ổ đĩa đầy: …", never "[Errno 28]").

A full disk is simulated for real by pointing audit.jsonl at /dev/full (every write gets ENOSPC),
and by monkeypatching os.write (a partial line, then ENOSPC). The accounts, passwords and the
decree 999/2099 are synthetic. The app runs in-process (ui.app.App over test_ui_api's FakeKB) or
launched like `kb serve` and driven over raw HTTP (Gradio's queue protocol).
"""
from __future__ import annotations

import errno
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

import gradio as gr
import pytest
from starlette.requests import Request

from conftest import free_port
from test_ui_api import FakeKB, Raw, _error
from ui import audit as audit_mod
from ui.audit import AuditLog, read_audit, read_jsonl
from ui.auth import LEGAL_STAFF, OFFICIAL, Authenticator, hash_password

DEVICE_FULL = Path("/dev/full")  # every write to it fails with ENOSPC: a real full disk
needs_dev_full = pytest.mark.skipif(not DEVICE_FULL.exists(), reason="needs /dev/full (Linux)")
STAFF_PW, OTHER_PW, NEW_PW = "mat-khau-thu-nghiem-1", "mat-khau-thu-nghiem-2", "mat-khau-moi-thu-nghiem-3"


_HASHES: dict[str, str] = {}


def synthetic_accounts(path: Path, **accounts) -> Path:
    """The users file with exactly these synthetic accounts: name=(role, password). A password keeps
    its bcrypt hash across rewrites (a fresh salt would read as a password change)."""
    lines = []
    for user, (role, password) in accounts.items():
        pw_hash = _HASHES.setdefault(password, hash_password(password, rounds=4))
        lines += [f"[users.{user}]", f'name = "Người dùng thử {user}"', f'role = "{role}"',
                  f'password_hash = "{pw_hash}"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@contextmanager
def disk_full(path: Path):
    """`path` (the audit log) on a full disk for the duration: a symlink to /dev/full."""
    aside = path.with_suffix(".aside")
    if path.exists():
        os.replace(path, aside)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(DEVICE_FULL)
    try:
        yield
    finally:
        path.unlink()
        if aside.exists():
            os.replace(aside, path)


# ------------------------------------------------------------------------------ in-process app

def page_request(token: str = "", page: str = "page-1") -> gr.Request:
    """What Gradio hands a handler: the browser's cookies (the staff cookie) and its page id."""
    cookie = [(b"cookie", f"kb_session={token}".encode())] if token else []
    scope = {"type": "http", "method": "POST", "path": "/", "headers": cookie, "client": ("127.0.0.1", 5000),
             "query_string": b""}
    return gr.Request(request=Request(scope), session_hash=page)


@pytest.fixture
def local(tmp_path):
    from core.settings import load_settings
    from ui.app import App

    users = synthetic_accounts(tmp_path / "synthetic_users.toml", phapche=(LEGAL_STAFF, STAFF_PW),
                               canbo=(OFFICIAL, OTHER_PW))
    settings = load_settings(env={}, home=str(tmp_path / "home"), users_file=str(users))
    app = App(settings, FakeKB())
    app.users_path = users
    return app


def login(app, username: str, password: str) -> str:
    code, token, _, message = app.web_login(username, password, "127.0.0.1")
    assert code == "ok", message
    return token


def refused_message(call) -> str:
    with pytest.raises(gr.Error) as exc:
        call()
    return exc.value.message


# ------------------------------------------------------------------------------ launched app (raw HTTP)

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from core.settings import load_settings
    from ui.app import build_app, launch_options

    root = tmp_path_factory.mktemp("sessions-audit")
    users = synthetic_accounts(root / "synthetic_users.toml", phapche=(LEGAL_STAFF, STAFF_PW))
    settings = load_settings(env={}, home=str(root / "home"), users_file=str(users))
    kb = FakeKB()
    demo = build_app(settings, kb)
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                        **launch_options(settings))
    yield f"http://127.0.0.1:{port}/", kb, settings, demo.kb_app, users
    demo.close()


def staff_client(url: str, username: str, password: str) -> Raw:
    raw = Raw(url)
    assert raw.call("ui_load", [])["success"]
    assert raw.login(username, password)["success"]
    assert raw.http.cookies.get("kb_session"), "login must set the staff cookie"
    return raw


# ============================================================================== item 1: sessions

def test_probe22_deleted_account_cannot_remove_a_document_over_http(served):
    """The reported case: a legal-staff account is deleted from the users file while logged in;
    its browser (raw HTTP, same cookie) then asks to remove a document and to upload a file."""
    url, kb, settings, app, users = served
    synthetic_accounts(users, xoa=(LEGAL_STAFF, STAFF_PW), conlai=(LEGAL_STAFF, OTHER_PW))
    kb.docs.setdefault("999/2099/NĐ-CP", dict(kb.template, key="999/2099/NĐ-CP", number="999/2099/NĐ-CP"))
    raw, other = staff_client(url, "xoa", STAFF_PW), staff_client(url, "conlai", OTHER_PW)

    synthetic_accounts(users, conlai=(LEGAL_STAFF, OTHER_PW))  # "xoa" deleted, nothing restarted
    removed_before = list(kb.removed)
    out = raw.call("ui_remove", ["999/2099/NĐ-CP", True, None])
    assert not out["success"]
    assert "Phiên đăng nhập đã hết hiệu lực" in _error(out) and "đăng nhập lại" in _error(out)
    assert kb.removed == removed_before and "999/2099/NĐ-CP" in kb.docs
    doc = Path(settings.home) / "synthetic_probe22.txt"
    doc.write_text("Điều 1. Thử nghiệm tổng hợp", encoding="utf-8")
    assert raw.post_upload(doc).status_code == 403  # the upload route (ui.web) asks the same store
    # the page shows why, next to the button, and the login box again
    refused = raw.call("ui_remove_refused", [])
    assert refused["success"] and "hết hiệu lực" in json.dumps(refused["output"]["data"], ensure_ascii=False)
    log = read_jsonl(settings.audit_path)
    assert any(r["action"] == "session_ended" and r["user"] == "xoa" and r["outcome"] == "deleted" for r in log)
    assert any(r["action"] == "denied" and r["user"] == "xoa" for r in log)
    # another legal-staff account, unchanged, still works
    assert other.call("ui_remove", ["999/2099/NĐ-CP", True, None])["success"]
    assert kb.removed[-1] == "999/2099/NĐ-CP"


def test_probe22_demoted_account_loses_staff_rights_at_once(local):
    """`phapche` is changed to role = "official" while logged in: its next staff action is refused."""
    token = login(local, "phapche", STAFF_PW)
    assert local._require_staff(None, page_request(token), "remove").username == "phapche"
    synthetic_accounts(local.users_path, phapche=(OFFICIAL, STAFF_PW), canbo=(OFFICIAL, OTHER_PW))
    msg = refused_message(lambda: local.remove("72/2015/NĐ-CP", True, None, page_request(token)))
    assert msg.startswith("Phiên đăng nhập đã hết hiệu lực") and "vai trò" in msg
    assert local.kb.removed == [] and local.session_of(None, page_request(token)) is None
    # the demoted account logs in again as what it now is: an official, who reads only
    again = login(local, "phapche", STAFF_PW)
    assert local.session_of(None, page_request(again)).role == OFFICIAL
    assert "Chỉ cán bộ pháp chế" in refused_message(lambda: local.remove("72/2015/NĐ-CP", True, None,
                                                                          page_request(again)))


def test_probe22_password_change_ends_every_session_of_the_user(local):
    """`phapche` is logged in from two browsers, `canbo` from one; phapche's password is changed."""
    first, second = login(local, "phapche", STAFF_PW), login(local, "phapche", STAFF_PW)
    reader = login(local, "canbo", OTHER_PW)
    assert len(local.sessions) == 3
    synthetic_accounts(local.users_path, phapche=(LEGAL_STAFF, NEW_PW), canbo=(OFFICIAL, OTHER_PW))
    msg = refused_message(lambda: local.remove("72/2015/NĐ-CP", True, None, page_request(first)))
    assert "mật khẩu" in msg and "đăng nhập lại" in msg
    assert len(local.sessions) == 1  # both of phapche's sessions ended at once, not at their next use
    assert local.session_of(None, page_request(second)) is None
    assert local.session_of(None, page_request(reader)).username == "canbo"  # another account: untouched
    assert "mật khẩu" in refused_message(lambda: local.remove("72/2015/NĐ-CP", True, None, page_request(second)))
    assert local.kb.removed == []
    assert local.web_login("phapche", STAFF_PW, "127.0.0.1")[0] == "bad"
    assert local.remove("72/2015/NĐ-CP", True, None, page_request(login(local, "phapche", NEW_PW)))
    assert local.kb.removed == ["72/2015/NĐ-CP"]
    ended = [r for r in read_jsonl(local.settings.audit_path) if r["action"] == "session_ended"]
    assert [(r["user"], r["outcome"]) for r in ended] == [("phapche", "password")] * 2


def test_probe22_users_file_change_seen_with_the_same_time_and_size(tmp_path):
    """A new bcrypt hash has the length of the old one, and an edit within one timestamp tick keeps
    the modification time: the file is still read as changed (its content hash differs)."""
    users = synthetic_accounts(tmp_path / "synthetic_users.toml", phapche=(LEGAL_STAFF, STAFF_PW))
    a = Authenticator(users)
    assert a.authenticate("phapche", STAFF_PW) is not None
    before = users.stat()
    synthetic_accounts(users, phapche=(LEGAL_STAFF, NEW_PW))
    os.utime(users, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert users.stat().st_size == before.st_size and users.stat().st_mtime_ns == before.st_mtime_ns
    assert a.authenticate("phapche", STAFF_PW) is None
    assert a.authenticate("phapche", NEW_PW) is not None


def test_probe22_broken_users_file_refuses_staff_actions_until_repaired(local):
    """The users file is half-written (invalid TOML) while phapche is logged in, then repaired unchanged."""
    token = login(local, "phapche", STAFF_PW)
    good = local.users_path.read_bytes()
    local.users_path.write_text("[users.phapche\n", encoding="utf-8")
    msg = refused_message(lambda: local.remove("72/2015/NĐ-CP", True, None, page_request(token)))
    assert "không xác minh được" in msg and local.kb.removed == []
    local.users_path.write_bytes(good)  # the same accounts: the session was never ended
    assert local.remove("72/2015/NĐ-CP", True, None, page_request(token))
    assert local.kb.removed == ["72/2015/NĐ-CP"]


# ============================================================================== item 4: audit on a full disk

@needs_dev_full
def test_probe22_login_and_reading_work_on_a_full_disk_but_changes_are_refused(served, capfd):
    """audit.jsonl on a full disk (/dev/full): log in over HTTP, ask, then try to remove and ingest."""
    url, kb, settings, app, users = served
    synthetic_accounts(users, phapche=(LEGAL_STAFF, STAFF_PW))
    kb.docs.pop("999/2099/NĐ-CP", None)  # the previewed file is a new document, not a replacement
    removed, ingested = list(kb.removed), len(kb.ingested)
    doc = Path(settings.home) / "synthetic_probe22_full.txt"
    doc.write_text("Điều 1. Thử nghiệm tổng hợp", encoding="utf-8")
    with disk_full(settings.audit_path):
        raw = Raw(url)
        assert raw.call("ui_load", [])["success"]
        r = raw.session_login("phapche", STAFF_PW)
        assert r.status_code == 200 and r.json()["ok"], r.text  # was: HTTP 500
        assert raw.call("ui_login", ["phapche", "ok", None])["success"]
        assert raw.call("ui_lookup", ["khoản 2 Điều 14 Nghị định 72/2015/NĐ-CP", None, None])["success"]
        assert raw.call("ui_preview", [[raw.upload(doc)], None])["success"]
        out = raw.call("ui_remove", ["72/2015/NĐ-CP", True, None])
        shown = json.dumps(out.get("output"), ensure_ascii=False)
        assert "Ổ đĩa đầy:" in shown and "Errno" not in shown and "nhật ký kiểm toán" in shown
        out = raw.call("ui_ingest", [None, None, "", None])
        shown = json.dumps(out.get("output"), ensure_ascii=False)
        assert "Ổ đĩa đầy:" in shown and "Errno" not in shown
        assert kb.removed == removed and len(kb.ingested) == ingested  # fails closed: nothing changed
        assert raw.http.delete(url + "kb/session").status_code == 200  # logout too
    err = capfd.readouterr().err
    assert "không ghi được nhật ký kiểm toán" in err and '"action": "login"' in err  # the lost record, on stderr


def test_probe22_errno28_in_a_staff_action_is_said_in_vietnamese(served, monkeypatch):
    """The disk fills while a preview stores the upload (shutil.copyfile gets ENOSPC) and while a removal commits."""
    import shutil

    from core.errors import DiskFull

    url, kb, settings, app, users = served
    synthetic_accounts(users, phapche=(LEGAL_STAFF, STAFF_PW))
    raw = staff_client(url, "phapche", STAFF_PW)
    doc = Path(settings.home) / "synthetic_probe22_copy.txt"
    doc.write_text("Điều 1. Thử nghiệm tổng hợp (bản sao)", encoding="utf-8")
    upload = raw.upload(doc)

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(args[-1] if args else ""))

    monkeypatch.setattr(shutil, "copyfile", no_space)
    out = raw.call("ui_preview", [[upload], None])
    assert not out["success"] and _error(out).startswith("Ổ đĩa đầy:") and "Errno" not in _error(out)
    shown = raw.call("ui_preview_refused", [])  # the page: the same message next to the button
    assert "Ổ đĩa đầy:" in json.dumps(shown["output"]["data"], ensure_ascii=False)
    monkeypatch.undo()

    def full_remove(key):
        raise DiskFull(f"Ổ đĩa chứa thư mục dữ liệu {settings.home} đã đầy khi ghi việc gỡ {key}")

    monkeypatch.setattr(kb, "remove_document", full_remove)
    out = raw.call("ui_remove", ["72/2015/NĐ-CP", True, None])
    text = json.dumps(out["output"], ensure_ascii=False)
    assert "Ổ đĩa đầy:" in text and str(settings.home) not in text  # no server path on the page
    rec = [r for r in read_jsonl(settings.audit_path) if r["action"] == "remove"][-2:]
    assert [r["outcome"] for r in rec] == ["intent", "error"] and rec[1]["intent"] == rec[0]["id"]


@needs_dev_full
def test_probe22_change_fails_closed_when_its_intent_cannot_be_written(local):
    """In-process: remove, ingest and restore with the audit log on a full disk; then with room again."""
    token = login(local, "phapche", STAFF_PW)
    req = page_request(token)
    previews = [{"key": "999/2099/NĐ-CP", "orig_key": "999/2099/NĐ-CP", "file": "synthetic.txt",
                 "path": str(local.settings.home / "synthetic.txt"), "sha256": "0" * 64}]
    with disk_full(local.settings.audit_path):
        out = local.remove("72/2015/NĐ-CP", True, None, req)
        assert out[0].count("Ổ đĩa đầy:") == 1 and "72/2015/NĐ-CP" in local.kb.docs
        out = local.ingest(previews, {}, "", None, req, progress=lambda *a, **k: None)
        assert "Ổ đĩa đầy:" in out[0] and local.kb.ingested == []
        out = local.restore_version("72/2015/NĐ-CP", 1, True, None, req)  # a restore is a change too
        assert "Ổ đĩa đầy:" in out[0] and local.kb.restored == []
    assert local.remove("72/2015/NĐ-CP", True, None, req)[0].count("Đã gỡ") == 1
    intent, outcome = [r for r in read_jsonl(local.settings.audit_path) if r["action"] == "remove"]
    assert (intent["outcome"], outcome["outcome"], outcome["intent"]) == ("intent", "ok", intent["id"])


def test_probe22_crash_after_the_commit_leaves_an_intent_the_reader_reports(local):
    """The server dies right after the registry commit of a removal, before its outcome is written."""

    class Crash(BaseException):
        """Stands for the process being killed (not an Exception: nothing handles it)."""

    def commit_then_die(key):
        local.kb.docs.pop(key)
        raise Crash

    local.kb.remove_document = commit_then_die
    with pytest.raises(Crash):
        local.remove("72/2015/NĐ-CP", True, None, page_request(login(local, "phapche", STAFF_PW)))
    reading = read_audit(local.settings.audit_path)
    assert [(r["action"], r["target"], r["user"]) for r in reading.unfinished] == [
        ("remove", "72/2015/NĐ-CP", "phapche")]
    assert any("chưa có kết quả" in line and "72/2015/NĐ-CP" in line for line in reading.describe())


def test_probe22_a_line_cut_short_is_never_glued_to_the_next(tmp_path, monkeypatch, capsys):
    """os.write takes part of a line, then the disk is full; later there is room again."""
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record("login", user="phapche", role=LEGAL_STAFF)
    real_write = os.write

    def partial_then_full(fd, data):
        real_write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(audit_mod.os, "write", partial_then_full)
    assert log.record("logout", user="phapche", role=LEGAL_STAFF) is None  # reported, not raised
    assert "không ghi được nhật ký kiểm toán" in capsys.readouterr().err
    with pytest.raises(audit_mod.AuditUnavailable, match="^Ổ đĩa đầy: "):
        log.intent("remove", user="phapche", target="999/2099/NĐ-CP")
    monkeypatch.undo()
    log.record("login", user="canbo", role=OFFICIAL)
    reading = read_audit(log.path)
    assert [(r["action"], r["user"]) for r in reading.records] == [("login", "phapche"), ("login", "canbo")]
    assert reading.skipped == [2, 3]  # the two fragments, each on its own line
    assert reading.unfinished == []  # an intent that was never written whole is no intent


def test_probe22_reader_skips_bad_lines_and_counts_them(tmp_path):
    """An audit.jsonl as a full disk left it before this fix: a fragment glued to the next record,
    a line that is JSON but not a record, bytes that are not UTF-8 — between good records."""
    path = tmp_path / "audit.jsonl"
    good = [json.dumps({"action": "login", "user": f"u{i}", "outcome": "ok"}) for i in range(3)]
    path.write_bytes("\n".join([good[0], '{"ts": "2099-01-01", "act' + good[1], "[1, 2]", good[2]]).encode()
                     + b"\n\xff\xfe\n")
    reading = read_audit(path)
    assert [r["user"] for r in reading.records] == ["u0", "u2"]
    assert reading.skipped == [2, 3, 5]
    assert any("Bỏ qua 3 dòng hỏng" in line for line in reading.describe())
    assert [r["user"] for r in read_jsonl(path)] == ["u0", "u2"]


def test_probe22_line_is_one_write_on_an_append_descriptor(tmp_path, monkeypatch):
    """Each record reaches the file in exactly one os.write of a whole line, on an O_APPEND fd, then fsync."""
    import fcntl

    calls = []
    real_write, real_fsync = os.write, os.fsync

    def spy_write(fd, data):
        calls.append(("write", bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND), bytes(data)))
        return real_write(fd, data)

    monkeypatch.setattr(audit_mod.os, "write", spy_write)
    monkeypatch.setattr(audit_mod.os, "fsync", lambda fd: (calls.append(("fsync",)), real_fsync(fd))[1])
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record("login", user="phapche", detail="Điều 1 " * 40)
    ((op, appending, data), sync) = calls
    assert op == "write" and appending and data.endswith(b"\n") and data.count(b"\n") == 1
    assert json.loads(data)["user"] == "phapche" and sync == ("fsync",)


# ------------------------------------------------------------------------------ the CLI

@needs_dev_full
def test_probe22_cli_refuses_changes_on_a_full_disk_and_audit_reports(tmp_path, monkeypatch, capsys):
    """`kb ingest`, `kb remove` and `kb restore` with audit.jsonl on a full disk; then `kb audit` after a cut-short line."""
    from kb.cli import main
    from test_ingest_hardening import synthetic_decree

    monkeypatch.setenv("KB_EMBEDDING", "fake")
    home = tmp_path / "home"
    src = synthetic_decree(tmp_path / "synthetic_probe22.txt")
    with disk_full(home / "audit.jsonl"):
        assert main(["--home", str(home), "ingest", "--no-embed", str(src)]) == 3
        err = capsys.readouterr().err
        assert "Ổ đĩa đầy: không ghi được nhật ký kiểm toán" in err and "Errno" not in err
        assert main(["--home", str(home), "docs", "--json"]) == 0
        assert all(d["key"] != "999/2099/NĐ-CP" for d in json.loads(capsys.readouterr().out))  # nothing stored
    assert main(["--home", str(home), "ingest", "--no-embed", str(src)]) == 0
    capsys.readouterr()
    with disk_full(home / "audit.jsonl"):
        assert main(["--home", str(home), "remove", "999/2099/NĐ-CP"]) == 3
        assert "Ổ đĩa đầy:" in capsys.readouterr().err
        assert main(["--home", str(home), "restore", "999/2099/NĐ-CP", "1"]) == 3
        assert "Ổ đĩa đầy:" in capsys.readouterr().err
    assert main(["--home", str(home), "docs", "--json"]) == 0
    assert any(d["key"] == "999/2099/NĐ-CP" for d in json.loads(capsys.readouterr().out))
    assert main(["--home", str(home), "audit"]) == 0
    capsys.readouterr()
    with open(home / "audit.jsonl", "ab") as fh:
        fh.write(b'{"ts": "2099-01-01", "user": "cut')  # a line the disk cut short
    assert main(["--home", str(home), "remove", "999/2099/NĐ-CP"]) == 0
    assert main(["--home", str(home), "audit"]) == 1
    out = capsys.readouterr().out
    assert "Bỏ qua 1 dòng hỏng" in out
    actions = [(r["action"], r["outcome"]) for r in read_jsonl(home / "audit.jsonl")]
    assert actions[-2:] == [("remove", "intent"), ("remove", "ok")]
    assert ("upload", "intent") in actions and ("upload", "ok") in actions
