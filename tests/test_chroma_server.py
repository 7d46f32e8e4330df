"""Server mode: the same ingestion and answers against a real `chroma run` server started here."""
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import run_kb
from kb.workers import free_port, stop_process
from test_ingest_store import write_synthetic


@pytest.fixture
def chroma_server(tmp_path):
    port = free_port()
    exe = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen([str(exe), "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import chromadb

    deadline = time.time() + 60
    while True:
        try:
            chromadb.HttpClient(host="127.0.0.1", port=port).heartbeat()
            break
        except Exception:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("chroma run did not start")
            time.sleep(0.5)
    yield port
    stop_process(proc)


@pytest.mark.slow
def test_ingest_and_ask_against_a_chroma_server(tmp_path, chroma_server):
    env = {"CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(chroma_server)}
    home = tmp_path / "h"
    src = write_synthetic(tmp_path / "synthetic_demuc.html")
    run_kb("ingest", str(src), home=home, env=env, check=True)
    assert not (home / "chroma").exists(), "server mode must not create an embedded store"
    import chromadb

    col = chromadb.HttpClient(host="127.0.0.1", port=chroma_server).get_collection("kb_nodes")
    assert col.count() == 3
    ans = json.loads(run_kb("ask", "Ai chịu trách nhiệm hướng dẫn việc nuôi chim cánh cụt?", "--json",
                            home=home, env=env, check=True).stdout)
    assert ans["citations"][0]["citation"] == "Điều 2 Nghị định 999/2099/NĐ-CP"
    # idempotent: a second run adds nothing to the server
    run_kb("ingest", str(src), home=home, env=env, check=True)
    assert col.count() == 3
