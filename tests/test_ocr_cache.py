"""A scan is OCR'd once: the preview's pages are kept under the file's SHA-256 and the engine's
recipe (ingest.readers.ocr_cache), and the ingest after the preview reads them instead of running
Tesseract again. The unit tests exercise the cache itself; the slow ones run the real engine behind
a counting wrapper on PATH (every real `tesseract … stdin stdout` call is counted, nothing is faked)
over a synthetic scan generated from đề mục 32.1 (kb.synthetic_scan).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from ingest.readers.ocr_cache import OcrCache

SHA_A = hashlib.sha256(b"synthetic bytes A").hexdigest()
SHA_B = hashlib.sha256(b"synthetic bytes B").hexdigest()
PAGE = {"lines": ["dòng một", "dòng hai"], "confidence": 91.5, "doubtful": 0.01}


# ---------------------------------------------------------------- the cache alone


def test_pages_are_found_only_for_the_same_bytes_and_the_same_recipe(tmp_path):
    cache = OcrCache(tmp_path / "c")
    cache.put(SHA_A, "engine 1|dpi=300", {1: PAGE, 2: PAGE})
    assert cache.pages(SHA_A, "engine 1|dpi=300") == {1: PAGE, 2: PAGE}
    assert cache.pages(SHA_B, "engine 1|dpi=300") == {}  # other bytes
    assert cache.pages(SHA_A, "engine 2|dpi=300") == {}  # another engine or model
    assert cache.pages(SHA_A, "engine 1|dpi=200") == {}  # other settings


def test_an_entry_that_does_not_say_what_it_was_made_from_is_a_miss(tmp_path):
    cache = OcrCache(tmp_path / "c")
    cache.put(SHA_A, "r", {1: PAGE})
    [entry] = cache.entries()
    data = json.loads(entry.read_text(encoding="utf-8"))
    entry.write_text(json.dumps({**data, "sha256": SHA_B}), encoding="utf-8")  # renamed or tampered with
    assert cache.pages(SHA_A, "r") == {}
    entry.write_text(json.dumps({**data, "recipe": "other"}), encoding="utf-8")
    assert cache.pages(SHA_A, "r") == {}
    entry.write_text('{"format": 1, "sha256": "', encoding="utf-8")  # a write cut short
    assert cache.pages(SHA_A, "r") == {} and cache.latest(SHA_A) == {}


def test_a_name_that_is_not_a_hash_is_refused(tmp_path):
    with pytest.raises(ValueError):
        OcrCache(tmp_path / "c").pages("../../etc/passwd", "r")


def test_least_recently_used_entries_go_first_when_over_the_count(tmp_path):
    cache = OcrCache(tmp_path / "c", max_entries=2)
    shas = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(3)]
    for i, sha in enumerate(shas[:2]):
        cache.put(sha, "r", {1: PAGE})
        os.utime(cache.folder / cache._name(sha, "r"), ns=((i + 1) * 10**9,) * 2)  # written long ago, 0 first
    assert cache.pages(shas[0], "r")  # used: now the most recent
    cache.put(shas[2], "r", {1: PAGE, 2: PAGE})  # a write trims
    assert cache.pages(shas[0], "r") and cache.pages(shas[2], "r")
    assert cache.pages(shas[1], "r") == {} and len(cache.entries()) == 2


def test_the_folder_stays_under_its_byte_bound(tmp_path):
    big = {"lines": ["chữ " * 500], "confidence": 90.0, "doubtful": 0.0}
    one = len(json.dumps({"format": 1, "sha256": SHA_A, "recipe": "r", "pages": {"1": big}}, ensure_ascii=False).encode())
    cache = OcrCache(tmp_path / "c", max_bytes=int(one * 2.5))
    for i in range(5):
        cache.put(hashlib.sha256(str(i).encode()).hexdigest(), "r", {1: big})
    assert len(cache.entries()) == 2
    assert sum(p.stat().st_size for p in cache.entries()) <= cache.max_bytes


def test_a_zero_bound_keeps_nothing_and_a_disk_error_is_not_an_error(tmp_path):
    off = OcrCache(tmp_path / "off", max_bytes=0)
    off.put(SHA_A, "r", {1: PAGE})
    assert off.entries() == []
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    OcrCache(blocked / "c").put(SHA_A, "r", {1: PAGE})  # cannot write: ignored (the page is OCR'd next time)


def test_latest_shows_the_newest_reading_of_the_bytes_whatever_the_recipe(tmp_path):
    cache = OcrCache(tmp_path / "c")
    cache.put(SHA_A, "old engine", {1: {**PAGE, "lines": ["cũ"]}})
    old = cache.entries()[0]
    os.utime(old, ns=(10**9, 10**9))
    cache.put(SHA_A, "new engine", {1: PAGE})
    assert cache.latest(SHA_A) == {1: PAGE}
    assert cache.latest(SHA_B) == {}


# ---------------------------------------------------------------- the real engine, counted


def counting_tesseract(folder: Path, monkeypatch) -> Path:
    """A `tesseract` on PATH that appends one line per recognition (`stdin stdout` call) to a file,
    then runs the real binary with the same arguments. KB_TEST_TESSERACT_VERSION, when set, is what
    it answers to --version (an engine upgrade, for the recipe)."""
    real = shutil.which("tesseract")
    if real is None:
        pytest.skip("tesseract not installed (apt-get install tesseract-ocr tesseract-ocr-vie)")
    folder.mkdir(parents=True, exist_ok=True)
    calls = folder / "calls.log"
    script = folder / "tesseract"
    script.write_text(f"""#!/bin/sh
if [ "$1" = "--version" ] && [ -n "$KB_TEST_TESSERACT_VERSION" ]; then echo "$KB_TEST_TESSERACT_VERSION"; exit 0; fi
if [ "$1" = "stdin" ]; then echo call >> "{calls}"; fi
exec "{real}" "$@"
""")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return calls


def count(calls: Path) -> int:
    return len(calls.read_text().splitlines()) if calls.exists() else 0


def knowledge_base(home: Path, **env):
    from core.backends import make_backends
    from core.settings import load_settings
    from qa.service import KnowledgeBase

    settings = load_settings(env={"KB_HOME": str(home), "KB_EMBEDDING": "fake", **env})
    return KnowledgeBase(settings, make_backends(settings))


@pytest.fixture(scope="module")
def one_page_scan(tmp_path_factory) -> Path:
    from conftest import DEMUC_32_1, require_shared
    from kb.synthetic_scan import article_lines, header_lines, render_pages, source_document, write_image_pdf

    require_shared(DEMUC_32_1)
    doc = source_document()
    units = {u.number: u for u in doc.units}
    page = next(render_pages(header_lines(doc) + article_lines(units["22"])))
    return write_image_pdf(tmp_path_factory.mktemp("scan") / "synthetic_scan_72_2015_dieu_22.pdf", [page])


@pytest.mark.slow
def test_preview_then_ingest_runs_the_engine_once(one_page_scan, tmp_path, monkeypatch):
    calls = counting_tesseract(tmp_path / "bin", monkeypatch)
    kb = knowledge_base(tmp_path / "home")
    [preview] = kb.preview_file(str(one_page_scan))
    assert preview["error"] is None and preview["number"] == "72/2015/NĐ-CP"
    assert count(calls) == 1  # one page, recognised once

    report = kb.ingest_files([str(one_page_scan)])
    assert report["refused"] == [] and report["documents"] == 1
    assert count(calls) == 1, "the ingest ran Tesseract again instead of reusing the preview's page"
    hit = kb.lookup("khoản 1 điều 22 nghị định 72/2015")
    assert hit.status == "found", hit.message
    # the preview's reading is the ingest's: same OCR note, same articles
    [warned] = report["warnings"]
    assert any("OCR" in w for w in warned["warnings"])

    # the preview shows each page's recognised text beside its image
    [page] = preview["scan_pages"]
    assert page["number"] == 1 and any(l.startswith("Điều 22") for l in page["lines"]), page
    assert page["confidence"] > 50 and page["low"] is False
    jpeg = kb.scan_page_image(str(one_page_scan), 1)
    assert jpeg[:3] == b"\xff\xd8\xff" and len(jpeg) < 400_000
    from ui import scan_view

    item = {**preview, "path": str(one_page_scan), "file": one_page_scan.name,
            "scan_images": scan_view.page_images(kb, str(one_page_scan), preview["scan_pages"])}
    html = scan_view.render_scans([item, item])
    assert html.count('<img src="data:image/jpeg;base64,') == 1 and "Ảnh quét trang 1" in html
    assert "Điều 22" in html and "Trang 1: độ tin cậy" in html
    assert count(calls) == 1  # drawing the page is not recognising it

    # another process serving the same home (kb serve --workers) reads the same folder
    again = knowledge_base(tmp_path / "home")
    assert again.preview_file(str(one_page_scan))[0]["number"] == "72/2015/NĐ-CP"
    assert count(calls) == 1


@pytest.mark.slow
def test_other_bytes_another_engine_or_other_settings_are_read_again(one_page_scan, tmp_path, monkeypatch):
    calls = counting_tesseract(tmp_path / "bin", monkeypatch)
    home = tmp_path / "home"
    knowledge_base(home).preview_file(str(one_page_scan))
    assert count(calls) == 1

    other = tmp_path / "synthetic_scan_72_2015_dieu_22_changed.pdf"
    other.write_bytes(one_page_scan.read_bytes() + b"\n% one byte more\n")  # same pages, other bytes
    knowledge_base(home).preview_file(str(other))
    assert count(calls) == 2

    monkeypatch.setenv("KB_TEST_TESSERACT_VERSION", "tesseract 99.0.0")  # the engine was upgraded
    knowledge_base(home).preview_file(str(one_page_scan))
    assert count(calls) == 3
    monkeypatch.delenv("KB_TEST_TESSERACT_VERSION")

    knowledge_base(home, KB_OCR_MAX_SIDE_PX="3000").preview_file(str(one_page_scan))  # another page size
    assert count(calls) == 4

    knowledge_base(home).preview_file(str(one_page_scan))  # the first recipe is still there
    assert count(calls) == 4


@pytest.mark.slow
def test_no_cache_when_its_size_is_zero(one_page_scan, tmp_path, monkeypatch):
    calls = counting_tesseract(tmp_path / "bin", monkeypatch)
    kb = knowledge_base(tmp_path / "home", KB_OCR_CACHE_MB="0")
    kb.preview_file(str(one_page_scan))
    kb.ingest_files([str(one_page_scan)])
    assert count(calls) == 2
    assert not any((tmp_path / "home" / "ocr-cache").glob("*.json"))


def test_scan_view_escapes_the_recognised_text_and_names_low_pages():
    from ui import scan_view

    item = {"file": "synthetic_scan.pdf", "path": "/x/synthetic_scan.pdf",
            "scan_pages": [{"number": 1, "lines": ["<script>x</script>"], "confidence": 60.0, "low": True},
                           {"number": 2, "lines": [], "confidence": None, "low": False}],
            "scan_images": {}}
    html = scan_view.render_scans([item])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Trang 1: độ tin cậy 60/100 — kiểm tra kỹ trang này với bản giấy" in html
    assert "Trang 2: không nhận ra chữ nào" in html and html.count("Không hiện được ảnh trang này.") == 2
    assert scan_view.render_scans([{"file": "a.txt", "scan_pages": []}]) == ""
