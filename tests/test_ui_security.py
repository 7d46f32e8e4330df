"""Security probes of the web app, one test per defect (numbers as in docs/SECURITY.md).

Each runs the real app (ui.app.build_app, launched like `kb serve`) over the recording FakeKB of
test_ui_api.py and talks raw HTTP (httpx, Gradio's queue protocol) or gradio_client to it, so it
shows what a client outside the page can do. Every test states its probe in the first line of
its docstring and the expected result after "Expected:"; `python tests/write_security_table.py`
runs this file and writes the table of docs/SECURITY.md from them.
"""
from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path

import httpx
import pytest

from conftest import UI_ACCOUNTS, free_port, write_users_file
from test_ui_api import FakeKB, Raw, _error
from ui.audit import FeedbackLog, read_jsonl

STAFF = ("phapche", UI_ACCOUNTS["phapche"][1])
OFFICIAL = ("canbo", UI_ACCOUNTS["canbo"][1])
QUESTION = "Ai quy định việc tổ chức Ngày Việt Nam ở nước ngoài?"


class SlowKB(FakeKB):
    """FakeKB whose ingest spends `embed_seconds` reading/embedding before its registry swap."""

    def __init__(self):
        super().__init__()
        self.embed_seconds = 0.0
        self.ingest_started = threading.Event()

    def ingest_files(self, paths, overrides=None, progress=None, replace=False, commit_lock=None, user=""):
        self.ingest_started.set()
        time.sleep(self.embed_seconds)  # reading, parsing, embedding: the expensive part
        return super().ingest_files(paths, overrides, progress, replace, commit_lock, user)


class App:
    def __init__(self, url, kb, settings, demo, users):
        self.url, self.kb, self.settings, self.demo, self.users = url, kb, settings, demo, users
        self.app = demo.kb_app

    def raw(self, address: str = "127.0.0.1", session: str | None = None) -> Raw:
        """A client of its own (own cookies) connecting from `address` (any 127.x is this machine)."""
        return Raw(self.url, session=session, transport=httpx.HTTPTransport(local_address=address))

    def audit(self) -> list[dict]:
        return read_jsonl(self.settings.audit_path)


@pytest.fixture(scope="module")
def sec(tmp_path_factory):
    from core.settings import load_settings
    from ui.app import build_app, launch_options

    root = tmp_path_factory.mktemp("ui-security")
    users = write_users_file(root / "synthetic_users.toml")
    settings = load_settings(env={}, home=str(root / "home"), users_file=str(users), max_upload_mb=1,
                             login_max_failures_per_client=8)
    kb = SlowKB()
    demo = build_app(settings, kb)
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                        **launch_options(settings))
    yield App(f"http://127.0.0.1:{port}/", kb, settings, demo, users)
    demo.close()


def staff_client(sec: App, address: str = "127.0.0.1") -> Raw:
    raw = sec.raw(address)
    assert raw.call("ui_load", [])["success"]
    assert raw.login(*STAFF)["success"]
    assert raw.http.cookies.get("kb_session"), "login must set the staff cookie"
    return raw


def synthetic_doc(tmp_path: Path, name: str = "synthetic_nd.txt", size: int = 0) -> Path:
    doc = tmp_path / name
    text = "Điều 1. Thử nghiệm\n1. Nội dung thử nghiệm, không có giá trị pháp lý.\n"
    doc.write_text(text + "x" * max(0, size - len(text.encode())), encoding="utf-8")
    return doc


# ------------------------------------------------------------------------------ 1. long questions


def test_defect01_long_question_is_refused_before_retrieval(sec):
    """A 100,000-character question to /ask and to the chat; 101-character user name and 201-character password at login.
    Expected: refused at once with a Vietnamese message naming the limit (2,000 characters), the service is never called; over-long credentials get 413 without a password check."""
    from gradio_client import Client

    asked = len(sec.kb.asked)
    t0 = time.perf_counter()
    with pytest.raises(Exception, match="vượt giới hạn 2.000 ký tự"):
        Client(sec.url, verbose=False).predict(question="Điều " * 20_000, api_name="/ask")
    chat = sec.raw().call("ui_ask", ["Điều " * 20_000, "", "extractive", [], None, None])
    assert chat["success"] and "vượt giới hạn" in chat["output"]["data"][0]
    looked = sec.raw().call("lookup", ["Điều " * 20_000, None])
    assert not looked["success"] and "vượt giới hạn" in _error(looked)
    assert time.perf_counter() - t0 < 10 and len(sec.kb.asked) == asked  # never reached retrieval
    ok = Client(sec.url, verbose=False).predict(question="q" * 2000, api_name="/ask")  # the limit itself is fine
    assert ok["basis"] == "found" and len(sec.kb.asked) == asked + 1
    raw = sec.raw("127.0.0.21")
    for user, password in (("p" * 101, "x"), ("phapche", "x" * 201)):
        r = raw.session_login(user, password)
        assert r.status_code == 413 and r.json()["code"] == "too_long" and "quá dài" in r.json()["message"]


# ------------------------------------------------------------------------------ 2. session_hash is not a login


def test_defect02_copied_session_hash_cannot_act_as_staff(sec):
    """A second client with no cookie sends the logged-in staff member's Gradio session_hash and asks to remove a document, and again from a page of its own; the staff cookie is replayed after logout and after 8 hours.
    Expected: the copied session_hash gets 403 (the page belongs to another browser, audited), its own page “chỉ cán bộ pháp chế…”; nothing removed; the cookie is HttpOnly, SameSite=Strict, Max-Age 8 h; after logout or expiry the same cookie is refused."""
    sec.kb.docs["888/2088/NĐ-CP"] = dict(sec.kb.template, key="888/2088/NĐ-CP", number="888/2088/NĐ-CP")
    staff = sec.raw()
    assert staff.call("ui_load", [])["success"]
    r = staff.session_login(*STAFF)
    assert r.status_code == 200 and r.json()["ok"]
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=28800" in cookie and "Path=/" in cookie
    assert staff.call("ui_login", [STAFF[0], "ok", None])["success"]

    thief = sec.raw(session=staff.session)  # same session_hash, no cookie
    removed_before = list(sec.kb.removed)
    stolen = thief.call("ui_remove", ["888/2088/NĐ-CP", True, None])
    assert stolen.get("http") == 403 and "trình duyệt khác" in _error(stolen)  # ui.pages: not even run
    assert sec.audit()[-1]["action"] == "denied"
    own = sec.raw()  # a page of its own: the staff check behind the page check
    assert own.call("ui_load", [])["success"]
    own_page = own.call("ui_remove", ["888/2088/NĐ-CP", True, None])
    assert not own_page["success"] and "cán bộ pháp chế" in _error(own_page)
    assert sec.kb.removed == removed_before
    assert sec.audit()[-1]["action"] == "denied"

    assert staff.call("ui_remove", ["888/2088/NĐ-CP", True, None])["success"]  # the cookie holder can
    assert sec.kb.removed[-1] == "888/2088/NĐ-CP"

    token = staff.http.cookies.get("kb_session")
    out = staff.http.delete(sec.url + "kb/session")  # what the logout button's script does
    assert out.status_code == 200 and "Max-Age=0" in out.headers["set-cookie"]
    replay = sec.raw()
    replay.http.cookies.set("kb_session", token)
    assert replay.call("ui_load", [])["success"]
    assert "cán bộ pháp chế" in _error(replay.call("ui_remove", ["72/2015/NĐ-CP", True, None]))

    old = staff_client(sec)  # a login older than session_ttl_s (8 h) is refused
    tok = old.http.cookies.get("kb_session")
    s = sec.app.sessions.get(tok)
    sec.app.sessions._sessions[tok] = type(s)(s.username, s.role, s.name, time.time() - 8 * 3600 - 1)
    expired = old.call("ui_remove", ["72/2015/NĐ-CP", True, None])
    assert not expired["success"] and "hết hạn" in _error(expired)
    assert "72/2015/NĐ-CP" in sec.kb.docs


# ------------------------------------------------------------------------------ 3. logs and memory


def test_defect03_logs_and_memory_are_bounded(sec):
    """A 10,000-character and a 5 MB user name at login; 500 failed logins from 500 addresses (failure table capped at 50); three 👍/👎 clicks on one answer.
    Expected: the audit line is clipped (≤ 500 characters a field), the 5 MB body is refused (413) and not logged; the failed-login table stays ≤ its cap and forgets expired entries; feedback keeps one row per answer with the last vote."""
    from ui.auth import Authenticator

    raw = sec.raw("127.0.0.31")
    size = sec.settings.audit_path.stat().st_size if sec.settings.audit_path.exists() else 0
    r = raw.session_login("u" * 10_000, "x")
    assert r.status_code == 413
    row = sec.audit()[-1]
    assert row["action"] == "login_failed" and len(row["user"]) <= sec.settings.max_log_field_chars
    huge = raw.http.post(sec.url + "kb/session", content=b'{"username": "' + b"u" * 5_000_000 + b'"}',
                         headers={"Content-Type": "application/json"})
    assert huge.status_code == 413
    assert sec.settings.audit_path.stat().st_size - size < 3000  # both attempts together

    a = Authenticator(sec.users, max_tracked=50)
    for i in range(500):
        a.authenticate("u" * 200, "x", client=f"10.0.{i // 250}.{i % 250}")  # too long: no bcrypt
    assert a.tracked() <= 50
    a.locked_for("x", "c", now=time.time() + a.window_s + a.lockout_s + 1)
    assert a.tracked() == 0
    assert sec.app.auth.max_tracked == sec.settings.max_tracked_logins  # the app uses the setting

    q = "Câu hỏi phản hồi thử nghiệm synthetic?"
    raw = sec.raw()
    assert raw.call("ui_ask", [q, "", "extractive", [], None, None])["success"]
    for vote in ("up", "up", "down"):
        click = raw.call("ui_chat_click", [None, None], event_data={"action": "feedback", "value": vote, "turn": "0"})
        assert click["success"], click
    rows = [r for r in FeedbackLog(sec.settings.feedback_path).rows() if r["question"] == q]
    assert len(rows) == 1 and rows[0]["rating"] == "down" and rows[0]["changes"] == 1


# ------------------------------------------------------------------------------ 4. uploads


def test_defect04_anonymous_upload_is_refused(sec, tmp_path):
    """POST /gradio_api/upload with no staff cookie, as an official, and as legal staff with a file over KB_MAX_UPLOAD_MB.
    Expected: 403 for anonymous and official clients (nothing stored); staff uploads work; the oversize file gets 413; Gradio's cache is cleaned (delete_cache)."""
    doc = synthetic_doc(tmp_path)
    anon = sec.raw()
    r = anon.post_upload(doc)
    assert r.status_code == 403 and "cán bộ pháp chế" in r.text
    official = sec.raw()
    assert official.session_login(*OFFICIAL).status_code == 200
    assert official.post_upload(doc).status_code == 403
    staff = staff_client(sec)
    stored = staff.upload(doc)
    assert Path(stored["path"]).exists()
    big = synthetic_doc(tmp_path, "synthetic_big.txt", size=int(1.5 * 2**20))
    assert staff.post_upload(big).status_code == 413  # max_upload_mb=1 in this fixture
    assert sec.demo.delete_cache == (600, sec.settings.upload_cache_ttl_s)
    assert sec.demo.max_file_size == 2**20


# ------------------------------------------------------------------------------ 6. ingest vs questions


def test_defect06_questions_and_login_do_not_wait_for_ingest(sec, tmp_path):
    """While a legal-staff ingest spends 4 s reading and embedding, a client asks /ask and another logs in.
    Expected: both answer in well under the 4 s (the write lock is held only for the registry swap)."""
    staff = staff_client(sec)
    assert staff.call("ui_preview", [[staff.upload(synthetic_doc(tmp_path))], None])["success"]
    sec.kb.embed_seconds, sec.kb.ingest_started = 4.0, threading.Event()
    result = {}
    worker = threading.Thread(target=lambda: result.update(staff.call("ui_ingest", [None, None, "", None])))
    worker.start()
    try:
        assert sec.kb.ingest_started.wait(20)
        t0 = time.perf_counter()
        asked = sec.raw().call("ask", [QUESTION, None, "extractive", None, None])
        ask_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        other = sec.raw()
        logged_in = other.login(*OFFICIAL)
        login_s = time.perf_counter() - t0
        still_ingesting = worker.is_alive()
    finally:
        worker.join(30)
        sec.kb.embed_seconds = 0.0
    assert asked["success"] and logged_in["success"] and still_ingesting
    assert ask_s < 2.0 and login_s < 2.0, (ask_s, login_s)
    assert result.get("success"), result


def test_defect06_store_embeds_outside_the_commit_lock(tmp_path):
    """KnowledgeStore.ingest with a commit lock over a synthetic decree (fake embeddings).
    Expected: every embedding call runs outside the lock; the registry swap and the Chroma/lexical sync run inside it."""
    from core.settings import load_settings
    from ingest.store import KnowledgeStore

    settings = load_settings(env={}, home=str(tmp_path / "home"), embedding="fake")
    store = KnowledgeStore(settings)
    held = {"now": False}
    embeds, swaps, upserts = [], [], []

    @contextlib.contextmanager
    def commit_lock():
        held["now"] = True
        try:
            yield
        finally:
            held["now"] = False

    def spy(target, name, log):
        orig = getattr(target, name)
        setattr(target, name, lambda *a, **k: (log.append(held["now"]), orig(*a, **k))[1])

    spy(store.dense, "embed_passages", embeds)
    spy(store.registry, "replace_source", swaps)
    spy(store.dense, "upsert", upserts)
    doc = tmp_path / "synthetic_nd.txt"
    doc.write_text("NGHỊ ĐỊNH\nSố: 997/2097/NĐ-CP\nĐiều 1. Phạm vi\n1. Nội dung thử nghiệm một.\n"
                   "Điều 2. Hiệu lực\n1. Nội dung thử nghiệm hai.\n", encoding="utf-8")
    report = store.ingest([str(doc)], commit_lock=commit_lock)
    assert report.documents == 1 and report.dense_pending == 0
    assert embeds and not any(embeds)  # embedding never under the lock
    assert swaps == [True] and upserts and all(upserts)
    assert store.registry.dense_diff() == ([], [])


# ------------------------------------------------------------------------------ 10. lockout per address


def test_defect10_wrong_passwords_from_elsewhere_do_not_lock_the_user_out(sec):
    """Five wrong passwords for `phapche` from 127.0.0.2, then the right one from 127.0.0.2 and from 127.0.0.3; eight failures with several names from 127.0.0.4.
    Expected: 127.0.0.2 is locked for `phapche` (429), the real user on 127.0.0.3 logs in; 127.0.0.4 is locked for every name, others are not."""
    attacker = sec.raw("127.0.0.2")
    codes = [attacker.session_login("phapche", "sai-mat-khau").json()["code"]
             for _ in range(sec.settings.login_max_failures)]
    assert codes == ["bad"] * (len(codes) - 1) + ["locked"]  # the fifth failure starts the lock
    locked = attacker.session_login(*STAFF)
    assert locked.status_code == 429 and "Tạm khoá" in locked.json()["message"]
    assert sec.raw("127.0.0.3").session_login(*STAFF).status_code == 200
    assert sec.raw("127.0.0.1").session_login(*STAFF).status_code == 200

    sprayer = sec.raw("127.0.0.4")
    for i in range(sec.settings.login_max_failures_per_client):
        sprayer.session_login(("canbo", "phapche")[i % 2], f"sai-{i}")
    assert sprayer.session_login(*OFFICIAL).status_code == 429
    assert sec.raw("127.0.0.5").session_login(*OFFICIAL).status_code == 200


# ------------------------------------------------------------------------------ 11. users-file errors


def test_defect11_broken_users_file_is_not_shown_to_visitors(sec, capfd):
    """The users file becomes invalid TOML; an anonymous visitor tries to log in (route and Gradio event).
    Expected: a generic Vietnamese message without the file path or the parse error; the details go to the audit log and stderr."""
    good = sec.users.read_text(encoding="utf-8")
    try:
        sec.users.write_text("[users.phapche\nrole = ", encoding="utf-8")
        os.utime(sec.users, (time.time() + 10, time.time() + 10))
        raw = sec.raw("127.0.0.11")
        assert raw.call("ui_load", [])["success"]
        r = raw.session_login(*STAFF)
        assert r.status_code == 503 and r.json()["code"] == "unavailable"
        msg = raw.call("ui_login", [STAFF[0], r.json()["code"], None])
        shown = r.text + str(msg["output"])
        assert "quản trị viên" in shown
        for secret in (str(sec.users), sec.users.name, "TOML", "users.phapche"):
            assert secret not in shown, secret
        row = sec.audit()[-1]
        assert row["action"] == "login_failed" and sec.users.name in row["detail"]
        assert sec.users.name in capfd.readouterr().err
    finally:
        sec.users.write_text(good, encoding="utf-8")
        os.utime(sec.users, (time.time() + 20, time.time() + 20))
    assert sec.raw("127.0.0.12").session_login(*STAFF).status_code == 200


# ------------------------------------------------------------------------------ 12. Gradio's own /login


def test_defect12_gradio_login_is_audited_and_expires(tmp_path):
    """KB_ALLOW_ANONYMOUS=false: log in through Gradio's own /login (wrong, then right password), then replay its token after 8 hours.
    Expected: both attempts are in the audit log with the client address; the login also gives the staff cookie; after the session limit Gradio's token and the staff cookie are refused."""
    from core.settings import load_settings
    from ui.app import serve

    users = write_users_file(tmp_path / "synthetic_users.toml")
    port = free_port()
    settings = load_settings(env={}, home=str(tmp_path / "home"), users_file=str(users), allow_anonymous=False,
                             port=port)
    demo = serve(settings, FakeKB(), prevent_thread_lock=True, quiet=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        http = httpx.Client(timeout=30)
        assert http.post(url + "login", data={"username": "phapche", "password": "sai"}).status_code == 400
        ok = http.post(url + "login", data={"username": STAFF[0], "password": STAFF[1]})
        assert ok.status_code == 200 and http.get(url + "config").status_code == 200
        rows = read_jsonl(settings.audit_path)
        assert [(r["action"], r["user"], r["client"]) for r in rows[-2:]] == [
            ("login_failed", "phapche", "127.0.0.1"), ("login", "phapche", "127.0.0.1")]
        raw = Raw(url, cookies=http.cookies)
        assert raw.call("ui_load", [])["success"]
        assert raw.call("ui_remove", ["72/2015/NĐ-CP", True, None])["success"]  # the staff cookie came with it

        app = demo.kb_app
        gradio_token = next(v for k, v in http.cookies.items() if k.startswith("access-token-unsecure"))
        app.security.gradio_issued[gradio_token] = time.time() - settings.session_ttl_s - 1
        token = http.cookies.get("kb_session")
        s = app.sessions.get(token)
        app.sessions._sessions[token] = type(s)(s.username, s.role, s.name, time.time() - settings.session_ttl_s - 1)
        assert http.get(url + "config").status_code in (401, 403)
        assert gradio_token not in demo.app.tokens
        assert app.sessions.get(token) is None
    finally:
        demo.close()


# ------------------------------------------------------------------------------ 13. /ask documents


def test_defect13_ask_documents_string_and_unknown_keys(sec):
    """/ask with documents="72/2015/NĐ-CP" (a string), with ["72/2015/NĐ-CP"], and with an unknown key.
    Expected: a string is one key (not its characters); an unknown key is refused with a Vietnamese message saying where valid keys are listed."""
    from gradio_client import Client

    client = Client(sec.url, verbose=False)
    client.predict(question=QUESTION, documents="72/2015/NĐ-CP", api_name="/ask")
    assert sec.kb.asked[-1][3] == ["72/2015/NĐ-CP"]
    client.predict(question=QUESTION, documents=["72/2015/NĐ-CP"], api_name="/ask")
    assert sec.kb.asked[-1][3] == ["72/2015/NĐ-CP"]
    n = len(sec.kb.asked)
    with pytest.raises(Exception, match="Không có văn bản “999/1999/XX”.*kb docs"):
        client.predict(question=QUESTION, documents=["999/1999/XX"], api_name="/ask")
    assert len(sec.kb.asked) == n


# ------------------------------------------------------------------------------ 15. headers


def test_defect15_security_headers(sec):
    """GET the page, its config, the API info and POST /kb/session.
    Expected: every response has Content-Security-Policy (frame-ancestors 'none', object-src 'none', base-uri 'self'), X-Frame-Options DENY, Referrer-Policy no-referrer, X-Content-Type-Options nosniff."""
    http = httpx.Client(timeout=30)
    responses = [http.get(sec.url), http.get(sec.url + "config"), http.get(sec.url + "gradio_api/info"),
                 http.post(sec.url + "kb/session", json={"username": "", "password": ""})]
    for r in responses:
        csp = r.headers.get("content-security-policy", "")
        for directive in ("frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'"):
            assert directive in csp, (r.url, csp)
        assert r.headers.get("x-frame-options") == "DENY"
        assert r.headers.get("referrer-policy") == "no-referrer"
        assert r.headers.get("x-content-type-options") == "nosniff"


def test_security_doc_lists_every_probe():
    """docs/SECURITY.md's probe table (tests/write_security_table.py) has a row for every test_defect test."""
    import ast

    doc = (Path(__file__).resolve().parent.parent / "docs" / "SECURITY.md").read_text(encoding="utf-8")
    names = [n.name for n in ast.parse(Path(__file__).read_text(encoding="utf-8")).body
             if isinstance(n, ast.FunctionDef) and n.name.startswith("test_defect")]
    missing = [n for n in names if f"`{n}`" not in doc]
    assert not missing, f"run `python tests/write_security_table.py`; missing rows: {missing}"
