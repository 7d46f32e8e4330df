"""The documents legal staff actually receive: scans (OCR), legacy Vietnamese encodings, Word 97 .doc.

Every file is generated here. Scans: the text of Điều 22 and 23 of Nghị định 72/2015/NĐ-CP from
đề mục 32.1 (our Pháp điển reader), drawn on degraded page images by kb.synthetic_scan and saved as
synthetic_scan_*.pdf / .png / .tif. Legacy encodings and .doc: SYNTHETIC_TEXT below, written for
these tests (it says so), encoded with our own tables or written as a Word 97 binary by
tests/word97.py, and read back through the same readers and lookups as any file.
"""
from __future__ import annotations

import difflib
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import DEMUC_32_1, IN_CI, require_shared
from ingest.document_parser import parse_document_lines
from ingest.model import ReaderError
from ingest.readers import legacy_encoding as le
from ingest.readers import ocr
from ingest.readers.formats import NO_TEXT_LAYER
from ingest.readers.original import read_original_file
from word97 import write_doc

# ---------------------------------------------------------------- helpers


def require_tool(name: str, package: str) -> None:
    """Skip when a Debian tool is absent on a developer machine; CI installs it, so fail there."""
    if shutil.which(name) is None:
        if IN_CI:
            pytest.fail(f"{name} missing in CI (.ci/run installs {package})")
        pytest.skip(f"{name} not installed (apt-get install {package})")


def require_ocr() -> None:
    require_tool("tesseract", "tesseract-ocr tesseract-ocr-vie")
    require_shared(DEMUC_32_1)


def knowledge_base(tmp_path):
    from core.backends import make_backends
    from core.settings import load_settings
    from qa.service import KnowledgeBase

    settings = load_settings(env={"KB_HOME": str(tmp_path / "home"), "KB_EMBEDDING": "fake"})
    return KnowledgeBase(settings, make_backends(settings))


def similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b).ratio()


def source_72():
    from kb.synthetic_scan import source_document

    doc = source_document()
    return {u.number: u for u in doc.units}


# ---------------------------------------------------------------- OCR: scanned PDF


@pytest.fixture(scope="module")
def scanned_72(tmp_path_factory) -> Path:
    """Header + Điều 22 on page 1, Điều 23 on page 2: skewed, blurred, speckled, image-only."""
    require_ocr()
    from kb.synthetic_scan import scan_72_2015

    return scan_72_2015(tmp_path_factory.mktemp("scan") / "synthetic_scan_72_2015_dieu_22_23.pdf")


# The cases that run Tesseract are marked slow (a real OCR engine: ~20 s together), so that
# `make test-fast` leaves them out; `make test` and CI run them.
@pytest.mark.slow
def test_scanned_pdf_is_ocrd_and_every_clause_found(scanned_72, tmp_path):
    kb = knowledge_base(tmp_path)
    report = kb.store.ingest([str(scanned_72)]).to_dict()
    assert report["refused"] == [] and report["documents"] == 1
    source = source_72()

    for clause in source["22"].clauses:  # page 1, after the header
        hit = kb.lookup(f"khoản {clause.number} điều 22 nghị định 72/2015")
        assert hit.status == "found", hit.message
        assert hit.citation == f"Khoản {clause.number} Điều 22 Nghị định 72/2015/NĐ-CP"
        assert similarity(hit.text, clause.full_text) >= 0.95, (hit.text, clause.full_text)
    hit = kb.lookup("điều 23 nghị định 72/2015")  # page 2: an article without khoản
    assert hit.status == "found" and hit.citation == "Điều 23 Nghị định 72/2015/NĐ-CP"
    assert similarity(hit.text, source["23"].intro) >= 0.95, hit.text

    # the header was read: the document is identified by its number, type and title
    [doc] = [d for d in kb.documents() if d.status == "ready"]
    assert (doc.key, doc.type) == ("72/2015/NĐ-CP", "Nghị định")
    tree = kb.document_tree(doc.key)
    assert [u.number for u in tree.units] == ["22", "23"]  # page order kept
    # the ingest report tells staff the text came from OCR, naming the pages
    [item] = report["warnings"]
    assert any("OCR" in w and "trang 1, 2" in w for w in item["warnings"]), item


@pytest.mark.slow
def test_low_confidence_page_is_named_in_the_preview(tmp_path):
    require_ocr()
    from kb.synthetic_scan import article_lines, header_lines, render_pages, source_document, write_image_pdf

    doc = source_document()
    units = {u.number: u for u in doc.units}
    clean = next(render_pages(header_lines(doc) + article_lines(units["22"])))
    smudged = next(render_pages(article_lines(units["23"]) + article_lines(units["24"]), blur=2.6,
                                speckle=0.01, font_px=30, seed=3))
    path = write_image_pdf(tmp_path / "synthetic_scan_smudged_page_2.pdf", [clean, smudged])
    [preview] = knowledge_base(tmp_path).preview_file(str(path))
    assert preview["error"] is None and preview["number"] == "72/2015/NĐ-CP"
    low = [w for w in preview["warnings"] if "độ tin cậy OCR thấp" in w]
    assert len(low) == 1 and low[0].startswith("Trang 2:"), preview["warnings"]


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_page_images_are_ocrd(tmp_path, suffix):
    require_ocr()
    from kb.synthetic_scan import article_lines, header_lines, render_pages, source_document

    doc = source_document()
    units = {u.number: u for u in doc.units}
    pages = list(render_pages(header_lines(doc) + article_lines(units["22"]) + article_lines(units["23"], True)))
    path = tmp_path / f"synthetic_scan_72_2015{suffix}"
    if suffix == ".png":
        pages = pages[:1]
        pages[0].save(path, dpi=(300, 300))
    else:  # one TIFF, two frames: the page order must be kept
        pages[0].save(path, save_all=True, append_images=pages[1:], dpi=(300, 300), compression="tiff_deflate")
    got = read_original_file(path)
    assert got.number == "72/2015/NĐ-CP"
    assert [u.number for u in got.units] == (["22"] if suffix == ".png" else ["22", "23"])
    for want, have in zip(units["22"].clauses, got.units[0].clauses, strict=True):
        assert similarity(have.full_text, want.full_text) >= 0.95, have.full_text
    assert any("OCR" in w for w in got.warnings)


def test_deskew_finds_the_skew_of_a_page():
    require_shared(DEMUC_32_1)
    from PIL import Image

    from kb.synthetic_scan import article_lines, render_pages

    page = next(render_pages(article_lines(source_72()["22"]), skew_deg=0, blur=0, speckle=0))
    for angle in (2.0, -3.5):
        tilted = page.rotate(angle, resample=Image.BICUBIC, fillcolor=255)
        assert abs(ocr.estimate_skew(tilted) + angle) <= 0.3


def _fake_tesseract(tmp_path, languages: str) -> None:
    """A `tesseract` on PATH that knows only `languages` (a machine without the vie model)."""
    fake = tmp_path / "bin" / "tesseract"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\nprintf \'List of available languages in "/x" (1):\\n{languages}\\n\'\n')
    fake.chmod(0o755)


@pytest.mark.parametrize("setup, expected", [
    ("no-binary", "máy chưa cài Tesseract"),
    ("no-vie-model", "chưa có mô hình ngôn ngữ vie"),
])
def test_missing_tesseract_says_what_to_install(tmp_path, monkeypatch, setup, expected):
    from synthetic_docs import write_image_only_pdf

    pdf = write_image_only_pdf(tmp_path / "synthetic_scan.pdf")
    from PIL import Image

    png = tmp_path / "synthetic_scan.png"
    Image.new("L", (400, 300), 255).save(png)
    if setup == "no-binary":
        monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    else:
        _fake_tesseract(tmp_path, "eng")
        monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    for path, what in ((pdf, NO_TEXT_LAYER), (png, "tệp ảnh .png")):
        with pytest.raises(ReaderError) as err:
            read_original_file(path)
        assert err.value.path == str(path)
        assert err.value.reason.startswith(what) and expected in err.value.reason
        assert err.value.reason.endswith("cài: apt-get install tesseract-ocr tesseract-ocr-vie")


def test_pdf_with_some_scanned_pages_keeps_its_text_without_tesseract(tmp_path, monkeypatch):
    from fpdf import FPDF
    from PIL import Image

    from kb.synthetic_scan import FONT  # DejaVu, for the Vietnamese text layer

    pdf = FPDF(format="A4")
    pdf.add_font("dv", "", str(FONT))
    pdf.set_font("dv", size=12)
    pdf.add_page()
    for line in SYNTHETIC_TEXT.splitlines():
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.image(Image.new("L", (300, 400), 200), x=20, y=20, w=80)  # a scanned annex: no text layer
    path = tmp_path / "synthetic_mixed.pdf"
    pdf.output(str(path))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    doc = read_original_file(path)
    assert [u.number for u in doc.units] == ["1", "2"]
    assert any(w.startswith("Trang 2 không có lớp văn bản và chưa OCR được") and "tesseract-ocr-vie" in w
               for w in doc.warnings), doc.warnings


# ---------------------------------------------------------------- legacy encodings: tables

# Written for these tests; not a legal text.
SYNTHETIC_TEXT = """BỘ THỬ NGHIỆM
Số: 901/2099/TT-BTN
THÔNG TƯ
QUY ĐỊNH MẪU VỀ VĂN BẢN TỔNG HỢP ĐỂ KIỂM THỬ BẢNG MÃ (SYNTHETIC)
Điều 1. Phạm vi của văn bản tổng hợp
1. Văn bản tổng hợp này chỉ dùng để kiểm thử việc chuyển mã tiếng Việt, không phải văn bản pháp luật.
2. Văn bản có đủ các chữ ă, â, đ, ê, ô, ơ, ư với thanh huyền, sắc, hỏi, ngã, nặng: Ằ Ắ Ẳ Ẵ Ặ, ừ ứ ử ữ ự.
Điều 2. Việc đọc thử
1. Người đọc thử phải kiểm tra:
a) Từng khoản được tách đúng, không ghép nhầm;
b) Từng điểm giữ nguyên dấu, kể cả chữ khuỷu tay, nghiêng ngả, thuở ấy, quẫy đạp, giữ gìn;
c) Chữ hoa có dấu như Ủy ban, Ấn Độ, Ở đâu, Ỷ lại, Ữ.
2. Mọi chênh lệch đều được ghi vào báo cáo kiểm thử."""
SYNTHETIC_NUMBER = "901/2099/TT-BTN"

# Each legacy form, as the published layouts give it (byte values, not what they look like).
TABLE_CASES = [
    (le.TCVN3, b"\xa7i\xd2u 1. Ph\xb9m vi", "Điều 1. Phạm vi"),
    (le.TCVN3, b"kho\xb6n; Ngh\xde \xae\xdenh", "khoản; Nghị định"),
    (le.TCVN3, b"tr\xad\xeang h\xeep", "trường hợp"),
    (le.VNI, b"\xd1ie\xe0u 1. Pha\xefm vi", "Điều 1. Phạm vi"),
    (le.VNI, b"khoa\xfbn; Ngh\xf2 \xf1\xf2nh", "khoản; Nghị định"),
    (le.VNI, b"tr\xf6\xf4\xf8ng h\xf4\xefp", "trường hợp"),
    (le.VNI, b"a\xfa a\xfc \xf6\xf8 \xf4\xf9 \xf1", "ẳ ẵ ừ ớ đ"),
    (le.VNI, b"A\xd9 O\xc2 \xd6\xd9 \xd1", "Á Ô Ứ Đ"),
    (le.VISCII, b"\xd0i\xabu 1. Ph\xd5m vi", "Điều 1. Phạm vi"),
    (le.VISCII, b"\x02 \x05 \x06 \x14 \x19 \x1e", "Ẳ Ẵ Ẫ Ỷ Ỹ Ỵ"),
]


@pytest.mark.parametrize("encoding, raw, text", TABLE_CASES)
def test_legacy_tables_convert_byte_for_byte(encoding, raw, text):
    assert le.convert(raw.decode("latin-1"), encoding) == text


VIETNAMESE_LETTERS = ("aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ")
# Upper-case letters TCVN3 has no byte for: typed with the lower-case byte in an "H" font.
TCVN3_H_ONLY = frozenset(c for c in VIETNAMESE_LETTERS.upper() if not c.isascii() and c not in "ĂÂÊÔƠƯĐ")


@pytest.mark.parametrize("encoding", le.ENCODINGS)
def test_every_vietnamese_letter_round_trips(encoding):
    letters = VIETNAMESE_LETTERS + ("" if encoding == le.TCVN3 else VIETNAMESE_LETTERS.upper())
    surface = le.encode(letters, encoding)
    assert surface != letters and le.convert(surface, encoding) == letters


@pytest.mark.parametrize("encoding, iconv_name", [(le.VISCII, "VISCII"), (le.TCVN3, "TCVN5712-1")])
def test_tables_agree_with_glibc(encoding, iconv_name):
    """An independent implementation: glibc's iconv (TCVN5712-1 shares TCVN3's lower-case bytes)."""
    import unicodedata

    if shutil.which("iconv") is None:
        pytest.skip("iconv not available")
    for seq, letter in le._TABLES[encoding].items():
        done = subprocess.run(["iconv", "-f", iconv_name, "-t", "UTF-8"], input=seq.encode("latin-1"),
                              capture_output=True, check=True)
        assert unicodedata.normalize("NFC", done.stdout.decode()) == letter, hex(ord(seq))


def test_detection_leaves_unicode_and_other_languages_alone():
    assert le.detect(SYNTHETIC_TEXT).encoding is None  # Unicode Vietnamese
    assert le.detect(le.encode("Điều 1. Thử", le.TCVN3)).encoding is None  # too short to judge
    # Latin-1 text in other languages (written for this test) is not Vietnamese after any table
    other = ("Le garçon français mangeait une crème brûlée à côté de l'église; "
             "el niño español comió jamón y piñones en la montaña con su señora madre. "
             "Der Bäcker grüßt die Müllerin über den Zaun, während Jürgen Bücher zählt.")
    assert le.detect(other).encoding is None
    assert le.detect(other, le.ENCODINGS + (le.CP1258,)).encoding is None  # as raw Latin-1 bytes


@pytest.mark.parametrize("encoding", le.ENCODINGS)
def test_detection_finds_each_encoding(encoding):
    assert le.detect(le.encode(SYNTHETIC_TEXT, encoding)).encoding == encoding


def test_tcvn3_heading_lines_come_back_upper_case():
    surface = le.encode("QUY ĐỊNH MẪU VỀ VĂN BẢN\nĐiều 1. Phạm vi", le.TCVN3)
    assert le.convert(surface, le.TCVN3) == "QUY ĐịNH MẫU Về VĂN BảN\nĐiều 1. Phạm vi"  # what the bytes say
    assert le.upper_case_heading_lines(le.convert(surface, le.TCVN3).split("\n")) == [
        "QUY ĐỊNH MẪU VỀ VĂN BẢN", "Điều 1. Phạm vi"]


# ---------------------------------------------------------------- legacy encodings: files, end to end

def _source_clauses() -> dict[tuple[str, str], str]:
    doc = parse_document_lines(SYNTHETIC_TEXT.splitlines())
    return {(u.number, c.number): c.full_text for u in doc.units for c in u.clauses}


def _write_legacy_text(path: Path, encoding: str) -> Path:
    path.write_bytes(le.encode(SYNTHETIC_TEXT, encoding).encode("latin-1"))
    return path


def _tcvn3_runs(p, text: str) -> None:
    """Runs as a TCVN3 typist makes them: .VnTime (the Normal style's font), switching to
    .VnTimeH for an upper-case accented letter that TCVN3 has no byte for."""
    import itertools

    for upper, chars in itertools.groupby(text, key=lambda c: c in TCVN3_H_ONLY):
        run = p.add_run(le.encode("".join(chars), le.TCVN3))
        if upper:
            run.font.name = ".VnTimeH"


def _write_tcvn3_docx(path: Path) -> Path:
    """As a .VnTime document looks inside: Normal style in .VnTime, headings in .VnTimeH runs,
    one Unicode run (Times New Roman) inside a legacy paragraph, and TCVN3's "ư" (byte 0xAD, the
    soft-hyphen slot) stored as LibreOffice stores it in a .docx: <w:softHyphen/>."""
    import copy

    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    doc = Document()
    doc.styles["Normal"].font.name = ".VnTime"
    for line in SYNTHETIC_TEXT.splitlines():
        p = doc.add_paragraph()
        if line.isupper():
            p.add_run(le.encode(line, le.TCVN3)).font.name = ".VnTimeH"
        elif line.startswith("2. Văn bản có đủ"):
            head, unicode_part, tail = line.partition("các chữ ă")
            _tcvn3_runs(p, head)
            p.add_run(unicode_part).font.name = "Times New Roman"
            _tcvn3_runs(p, tail)
        else:
            _tcvn3_runs(p, line)
    for t in list(doc.element.body.iter(qn("w:t"))):
        if "\xad" not in (t.text or ""):
            continue
        parts = t.text.split("\xad")
        t.text = parts[0]
        t.set(qn("xml:space"), "preserve")
        anchor = t
        for part in parts[1:]:
            hyphen = OxmlElement("w:softHyphen")
            anchor.addnext(hyphen)
            rest = copy.deepcopy(t)
            rest.text = part
            hyphen.addnext(rest)
            anchor = rest
    doc.save(str(path))
    return path


LEGACY_FILES = [
    pytest.param("synthetic_tcvn3.docx", _write_tcvn3_docx, le.TCVN3, id="tcvn3-docx"),
    pytest.param("synthetic_vni.txt", lambda p: _write_legacy_text(p, le.VNI), le.VNI, id="vni-txt"),
    pytest.param("synthetic_viscii.txt", lambda p: _write_legacy_text(p, le.VISCII), le.VISCII, id="viscii-txt"),
]


@pytest.mark.parametrize("name, write, encoding", LEGACY_FILES)
def test_legacy_encoded_files_are_converted_and_their_clauses_found(tmp_path, name, write, encoding):
    path = write(tmp_path / name)
    kb = knowledge_base(tmp_path)
    report = kb.store.ingest([str(path)]).to_dict()
    assert report["refused"] == [], report
    for (article, clause), text in _source_clauses().items():
        hit = kb.lookup(f"khoản {clause} điều {article} thông tư {SYNTHETIC_NUMBER}")
        assert hit.status == "found", hit.message
        assert hit.text == text
    [item] = report["warnings"]
    assert f"Đã chuyển mã từ {encoding} sang Unicode" in item["warnings"][0]
    [doc] = [d for d in kb.documents() if d.status == "ready"]
    assert (doc.name, doc.title) == ("Thông tư 901/2099/TT-BTN", SYNTHETIC_TEXT.splitlines()[3].capitalize())


@pytest.mark.parametrize("encoding, charset", [(le.TCVN3, "windows-1252"), (le.VNI, None)])
def test_legacy_html_pages(tmp_path, encoding, charset):
    """A page saved from a .VnTime/VNI-Times document: declared Windows-1252, or not declared at all.
    Without font runs TCVN3 cannot tell an upper-case accented letter inside a line from its lower
    case (only whole upper-case lines are restored): those clauses match but for that case."""
    body = "".join(f"<p><font face='{'.VnTime' if encoding == le.TCVN3 else 'VNI-Times'}'>{line}</font></p>"
                   for line in le.encode(SYNTHETIC_TEXT, encoding).splitlines())
    meta = f'<meta charset="{charset}">' if charset else ""
    path = tmp_path / f"synthetic_{encoding.lower()}.html"
    path.write_bytes(f"<html><head>{meta}</head><body>{body}</body></html>".encode("latin-1"))
    doc = read_original_file(path)
    assert doc.number == SYNTHETIC_NUMBER
    got = {(u.number, c.number): c.full_text for u in doc.units for c in u.clauses}
    want = _source_clauses()
    assert got.keys() == want.keys()
    for key, text in want.items():
        if encoding == le.TCVN3 and TCVN3_H_ONLY & set(text):
            assert got[key] != text and got[key].lower() == text.lower(), key
        else:
            assert got[key] == text, key
    assert doc.warnings[0].startswith(f"Đã chuyển mã từ {encoding} sang Unicode")


def test_windows_1258_text_is_decoded(tmp_path):
    """Notepad's "ANSI" on a Vietnamese Windows: base letters plus combining tone marks."""
    import unicodedata

    def cp1258(text: str) -> bytes:
        out = []
        for c in text:
            d = unicodedata.normalize("NFD", c)
            tones = "".join(m for m in d if m in le._TONE_MARKS)
            out.append(unicodedata.normalize("NFC", "".join(m for m in d if m not in le._TONE_MARKS)) + tones)
        return "".join(out).encode("cp1258")

    path = tmp_path / "synthetic_cp1258.txt"
    path.write_bytes(cp1258(SYNTHETIC_TEXT))
    doc = read_original_file(path)
    assert {(u.number, c.number): c.full_text for u in doc.units for c in u.clauses} == _source_clauses()
    assert doc.warnings[0].startswith("Đã chuyển mã từ Windows-1258 sang Unicode")


def test_undecodable_text_is_still_refused(tmp_path):
    path = tmp_path / "synthetic_binaryish.txt"
    path.write_bytes(bytes(range(0x80, 0x100)) * 4 + b"\n")
    with pytest.raises(ReaderError, match="không phải UTF-8"):
        read_original_file(path)


# ---------------------------------------------------------------- Word 97–2003 .doc


def test_generated_doc_is_a_word_file_for_an_independent_reader(tmp_path):
    """catdoc (Debian) reads the tests' Word 97 files: they are real .doc files, not our own dialect."""
    require_tool("catdoc", "catdoc")
    for compressed, text in ((False, SYNTHETIC_TEXT), (True, le.encode(SYNTHETIC_TEXT, le.TCVN3))):
        path = write_doc(tmp_path / f"synthetic_{compressed}.doc", text, compressed=compressed)
        done = subprocess.run(["catdoc", "-w", "-d", "utf-8", str(path)], capture_output=True, check=True)
        got = [l for l in done.stdout.decode("utf-8").splitlines() if l.strip()]
        want = text.splitlines()
        if compressed:  # catdoc reads 8-bit text as Windows-1252 (the legacy bytes as they look) and drops U+00AD
            want = [l.replace("\xad", "") for l in want]
        assert got == want


def test_doc_is_read_like_any_document(tmp_path):
    path = write_doc(tmp_path / "synthetic_word97.doc", SYNTHETIC_TEXT)
    doc = read_original_file(path)
    assert doc.number == SYNTHETIC_NUMBER and doc.doc_type == "Thông tư"
    assert {(u.number, c.number): c.full_text for u in doc.units for c in u.clauses} == _source_clauses()
    assert not any("chuyển mã" in w for w in doc.warnings)
    # the same bytes under the wrong name (.docx) are recognised as Word 97 too
    renamed = tmp_path / "synthetic_word97_renamed.docx"
    renamed.write_bytes(path.read_bytes())
    assert [u.number for u in read_original_file(renamed).units] == ["1", "2"]


def test_doc_typed_in_tcvn3_is_converted(tmp_path):
    """A .VnTime document as Word 97 stores it: 8-bit ("compressed") text whose bytes are TCVN3,
    with "ư" (0xAD) turned into Word's optional hyphen (0x1F)."""
    text = "\n".join(l.upper() if l.isupper() else l.lower() if TCVN3_H_ONLY & set(l) else l
                     for l in SYNTHETIC_TEXT.splitlines())  # without H-font runs (see the HTML test)
    path = write_doc(tmp_path / "synthetic_word97_tcvn3.doc", le.encode(text, le.TCVN3).replace("\xad", "\x1f"),
                     compressed=True)
    doc = read_original_file(path)
    source = parse_document_lines(text.splitlines())
    assert doc.number == SYNTHETIC_NUMBER
    assert ({(u.number, c.number): c.full_text for u in doc.units for c in u.clauses}
            == {(u.number, c.number): c.full_text for u in source.units for c in u.clauses})
    assert doc.warnings[0].startswith("Đã chuyển mã từ TCVN3 sang Unicode")


def test_doc_fields_tables_and_optional_hyphens():
    from ingest.readers.doc import _clean

    assert _clean('Xem \x13 HYPERLINK "http://x" \x14Điều 1\x15.\r') == "Xem Điều 1.\n"
    assert _clean("ô 1\x07ô 2\x07\x07") == "ô 1\nô 2\n\n"
    assert _clean("Thông\x1ftin\x0bmới\x01") == "Thông\xadtin\nmới"


def _garbage_ole(p):
    p.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600)


def _rtf(p):
    p.write_text("{\\rtf1\\ansi Synthetic}", encoding="ascii")


def _word95(p):
    write_doc(p, SYNTHETIC_TEXT, nfib=0x0065)


def _encrypted(p):
    write_doc(p, SYNTHETIC_TEXT, flags=0x0100)


def _spreadsheet(p):
    write_doc(p, "", streams={"Workbook": b"\0" * 4096})


@pytest.mark.parametrize("make, reason", [
    (_garbage_ole, "không đọc được tệp Word .doc (tệp hỏng"),
    (_rtf, "thực chất là RTF"),
    (_word95, "tệp Word 6.0/95"),
    (_encrypted, "được bảo vệ bằng mật khẩu"),
    (_spreadsheet, "không phải văn bản Word (có thể là Excel hoặc PowerPoint)"),
])
def test_unreadable_doc_is_refused_naming_the_file(tmp_path, make, reason):
    path = tmp_path / "synthetic_bad.doc"
    make(path)
    with pytest.raises(ReaderError) as err:
        read_original_file(path)
    assert err.value.path == str(path) and str(path) in str(err.value)
    assert reason in err.value.reason
