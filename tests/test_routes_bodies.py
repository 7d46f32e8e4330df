"""Probes of issue 22 (routes and request bodies), each reproducing the attack over HTTP.

The app probes run a real `kb serve` child (fake embeddings, an empty home, small limits:
KB_MAX_REQUEST_KB=64, KB_MAX_UPLOAD_MB=1, KB_MAX_TEMP_MB=4, KB_REQUEST_BODY_TIMEOUT=3, and
TMPDIR pointed at a folder of the test so that "nothing lands in the system temp dir" can be
checked); the proxy probes run kb.workers.StickyProxy under uvicorn in front of a small recording
backend. Every body sent is synthetic filler bytes.
"""
from __future__ import annotations

import http.client
import json
import os
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from conftest import UI_ACCOUNTS, free_port, write_users_file
from kb.bench_common import proc_status_kib, start_kb_serve
from kb.workers import StickyProxy, stop_process
from test_ui_api import Raw
from ui.audit import read_jsonl
from ui.edge import SECURITY_HEADERS

STAFF = ("phapche", UI_ACCOUNTS["phapche"][1])
REQUEST_KB = 64


class Served:
    def __init__(self, url: str, port: int, home: Path, systmp: Path, proc):
        self.url, self.port, self.home, self.systmp, self.proc = url, port, home, systmp, proc

    def temp_files(self) -> set[str]:
        """Every file in the server's temp dir (<home>/tmp) and in the system temp dir it was given."""
        out = set()
        for root in (self.home / "tmp", self.systmp):
            out |= {str(p) for p in root.rglob("*") if p.is_file()}
        return out

    def audit(self) -> list[dict]:
        return read_jsonl(self.home / "audit.jsonl")

    def peak_rss_reset(self) -> bool:
        """Reset the server's peak RSS (VmHWM); False where the kernel does not allow it."""
        try:
            Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")
            return True
        except OSError:
            return False

    def peak_rss_mb(self) -> float:
        kib = proc_status_kib(self.proc.pid, "VmHWM")
        if kib is None:
            raise AssertionError("no VmHWM")
        return kib / 1024


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("routes-bodies")
    home, systmp = root / "home", root / "systmp"
    systmp.mkdir()
    stale = home / "tmp" / "gradio" / "stale-from-a-crash"
    stale.mkdir(parents=True)
    (stale / "synthetic-leftover.bin").write_bytes(b"x" * 1000)
    (home / "tmp" / ".kb-temp").write_text("synthetic marker: made by an earlier run")
    users = write_users_file(root / "synthetic_users.toml")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KB_", "CHROMA_", "OPENAI_", "GRADIO_TEMP"))}
    env.update(KB_EMBEDDING="fake", KB_USERS_FILE=str(users), KB_BACKGROUND_EMBED="false",
               KB_MAX_REQUEST_KB=str(REQUEST_KB), KB_MAX_UPLOAD_MB="1", KB_MAX_TEMP_MB="4",
               KB_REQUEST_BODY_TIMEOUT="3", TMPDIR=str(systmp), GRADIO_ANALYTICS_ENABLED="False")
    try:
        proc = start_kb_serve(home, port, env, root / "serve.log", timeout=240)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield Served(f"http://127.0.0.1:{port}/", port, home, systmp, proc)
    stop_process(proc, 20)


def assert_security_headers(headers) -> None:
    for k, v in SECURITY_HEADERS.items():
        assert headers.get(k) == v, (k, headers.get(k))


def raw_http(port: int, head: str, body: bytes = b"", timeout: float = 30) -> tuple[int, dict, str]:
    """Send a hand-made request (headers may lie), then read the reply: (status, headers, text)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode("latin-1") + b"\r\n" + body)
        resp = http.client.HTTPResponse(sock)
        resp.begin()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode("utf-8", "replace")


def filler(total: int, chunk: int = 1 << 16):
    """A synthetic body of `total` bytes, as an iterator (httpx sends it chunked: no Content-Length)."""
    block = b"x" * chunk
    sent = 0
    while sent < total:
        part = block[: min(chunk, total - sent)]
        sent += len(part)
        yield part


def multipart(name: str, size: int) -> tuple[bytes, str]:
    boundary = "synthetic-boundary-22"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    return head + b"x" * size + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


# ------------------------------------------------------------------------------ the app


def test_probe22_routes_only_the_listed_ones_reach_gradio(served):
    """5 MB multipart posts to /gradio_api/process_recording (and other Gradio routes the page never uses); PUT to queue/join.
    Expected: 404 (405 for the wrong method, with Allow) with the security headers; no file lands in the server's or the system's temp dir; the page, its config, API info and theme still answer."""
    before = served.temp_files()
    body, ctype = multipart("synthetic-recording.mp4", 5 << 20)
    http_ = httpx.Client(timeout=60)
    for path in ("gradio_api/process_recording", "gradio_api/process_recording/", "gradio_api/vibe-edit",
                 "gradio_api/run/ask", "gradio_api/stream/x", "monitoring", "gradio_api/dev/reload"):
        r = http_.post(served.url + path, content=body, headers={"content-type": ctype})
        assert r.status_code == 404, (path, r.status_code, r.text[:200])
        assert_security_headers(r.headers)
    r = http_.put(served.url + "gradio_api/queue/join", content=b"{}")
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    assert http_.get(served.url + "gradio_api/openapi.json").status_code == 404
    assert served.temp_files() == before
    for path in ("", "config", "gradio_api/info", "theme.css"):
        assert http_.get(served.url + path).status_code == 200, path


def test_probe22_body_cap_declared_absent_and_slow(served):
    """POST /gradio_api/queue/join declaring 300 MB; streaming past KB_MAX_REQUEST_KB (64 KB) without Content-Length; declaring 32 KB, sending 1 KB and stalling.
    Expected: 413 at once (nothing read), 413 once the cap is passed, 408 after KB_REQUEST_BODY_TIMEOUT; each with the security headers."""
    head = (f"POST /gradio_api/queue/join HTTP/1.1\nHost: 127.0.0.1:{served.port}\n"
            "Content-Type: application/json\nContent-Length: {n}\n")
    status, headers, text = raw_http(served.port, head.format(n=300 << 20), b"{")
    assert status == 413 and f"{REQUEST_KB} KB" in text and "KB_MAX_REQUEST_KB" in text
    assert_security_headers(headers)

    r = httpx.post(served.url + "gradio_api/queue/join", content=filler((REQUEST_KB << 10) + (256 << 10)),
                   headers={"content-type": "application/json"}, timeout=30)
    assert r.status_code == 413 and "quá lớn" in r.text
    assert_security_headers(r.headers)

    status, headers, text = raw_http(served.port, head.format(n=32 << 10), b"{" + b" " * 1023)
    assert status == 408 and "KB_REQUEST_BODY_TIMEOUT" in text
    assert_security_headers(headers)
    # the cap is not in the way of the page's own events
    raw = Raw(served.url)
    assert raw.call("ui_load", [])["success"]


def test_probe22_big_json_keeps_memory_bounded(served):
    """A 256 MB JSON post to /gradio_api/queue/join without Content-Length (the probe's 300 MB post raised RSS by 0.9 GB).
    Expected: refused at the 64 KB cap; the server's peak RSS grows by far less than the body (< 64 MB)."""
    if not served.peak_rss_reset():
        pytest.skip("the kernel does not allow resetting the peak RSS")
    before = served.peak_rss_mb()
    try:
        status = httpx.post(served.url + "gradio_api/queue/join", content=filler(256 << 20, 1 << 20),
                            headers={"content-type": "application/json"}, timeout=60).status_code
    except httpx.TransportError:  # the server stopped reading and closed: the refusal, seen as a reset
        status = 413
    assert served.peak_rss_mb() - before < 64, (before, served.peak_rss_mb())
    assert status == 413


def test_probe22_uploads_refused_audited_and_temp_capped(served):
    """An anonymous 5 MB and 1 KB POST /gradio_api/upload; legal staff upload files of 0.9 MB until the 4 MB temp-dir cap (KB_MAX_TEMP_MB), and a 3 MB file.
    Expected: anonymous: 403, audited as "denied" with the client address, nothing in any temp dir; staff: uploads land under <home>/tmp, the 3 MB file gets 413 before Gradio reads it, and once the temp dir would pass 4 MB the upload gets 507; a leftover from before the start is gone."""
    assert not (served.home / "tmp" / "gradio" / "stale-from-a-crash").exists()  # emptied at start
    before = served.temp_files()
    anon = httpx.Client(timeout=60)
    for size in (5 << 20, 1 << 10):
        body, ctype = multipart("synthetic-anon.bin", size)
        r = anon.post(served.url + "gradio_api/upload", content=body, headers={"content-type": ctype})
        assert r.status_code == 403 and "cán bộ pháp chế" in r.text
        assert_security_headers(r.headers)
    assert served.temp_files() == before
    denied = [row for row in served.audit() if row["action"] == "denied" and row["target"] == "/gradio_api/upload"]
    assert len(denied) == 2 and denied[-1]["client"] == "127.0.0.1" and denied[-1]["user"] == "anonymous"

    staff = Raw(served.url)
    assert staff.call("ui_load", [])["success"] and staff.login(*STAFF)["success"]
    body, ctype = multipart("synthetic-big.bin", 3 << 20)
    r = staff.http.post(served.url + "gradio_api/upload", content=body, headers={"content-type": ctype})
    assert r.status_code == 413 and "KB_MAX_UPLOAD_MB" in r.text
    codes = []
    for i in range(6):
        body, ctype = multipart(f"synthetic-{i}.bin", 900 << 10)
        r = staff.http.post(served.url + "gradio_api/upload", content=body, headers={"content-type": ctype})
        codes.append(r.status_code)
        if r.status_code == 200:
            assert Path(r.json()[0]).is_relative_to(served.home / "tmp")
        if r.status_code == 507:
            assert "KB_MAX_TEMP_MB" in r.text
            break
    assert codes[0] == 200 and codes[-1] == 507, codes
    assert sum(p.stat().st_size for p in (served.home / "tmp").rglob("*") if p.is_file()) <= 4 << 20
    assert not any(Path(p).is_relative_to(served.systmp) for p in served.temp_files() - before)


def test_probe22_temp_dir_of_someone_else_is_not_emptied(tmp_path):
    """KB_TEMP_DIR points at a folder that holds files kb did not put there.
    Expected: refused with a Vietnamese message naming the folder; the files stay."""
    from core.errors import SettingsError
    from ui import scratch

    theirs = tmp_path / "synthetic-someone-else"
    theirs.mkdir()
    (theirs / "keep.txt").write_text("synthetic", encoding="utf-8")
    with pytest.raises(SettingsError, match="không do kb tạo"):
        scratch.reset(theirs)
    assert (theirs / "keep.txt").exists()
    ours = scratch.reset(tmp_path / "ours")
    (ours / "left.bin").write_bytes(b"x")
    scratch.reset(ours)
    assert [p.name for p in ours.iterdir()] == [scratch.MARKER]


# ------------------------------------------------------------------------------ the --workers proxy


class Backend:
    """A worker stand-in: records the bytes of each request body as they arrive, answers 200."""

    def __init__(self):
        self.first_bytes = threading.Event()
        self.received = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        while True:
            msg = await receive()
            if msg["type"] != "http.request":
                return
            self.received += len(msg.get("body", b""))
            if self.received:
                self.first_bytes.set()
            if not msg.get("more_body"):
                break
        body = json.dumps({"received": self.received}).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class Uvicorn:
    def __init__(self, app, lifespan: str = "off"):
        import uvicorn

        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan=lifespan))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started:
            assert time.time() < deadline, "uvicorn did not start"
            time.sleep(0.05)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def proxied():
    backend = Backend()
    worker = Uvicorn(backend)
    proxy_app = StickyProxy([f"http://127.0.0.1:{worker.port}"], max_body=4 << 20, max_connections=3,
                            body_timeout_s=5.0)
    proxy = Uvicorn(proxy_app, lifespan="on")
    yield backend, proxy, proxy_app
    proxy.stop()
    worker.stop()


def test_probe22_proxy_streams_bodies_to_the_worker(proxied):
    """A 3 MB body through the proxy whose sender waits, after its first megabyte, until the worker has seen a byte.
    Expected: the worker gets the first bytes while the client is still sending (the proxy buffered whole bodies: 30 stalled 20 MB uploads held 640 MB)."""
    backend, proxy, _ = proxied
    seen_early = []

    def body():
        yield b"x" * (1 << 20)
        seen_early.append(backend.first_bytes.wait(20))  # buffered: nothing reaches the worker before the end
        yield b"y" * (2 << 20)

    r = httpx.post(f"http://127.0.0.1:{proxy.port}/gradio_api/queue/join", content=body(), timeout=60)
    assert seen_early == [True]
    assert r.status_code == 200 and r.json()["received"] == 3 << 20


def test_probe22_proxy_limits_connections_and_slow_senders(proxied):
    """Three uploads that declare 3 MB (under the 4 MB cap), send 1 KB and stall (KB_PROXY_MAX_CONNECTIONS=3, KB_REQUEST_BODY_TIMEOUT=5 s), then a fourth request.
    Expected: the fourth gets 503 with the security headers; each stalled upload gets 408 with them; afterwards requests pass again."""
    backend, proxy, app = proxied
    head = (f"POST /gradio_api/upload HTTP/1.1\r\nHost: 127.0.0.1:{proxy.port}\r\n"
            f"Content-Length: {3 << 20}\r\n\r\n").encode()
    stalled = []
    for _ in range(3):
        s = socket.create_connection(("127.0.0.1", proxy.port), timeout=30)
        s.sendall(head + b"x" * 1024)
        stalled.append(s)
    deadline = time.time() + 10
    while app.active < 3 and time.time() < deadline:
        time.sleep(0.05)
    r = httpx.get(f"http://127.0.0.1:{proxy.port}/config", timeout=30)
    assert r.status_code == 503 and "KB_PROXY_MAX_CONNECTIONS" in r.text
    assert_security_headers(r.headers)
    for s in stalled:
        resp = http.client.HTTPResponse(s)
        resp.begin()
        assert resp.status == 408 and "KB_REQUEST_BODY_TIMEOUT" in resp.read().decode()
        assert_security_headers({k.lower(): v for k, v in resp.getheaders()})
        s.close()
    deadline = time.time() + 10
    while app.active and time.time() < deadline:
        time.sleep(0.05)
    assert httpx.get(f"http://127.0.0.1:{proxy.port}/config", timeout=30).status_code == 200


def test_probe22_proxy_refuses_large_bodies_with_headers(proxied):
    """Through the proxy (cap 4 MB): a request declaring 300 MB; a chunked 5 MB body.
    Expected: 413 with the security headers, the first before any byte is forwarded."""
    backend, proxy, _ = proxied
    status, headers, text = raw_http(proxy.port, f"POST /gradio_api/upload HTTP/1.1\nHost: x\nContent-Length: {300 << 20}\n")
    assert status == 413 and "quá lớn" in text and backend.received == 0
    assert_security_headers(headers)
    r = httpx.post(f"http://127.0.0.1:{proxy.port}/gradio_api/upload", content=filler(5 << 20), timeout=60)
    assert r.status_code == 413
    assert_security_headers(r.headers)


def test_security_doc_lists_the_probes_of_this_file():
    """docs/SECURITY.md's probe table (tests/write_security_table.py) has a row for every test_probe22 test."""
    import ast

    doc = (Path(__file__).resolve().parent.parent / "docs" / "SECURITY.md").read_text(encoding="utf-8")
    names = [n.name for n in ast.parse(Path(__file__).read_text(encoding="utf-8")).body
             if isinstance(n, ast.FunctionDef) and n.name.startswith("test_probe")]
    missing = [n for n in names if f"`{n}`" not in doc]
    assert not missing, f"run `python tests/write_security_table.py`; missing rows: {missing}"
