"""Legal-staff actions of the web app: login, upload, preview and correct, ingest, replace, remove,
version history (list, read, restore).

Every handler checks the server-side session itself (any Gradio event can be called over HTTP;
the check re-reads the account in the users file) and writes what it did, or refused, to the audit
log. A change writes its audit intent first and is refused when that cannot be written. The
password is checked by the `/kb/session` route (ui.web), which sets the HttpOnly staff cookie; the
Gradio login event only shows the result.
"""
from __future__ import annotations

import functools
import inspect
import queue
import shutil
import sys
import threading
from collections import OrderedDict
from pathlib import Path

from core.errors import DiskFull, KbError, is_disk_full
from core.vocab import UPLOAD_EXTENSIONS

import gradio as gr

from ui import render, scan_view, scratch, wording
from ui.audit import AuditUnavailable, file_sha256
from ui.auth import LOGIN_CLIENT, SESSION_ENDED, Session, User, can_manage

UPLOAD_TYPES = UPLOAD_EXTENSIONS
DOC_VIEWS = 6  # what App.doc_views returns: catalogue, document list, four document dropdowns


def client_address(request: gr.Request | None) -> str:
    try:
        return request.client.host if request and request.client else ""
    except AttributeError:
        return ""

_client = client_address


LOGIN_MESSAGES = {
    "bad": "Tên đăng nhập hoặc mật khẩu không đúng.",
    "locked": "Tạm khoá đăng nhập từ máy này cho tài khoản này, thử lại sau {minutes} phút.",
    "too_long": "Tên đăng nhập hoặc mật khẩu quá dài.",
    # The users file is broken or missing: its path and parse error go to the audit log and stderr only.
    "unavailable": "Hệ thống đăng nhập tạm thời không dùng được. Hãy báo quản trị viên.",
    "network": "Không gửi được yêu cầu đăng nhập tới máy chủ; thử lại.",
}
# What the login button's browser code does before the Gradio event: POST the credentials to
# /kb/session (which sets the HttpOnly cookie) and pass only the outcome code on, never the password.
LOGIN_JS = """async (username, password, session) => {
  let code = "network";
  try {
    const r = await fetch("kb/session", {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json"}, body: JSON.stringify({username: username || "", password: password || ""})});
    const j = await r.json().catch(() => ({}));
    code = j.code || (r.ok ? "ok" : "bad");
  } catch (e) { code = "network"; }
  return [username, code, session];
}"""
LOGOUT_JS = """async (session) => {
  try { await fetch("kb/session", {method: "DELETE", credentials: "same-origin"}); } catch (e) {}
  return [session];
}"""


# What the page says when the server's disk or its audit log fails a staff action (never
# "[Errno 28] No space left on device" with a server path: the details go to stderr and the log).
DISK_FULL = ("Ổ đĩa đầy: máy chủ hết dung lượng trống nên thao tác không thực hiện được; dữ liệu đã lưu trước đó "
             "vẫn nguyên vẹn. Hãy báo quản trị viên giải phóng dung lượng rồi thực hiện lại.")
AUDIT_DISK_FULL = ("Ổ đĩa đầy: máy chủ không ghi được nhật ký kiểm toán nên thao tác chưa được thực hiện; chưa có "
                   "gì thay đổi. Hãy báo quản trị viên giải phóng dung lượng rồi thực hiện lại.")
AUDIT_UNAVAILABLE = ("Máy chủ không ghi được nhật ký kiểm toán nên thao tác chưa được thực hiện; chưa có gì thay "
                     "đổi. Hãy báo quản trị viên.")


def failure_message(exc: BaseException) -> str | None:
    """The page's message for a failure of the disk or of the audit log; None for anything else."""
    if isinstance(exc, AuditUnavailable):
        return AUDIT_DISK_FULL if isinstance(exc, DiskFull) else AUDIT_UNAVAILABLE
    if isinstance(exc, DiskFull) or is_disk_full(exc):
        return DISK_FULL
    return None


class FailureNotes:
    """The message of a staff action that failed, kept for the page's .failure handler (staff_refused),
    keyed by the page (Gradio's session_hash: both events come from it); bounded."""

    def __init__(self, limit: int):
        self.limit = limit
        self._notes: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, request: gr.Request | None, message: str) -> None:
        key = getattr(request, "session_hash", None)
        if not key:
            return
        with self._lock:
            self._notes.pop(key, None)
            self._notes[key] = message
            while len(self._notes) > self.limit:
                self._notes.popitem(last=False)

    def take(self, request: gr.Request | None) -> str:
        key = getattr(request, "session_hash", None)
        with self._lock:
            return self._notes.pop(key, "") if key else ""


def staff_action(handler):
    """A staff event handler whose disk-full or audit failure reaches the caller as a Vietnamese
    gr.Error (and the page, through staff_refused, next to the button) instead of Gradio showing
    the OSError's text. Other errors pass unchanged."""

    def refuse(self, exc: Exception, args, kwargs) -> gr.Error:
        message = failure_message(exc)
        if message is None:
            raise exc
        print(f"kb: {handler.__name__}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        request = next((a for a in (*args, *kwargs.values()) if isinstance(a, gr.Request)), None)
        self.failure_notes.put(request, message)
        return gr.Error(message, title="Lỗi", visible=False)

    if inspect.isgeneratorfunction(handler):  # Gradio streams a handler only if it is itself a generator
        @functools.wraps(handler)
        def streaming(self, *args, **kwargs):
            try:
                yield from handler(self, *args, **kwargs)
            except gr.Error:
                raise
            except Exception as exc:
                raise refuse(self, exc, args, kwargs) from None

        return streaming

    @functools.wraps(handler)  # Gradio reads the wrapped signature (gr.Request, gr.Progress)
    def wrapper(self, *args, **kwargs):
        try:
            return handler(self, *args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:
            raise refuse(self, exc, args, kwargs) from None

    return wrapper


def run_with_progress(work, n_outputs: int):
    """Run `work(progress)` in a thread; yield the page's progress line (and `gr.skip()` for the
    other outputs) while it runs, then what it returned. An exception is raised here, in the event.

    Gradio's own progress shows a percentage that stays at 0.0 % while a file is read (the reader
    reports nothing until it is done), and English timers; this says the step in words."""
    steps: queue.Queue = queue.Queue()
    result: dict = {}

    def target():
        try:
            result["out"] = work(lambda fraction=None, desc="", **_: steps.put((fraction, desc)))
        except BaseException as exc:  # handed to the event below
            result["exc"] = exc
        finally:
            steps.put(None)

    threading.Thread(target=target, name="kb-ingest", daemon=True).start()
    while (step := steps.get()) is not None:
        while True:  # only the latest step is worth drawing
            try:
                nxt = steps.get_nowait()
            except queue.Empty:
                break
            if nxt is None:
                steps.put(None)
                break
            step = nxt
        yield (wording.render_ingest_progress(*step), *(gr.skip(),) * (n_outputs - 1))
    if "exc" in result:
        raise result["exc"]
    yield result["out"]


def _plain_report(report: dict) -> dict:
    """The ingest report with each refused or skipped file's reason in plain words (no server path,
    no exception name); the audit log keeps the reason as the store gave it."""
    out = dict(report)
    for kind in ("refused", "skipped"):
        out[kind] = [{**item, "reason": wording.plain_reason(item.get("reason", ""),
                                                             str(item.get("path", "")).rsplit("/", 1)[-1])}
                     for item in report.get(kind, [])]
    return out


class StaffActions:
    """Mixed into ui.app.App, which provides kb, audit, auth, sessions, lock, failure_notes and the view helpers."""

    def login_message(self, code: str, username: str = "", client: str = "") -> str:
        wait = self.auth.locked_for(username, client) if code == "locked" else 0
        return LOGIN_MESSAGES.get(code, LOGIN_MESSAGES["bad"]).format(minutes=int(wait // 60) + 1)

    def _login_failed(self, username: str, client: str, detail: str) -> None:
        self.audit.record("login_failed", user=username, outcome="refused", client=client, detail=detail)

    def _check_login(self, username: str, password: str, client: str) -> tuple[str, User | None]:
        """(outcome code, user): throttled per address and per (address, user name), audited either way."""
        username, password = (username or "").strip(), password or ""
        if self.auth.too_long(username, password):
            self.auth.authenticate(username, password, client)  # counted against the address, refused before bcrypt
            self._login_failed(username, client, f"quá dài ({len(username)} ký tự tên, {len(password)} ký tự mật khẩu)")
            return "too_long", None
        user = self.auth.authenticate(username, password, client) if self.auth.configured else None
        if user is None:
            wait = self.auth.locked_for(username, client)
            code = "unavailable" if self.auth.error else "locked" if wait else "bad"
            self._login_failed(username, client, {"unavailable": f"tệp tài khoản: {self.auth.error}",
                                                  "locked": "locked"}.get(code, "bad credentials"))
            return code, None
        self.audit.record("login", user=user.username, role=user.role, client=client)
        return "ok", user

    def web_login(self, username, password, client: str, old_token: str = "") -> tuple[str, str, Session | None, str]:
        """POST /kb/session: (outcome code, new cookie token or "", session, message for the user)."""
        code, user = self._check_login(username, password, client)
        if user is None:
            return code, "", None, self.login_message(code, (username or "").strip(), client)
        self.sessions.revoke(old_token)  # a new login never reuses a token the browser had before
        token, s = self.sessions.issue(user)
        return "ok", token, s, ""

    def web_logout(self, token: str, client: str) -> Session | None:
        s = self.sessions.revoke(token)
        if s:
            self.audit.record("logout", user=s.username, role=s.role, client=client)
        return s

    def gradio_auth(self, username: str, password: str) -> bool:
        """Gradio's own /login (KB_ALLOW_ANONYMOUS=false): same throttling per address, audited."""
        return self._check_login(username, password, LOGIN_CLIENT.get())[1] is not None

    def login(self, username, outcome, session, request: gr.Request):
        """After LOGIN_JS: the cookie /kb/session set is the login; `outcome` only picks the message."""
        s = self.session_of(None, request)
        if s is not None:
            return (s, *self._session_views(s), "", "")
        msg = self.login_message(str(outcome or "bad")[:20], (username or "").strip(), _client(request))
        return (None, *self._session_views(None), render.esc(msg), "")

    def logout(self, session, request: gr.Request):
        # LOGOUT_JS cleared the cookie; revoke here too, so a raw-HTTP logout also ends the session.
        self.web_logout(self._cookie(request), _client(request))
        # ... and nothing of the staff member's work stays on the page: previews, messages, reports.
        return (None, *self._session_views(None), "", "", [], {}, "", "", "", "", "", gr.update(visible=False),
                "", "", "", "")

    def staff_refused(self, request: gr.Request):
        """After a staff action failed (session ended, refused, disk full): say so where the action is,
        and show the page as the server sees this browser (login box back when the session is gone)."""
        s, reason, _ = self.sessions.lookup(self._cookie(request))
        note = self.failure_notes.take(request)
        if s is None:
            msg = SESSION_ENDED.get(reason) or ("Phiên đăng nhập đã hết hạn hoặc đã đăng xuất; hãy đăng nhập lại rồi "
                                                "thực hiện lại thao tác.")
        elif note:
            msg = note
        elif not can_manage(s):
            msg = "Chỉ cán bộ pháp chế đã đăng nhập mới được nạp, thay thế hoặc gỡ văn bản."
        else:
            msg = "Thao tác không thành công; hãy thử lại hoặc báo quản trị viên."
        return (s, *self._session_views(s), render.render_action_error(msg))

    # ------------------------------------------------------------ originals no longer downloadable
    def _served_copies(self, keys) -> dict[str, Path]:
        """Before a change that may withdraw these documents' originals (remove, replace, restore):
        original file -> the folder of Gradio's cache holding the copy a download link points at."""
        with self.lock.read():
            originals = [self.kb.original_file(k) for k in dict.fromkeys(keys) if k]
        copies = {o.path: scratch.served_copy(o.path) for o in originals if o is not None}
        return {path: copy for path, copy in copies.items() if copy is not None}

    @staticmethod
    def _drop_withdrawn(copies: dict[str, Path]) -> None:
        """The cached copies of originals the change withdrew (ingest.store.withdraw_originals): a
        link given out before stops working now, not when the cache ages out (KB_UPLOAD_CACHE_TTL)."""
        for original, copy in copies.items():
            if not Path(original).exists():
                shutil.rmtree(copy, ignore_errors=True)

    # ------------------------------------------------------------ legal staff: upload, preview, ingest
    def _store_upload(self, path: str) -> tuple[Path, str]:
        """Keep uploads under <home>/uploads/<sha256 prefix>/<name>: the registry points at them."""
        sha = file_sha256(path)
        name = Path(path).name
        dest = self.uploads / sha[:16] / name
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
        return dest, sha

    def _preview_one(self, path: Path, sha: str, overrides: dict | None = None) -> list[dict]:
        with self.lock.read():
            items = self.kb.preview_file(str(path), overrides) if overrides else self.kb.preview_file(str(path))
        out = []
        scanned = next((i.get("scan_pages") for i in items if i.get("scan_pages")), None)
        images = scan_view.page_images(self.kb, str(path), scanned) if scanned else {}
        for item in items:
            if item.get("error"):  # said without the server path or the exception's name
                item = {**item, "error": wording.plain_reason(item["error"], path.name)}
            if item.get("scan_pages"):
                item = {**item, "scan_images": images}
            out.append({**item, "file": path.name, "path": str(path), "sha256": sha,
                        "orig_key": item.get("key", ""),
                        "original": {k: item.get(k) or "" for k, _ in render.EDITABLE_FIELDS}})
        return out

    def _preview_views(self, previews: list[dict], overrides: dict):
        existing = {d.key for d in self._docs() if d.ready}
        keyed = [p for p in previews if not p.get("error")]
        choices = [(f"{p.get('key') or p.get('title', '')} ({p['file']})", p["orig_key"]) for p in keyed]
        return (render.render_preview(previews, existing, corrected=[p["key"] for p in keyed if p["orig_key"] in overrides])
                + scan_view.render_scans(previews),
                gr.update(choices=choices, value=choices[0][1] if choices else None))

    @staff_action
    def preview(self, files, session, request: gr.Request):
        s = self._require_staff(session, request, "preview")
        previews: list[dict] = []
        seen: set[str] = set()
        for f in files or []:
            path = Path(f if isinstance(f, str) else getattr(f, "name", ""))
            if path.suffix.lower() not in UPLOAD_TYPES:
                previews.append({"file": path.name, "error": f"định dạng {path.suffix or '(không có đuôi)'} không hỗ trợ; "
                                                            "dùng PDF, DOCX, HTML hoặc TXT"})
                continue
            stored, sha = self._store_upload(str(path))
            if sha in seen:
                continue  # the same file chosen twice: read and shown once
            seen.add(sha)
            previews.extend(self._preview_one(stored, sha))
        if not previews:
            return ([], {}, render.render_action_error("Chọn ít nhất một tệp (PDF, DOCX, HTML, TXT hoặc HTML "
                                                       "Bộ pháp điển)."), gr.update(choices=[], value=None), "")
        for p in previews:  # a file refused at the preview is a refused upload: logged (Nhật ký)
            if p.get("error"):
                self.audit.record("preview", user=s.username, role=s.role, outcome="refused", file=p.get("file", ""),
                                  sha256=p.get("sha256", ""), client=_client(request), detail=p["error"])
        return (previews, {}, *self._preview_views(previews, {}), "")

    @staff_action
    def fix_fields(self, orig_key, previews, session, request: gr.Request):
        self._require_staff(session, request, "preview")
        p = next((p for p in previews or [] if p.get("orig_key") == orig_key and not p.get("error")), None)
        if p is None:
            return tuple(gr.update(value="") for _ in render.EDITABLE_FIELDS)
        # status: staff's own choice, not the reading (which the sources decide): empty until chosen
        return tuple(render.format_date(p.get(k, "")) if k in ("issued_on", "effective_from")
                     else "" if k == "status" else p.get(k, "") for k, _ in render.EDITABLE_FIELDS)

    @staff_action
    def apply_fix(self, orig_key, number, doc_type, title, issuer, issued_on, effective_from, status, status_since,
                  status_note, previews, overrides, session, request: gr.Request):
        self._require_staff(session, request, "preview")
        previews, overrides = list(previews or []), dict(overrides or {})
        p = next((p for p in previews if p.get("orig_key") == orig_key and not p.get("error")), None)
        keep = (gr.skip(),) * 4  # previews, overrides, preview panel, document choice: unchanged
        if p is None:
            return (*keep, render.render_action_error("Chưa chọn văn bản cần sửa (bấm “Xem trước” trước)."))
        values = dict(zip([k for k, _ in render.EDITABLE_FIELDS],
                          [number, doc_type, title, issuer, issued_on, effective_from, status, status_since,
                           status_note]))
        try:
            overrides[orig_key] = render.overrides_from_form(p["original"], values)
        except ValueError as exc:
            return (*keep, render.render_action_error(str(exc)))
        # Parse the file again with its corrections: staff see exactly what will be stored.
        same_file = [q for q in previews if q.get("path") == p["path"]]
        file_overrides = {q["orig_key"]: overrides[q["orig_key"]] for q in same_file
                          if overrides.get(q["orig_key"])}
        fresh = self._preview_one(Path(p["path"]), p["sha256"], file_overrides or None)
        if len(fresh) == len(same_file):
            fresh = [{**f, "orig_key": q["orig_key"], "original": q["original"]} for f, q in zip(fresh, same_file)]
        fresh_iter = iter(fresh)
        new_list = []
        for q in previews:
            if q.get("path") != p["path"]:
                new_list.append(q)
            else:
                new_list.append(next(fresh_iter, q))
        new_list.extend(fresh_iter)
        return (new_list, overrides, *self._preview_views(new_list, overrides),
                f'<div class="kb-report">Đã áp dụng sửa đổi cho {render.esc(orig_key)}. Kiểm tra lại rồi bấm '
                "“Nạp vào cơ sở dữ liệu”.</div>")

    # ------------------------------------------------------------ replacing: compared first, stored on confirm
    @staticmethod
    def _file_overrides(path: str, previews: list[dict], overrides: dict) -> dict | None:
        """The corrections of one file's documents, as its preview passed them (the service reuses that reading)."""
        return {p["orig_key"]: overrides[p["orig_key"]] for p in previews
                if p.get("path") == path and overrides.get(p.get("orig_key"))} or None

    def _replacements(self, previews: list[dict], replace_key: str) -> list[str]:
        """Stored documents the previewed files would replace: the same key, or the one chosen."""
        existing = {d.key for d in self._docs() if d.ready}
        keys = [p.get("key", "") for p in previews if not p.get("error") and p.get("key") in existing]
        return list(dict.fromkeys(keys + ([replace_key] if replace_key else [])))

    @staff_action
    def compare(self, previews, overrides, replace_key, session, request: gr.Request):
        """After a preview (or a correction, or a replacement chosen): what the replacement would
        change, article by article; the confirm and cancel buttons show only when something is replaced."""
        self._require_staff(session, request, "preview")
        previews = [p for p in (previews or []) if not p.get("error") and p.get("path")]
        overrides = {k: v for k, v in (overrides or {}).items() if v}
        diffs = []
        with self.lock.read():
            for path in dict.fromkeys(p["path"] for p in previews):
                diffs += self.kb.compare_file(path, self._file_overrides(path, previews, overrides), replace_key or None)
        names = dict((key, label) for label, key in render.document_choices(self._docs()))
        return render.render_comparison(diffs, names), gr.update(visible=bool(diffs))

    @staff_action
    def confirm_replace(self, previews, overrides, replace_key, session, request: gr.Request, progress=gr.Progress()):
        """“Xác nhận thay thế”: the replacement staff have seen compared is stored."""
        out = self._ingest(previews, overrides, replace_key, session, request, progress, confirmed=True)
        done = isinstance(out[1], list)  # the previews were cleared: it went through (else a skip update)
        return (*out, *(("", gr.update(visible=False)) if done else (gr.skip(), gr.skip())))

    @staff_action
    def cancel_replace(self, session, request: gr.Request):
        """“Huỷ”: nothing was stored, so nothing is undone; the page forgets the previewed files."""
        s = self.session_of(session, request)
        if s is not None:
            self.audit.record("replace", user=s.username, role=s.role, outcome="cancelled", client=_client(request),
                              detail="huỷ sau khi xem so sánh")
        msg = '<div class="kb-report">Đã huỷ: không có gì thay đổi, bản đang có được giữ nguyên.</div>'
        return ([], {}, "", gr.update(choices=[], value=None), "", gr.update(visible=False), msg,
                gr.update(value=None), gr.update(value=""))

    @staff_action
    def ingest(self, previews, overrides, replace_key, session, request: gr.Request, progress=gr.Progress()):
        return self._ingest(previews, overrides, replace_key, session, request, progress, confirmed=False)

    def _ingest(self, previews, overrides, replace_key, session, request, progress, confirmed: bool):
        s = self._require_staff(session, request, "upload", target=replace_key or "")
        previews = [p for p in (previews or []) if not p.get("error") and p.get("path")]
        keep = (gr.skip(),) * (4 + DOC_VIEWS)  # previews, overrides, preview, document choice, the document views
        if not previews:
            return (render.render_action_error("Chưa có tệp hợp lệ đã xem trước. Tải tệp lên rồi bấm “Xem trước”."),
                    *keep)
        paths = list(dict.fromkeys(p["path"] for p in previews))
        existing = {d.key for d in self._docs() if d.ready}
        overrides = {k: v for k, v in (overrides or {}).items() if v}
        replacing = self._replacements(previews, replace_key)
        if replacing and not confirmed:
            # A replacement is stored only after staff have seen what it changes (the comparison panel).
            return (render.render_action_error(
                f"Tệp này thay thế văn bản đang có ({', '.join(replacing)}). Xem so sánh với bản đang có rồi bấm "
                "“Xác nhận thay thế”, hoặc “Huỷ” để giữ nguyên."), *keep)
        client = _client(request)
        plan = []  # (path, its previewed documents, their keys, the action it is recorded as)
        for path in paths:
            docs = [p for p in previews if p["path"] == path]
            keys = [p.get("key", "") for p in docs]
            plan.append((path, docs, keys, "replace" if replace_key or any(k in existing for k in keys) else "upload"))
        # The audit intent of every file before anything is stored: a change the log cannot
        # record is not made (fails closed; a crash after the commit leaves an unanswered intent).
        intents: dict[str, str] = {}
        try:
            for path, docs, keys, action in plan:
                intents[path] = self.audit.intent(action, user=s.username, role=s.role, target=", ".join(keys),
                                                  file=docs[0]["file"], sha256=docs[0]["sha256"], client=client,
                                                  detail={"replaced": replace_key or ""})
        except AuditUnavailable as exc:
            print(f"kb: nạp bị từ chối: {exc}", file=sys.stderr, flush=True)
            for path, docs, keys, action in plan:
                if path in intents:
                    self.audit.record(action, user=s.username, role=s.role, outcome="refused", target=", ".join(keys),
                                      file=docs[0]["file"], client=client, intent=intents[path],
                                      detail="không ghi được nhật ký kiểm toán")
            return (render.render_action_error(failure_message(exc)), *keep)
        progress(0.0, desc="Bắt đầu nạp")
        copies = self._served_copies(replacing)
        try:
            # Same document number: the registry swaps it atomically inside the ingest, but only the
            # document the user chose to replace; any other one held by another file is refused.
            # Reading, parsing and embedding run outside the write lock: questions wait only for the
            # registry swap and the index sync (commit_lock), not for the whole ingest.
            report = self.kb.ingest_files(paths, overrides=overrides or None,
                                          progress=lambda f, m: progress(min(max(f, 0.0), 1.0), desc=m),
                                          replace=replacing or False,
                                          commit_lock=self.lock.write,
                                          # the preview listed the amendment relations; this ingest confirms
                                          # them, and each version stored is recorded as hers
                                          user=s.username)
        except Exception as exc:
            for path, docs, keys, action in plan:
                self.audit.record(action, user=s.username, role=s.role, outcome="error", target=", ".join(keys),
                                  file=docs[0]["file"], sha256=docs[0]["sha256"], client=client,
                                  intent=intents[path], detail=f"{type(exc).__name__}: {exc}")
            # The reason (it may name server paths) is in the audit log, not on the page.
            print(f"kb: nạp {', '.join(paths)}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            return (render.render_action_error(failure_message(exc) or
                                               "Nạp không thành công vì máy chủ gặp lỗi; chưa có gì thay đổi và chi "
                                               "tiết đã ghi vào nhật ký. Báo quản trị viên nếu lỗi lặp lại."), *keep)
        new_keys = {p.get("key", "") for p in previews} | {v.get("number", "").upper() for v in overrides.values()}
        removal_failed = None
        if replace_key and not report.get("refused") and replace_key not in new_keys:
            # A different number replaces the old document: remove it only once the new one is in
            # (covered by the intents above, which name it as `replaced`).
            try:
                with self.lock.write():
                    removal = "removed" if self.kb.remove_document(replace_key) else "not_found"
                detail = "gỡ bản cũ sau khi nạp bản mới"
            except Exception as exc:  # the new version is in: its outcome is still recorded below
                removal_failed, removal, detail = exc, "error", f"gỡ bản cũ: {type(exc).__name__}: {exc}"
            self.audit.record("replace", user=s.username, role=s.role, target=replace_key, client=client,
                              outcome=removal, detail=detail)
        refused = {r["path"]: r["reason"] for r in report.get("refused", [])}
        skipped = {r["path"]: r["reason"] for r in report.get("skipped", [])}
        for path, docs, keys, action in plan:
            outcome = "refused" if path in refused else "skipped" if path in skipped else "ok"
            self.audit.record(action, user=s.username, role=s.role, outcome=outcome, target=", ".join(keys),
                              file=docs[0]["file"], sha256=docs[0]["sha256"], client=client, intent=intents[path],
                              detail={"overrides": {k: overrides[k] for k in (d["orig_key"] for d in docs) if k in overrides},
                                      "reason": refused.get(path) or skipped.get(path) or "",
                                      "replaced": replace_key or "",
                                      "versions": {k: v for k, v in (report.get("versions") or {}).items() if k in keys}})
        self._drop_withdrawn(copies)
        label = "Thay thế" if replacing else "Nạp"
        shown = render.render_ingest_report(_plain_report(report), label)
        if removal_failed is not None:
            shown = render.render_action_error(
                f"Đã nạp bản mới nhưng chưa gỡ được bản cũ {replace_key}: "
                f"{failure_message(removal_failed) or 'máy chủ gặp lỗi (chi tiết trong nhật ký)'}. "
                "Gỡ bản cũ ở mục “Gỡ văn bản”.") + shown
        return (shown, [], {}, "", gr.update(choices=[], value=None), *self.doc_views())

    # ------------------------------------------------------------ correcting a stored document
    @staff_action
    def stored_choices(self, session, request: gr.Request):
        """The stored documents, when the correction panel opens (it is not one of the document views)."""
        self._require_staff(session, request, "correct")
        return gr.update(choices=render.document_choices(self._docs()), value=None)

    @staff_action
    def stored_fields(self, key, session, request: gr.Request):
        """The chosen stored document's facts, in the correction form."""
        self._require_staff(session, request, "correct", target=key or "")
        d = next((d for d in self._docs() if d.ready and d.key == key), None) if key else None
        with self.lock.read():
            staff = self.kb.staff_status(key) if d else {}
        values = render.stored_fields(d, staff)
        return tuple(values[k] for k, _ in render.EDITABLE_FIELDS)

    @staff_action
    def correct_stored(self, key, number, doc_type, title, issuer, issued_on, effective_from, status, status_since,
                       status_note, session, request: gr.Request):
        """“Lưu sửa đổi”: the stored document's facts corrected (its file read again with them), audited:
        the intent first (or nothing is done), then the outcome with the fields changed."""
        s = self._require_staff(session, request, "correct", target=key or "")
        keep = (gr.skip(),) * DOC_VIEWS
        if not key:
            return (render.render_action_error("Chọn văn bản cần sửa."), *keep)
        values = dict(zip([k for k, _ in render.EDITABLE_FIELDS],
                          [number, doc_type, title, issuer, issued_on, effective_from, status, status_since,
                           status_note]))
        client = _client(request)
        try:
            intent = self.audit.intent("correct", user=s.username, role=s.role, target=key, client=client,
                                       detail={"values": values})
        except AuditUnavailable as exc:
            print(f"kb: sửa {key} bị từ chối: {exc}", file=sys.stderr, flush=True)
            return (render.render_action_error(failure_message(exc)), *keep)
        try:
            report = self.kb.correct_document(key, values, by=s.username, commit_lock=self.lock.write)
        except Exception as exc:
            message = failure_message(exc)
            refused = message is None and isinstance(exc, KbError)  # CorrectionError: the input, nothing changed
            self.audit.record("correct", user=s.username, role=s.role, target=key, client=client, intent=intent,
                              outcome="refused" if refused else "error", detail=f"{type(exc).__name__}: {exc}")
            if refused:
                return (render.render_action_error(str(exc)), *keep)
            return (render.render_action_error(message or f"Sửa thất bại ({type(exc).__name__}); chi tiết đã ghi vào "
                                               "nhật ký. Báo quản trị viên nếu lỗi lặp lại."), *keep)
        reasons = "; ".join(r["reason"] for r in report.get("refused", []))
        self.audit.record("correct", user=s.username, role=s.role, target=key, client=client, intent=intent,
                          outcome="refused" if reasons and not report.get("documents") else "ok",
                          detail={"corrected": report.get("corrected", {}), "reason": reasons,
                                  "versions": report.get("versions") or {}})
        if reasons and not report.get("documents"):
            return (render.render_action_error(f"Không sửa được {key}: {reasons}"), *keep)
        done = render.corrected_text(report.get("corrected", {}))
        # A document read whole from one file gets a new version (restoring the previous one undoes this).
        saved = "".join(f" Đã lưu thành phiên bản {v} của {k}." for k, v in (report.get("versions") or {}).items())
        msg = (f"Đã sửa {key}: {done}. Trích dẫn và câu trả lời dùng thông tin mới; bản sau của văn bản giữ sửa đổi "
               f"này.{saved}")
        if "status" in report.get("corrected", {}):  # what the document's hiệu lực is now, and from which source
            new_key = next(iter(report.get("versions") or {}), None) or report.get("corrected", {}).get("number") or key
            with self.lock.read():
                msg += f" Hiệu lực hiện nay: {render.validity_text(self.kb.document_status(new_key))}."
        return (f'<div class="kb-report">{render.esc(msg)}</div>', *self.doc_views())

    @staff_action
    def ingest_live(self, previews, overrides, replace_key, session, request: gr.Request):
        """“Nạp” on the page: `ingest`, its steps said under the button as it goes."""
        yield from run_with_progress(
            lambda progress: self.ingest(previews, overrides, replace_key, session, request, progress),
            5 + DOC_VIEWS)  # the report, previews, overrides, preview, document choice, the document views

    @staff_action
    def confirm_live(self, previews, overrides, replace_key, session, request: gr.Request):
        """“Xác nhận thay thế” on the page: `confirm_replace`, its steps said as it goes."""
        yield from run_with_progress(
            lambda progress: self.confirm_replace(previews, overrides, replace_key, session, request, progress),
            7 + DOC_VIEWS)  # as `ingest_live`, then the comparison and the confirmation row

    @staff_action
    def remove(self, key, confirmed, session, request: gr.Request):
        s = self._require_staff(session, request, "remove", target=key or "")
        keep = (gr.skip(),) * (1 + DOC_VIEWS)  # the confirmation box and the document views
        if not key:
            return (render.render_action_error("Chọn văn bản cần gỡ."), *keep)
        if not confirmed:
            return (render.render_action_error("Đánh dấu ô xác nhận trước khi gỡ văn bản."), *keep)
        client = _client(request)
        try:  # recorded before it is done, or not done (fails closed)
            intent = self.audit.intent("remove", user=s.username, role=s.role, target=key, client=client)
        except AuditUnavailable as exc:
            print(f"kb: gỡ {key} bị từ chối: {exc}", file=sys.stderr, flush=True)
            return (render.render_action_error(failure_message(exc)), *keep)
        copies = self._served_copies([key])
        try:
            with self.lock.write():
                found = self.kb.remove_document(key)
        except Exception as exc:
            self.audit.record("remove", user=s.username, role=s.role, target=key, client=client, outcome="error",
                              intent=intent, detail=f"{type(exc).__name__}: {exc}")
            if failure_message(exc) is None:
                raise
            return (render.render_action_error(failure_message(exc)), *keep)
        self.audit.record("remove", user=s.username, role=s.role, target=key, client=client,
                          outcome="ok" if found else "not_found", intent=intent)
        self._drop_withdrawn(copies)
        msg = f"Đã gỡ {key} khỏi cơ sở dữ liệu." if found else f"Không có văn bản {key}."
        return (f'<div class="kb-report">{render.esc(msg)}</div>', False, *self.doc_views())

    # ------------------------------------------------------------ version history: listed, read, restored
    def _history(self, key: str) -> tuple[str, dict]:
        """The version table and the version choice (the current one selected) of `key`."""
        with self.lock.read():
            versions = self.kb.versions(key)
        choices = [(f"Phiên bản {v.version} — {v.source_name}" + (" (đang dùng)" if v.current else ""), v.version)
                   for v in versions]
        value = next((v.version for v in versions if v.current), versions[-1].version if versions else None)
        return render.render_versions(key, versions), gr.update(choices=choices, value=value)

    def history(self, key, session, request: gr.Request):
        """“Xem lịch sử”: every stored version of the chosen document."""
        self._require_staff(session, request, "history", target=key or "")
        if not key:
            return render.render_action_error("Chọn văn bản cần xem lịch sử."), gr.update(choices=[], value=None), ""
        return (*self._history(key), "")

    def view_version(self, key, version, session, request: gr.Request):
        """“Xem nội dung”: the text of one version, to read before restoring it."""
        self._require_staff(session, request, "history", target=key or "")
        if not key or version in (None, ""):
            return render.render_action_error("Chọn văn bản và phiên bản cần xem.")
        with self.lock.read():
            doc = self.kb.version_document(key, int(version))
        return render.render_version_document(key, int(version), doc)

    @staff_action
    def restore_version(self, key, version, confirmed, session, request: gr.Request):
        """“Khôi phục phiên bản này”: that version becomes the stored text, re-indexed, audited
        (a change: its intent first, or it is not made; the outcome after)."""
        s = self._require_staff(session, request, "restore", target=key or "")
        keep = (gr.skip(),) * (3 + DOC_VIEWS)  # the confirmation box, the history, the version choice, the document views
        if not key or version in (None, ""):
            return (render.render_action_error("Chọn văn bản và phiên bản cần khôi phục."), *keep)
        if not confirmed:
            return (render.render_action_error("Đánh dấu ô xác nhận trước khi khôi phục phiên bản."), *keep)
        version = int(version)
        record = dict(user=s.username, role=s.role, target=key, client=_client(request))
        try:  # recorded before it is done, or not done (fails closed)
            intent = self.audit.intent("restore", detail={"version": version}, **record)
        except AuditUnavailable as exc:
            print(f"kb: khôi phục {key} phiên bản {version} bị từ chối: {exc}", file=sys.stderr, flush=True)
            return (render.render_action_error(failure_message(exc)), *keep)
        copies = self._served_copies([key])
        try:
            # Building the nodes and vectors runs outside the write lock; only the swap waits for readers.
            out = self.kb.restore_version(key, version, user=s.username, commit_lock=self.lock.write)
        except Exception as exc:
            shown = failure_message(exc)
            refused = shown is None and isinstance(exc, KbError)  # no such version: said as it is, nothing changed
            self.audit.record("restore", outcome="refused" if refused else "error", intent=intent,
                              detail={"version": version, "reason": f"{type(exc).__name__}: {exc}"}, **record)
            if refused:
                shown = str(exc)
            return (render.render_action_error(shown or f"Khôi phục thất bại ({type(exc).__name__}); chi tiết đã ghi "
                                               "vào nhật ký. Báo quản trị viên nếu lỗi lặp lại."), *keep)
        self.audit.record("restore", outcome="ok" if out.status == "ingested" else out.status, file=out.path,
                          sha256=out.sha256, intent=intent, detail={"version": version, "reason": out.reason},
                          **record)
        self._drop_withdrawn(copies)
        msg = (f"Đã khôi phục phiên bản {version} của {key}: nội dung đang dùng là bản này ({out.articles} điều/mục)."
               if out.status == "ingested" else out.reason[:1].upper() + out.reason[1:] + ".")
        return (f'<div class="kb-report">{render.esc(msg)}</div>', False, *self._history(key), *self.doc_views())

    # ------------------------------------------------------------ API (named endpoints)
