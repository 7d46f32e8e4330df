"""Vietnamese word segmentation with pyvi's model, its features computed once per syllable, and
segmentation of many texts spread over the machine's cores.

Why not `pyvi.ViTokenizer.tokenize` as it is: for every syllable it builds a feature dict from
scratch, lower-casing and title-testing each neighbour up to five times and joining its n-grams
again for every position, then joins its output by repeated string concatenation. On the whole
Pháp điển that was 56% of `kb ingest` (3.4 ms a clause, one core). `segment` gives the CRF the
same features with the same weights, so it labels identically; the work to build them is shared
between positions. tests/test_segment.py compares the two.
"""
from __future__ import annotations

import os
import string
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from multiprocessing import get_context
from typing import Callable, Generic, TypeVar

T = TypeVar("T")

_PUNCTUATION = string.punctuation
_model = None  # (sylabelize, tagger, bigrams, trigrams), loaded on first use (pyvi's model load ~1 s)


def _pyvi():
    global _model
    if _model is None:
        from pyvi.ViTokenizer import ViTokenizer  # the class: its model and word lists

        _model = (ViTokenizer.sylabelize, ViTokenizer.model, ViTokenizer.bi_grams, ViTokenizer.tri_grams)
    return _model


def syllable_features(syllables: list[str], bigrams: set[str], trigrams: set[str]) -> list[list[str]]:
    """pyvi's word2features for every position, each value computed once, in crfsuite's list form.

    pyvi hands crfsuite dicts: a string value becomes the attribute "name:value" of weight 1, True
    the attribute "name" of weight 1, False the attribute "name" of weight 0. A weight-0 attribute
    adds 0 to every label's score, so leaving it out labels identically; the list form spares
    crfsuite converting a dict per syllable (most of its time)."""
    n = len(syllables)
    low = [s.lower() for s in syllables]
    title = [s.istitle() for s in syllables]
    upper = [s.isupper() for s in syllables]
    digit = [s.isdigit() for s in syllables]
    # pyvi lower-cases the joined n-gram (not each syllable): kept so, whatever str.lower's context rules
    bi = [" ".join((syllables[i], syllables[i + 1])).lower() in bigrams for i in range(n - 1)]
    tri = [" ".join((syllables[i], syllables[i + 1], syllables[i + 2])).lower() in trigrams for i in range(n - 2)]
    out = []
    for i in range(n):
        f = ["bias", "word.lower():" + low[i]]
        if upper[i]:
            f.append("word.isupper()")
        if title[i]:
            f.append("word.istitle()")
        if digit[i]:
            f.append("word.isdigit()")
        if i > 0:
            f.append("-1:word.lower():" + low[i - 1])
            if title[i - 1]:
                f.append("-1:word.istitle()")
            if upper[i - 1]:
                f.append("-1:word.isupper()")
            if bi[i - 1]:
                f.append("-1:word.bi_gram()")
            if i > 1 and tri[i - 2]:
                f.append("-2:word.tri_gram()")
        if i < n - 1:
            f.append("+1:word.lower():" + low[i + 1])
            if title[i + 1]:
                f.append("+1:word.istitle()")
            if upper[i + 1]:
                f.append("+1:word.isupper()")
            if bi[i]:
                f.append("+1:word.bi_gram()")
            if i < n - 2 and tri[i]:
                f.append("+2:word.tri_gram()")
        out.append(f)
    return out


def segment(text: str) -> str:
    """The text with the syllables of each word joined by "_", exactly as pyvi's ViTokenizer.tokenize."""
    sylabelize, model, bigrams, trigrams = _pyvi()
    _, syllables = sylabelize(text)
    if not syllables:
        return text
    labels = model.predict_single(syllable_features(syllables, bigrams, trigrams))
    parts = [syllables[0]]
    for i in range(1, len(labels)):
        cur, prev = syllables[i], syllables[i - 1]
        # pyvi's own rule for when an "inside word" label joins ("in" is its substring test, kept)
        joined = (labels[i] == "I_W" and cur not in _PUNCTUATION and prev not in _PUNCTUATION
                  and not cur[0].isdigit() and not prev[0].isdigit()
                  and not (cur[0].istitle() and not prev[0].istitle()))
        parts.append("_" if joined else " ")
        parts.append(cur)
    return "".join(parts)


# ---- many texts over several processes

PARALLEL_FROM = 300  # texts: below this a second process is not worth the hand-over
_CHUNK = 64


def _apply(fn, texts: list[str]) -> list:
    return [fn(t) for t in texts]


def _set_niceness(target: int) -> None:
    """A worker at the niceness of the thread that asked (the app's staff ingest runs at nice 10)."""
    try:
        current = os.getpriority(os.PRIO_PROCESS, 0)
        if target > current:
            os.setpriority(os.PRIO_PROCESS, 0, target)
    except (AttributeError, OSError):
        pass


class SegmenterPool:
    """Worker processes that segment large batches (a whole đề mục, a whole law) on every core.

    Made on the first large batch and kept until `close` (the store closes them after each ingest;
    each worker loads pyvi's model once), remade when the asking thread's niceness changes. Small batches (a question, a short
    decision) stay in the calling process."""

    def __init__(self, workers: int | None = None):
        self.workers = workers if workers is not None else min(2, os.cpu_count() or 1)
        self._pool: Executor | None = None
        self._niceness: int | None = None

    def map(self, fn: Callable[[str], T], texts: list[str], niceness: int = 0) -> list[T]:
        """fn(text) for each text, in order; `fn` segments (a module-level function: the workers
        receive it by name)."""
        return self.submit(fn, texts, niceness).result()

    def submit(self, fn: Callable[[str], T], texts: list[str], niceness: int = 0) -> "PendingTexts[T]":
        """map, started now: the caller goes on (reads the next file) while the workers segment.
        A small batch is done here at once, unless the workers are already running. The workers run
        at `niceness` at least (the app's staff ingest asks 10: questions first), or at the asking
        thread's when it is higher."""
        if self.workers < 2 or (self._pool is None and len(texts) < PARALLEL_FROM) or not texts:
            return PendingTexts(done=[fn(t) for t in texts])
        pool = self._executor(niceness)
        return PendingTexts(futures=[pool.submit(_apply, fn, texts[i : i + _CHUNK])
                                     for i in range(0, len(texts), _CHUNK)])

    def _executor(self, at_least: int) -> Executor:
        niceness = max(_thread_niceness(), at_least)
        if self._pool is not None and niceness != self._niceness:
            self.close()
        if self._pool is None:
            # spawn, not fork: the caller may hold threads (Chroma's client, the app's workers)
            self._pool = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"),
                                             initializer=_set_niceness, initargs=(niceness,))
            self._niceness = niceness
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class PendingTexts(Generic[T]):
    """Results being computed by the workers (or already computed); `finished_at`: when the last
    chunk was done (time.monotonic), for a deadline that must not count what the caller did meanwhile."""

    def __init__(self, done: list[T] | None = None, futures: list[Future] | None = None):
        self._done, self._futures = done, futures or []
        self.finished_at = time.monotonic() if done is not None else 0.0
        for f in self._futures:
            f.add_done_callback(self._finished)

    def _finished(self, _future: Future) -> None:
        self.finished_at = max(self.finished_at, time.monotonic())

    def result(self) -> list[T]:
        if self._done is None:
            waited = not all(f.done() for f in self._futures)
            self._done = [r for f in self._futures for r in f.result()]
            if waited:  # a done-callback may run just after result() returns: the end is now
                self.finished_at = max(self.finished_at, time.monotonic())
        return self._done


def _thread_niceness() -> int:
    try:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())  # Linux: nice is per thread
    except (AttributeError, OSError):
        return 0
