"""Dense index: clause nodes in Chroma through llama-index's ChromaVectorStore.

Chroma holds exactly the registry nodes whose vectors have been computed; `dense_state` in the
registry records what it holds, so syncing is a set difference and is safe to resume. The
embedding model and the Chroma client come from `core.backends` (built once, passed in).
"""
from __future__ import annotations

import math

import numpy as np

from core.backends import Backends
from core.errors import BackendError
from ingest.registry import NodeRow


class DenseIndex:
    def __init__(self, backends: Backends, collection: str):
        self.backends = backends
        self.collection_name = collection
        self.model_id = backends.model_id
        self._store = None
        self._collection = None

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

    def count(self) -> int:
        _ = self.store
        return self._collection.count()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.backends.embedding.get_text_embedding_batch(texts), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self.backends.embedding.get_query_embedding(text), dtype=np.float32)

    def upsert(self, rows: list[NodeRow], vectors: dict[str, np.ndarray]) -> None:
        """Replaces same-id vectors; all node metadata travels with the vector."""
        from llama_index.core.schema import TextNode

        if not rows:
            return
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
            self.store.delete_nodes(node_ids=ids)

    def query(self, vector: np.ndarray, k: int, doc_keys: list[str] | None = None) -> list[tuple[str, float, str]]:
        """(node_id, cosine similarity, text_hash), best first."""
        from llama_index.core.vector_stores.types import (FilterOperator, MetadataFilter, MetadataFilters,
                                                           VectorStoreQuery)

        filters = None
        if doc_keys:
            filters = MetadataFilters(filters=[MetadataFilter(key="doc_key", value=list(doc_keys), operator=FilterOperator.IN)])
        n = self.count()
        if n == 0:
            return []
        res = self.store.query(VectorStoreQuery(query_embedding=vector.tolist(), similarity_top_k=min(k, n), filters=filters))
        out = []
        for nid, sim, node in zip(res.ids, res.similarities, res.nodes):
            cos = 1.0 + math.log(max(sim, 1e-12))  # ChromaVectorStore reports exp(-distance)
            out.append((nid, cos, node.metadata.get("text_hash", "")))
        return out
