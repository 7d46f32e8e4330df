"""Accounts, sessions and the audit/feedback journals of the web UI (fast, no server)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import write_users_file
from ui import auth
from ui.audit import AuditLog, FeedbackLog, file_sha256, read_jsonl
from ui.auth import (
    LEGAL_STAFF,
    OFFICIAL,
    Authenticator,
    Session,
    UsersFileError,
    can_manage,
    hash_password,
    load_users,
    start_session,
    verify_password,
)

REPO = Path(__file__).resolve().parent.parent


def users_toml(path: Path, **accounts) -> Path:
    return write_users_file(path, accounts)


def test_hash_is_bcrypt_and_verifies():
    h = hash_password("mật-khẩu-dài", rounds=4)
    assert h.startswith("$2b$04$")
    assert verify_password("mật-khẩu-dài", h)
    assert not verify_password("mật-khẩu-sai", h)
    assert not verify_password("", h)
    assert not verify_password("x", "không-phải-bcrypt")
    assert hash_password("mật-khẩu-dài", rounds=4) != h  # salted


def test_hash_refuses_empty_and_too_long():
    with pytest.raises(ValueError):
        hash_password("")
    with pytest.raises(ValueError):
        hash_password("đ" * 40)  # 80 bytes in UTF-8


def test_load_users(tmp_path):
    f = users_toml(tmp_path / "u.toml", phapche=(LEGAL_STAFF, "pw-phap-che"), canbo=(OFFICIAL, "pw-can-bo"))
    users = load_users(f)
    assert set(users) == {"phapche", "canbo"}
    assert users["phapche"].role == LEGAL_STAFF and users["phapche"].display == "Người dùng thử phapche"


@pytest.mark.parametrize("body, fragment", [
    ('[users.a]\nrole = "admin"\npassword_hash = "$2b$04$abc"\n', "role"),
    ('[users.a]\nrole = "official"\npassword = "plaintext"\n', "password_hash"),
    ('[users.a]\nrole = "official"\npassword_hash = "plaintext"\n', "bcrypt"),
    ('users = 1\n', "[users."),
    ('[users.a\n', "TOML"),
])
def test_bad_users_files_say_what_is_wrong(tmp_path, body, fragment):
    f = tmp_path / "u.toml"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(UsersFileError) as exc:
        load_users(f)
    assert fragment in str(exc.value) and str(f) in str(exc.value)


def test_missing_users_file(tmp_path):
    with pytest.raises(UsersFileError):
        load_users(tmp_path / "absent.toml")
    a = Authenticator(tmp_path / "absent.toml")
    assert a.authenticate("x", "y") is None and "absent.toml" in a.error


def test_example_users_file_parses():
    users = load_users(REPO / "docs" / "users.example.toml")
    assert {u.role for u in users.values()} == {LEGAL_STAFF, OFFICIAL}


def test_authenticator_roles_and_reload(tmp_path):
    f = users_toml(tmp_path / "u.toml", phapche=(LEGAL_STAFF, "pw-phap-che"))
    a = Authenticator(f)
    assert a.configured
    user = a.authenticate("phapche", "pw-phap-che")
    assert user is not None and user.role == LEGAL_STAFF
    assert a.authenticate("phapche", "sai") is None
    assert a.authenticate("khong-co", "pw-phap-che") is None
    assert a.check("phapche", "pw-phap-che")
    # the file is re-read when it changes: the account is demoted without a restart
    time.sleep(0.01)
    users_toml(f, phapche=(OFFICIAL, "pw-phap-che"))
    os.utime(f, (time.time() + 5, time.time() + 5))
    assert a.authenticate("phapche", "pw-phap-che").role == OFFICIAL


def test_no_users_file_means_nobody_logs_in():
    a = Authenticator(None)
    assert not a.configured and a.authenticate("admin", "admin") is None


def test_lockout_after_repeated_failures(tmp_path):
    f = users_toml(tmp_path / "u.toml", phapche=(LEGAL_STAFF, "pw-phap-che"))
    a = Authenticator(f)
    for _ in range(auth.MAX_FAILURES):
        assert a.authenticate("phapche", "sai") is None
    assert a.locked_for("phapche") > 0
    assert a.authenticate("phapche", "pw-phap-che") is None  # even the right password, while locked
    assert a.locked_for("phapche", now=time.time() + auth.LOCKOUT_S + 1) == 0


def test_only_live_legal_staff_sessions_may_change_documents():
    staff = auth.User("phapche", LEGAL_STAFF, "P", "$2b$04$x")
    official = auth.User("canbo", OFFICIAL, "C", "$2b$04$x")
    assert can_manage(start_session(staff))
    assert not can_manage(start_session(official))
    assert not can_manage(None)
    assert not can_manage({"username": "phapche", "role": LEGAL_STAFF})  # not a server-made Session
    old = Session("phapche", LEGAL_STAFF, "P", logged_in_at=time.time() - auth.SESSION_TTL_S - 1)
    assert not can_manage(old)


def test_hash_command_line(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "ui.auth", "hash", "--stdin"], input="mot-mat-khau-dai\n",
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert verify_password("mot-mat-khau-dai", proc.stdout.strip())
    short = subprocess.run([sys.executable, "-m", "ui.auth", "hash", "--stdin"], input="ngan\n",
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert short.returncode == 1 and "ít nhất" in short.stderr
    f = users_toml(tmp_path / "u.toml", canbo=(OFFICIAL, "pw-can-bo"))
    check = subprocess.run([sys.executable, "-m", "ui.auth", "check", str(f)], capture_output=True, text=True,
                           env=env, timeout=60)
    assert check.returncode == 0 and "canbo\tofficial" in check.stdout


def test_auth_module_does_not_need_kb_or_gradio():
    code = "import sys, ui.auth; print(any(m.split('.')[0] in ('kb', 'gradio', 'qa') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_audit_log_appends_jsonl(tmp_path):
    log = AuditLog(tmp_path / "sub" / "audit.jsonl")
    doc = tmp_path / "vb.txt"
    doc.write_text("Điều 1. Thử", encoding="utf-8")
    log.record("upload", user="phapche", role=LEGAL_STAFF, target="999/2099/NĐ-CP", file="vb.txt",
               sha256=file_sha256(doc), client="127.0.0.1")
    log.record("login_failed", user="x", outcome="refused")
    rows = read_jsonl(tmp_path / "sub" / "audit.jsonl")
    assert [r["action"] for r in rows] == ["upload", "login_failed"]
    assert rows[0]["sha256"] == file_sha256(doc) and len(rows[0]["sha256"]) == 64
    assert rows[0]["target"] == "999/2099/NĐ-CP" and rows[0]["ts"]
    raw = (tmp_path / "sub" / "audit.jsonl").read_text(encoding="utf-8")
    assert "NĐ-CP" in raw  # UTF-8, not \\u escapes


def test_feedback_log(tmp_path):
    fb = FeedbackLog(tmp_path / "feedback.sqlite3")
    answer = {"answer": "Theo …", "citations": [{"citation": "Khoản 2 Điều 14 Nghị định 72/2015/NĐ-CP"}],
              "basis": "found", "mode": "extractive"}
    fb.record(vote="t1", rating="up", question="Ai quy định?", answer=answer)
    with pytest.raises(ValueError):
        fb.record(vote="t1", rating="meh", question="q", answer=answer)
    (row,) = FeedbackLog(tmp_path / "feedback.sqlite3").rows()  # what another process reads back
    assert row["rating"] == "up" and row["question"] == "Ai quy định?" and row["citations"] and row["ts"]
    fb.record(vote="t1", rating="down", question="Ai quy định?", answer=answer)  # a changed mind replaces
    fb.record(vote="t2", rating="up", question="Câu khác?", answer=answer)
    assert [(r["vote"], r["rating"], r["changes"]) for r in fb.rows()] == [("t1", "down", 1), ("t2", "up", 0)]
