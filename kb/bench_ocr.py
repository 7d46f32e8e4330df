"""`kb bench ingest`, section OCR: scanned pages per second and peak memory, on synthetic scans.

The scans are built like the tests' (kb.synthetic_scan: real text of đề mục 32.1 on degraded A4
pages at 300 dpi, image-only PDF): the first 2 and 20 pages of Luật Báo chí, and each is ingested by a `kb ingest
--no-embed` child so that the figures are OCR + parsing alone. Peak RSS is reported for the kb
process and, separately, for the largest `tesseract` child: a flat line from 2 to 20 pages shows
that pages are rendered and recognised one at a time.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

from core.settings import REPO_ROOT
from kb.bench_common import BENCH_HOME, registry_counts

_CHILD = ("import resource, sys\nfrom kb.cli import main\nrc = main(sys.argv[1:])\n"
          "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
          " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\nsys.exit(rc)")


def bench_scan(pages: int) -> dict:
    from kb.synthetic_scan import long_scan

    home = BENCH_HOME / f"ocr-{pages}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    scan = long_scan(home / f"synthetic_scan_{pages}_pages.pdf", pages)
    t0 = time.perf_counter()
    # the per-file reading limit (KB_MAX_SECONDS_PER_FILE) is lifted: this measures speed, not the limit
    env = {**os.environ, "KB_MAX_SECONDS_PER_FILE": "3600"}
    proc = subprocess.run([sys.executable, "-c", _CHILD, "--home", str(home / "kb"), "ingest", "--no-embed", str(scan)],
                          capture_output=True, text=True, cwd=REPO_ROOT, env=env)
    secs = time.perf_counter() - t0
    m = re.search(r"MAXRSS (\d+) (\d+)", proc.stderr)
    if proc.returncode != 0 or not m:
        raise RuntimeError(f"kb ingest {scan} failed: {proc.stdout[-1500:]} {proc.stderr[-1500:]}")
    counts = registry_counts(home / "kb")
    return {"pages": pages, "seconds": round(secs, 1), "pages_per_s": round(pages / secs, 2),
            "kb_peak_rss_mib": int(m.group(1)) // 1024, "tesseract_peak_rss_mib": int(m.group(2)) // 1024,
            "articles": counts["articles"], "nodes": counts["nodes"], "scan_mib": round(scan.stat().st_size / 2**20, 1)}


def run_ocr_bench() -> list[dict]:
    rows = [bench_scan(2), bench_scan(20)]
    rows[-1]["load_average"] = round(os.getloadavg()[0], 1)  # other work on the two cores slows OCR
    return rows


def ocr_table(rows: list[dict]) -> str:
    head = ("| scanned pages | seconds | pages/s | kb peak RSS MiB | tesseract peak RSS MiB | articles found | nodes | "
            "PDF MiB |\n|---|---|---|---|---|---|---|---|\n")
    lines = [f"| {r['pages']} | {r['seconds']} | {r['pages_per_s']} | {r['kb_peak_rss_mib']} | "
             f"{r['tesseract_peak_rss_mib']} | {r['articles']} | {r['nodes']} | {r['scan_mib']} |" for r in rows]
    small, large = rows[0], rows[-1]
    marginal = (large["pages"] - small["pages"]) / max(large["seconds"] - small["seconds"], 1e-9)
    note = (f"\n\nPer page, without the process start-up (the difference of the two runs): {marginal:.2f} pages/s, "
            f"i.e. {1 / marginal:.1f} s a page; load average {large.get('load_average', '?')} at the end of the run."
            "\n\nSynthetic scans (kb/synthetic_scan.py): Luật Báo chí 103/2016/QH13 from đề mục 32.1 drawn on A4 at "
            "300 dpi, skewed, blurred "
            "and speckled, image-only PDF; `kb ingest --no-embed` in a child process, seconds include its start-up. "
            "Pages are rendered (pypdfium2) and recognised (Tesseract 5, `vie`, one OpenMP thread) one at a time.")
    return head + "\n".join(lines) + note


# ---------------------------------------------------------------- preview, then ingest: OCR once


def _preview_then_ingest(home, scan, cache_mb: int) -> dict:
    """Seconds of the staff path on one scan: preview (the file read, OCR included), then ingest."""
    from core.backends import make_backends
    from core.settings import load_settings
    from qa.service import KnowledgeBase

    settings = load_settings(env={"KB_HOME": str(home), "KB_EMBEDDING": "fake", "KB_OCR_CACHE_MB": str(cache_mb),
                                  "KB_MAX_SECONDS_PER_FILE": "3600"})
    kb = KnowledgeBase(settings, make_backends(settings))
    t0 = time.perf_counter()
    [preview] = kb.preview_file(str(scan))
    t1 = time.perf_counter()
    report = kb.ingest_files([str(scan)])
    t2 = time.perf_counter()
    if preview.get("error") or report["refused"] or report["documents"] != 1:
        raise RuntimeError(f"preview or ingest of {scan} failed: {preview.get('error')} {report['refused']}")
    return {"preview_s": round(t1 - t0, 1), "ingest_s": round(t2 - t1, 1), "total_s": round(t2 - t0, 1),
            "articles": report["articles"]}


def run_ocr_once_bench(pages: int = 2) -> list[dict]:
    """The same scan previewed then ingested, without the OCR cache (KB_OCR_CACHE_MB=0: OCR'd twice, as
    before) and with it (the ingest reuses the preview's pages). In one process, after a warm-up."""
    from kb.synthetic_scan import long_scan

    root = BENCH_HOME / "ocr-once"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    scan = long_scan(root / f"synthetic_scan_{pages}_pages.pdf", pages)
    _preview_then_ingest(root / "warm-up", long_scan(root / "synthetic_scan_warm_up.pdf", 1), 0)  # imports, model load
    rows = []
    for label, cache_mb in (("before: OCR at preview and again at ingest (KB_OCR_CACHE_MB=0)", 0),
                            ("after: the ingest reuses the preview's pages (OCR cache)", 64)):
        rows.append({"mode": label, "pages": pages, **_preview_then_ingest(root / f"home-{cache_mb}", scan, cache_mb)})
    rows[-1]["load_average"] = round(os.getloadavg()[0], 1)
    return rows


def ocr_once_table(rows: list[dict]) -> str:
    head = "| | scanned pages | preview s | ingest s | preview + ingest s | articles |\n|---|---|---|---|---|---|\n"
    lines = [f"| {r['mode']} | {r['pages']} | {r['preview_s']} | {r['ingest_s']} | {r['total_s']} | {r['articles']} |"
             for r in rows]
    return (head + "\n".join(lines) + "\n\nStaff path in the web app: “Xem trước” then “Nạp” on one synthetic scan "
            "(kb/synthetic_scan.py, Luật Báo chí from đề mục 32.1, image-only PDF), KnowledgeBase.preview_file then "
            "ingest_files in one process after a warm-up, fake embedding so that the figures are reading and OCR; "
            f"load average {rows[-1].get('load_average', '?')} at the end of the run (the 2 cores are shared, so the "
            "two previews, which both recognise every page, differ by the load alone; what the cache removes is the "
            "ingest's second OCR).")
