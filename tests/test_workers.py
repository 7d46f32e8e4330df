"""Several app processes (issue 10, item 3), for real: `kb serve --workers 2` (two `kb serve`
processes behind kb.workers' sticky proxy) over one home and one `chroma run` server.

Expected: a document a legal-staff member ingests through worker 0 is answered by worker 1 within
seconds; two ingests at the same moment through the two workers both complete; two files with the
same document number at the same moment: one is stored, the other refused with the reason; the
registry, the lexical index on disk and Chroma agree afterwards.
"""
from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

from kb.bench_common import clean_env, start_kb_serve

from conftest import UI_ACCOUNTS, free_port, run_kb, write_users_file
from kb.workers import stop_process
from test_faults import start_chroma
from test_ingest_hardening import synthetic_decree
from test_ingest_store import write_synthetic

pytestmark = pytest.mark.slow
OK = "Nạp xong:</b> 1 văn bản"


def _serve_workers(home: Path, port: int, env: dict, log: Path) -> subprocess.Popen:
    full = clean_env() | env
    try:
        return start_kb_serve(home, port, full, log, workers=2, timeout=180)
    except RuntimeError as e:
        pytest.fail(str(e))


def _ask(url: str, worker: int, question: str) -> dict:
    from gradio_client import Client

    client = Client(url, verbose=False, httpx_kwargs={"cookies": {"kb_worker": str(worker)}, "timeout": 60})
    return client.predict(question=question, api_name="/ask")


def _staff(url: str, worker: int):
    from kb.bench_load import _Staff

    staff = _Staff(url, cookies={"kb_worker": str(worker)})
    staff.login("phapche", UI_ACCOUNTS["phapche"][1])
    return staff


def _ingest_report(staff, path: Path) -> str:
    """The ingest report the page shows (HTML), after preview and ingest through the page's protocol."""
    with open(path, "rb") as fh:
        r = staff.http.post(f"{staff.url}/gradio_api/upload", files={"files": (path.name, fh)})
    r.raise_for_status()
    filedata = {"path": r.json()[0], "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}
    assert staff.call("ui_preview", [[filedata], None])["success"]
    done = staff.call("ui_ingest", [None, None, "", None])
    assert done["success"], done
    return json.dumps(done["output"]["data"][0], ensure_ascii=False)


def _cited(answer: dict) -> list[str]:
    return [c["document"] for c in answer["citations"]]


def test_workers_share_one_registry_and_one_chroma_server(tmp_path):
    chroma_port = free_port()
    chroma = start_chroma(tmp_path / "chroma-server", chroma_port)
    env = {"CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(chroma_port), "KB_EMBEDDING": "fake",
           "KB_USERS_FILE": str(write_users_file(tmp_path / "users.toml")), "KB_BACKGROUND_EMBED": "false"}
    home = tmp_path / "home"
    try:
        _run(tmp_path, home, env, chroma_port)
    finally:
        stop_process(chroma)
    log = (tmp_path / "serve.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]


def _run(tmp_path: Path, home: Path, env: dict, chroma_port: int) -> None:
    run_kb("ingest", str(write_synthetic(tmp_path / "synthetic_demuc.html")), home=home, env=env, check=True)
    port = free_port()
    proc = _serve_workers(home, port, env, tmp_path / "serve.log")
    url = f"http://127.0.0.1:{port}/"
    try:
        s0, s1 = _staff(url, 0), _staff(url, 1)
        # 1. ingested through worker 0, answered by worker 1 within seconds
        a = synthetic_decree(tmp_path / "synthetic_a.txt", number="501/2099/NĐ-CP", articles=2,
                             clause="Cơ quan thử nghiệm chăm sóc chim hồng hạc ở vườn thú.")
        assert OK in _ingest_report(s0, a)
        t0, attempts = time.monotonic(), 0
        while True:
            attempts += 1
            ans = _ask(url, 1, "Ai chăm sóc chim hồng hạc ở vườn thú?")
            if "501/2099/NĐ-CP" in _cited(ans) or time.monotonic() - t0 > 10:
                break
            time.sleep(0.5)
        assert "501/2099/NĐ-CP" in _cited(ans), ans
        print(f"worker 1 answered the document ingested through worker 0 after {time.monotonic() - t0:.1f} s "
              f"({attempts} question(s), a new gradio_client each)")

        # 2. two ingests at once, one through each worker: both complete
        b = synthetic_decree(tmp_path / "synthetic_b.txt", number="502/2099/NĐ-CP", articles=40,
                             clause="Trạm thử nghiệm theo dõi đàn cá voi xanh.")
        c = synthetic_decree(tmp_path / "synthetic_c.txt", number="503/2099/NĐ-CP", articles=40,
                             clause="Đội thử nghiệm bảo tồn rừng ngập mặn ven biển.")
        # 3. and two files with the same number at once: one is stored, the other refused with the reason
        d1 = synthetic_decree(tmp_path / "synthetic_d1.txt", number="504/2099/NĐ-CP", articles=30, clause="bản một")
        d2 = synthetic_decree(tmp_path / "synthetic_d2.txt", number="504/2099/NĐ-CP", articles=30, clause="bản hai")
        for pair in ((b, c), (d1, d2)):
            reports: dict[int, str] = {}
            errors: list[BaseException] = []

            def run(i, staff, path):
                try:
                    reports[i] = _ingest_report(staff, path)
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)

            threads = [threading.Thread(target=run, args=(i, s, p)) for i, (s, p) in enumerate(zip((s0, s1), pair))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            assert not errors, errors
            if pair[0] is b:
                assert OK in reports[0] and OK in reports[1], reports
            else:
                refused = [i for i in (0, 1) if "đã có văn bản cùng số hiệu" in reports[i]]
                assert len(refused) == 1 and OK in reports[1 - refused[0]], reports

        for worker in (0, 1):
            assert "502/2099/NĐ-CP" in _cited(_ask(url, worker, "Ai theo dõi đàn cá voi xanh?"))
            assert "503/2099/NĐ-CP" in _cited(_ask(url, worker, "Ai bảo tồn rừng ngập mặn ven biển?"))
    finally:
        stop_process(proc)
    # 4. no worker outlives `kb serve --workers` (their ports close with it)
    import re

    workers = re.findall(r"http://127\.0\.0\.1:(\d+)", (tmp_path / "serve.log").read_text(errors="replace"))[1:]
    assert len(workers) == 2
    deadline = time.time() + 30
    while any(_listening(int(p)) for p in workers):
        assert time.time() < deadline, "a worker outlived kb serve --workers"
        time.sleep(0.5)
    # 5. one consistent state: registry, lexical index on disk, Chroma
    db = sqlite3.connect(f"file:{home / 'registry.sqlite3'}?mode=ro", uri=True)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    docs = {r[0] for r in db.execute("SELECT key FROM documents")}
    assert {"999/2099/NĐ-CP", "501/2099/NĐ-CP", "502/2099/NĐ-CP", "503/2099/NĐ-CP", "504/2099/NĐ-CP"} <= docs
    assert db.execute("SELECT COUNT(DISTINCT source_path) FROM units WHERE doc_key='504/2099/NĐ-CP'").fetchone()[0] == 1
    nodes = {r[0] for r in db.execute("SELECT node_id FROM nodes")}
    gen = int(db.execute("SELECT v FROM meta WHERE k='generation'").fetchone()[0])
    from ingest.lexical import LexicalIndex

    lexical = LexicalIndex(home / "lexical")
    assert lexical.load() and lexical.generation == gen
    assert set(lexical.positions()) == nodes
    import chromadb

    col = chromadb.HttpClient(host="127.0.0.1", port=chroma_port).get_collection("kb_nodes")
    assert set(col.get(include=[])["ids"]) == nodes


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
