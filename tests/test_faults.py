"""Faults, for real (issue 10, item 4): a `chroma run` server stopped and restarted under a running
`kb serve`, and the disk holding the home filling up during an ingest (a small tmpfs).

Expected: while Chroma is down questions are answered by lexical search with a Vietnamese note
(the page, `/ask` and `kb ask --json` say so) and none hangs; once it is back the same app uses it
again, without a restart. A full disk gives a clear Vietnamese error, no traceback, and the
registry, the documents and the answers from before, intact.
"""
from __future__ import annotations

import errno
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kb.bench_common import clean_env, start_kb_serve
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
    full = clean_env() | env
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


def _full_disk(*a, **kw):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("with_commit_lock", [False, True], ids=["cli", "app"])
def test_probe22_index_failure_after_the_commit_is_said_as_stored_and_repairs_itself(fake_kb, tmp_path, monkeypatch,
                                                                                     with_commit_lock):
    """A synthetic decree ingested (by `kb ingest`, and under the app's commit lock) while the disk is
    full for the lexical index: the registry has committed, the index cannot be written, and no usable
    index is in memory yet. Expected: the file is reported stored with "Văn bản đã lưu, chỉ mục đang
    cập nhật", not a failed ingest; the document is in the base, and once space is freed the next
    question rebuilds the index and cites it, without a restart."""
    from contextlib import nullcontext

    from ingest.lexical import LexicalIndex
    from ingest.store import POST_COMMIT_NOTE

    kb = fake_kb(write_synthetic(tmp_path / "synthetic_demuc.html"))
    kb.store._lexical = None  # a process that has not answered yet: nothing usable to fall back on
    real_publish = LexicalIndex._publish  # where a build or an update writes its files
    monkeypatch.setattr(LexicalIndex, "_publish", _full_disk)
    new = synthetic_decree(tmp_path / "synthetic_new.txt", number="556/2099/NĐ-CP",
                           clause="Trạm thử nghiệm chăm sóc chim cánh cụt hoàng đế.")
    report = kb.store.ingest([str(new)], commit_lock=nullcontext if with_commit_lock else None)
    assert [o.status for o in report.outcomes] == ["ingested"]
    assert report.index_note == POST_COMMIT_NOTE and "đã lưu" in report.index_note
    assert "556/2099/NĐ-CP" in {d.key for d in kb.documents() if d.ready}
    monkeypatch.setattr(LexicalIndex, "_publish", real_publish)  # the operator frees space
    ans = kb.ask("Trạm thử nghiệm chăm sóc chim cánh cụt hoàng đế do ai lập?")
    assert ans.citations and ans.citations[0].citation.endswith("556/2099/NĐ-CP")
    assert kb.store.lexical().generation == kb.store.registry.generation()


def test_probe22_failure_after_an_earlier_file_was_stored_names_each_file(fake_kb, tmp_path, monkeypatch):
    """Three files in one ingest; the disk fills while the second is committed. Expected: not "nothing
    changed": the first is reported stored (and is in the base), the second refused with the full-disk
    reason (its transaction rolled back), the third not read, with "hãy nạp lại"."""
    kb = fake_kb(write_synthetic(tmp_path / "synthetic_demuc.html"))
    first = synthetic_decree(tmp_path / "synthetic_a.txt", number="557/2099/NĐ-CP", clause="Nội dung thử A.")
    second = synthetic_decree(tmp_path / "synthetic_b.txt", number="558/2099/NĐ-CP", clause="Nội dung thử B.")
    third = synthetic_decree(tmp_path / "synthetic_c.txt", number="559/2099/NĐ-CP", clause="Nội dung thử C.")
    real = kb.store.registry.replace_source
    calls = []

    def second_fails(*a, **kw):
        calls.append(1)
        if len(calls) == 2:
            _full_disk()
        return real(*a, **kw)

    monkeypatch.setattr(kb.store.registry, "replace_source", second_fails)
    report = kb.store.ingest([str(first), str(second), str(third)])
    by_file = {Path(o.path).name: o for o in report.outcomes}
    assert by_file["synthetic_a.txt"].status == "ingested"
    assert by_file["synthetic_b.txt"].status == "refused" and "đã đầy" in by_file["synthetic_b.txt"].reason
    assert by_file["synthetic_c.txt"].status == "skipped" and "nạp lại" in by_file["synthetic_c.txt"].reason
    stored = {d.key for d in kb.documents() if d.ready}
    assert "557/2099/NĐ-CP" in stored and not {"558/2099/NĐ-CP", "559/2099/NĐ-CP"} & stored


def test_probe22_embedded_chroma_that_failed_is_opened_again_without_a_restart(fake_kb, tmp_path, monkeypatch):
    """The embedded Chroma raises a full-disk error on a query. Expected: that question is answered by
    words; the failed client is released, and after space is freed the next question opens a new
    client and searches by meaning again, without restarting the app."""
    kb = fake_kb(write_synthetic(tmp_path / "synthetic_demuc.html"), dense_retry_s=0)
    dense = kb.store.dense
    assert not kb.ask(QUESTION).lexical_only
    broken = kb.store.backends.chroma
    real_query = dense._query
    monkeypatch.setattr(dense, "_query", _full_disk)
    assert kb.ask(QUESTION).lexical_only  # answered by words meanwhile
    assert kb.store.backends._chroma is None  # the failed client was let go
    monkeypatch.setattr(dense, "_query", real_query)  # space freed
    back = kb.ask(QUESTION)
    assert not back.lexical_only and back.citations[0].citation == GOLD
    assert kb.store.backends.chroma is not broken  # a new client, not the one that failed


def test_closing_knowledge_bases_releases_their_files(fake_kb, tmp_path):
    """A process that builds knowledge bases one after another (tests, benchmarks) does not gather
    open files: each close() releases the registry, the desk's index and the embedded Chroma."""
    from core.backends import make_backends
    from core.settings import load_settings
    from qa.service import KnowledgeBase

    fake_kb(write_synthetic(tmp_path / "synthetic_demuc.html")).close()
    settings = load_settings(env={"KB_HOME": str(tmp_path / "kb-fake"), "KB_EMBEDDING": "fake"})

    def open_files() -> int:
        return len(os.listdir("/proc/self/fd"))

    def one_round():
        with KnowledgeBase(settings, make_backends(settings)) as kb:
            assert kb.ask(QUESTION).citations[0].citation == GOLD
            kb.desk("2026-12-01").duties_of("province")

    one_round()  # libraries' own one-time files (models, modules) opened once
    before = open_files()
    for _ in range(5):
        one_round()
    assert open_files() <= before + 2, (before, open_files())


def test_a_vector_of_an_older_text_is_not_used(fake_kb, tmp_path):
    """A node's vector in Chroma was computed for an older text (a sync interrupted after a correction):
    the registry's dense_state says which text each vector holds, and retrieval ignores a vector that
    does not match the node's text (it is not asked of Chroma's metadata)."""
    from qa.features import FEATURES

    kb = fake_kb(write_synthetic(tmp_path / "synthetic_demuc.html"))
    res = kb.retrieve(QUESTION)
    top = res.hits[0]
    dense_rr = FEATURES.index("dense_rr")
    assert res.features[top.node_id][dense_rr] > 0  # found by meaning while its vector is current
    with kb.store.registry.transaction() as db:
        db.execute("UPDATE dense_state SET text_hash='older-text' WHERE node_id=?", (top.node_id,))
    again = kb.retrieve(QUESTION)
    assert top.node_id in {nid for nid, _ in kb.retriever.dense(QUESTION, 50)}  # Chroma still returns it
    assert again.features[top.node_id][dense_rr] == 0  # but it is not used
    assert top.node_id in {h.node_id for h in again.hits}  # still found, by its words
