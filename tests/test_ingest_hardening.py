"""Ingest hardening: document identity and explicit replacement, symlink loops, Rich markup in
data, clean `--json` stdout, CLI audit records, and resource limits.

Every file written here is named synthetic_* and holds SYNTHETIC test text, never real law text.
Fast: the fake embedding, in-process; one real `kb` subprocess (the stdout of `--json`).
"""
from __future__ import annotations

import getpass
import hashlib
import json
import threading
import time
import zipfile
from pathlib import Path

import pytest

from conftest import run_kb

SYNTHETIC_NOTE = "(Văn bản tổng hợp để kiểm thử — synthetic, không phải văn bản pháp luật.)"


def _store(tmp_path: Path, **env):
    from core.backends import make_backends
    from core.settings import load_settings
    from ingest.store import KnowledgeStore

    settings = load_settings(env={"KB_HOME": str(tmp_path / "home"), "KB_EMBEDDING": "fake", **env})
    return KnowledgeStore(settings, make_backends(settings))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def synthetic_untitled(path: Path, words: str) -> Path:
    """A text with Điều but no number and no title (a draft, a pasted excerpt)."""
    return _write(path, f"Điều 1. Phạm vi thử nghiệm {words}\n1. {SYNTHETIC_NOTE}\n2. Khoản hai về {words}.\n")


def synthetic_decree(path: Path, number: str = "999/2099/NĐ-CP", articles: int = 2, clause: str = "") -> Path:
    body = "\n".join(f"Điều {i}. Điều thử nghiệm số {i}\n1. {SYNTHETIC_NOTE}\n2. Khoản hai của điều {i}. {clause}"
                     for i in range(1, articles + 1))
    return _write(path, f"CHÍNH PHỦ THỬ NGHIỆM\nSố: {number}\nNGHỊ ĐỊNH\nVỀ THỬ NGHIỆM TỔNG HỢP\n{body}\n")


def synthetic_demuc(path: Path, article: int, number: str = "998/2099/NĐ-CP") -> Path:
    """One Pháp điển đề mục file holding one article of `number` (đề mục files share documents)."""
    return _write(path, (
        "<div class='_content'><p class='pChuong'>Chương I</p>"
        f"<p class='pDieu'>Điều 99.9.NĐ.1.{article}. Điều tổng hợp {article} (synthetic)</p>"
        f"<p class='pGhiChu'><a href='http://vbpl.vn/x#Chuong_I_Dieu_{article}'>(Điều {article} Nghị định số {number} "
        "Thử nghiệm tổng hợp ngày 01/02/2099 của Chính phủ, có hiệu lực thi hành kể từ ngày 01/03/2099)</a></p>"
        f"<p class='pNoiDung'><p>1. {SYNTHETIC_NOTE}</p><p>2. Khoản hai của điều {article}.</p></p></div>"))


def _texts(store, key: str) -> list[str]:
    return [n.text for n in store.registry.nodes_of(key)]


# ------------------------------------------------------------------ 5. identity and explicit replace

def test_documents_without_number_or_title_never_share_a_key_nor_replace_each_other(tmp_path):
    """Two synthetic files with neither number nor title are ingested one after the other. Expected: each gets its own key (file name + content hash); both stay, and each can be re-ingested."""
    store = _store(tmp_path)
    a = synthetic_untitled(tmp_path / "synthetic_a.txt", "chim cánh cụt")
    b = synthetic_untitled(tmp_path / "synthetic_b.txt", "hải cẩu")
    ra, rb = store.ingest([a], embed=False), store.ingest([b], embed=False)
    ka, kb = ra.outcomes[0].documents[0], rb.outcomes[0].documents[0]
    assert ka and kb and ka != kb
    assert ka.startswith("synthetic_a.txt #") and kb.startswith("synthetic_b.txt #")
    assert store.registry.keys() == {ka, kb}  # the second did not delete the first
    assert any("chim cánh cụt" in t for t in _texts(store, ka))
    # the first file can still be ingested again (its hash no longer points at a deleted document)
    again = store.ingest([a], embed=False, force=True)
    assert again.outcomes[0].status == "ingested" and store.registry.keys() == {ka, kb}


def test_a_document_another_file_holds_is_replaced_only_when_asked(tmp_path):
    """A second file carries the number of a document another file already holds. Expected: refused with a Vietnamese message naming the document and the other file; replaced only with --replace (or the UI's explicit choice)."""
    store = _store(tmp_path)
    v1 = synthetic_decree(tmp_path / "synthetic_v1.txt", articles=2)
    assert store.ingest([v1], embed=False).outcomes[0].status == "ingested"
    before, gen = _texts(store, "999/2099/NĐ-CP"), store.registry.generation()

    v2 = synthetic_decree(tmp_path / "synthetic_v2_khac_ten.txt", articles=1, clause="(bản mới)")
    for replace in (False, ["888/2099/NĐ-CP"]):  # no replace, or permission for another document only
        out = store.ingest([v2], embed=False, replace=replace).outcomes[0]
        assert out.status == "refused"
        assert "999/2099/NĐ-CP" in out.reason and "synthetic_v1.txt" in out.reason and "--replace" in out.reason
        assert _texts(store, "999/2099/NĐ-CP") == before and store.registry.generation() == gen

    out = store.ingest([v2], embed=False, replace=["999/2099/NĐ-CP"]).outcomes[0]  # the user chose this one
    assert out.status == "ingested"
    assert len(store.registry.units("999/2099/NĐ-CP")) == 1 and any("(bản mới)" in t for t in _texts(store, "999/2099/NĐ-CP"))

    # a new version of the SAME file replaces its previous version, as before
    synthetic_decree(v2, articles=3, clause="(bản mới hơn)")
    assert store.ingest([v2], embed=False).outcomes[0].status == "ingested"
    assert len(store.registry.units("999/2099/NĐ-CP")) == 3


def test_phapdien_de_muc_files_still_assemble_one_document_without_replace(tmp_path):
    store = _store(tmp_path)
    d1, d2 = synthetic_demuc(tmp_path / "synthetic_demuc_1.html", 1), synthetic_demuc(tmp_path / "synthetic_demuc_2.html", 2)
    report = store.ingest([d1, d2], embed=False)
    assert [o.status for o in report.outcomes] == ["ingested", "ingested"]
    assert [u.number for u in store.registry.units("998/2099/NĐ-CP")] == ["1", "2"]
    # but an original file with that number does not silently take over the assembled document
    out = store.ingest([synthetic_decree(tmp_path / "synthetic_goc.txt", number="998/2099/NĐ-CP")], embed=False)
    assert out.outcomes[0].status == "refused" and len(store.registry.units("998/2099/NĐ-CP")) == 2


# ------------------------------------------------------------------ 7. symlink loops

def test_a_symlink_loop_is_skipped_with_a_reason_and_the_files_beside_it_are_ingested(tmp_path):
    """A folder with a symlink loop and valid files beside it is ingested. Expected: no traceback; the loop is reported as skipped with a reason and the valid files are ingested."""
    folder = tmp_path / "synthetic_folder"
    folder.mkdir()
    good = synthetic_decree(folder / "synthetic_ok.txt")
    (folder / "synthetic_loop1.txt").symlink_to("synthetic_loop2.txt")
    (folder / "synthetic_loop2.txt").symlink_to("synthetic_loop1.txt")
    (folder / "synthetic_up").symlink_to("..")  # a folder link back to an ancestor
    (folder / "synthetic_zz.txt").symlink_to("synthetic_zz.txt")  # after the good file in sorted order
    report = _store(tmp_path).ingest([folder, folder / "synthetic_loop1.txt"], embed=False)
    assert [o.path for o in report.outcomes if o.status == "ingested"] == [str(good)]
    skipped = {Path(o.path).name: o.reason for o in report.skipped}
    for name in ("synthetic_loop1.txt", "synthetic_loop2.txt", "synthetic_up", "synthetic_zz.txt"):
        assert "vòng lặp" in skipped[name], skipped


# ------------------------------------------------------------------ 8. Rich markup in data

def test_markup_in_document_data_is_printed_literally_by_the_cli(tmp_path, monkeypatch, capsys):
    """A document number containing Rich markup ([/dim]) is ingested, then `kb docs` runs. Expected: the text is printed literally and every later `kb docs` works."""
    from kb.cli import main

    monkeypatch.setenv("KB_EMBEDDING", "fake")
    monkeypatch.setenv("COLUMNS", "300")  # Rich wraps tables to the terminal width
    home = tmp_path / "home"
    src = synthetic_decree(tmp_path / "synthetic_[bold]x.txt")
    # a number that staff typed (or a file carried) with Rich markup in it
    _store(tmp_path).ingest([src], embed=False, overrides={"999/2099/NĐ-CP": {"number": "999/[/dim]2099"}})
    assert main(["--home", str(home), "docs"]) == 0  # raised MarkupError before, on every later `kb docs`
    assert "999/[/dim]2099" in capsys.readouterr().out
    assert main(["--home", str(home), "ingest", "--no-embed", "--force", str(src)]) == 0
    assert "synthetic_[bold]x.txt" in capsys.readouterr().out  # the file name, not bold "synthetic_x.txt"


# ------------------------------------------------------------------ 9. --json stdout

def test_ingest_json_is_the_only_thing_on_stdout(tmp_path):
    """`kb ingest --json`. Expected: stdout is exactly one JSON document; the progress bar goes to stderr."""
    src = synthetic_decree(tmp_path / "synthetic_json.txt")
    proc = run_kb("ingest", "--json", "--no-embed", str(src), home=tmp_path / "home", env={"KB_EMBEDDING": "fake"})
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)  # the whole stdout, no progress bar before it
    assert report["documents"] == 1 and report["refused"] == []


# ------------------------------------------------------------------ 12. CLI audit records

def test_cli_ingest_and_remove_write_audit_records(tmp_path, monkeypatch, capsys):
    """`kb ingest` and `kb remove` from the CLI. Expected: audit.jsonl gets the same records the UI writes (user = OS user, client "cli")."""
    from kb.cli import main
    from ui.audit import read_jsonl

    monkeypatch.setenv("KB_EMBEDDING", "fake")
    home = tmp_path / "home"
    src = synthetic_decree(tmp_path / "synthetic_audit.txt")
    bad = _write(tmp_path / "synthetic_bad.txt", "")
    assert main(["--home", str(home), "ingest", "--no-embed", str(src), str(bad)]) == 1
    assert main(["--home", str(home), "remove", "999/2099/NĐ-CP"]) == 0
    log = read_jsonl(home / "audit.jsonl")
    assert all(r["user"] == getpass.getuser() and r["client"] == "cli" for r in log)
    up = next(r for r in log if r["action"] == "upload" and r["outcome"] == "ok")
    assert up["target"] == "999/2099/NĐ-CP" and up["file"] == str(src)
    assert up["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    refused = next(r for r in log if r["outcome"] == "refused")
    assert refused["file"] == str(bad) and "rỗng" in refused["detail"]["reason"]
    assert [(r["action"], r["target"], r["outcome"]) for r in log][-1] == ("remove", "999/2099/NĐ-CP", "ok")


# ------------------------------------------------------------------ 14. limits

def _refused(store, path) -> str:
    out = store.ingest([path], embed=False).outcomes[0]
    assert out.status == "refused", out
    assert store.registry.keys() == set()  # nothing stored
    return out.reason


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    """A file over KB_MAX_FILE_MB. Expected: refused before reading, naming the limit; nothing stored."""
    store = _store(tmp_path, KB_MAX_FILE_MB="1")
    big = synthetic_decree(tmp_path / "synthetic_big.txt", clause="x" * (2 << 20))
    assert "KB_MAX_FILE_MB" in _refused(store, big)


def test_a_docx_that_inflates_past_the_limit_is_refused_from_its_zip_directory(tmp_path):
    """A small DOCX that inflates past KB_MAX_UNZIPPED_MB. Expected: refused from its zip directory before anything is decompressed."""
    from synthetic_docs import write_docx

    path = write_docx(tmp_path / "synthetic_bomb.docx", ["Điều 1. Thử nghiệm", f"1. {SYNTHETIC_NOTE}"])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf, zf.open("word/synthetic_filler.xml", "w") as fh:
        for _ in range(60):  # 60 MB of zeros: a few dozen KB once compressed
            fh.write(b"\0" * (1 << 20))
    assert path.stat().st_size < 1 << 20
    start = time.monotonic()
    reason = _refused(_store(tmp_path), path)  # default limit: 50 MB
    assert "KB_MAX_UNZIPPED_MB" in reason and time.monotonic() - start < 5


def test_a_document_over_the_node_limit_is_refused_in_preview_and_ingest(tmp_path):
    """A text that would become more than KB_MAX_NODES clause nodes. Expected: refused in preview and ingest, naming the limit."""
    from ingest.model import ReaderError

    store = _store(tmp_path, KB_MAX_NODES="5")
    path = synthetic_decree(tmp_path / "synthetic_many.txt", articles=4)  # 8 clause nodes
    assert "KB_MAX_NODES" in _refused(store, path)
    with pytest.raises(ReaderError, match="KB_MAX_NODES"):
        store.parse_file(str(path))


def test_reading_longer_than_the_time_limit_is_refused(tmp_path, monkeypatch):
    """Reading a file takes longer than KB_MAX_SECONDS_PER_FILE. Expected: refused, naming the limit; nothing stored."""
    import ingest.readers as readers_module

    real = readers_module.read_path

    def slow_read(path, *limits):
        time.sleep(3 if threading.current_thread() is threading.main_thread() else 1)
        return real(path, *limits)

    monkeypatch.setattr(readers_module, "read_path", slow_read)
    # in-process reading, where a slowed reader can be planted (the child process of the default
    # KB_READ_IN_SUBPROCESS is cut at the limit by its parent: tests/test_read_worker.py)
    store = _store(tmp_path, KB_MAX_SECONDS_PER_FILE="0.5", KB_READ_IN_SUBPROCESS="false")
    path = synthetic_decree(tmp_path / "synthetic_slow.txt")
    start = time.monotonic()
    assert "KB_MAX_SECONDS_PER_FILE" in _refused(store, path)
    assert time.monotonic() - start < 2  # interrupted in the main thread (the CLI)
    result = []  # a web UI worker thread cannot be interrupted: refused once the reading returns
    worker = threading.Thread(target=lambda: result.append(store.ingest([path], embed=False).outcomes[0]))
    worker.start()
    worker.join(30)
    assert result[0].status == "refused" and "KB_MAX_SECONDS_PER_FILE" in result[0].reason


def test_a_removed_document_comes_back_when_its_unchanged_file_is_ingested_again(tmp_path):
    """The file hash must not block re-ingesting (README: `kb ingest FILE` brings it back)."""
    store = _store(tmp_path)
    src = synthetic_decree(tmp_path / "synthetic_removed.txt")
    store.ingest([src], embed=False)
    assert store.remove("999/2099/NĐ-CP") and store.registry.keys() == set()
    # the default corpus (restore=False) keeps it removed …
    assert store.ingest([src], embed=False, restore=False).outcomes[0].status in ("unchanged", "refused")
    assert store.registry.keys() == set()
    # … an explicit ingest of the same, unchanged file brings it back
    assert store.ingest([src], embed=False).outcomes[0].status == "ingested"
    assert store.registry.keys() == {"999/2099/NĐ-CP"}
