"""The official's desk, tools 3 and 4: `kb check-basis` (every citation of a draft checked on a date) and
`kb trace` (a letter's tasks traced to the clauses they carry out). In-process over the fake embedding;
every document and draft here is SYNTHETIC (made-up decrees numbered 99x/209x, a made-up province),
not law text, except the founding article, read from the shared corpus as the secondary source it is."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import SEED_DIR, require_shared
from ingest.crossrefs import find_citations
from qa.desk.basis_check import repeal_statements
from qa.desk.draft import DraftError, read_draft_file, read_draft_text
from synthetic_docs import font_available, write_docx, write_pdf

FIXTURES = Path(__file__).parent / "fixtures"
BASE = FIXTURES / "synthetic_base_decree.txt"  # 998/2098/NĐ-CP, in force from 01/3/2098
AMENDING = FIXTURES / "synthetic_amending_decree.txt"  # 999/2099/NĐ-CP amends it from 01/7/2099

# A synthetic decree whose final provisions say that a synthetic decision expires (a replacing document).
REPLACING = [
    "# DỮ LIỆU THỬ NGHIỆM TỔNG HỢP (synthetic) — không phải văn bản pháp luật; số hiệu, ngày tháng đều bịa ra.",
    "CHÍNH PHỦ THỬ NGHIỆM", "Số: 997/2099/NĐ-CP", "Hà Nội, ngày 01 tháng 8 năm 2099", "NGHỊ ĐỊNH",
    "VỀ THẢ DIỀU THỬ NGHIỆM",
    "Điều 1. Phạm vi điều chỉnh", "Nghị định mẫu này quy định việc thả diều thử nghiệm.",
    "Điều 2. Hiệu lực thi hành",
    "1. Nghị định này có hiệu lực thi hành kể từ ngày 01 tháng 9 năm 2099.",
    "2. Quyết định số 990/2090/QĐ-TTg ngày 01 tháng 01 năm 2090 của Thủ tướng Chính phủ thử nghiệm hết hiệu lực "
    "kể từ ngày Nghị định này có hiệu lực thi hành.",
]
CATALOG = """# SYNTHETIC catalogue for tests: made-up documents only.
[[document]]
number = "998/2098/NĐ-CP"
type = "Nghị định"
title = "Về nuôi chim cánh cụt thử nghiệm trên sao Hỏa"
issuer = "Chính phủ thử nghiệm"
issued_on = "2098-02-01"

[[document]]
number = "996/2099/TT-BTN"
type = "Thông tư"
title = "Hướng dẫn thử nghiệm (mô tả)"
issuer = "Bộ Thử nghiệm"
issued_on = "2099-02-02"
text = "chưa có"

[[document]]
number = "995/2090/NĐ-CP"
type = "Nghị định"
title = "Về nuôi chim cánh cụt thử nghiệm trên mặt trăng"
issuer = "Chính phủ thử nghiệm"
status = "expired"
status_note = "được thay thế bởi Nghị định 998/2098/NĐ-CP"
relations = [{ type = "replaced_by", target = "998/2098/NĐ-CP" }]

[[secondary]]
file = "synthetic_bai_viet.txt"
type = "Bài tư vấn"
title = "Bài viết thử nghiệm về chim cánh cụt"
issuer = "Trang tin thử nghiệm"
about = "996/2099/TT-BTN"
note = "Nguồn thứ cấp: bài viết thử nghiệm, không phải văn bản chính thức."

[[succession]]
change = "renamed"
former = "Sở Thử nghiệm"
successor = "Sở Mẫu"
instruments = ["996/2099/TT-BTN"]
effective_from = "2099-06-01"
verified = false
source = "synthetic"
"""
DRAFT = [
    "ỦY BAN NHÂN DÂN TỈNH MẪU", "Số: /2099/QĐ-UBND", "Tỉnh Mẫu, ngày 01 tháng 12 năm 2099", "DỰ THẢO", "QUYẾT ĐỊNH",
    "Về việc thử nghiệm dẫn chiếu (dữ liệu tổng hợp, không có giá trị pháp lý)",
    "Căn cứ Nghị định số 998/2098/NĐ-CP ngày 05 tháng 02 năm 2098 của Chính phủ thử nghiệm;",
    "Căn cứ Thông tư số 996/2099/TT-BTN ngày 02 tháng 02 năm 2099 của Bộ Thử nghiệm;",
    "Căn cứ Quyết định số 990/2090/QĐ-TTg;",
    "Căn cứ Nghị định số 995/2090/NĐ-CP ngày 01 tháng 01 năm 2090 của Chính phủ thử nghiệm;",
    "QUYẾT ĐỊNH:",
    "Điều 1. Dẫn chiếu mẫu",
    "1. Hồ sơ mẫu theo khoản 2 Điều 2 Nghị định 998/2098/NĐ-CP.",
    "2. Không áp dụng khoản 3 Điều 3 Nghị định 998/2098/NĐ-CP.",
    "3. Xử lý mẫu theo Điều 99 Nghị định 998/2098/NĐ-CP và Điều 4a Nghị định 998/2098/NĐ-CP.",
    "4. Đăng ký mẫu theo khoản 1 Điều 2 NĐ 998/2098.",
    "5. Thực hiện khoản 1 Điều 1 của Quyết định này và khoản 9 Điều 1 Quyết định này.",
    "6. Tham khảo Công văn 4242/BTN-TN và Thông tư 996.",
    "Điều 2. Hiệu lực thi hành",
    "Quyết định mẫu có hiệu lực kể từ ngày ký.",
]
# (passage, as written) -> (verdict on 01/12/2099, form): what the draft cites and what the base says of it
EXPECTED = {
    ("Căn cứ 1", "Nghị định số 998/2098/NĐ-CP ngày 05 tháng 02 năm 2098 của Chính phủ thử nghiệm"): ("amended", "fix"),
    ("Căn cứ 2", "Thông tư số 996/2099/TT-BTN ngày 02 tháng 02 năm 2099 của Bộ Thử nghiệm"): ("missing", "ok"),
    ("Căn cứ 3", "Quyết định số 990/2090/QĐ-TTg"): ("repealed", ""),
    ("Căn cứ 4", "Nghị định số 995/2090/NĐ-CP ngày 01 tháng 01 năm 2090 của Chính phủ thử nghiệm"): ("repealed", "ok"),
    ("Khoản 1 Điều 1", "khoản 2 Điều 2 Nghị định 998/2098/NĐ-CP"): ("amended", "ok"),
    ("Khoản 2 Điều 1", "khoản 3 Điều 3 Nghị định 998/2098/NĐ-CP"): ("repealed", "ok"),
    ("Khoản 3 Điều 1", "Điều 99 Nghị định 998/2098/NĐ-CP"): ("no_unit", "ok"),
    ("Khoản 3 Điều 1", "Điều 4a Nghị định 998/2098/NĐ-CP"): ("amended", "ok"),
    ("Khoản 4 Điều 1", "khoản 1 Điều 2 NĐ 998/2098"): ("ok", "fix"),
    ("Khoản 5 Điều 1", "khoản 1 Điều 1 của Quyết định này"): ("ok", ""),
    ("Khoản 5 Điều 1", "khoản 9 Điều 1 Quyết định này"): ("no_unit", ""),
    ("Khoản 6 Điều 1", "Công văn 4242/BTN-TN"): ("unknown", ""),
    ("Khoản 6 Điều 1", "Thông tư 996"): ("missing", "fix"),
}


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def desk_kb(fake_kb, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    catalog = _write(tmp_path / "synthetic_catalog.toml", CATALOG.splitlines())
    replacing = _write(docs / "synthetic_nd997.txt", REPLACING)
    return fake_kb(BASE, AMENDING, replacing, catalog=catalog)


def _verdicts(report) -> dict:
    return {(p.label, c.written): (c.verdict, c.form) for p in report.passages for c in p.citations}


# ---------------------------------------------------------------- finding citations (pure)

CITATION_CASES = [
    # (text, [(as written, units, document words, date, issuer)])
    ("Căn cứ Nghị định số 998/2098/NĐ-CP ngày 14 tháng 9 năm 2098 của Chính phủ thử nghiệm về nuôi chim;",
     [("Nghị định số 998/2098/NĐ-CP ngày 14 tháng 9 năm 2098 của Chính phủ thử nghiệm", [("", "", "")],
       "Nghị định số 998/2098/NĐ-CP", "2098-09-14", "Chính phủ thử nghiệm")]),
    ("theo khoản 3 Điều 24 Nghị định 998/2098/NĐ-CP và khoản 2 Điều 5 của Nghị định này.",
     [("khoản 3 Điều 24 Nghị định 998/2098/NĐ-CP", [("24", "3", "")], "Nghị định 998/2098/NĐ-CP", "", ""),
      ("khoản 2 Điều 5 của Nghị định này", [("5", "2", "")], "", "", "")]),
    ("Căn cứ Luật Thử nghiệm ngày 01 tháng 01 năm 2097;",  # a law by its name and date
     [("Luật Thử nghiệm ngày 01 tháng 01 năm 2097", [("", "", "")], "Luật Thử nghiệm", "2097-01-01", "")]),
    ("các Điều 5, 6 và 7 Luật Thử nghiệm hiện hành",  # a list of articles; the name ends before "hiện hành"
     [("các Điều 5, 6 và 7 Luật Thử nghiệm", [("5", "", ""), ("6", "", ""), ("7", "", "")], "Luật Thử nghiệm", "", "")]),
    ("báo cáo theo NĐ 998/2098, Nghị định 998 và TT996/2099",  # shorthand: abbreviations, partial numbers
     [("NĐ 998/2098", [("", "", "")], "NĐ 998/2098", "", ""), ("Nghị định 998", [("", "", "")], "Nghị định 998", "", ""),
      ("TT996/2099", [("", "", "")], "TT996/2099", "", "")]),
    ("tại Quyết định số 990/2090/QĐ-TTg ngày 01/01/2090 của Thủ tướng Chính phủ thử nghiệm và Công văn 4242/BTN-TN",
     [("Quyết định số 990/2090/QĐ-TTg ngày 01/01/2090 của Thủ tướng Chính phủ thử nghiệm", [("", "", "")],
       "Quyết định số 990/2090/QĐ-TTg", "2090-01-01", "Thủ tướng Chính phủ thử nghiệm"),  # "tại", "và" not in it
      ("Công văn 4242/BTN-TN", [("", "", "")], "Công văn 4242/BTN-TN", "", "")]),
    ("điểm a khoản 1 Điều 4 Luật Thử nghiệm năm 2097 và khoản 1, khoản 2 Điều này",
     [("điểm a khoản 1 Điều 4 Luật Thử nghiệm năm 2097", [("4", "1", "a")], "Luật Thử nghiệm", "", ""),
      ("khoản 1, khoản 2 Điều này", [("", "1", ""), ("", "2", "")], "", "", "")]),
    # words, not citations: a lower-case type, "Điều kiện", "thời điểm", a type at a sentence's head without a number
    ("các luật có liên quan, Điều kiện thời điểm áp dụng. Quyết định có hiệu lực. Thông tư hướng dẫn việc nuôi.", []),
]


@pytest.mark.parametrize("text,expected", CITATION_CASES)
def test_find_citations(text, expected):
    got = [(c.text, [(r.article, r.clause, r.point) for r in c.refs], c.document_words, c.date, c.issuer)
           for c in find_citations(text)]
    assert got == expected


def test_repeal_statements_read_the_sentence_and_the_list_under_a_clause():
    def node(text, citation="Khoản 2 Điều 9 Nghị định 997/2099/NĐ-CP", key="997/2099/NĐ-CP", kind="original"):
        return SimpleNamespace(text=text, meta=SimpleNamespace(citation=citation, doc_key=key, source_kind=kind,
                                                               document_name="Nghị định 997/2099/NĐ-CP"))
    dates = {"997/2099/NĐ-CP": "2099-09-01"}
    lead = node("2. Kể từ ngày Nghị định này có hiệu lực, các văn bản sau đây hết hiệu lực:\n"
                "a) Quyết định số 990/2090/QĐ-TTg ngày 01 tháng 01 năm 2090 của Thủ tướng thử nghiệm;\n"
                "b) Quyết định số 991/2091/QĐ-TTg sửa đổi Quyết định số 990/2090/QĐ-TTg.")
    [s] = repeal_statements("990/2090/QĐ-TTg", [lead], dates)  # point b is about 991, not 990
    assert (s.action, s.since, s.where) == ("hết hiệu lực", "2099-09-01", "Khoản 2 Điều 9 Nghị định 997/2099/NĐ-CP")
    dated = node("Bãi bỏ Quyết định số 990/2090/QĐ-TTg kể từ ngày 15 tháng 10 năm 2099.")
    assert [(s.action, s.since) for s in repeal_statements("990/2090/QĐ-TTG", [dated], dates)] == [
        ("bị bãi bỏ", "2099-10-15")]
    # a unit repealed is not the document; words replaced are not a replacement; an article about it says nothing
    assert repeal_statements("990/2090/QĐ-TTg", [node("Bãi bỏ Điều 3 Quyết định số 990/2090/QĐ-TTg."),
                                                 node("Thay thế cụm từ “a” tại Quyết định số 990/2090/QĐ-TTg."),
                                                 node(lead.text, kind="secondary")], dates) == []


# ---------------------------------------------------------------- the check, end to end


def test_every_citation_of_a_draft_gets_its_verdict(desk_kb, tmp_path):
    draft = read_draft_file(str(_write(tmp_path / "du_thao.txt", DRAFT)), 200_000)
    report = desk_kb.check_basis(draft, as_of="2099-12-01")
    assert _verdicts(report) == EXPECTED
    cits = {c.written: c for c in report.citations}
    # by what, from when; the corrected form offered; the stored text that says a document expired
    assert cits["khoản 2 Điều 2 Nghị định 998/2098/NĐ-CP"].amended_by == [
        "Khoản 1 Điều 1 Nghị định 999/2099/NĐ-CP (từ 01/07/2099)"]
    first = cits["Nghị định số 998/2098/NĐ-CP ngày 05 tháng 02 năm 2098 của Chính phủ thử nghiệm"]
    assert first.suggested.startswith("Nghị định số 998/2098/NĐ-CP ngày 01/02/2098 của ")  # the issuer as stored
    assert first.suggested.endswith(" về nuôi chim cánh cụt thử nghiệm trên sao hỏa")  # a Căn cứ line: the subject too
    assert any("Nghị định 999/2099/NĐ-CP" in r for r in first.reasons)
    expired = cits["Quyết định số 990/2090/QĐ-TTg"]
    assert expired.replaced_by == ["Nghị định 997/2099/NĐ-CP"]
    assert any("Khoản 2 Điều 2 Nghị định 997/2099/NĐ-CP" in r and "01/09/2099" in r for r in expired.reasons)
    assert cits["Nghị định số 995/2090/NĐ-CP ngày 01 tháng 01 năm 2090 của Chính phủ thử nghiệm"].replaced_by == [
        "Nghị định 998/2098/NĐ-CP"]
    assert "có Điều 1–5" in cits["Điều 99 Nghị định 998/2098/NĐ-CP"].reasons[0]
    shorthand = cits["khoản 1 Điều 2 NĐ 998/2098"]
    assert shorthand.suggested == "khoản 1 Điều 2 Nghị định 998/2098/NĐ-CP" and len(shorthand.form_issues) == 2
    assert shorthand.lookup == "Khoản 1 Điều 2 Nghị định 998/2098/NĐ-CP"  # what the report's link opens
    assert desk_kb.lookup(shorthand.lookup).status == "found"


def test_a_body_the_draft_names_that_no_longer_exists_is_said_with_where(desk_kb):
    draft = read_draft_text("Điều 1. Mẫu\n1. Sở Thử nghiệm báo cáo theo khoản 2 Điều 2 Nghị định 998/2098/NĐ-CP.\n"
                            "2. Sở Thử nghiệm và Sở Mẫu phối hợp.", 10_000)
    assert desk_kb.check_basis(draft, as_of="2099-12-01").bodies == [
        "Từ 01/06/2099, Sở Thử nghiệm đổi tên thành Sở Mẫu (Thông tư 996/2099/TT-BTN) (chưa đối chiếu văn bản) — "
        "Khoản 1 Điều 1; Khoản 2 Điều 1."]
    assert desk_kb.check_basis(draft, as_of="2099-01-01").bodies == []  # before the change, the name was right


def test_the_date_decides(desk_kb, tmp_path):
    draft = read_draft_file(str(_write(tmp_path / "du_thao.txt", DRAFT)), 200_000)
    before = _verdicts(desk_kb.check_basis(draft, as_of="2099-01-01"))  # before 999 and 997 take effect
    assert before[("Khoản 1 Điều 1", "khoản 2 Điều 2 Nghị định 998/2098/NĐ-CP")] == ("ok", "ok")
    assert before[("Khoản 2 Điều 1", "khoản 3 Điều 3 Nghị định 998/2098/NĐ-CP")] == ("ok", "ok")
    assert before[("Khoản 3 Điều 1", "Điều 4a Nghị định 998/2098/NĐ-CP")] == ("no_unit", "ok")
    assert before[("Căn cứ 3", "Quyết định số 990/2090/QĐ-TTg")] == ("unknown", "")
    early = _verdicts(desk_kb.check_basis(draft, as_of="2098-02-15"))  # 998 issued, not yet in force
    assert early[("Khoản 4 Điều 1", "khoản 1 Điều 2 NĐ 998/2098")][0] == "not_yet"
    # no date given: the draft's own (01/12/2099)
    own = desk_kb.check_basis(draft)
    assert (own.as_of, own.as_of_source) == ("2099-12-01", "dự thảo") and _verdicts(own) == EXPECTED


@pytest.mark.skipif(not font_available(), reason="DejaVu font needed to write a Vietnamese PDF")
def test_docx_pdf_and_pasted_drafts_read_the_same(desk_kb, tmp_path):
    want = _verdicts(desk_kb.check_basis(read_draft_text("\n".join(DRAFT), 200_000), as_of="2099-12-01"))
    assert want == EXPECTED
    for path in (write_docx(tmp_path / "du_thao.docx", DRAFT), write_pdf(tmp_path / "du_thao.pdf", DRAFT)):
        assert _verdicts(desk_kb.check_basis(read_draft_file(str(path), 200_000), as_of="2099-12-01")) == want, path


def test_a_draft_too_long_or_empty_is_refused_and_nothing_is_stored(desk_kb):
    generation = desk_kb.store.registry.generation()
    with pytest.raises(DraftError, match="KB_DESK_MAX_CHARS"):
        read_draft_text("Căn cứ Nghị định số 998/2098/NĐ-CP;\n" * 100, 1000)
    with pytest.raises(DraftError, match="dán văn bản"):
        read_draft_text("  \n", 1000)
    desk_kb.check_basis(read_draft_text("\n".join(DRAFT), 200_000))
    assert desk_kb.store.registry.generation() == generation


def test_citations_beyond_the_limit_are_said_not_checked(desk_kb):
    from qa.desk.base_view import BaseView
    from qa.desk.basis_check import check_basis

    report = check_basis(read_draft_text("\n".join(DRAFT), 200_000), BaseView(desk_kb), "2099-12-01", max_citations=3)
    assert len(report.citations) == 3 and any("còn 10 trích dẫn chưa kiểm tra" in n for n in report.notes)


def test_cli_check_basis_json_and_exit_code(desk_kb, tmp_path, monkeypatch, capsys):
    from kb.cli import main

    monkeypatch.setenv("KB_EMBEDDING", "fake")
    monkeypatch.setenv("KB_CATALOG", str(tmp_path / "synthetic_catalog.toml"))
    path = write_docx(tmp_path / "du_thao.docx", DRAFT)
    rc = main(["--home", str(desk_kb.settings.home), "check-basis", str(path), "--date", "01/12/2099", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1 and out["as_of"] == "2099-12-01" and out["counts"]["no_unit"] == 2
    got = {(p["label"], c["written"]): (c["verdict"], c["form"]) for p in out["passages"] for c in p["citations"]}
    assert got == EXPECTED
    assert main(["--home", str(desk_kb.settings.home), "check-basis", str(tmp_path / "khong-co.docx")]) == 1
    assert "không có tệp này" in capsys.readouterr().err


# ---------------------------------------------------------------- tracing a letter

LETTER = [
    "BỘ THỬ NGHIỆM", "Số: 77/BTN-TN", "Hà Nội, ngày 10 tháng 12 năm 2099",
    "V/v triển khai nuôi chim cánh cụt thử nghiệm (dữ liệu tổng hợp)", "Kính gửi: Sở Thử nghiệm các tỉnh mẫu",
    "Bộ Thử nghiệm đề nghị triển khai một số nhiệm vụ sau:",
    "1. Chủ trại nuôi báo cáo Sở Thử nghiệm hằng quý về số chim cánh cụt.",
    "- Chủ trại nuôi bảo đảm nhiệt độ chuồng không cao hơn 5 độ C.",
    "2. Triển khai Thông tư số 996/2099/TT-BTN của Bộ Thử nghiệm.",
    "3. Tổ chức lễ hội khinh khí cầu xuyên đại dương vào mùa xuân.",
    "Đề nghị các Sở gửi kết quả về Bộ Thử nghiệm.",
]


def test_a_letter_is_split_into_tasks_each_traced_or_flagged(desk_kb, tmp_path):
    report = desk_kb.trace(read_draft_file(str(_write(tmp_path / "cong_van.txt", LETTER)), 200_000))
    tasks = [(t.label, t.text) for t in report.tasks]
    assert tasks == [  # the opening is context; numbered items, the bullet under one, a sentence with a duty
        ("Mục 1", "1. Chủ trại nuôi báo cáo Sở Thử nghiệm hằng quý về số chim cánh cụt."),
        ("Mục 1, ý 1", "Chủ trại nuôi bảo đảm nhiệt độ chuồng không cao hơn 5 độ C."),
        ("Mục 2", "2. Triển khai Thông tư số 996/2099/TT-BTN của Bộ Thử nghiệm."),
        ("Mục 3", "3. Tổ chức lễ hội khinh khí cầu xuyên đại dương vào mùa xuân."),
        ("Mục 3", "Đề nghị các Sở gửi kết quả về Bộ Thử nghiệm."),
    ]
    restated, bullet, named, unrelated = report.tasks[:4]
    assert restated.links[0].citation == "Khoản 2 Điều 3 Nghị định 998/2098/NĐ-CP"
    assert restated.links[0].relation == "restates" and not restated.flagged and restated.confidence > 0
    assert bullet.links[0].citation == "Khoản 1 Điều 3 Nghị định 998/2098/NĐ-CP"
    assert [(c.document, c.verdict) for c in named.named] == [("996/2099/TT-BTN", "missing")]
    assert any("996/2099/TT-BTN" in r for r in named.reasons)
    assert unrelated.basis == "none" and unrelated.flagged
    assert any("Không tìm thấy" in r for r in unrelated.reasons)
    assert report.source_note == ""


def test_a_secondary_source_is_traced_as_one(fake_kb, tmp_path):
    catalog = _write(tmp_path / "synthetic_catalog.toml", CATALOG.splitlines())
    article = _write(tmp_path / "synthetic_bai_viet.txt", ["Bài viết thử nghiệm về chim cánh cụt",
                                                             "Bài viết tóm tắt một thông tư thử nghiệm.",
                                                             "(1) Chủ trại nuôi báo cáo Sở Thử nghiệm hằng quý.",
                                                             "(2) Tổ chức tập huấn nuôi chim cánh cụt."])
    kb = fake_kb(BASE, article, catalog=catalog)
    report = kb.trace(read_draft_file(str(article), 200_000))
    assert report.source_note.startswith("Nguồn thứ cấp: bài viết thử nghiệm")
    assert "996/2099/TT-BTN) chưa có" in report.source_note
    # its own stored text is never its basis: the decree is
    assert all(l.document == "998/2098/NĐ-CP" for t in report.tasks for l in t.links)
    assert "LƯU Ý: Nguồn thứ cấp" in "\n".join(report.lines())


def test_the_founding_article_traced_is_labelled_secondary(fake_kb):
    """The founding article (its account of Công văn 3837) is the test document of this tool: a secondary
    source, whose tasks name documents the base lacks."""
    seed = require_shared(SEED_DIR) / "tvpl-cong-van-3837-btttt-ttdn-2024.txt"
    kb = fake_kb(seed)
    report = kb.trace(read_draft_file(str(seed), 200_000), as_of="2024-12-01")
    assert "Nguồn thứ cấp" in report.source_note and "3837/BTTTT-TTĐN" in report.source_note
    labels = [t.label for t in report.tasks]
    assert labels[:4] == ["Mục (1)", "Mục (1), ý 1", "Mục (1), ý 2", "Mục (1), ý 3"]
    assert {"Mục (2)", "Mục (3)", "Mục (4)"} <= set(labels)
    first = report.tasks[0]
    assert [(c.document, c.verdict) for c in first.named] == [("1578/BTTTT-TTĐN", "missing"), ("47/NQ-CP", "missing")]
    assert all(not t.links for t in report.tasks)  # nothing but the article itself is stored: no basis in the base
    assert all(t.flagged for t in report.tasks)


# ---------------------------------------------------------------- the tab


def _app(kb):
    from ui.app import ReadWriteLock

    return SimpleNamespace(settings=kb.settings, kb=kb, lock=ReadWriteLock(), _require_reader=lambda s, r: None)


def test_the_tab_renders_escaped_reports_with_links_into_the_lookup(desk_kb):
    from ui.basis_tab import DeskTab

    tab = DeskTab(_app(desk_kb))
    evil = '<script>alert("x")</script>'
    html = tab.check(None, "\n".join(DRAFT + [f"3. {evil} theo Điều 99 Nghị định 998/2098/NĐ-CP."]), "01/12/2099",
                     None, None)
    assert evil not in html and "&lt;script&gt;" in html
    assert 'data-action="lookup" data-ref="Khoản 2 Điều 2 Nghị định 998/2098/NĐ-CP"' in html
    assert "Không còn hiệu lực" in html and "Đề nghị ghi:" in html and "01/12/2099" in html
    evt = SimpleNamespace(_data={"action": "lookup", "ref": "Khoản 2 Điều 2 Nghị định 998/2098/NĐ-CP"})
    assert "Hồ sơ đăng ký" in tab.lookup_click(None, evt, None)
    # errors said where the report goes, in Vietnamese; nothing raised
    assert "không hợp lệ" in tab.check(None, "\n".join(DRAFT), "31/02/2099", None, None)
    assert "dán văn bản" in tab.check(None, "", "", None, None)
    traced = tab.trace(None, "\n".join(LETTER), "", None, None)
    assert "Chưa có căn cứ" in traced and 'data-ref="Khoản 2 Điều 3 Nghị định 998/2098/NĐ-CP"' in traced


# ---------------------------------------------------------------- the gold, on the real đề mục 32.1


@pytest.mark.slow
def test_the_gold_drafts_are_all_right_on_demuc_32_1(kb_32_1):
    """kb/data/basis_check_gold.jsonl: SYNTHETIC drafts citing real documents of đề mục 32.1 (an invented
    article, an amended clause, replaced and repealed documents, catalogued documents without text …);
    `kb bench desk-basis` writes the same figures to docs/BENCHMARKS.md."""
    from kb.bench_desk import load_gold, score_gold

    rows, _ = score_gold(kb_32_1, load_gold())
    assert len(rows) >= 20
    assert [r for r in rows if not r["ok"]] == []


def test_the_tab_reads_an_uploaded_docx_and_refuses_other_formats(desk_kb, tmp_path):
    from ui.basis_tab import DeskTab

    tab = DeskTab(_app(desk_kb))
    html = tab.check(str(write_docx(tmp_path / "du_thao.docx", DRAFT)), "", "01/12/2099", None, None)
    assert "Không còn hiệu lực" in html and "du_thao.docx" in html
    bad = _write(tmp_path / "du_thao.exe", DRAFT)
    assert "không hỗ trợ" in tab.check(str(bad), "", "", None, None)


def test_a_unit_repealed_by_a_document_the_base_lacks_is_no_longer_in_force(fake_kb, tmp_path):
    """A Pháp điển note may say a unit was repealed by a document whose text is not stored: the lookup
    cannot apply it, the check still says the unit is not in force (and by what, from when)."""
    from ingest.amendments import Amendment
    from qa.desk.base_view import BaseView
    from qa.desk.basis_check import check_basis

    kb = fake_kb(BASE)
    view = BaseView(kb)
    view._relations["998/2098/NĐ-CP"] = [Amendment(
        target_key="998/2098/NĐ-CP", target_ref="Nghị định 998/2098/NĐ-CP", article="3", clause="3", action="repeal",
        effective_from="2099-07-01", amending_key="900/2099/NĐ-CP", amending_name="Nghị định 900/2099/NĐ-CP",
        amending_unit="Điều 5 Nghị định 900/2099/NĐ-CP", source="phapdien")]
    draft = read_draft_text("Điều 1. Mẫu\n1. Theo khoản 3 Điều 3 Nghị định 998/2098/NĐ-CP và khoản 2 Điều 3 Nghị định "
                            "998/2098/NĐ-CP.", 10_000)
    [gone, kept] = check_basis(draft, view, "2099-12-01").citations
    assert (gone.verdict, kept.verdict) == ("repealed", "ok")
    assert any("Nghị định 900/2099/NĐ-CP (chưa có trong cơ sở dữ liệu)" in r and "01/07/2099" in r for r in gone.reasons)
    assert check_basis(draft, view, "2099-01-01").citations[0].verdict == "ok"  # not yet repealed then


@pytest.mark.parametrize("task,clause,relation", [
    ("Chủ trại nuôi báo cáo Sở Thử nghiệm hằng quý về số chim cánh cụt.",
     "2. Chủ trại nuôi báo cáo Sở Thử nghiệm hằng quý về số chim cánh cụt.", "restates"),
    # the same words scattered through a long clause: carried out, not repeated
    ("Bố trí kinh phí cho chương trình nuôi chim.",
     "1. Kinh phí thử nghiệm do Bộ Mẫu bố trí theo kế hoạch; chương trình đào tạo cho người nuôi chim cánh cụt.",
     "implements"),
])
def test_a_task_restates_a_clause_only_when_it_repeats_its_words(task, clause, relation):
    from qa.desk.trace import _relation

    assert _relation(task, clause) == relation
