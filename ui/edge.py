"""The HTTP edge shared by the app's middleware (ui.web) and the `kb serve --workers` proxy (kb.workers):
the security headers every response carries, our own plain-text replies, and a request body read
under a size cap and a deadline.

Pure ASGI (no framework objects), so the proxy stays free of Gradio and the same code guards both.
Why count the bytes as they arrive rather than trust Content-Length: a chunked body has none, and a
client may declare less than it sends; Gradio and FastAPI read a whole body into memory or a temp
file before any handler of ours runs, so the cap has to sit in front of them.
"""
from __future__ import annotations

import asyncio

# Gradio's page runs inline scripts, `new Function` (js_on_load) and inline styles, so script-src
# and style-src need 'unsafe-inline' (and 'unsafe-eval'); everything else is this origin only, and
# the page may not be framed (clickjacking), load plugins or rebase its relative URLs.
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' data: blob:; connect-src 'self'; "
       "worker-src 'self' blob:; frame-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'")
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}
# After refusing a body we still read (and drop) this much of it, for at most this long, so that a
# browser still sending sees our reply instead of a connection reset; then the connection closes.
DRAIN_BYTES = 1 << 20
DRAIN_SECONDS = 2.0


def size_text(n: int) -> str:
    return f"{n / (1 << 20):g} MB" if n >= 1 << 20 else f"{n // 1024} KB"


class BodyRefused(Exception):
    """A request refused at the edge: the HTTP status and the message (Vietnamese) the client gets."""

    def __init__(self, status: int, message: str, headers: tuple[tuple[str, str], ...] = ()):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


def too_large(cap: int, setting: str = "") -> BodyRefused:
    """413; `setting` names the variable that sets the cap (the message tells the operator which)."""
    return BodyRefused(413, f"Yêu cầu quá lớn: tối đa {size_text(cap)} mỗi yêu cầu"
                            f"{f' ({setting})' if setting else ''}. Hãy gửi ít dữ liệu hơn, hoặc tải từng tệp một.")


def too_slow(timeout_s: float) -> BodyRefused:
    return BodyRefused(408, f"Gửi dữ liệu quá chậm: một yêu cầu phải gửi xong trong {timeout_s:g} giây "
                            "(KB_REQUEST_BODY_TIMEOUT). Hãy thử lại.", (("connection", "close"),))


def header(scope, name: str) -> str | None:
    key = name.encode("latin-1")
    for k, v in scope.get("headers") or ():
        if k.lower() == key:
            return v.decode("latin-1")
    return None


def with_security_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` (ASGI) plus every security header they do not already set."""
    present = {k.lower() for k, _ in headers}
    return headers + [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k.encode() not in present]


async def reply(send, status: int, text: str, headers=(), more_body: bool = False) -> None:
    """Our own plain-text response, security headers included. more_body: the caller ends it."""
    body = text.encode("utf-8")
    out = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    out += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    await send({"type": "http.response.start", "status": status, "headers": with_security_headers(out)})
    await send({"type": "http.response.body", "body": body, "more_body": more_body})


class BodyGuard:
    """The request body as the app (or the proxy) reads it through `receive`: at most `cap` bytes,
    all of it within `timeout_s` of the request's start. Past either, `receive` raises BodyRefused
    (413 / 408) once and then reports a disconnect; whoever runs the app answers with `refuse`."""

    def __init__(self, scope, receive, cap: int, timeout_s: float, setting: str = ""):
        self._receive = receive
        self.cap, self.timeout_s, self.setting = cap, timeout_s, setting
        self.seen = 0
        # HTTP/1.1: a request has a body only with Content-Length or Transfer-Encoding
        length = header(scope, "content-length")
        self.declared = int(length) if length is not None and length.isdigit() else None
        self.done = not (header(scope, "transfer-encoding") or (length is not None and length != "0"))
        self.refused: BodyRefused | None = None
        self.responding = False  # the response has started: the body no longer matters
        self._deadline = asyncio.get_running_loop().time() + timeout_s

    def check_declared(self) -> None:
        """Refuse before reading a byte: a Content-Length over the cap (h11 already refuses a malformed one)."""
        if self.declared is not None and self.declared > self.cap:
            self.refused = too_large(self.cap, self.setting)
            raise self.refused

    async def receive(self):
        if self.refused is not None:
            return {"type": "http.disconnect"}
        if self.done or self.responding:  # e.g. a streaming response listening for the client to leave
            return await self._receive()
        try:
            async with asyncio.timeout(self._deadline - asyncio.get_running_loop().time()):
                message = await self._receive()
        except TimeoutError:
            self.refused = too_slow(self.timeout_s)
            raise self.refused from None
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.cap:
                self.refused = too_large(self.cap, self.setting)
                raise self.refused
            self.done = not message.get("more_body", False)
        else:
            self.done = True
        return message

    async def refuse(self, send, refusal: BodyRefused) -> None:
        """Answer with `refusal`, reading what is left of the body (bounded) before the reply ends."""
        await reply(send, refusal.status, refusal.message, refusal.headers, more_body=True)
        loop = asyncio.get_running_loop()
        drained, until = 0, loop.time() + DRAIN_SECONDS
        try:
            while not self.done and drained <= DRAIN_BYTES:
                async with asyncio.timeout(until - loop.time()):
                    message = await self._receive()
                drained += len(message.get("body", b""))
                self.done = message["type"] != "http.request" or not message.get("more_body", False)
        except (TimeoutError, OSError):
            pass
        await send({"type": "http.response.body", "body": b""})
