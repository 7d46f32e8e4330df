"""`kb bench desk`, the speed table: each of the desk's four tools timed on a home as `kb serve` holds it.

A tool's time is one call on a KnowledgeBase already loaded (registry, descriptors, the desk's index
up to date: `kb ingest` reads the index), with the per-date views dropped before each call, so the
documents in force are decided and the rows looked up again every time; median of 3. The drafts are
the SYNTHETIC ones of kb/data/desk (they cite đề mục 32.1) and the trace reads the founding article's
account of Công văn 3837 (corpus/seed), labelled there as a secondary source.
"""
from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

from core.settings import SEED_DIR

DRAFTS = Path(__file__).parent / "data" / "desk"
CHECK_DRAFT, CHECK_DATE = "synthetic_du_thao_quyet_dinh.txt", "2026-12-01"
TRACE_FILE, TRACE_DATE = "tvpl-cong-van-3837-btttt-ttdn-2024.txt", "2024-12-01"
AS_OF = "2026-12-01"
REPEATS = 3


def _timed(fn, repeats: int = REPEATS) -> tuple[float, object]:
    runs, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs), out


def time_tools(home: Path) -> list[dict]:
    """One row per tool: its median seconds and what it found (so a fast empty answer shows)."""
    from core.backends import make_backends
    from core.settings import load_settings
    from qa.desk.draft import read_draft_file
    from qa.service import KnowledgeBase

    settings = load_settings(home=str(home))
    kb = KnowledgeBase(settings, make_backends(settings))
    kb.refresh_desk_index()  # up to date after `kb ingest` (read again only if the rules changed since)
    t0 = time.perf_counter()
    kb.refresh_desk_index()  # what every change of the registry costs the desk when nothing is to read
    check_s = time.perf_counter() - t0

    def fresh(fn):
        def run():
            kb._desk.clear()  # the per-date views: decided again on every call
            return fn()
        return run

    rows = [{"tool": "load average of the machine (1 min) when timed", "seconds": os.getloadavg()[0], "found": ""},
            {"tool": "checking the index is up to date (nothing to read)", "seconds": check_s, "found": ""}]
    for body in ("province", "mic", "press"):
        s, out = _timed(fresh(lambda b=body: kb.desk(AS_OF).duties_of(b)))
        rows.append({"tool": f"kb duties {body}", "seconds": s, "found": f"{len(out)} duty rows"})
    s, out = _timed(fresh(lambda: kb.desk(AS_OF).deadlines_of("province")))
    rows.append({"tool": "kb deadlines --body province", "seconds": s, "found": f"{len(out)} time limits"})
    s, out = _timed(fresh(lambda: kb.desk(AS_OF).deadlines_of(None)))
    rows.append({"tool": "kb deadlines (every body)", "seconds": s, "found": f"{len(out)} time limits"})
    draft = read_draft_file(str(DRAFTS / CHECK_DRAFT), settings.desk_max_chars)
    s, out = _timed(lambda: kb.check_basis(draft, as_of=CHECK_DATE))
    rows.append({"tool": f"kb check-basis {CHECK_DRAFT} --date {CHECK_DATE}", "seconds": s,
                 "found": f"{sum(len(p.citations) for p in out.passages)} citations"})
    letter = read_draft_file(str(SEED_DIR / TRACE_FILE), settings.desk_max_chars)
    s, out = _timed(lambda: kb.trace(letter, as_of=TRACE_DATE))
    rows.append({"tool": f"kb trace {TRACE_FILE} --date {TRACE_DATE}", "seconds": s,
                 "found": f"{len(out.tasks)} tasks"})
    return rows


def speed_table(results: dict[str, list[dict]]) -> str:
    """Rows: tools; columns: homes."""
    homes = list(results)
    lines = ["| tool (median of 3, seconds) | " + " | ".join(homes) + " |", "|---" * (len(homes) + 1) + "|"]
    for i, row in enumerate(results[homes[0]]):
        cells = [f"{results[h][i]['seconds']:.2f}" + (f" ({results[h][i]['found']})" if results[h][i]["found"] else "")
                 for h in homes]
        lines.append(f"| {row['tool']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
