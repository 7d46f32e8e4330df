"""`kb serve --workers N`: N `kb serve` processes behind one address.

Why a small proxy rather than SO_REUSEPORT on one port: a Gradio page is a conversation with ONE
process. The queue's `join` and its server-sent-event stream, the staff login (an in-memory token
behind the HttpOnly cookie) and the uploaded file a preview refers to all live in the process that
saw them first; SO_REUSEPORT spreads connections by address hash, so a browser's second connection
may land elsewhere and its event would never complete. The proxy pins each client to one worker
with a cookie (`kb_worker`, set on the first response; gradio_client keeps first-response cookies
for exactly this), spreads new clients round-robin, and re-pins a client whose worker died.

What the workers share lives outside them: the registry (SQLite, WAL: every transaction is
serialised across processes, each question sees the generation counter move and reloads the
lexical index another process rebuilt, see ingest.store.KnowledgeStore.lexical) and one
`chroma run` server (an embedded Chroma must not be opened by several processes, hence
CHROMA_HOST is required). Each worker gets its own temp dir under settings.temp_path
(KB_TEMP_DIR=…/worker-N), which it empties when it starts (ui.scratch).
"""
from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path

import httpx

from core.errors import KbError, SettingsError
from core.settings import Settings
from ui import scratch
from ui.edge import BodyGuard, BodyRefused, reply

COOKIE = "kb_worker"
BUSY = "Máy chủ đang bận ({n} yêu cầu cùng lúc, KB_PROXY_MAX_CONNECTIONS); hãy thử lại sau giây lát."
RESTARTING = "Máy chủ đang khởi động lại, hãy thử lại sau giây lát."
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade", "host", "content-length"}
MAX_RESTARTS = 5  # per worker: a worker that keeps dying is left down (the others serve) and logged


class ClientGone(Exception):
    """The client disconnected while its request body was being forwarded."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the workers, and the benchmarks' and tests' servers)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen, timeout: float = 30) -> None:
    """Stop a child server: SIGTERM, then SIGKILL if it has not exited within `timeout` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


class StickyProxy:
    """ASGI reverse proxy to `backends` (base URLs), one worker per client (cookie), streaming both
    ways: a request body goes on to the worker as it arrives (counted against `max_body` and
    `body_timeout_s`, ui.edge), server-sent events come back as they come. At most `max_connections`
    requests at a time (event streams included); its own replies carry the security headers."""

    def __init__(self, backends: list[str], max_body: int, alive=None, max_connections: int = 256,
                 body_timeout_s: float = 120.0):
        self.backends = backends
        self.max_body = max_body
        self.alive = alive or (lambda i: True)
        self.max_connections = max_connections
        self.body_timeout_s = body_timeout_s
        self.active = 0  # requests being served now
        self._next = itertools.count()
        self._client: httpx.AsyncClient | None = None

    def _pick(self, cookie_header: str) -> tuple[int, bool]:
        """(worker index, whether the client must be told its new worker)."""
        try:
            morsel = SimpleCookie(cookie_header).get(COOKIE)
            i = int(morsel.value) if morsel else -1
        except Exception:  # a malformed cookie header (CookieError, ValueError): a new client
            i = -1
        if 0 <= i < len(self.backends) and self.alive(i):
            return i, False
        for _ in range(len(self.backends)):
            j = next(self._next) % len(self.backends)
            if self.alive(j):
                return j, True
        return next(self._next) % len(self.backends), True

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    self._client = httpx.AsyncClient(timeout=httpx.Timeout(None, connect=5.0),
                                                     limits=httpx.Limits(max_connections=None,
                                                                         max_keepalive_connections=64))
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    if self._client is not None:
                        await self._client.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":  # Gradio 6 speaks HTTP and server-sent events only
            return
        guard = BodyGuard(scope, receive, self.max_body, self.body_timeout_s, "KB_MAX_UPLOAD_MB")
        if self.active >= self.max_connections:  # before anything is read: a flood costs nothing
            return await guard.refuse(send, BodyRefused(503, BUSY.format(n=self.max_connections),
                                                        (("retry-after", "5"),)))
        self.active += 1
        try:
            guard.check_declared()
            await self._forward(scope, guard, send)
        except BodyRefused as refusal:  # too large or too slow (the worker's request was abandoned)
            if not guard.responding:
                await guard.refuse(send, refusal)
        finally:
            self.active -= 1

    async def _forward(self, scope, guard: BodyGuard, send) -> None:
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        cookie = "; ".join(v for k, v in headers if k.lower() == "cookie")
        peer = (scope.get("client") or ("", 0))[0]
        fwd = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP and k.lower() != "x-forwarded-for"]
        prior = ", ".join(v for k, v in headers if k.lower() == "x-forwarded-for")
        fwd += [("x-forwarded-for", f"{prior}, {peer}" if prior else peer),
                ("x-forwarded-proto", scope.get("scheme", "http"))]
        host = next((v for k, v in headers if k.lower() == "host"), "")
        if host:  # the public address: Gradio builds its URLs from it
            fwd.append(("host", host))
        if guard.declared is not None:  # streamed as declared (httpx would otherwise send it chunked)
            fwd.append(("content-length", str(guard.declared)))
        target = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        started = False

        async def body():
            nonlocal started
            started = True
            while True:
                msg = await guard.receive()
                if msg["type"] == "http.disconnect":
                    raise ClientGone
                if msg.get("body"):
                    yield msg["body"]
                if not msg.get("more_body"):
                    return

        i, tell = self._pick(cookie)
        resp = None
        for _attempt in range(len(self.backends)):
            req = self._client.build_request(scope["method"], self.backends[i] + target, headers=fwd,
                                             content=b"" if guard.done else body())
            try:
                resp = await self._client.send(req, stream=True)
                break
            except httpx.ConnectError:
                if started:  # part of the body is gone: it cannot be sent again
                    break
                i, tell = (i + 1) % len(self.backends), True  # that worker is down (restarting): pin elsewhere
            except ClientGone:
                return
            except httpx.TransportError:  # the worker died while the request was going to it
                break
        if resp is None:
            return await reply(send, 503, RESTARTING)
        try:
            out = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in resp.headers.multi_items()
                   if k.lower() not in ("connection", "keep-alive", "transfer-encoding")]
            if tell:
                out.append((b"set-cookie", f"{COOKIE}={i}; Path=/; HttpOnly; SameSite=Lax".encode()))
            guard.responding = True
            await send({"type": "http.response.start", "status": resp.status_code, "headers": out})
            async for chunk in resp.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        except (asyncio.CancelledError, httpx.TransportError, OSError):
            # Shutting down with event streams open, the client gone, or the worker died mid-stream:
            # this response just ends (the page reconnects); nothing to report.
            pass
        finally:
            await resp.aclose()


def _die_with_parent() -> None:
    """In the child, before exec (Linux): SIGTERM when the `kb serve --workers` process dies, even by
    SIGKILL, so no worker outlives it holding a port and the home."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the parent's finally stops them
        pass


class Worker:
    def __init__(self, index: int, port: int, argv: list[str], env: dict, log: Path):
        self.index, self.port, self.argv, self.env, self.log = index, port, argv, env, log
        self.proc: subprocess.Popen | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        fh = open(self.log, "ab")
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=fh, stderr=subprocess.STDOUT,
                                     preexec_fn=_die_with_parent)
        fh.close()

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/config", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)


def serve_workers(settings: Settings) -> int:
    """Start settings.workers `kb serve` children on free loopback ports, then the proxy on
    settings.host:settings.port; restart a child that dies (bounded); stop them all on exit."""
    n = settings.workers
    if not settings.chroma_host:
        raise SettingsError(f"KB_WORKERS={n} cần một máy chủ Chroma chung (CHROMA_HOST, ví dụ sau `chroma run "
                            "--path …`): Chroma nhúng trong thư mục dữ liệu không được mở từ nhiều tiến trình.")
    import uvicorn

    logs = Path(settings.home) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    # Each worker empties its own temp dir when it starts (ui.scratch): one per worker, under ours.
    temp = scratch.reset(settings.temp_path)
    workers = []
    for i in range(n):
        port = free_port()
        env = dict(os.environ) | {"KB_WORKERS": "1", "KB_HOME": str(settings.home),
                                  "KB_TEMP_DIR": str(temp / f"worker-{i}")}
        # Only worker 0 embeds in the background (ingest.locks would serialise them anyway).
        if i > 0:
            env["KB_BACKGROUND_EMBED"] = "false"
        argv = [sys.executable, "-m", "kb.cli", "--home", str(settings.home), "serve", "--host", "127.0.0.1",
                "--port", str(port)]
        workers.append(Worker(i, port, argv, env, logs / f"worker-{i}.log"))
    for w in workers:
        w.start()
    deadline = time.time() + 600
    for w in workers:
        while not w.ready():
            if not w.alive():
                for x in workers:
                    x.stop()
                raise KbError(f"Tiến trình phục vụ {w.index} dừng khi khởi động; xem {w.log}.")
            if time.time() > deadline:
                for x in workers:
                    x.stop()
                raise KbError(f"Tiến trình phục vụ {w.index} không khởi động được sau 600 giây; xem {w.log}.")
            time.sleep(0.5)
    stopping = threading.Event()

    def supervise():
        while not stopping.wait(2.0):
            for w in workers:
                if not w.alive() and w.restarts < MAX_RESTARTS and not stopping.is_set():
                    w.restarts += 1
                    print(f"kb: tiến trình phục vụ {w.index} đã dừng (mã {w.proc.returncode}); khởi động lại "
                          f"lần {w.restarts}/{MAX_RESTARTS}", file=sys.stderr, flush=True)
                    w.start()

    threading.Thread(target=supervise, daemon=True, name="kb-workers").start()
    proxy = StickyProxy([w.url for w in workers], max_body=settings.upload_request_bytes,
                        alive=lambda i: workers[i].alive(), max_connections=settings.proxy_max_connections,
                        body_timeout_s=settings.request_body_timeout_s)
    print(f"kb: {n} tiến trình phục vụ sau http://{settings.host}:{settings.port} "
          f"({', '.join(w.url for w in workers)})", flush=True)
    # uvicorn turns SIGTERM into a graceful stop, then re-raises it with the handler found before it
    # started: this one, so the `finally` below runs and stops the workers instead of the process
    # dying on the spot.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        uvicorn.run(proxy, host=settings.host, port=settings.port, log_level="warning", lifespan="on",
                    timeout_keep_alive=30, timeout_graceful_shutdown=5)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        stopping.set()
        for w in workers:  # all at once, then wait for each
            if w.alive():
                w.proc.terminate()
        for w in workers:
            w.stop()
    return 0


def _exit_on_sigterm(signum, frame):
    raise SystemExit(0)
