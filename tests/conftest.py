"""Shared fixtures. Every test gets its own data dir; the đề mục 32.1 home is built once per session."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kb.bench_common import clean_env
from kb.workers import free_port, stop_process  # noqa: F401 - free_port is shared with the tests from here

REPO = Path(__file__).resolve().parent.parent
SHARED = (REPO.parent / "shared").resolve()
DEMUC_32_1 = SHARED / "corpus" / "phapdien" / "78cd97a5-7ff4-48b4-affc-42cd96aeec18.html"
SEED_DIR = SHARED / "corpus" / "seed"
TTDN_DEV = SHARED / "eval" / "ttdn_dev.jsonl"
TTDN_ANSWERS_DEV = SHARED / "eval" / "ttdn_answers_dev.jsonl"
ALQAC_DIR = SHARED / "eval" / "alqac"
IN_CI = os.environ.get("CI", "").lower() == "true"

def serve_for_test(home: Path, env: dict, log: Path, timeout: float = 240) -> tuple[subprocess.Popen, str]:
    """`kb serve` on a free port for a browser test, once it answers; the test fails with the log's tail
    when it exits or does not answer in time. Returns the process and the page's URL."""
    from kb.bench_common import start_kb_serve

    port = free_port()
    try:
        proc = start_kb_serve(home, port, env, log, timeout=timeout)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    return proc, f"http://127.0.0.1:{port}/"



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
                "OPENAI_API_KEY", "KB_LLM_MODEL", "KB_EMBEDDING", "KB_USERS_FILE", "KB_REGISTRY_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("KB_HOME", str(tmp_path / "kb-home"))
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")


def run_kb(*args, home: Path, env: dict | None = None, check: bool = False, timeout: int = 1800):
    """Run the real `kb` CLI in a subprocess with an isolated home."""
    full_env = clean_env()
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(home), *args], cwd=REPO,
                          env=full_env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"kb {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


# ------------------------------------------------------------------ the registry on both backends
# A test module marked `pytestmark = pytest.mark.registries` runs each test that uses the registry
# (through fake_kb, or the registry_target fixture) on SQLite and on PostgreSQL.

def pytest_generate_tests(metafunc):
    marker = metafunc.definition.get_closest_marker("registries")
    if "registry_backend" in metafunc.fixturenames and marker:
        # `@pytest.mark.registries("sqlite")` on a test: that backend only (an old SQLite file's migration)
        metafunc.parametrize("registry_backend", list(marker.args or ("sqlite", "postgresql")))


@pytest.fixture
def registry_backend() -> str:
    return "sqlite"  # unmarked modules: the embedded default only


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server for the session (kb/pg_local.py), stopped at the end. Skipped only
    when Debian's postgresql binaries are absent, and never in CI (.ci/run installs them)."""
    from kb.pg_local import PgServer, bindir

    found = bindir()
    if found is None:
        reason = ("PostgreSQL binaries (initdb, pg_ctl) not found: `apt-get install postgresql` "
                  "(Debian) to run the registry tests on PostgreSQL")
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    server = PgServer(found).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def registry_url(request, registry_backend) -> str | None:
    """KB_REGISTRY_URL for this test: None (SQLite in the home) or a fresh PostgreSQL database."""
    if registry_backend == "postgresql":
        return request.getfixturevalue("pg_server").create_database()
    return None


@pytest.fixture
def registry_target(registry_url, tmp_path):
    """What Registry(...) opens in this test: the SQLite file in a home, or the PostgreSQL URL."""
    return registry_url or tmp_path / "kb-reg" / "registry.sqlite3"


@pytest.fixture
def fake_kb(tmp_path, registry_url):
    """In-process knowledge base over the fake embedding (no model, no server): ingest files, ask.

    Usage: `kb = fake_kb(path, …)`; the store is built from settings like the real one, so
    idempotence, replacement and answers run through the same code in milliseconds.
    """
    from core.backends import make_backends
    from core.settings import load_settings
    from qa.service import KnowledgeBase

    built = []

    def build(*paths, catalog: Path | None = None, **overrides):
        env = {"KB_HOME": str(tmp_path / "kb-fake"), "KB_EMBEDDING": "fake"}
        if registry_url:
            env["KB_REGISTRY_URL"] = registry_url
        if catalog is not None:
            env["KB_CATALOG"] = str(catalog)
        settings = load_settings(env=env, **overrides)
        kb = KnowledgeBase(settings, make_backends(settings))
        built.append(kb)
        if paths:
            report = kb.store.ingest([str(p) for p in paths])
            assert not report.refused, [(o.path, o.reason) for o in report.refused]
        return kb

    yield build
    for kb in built:  # each holds the registry and an embedded Chroma open: ~11 files a test otherwise
        kb.close()


@pytest.fixture(scope="session")
def home_32_1(tmp_path_factory) -> Path:
    """A home with đề mục 32.1 and the founding article ingested, dense vectors included.

    Built once per session (embedding ~1,200 clauses takes a few minutes on 2 cores); tests
    that change data must copy it first (see `home_32_1_copy`).
    """
    require_shared(DEMUC_32_1)
    prebuilt = os.environ.get("KB_TEST_HOME_32_1")  # a home built as below (kb ingest), to iterate on slow machines
    if prebuilt and not IN_CI:
        return Path(prebuilt)
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
    from core.backends import make_backends
    from core.settings import load_settings
    from qa.service import KnowledgeBase

    settings = load_settings(home=str(home_32_1))
    return KnowledgeBase(settings, make_backends(settings))


# ---------------------------------------------------------------------------------------------
# UI fixtures (ui/, tests/test_ui_*.py): accounts, and a real `kb serve` over a copy of the
# 32.1 home, started once per session.
# ---------------------------------------------------------------------------------------------
UI_ACCOUNTS = {  # username: (role, password) — written to a users file with bcrypt hashes
    "phapche": ("legal_staff", "mat-khau-phap-che-1"),
    "canbo": ("official", "mat-khau-can-bo-1"),
}


def write_users_file(path: Path, accounts: dict = UI_ACCOUNTS) -> Path:
    from ui.auth import hash_password

    lines = []
    for user, (role, password) in accounts.items():
        lines += [f"[users.{user}]", f'name = "Người dùng thử {user}"', f'role = "{role}"',
                  f'password_hash = "{hash_password(password, rounds=4)}"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class UIServer:
    def __init__(self, url: str, home: Path, users_file: Path, proc, log: Path):
        self.url, self.home, self.users_file, self.proc, self.log = url, home, users_file, proc, log


@pytest.fixture(scope="session")
def ui_server(home_32_1, tmp_path_factory):
    """`kb --home <copy of the 32.1 home> serve --port <free>` with a users file; yields UIServer."""
    root = tmp_path_factory.mktemp("ui-server")
    home = root / "home"
    shutil.copytree(home_32_1, home)
    users = write_users_file(root / "users.toml")
    env = clean_env()
    env.update(KB_USERS_FILE=str(users), GRADIO_ANALYTICS_ENABLED="False", ANONYMIZED_TELEMETRY="False")
    log = root / "serve.log"
    proc, url = serve_for_test(home, env, log)
    yield UIServer(url, home, users, proc, log)
    stop_process(proc, 20)


# ---------------------------------------------------------------------------------------------
# Browser: ONE Playwright (sync API) and one Chromium for the whole session, shared by every
# browser test module (a second sync_playwright in the same process is refused).
# ---------------------------------------------------------------------------------------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing in CI (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium fonts-dejavu-core)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
