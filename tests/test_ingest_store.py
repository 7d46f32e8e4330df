"""Ingestion through the real CLI: idempotence, atomic replacement, kill -9, refusals, removal."""
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import DEMUC_32_1, REPO, require_shared, run_kb

SYNTHETIC_PD = """<div class='_content'><p class='pChuong'>Chương I</p>
<p class='pDieu'>Điều 99.9.NĐ.1.1. Phạm vi thử nghiệm (synthetic)</p>
<p class='pGhiChu'><a href='http://vbpl.vn/x#Chuong_I_Dieu_1'>(Điều 1 Nghị định số 999/2099/NĐ-CP Thử nghiệm tổng hợp ngày 01/02/2099 của Chính phủ, có hiệu lực thi hành kể từ ngày 01/03/2099 )</a></p>
<p class='pNoiDung'><p>1. Văn bản tổng hợp dùng cho kiểm thử quy định về việc nuôi chim cánh cụt trên sao Hỏa.</p><p>2. {clause2}</p></p>
<p class='pDieu'>Điều 99.9.NĐ.1.2. Trách nhiệm thử nghiệm (synthetic)</p>
<p class='pGhiChu'><a href='http://vbpl.vn/x#Chuong_I_Dieu_2'>(Điều 2 Nghị định số 999/2099/NĐ-CP, có hiệu lực thi hành kể từ ngày 01/03/2099)</a></p>
<p class='pNoiDung'><p>Bộ Thử nghiệm chịu trách nhiệm hướng dẫn việc nuôi chim cánh cụt.</p></p></div>"""


def write_synthetic(path: Path, clause2="Kiểm thử viên báo cáo hằng quý về số chim cánh cụt."):
    path.write_text(SYNTHETIC_PD.replace("{clause2}", clause2), encoding="utf-8")
    return path


def registry(home: Path):
    return sqlite3.connect(str(home / "registry.sqlite3"))


def docs_json(home):
    return {d["key"]: d for d in json.loads(run_kb("docs", "--json", home=home, check=True).stdout)}


def test_reingest_unchanged_file_is_skipped_and_nothing_is_reembedded(tmp_path):
    home, src = tmp_path / "h", write_synthetic(tmp_path / "synthetic_demuc.html")
    run_kb("ingest", str(src), home=home, check=True)
    db = registry(home)
    gen, vectors = db.execute("SELECT v FROM meta WHERE k='generation'").fetchone(), db.execute("SELECT COUNT(*) FROM embed_cache").fetchone()
    out = run_kb("ingest", str(src), "--json", home=home, check=True)
    report = json.loads(out.stdout)  # the JSON is the only thing on stdout (progress goes to stderr)
    assert report["documents"] == 0 and report["skipped"][0]["reason"].startswith("không đổi")
    assert db.execute("SELECT v FROM meta WHERE k='generation'").fetchone() == gen
    assert db.execute("SELECT COUNT(*) FROM embed_cache").fetchone() == vectors
    d = docs_json(home)["999/2099/NĐ-CP"]
    assert (d["articles"], d["nodes"], d["dense_nodes"], d["status"]) == (2, 3, 3, "ready")


def test_changed_clause_replaces_the_document_and_embeds_only_the_change(tmp_path):
    home, src = tmp_path / "h", write_synthetic(tmp_path / "synthetic_demuc.html")
    run_kb("ingest", str(src), home=home, check=True)
    db = registry(home)
    before = db.execute("SELECT COUNT(*) FROM embed_cache").fetchone()[0]
    write_synthetic(src, clause2="Kiểm thử viên báo cáo hằng tháng về số chim cánh cụt (đã sửa).")
    run_kb("ingest", str(src), home=home, check=True)
    assert db.execute("SELECT COUNT(*) FROM embed_cache").fetchone()[0] == before + 1
    texts = [r[0] for r in db.execute("SELECT text FROM nodes ORDER BY ord")]
    assert any("hằng tháng" in t for t in texts) and not any("hằng quý" in t for t in texts)
    look = json.loads(run_kb("lookup", "khoản 2 điều 1 nghị định 999/2099", "--json", home=home, check=True).stdout)
    assert look["text"] == "2. Kiểm thử viên báo cáo hằng tháng về số chim cánh cụt (đã sửa)."
    # Chroma holds exactly the current nodes
    import chromadb

    col = chromadb.PersistentClient(path=str(home / "chroma")).get_collection("kb_nodes")
    assert col.count() == 3


@pytest.mark.parametrize("name,content,reason", [
    ("synthetic_empty.txt", b"", "tệp rỗng"),
    ("synthetic_table.xyz", b"abc", "không hỗ trợ"),
    ("synthetic_broken.pdf", b"%PDF-1.4 not really a pdf", "synthetic_broken.pdf"),
    ("synthetic_bad.json", b"{not json", "JSON"),
])
def test_bad_input_is_refused_with_file_and_reason_and_changes_nothing(tmp_path, name, content, reason):
    home, good = tmp_path / "h", write_synthetic(tmp_path / "synthetic_demuc.html")
    run_kb("ingest", str(good), home=home, check=True)
    gen = registry(home).execute("SELECT v FROM meta WHERE k='generation'").fetchone()
    bad = tmp_path / name
    bad.write_bytes(content)
    proc = run_kb("ingest", str(bad), home=home)
    assert proc.returncode != 0
    assert name in proc.stderr and reason in proc.stderr
    assert registry(home).execute("SELECT v FROM meta WHERE k='generation'").fetchone() == gen


def test_remove_takes_a_document_out_of_every_index(tmp_path):
    home, src = tmp_path / "h", write_synthetic(tmp_path / "synthetic_demuc.html")
    run_kb("ingest", str(src), home=home, check=True)
    assert run_kb("remove", "999/2099/NĐ-CP", home=home).returncode == 0
    assert "999/2099/NĐ-CP" not in docs_json(home)
    ask = json.loads(run_kb("ask", "nuôi chim cánh cụt trên sao Hỏa", "--json", home=home, check=True).stdout)
    assert ask["basis"] == "none" and ask["citations"] == []
    import chromadb

    assert chromadb.PersistentClient(path=str(home / "chroma")).get_collection("kb_nodes").count() == 0
    assert run_kb("remove", "999/2099/NĐ-CP", home=home).returncode == 1


def _doc_state(home: Path, key: str):
    db = registry(home)
    texts = [r[0] for r in db.execute("SELECT text FROM nodes WHERE doc_key=? ORDER BY ord", (key,))]
    units = db.execute("SELECT COUNT(*) FROM units WHERE doc_key=?", (key,)).fetchone()[0]
    return units, texts


def test_kill_9_during_replacement_never_leaves_a_half_ingested_document(tmp_path):
    """A changed đề mục file is re-ingested and killed at many points; every state is old or new."""
    src_real = require_shared(DEMUC_32_1)
    home = tmp_path / "h"
    src = tmp_path / "demuc_32_1_copy.html"
    original = src_real.read_text(encoding="utf-8-sig")
    src.write_text(original, encoding="utf-8")
    run_kb("ingest", "--no-embed", str(src), home=home, check=True)
    old = _doc_state(home, "72/2015/NĐ-CP")
    marker = "Thông tin chính thức về Việt Nam là thông tin"
    assert marker in original
    src.write_text(original.replace(marker, marker + " (bản sửa tổng hợp để kiểm thử)"), encoding="utf-8")
    killed = 0
    for delay in (0.3, 0.8, 1.3, 1.8, 2.3, 2.8, 3.5):
        proc = subprocess.Popen([sys.executable, "-m", "kb.cli", "--home", str(home), "ingest", "--no-embed", str(src)],
                                cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
        units, texts = _doc_state(home, "72/2015/NĐ-CP")
        assert units == 26 and len(texts) == len(old[1])
        edited = [t for t in texts if "(bản sửa tổng hợp" in t]
        assert texts == old[1] or len(edited) == 1, "a mix of old and new clauses"
    assert killed >= 1
    run_kb("ingest", "--no-embed", str(src), home=home, check=True)
    units, texts = _doc_state(home, "72/2015/NĐ-CP")
    assert units == 26 and sum("(bản sửa tổng hợp" in t for t in texts) == 1
    look = json.loads(run_kb("lookup", "khoản 1 điều 7 nghị định 72/2015", "--json", home=home, check=True).stdout)
    assert "(bản sửa tổng hợp để kiểm thử)" in look["text"]


def test_a_new_file_with_the_same_number_replaces_the_whole_document(tmp_path):
    """Legal staff upload a corrected file under another name: no mix of old and new articles."""
    fixture = REPO / "tests" / "fixtures" / "synthetic_nghi_dinh.txt"
    home = tmp_path / "h"
    v1 = tmp_path / "synthetic_v1.txt"
    v1.write_text(fixture.read_text(encoding="utf-8"), encoding="utf-8")
    run_kb("ingest", "--no-embed", str(v1), home=home, check=True)
    before = docs_json(home)["999/2099/NĐ-CP"]["articles"]
    lines = fixture.read_text(encoding="utf-8").splitlines()
    cut = next(i for i, l in enumerate(lines) if l.startswith("Điều 2."))
    v2 = tmp_path / "synthetic_v2_ban_sua.txt"
    v2.write_text("\n".join(lines[:cut]) + "\n", encoding="utf-8")  # the same decree, only Điều 1
    run_kb("ingest", "--no-embed", "--replace", str(v2), home=home, check=True)  # another file: replace explicitly
    after = docs_json(home)["999/2099/NĐ-CP"]
    assert before > 1 and after["articles"] == 1
    assert run_kb("lookup", "Điều 2 Nghị định 999/2099/NĐ-CP", home=home).returncode == 1
