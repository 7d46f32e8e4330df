"""Readers of original documents: files GENERATED here (tmp_path) from the synthetic fixtures.

The reference is the parse of the fixture text itself; each format must give the same structure
and the same NFC text for every unit, clause and point (diacritics survive the round trip).
"""
from __future__ import annotations

import re

import dataclasses
import unicodedata
import zipfile
from pathlib import Path

import pytest

from ingest.document_parser import parse_document_lines
from ingest.model import ReaderError
from ingest.readers.formats import NO_TEXT_LAYER, join_wrapped_lines, read_html_lines, read_lines
from ingest.readers.original import read_original_file
from conftest import SEED_DIR, require_shared
from synthetic_docs import (
    font_available,
    load_fixture_lines,
    write_docx,
    write_docx_auto_numbered,
    write_docx_with_header_table,
    write_html,
    write_image_only_pdf,
    write_pdf,
)

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("synthetic_*.txt"))
SEED_ARTICLE = SEED_DIR / "tvpl-cong-van-3837-btttt-ttdn-2024.txt"  # read-only, never copied into the repo
needs_font = pytest.mark.skipif(not font_available(), reason="DejaVuSans.ttf absent: cannot write a Unicode PDF")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def structure(doc) -> dict:
    """Everything the parser decided, minus where the file came from."""
    d = dataclasses.asdict(doc)
    d.pop("source_path")
    return d


def texts(doc) -> list[str]:
    """Every unit intro, clause text and point text, in order."""
    out = []
    for u in doc.units:
        out += [u.number, u.title, u.intro]
        for c in u.clauses:
            out += [c.text, *[p.text for p in c.points]]
    return out


def test_fixtures_are_marked_synthetic():
    assert len(FIXTURES) >= 3
    for f in FIXTURES:
        first = f.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("#") and "synthetic" in first.lower() and "KHÔNG PHẢI" in first


WRITERS = {
    "pdf": pytest.param(write_pdf, ".pdf", marks=needs_font, id="pdf"),
    "docx": pytest.param(write_docx, ".docx", id="docx"),
    "html": pytest.param(write_html, ".html", id="html"),
}


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
@pytest.mark.parametrize("writer, ext", list(WRITERS.values()))
def test_round_trip_keeps_structure_and_diacritics(tmp_path, fixture, writer, ext):
    lines = load_fixture_lines(fixture)
    expected = parse_document_lines(lines)
    path = writer(tmp_path / f"doc{ext}", lines)
    got = read_original_file(path)
    assert got.source_kind == "original" and got.source_path == str(path)
    assert structure(got) == structure(expected)
    assert [nfc(t) for t in texts(got)] == [nfc(t) for t in texts(expected)]
    assert [u.number for u in got.units if u.number]  # numbered units were found


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_txt_fixture_read_directly_skips_its_comment_line(fixture):
    got = read_original_file(fixture)
    expected = parse_document_lines(load_fixture_lines(fixture))
    assert [dataclasses.asdict(u) for u in got.units] == [dataclasses.asdict(u) for u in expected.units]
    assert got.warnings[0].startswith("Bỏ qua 1 dòng đứng trước phần đầu văn bản")


def _long_decree() -> list[str]:
    """A synthetic decree long enough to run over several PDF pages, with long wrapped khoản."""
    head = load_fixture_lines(FIXTURES[[f.stem for f in FIXTURES].index("synthetic_nghi_dinh")])[:12]
    body = []
    for n in range(1, 31):
        body += [f"Điều {n}. Quy định thử nghiệm số {n}",
                 f"1. Khoản một của điều {n} được viết thật dài để buộc trình tạo PDF phải xuống dòng ít nhất hai "
                 "lần, có đủ dấu tiếng Việt: ă â đ ê ô ơ ư, huyền sắc hỏi ngã nặng, Ấn Độ Dương, Ủy ban, Đồng Tháp.",
                 f"2. Khoản hai của điều {n} gồm:",
                 "a) điểm a;",
                 "đ) không phải điểm tiếp theo nên là nội dung của điểm a;",
                 "b) điểm b kết thúc khoản hai."]
    return head + body


@needs_font
def test_pdf_multi_page_joins_wrapped_lines(tmp_path):
    lines = _long_decree()
    path = write_pdf(tmp_path / "long.pdf", lines)
    from pypdf import PdfReader

    assert len(PdfReader(str(path)).pages) >= 3
    got = read_original_file(path)
    assert structure(got) == structure(parse_document_lines(lines))
    assert [u.number for u in got.units] == [str(n) for n in range(1, 31)]
    long_clause = got.units[29].clauses[0].text
    assert "\n" not in long_clause and long_clause.endswith("Đồng Tháp.")


def test_join_wrapped_lines_rules():
    page = [
        "1. Một khoản rất dài được trình tạo PDF ngắt dòng ở giữa câu vì hết bề ngang của trang giấy A4 này",
        "nên dòng sau phải được nối vào.",
        "2. Khoản mới bắt đầu bằng số thứ tự, không bao giờ bị nối vào khoản trước dù dòng trước rất dài",
        "a) Điểm mới cũng vậy.",
        "Theo Nghị định 999/2099/NĐ-",
        "CP thì phần sau dấu gạch nối được nối không có dấu cách vào trước.",
    ]
    assert join_wrapped_lines([page]) == [
        page[0] + " " + page[1],
        page[2],
        page[3],
        "Theo Nghị định 999/2099/NĐ-CP thì phần sau dấu gạch nối được nối không có dấu cách vào trước.",
    ]


def test_docx_header_table_and_soft_breaks(tmp_path):
    lines = load_fixture_lines(FIXTURES[[f.stem for f in FIXTURES].index("synthetic_nghi_dinh")])
    header_rows = [
        ("CHÍNH PHỦ THỬ NGHIỆM\n-------", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"),
        ("Số: 999/2099/NĐ-CP", "Hà Nội, ngày 07 tháng 9 năm 2099"),
    ]
    path = write_docx_with_header_table(tmp_path / "table.docx", header_rows, lines[7:])
    got = read_original_file(path)
    assert (got.number, got.issuer, got.place, got.issued_on) == ("999/2099/NĐ-CP", "CHÍNH PHỦ THỬ NGHIỆM", "Hà Nội",
                                                                  "2099-09-07")
    assert [u.number for u in got.units] == ["1", "2", "3", "4"]


def test_docx_word_auto_numbering_is_rendered(tmp_path):
    # khoản and điểm numbered by Word itself: the "1." / "a)" exist only in the numbering part
    items = [(0, "Khoản một gồm:"), (1, "điểm một;"), (1, "điểm hai."), (0, "Khoản hai gồm:"), (1, "điểm mới.")]
    path = write_docx_auto_numbered(tmp_path / "auto.docx", ["Điều 1. Thử nghiệm đánh số tự động"], items)
    doc = read_original_file(path)
    clauses = doc.units[0].clauses
    assert [c.text for c in clauses] == ["1. Khoản một gồm:", "2. Khoản hai gồm:"]
    assert [p.text for p in clauses[0].points] == ["a) điểm một;", "b) điểm hai."]
    assert [p.text for p in clauses[1].points] == ["a) điểm mới."]  # letters restart under each khoản


def test_html_boilerplate_is_dropped(tmp_path):
    lines = load_fixture_lines(FIXTURES[[f.stem for f in FIXTURES].index("synthetic_cong_van")])
    got_lines = read_html_lines(write_html(tmp_path / "page.html", lines))
    assert got_lines == lines  # exactly the content, in order
    joined = "\n".join(got_lines)
    for junk in ("Trang chủ", "Chia sẻ", "Điều 99", "Bản quyền", "Văn bản liên quan", "color:red", "Cổng thông tin"):
        assert junk not in joined


def test_html_without_main_keeps_form_and_document_header(tmp_path):
    # an ASP.NET page wraps everything in <form>; a "doc-header" div holds the document's own header
    page = ("<html><body><form id='form1'><nav>Trang chủ | Văn bản</nav><div id='menu'>Tra cứu</div>"
            "<div class='noidung'><div class='doc-header'><table><tr><td>Số: 999/2099/NĐ-CP</td>"
            "<td>Hà Nội, ngày 1 tháng 2 năm 2099</td></tr></table></div><p>Điều 1. Thử nghiệm</p>"
            "<p>1. Khoản &amp; nội dung.</p></div><div class='social-share'>Chia sẻ</div></form></body></html>")
    path = tmp_path / "p.htm"
    path.write_text(page, encoding="utf-8")
    assert read_html_lines(path) == ["Số: 999/2099/NĐ-CP | Hà Nội, ngày 1 tháng 2 năm 2099", "Điều 1. Thử nghiệm",
                                     "1. Khoản & nội dung."]
    doc = read_original_file(path)
    assert (doc.number, doc.place, doc.issued_on) == ("999/2099/NĐ-CP", "Hà Nội", "2099-02-01")


def test_html_in_its_declared_charset(tmp_path):
    page = '<html><head><meta charset="windows-1258"></head><body><p>Điều 1. Thu</p><p>1. Ok.</p></body></html>'
    path = tmp_path / "cp.html"
    # Windows-1258 writes "ề" as "ê" + a combining grave accent
    path.write_bytes(page.replace("Điều", "\u0110i\u00ea\u0300u").encode("cp1258"))
    assert read_html_lines(path) == ["Điều 1. Thu", "1. Ok."]  # composed again (NFC)


def test_text_is_nfc_and_markdown_markup_dropped(tmp_path):
    decomposed = unicodedata.normalize("NFD", "Điều 1. Thử nghiệm tiếng Việt")
    (tmp_path / "a.txt").write_text(f"\ufeff{decomposed}\n\n  1.  Khoản   một.\n", encoding="utf-8")
    assert read_lines(tmp_path / "a.txt") == ["Điều 1. Thử nghiệm tiếng Việt", "1. Khoản một."]
    (tmp_path / "b.md").write_text("# NGHỊ ĐỊNH\n---\n**Điều 1.** Thử\n> 1. Khoản.\n- gạch đầu dòng\n", encoding="utf-8")
    assert read_lines(tmp_path / "b.md") == ["NGHỊ ĐỊNH", "Điều 1. Thử", "1. Khoản.", "- gạch đầu dòng"]


# ---------------------------------------------------------------- bad inputs


def _empty(p):
    p.write_bytes(b"")


def _blank(p):
    p.write_text("  \n\n", encoding="utf-8")


def _corrupt_pdf(p):
    p.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n\x00\x13garbage without xref or trailer")


def _text_as_pdf(p):
    p.write_text("Điều 1. Đây là tệp văn bản đổi đuôi thành .pdf", encoding="utf-8")


def _corrupt_docx(p):
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("hello.txt", "không phải docx")


def _random_docx(p):
    p.write_bytes(b"\xd0\xcf\x11\xe0 old binary .doc renamed")


def _cp1258_text(p):
    p.write_bytes(b"\xd0i\xeau 1. Th\xf7 nghi\xeam")  # a Windows-1258 style file, not UTF-8


def _header_only(p):
    p.write_text("CHÍNH PHỦ\nSố: 999/2099/NĐ-CP\nNGHỊ ĐỊNH\nVỀ MẪU\nCăn cứ Luật Mẫu;\n", encoding="utf-8")


BAD_INPUTS = [
    pytest.param("empty.txt", _empty, "tệp rỗng", id="empty-txt"),
    pytest.param("blank.txt", _blank, "tệp rỗng", id="blank-txt"),
    pytest.param("empty.pdf", _empty, "tệp rỗng", id="empty-pdf"),
    pytest.param("empty.docx", _empty, "tệp rỗng", id="empty-docx"),
    pytest.param("broken.pdf", _corrupt_pdf, "PDF", id="corrupt-pdf"),
    pytest.param("text.pdf", _text_as_pdf, "không phải tệp PDF", id="text-file-named-pdf"),
    pytest.param("broken.docx", _corrupt_docx, "DOCX bị hỏng", id="corrupt-docx"),
    pytest.param("old.docx", _random_docx, "không phải tệp DOCX", id="not-a-zip-docx"),
    pytest.param("vn.txt", _cp1258_text, "UTF-8", id="undecodable-text"),
    pytest.param("mau.xyz", _blank, ".txt, .md, .html, .htm, .pdf, .docx", id="unknown-extension"),
    pytest.param("mau.doc", _random_docx, "không phải tệp Word .doc", id="doc-without-word-signature"),
    pytest.param("header.txt", _header_only, "không tìm thấy nội dung", id="header-only"),
]


@pytest.mark.parametrize("name, make, reason", BAD_INPUTS)
def test_bad_inputs_raise_reader_error_naming_the_file(tmp_path, name, make, reason):
    path = tmp_path / name
    make(path)
    with pytest.raises(ReaderError) as err:
        read_original_file(path)
    assert str(path) in str(err.value) and err.value.path == str(path)
    assert reason in err.value.reason
    # people read the reason (the staff preview): no Python exception class such as "(BadZipFile)"
    assert not re.search(r"\b[A-Z]\w*(?:Error|Exception|ZipFile)\b", err.value.reason), err.value.reason


def test_missing_file(tmp_path):
    with pytest.raises(ReaderError, match="không mở được"):
        read_original_file(tmp_path / "khong-co.pdf")


def test_image_only_pdf_without_words_is_refused(tmp_path):
    # a scan is OCR'd (tests/test_ocr_and_encodings.py); a page with no words left is still refused
    path = write_image_only_pdf(tmp_path / "scan.pdf")
    with pytest.raises(ReaderError) as err:
        read_original_file(path)
    assert err.value.reason.startswith(NO_TEXT_LAYER) and str(path) in str(err.value)


# ---------------------------------------------------------------- the real seed article (read-only)


def test_seed_secondary_article_sections_and_boilerplate():
    # skipped with a reason when the shared corpus is absent (never in CI: there it must exist)
    doc = read_original_file(require_shared(SEED_ARTICLE))
    numbered = [u for u in doc.units if u.number]
    assert [u.number for u in numbered] == ["(1)", "(2)", "(3)", "(4)"]
    assert all(u.kind == "section" for u in doc.units)
    assert doc.units[0].title == "Mở đầu" and "tập trung một số nhiệm vụ sau:" in doc.units[0].intro
    assert numbered[0].intro.count("\n- ") == 3  # its three "-" bullets stay in (1)
    everything = "\n".join([doc.title, doc.preamble, doc.signature, *(u.title + u.full_text for u in doc.units)])
    for junk in ("Gởi câu hỏi", "Chia sẻ bài viết", "Địa chỉ:", "Điện thoại:", "E-mail:", "Nội dung nêu trên",
                 "Hình từ Internet", "Chính sách khác"):
        assert junk not in everything, junk
    assert numbered[-1].full_text.endswith("Thông tư 22/2016/TT-BTTTT.")
