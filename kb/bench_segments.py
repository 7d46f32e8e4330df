"""`kb bench lexical-segments` (issue 21): one document ingested into the whole Pháp điển, as a
segment of the lexical index instead of a rebuild.

Over the home `kb ingest --no-embed` built from every đề mục (.kb-bench/phapdien-all), in one run:
- the whole lexical index rebuilt from the registry (what every ingest cost before segments), in a
  child process;
- rounds of a small synthetic decree (not law) ingested by `kb ingest --no-embed` (wall time of the
  command: it returns once the lexical index holds the new nodes, so this is "to searchable"), checked
  searchable by a fresh process, then removed by `kb remove` (wall time too);
- the lexical scoring of 200 ALQAC questions on the index as it then stands (several segments and
  removal marks) and on one freshly rebuilt segment: medians side by side, scores compared bit for bit.
"""
from __future__ import annotations

import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kb.bench_common import BENCH_HOME, REPO_ROOT, run_kb_child, write_synthetic_decree

ROUNDS = 3
_REBUILD_CHILD = """
import json, sys, time
from core.settings import load_settings
from ingest.store import KnowledgeStore
import shutil
store = KnowledgeStore(load_settings(home=sys.argv[1]))
shutil.rmtree(store.settings.lexical_path, ignore_errors=True)
t = time.perf_counter()
index = store.lexical(wait=True)
print(json.dumps({"seconds": time.perf_counter() - t, "nodes": index.n_live}))
"""
_SEARCH_CHILD = """
import json, sys
from core.settings import load_settings
from ingest.store import KnowledgeStore
from ingest.lexical import lexical_words, tokens_from_words
store = KnowledgeStore(load_settings(home=sys.argv[1]))
index = store.lexical()
scores = index.scores(tokens_from_words(lexical_words(sys.argv[2])))
best = int(scores.argmax()) if len(scores) else -1
node = store.registry.nodes_by_id([index.node_ids[best]]).get(index.node_ids[best]) if best >= 0 else None
print(json.dumps({"document": node.meta.doc_key if node else "", "segments": len(index.segments)}))
"""


def _synthetic_decree(folder: Path, i: int) -> tuple[Path, str, str]:
    """A small synthetic decree, its number and words only it has."""
    number = f"{900 + i}/2099/NĐ-CP"
    thing = f"vườn ươm thử nghiệm giả định số {i} kỳ lân"
    path = write_synthetic_decree(folder / f"synthetic_bench_segment_{i}.txt", number, thing,
                                  "Trạm thử nghiệm phân đoạn")
    return path, number, f"trạm thử nghiệm phân đoạn chăm sóc {thing}"


def _child(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _scoring(home: Path) -> tuple[list[float], list, int]:
    """Lexical scoring time (ms) of 200 ALQAC questions on the index as stored, and the scores."""
    import numpy as np

    from core.settings import load_settings
    from ingest.lexical import LexicalIndex, lexical_words, tokens_from_words
    from kb.bench_common import ALQAC_ARTICLES

    os.sync()  # what the rebuild just wrote goes to disk now, not while questions are timed
    questions = [q["text"] for q in json.loads((ALQAC_ARTICLES.parent / "dev_questions.json").read_text())[:200]]
    index = LexicalIndex(load_settings(home=str(home)).lexical_path)
    index.load()
    times, kept = [], []
    positions = index.positions()
    # each current node's position, in node-id order: a question's scores become one array comparable
    # across indexes (kept as a digest: 200 dicts of every scored node would cost GiBs and GC pauses)
    order = np.asarray([positions[nid] for nid in sorted(positions)], dtype=np.int64)
    queries = [tokens_from_words(lexical_words(q)) for q in questions]
    for toks in queries:  # once untimed: the mapped pages read from disk, as a serving process has them
        index.scores(toks)
    for toks in queries:
        t = time.perf_counter()
        scores = index.scores(toks)
        times.append((time.perf_counter() - t) * 1000)
        kept.append(hashlib.sha256(scores[order].tobytes()).hexdigest())
    return times, kept, len(index.segments)


def _full_merge_seconds(home: Path) -> float:
    """What merging every segment into one costs (the merge a base with a quarter of its positions
    removed gets), from the segments' postings, without publishing it."""
    import numpy as np

    from core.settings import load_settings
    from ingest.lexical import LexicalIndex
    from ingest.lexical_segments import Segment

    index = LexicalIndex(load_settings(home=str(home)).lexical_path)
    index.load()
    t = time.perf_counter()
    Segment.merged([(seg, np.asarray(live)) for seg, live in zip(index.segments, index.live)])
    return time.perf_counter() - t


def run_lexical_segments_bench(bench_section) -> str:
    home = BENCH_HOME / "phapdien-all"
    if not (home / "registry.sqlite3").is_file():
        raise SystemExit(f"Chưa có {home}: dựng bằng `kb --home {home} ingest --no-embed "
                         f"../shared/corpus/phapdien ../shared/corpus/seed` (khoảng 8 phút) rồi chạy lại.")
    rebuild = _child(_REBUILD_CHILD, str(home))
    print(json.dumps({"rebuild": rebuild}), flush=True)
    ingests, removals, found = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        # one round not counted: whatever else the home must catch up on once (the desk's index after a
        # change of its rules reads every document again) is not an ingest's cost
        path, number, _ = _synthetic_decree(Path(tmp), 99)
        run_kb_child(home, "ingest", "--no-embed", str(path))
        run_kb_child(home, "remove", number)
        for i in range(ROUNDS):
            path, number, words = _synthetic_decree(Path(tmp), i)
            secs, rss, _ = run_kb_child(home, "ingest", "--no-embed", str(path))
            ingests.append((secs, rss))
            seen = _child(_SEARCH_CHILD, str(home), words)
            found.append(seen["document"] == number)
            print(json.dumps({"ingest_s": secs, "rss": rss, "found": seen}), flush=True)
            if i < ROUNDS - 1:  # the last one stays: the scoring below runs on segments and marks
                secs, _, _ = run_kb_child(home, "remove", number)
                removals.append(secs)
    seg_times, seg_scores, n_segments = _scoring(home)
    merge_s = _full_merge_seconds(home)
    again = _child(_REBUILD_CHILD, str(home))  # the same nodes as one segment
    one_times, one_scores, _ = _scoring(home)
    same = sum(a == b for a, b in zip(seg_scores, one_scores))
    run_kb_child(home, "remove", f"{900 + ROUNDS - 1}/2099/NĐ-CP")  # the home as it was
    med = lambda v: round(statistics.median(v), 2)  # noqa: E731
    p95 = lambda v: round(sorted(v)[int(0.95 * (len(v) - 1))], 2)  # noqa: E731
    body = (
        f"Home: the whole Pháp điển (`kb ingest --no-embed` of every đề mục), {rebuild['nodes']:,} nodes.\n\n"
        "| step | wall s (median of the rounds) | max | note |\n|---|---|---|---|\n"
        f"| the whole lexical index rebuilt from the registry (before segments: every ingest) | "
        f"{round(rebuild['seconds'], 1)} | — | one child process |\n"
        f"| `kb ingest --no-embed` of one small decree, to searchable | {med([s for s, _ in ingests])} | "
        f"{round(max(s for s, _ in ingests), 2)} | {ROUNDS} rounds; found by a fresh process each time: "
        f"{sum(found)}/{ROUNDS}; peak RSS {max(r for _, r in ingests)} MiB |\n"
        f"| `kb remove` of it | {med(removals) if removals else '—'} | "
        f"{round(max(removals), 2) if removals else '—'} | marks only |\n"
        f"| every segment merged into one, from their postings (in process) | {round(merge_s, 1)} | — | "
        f"once a quarter of the positions are removed ones, on the store's merge thread (serving goes on) |\n\n"
        "Lexical scoring of 200 ALQAC questions (tokens scored over every node, ms per question; the "
        "second pass over them: the first fills the index's cache of the common words' contributions, "
        "as a serving process has it after its first questions):\n\n"
        "| index | segments | median | p95 |\n|---|---|---|---|\n"
        f"| after the rounds (segments and removal marks) | {n_segments} | {med(seg_times)} | {p95(seg_times)} |\n"
        f"| the same nodes rebuilt as one segment ({round(again['seconds'], 1)} s) | 1 | {med(one_times)} | "
        f"{p95(one_times)} |\n\n"
        f"Scores of every node equal to the bit between the two: {same}/{len(seg_scores)} questions. "
        "Whole-process wall times include starting Python and opening the registry.\n")
    return bench_section("Lexical segments", "kb bench lexical-segments", body)
