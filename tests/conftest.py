"""Shared fixtures. Every test gets its own data dir; the đề mục 32.1 home is built once per session."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = (REPO.parent / "shared").resolve()
DEMUC_32_1 = SHARED / "corpus" / "phapdien" / "78cd97a5-7ff4-48b4-affc-42cd96aeec18.html"
SEED_DIR = SHARED / "corpus" / "seed"
TTDN_DEV = SHARED / "eval" / "ttdn_dev.jsonl"
ALQAC_DIR = SHARED / "eval" / "alqac"
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_shared(path: Path) -> Path:
    """Skip when the shared corpus is absent (a deployment elsewhere), but never in CI."""
    if not path.exists():
        if IN_CI:
            pytest.fail(f"{path} is missing in CI")
        pytest.skip(f"{path} not available")
    return path


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the developer's settings or writes to ./.kb."""
    for var in ("KB_HOME", "KB_CONFIG", "KB_CORPUS", "CHROMA_HOST", "CHROMA_PORT", "OPENAI_BASE_URL",
                "OPENAI_API_KEY", "KB_LLM_MODEL", "KB_EMBEDDING", "KB_USERS_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("KB_HOME", str(tmp_path / "kb-home"))
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")


def run_kb(*args, home: Path, env: dict | None = None, check: bool = False, timeout: int = 1800):
    """Run the real `kb` CLI in a subprocess with an isolated home."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("KB_", "CHROMA_", "OPENAI_"))}
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(home), *args], cwd=REPO,
                          env=full_env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"kb {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def home_32_1(tmp_path_factory) -> Path:
    """A home with đề mục 32.1 and the founding article ingested, dense vectors included.

    Built once per session (embedding ~1,200 clauses takes a few minutes on 2 cores); tests
    that change data must copy it first (see `home_32_1_copy`).
    """
    require_shared(DEMUC_32_1)
    home = tmp_path_factory.mktemp("home-32-1")
    run_kb("ingest", str(DEMUC_32_1), str(SEED_DIR), home=home, check=True)
    return home


@pytest.fixture
def home_32_1_copy(home_32_1, tmp_path) -> Path:
    dst = tmp_path / "home-copy"
    shutil.copytree(home_32_1, dst)
    return dst


@pytest.fixture
def kb_32_1(home_32_1):
    from kb.settings import load_settings
    from qa.service import KnowledgeBase

    return KnowledgeBase(load_settings(home=str(home_32_1)))
