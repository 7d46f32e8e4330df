"""Faults, for real (issue 10, item 4): a `chroma run` server stopped and restarted under a running
`kb serve`, and the disk holding the home filling up during an ingest (a small tmpfs).

Expected: while Chroma is down questions are answered by lexical search with a Vietnamese note
(the page, `/ask` and `kb ask --json` say so) and none hangs; once it is back the same app uses it
again, without a restart. A full disk gives a clear Vietnamese error, no traceback, and the
registry, the documents and the answers from before, intact.
"""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kb.bench_common import start_kb_serve
from kb.workers import stop_process

from conftest import free_port, run_kb
from test_ingest_hardening import synthetic_decree
from test_ingest_store import write_synthetic

QUESTION = "Ai chịu trách nhiệm hướng dẫn việc nuôi chim cánh cụt?"
GOLD = "Điều 2 Nghị định 999/2099/NĐ-CP"


def start_chroma(path: Path, port: int) -> subprocess.Popen:
    import httpx

    exe = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen([str(exe), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).raise_for_status()
            return proc
        except Exception:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("chroma run did not start")
            time.sleep(0.3)


def start_serve(home: Path, port: int, env: dict, log: Path) -> subprocess.Popen:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("KB_", "CHROMA_", "OPENAI_"))} | env
    try:
        return start_kb_serve(home, port, full, log, timeout=120)
    except RuntimeError as e:
        pytest.fail(str(e))


def ask(url: str, question: str = QUESTION) -> dict:
    from gradio_client import Client

    return Client(url, verbose=False, httpx_kwargs={"timeout": 60}).predict(question=question, api_name="/ask")


@pytest.mark.slow
def test_questions_fall_back_to_lexical_while_chroma_is_down_and_recover_without_restart(tmp_path):
    port = free_port()
    chroma_dir = tmp_path / "chroma-server"
    chroma = start_chroma(chroma_dir, port)
    env = {"CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(port), "KB_EMBEDDING": "fake", "KB_DENSE_RETRY": "1",
           "KB_CHROMA_TIMEOUT": "3", "KB_BACKGROUND_EMBED": "false"}
    home = tmp_path / "home"
    run_kb("ingest", str(write_synthetic(tmp_path / "synthetic_demuc.html")), home=home, env=env, check=True)
    ui_port = free_port()
    serve = start_serve(home, ui_port, env, tmp_path / "serve.log")
    url = f"http://127.0.0.1:{ui_port}/"
    try:
        up = ask(url)
        assert up["lexical_only"] is False and up["citations"][0]["citation"] == GOLD

        stop_process(chroma)  # under a running app
        for _ in range(3):  # the first question meets the outage, the next ones skip Chroma at once
            t0 = time.monotonic()
            down = ask(url)
            assert time.monotonic() - t0 < 30, "a question must not hang while Chroma is down"
            assert down["lexical_only"] is True
            assert down["citations"][0]["citation"] == GOLD  # still answered, by lexical search
            assert any("Tìm kiếm theo nghĩa tạm thời không dùng được" in w for w in down["warnings"]), down["warnings"]
        cli = json.loads(run_kb("ask", QUESTION, "--json", home=home, env=env, check=True).stdout)
        assert cli["lexical_only"] is True and any("tìm kiếm theo từ ngữ" in w for w in cli["warnings"])

        chroma = start_chroma(chroma_dir, port)  # same data, same address: the app is not restarted
        deadline = time.time() + 30
        while True:
            back = ask(url)
            if not back["lexical_only"] or time.time() > deadline:
                break
            time.sleep(1)
        assert back["lexical_only"] is False, "dense search must come back without restarting the app"
        assert not any("tạm thời không dùng được" in w for w in back["warnings"])
        assert serve.poll() is None
    finally:
        stop_process(serve)
        stop_process(chroma)
    log = (tmp_path / "serve.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]


@pytest.fixture
def small_disk(tmp_path):
    """A 24 MB tmpfs (or skip with the reason): the home lives there, the files to ingest do not."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {proc.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _state(home: Path) -> dict:
    db = sqlite3.connect(f"file:{home / 'registry.sqlite3'}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {"generation": db.execute("SELECT v FROM meta WHERE k='generation'").fetchone()[0],
                "documents": sorted(r[0] for r in db.execute("SELECT key FROM documents")),
                "nodes": db.execute("SELECT COUNT(*) FROM nodes").fetchone()[0],
                "sources": db.execute("SELECT COUNT(*) FROM sources").fetchone()[0]}
    finally:
        db.close()


@pytest.mark.slow
def test_disk_full_during_ingest_is_a_clear_error_and_the_previous_state_is_intact(tmp_path, small_disk):
    env = {"KB_EMBEDDING": "fake"}
    home = small_disk / "home"
    run_kb("ingest", str(write_synthetic(tmp_path / "synthetic_demuc.html")), home=home, env=env, check=True)
    before = _state(home)
    docs_before = json.loads(run_kb("docs", "--json", home=home, env=env, check=True).stdout)
    # ~3,000 clause nodes (a few MB in the registry, the vector cache, Chroma and the lexical index)
    big = synthetic_decree(tmp_path / "synthetic_big.txt", number="777/2099/NĐ-CP", articles=1500,
                           clause="Nội dung dài để chiếm chỗ trên đĩa " * 6)
    filler = small_disk / "filler.bin"
    free = os.statvfs(small_disk)
    with open(filler, "wb") as fh:  # leave about 1.5 MB: the small home fits, the big document does not
        fh.write(b"\0" * max(0, free.f_bavail * free.f_frsize - 1_500_000))

    proc = run_kb("ingest", str(big), home=home, env=env)
    print(proc.stderr[-1500:])  # shown with -s / on failure
    assert proc.returncode == 3  # core.errors.DiskFull
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "đã đầy" in proc.stderr and "nguyên vẹn" in proc.stderr, proc.stderr[-2000:]

    filler.unlink()  # the operator frees space: what was there before is all there, and works
    assert _state(home) == before
    assert json.loads(run_kb("docs", "--json", home=home, env=env, check=True).stdout) == docs_before
    ans = json.loads(run_kb("ask", QUESTION, "--json", home=home, env=env, check=True).stdout)
    assert ans["citations"][0]["citation"] == GOLD
    # and the same file goes in once there is room
    done = run_kb("ingest", str(big), "--json", home=home, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "777/2099/NĐ-CP" in _state(home)["documents"]


def test_dense_outage_is_said_and_ingest_still_commits_fast_path(fake_kb, tmp_path, monkeypatch):
    """The same logic in-process (no server): a dense backend that raises a connection error."""
    kb = fake_kb(write_synthetic(tmp_path / "synthetic_demuc.html"), dense_retry_s=0)
    dense = kb.store.dense
    real_query, real_upsert = dense._query, dense._upsert

    def refused(*a, **kw):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(dense, "_query", refused)
    monkeypatch.setattr(dense, "_upsert", refused)
    ans = kb.ask(QUESTION)
    assert ans.lexical_only and ans.citations[0].citation == GOLD
    assert any(w.startswith("Tìm kiếm theo nghĩa tạm thời không dùng được") for w in ans.warnings)
    assert "Connection refused" not in " ".join(ans.warnings)  # the cause is for the operator's log
    # an ingest meanwhile: stored and searchable by words, vectors pending, said in the report
    report = kb.store.ingest([str(synthetic_decree(tmp_path / "synthetic_new.txt", number="555/2099/NĐ-CP",
                                                   clause="Trạm thử nghiệm chăm sóc chim cánh cụt hoàng đế."))])
    assert not report.refused and report.dense_pending == 4 and "Chưa đồng bộ được vectơ" in report.index_note
    assert "555/2099/NĐ-CP" in {d.key for d in kb.documents() if d.ready}

    monkeypatch.setattr(dense, "_query", real_query)
    monkeypatch.setattr(dense, "_upsert", real_upsert)
    back = kb.ask(QUESTION)
    assert not back.lexical_only and not any("tạm thời" in w for w in back.warnings)
    assert kb.store.sync_dense(compute=False) == 0  # the pending vectors (cached) reach the index
