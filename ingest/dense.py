"""Dense index: clause nodes in Chroma through llama-index's ChromaVectorStore.

Chroma holds exactly the registry nodes whose vectors have been computed; `dense_state` in the
registry records what it holds, so syncing is a set difference and is safe to resume. The
embedding model and the Chroma client come from `core.backends` (built once, passed in).
"""
from __future__ import annotations

import sys
import threading
import time

import numpy as np

from core.backends import Backends
from core.errors import BackendError, DenseUnavailable
from ingest.registry import NodeRow


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class DenseIndex:
    """Chroma + the embedding model, behind a circuit breaker: after a failure (server stopped,
    timeout) every call fails fast with DenseUnavailable for `dense_retry_s`, then one call tries
    again. So while Chroma is down a question costs no timeout, and when it is back the next
    question after the pause uses it again: no restart, the client reconnects by itself."""

    def __init__(self, backends: Backends, collection: str):
        self.backends = backends
        self.collection_name = collection
        self.model_id = backends.model_id
        self.retry_s = float(getattr(backends.settings, "dense_retry_s", 10.0))
        self._store = None
        self._collection = None
        # per backend (Chroma, the embedding model): until when it is skipped, and why
        self._down: dict[str, tuple[float, str]] = {}
        self._breaker = threading.Lock()

    # ---- circuit breaker, one per backend: a working model must not reopen a Chroma that is down
    @property
    def down_reason(self) -> str:
        """Why dense search is unavailable right now ("" when no backend is known to be down)."""
        now = time.monotonic()
        return "; ".join(reason for until, reason in list(self._down.values()) if now < until)

    def check_available(self) -> None:
        """DenseUnavailable at once while a backend's pause runs (before spending a query embedding)."""
        reason = self.down_reason
        if reason:
            raise DenseUnavailable(reason)

    def _guard(self, what: str, fn, *args, **kw):
        until, reason = self._down.get(what, (0.0, ""))
        if time.monotonic() < until:
            raise DenseUnavailable(reason)
        try:
            out = fn(*args, **kw)
        # A configuration error (another model's collection) or a bug in our code is not an outage.
        except (BackendError, TypeError, KeyError, AttributeError, NameError, AssertionError):
            raise
        except Exception as exc:
            with self._breaker:
                first = what not in self._down  # removed only by a success: one line per outage
                reason = f"{what} không phản hồi ({_reason(exc)})"
                self._down[what] = (time.monotonic() + self.retry_s, reason)
                # a restarted server may have new collection ids: look the collection up again
                self._store = self._collection = None
            if what == self._chroma_label() and not self.backends.settings.chroma_host:
                # an embedded Chroma that failed (a full disk) may keep a broken handle: opened again
                # on the next try, once the pause is over, instead of staying broken until a restart
                self.backends.close_chroma()
            if first:  # for the operator (with the address and the error); users see a plain note
                print(f"kb: {reason}; chỉ tìm theo từ, thử lại mỗi {self.retry_s:g} s", file=sys.stderr, flush=True)
            raise DenseUnavailable(reason) from exc
        if what in self._down:
            with self._breaker:
                if self._down.pop(what, None) is not None:
                    print(f"kb: {what} hoạt động lại; tìm theo nghĩa được dùng trở lại", file=sys.stderr, flush=True)
        return out

    def release(self) -> None:
        """Forget the collection and let go of the Chroma client; the next use opens both again."""
        self._store = self._collection = None
        self.backends.close_chroma()

    def _chroma_label(self) -> str:
        s = self.backends.settings
        return f"máy chủ Chroma {s.chroma_host}:{s.chroma_port}" if s.chroma_host else "Chroma"

    @property
    def store(self):
        if self._store is None:
            # llama-index and chromadb take seconds to import: only when vectors are first used.
            from llama_index.vector_stores.chroma import ChromaVectorStore

            self._collection = self.backends.chroma.get_or_create_collection(
                self.collection_name,
                metadata={"hnsw:space": "cosine", "embedding_model": self.model_id},
                embedding_function=None,  # never chromadb's default (it downloads a model)
            )
            stored_model = (self._collection.metadata or {}).get("embedding_model")
            if stored_model and stored_model != self.model_id:
                raise BackendError(
                    f"Bộ sưu tập Chroma '{self.collection_name}' chứa vectơ của mô hình {stored_model}, "
                    f"khác mô hình đang cấu hình ({self.model_id}). Dùng KB_COLLECTION khác hoặc --home khác."
                )
            self._store = ChromaVectorStore(chroma_collection=self._collection)
        return self._store

    def _count(self) -> int:
        _ = self.store
        return self._collection.count()

    def count(self) -> int:
        return self._guard(self._chroma_label(), self._count)

    def ids(self) -> set[str]:
        """Every id the collection holds, read in pages (the whole Pháp điển is 205k vectors)."""
        return self._guard(self._chroma_label(), self._ids)

    def _ids(self) -> set[str]:
        _ = self.store
        out: set[str] = set()
        page = 5000
        while True:
            got = self._collection.get(include=[], limit=page, offset=len(out))["ids"]
            out.update(got)
            if len(got) < page:
                return out

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._guard("mô hình nhúng", lambda: np.asarray(
            self.backends.embedding.get_text_embedding_batch(texts), dtype=np.float32))

    def embed_query(self, text: str) -> np.ndarray:
        return self._guard("mô hình nhúng", lambda: np.asarray(
            self.backends.embedding.get_query_embedding(text), dtype=np.float32))

    def upsert(self, rows: list[NodeRow], vectors: dict[str, np.ndarray]) -> None:
        """Replaces same-id vectors; all node metadata travels with the vector."""
        if rows:
            self._guard(self._chroma_label(), self._upsert, rows, vectors)

    def _upsert(self, rows: list[NodeRow], vectors: dict[str, np.ndarray]) -> None:
        from llama_index.core.schema import TextNode

        ids = [r.node_id for r in rows]
        self.store.delete_nodes(node_ids=ids)  # Chroma's add() ignores existing ids: delete first
        nodes = []
        for r in rows:
            # Chroma takes flat scalars only.
            meta = {k: v if isinstance(v, (int, float)) else "; ".join(v) if isinstance(v, (list, tuple)) else str(v or "")
                    for k, v in r.meta.to_dict().items()}
            meta["text_hash"] = r.text_hash
            nodes.append(TextNode(id_=r.node_id, text=r.embed_text, metadata=meta,
                                  embedding=vectors[r.text_hash].tolist()))
        self.store.add(nodes)

    def delete(self, ids: list[str]) -> None:
        if ids:
            self._guard(self._chroma_label(), lambda: self.store.delete_nodes(node_ids=ids))

    def query(self, vector: np.ndarray, k: int, doc_keys: list[str] | None = None) -> list[tuple[str, float]]:
        """(node_id, cosine similarity), best first. DenseUnavailable when Chroma is down."""
        return self._guard(self._chroma_label(), self._query, vector, k, doc_keys)

    def _query(self, vector: np.ndarray, k: int, doc_keys: list[str] | None) -> list[tuple[str, float]]:
        # Straight to the collection, asking for ids and distances only: fetching each candidate's
        # metadata costs twenty times the search (93 ms against 4 for 300 neighbours of 1,179
        # vectors), and llama-index's ChromaVectorStore also read every text and built a TextNode.
        # Whether a vector is stale is read from the registry (Registry.dense_hashes) instead.
        _ = self.store
        n = self._collection.count()
        if n == 0:
            return []
        where = {"doc_key": {"$in": list(doc_keys)}} if doc_keys else None
        res = self._collection.query(query_embeddings=[vector.tolist()], n_results=min(k, n), where=where,
                                     include=["distances"])
        # cosine space (the collection is made with hnsw:space cosine): distance = 1 - cosine
        return [(nid, 1.0 - float(d)) for nid, d in zip(res["ids"][0], res["distances"][0])]
