"""Lexical index: BM25 over NFC-normalised, Vietnamese word-segmented text (pyvi), by segments.

Segmented tokens are computed once per node and kept in the registry. An ingest adds a segment of the
nodes it changed and marks those it replaced (`LexicalIndex.update`); a whole rebuild (a new home, a
change of most of the base) streams every node once.

A second, folded index (no diacritics, lower case: "trách_nhiệm" -> "trach_nhiem") serves questions
typed without diacritics ("trach nhiem cua ubnd tinh"), which segment badly and match nothing
in the accented index.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np

from core.vocab import fold, nfc, spell_out
from ingest.lexical_segments import Segment
from ingest.segment import segment

_TOKEN_RE = re.compile(r"[\w]+", re.UNICODE)


def lexical_words(text: str) -> list[str]:
    """Word-segmented lower-case words only ("thông_tin"), for term weighting."""
    return _TOKEN_RE.findall(segment(nfc(text).lower()))


def tokens_from_words(words: list[str]) -> list[str]:
    """Each word, plus its syllables: they keep recall when segmentation differs between a
    question and a clause."""
    out: list[str] = []
    for tok in words:
        out.append(tok)
        if "_" in tok:
            out.extend(s for s in tok.split("_") if s)
    return out


def lexical_tokens(text: str) -> list[str]:
    """Word-segmented lower-case tokens ("thông_tin", "đối_ngoại"), plus their syllables."""
    return tokens_from_words(lexical_words(text))


def lexical_token_text(text: str) -> str:
    """lexical_tokens as the registry stores them (one string): what a segmenting worker returns."""
    return " ".join(lexical_tokens(text))


_FOLDED_WORD_RE = re.compile(r"[a-z0-9]+")
_LETTER_RE = re.compile(r"[^\W\d_]", re.UNICODE)


def is_unaccented(text: str) -> bool:
    """A question typed (mostly) without diacritics: under a fifth of its words carry any."""
    words = [w for w in re.findall(r"[^\W\d_]+", nfc(text)) if len(w) > 1]
    if len(words) < 2:
        return False
    accented = sum(1 for w in words if not w.isascii())
    return accented / len(words) < 0.2


def folded_tokens(tokens: list[str]) -> list[str]:
    """Index side: each segmented token folded ("thông_tin" -> "thong_tin")."""
    return [fold(t) for t in tokens]


def folded_query_tokens(text: str) -> list[str]:
    """Query side: folded syllables with abbreviations spelt out ("ubnd" -> "uy ban nhan dan"),
    plus adjacent pairs joined as the segmenter joins words ("trach_nhiem")."""
    syllables = spell_out(" " + " ".join(_FOLDED_WORD_RE.findall(fold(text).replace("&", ""))) + " ").split()
    return syllables + [f"{a}_{b}" for a, b in zip(syllables, syllables[1:])]


_K1, _B = 1.2, 0.75
_FORMAT = 2
MAX_SEGMENTS = 8  # more: the segments after the first (the large base) are merged into one
MAX_DELETED_SHARE = 0.25  # more of all stored positions removed: every segment merged into one, beside serving
REBUILD_SHARE = 0.5  # a change touching more nodes than this share of the base: rebuilt from the registry
_CACHE_BYTES = 128 << 20  # the common words' contributions kept per index and process: on the whole
# Pháp điển the words of 200 ALQAC questions holding 64 KiB or more take ≈ 125 MiB (positions stay
# intp: numpy would convert narrower indexes on every use); the first asked, the most common, fit
# first; only a word with many postings is worth a place
_CACHE_MIN_BYTES = 64 << 10
_GRACE_S = 600.0  # an unreferenced segment directory younger than this may be one a merge is writing


def _idf(df: int, n_docs: int) -> float:
    """bm25s's "lucene" idf, computed as it does (math.log per term), so scores match it to the bit."""
    return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))


class LexicalIndex:
    """BM25 over the registry's nodes, as segments (ingest.lexical_segments) plus removal marks,
    stamped with the registry generation it matches.

    Scores are computed per question from the live statistics (node count, average length, document
    frequencies) with bm25s's formulas (lucene idf, k1 = 1.2, b = 0.75) in its float order, so they
    equal to the bit what one bm25s index built from the live nodes gives, however many segments hold
    them (tests/test_lexical_segments.py). An ingest adds one segment of the nodes it changed and marks
    the ones it replaced or removed (`update`); nothing else is rescored or rewritten.

    On disk: `manifest.json` (generation, segments in order, removed positions of each), written last
    and atomically, and one directory per segment. A reader loads whatever manifest is current."""

    def __init__(self, path: Path):
        self.path = path
        self.segments: list[Segment] = []
        self.live: list[np.ndarray] = []  # per segment: which of its nodes are current
        self.node_ids: list[str] = []  # every position of every segment, removed ones included
        self.generation = -1
        self.df: dict[str, int] | None = None  # None: nothing loaded
        self.df_folded: dict[str, int] | None = None
        self.n_live = 0
        self._offsets: list[int] = []
        self._norms: list[np.ndarray] = []  # per segment: k1 * ((1 - b) + b * length / average length)
        self._removed = np.zeros(0, dtype=np.int64)  # positions whose scores are zeroed
        self._cache: dict[tuple[str, bool], list[tuple[np.ndarray, np.ndarray]]] = {}
        self._cached_bytes = 0

    # ---- reading
    @property
    def has_folded(self) -> bool:
        return self.n_live > 0

    @staticmethod
    def _read_manifest(path: Path) -> dict | None:
        try:
            manifest = json.loads((path / "manifest.json").read_text())
        except (OSError, ValueError):
            return None
        return manifest if isinstance(manifest, dict) and manifest.get("format") == _FORMAT else None

    @staticmethod
    def stored_nodes(path: Path) -> int:
        """How many current nodes the index written at `path` holds (0 when there is none or it is unreadable)."""
        manifest = LexicalIndex._read_manifest(path)
        return int(manifest.get("live") or 0) if manifest else 0

    def load(self) -> bool:
        """The index the current manifest describes; False when there is none (or one of an older
        format, which is rebuilt). A merge may remove segments between reading the manifest and
        opening them: read again."""
        for _ in range(5):
            manifest = self._read_manifest(self.path)
            if manifest is None:
                return False
            try:
                segments = [Segment.load(self.path, s["name"]) for s in manifest["segments"]]
            except FileNotFoundError:
                time.sleep(0.05)
                continue
            self._install(segments, [s.get("removed") or [] for s in manifest["segments"]], manifest["generation"])
            return True
        return False

    def _install(self, segments: list[Segment], removed: list[list[int]], generation: int) -> None:
        self.segments, self.generation = segments, generation
        self._cache, self._cached_bytes = {}, 0  # contributions follow the statistics, recomputed below
        self.live, self._offsets, self.node_ids, dead = [], [], [], []
        total_len = 0
        for seg, gone in zip(segments, removed):
            live = _live_mask(seg, gone)
            self.live.append(live)
            self._offsets.append(len(self.node_ids))
            dead.append(np.asarray(gone, dtype=np.int64) + len(self.node_ids))
            self.node_ids.extend(seg.node_ids)
            total_len += int(np.asarray(seg.doc_len)[live].sum())
        self._removed = np.concatenate(dead) if dead else np.zeros(0, dtype=np.int64)
        self.n_live = int(sum(int(live.sum()) for live in self.live))
        # the mean of the live lengths, as numpy's mean of the integer lengths gives it (an exact sum)
        avg_len = total_len / self.n_live if self.n_live else 1.0
        self._norms = [_K1 * ((1 - _B) + _B * np.asarray(seg.doc_len) / avg_len) for seg in segments]
        self.df = self._live_df("accented")
        self.df_folded = self._live_df("folded")

    def _live_df(self, which: str) -> dict[str, int]:
        df: dict[str, int] = {}
        for seg, live in zip(self.segments, self.live):
            cols = getattr(seg, which)
            counts = cols.df()
            if not live.all():
                # the postings of removed nodes, and the term each falls under (its column: found by
                # bisecting the column starts, not by expanding a term id for every posting)
                dead = np.flatnonzero(~live[np.asarray(cols.docs)])
                terms = np.searchsorted(np.asarray(cols.indptr), dead, side="right") - 1
                counts = counts - np.bincount(terms, minlength=len(cols.terms))
            for term, n in zip(cols.terms, counts.tolist()):
                if n:
                    df[term] = df.get(term, 0) + n
        return df

    def positions(self) -> dict[str, int]:
        """Each current node's position in what `scores` returns."""
        return {seg.node_ids[i]: offset + i for seg, live, offset in zip(self.segments, self.live, self._offsets)
                for i in np.flatnonzero(live).tolist()}

    def scores(self, query_tokens: list[str], folded: bool = False) -> np.ndarray:
        """BM25 of every position (removed ones score 0), summed over the query's tokens in their order
        (a repeated token counts again), in float32 as bm25s sums."""
        df = self.df_folded if folded else self.df
        if not self.n_live or df is None:
            return np.zeros(0, dtype=np.float32)
        toks = [t for t in query_tokens if df.get(t)]
        scores = np.zeros(len(self.node_ids), dtype=np.float32)
        for term in toks:
            for positions, contribution in self._contributions(term, folded, df):
                scores[positions] += contribution
        if len(self._removed):
            scores[self._removed] = 0.0
        return scores

    def _contributions(self, term: str, folded: bool, df: dict[str, int]) -> list[tuple[np.ndarray, np.ndarray]]:
        """One term's BM25 contribution at each position holding it, per segment. They depend only on
        this index (its statistics are fixed for its life: an update makes a new object), so the common
        words' are kept for the next questions, within a byte budget."""
        key = (term, folded)
        parts = self._cache.get(key)
        if parts is not None:
            return parts
        idf = np.float64(np.float32(_idf(df[term], self.n_live)))
        parts = []
        for seg, offset, norm in zip(self.segments, self._offsets, self._norms):
            found = (seg.folded if folded else seg.accented).postings(term)
            if found is None or not len(found[0]):
                continue
            docs = np.asarray(found[0], dtype=np.int64)
            tf = found[1].astype(np.float64)
            parts.append((docs + offset, (idf * (tf / (norm[docs] + tf))).astype(np.float32)))
        size = sum(p.nbytes + c.nbytes for p, c in parts)
        if size >= _CACHE_MIN_BYTES and self._cached_bytes + size <= _CACHE_BYTES:
            self._cache[key] = parts  # a dict write: threads asking at once compute it twice at worst
            self._cached_bytes += size
        return parts

    def idf(self, word: str) -> float:
        """Inverse document frequency; a word the corpus never uses weighs the most."""
        n = max(self.n_live, 1)
        return float(np.log(1.0 + n / ((self.df or {}).get(word, 0) + 0.5)))

    def idf_folded(self, word: str) -> float:
        n = max(self.n_live, 1)
        return float(np.log(1.0 + n / ((self.df_folded or {}).get(word, 0) + 0.5)))

    # ---- writing (the caller holds the lexical lock of the home: one writer at a time)
    def build(self, rows, generation: int) -> None:
        """The whole index again, as one segment: rows are (node_id, space-joined tokens[, text hash]),
        read as they come (a cursor over the registry), gathered as postings batch by batch, so memory
        follows the index's size, not the corpus's token lists."""
        self._publish([Segment.build(rows)], [[]], generation)

    def update(self, signatures, rows_of, generation: int) -> str:
        """Brought to the registry's nodes by difference: `signatures` yields (node_id, text hash) of
        every node in the registry; `rows_of(ids)` yields (node_id, tokens, text hash) of those.
        A node whose hash changed is marked removed in its segment and added again in the new one.
        Returns "unchanged", "updated", or "too_many" (the caller rebuilds from the registry)."""
        wanted = dict(signatures)
        held: dict[str, tuple[int, int, str]] = {}
        for s, (seg, live) in enumerate(zip(self.segments, self.live)):
            for i in np.flatnonzero(live).tolist():
                held[seg.node_ids[i]] = (s, i, seg.hashes[i])
        gone = [(s, i) for nid, (s, i, h) in held.items() if wanted.get(nid) != h]
        added = [nid for nid, h in wanted.items() if (had := held.get(nid)) is None or had[2] != h]
        if len(added) + len(gone) > REBUILD_SHARE * max(len(wanted), len(held), 1) and len(added) > _GRACE_NODES:
            return "too_many"
        removed = [np.flatnonzero(~live).tolist() for live in self.live]
        for s, i in gone:
            removed[s].append(i)
        segments = list(self.segments)
        if added:
            segments.append(Segment.build(rows_of(added)))
            removed.append([])
        if not added and not gone and generation == self.generation:
            return "unchanged"
        segments, removed = _small_segments_merged(segments, removed)
        self._publish(segments, removed, generation)
        return "updated"

    # ---- the full merge, done beside the serving (ingest.store runs it on a thread of its own)
    def merge_due(self) -> bool:
        """More than a quarter of all stored positions are removed ones: every segment is to become one."""
        total = len(self.node_ids)
        return bool(total) and len(self._removed) > MAX_DELETED_SHARE * total

    def merged_segment(self) -> Segment:
        """The live nodes of every segment as one, from their postings, saved but named by no manifest
        yet (this index is a snapshot: nothing here takes the lexical lock)."""
        merged = Segment.merged([(seg, live) for seg, live in zip(self.segments, self.live)])
        self.path.mkdir(parents=True, exist_ok=True)
        merged.save(self.path)
        return merged

    def adopt_merge(self, snapshot: "LexicalIndex", merged: Segment) -> bool:
        """Under the lexical lock, on the index as it now stands: the segments `snapshot` merged replaced
        by `merged`. What changed since the snapshot is kept: segments added after it stay after the
        merged one, and nodes removed from the merged segments meanwhile are marked in it. False (and
        the merged segment dropped) when the segments it merged are no longer the first ones (a rebuild
        or another merge came first)."""
        names = [seg.name for seg in snapshot.segments]
        if [seg.name for seg in self.segments[:len(names)]] != names:
            shutil.rmtree(self.path / merged.name, ignore_errors=True)
            return False
        position = {nid: i for i, nid in enumerate(merged.node_ids)}
        gone = [position[seg.node_ids[i]]
                for seg, was, now in zip(snapshot.segments, snapshot.live, self.live[:len(names)])
                for i in np.flatnonzero(was & ~now).tolist()]
        kept = range(len(names), len(self.segments))
        self._publish([merged] + [self.segments[k] for k in kept],
                      [gone] + [np.flatnonzero(~self.live[k]).tolist() for k in kept], self.generation)
        return True

    def _publish(self, segments: list[Segment], removed: list[list[int]], generation: int) -> None:
        removed = [sorted(set(r)) for r in removed]  # once: for the manifest and for what is installed
        self.path.mkdir(parents=True, exist_ok=True)
        for seg in segments:
            if not (self.path / seg.name).is_dir():
                seg.save(self.path)
        before = self._read_manifest(self.path) or {}
        replaced = {seg.name for seg in self.segments} | {entry["name"] for entry in before.get("segments", ())}
        live = sum(len(seg.node_ids) - len(r) for seg, r in zip(segments, removed))
        manifest = {"format": _FORMAT, "generation": generation, "live": live,
                    "segments": [{"name": seg.name, "removed": r} for seg, r in zip(segments, removed)]}
        tmp = self.path / "manifest.json.tmp"
        tmp.write_text(json.dumps(manifest))
        os.replace(tmp, self.path / "manifest.json")
        self._collect_garbage({seg.name for seg in segments}, replaced)
        # a segment built here is read back mapped from its files (the arrays built are let go); one
        # already mapped stays as it is
        mapped = {seg.name for seg in self.segments}
        self._install([seg if seg.name in mapped else Segment.load(self.path, seg.name) for seg in segments],
                      removed, generation)

    def _collect_garbage(self, kept: set[str], replaced: set[str]) -> None:
        """Segments the manifest no longer names, and the files of the index's earlier format. The
        segments this index held go at once (a reader that mapped one keeps reading it: the file lives
        until unmapped); any other unnamed one only when it is old, for it may be a merge being written
        or waiting for the lock."""
        now = time.time()
        for entry in self.path.iterdir():
            name = entry.name
            if name in kept or name == "manifest.json":
                continue
            if name in ("bm25", "bm25_folded", "meta.json"):  # the single-index format before segments
                shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
            elif name in replaced or (name.startswith(("seg-", ".seg-")) and now - entry.stat().st_mtime > _GRACE_S):
                shutil.rmtree(entry, ignore_errors=True)


_GRACE_NODES = 2000  # below this many new nodes, a segment is cheaper than a rebuild whatever the share


def _live_mask(seg: Segment, removed: list[int]) -> np.ndarray:
    """Which of a segment's positions hold current nodes, given its removed ones."""
    live = np.ones(len(seg.node_ids), dtype=bool)
    live[np.asarray(removed, dtype=np.int64)] = False
    return live


def _small_segments_merged(segments: list[Segment], removed: list[list[int]]) -> tuple[list[Segment], list[list[int]]]:
    """Tiered merging, as search engines do: past MAX_SEGMENTS, the segments after the first (the large
    base) become one. They are small (one ingest's nodes each): milliseconds, done inline."""
    if len(segments) <= MAX_SEGMENTS:
        return segments, removed
    merged = Segment.merged([(segments[k], _live_mask(segments[k], removed[k])) for k in range(1, len(segments))])
    return [segments[0], merged], [removed[0], []]
