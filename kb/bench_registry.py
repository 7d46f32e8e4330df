"""`kb bench registry`: the same work on the SQLite registry and on PostgreSQL (KB_REGISTRY_URL).

Both rows are measured in the same run on the same corpus (đề mục 32.1 and the seed documents,
lexical only: no embedding, so the registry's share is what differs). PostgreSQL is a throwaway
local cluster (kb/pg_local.py: unix socket, fsync off — so its write figures are a lower bound for
a durable server) unless `--registry-url` names one. Per backend:
- ingest: `kb ingest --no-embed` in a child process, wall seconds and the child's peak RSS;
- the reads a question makes: `generation()` (every question polls it) and `nodes_by_id` of 20
  nodes (the hits' texts), p50/p95 over 300 calls;
- `documents()` (the staff list and `kb docs`), p50 over 30 calls;
- one small write transaction (`record_usage`, also what a failed login costs), p50/p95 over 200.
"""
from __future__ import annotations

import os
import random
import shutil
import statistics
import time

from kb.bench_common import BENCH_HOME, DEMUC_32_1, SEED_DIR, run_kb_child


def _ms(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    return statistics.median(s) * 1000, s[min(len(s) - 1, int(len(s) * 0.95))] * 1000


def _timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def measure(name: str, url: str | None) -> dict:
    from ingest.registry import Registry

    home = BENCH_HOME / f"registry-{name}"
    shutil.rmtree(home, ignore_errors=True)
    saved = {k: os.environ.get(k) for k in ("KB_REGISTRY_URL", "KB_EMBEDDING")}
    os.environ["KB_EMBEDDING"] = "fake"
    if url:
        os.environ["KB_REGISTRY_URL"] = url
    else:
        os.environ.pop("KB_REGISTRY_URL", None)
    try:
        secs, rss, _ = run_kb_child(home, "ingest", "--no-embed", str(DEMUC_32_1), str(SEED_DIR))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    reg = Registry(url or home / "registry.sqlite3")
    try:
        counts = reg.counts()
        ids = [r[0] for r in reg.db.execute("SELECT node_id FROM nodes")]
        rng = random.Random(7)
        gen = _ms(_timed(reg.generation, 300))
        fetch = _ms(_timed(lambda: reg.nodes_by_id(rng.sample(ids, 20)), 300))
        docs = _ms(_timed(reg.documents, 30))
        write = _ms(_timed(lambda: reg.record_usage({"bench-synthetic": 1}), 200))
    finally:
        reg.close()
    return {"backend": name, "documents": counts["documents"], "nodes": counts["nodes"], "ingest_s": secs,
            "rss": rss, "gen": gen, "fetch": fetch, "docs": docs, "write": write}


def run_registry_bench(bench_section, url: str | None = None) -> str:
    from kb.pg_local import PgServer, bindir

    load_before = os.getloadavg()[0]

    rows = [measure("sqlite", None)]
    server = None
    if url is None:
        found = bindir()
        if found is None:
            raise SystemExit("Không thấy initdb/pg_ctl của PostgreSQL: `apt-get install postgresql`, hoặc chỉ máy "
                             "chủ có sẵn bằng --registry-url postgresql://…")
        server = PgServer(found).start()
        url = server.create_database()
    try:
        rows.append(measure("postgresql", url))
    finally:
        if server is not None:
            server.stop()
    table = ["| registry | documents | nodes | ingest s | ingest peak RSS MiB | generation() p50 / p95 ms | "
             "nodes_by_id(20) p50 / p95 ms | documents() p50 ms | one write transaction p50 / p95 ms |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        table.append(f"| {r['backend']} | {r['documents']} | {r['nodes']} | {r['ingest_s']:.1f} | {r['rss']} | "
                     f"{r['gen'][0]:.2f} / {r['gen'][1]:.2f} | {r['fetch'][0]:.2f} / {r['fetch'][1]:.2f} | "
                     f"{r['docs'][0]:.1f} | {r['write'][0]:.2f} / {r['write'][1]:.2f} |")
    where = ("a throwaway local PostgreSQL (kb/pg_local.py: unix socket, fsync off)" if server is not None
             else "the PostgreSQL server given by --registry-url")
    body = ("Đề mục 32.1 and the seed documents, lexical only (`KB_EMBEDDING=fake`, `--no-embed`); SQLite is the "
            f"file in the bench home, PostgreSQL is {where}. Same run, same corpus. Load average (1 min) at the "
            f"start {load_before:.1f}, at the end {os.getloadavg()[0]:.1f}: on a shared host the tails and the "
            "ingest seconds move with it; compare the rows of one run.\n\n" + "\n".join(table) + "\n")
    return bench_section("Registry backends", "kb bench registry", body)

