"""`kb bench read`: what reading each file in a child process costs, and what it bounds (issue 22.3).

Real files (đề mục 32.1, the seed letter, Pháp điển đề mục files of several sizes) are read three
times in this process and three times through ingest.read_worker's child; the medians give the
child's overhead per file. Then the hostile files of kb.synthetic_hostile are read through the
child under the default limits (and the PDF also with a 10 s time limit and room in memory, to show
the time limit cutting it): outcome, seconds, this process's peak RSS (the server's, in the app) and the
child's own peak RSS. Run as `kb bench read`; this process reads nothing hostile itself, so its
own peak stays what the real files and the replies cost.
"""
from __future__ import annotations

import resource
import statistics
import time
from dataclasses import replace
from pathlib import Path

from core.settings import load_settings
from ingest.limits import Limits
from ingest.model import ReaderError
from ingest.read_worker import read_in_child
from ingest.readers import read_path
from kb.bench_common import BENCH_HOME, DEMUC_32_1, PHAPDIEN_DIR, SEED_DIR
from kb.synthetic_hostile import blank_rgba_png, long_paragraph_text, paragraphs_docx, rectangles_pdf

REPEAT = 3


def _real_files() -> list[Path]:
    demuc = sorted((p for p in PHAPDIEN_DIR.glob("*.html") if p.resolve() != DEMUC_32_1.resolve()),
                   key=lambda p: p.stat().st_size)
    picked = [demuc[len(demuc) // 2], demuc[-1]] if demuc else []  # a median-size đề mục and the largest
    return [DEMUC_32_1, *sorted(SEED_DIR.glob("*.txt"))[:1], *picked]


def _median_s(fn) -> float:
    times = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _rss_mib(who: int) -> int:
    return round(resource.getrusage(who).ru_maxrss / 1024)


def run_read_bench(out_section) -> str:
    limits = replace(Limits.from_settings(load_settings()), read_in_subprocess=True)
    rows = []
    for path in _real_files():
        inproc = _median_s(lambda: read_path(str(path), replace(limits, read_in_subprocess=False)))
        child = _median_s(lambda: read_in_child(str(path), limits))
        rows.append(f"| {path.name} | {path.stat().st_size // 1024} | {inproc:.2f} | {child:.2f} | "
                    f"{child - inproc:+.2f} |")
        print(rows[-1], flush=True)
    real_peak = _rss_mib(resource.RUSAGE_SELF)

    work = BENCH_HOME / "read"
    work.mkdir(parents=True, exist_ok=True)
    hostile = [
        ("PDF page of 3 million rectangles", rectangles_pdf(work / "synthetic_rectangles.pdf", 3_000_000), limits),
        ("the same, KB_MAX_SECONDS_PER_FILE=10, KB_MAX_READ_MEMORY_MB=3072", work / "synthetic_rectangles.pdf",
         replace(limits, max_seconds=10, max_read_memory_bytes=3072 << 20)),
        ("PNG 8900×8900 RGBA (79 MP)", blank_rgba_png(work / "synthetic_rgba.png", 8900), limits),
        ("DOCX 40,000 × 900-character paragraphs", paragraphs_docx(work / "synthetic_paragraphs.docx", 40_000,
                                                                    long_paragraph_text(900)), limits),
        ("DOCX 200,000 empty paragraphs", paragraphs_docx(work / "synthetic_empty.docx", 200_000), limits),
    ]
    lines = []
    for name, path, lim in hostile:
        t0, report = time.perf_counter(), {}
        try:
            docs = read_in_child(str(path), lim, report)
            outcome = f"read ({sum(len(u.full_text) for d in docs for u in d.units):,} characters)"
        except ReaderError as exc:
            outcome = exc.reason.split(";")[0].split(" (")[0]
        secs = time.perf_counter() - t0
        lines.append(f"| {name} | {path.stat().st_size // 1024} | {outcome} | {secs:.1f} | "
                     f"{_rss_mib(resource.RUSAGE_SELF)} | {report.get('peak_rss_mib', '?')} |")
        print(lines[-1], flush=True)
    body = (f"Real files, median of {REPEAT} reads, in this process and through the reading child "
            "(`ingest.read_worker.read_in_child`: a fresh interpreter importing the readers, the reply as JSON):\n\n"
            "| file | KB | in-process s | child s | child − in-process s |\n|---|---|---|---|---|\n"
            + "\n".join(rows)
            + f"\n\nPeak RSS of the reading process after them: {real_peak} MiB.\n\n"
            f"Hostile files (kb.synthetic_hostile) through the child, limits as set "
            f"(KB_MAX_READ_MEMORY_MB={limits.max_read_memory_bytes >> 20}, KB_MAX_SECONDS_PER_FILE="
            f"{limits.max_seconds:g} unless said); the parent's peak RSS so far (ru_maxrss) is what the server "
            "would hold, the child's its own peak (wait4):\n\n"
            "| file | KB | outcome | seconds | parent peak RSS MiB | child peak RSS MiB |\n"
            "|---|---|---|---|---|---|\n" + "\n".join(lines) + "\n")
    return out_section("Reading in a child process", "kb bench read", body)
