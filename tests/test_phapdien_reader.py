"""Bộ pháp điển reader: source notes (table-driven) and the real đề mục 32.1 file."""
import pytest

from conftest import DEMUC_32_1, require_shared
from ingest.readers.phapdien import parse_phapdien_html, parse_source_note, read_phapdien_file
from ingest.model import ReaderError

NOTE_CASES = [
    # the short form most articles carry
    ("(Điều 7 Nghị định số 72/2015/NĐ-CP, có hiệu lực thi hành kể từ ngày 22/10/2015)",
     dict(article="7", doc_type="Nghị định", number="72/2015/NĐ-CP", effective_from="2015-10-22", title="", amendment="")),
    # the first article of a document names title, date and issuer
    ("(Điều 1 Luật số 103/2016/QH13 Báo chí ngày 05/04/2016 của Quốc hội, có hiệu lực thi hành kể từ ngày 01/01/2017 )",
     dict(article="1", doc_type="Luật", number="103/2016/QH13", title="Báo chí", issuer="Quốc hội",
          issued_on="2016-04-05", effective_from="2017-01-01")),
    # "Thông tư liên tịch" must win over "Thông tư"
    ("(Điều 6 Thông tư liên tịch số 219/2012/TTLT-BTC-BKHCN, có hiệu lực thi hành kể từ ngày 15/02/2013)",
     dict(article="6", doc_type="Thông tư liên tịch", number="219/2012/TTLT-BTC-BKHCN")),
    # an amended article keeps the amendment note
    ("(Điều 13a Luật số 18/2008/QH12, có hiệu lực thi hành kể từ ngày 01/01/2009, được bổ sung bởi Điều 15 Luật số 35/2018/QH14. có hiệu lực thi hành kể từ ngày 01/01/2019)",
     dict(article="13a", number="18/2008/QH12", amendment="được bổ sung bởi Điều 15 Luật số 35/2018/QH14. có hiệu lực thi hành kể từ ngày 01/01/2019")),
    # a document without a number is identified by its title
    ("(Điều 2 Pháp lệnh Về Quyền ưu đãi, miễn trừ dành cho cơ quan đại diện ngoại giao, có hiệu lực thi hành kể từ ngày 07/09/1993)",
     dict(article="2", doc_type="Pháp lệnh", number="", title="Về Quyền ưu đãi, miễn trừ dành cho cơ quan đại diện ngoại giao")),
    # doubled opening parenthesis seen in the corpus
    ("((Điều 4 Nghị định số 81/2014/NĐ-CP, có hiệu lực thi hành kể từ ngày 01/10/2014)",
     dict(article="4", number="81/2014/NĐ-CP")),
    # missing article number: the reader falls back to the link / Pháp điển id
    ("(Điều Thông tư số 135/2017/TT-BTC, có hiệu lực thi hành kể từ ngày 05/02/2018)",
     dict(article="", doc_type="Thông tư", number="135/2017/TT-BTC")),
]


@pytest.mark.parametrize("note,expected", NOTE_CASES)
def test_parse_source_note(note, expected):
    parsed = parse_source_note(note)
    assert parsed is not None
    for field, value in expected.items():
        assert getattr(parsed, field) == value, field


def test_note_without_document_type_is_none():
    assert parse_source_note("(Thông tin tham khảo)") is None


SYNTHETIC_HTML = """<div class='_content'><p class='pChuong'>Chương I</p>
<p class='pDieu'><a name='x'></a>Điều 99.9.NĐ.1.3. Thử nghiệm (synthetic)</p>
<p class='pGhiChu'><a href='http://vbpl.vn/x#Chuong_II_Dieu_3'>(Điều 3 Nghị định số 999/2099/NĐ-CP Thử nghiệm ngày 01/02/2099 của Chính phủ, có hiệu lực thi hành kể từ ngày 01/03/2099 )</a></p>
<p class='pNoiDung'><p>1. Khoản một thử nghiệm.</p><p>2. Khoản hai gồm:</p><p>a) điểm a;</p><p>đ) không theo thứ tự nên là phần tiếp của điểm a;</p><p>b) điểm b.</p></p>
<p class='pChiDan'>(Điều này có nội dung liên quan đến <a href='#'>Điều 1.1.LQ.1.</a>; <a href='#'>Điều 2.2.LQ.2.</a>)</p>
</div>"""


def test_synthetic_article_is_mapped_to_its_source_document():
    [doc] = parse_phapdien_html(SYNTHETIC_HTML, "synthetic.html")
    assert (doc.number, doc.doc_type, doc.issuer, doc.issued_on) == ("999/2099/NĐ-CP", "Nghị định", "Chính phủ", "2099-02-01")
    [art] = doc.units
    assert (art.number, art.title, art.phapdien_id, art.chapter) == ("3", "Thử nghiệm (synthetic)", "Điều 99.9.NĐ.1.3", "Chương II")
    assert art.effective_from == "2099-03-01"
    assert [c.number for c in art.clauses] == ["1", "2"]
    assert [p.label for p in art.clauses[1].points] == ["a", "b"]
    assert "đ) không theo thứ tự" in art.clauses[1].points[0].text
    assert art.see_also == ["Điều 1.1.LQ.1.", "Điều 2.2.LQ.2."]


def test_non_phapdien_html_is_refused_with_the_file_name():
    with pytest.raises(ReaderError) as err:
        parse_phapdien_html("<html><p>không phải đề mục</p></html>", "trang.html")
    assert "trang.html" in str(err.value)


@pytest.fixture(scope="module")
def demuc_docs():
    return read_phapdien_file(str(require_shared(DEMUC_32_1)))


def test_demuc_32_1_has_22_documents_and_337_articles(demuc_docs):
    assert len(demuc_docs) == 22
    assert sum(len(d.units) for d in demuc_docs) == 337
    counts = {d.number: len(d.units) for d in demuc_docs}
    assert counts["72/2015/NĐ-CP"] == 26
    assert counts["103/2016/QH13"] == 61
    assert counts["03/2019/TT-BTTTT"] == 14
    assert counts["02/2019/TT-BTTTT"] == 12
    assert counts["88/2012/NĐ-CP"] == 27


def test_article_7_of_decree_72_structure(demuc_docs):
    doc = next(d for d in demuc_docs if d.number == "72/2015/NĐ-CP")
    assert (doc.title, doc.issuer, doc.issued_on, doc.effective_from) == (
        "Về quản lý hoạt động thông tin đối ngoại", "Chính phủ", "2015-09-07", "2015-10-22")
    art = next(u for u in doc.units if u.number == "7")
    assert art.title == "Cung cấp thông tin chính thức về Việt Nam"
    assert art.phapdien_id == "Điều 32.1.NĐ.3.7"
    assert art.effective_from == "2015-10-22"
    assert "vbpl.vn" in art.url
    assert [c.number for c in art.clauses] == ["1", "2", "3", "4"]
    assert [p.label for p in art.clauses[2].points] == ["a", "b", "c", "d", "đ", "e", "g"]
    assert art.clauses[2].points[4].text.startswith("đ) Các chương trình, sản phẩm báo chí")


def test_original_article_numbers_are_kept_not_phapdien_numbers(demuc_docs):
    doc = next(d for d in demuc_docs if d.number == "72/2015/NĐ-CP")
    assert sorted(int(u.number) for u in doc.units) == list(range(1, 27))


SYNTHETIC_EMPTY_DEMUC = """\ufeff<link href='../lib/css/style.css' rel='stylesheet' type='text/css' />
<h3 style='text-transform: uppercase; text-align: center; font-weight: bold'>
    Đề mục 99.9
    <br />
    Đề mục thử nghiệm tổng hợp (synthetic test data) (loại bỏ)
</h3>
<p style='text-align: center; display: none'>(Xem Danh mục văn bản pháp điển vào đề mục: <a class='viewDSVB' href='#' onclick="ViewDanhSachVB(this,'00000000-0000-0000-0000-000000000000')">x</a>)</p><div class='_content'></div>
"""


def test_an_empty_demuc_is_skipped_not_stored(fake_kb, tmp_path):
    """An đề mục file with a heading and no article (90 of the package's 301) is skipped with the reason
    "đề mục trống": never stored as a document, never refused (the whole Pháp điển ingests with exit 0)."""
    path = tmp_path / "synthetic_empty_demuc.html"
    path.write_text(SYNTHETIC_EMPTY_DEMUC, encoding="utf-8")
    kb = fake_kb()
    report = kb.store.ingest([str(path)])
    assert not report.refused and [o.status for o in report.outcomes] == ["skipped"]
    assert "đề mục trống" in report.outcomes[0].reason
    assert kb.store.registry.documents() == []


def test_the_real_empty_demuc_files_are_recognised():
    """Every file of the shared package without an article is recognised as an empty đề mục, and no
    file with articles is (read at test time, nothing copied)."""
    import os

    from conftest import SHARED, require_shared
    from ingest.readers import _SNIFF_BYTES, _is_empty_demuc, _sniff

    folder = require_shared(SHARED / "corpus" / "phapdien")
    for f in sorted(folder.glob("*.html")):
        has_articles = "class='pDieu'" in f.read_text(encoding="utf-8-sig", errors="ignore")
        detected = os.path.getsize(f) <= _SNIFF_BYTES and _is_empty_demuc(_sniff(str(f)))
        assert detected is (not has_articles), f.name
