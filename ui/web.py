"""The HTTP edge of the web app: what Gradio's own routes do not do for us.

- `/kb/session`: POST logs a user in and sets the staff cookie; DELETE logs out and clears it.
  The cookie holds a random token (secrets.token_urlsafe) that is HttpOnly (no script reads it),
  SameSite=Strict (no other site sends it) and expires with the session. Gradio's session_hash is
  made by the browser with Math.random() and travels in URLs, so it names a page, never a person:
  every corpus-changing handler asks `App.session_of`, which trusts this cookie only.
- `SecurityMiddleware` (pure ASGI, so it sees every request before Gradio does):
  only the routes of ui.routes pass (404/405 otherwise, before any body is read); every body is
  counted as it arrives and cut at KB_MAX_REQUEST_KB, or at the upload limit for a staff upload,
  and must arrive within KB_REQUEST_BODY_TIMEOUT (ui.edge); security headers on every response;
  `/gradio_api/upload` only with a live legal-staff cookie (a refusal is audited) and while the
  temp dir (ui.scratch) is under KB_MAX_TEMP_MB; Gradio's own `/login` (used when anonymous
  reading is off) gets the client address for throttling, the staff cookie on success, and its
  token expired after the session limit; `/logout` also revokes the staff cookie; a page's
  session_hash is honoured only from the browser that first used it (ui.pages: the `kb_browser`
  cookie, set with the page and `/config`), so a hash copied from a URL or a log reads nothing.

Mounted through `app_kwargs` of Blocks.launch (FastAPI's `routes` and `middleware`): Gradio 6
builds its FastAPI app inside launch(), and a middleware cannot be added to a Starlette app once
it has served a request, so it must be part of the app from its construction.
"""
from __future__ import annotations

import json
import time
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ui import edge, pages, routes, scratch
from ui.auth import LOGIN_CLIENT, can_manage
from ui.edge import SECURITY_HEADERS, BodyGuard, BodyRefused

if TYPE_CHECKING:  # ui.app imports this module
    from ui.app import App

COOKIE = "kb_session"
SESSION_PATH = "/kb/session"
MAX_LOGIN_BODY = 16 * 1024  # a user name and a password, with room to spare
UPLOAD_REFUSED = "Chỉ cán bộ pháp chế đã đăng nhập mới được tải tệp lên."
NOT_FOUND = "Không có địa chỉ này trên máy chủ tra cứu văn bản."
NOT_ALLOWED = "Địa chỉ này không nhận yêu cầu {method}."
TEMP_FULL = ("Thư mục tạm của máy chủ đã đầy ({used} trên giới hạn {limit}, KB_MAX_TEMP_MB): chưa nhận thêm tệp. "
             "Hãy thử lại sau khi tệp tạm cũ được dọn (KB_UPLOAD_CACHE_TTL) hoặc báo quản trị viên.")


def cookie_token(conn) -> str:
    """The staff token of a request (starlette Request/HTTPConnection or gr.Request), or ""."""
    try:
        return conn.cookies.get(COOKIE, "") or ""
    except (AttributeError, KeyError, TypeError):
        return ""


def client_host(scope) -> str:
    client = scope.get("client") if isinstance(scope, dict) else None
    return client[0] if client else ""


def _cookie_header(value: str, max_age: int, secure: bool) -> str:
    return (f"{COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict"
            + ("; Secure" if secure else ""))


def _is_https(conn: HTTPConnection) -> bool:
    return conn.url.scheme in ("https", "wss")


def _same_origin(request: Request) -> bool:
    """A browser's cross-site POST carries its Origin: refuse it (login CSRF). No Origin: a script or curl."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def _limited_body(request: Request, limit: int) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return body


def session_routes(kb: "App") -> list[Route]:
    ttl = int(kb.settings.session_ttl_s)

    async def session(request: Request) -> Response:
        if request.method == "DELETE":
            s = await run_in_threadpool(kb.web_logout, cookie_token(request), client_host(request.scope))
            resp = JSONResponse({"ok": True, "user": s.username if s else ""})
            resp.headers.append("set-cookie", _cookie_header("", 0, _is_https(request)))
            return resp
        if not _same_origin(request):
            return JSONResponse({"ok": False, "code": "origin", "message": "Yêu cầu đăng nhập từ trang khác bị từ chối."},
                                status_code=403)
        body = await _limited_body(request, MAX_LOGIN_BODY)
        if body is None:
            return JSONResponse({"ok": False, "code": "too_long", "message": kb.login_message("too_long")},
                                status_code=413)
        try:
            data = json.loads(body or b"{}")
            username, password = data.get("username", ""), data.get("password", "")
            if not isinstance(username, str) or not isinstance(password, str):
                raise ValueError
        except (ValueError, AttributeError):
            return JSONResponse({"ok": False, "code": "bad_request",
                                 "message": "Gửi JSON {\"username\": …, \"password\": …}."}, status_code=400)
        code, token, s, message = await run_in_threadpool(kb.web_login, username, password,
                                                          client_host(request.scope), cookie_token(request))
        status = {"ok": 200, "locked": 429, "unavailable": 503, "too_long": 413}.get(code, 401)
        body = {"ok": code == "ok", "code": code, "message": message}
        if s is not None:
            body.update(user=s.name, role=s.role)
        resp = JSONResponse(body, status_code=status)
        if token:
            resp.headers.append("set-cookie", _cookie_header(token, ttl, _is_https(request)))
        return resp

    return [Route(SESSION_PATH, session, methods=["POST", "DELETE"])]


class SecurityMiddleware:
    """See the module docstring. `kb` is the ui.app.App whose sessions, auth and audit it uses."""

    def __init__(self, app, kb: "App"):
        self.app = app
        self.kb = kb
        self.gradio_issued: dict[str, float] = {}  # Gradio /login token -> when it was issued
        self.uploading = 0  # bytes of staff uploads in progress (the temp-dir cap counts them)
        self.pages = pages.PageOwners()
        kb.security = self  # for the tests and for inspection; Starlette builds it lazily

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        conn = HTTPConnection(scope)
        self._expire_gradio_tokens(scope, conn)
        if scope["type"] == "websocket":  # Gradio 6 speaks HTTP and server-sent events only
            return await send({"type": "websocket.close", "code": 1008})

        extra_cookies: list[str] = []

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for k, v in SECURITY_HEADERS.items():
                    if k not in headers:
                        headers[k] = v
                for c in extra_cookies:
                    headers.append("set-cookie", c)
            await send(message)

        settings = self.kb.settings
        path, method = routes.relative_path(scope), scope.get("method", "GET")
        rule = routes.match(method, path)
        if isinstance(rule, routes.Rule) and rule.upload:
            guard = BodyGuard(scope, receive, settings.upload_request_bytes, settings.request_body_timeout_s,
                              "KB_MAX_UPLOAD_MB")
        elif path == "/login":
            guard = BodyGuard(scope, receive, MAX_LOGIN_BODY, settings.request_body_timeout_s)
        else:
            guard = BodyGuard(scope, receive, settings.max_request_kb << 10, settings.request_body_timeout_s,
                              "KB_MAX_REQUEST_KB")
        if rule == 404:
            return await guard.refuse(send_with_headers, BodyRefused(404, NOT_FOUND))
        if rule == 405:
            allow = ", ".join(routes.allowed_methods(path))
            return await guard.refuse(send_with_headers, BodyRefused(405, NOT_ALLOWED.format(method=method),
                                                                     (("allow", allow),)))
        s = self.kb.sessions.get(cookie_token(conn)) if rule.staff else None
        if rule.staff and not can_manage(s):
            if rule.upload:  # an upload attempt is a change attempt: audited like a refused event
                await run_in_threadpool(self.kb.audit.record, "denied", user=s.username if s else "",
                                        role=s.role if s else "", outcome="refused", target=path,
                                        client=client_host(scope), detail="upload")
            return await guard.refuse(send_with_headers, BodyRefused(403, UPLOAD_REFUSED))
        try:
            guard.check_declared()
        except BodyRefused as refusal:
            if rule.upload:
                await self._upload_refused(scope, s, refusal)
            return await guard.refuse(send_with_headers, refusal)
        if path in ("", "/config") and not conn.cookies.get(pages.COOKIE):
            extra_cookies.append(pages.cookie_header(pages.new_token(), _is_https(conn)))
        receive = guard.receive
        if rule.page:
            try:
                receive = await self._page_owner(scope, conn, rule, guard, path)
            except BodyRefused as refusal:
                return await guard.refuse(send_with_headers, refusal)
        if rule.upload:
            await self._upload(scope, guard, send_with_headers)
            if guard.refused is not None:  # cut off past the cap while it arrived (no size declared)
                await self._upload_refused(scope, s, guard.refused)
            return
        if path == "/login" and method == "POST":
            return await self._gradio_login(scope, guard, conn, send_with_headers, extra_cookies)
        if path == "/logout":
            s = self.kb.sessions.revoke(cookie_token(conn))
            if s:
                await run_in_threadpool(self.kb.audit.record, "logout", user=s.username, role=s.role,
                                        client=client_host(scope))
            extra_cookies.append(_cookie_header("", 0, _is_https(conn)))
        return await self._run(scope, guard, send_with_headers, receive)

    async def _page_owner(self, scope, conn: HTTPConnection, rule: routes.Rule, guard: BodyGuard, path: str):
        """The receive to run the request with, once its session_hash is found to be this browser's
        (ui.pages); BodyRefused (403, audited) when another browser owns it. A JSON body is read
        here (under the guard's cap and deadline) to find the hash, then handed on unchanged."""
        body = None
        if rule.page == "query":
            session_hash = conn.query_params.get("session_hash")
        elif rule.page == "path":
            session_hash = path.rsplit("/", 1)[-1]
        else:
            chunks = []
            while not guard.done:
                message = await guard.receive()  # BodyRefused past the cap or the deadline
                if message["type"] != "http.request":
                    break
                chunks.append(message.get("body", b""))
            body = b"".join(chunks)
            try:
                data = json.loads(body or b"{}")
            except ValueError:
                data = None  # Gradio answers a malformed body itself
            session_hash = data.get("session_hash") if isinstance(data, dict) else None
        if isinstance(session_hash, str) and session_hash:
            holder = getattr(scope.get("app"), "state_holder", None)  # Gradio's page states
            has_state = holder is not None and session_hash in holder
            if not self.pages.claim(session_hash, conn.cookies.get(pages.COOKIE, ""), has_state):
                s = self.kb.sessions.get(cookie_token(conn))  # a copied hash is an attack: audited
                await run_in_threadpool(self.kb.audit.record, "denied", user=s.username if s else "",
                                        role=s.role if s else "", outcome="refused", target=path,
                                        client=client_host(scope), detail="session_hash của trình duyệt khác")
                raise BodyRefused(403, pages.REFUSED)
        if body is None:
            return guard.receive
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await guard.receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay

    async def _run(self, scope, guard: BodyGuard, send, receive=None) -> None:
        """Gradio with the guarded body. A body cut off (too large, too slow) makes Gradio fail its
        read (FastAPI turns it into a 400): that reply is dropped and the refusal is sent instead."""
        async def guarded_send(message):
            if guard.refused is not None:
                return
            if message["type"] == "http.response.start":
                guard.responding = True
            await send(message)

        try:
            await self.app(scope, receive or guard.receive, guarded_send)
        except Exception:
            if guard.refused is None:
                raise
        if guard.refused is not None and not guard.responding:
            await guard.refuse(send, guard.refused)

    async def _upload_refused(self, scope, s, refusal: BodyRefused) -> None:
        """A staff upload refused at the edge (too large, temporary space full) is a refused attempt: logged."""
        await run_in_threadpool(self.kb.audit.record, "upload", user=s.username if s else "", role=s.role if s else "",
                                outcome="refused", target=routes.relative_path(scope), client=client_host(scope),
                                detail=f"HTTP {refusal.status}: {refusal.message}")

    async def _upload(self, scope, guard: BodyGuard, send) -> None:
        """A staff upload, while the temp dir Gradio writes it to stays under KB_MAX_TEMP_MB."""
        settings = self.kb.settings
        need = guard.declared if guard.declared is not None else settings.upload_request_bytes
        limit = settings.max_temp_mb << 20
        used = await run_in_threadpool(scratch.used_bytes, scratch.active(settings))
        if used + self.uploading + need > limit:
            refusal = BodyRefused(507, TEMP_FULL.format(used=edge.size_text(used + self.uploading),
                                                        limit=edge.size_text(limit)))
            await self._upload_refused(scope, self.kb.sessions.get(cookie_token(HTTPConnection(scope))), refusal)
            return await guard.refuse(send, refusal)
        self.uploading += need  # concurrent uploads count before their bytes land
        try:
            await self._run(scope, guard, send)
        finally:
            self.uploading -= need

    # ---- Gradio's own login (KB_ALLOW_ANONYMOUS=false)
    def _gradio_cookie_names(self, scope) -> tuple[str, ...]:
        cookie_id = getattr(scope.get("app"), "cookie_id", None)
        return (f"access-token-{cookie_id}", f"access-token-unsecure-{cookie_id}") if cookie_id else ()

    def _expire_gradio_tokens(self, scope, conn: HTTPConnection) -> None:
        """Gradio's login tokens never expire by themselves: drop them after the session limit."""
        tokens = getattr(scope.get("app"), "tokens", None)
        if not tokens:
            return
        now, ttl = time.time(), self.kb.settings.session_ttl_s
        for name in self._gradio_cookie_names(scope):
            token = conn.cookies.get(name)
            if token and token in tokens:
                issued = self.gradio_issued.get(token)
                if issued is None or now - issued > ttl:  # unknown: issued before this middleware saw it
                    tokens.pop(token, None)
                    self.gradio_issued.pop(token, None)

    async def _gradio_login(self, scope, guard: BodyGuard, conn, send_with_headers, extra_cookies):
        app = scope.get("app")
        names = self._gradio_cookie_names(scope)

        async def capture(message):
            if message["type"] == "http.response.start" and message["status"] == 200 and names:
                cookies = SimpleCookie()
                for raw in MutableHeaders(scope=message).getlist("set-cookie"):
                    cookies.load(raw)
                token = cookies[names[0]].value if names[0] in cookies else ""
                username = getattr(app, "tokens", {}).get(token)
                if token and username:
                    self.gradio_issued[token] = time.time()
                    self._prune_gradio(app)
                    user = self.kb.auth.user(username)
                    if user is not None:  # the same login gives the staff cookie (corpus changes need it)
                        kb_token, _ = self.kb.sessions.issue(user)
                        extra_cookies.append(_cookie_header(kb_token, int(self.kb.settings.session_ttl_s),
                                                            _is_https(conn)))
            await send_with_headers(message)

        marker = LOGIN_CLIENT.set(client_host(scope))  # App.gradio_auth throttles and audits per address
        try:
            return await self._run(scope, guard, capture)
        finally:
            LOGIN_CLIENT.reset(marker)

    def _prune_gradio(self, app) -> None:
        now, ttl = time.time(), self.kb.settings.session_ttl_s
        tokens = getattr(app, "tokens", {})
        for token, issued in list(self.gradio_issued.items()):
            if now - issued > ttl or token not in tokens:
                self.gradio_issued.pop(token, None)
                tokens.pop(token, None)


def app_kwargs(kb: "App", given: dict | None = None) -> dict:
    """FastAPI keyword arguments that put the session routes and the middleware into Gradio's app."""
    out = dict(given or {})
    out["routes"] = session_routes(kb) + list(out.get("routes") or [])
    out["middleware"] = [Middleware(SecurityMiddleware, kb=kb)] + list(out.get("middleware") or [])
    return out
