"""`kb bench scale`: the growth curve. Nested subsets of the Pháp điển (đề mục 32.1 alone, then ≈1k,
≈10k and all 62k articles, always with 32.1 and the founding article so ttdn_dev stays answerable)
are each ingested `--no-embed` by a `kb` child into a fresh home; a second child loads the home as
the server does and answers questions. Per size: ingest time and peak RSS, index size on disk, the
serving process's RSS, query p50/p95 and ttdn_dev R@5 — so "32.1 alone" and "everything" are
compared side by side, in one run. Writes a table into docs/BENCHMARKS.md and docs/scale.png.
"""
from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from core.settings import REPO_ROOT
from kb.bench_common import (ALQAC_QUESTIONS, BENCH_HOME, DEMUC_32_1, PHAPDIEN_DIR, SEED_DIR, TTDN_ANSWERS_DEV,
                             TTDN_DEV, dir_size, proc_status_kib, registry_counts, run_kb_child)

ALL_ARTICLES = 62_331  # the whole Pháp điển (kb bench ingest); only used to size the subsets
TARGETS = (0, 1_000, 10_000, None)  # 0: đề mục 32.1 alone; None: every file
ALQAC_LATENCY_QUESTIONS = 120  # general legal questions: the whole code answers them, 32.1 mostly not


def phapdien_subsets(targets=TARGETS) -> list[tuple[str, list[Path]]]:
    """Nested file lists: 32.1 first, then the other đề mục in name order until their share of the
    corpus's bytes reaches target / ALL_ARTICLES (article density per byte is even enough)."""
    files = sorted(PHAPDIEN_DIR.glob("*.html"))
    others = [f for f in files if f != DEMUC_32_1]
    total = sum(f.stat().st_size for f in files)
    out = []
    for target in targets:
        if target is None:
            out.append(("phapdien-all", [DEMUC_32_1, *others]))
            continue
        chosen, size = [DEMUC_32_1], DEMUC_32_1.stat().st_size
        for f in others:
            if size >= total * target / ALL_ARTICLES:
                break
            chosen.append(f)
            size += f.stat().st_size
        out.append(("demuc-32.1" if target == 0 else f"≈{target // 1000}k", chosen))
    return out


def _rss_mib(field: str = "VmRSS") -> int:
    kib = proc_status_kib("self", field)
    return kib // 1024 if kib is not None else -1


def _latency_questions() -> list[str]:
    qs = [json.loads(line)["question"] for path in (TTDN_DEV, TTDN_ANSWERS_DEV)
          for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    alqac = json.loads(ALQAC_QUESTIONS.read_text(encoding="utf-8"))
    return qs + [q.get("question") or q.get("text") for q in alqac[:ALQAC_LATENCY_QUESTIONS]]


def serve_probe(home: str) -> dict:
    """In a child: load the home as `kb serve` does, answer questions, report RSS and latency."""
    from core.backends import make_backends
    from core.settings import load_settings
    from qa.evaluate import evaluate, load_questions
    from qa.service import KnowledgeBase

    t0 = time.perf_counter()
    settings = load_settings(home=home)
    kb = KnowledgeBase(settings, make_backends(settings))
    kb.retrieve("khởi động")  # registry, lexical index, document descriptors
    load_s = time.perf_counter() - t0
    rss_loaded = _rss_mib()
    quality = evaluate(kb, load_questions(str(TTDN_DEV)))
    lat = []
    for q in _latency_questions():  # timed as evaluate() times: retrieval + extractive answer
        t = time.perf_counter()
        kb.extractive(kb.retrieve(q, k=40))
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    misses = [p["id"] for p in quality["per_question"] if not all(r and r <= 5 for r in p["ranks"])]
    return {"load_s": round(load_s, 1), "serve_rss_mib": rss_loaded, "serve_rss_after_mib": _rss_mib(),
            "serve_hwm_mib": _rss_mib("VmHWM"), "queries": len(lat),
            "p50_ms": round(statistics.median(lat), 1), "p95_ms": round(lat[int(0.95 * (len(lat) - 1))], 1),
            "r5": quality["recall@5"], "mrr10": quality["mrr@10"], "misses": misses}


_PROBE = "import json, sys\nfrom kb.bench_scale import serve_probe\nprint('PROBE ' + json.dumps(serve_probe(sys.argv[1])))"


def run_probe(home: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(home)], capture_output=True, text=True, cwd=REPO_ROOT)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("PROBE ")), None)
    if proc.returncode or line is None:
        raise RuntimeError(f"serve probe failed: {proc.stderr[-2000:]}")
    return json.loads(line[6:])


def bench_subset(name: str, files: list[Path]) -> dict:
    home = BENCH_HOME / f"scale-{name.replace('≈', '')}"
    shutil.rmtree(home, ignore_errors=True)
    paths = [str(PHAPDIEN_DIR)] if name == "phapdien-all" else [str(f) for f in files]
    secs, rss, _ = run_kb_child(home, "ingest", "--no-embed", *paths, str(SEED_DIR))
    row = {"corpus": name, "files": len(files), **registry_counts(home), "ingest_s": round(secs, 1),
           "ingest_rss_mib": rss, "registry_mib": round(dir_size(home) / 2**20 - dir_size(home / "lexical") / 2**20, 1),
           "lexical_mib": round(dir_size(home / "lexical") / 2**20, 1)}
    row.update(run_probe(home))
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return row


def scale_table(rows: list[dict]) -> str:
    head = ("| corpus | đề mục files | documents | articles | nodes | ingest s | ingest peak RSS MiB | registry MiB | "
            "lexical index MiB | serve load s | serve RSS MiB (loaded / after queries) | query p50 ms | query p95 ms | "
            "ttdn_dev R@5 | MRR@10 |\n" + "|---" * 15 + "|\n")
    lines = [f"| {r['corpus']} | {r['files']} | {r['documents']} | {r['articles']} | {r['nodes']} | {r['ingest_s']} | "
             f"{r['ingest_rss_mib']} | {r['registry_mib']} | {r['lexical_mib']} | {r['load_s']} | "
             f"{r['serve_rss_mib']} / {r['serve_rss_after_mib']} | {r['p50_ms']} | {r['p95_ms']} | {r['r5']} | "
             f"{r['mrr10']} |" for r in rows]
    misses = "; ".join(f"{r['corpus']}: {', '.join(r['misses']) or 'none'}" for r in rows)
    return (head + "\n".join(lines) + "\n\n"
            f"![latency and memory against corpus size](scale.png)\n\n"
            f"Every row also holds the founding article (`corpus/seed`). Ingest: `kb ingest --no-embed` in a child "
            f"process, seconds include its start-up, peak RSS is the child's ru_maxrss. Serve: a second child "
            f"loads the home as `kb serve` does (registry, memory-mapped BM25, document descriptors; no vectors, so "
            f"lexical retrieval) and reports VmRSS; latency is retrieval + extractive answer per question over "
            f"{rows[0]['queries']} questions (ttdn_dev, ttdn_answers_dev and {ALQAC_LATENCY_QUESTIONS} ALQAC dev "
            f"questions), after a warm-up. ttdn_dev gold articles outside the top 5 — {misses}.")


def scale_plot(rows: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [r["articles"] for r in rows]
    fig, (lat, mem) = plt.subplots(1, 2, figsize=(10, 4))
    lat.plot(x, [r["p50_ms"] for r in rows], "o-", label="p50")
    lat.plot(x, [r["p95_ms"] for r in rows], "s-", label="p95")
    lat.axhline(150, color="grey", ls=":", label="p95 target 150 ms")
    lat.set(xscale="log", xlabel="articles", ylabel="ms", title="retrieval + extractive answer")
    mem.plot(x, [r["ingest_rss_mib"] for r in rows], "o-", label="ingest peak RSS")
    mem.plot(x, [r["serve_rss_after_mib"] for r in rows], "s-", label="serve RSS")
    mem.axhline(2048, color="grey", ls=":", label="ingest target 2 GiB")
    mem.axhline(1536, color="grey", ls="--", label="serve target 1.5 GiB")
    mem.set(xscale="log", xlabel="articles", ylabel="MiB", title="memory")
    for ax in (lat, mem):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def run_scale_bench(quick: bool) -> str:
    subsets = phapdien_subsets(TARGETS[:-1] if quick else TARGETS)
    rows = [bench_subset(name, files) for name, files in subsets]
    scale_plot(rows, REPO_ROOT / "docs" / "scale.png")
    return scale_table(rows)
