"""Issue 18, items 3 and 6: bodies that no longer exist as the texts name them ([[succession]] in the
catalogue: the line under answers, lookups and exports; a question naming the new body read with the
old name too), and the facts of a stored document corrected afterwards (number, type, title,
issuer, dates, status: audited, kept across replacements), with the issuer's formal name read from
the header ("ỦY BAN NHÂN DÂN / TỈNH AN BÌNH").

Every document and catalogue below is SYNTHETIC (a made-up province "tỉnh An Bình", made-up
decisions and decrees numbered 998/2099, made-up bodies "Bộ Thử nghiệm" / "Bộ Mẫu Mới"), not law.
The 2025 changes are read from the repository's corpus/catalog.toml, where they are marked
"chưa đối chiếu văn bản"."""
from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from core.bodies import names_in
from core.errors import KbError
from ingest.catalog import CatalogError, load_catalog
from ingest.corrections import CorrectionError, check_correction
from ingest.document_parser import formal_issuer, parse_document_lines
from qa.question import Question
from qa.succession import UNVERIFIED, change_line, changes_named, notes_for, successors_named

REPO_CATALOG = Path(__file__).resolve().parent.parent / "corpus" / "catalog.toml"
KEY = "998/2099/QĐ-UBND"
TTTT_LINE = ("Từ 01/03/2025, chức năng quản lý nhà nước về báo chí, thông tin đối ngoại của Bộ Thông tin và Truyền "
             "thông do Bộ Văn hóa, Thể thao và Du lịch thực hiện (Nghị định 43/2025/NĐ-CP) (chưa đối chiếu văn bản).")
DISTRICT_LINE = ("Từ 01/07/2025, chính quyền địa phương có hai cấp (cấp tỉnh và cấp xã); không còn cấp huyện (Luật Tổ "
                 "chức chính quyền địa phương 2025; Nghị quyết 202/2025/QH15) (chưa đối chiếu văn bản).")


def synthetic_decision(header: tuple[str, ...] = ("ỦY BAN NHÂN DÂN", "TỈNH AN BÌNH"), version: int = 1,
                       number: str = KEY) -> list[str]:
    """A made-up provincial decision (SYNTHETIC) whose clauses name a ministry and a district body of
    before 2025; version 2 changes the deadline of Điều 2 khoản 1."""
    day = "15 tháng 12" if version == 1 else "01 tháng 12"
    return [*header, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", f"Số: {number}",
            "An Bình, ngày 15 tháng 3 năm 2099", "QUYẾT ĐỊNH", "VỀ VIỆC BÁO CÁO THỬ NGHIỆM MẪU",
            "Điều 1. Phạm vi điều chỉnh",
            "Quyết định mẫu này quy định việc báo cáo thử nghiệm mẫu, chỉ dùng để kiểm thử.",
            "Điều 2. Báo cáo thử nghiệm mẫu",
            f"1. Sở Mẫu gửi báo cáo thử nghiệm mẫu về Bộ Thông tin và Truyền thông trước ngày {day} hằng năm.",
            "2. Ủy ban nhân dân cấp huyện gửi báo cáo thử nghiệm mẫu về Sở Mẫu trước ngày 01 tháng 11 hằng năm.",
            "Điều 3. Kinh phí thử nghiệm", "Kinh phí thử nghiệm mẫu do ngân sách mẫu bảo đảm."]


def write_txt(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SYNTHETIC_CATALOG = """
# SYNTHETIC: a made-up decree renaming a made-up ministry
[[document]]
number = "998/2099/NĐ-CP"
type = "Nghị định"
title = "Đổi tên Bộ Thử nghiệm (thử nghiệm)"
issuer = "Chính phủ thử nghiệm"
text = "chưa có"

[[succession]]
change = "renamed"
former = "Bộ Thử nghiệm"
former_aliases = ["Bộ TN"]
successor = "Bộ Mẫu Mới"
successor_aliases = ["Bộ MM"]
instruments = ["998/2099/NĐ-CP"]
effective_from = "2099-01-01"
verified = false
"""


@pytest.fixture
def synthetic_catalog(tmp_path) -> Path:
    path = tmp_path / "catalog.toml"
    path.write_text(SYNTHETIC_CATALOG, encoding="utf-8")
    return path


# ---------------------------------------------------------------- names of bodies (core.bodies)

@pytest.mark.parametrize("text, expected", [
    # as written in a clause
    ("1. Sở Mẫu báo cáo Bộ Thông tin và Truyền thông.", ["Bộ Thông tin và Truyền thông"]),
    # a question typed without diacritics names it too
    ("bo thong tin va truyen thong nhan bao cao khi nao", ["Bộ Thông tin và Truyền thông"]),
    # the abbreviation, with its "&"
    ("gửi Bộ TT&TT", ["Bộ TT&TT"]),
    # the successor written without its comma, and with "hoá" for "hóa"
    ("Bộ Văn hoá Thể thao và Du lịch", ["Bộ Văn hóa, Thể thao và Du lịch"]),
    # a provincial department of the same name is not the ministry
    ("Sở Thông tin và Truyền thông tỉnh An Bình", []),
    # "bổ" (to add) is not "Bộ": the ambiguous folded word must be written as the body's word
    ("bổ thông tin và truyền thông cho báo", []),
])
def test_names_in_reads_names_of_bodies_on_folded_words(text, expected):
    names = ("Bộ Thông tin và Truyền thông", "Bộ TT&TT", "Bộ Văn hóa, Thể thao và Du lịch")
    assert names_in(text, names) == expected


# ---------------------------------------------------------------- the catalogue section

def test_the_2025_changes_are_catalogued_unverified_with_their_instruments():
    cat = load_catalog(REPO_CATALOG)
    assert len(cat.successions) >= 3 and not any(s.verified for s in cat.successions)
    lines = [change_line(s, cat) for s in cat.successions]
    assert TTTT_LINE in lines and DISTRICT_LINE in lines
    assert ("Bộ Thông tin và Truyền thông hợp nhất vào Bộ Khoa học và Công nghệ (Nghị quyết 176/2025/QH15) "
            f"{UNVERIFIED}.") in lines
    # each instrument is catalogued although its text is missing, and the document list says what it changed
    from qa.catalog_view import document_list

    rows = {d.key: d for d in document_list([], cat)}
    for key in ("43/2025/NĐ-CP", "176/2025/QH15", "202/2025/QH15", "luật tổ chức chính quyền địa phương"):
        assert rows[key].status == "missing" and "Chưa đối chiếu văn bản" in rows[key].note, key
    assert f"Thay đổi cơ quan: {TTTT_LINE}" in rows["43/2025/NĐ-CP"].relations


@pytest.mark.parametrize("entry, reason", [
    # a key the section does not know
    ('change = "renamed"\nformer = "Bộ A"\nsuccessor = "Bộ B"\ninstruments = ["998/2099/NĐ-CP"]\nwhen = 1', "khoá lạ"),
    # a change type outside the list
    ('change = "moved"\nformer = "Bộ A"\nsuccessor = "Bộ B"\ninstruments = ["998/2099/NĐ-CP"]', "change"),
    # both a named body and a level
    ('change = "abolished"\nformer = "Bộ A"\nformer_level = "district"\ninstruments = ["998/2099/NĐ-CP"]', "đúng một"),
    # a level core.bodies does not have
    ('change = "abolished"\nformer_level = "hamlet"\ninstruments = ["998/2099/NĐ-CP"]', "former_level"),
    # a merger into nobody
    ('change = "merged"\nformer = "Bộ A"\ninstruments = ["998/2099/NĐ-CP"]', "successor"),
    # functions moved, but which ones is not said
    ('change = "transferred"\nformer = "Bộ A"\nsuccessor = "Bộ B"\ninstruments = ["998/2099/NĐ-CP"]', "functions"),
    # an instrument that is not a catalogued document
    ('change = "renamed"\nformer = "Bộ A"\nsuccessor = "Bộ B"\ninstruments = ["997/2099/NĐ-CP"]', "chưa có trong danh mục"),
    # a date that is not a date
    ('change = "renamed"\nformer = "Bộ A"\nsuccessor = "Bộ B"\ninstruments = ["998/2099/NĐ-CP"]\n'
     'effective_from = "mùng 1"', "effective_from"),
    # verified must be a boolean, not the word
    ('change = "renamed"\nformer = "Bộ A"\nsuccessor = "Bộ B"\ninstruments = ["998/2099/NĐ-CP"]\nverified = "có"',
     "verified"),
    # no instrument at all
    ('change = "renamed"\nformer = "Bộ A"\nsuccessor = "Bộ B"', "instruments"),
])
def test_a_wrong_succession_entry_is_refused_naming_the_file_and_the_reason(tmp_path, entry, reason):
    doc = SYNTHETIC_CATALOG.split("[[succession]]")[0]
    path = tmp_path / "catalog.toml"
    path.write_text(f"{doc}\n[[succession]]\n{entry}\n", encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        load_catalog(path)
    assert str(path) in str(err.value) and reason in str(err.value)


@pytest.mark.parametrize("text, as_of, named", [
    # the former name in a clause
    ("Bộ Thử nghiệm chủ trì.", None, True),
    # its alias
    ("Bộ TN chủ trì.", None, True),
    # on a date before the change, the text named the body of its day
    ("Bộ Thử nghiệm chủ trì.", "2098-12-31", False),
    # from the day of the change
    ("Bộ Thử nghiệm chủ trì.", "2099-01-01", True),
    # the new name is not the former one
    ("Bộ Mẫu Mới chủ trì.", None, False),
])
def test_changes_named_by_a_text(synthetic_catalog, text, as_of, named):
    cat = load_catalog(synthetic_catalog)
    assert bool(changes_named(text, cat.successions, as_of)) is named


def test_lines_of_each_kind_of_change(synthetic_catalog):
    from dataclasses import replace

    cat = load_catalog(synthetic_catalog)
    s = cat.successions[0]
    cases = [
        # renamed, dated, not checked against the text
        (s, "Từ 01/01/2099, Bộ Thử nghiệm đổi tên thành Bộ Mẫu Mới (Nghị định 998/2099/NĐ-CP) (chưa đối chiếu văn bản)."),
        # checked: no mark; no date: the statement opens the line
        (replace(s, change="merged", effective_from="", verified=True),
         "Bộ Thử nghiệm hợp nhất vào Bộ Mẫu Mới (Nghị định 998/2099/NĐ-CP)."),
        # functions moved
        (replace(s, change="transferred", functions="thử nghiệm mẫu"),
         "Từ 01/01/2099, chức năng thử nghiệm mẫu của Bộ Thử nghiệm do Bộ Mẫu Mới thực hiện (Nghị định 998/2099/NĐ-CP) "
         "(chưa đối chiếu văn bản)."),
        # a level abolished, said in the entry's own words
        (replace(s, change="abolished", former="", former_level="district", statement="không còn cấp huyện thử nghiệm"),
         "Từ 01/01/2099, không còn cấp huyện thử nghiệm (Nghị định 998/2099/NĐ-CP) (chưa đối chiếu văn bản)."),
    ]
    for entry, line in cases:
        assert change_line(entry, cat) == line
    # one line per change, once, whichever of the texts names it
    assert notes_for(["Bộ Thử nghiệm chủ trì.", "Bộ TN phối hợp."], cat) == [cases[0][1]]


# ---------------------------------------------------------------- the question read with the former name

def test_a_question_naming_the_new_body_is_searched_with_the_former_name(synthetic_catalog):
    cat = load_catalog(synthetic_catalog)
    q = Question.parse("Bộ Mẫu Mới nhận báo cáo khi nào?", successions=cat.successions)
    assert q.search_text.endswith(" Bộ Thử nghiệm") and q.read_as == (cat.successions[0],)
    assert q.text == "Bộ Mẫu Mới nhận báo cáo khi nào?"  # what was asked is kept as asked
    # typed without diacritics: still read as such (the folded index), though the name appended has them
    q = Question.parse("bo mm nhan bao cao khi nao", successions=cat.successions)
    assert q.unaccented and q.read_as and "Bộ Thử nghiệm" in q.search_text
    # naming both, or neither: nothing added
    assert not Question.parse("Bộ Mẫu Mới và Bộ Thử nghiệm", successions=cat.successions).read_as
    assert Question.parse("Sở Mẫu báo cáo khi nào?", successions=cat.successions).search_text == "Sở Mẫu báo cáo khi nào?"
    assert successors_named("Bộ Mẫu Mới", cat.successions) == [cat.successions[0]]


@pytest.mark.parametrize("question, expanded", [
    # about a function that moved (the entry's "thông tin đối ngoại"): the former body's provisions
    ("Bộ Văn hóa, Thể thao và Du lịch hướng dẫn thông tin đối ngoại thế nào?", True),
    # the same, abbreviated as officials type it
    ("bo vhttdl huong dan ttdn the nao", True),
    # about the ministry's own provisions (it existed before): read as asked
    ("Bộ Văn hóa, Thể thao và Du lịch quản lý, cấp phép những hoạt động thông tin nào?", False),
])
def test_a_transfer_of_some_functions_expands_only_questions_about_them(question, expanded):
    real = load_catalog(REPO_CATALOG)
    got = [s.successor for s in successors_named(question, real.successions)]
    assert ("Bộ Văn hóa, Thể thao và Du lịch" in got) == expanded, got


# ---------------------------------------------------------------- end to end: answers, lookups, exports

def test_an_answer_quoting_a_former_body_says_who_does_it_now(fake_kb, tmp_path):
    kb = fake_kb(write_txt(tmp_path / "qd998.txt", synthetic_decision()))
    ans = kb.ask("Sở Mẫu gửi báo cáo thử nghiệm mẫu về cơ quan nào?")
    assert ans.citations and "Bộ Thông tin và Truyền thông" in ans.citations[0].quote
    assert TTTT_LINE in ans.warnings
    # the district body in the other quoted clause: the two-level line, once
    ans = kb.ask("Ủy ban nhân dân cấp huyện gửi báo cáo thử nghiệm mẫu khi nào?")
    assert ans.citations[0].citation == f"Khoản 2 Điều 2 Quyết định {KEY}"
    assert ans.warnings.count(DISTRICT_LINE) == 1 and TTTT_LINE not in ans.warnings


def test_a_question_naming_the_new_ministry_finds_the_clause_written_for_the_old_one(fake_kb, tmp_path):
    kb = fake_kb(write_txt(tmp_path / "qd998.txt", synthetic_decision()))
    ans = kb.ask("Sở Mẫu gửi báo cáo thử nghiệm mẫu về thông tin đối ngoại cho Bộ VHTTDL khi nào?")
    assert ans.citations[0].citation == f"Khoản 1 Điều 2 Quyết định {KEY}"
    # said first: how the question was read, with the line (not repeated after it)
    assert ans.warnings[0].startswith("Câu hỏi nêu Bộ Văn hóa, Thể thao và Du lịch; đã tìm cả các quy định ghi tên "
                                      "Bộ Thông tin và Truyền thông: từ 01/03/2025, chức năng")
    assert TTTT_LINE not in ans.warnings and ans.warnings[0].endswith(f"{UNVERIFIED}.")


def test_a_renamed_body_through_a_synthetic_catalogue(fake_kb, tmp_path, synthetic_catalog):
    lines = [l.replace("Bộ Thông tin và Truyền thông", "Bộ Thử nghiệm") for l in synthetic_decision()]
    kb = fake_kb(write_txt(tmp_path / "qd998.txt", lines), catalog=synthetic_catalog)
    ans = kb.ask("Sở Mẫu gửi báo cáo thử nghiệm mẫu về Bộ Mẫu Mới khi nào?")
    assert ans.citations[0].citation == f"Khoản 1 Điều 2 Quyết định {KEY}"
    assert ans.warnings[0].startswith("Câu hỏi nêu Bộ Mẫu Mới; đã tìm cả các quy định ghi tên Bộ Thử nghiệm: từ 01/01/2099")


def test_a_lookup_and_its_export_carry_the_line(fake_kb, tmp_path):
    from docx import Document

    from ui.export import ExportItem, clauses_docx

    kb = fake_kb(write_txt(tmp_path / "qd998.txt", synthetic_decision()))
    found = kb.lookup(f"khoản 1 Điều 2 Quyết định {KEY}")
    assert found.status == "found" and TTTT_LINE in found.notes
    other = kb.lookup(f"Điều 3 Quyết định {KEY}")
    assert other.status == "found" and not other.notes  # names no former body
    # the export is built as the app builds it (ui.app.export_docx): text, formal citation, notes
    data = clauses_docx([ExportItem(found.text, found.formal_citation, tuple(found.notes))])
    paragraphs = [p.text for p in Document(io.BytesIO(data)).paragraphs]
    assert paragraphs[-3:-1] == [found.formal_citation, f"Lưu ý: {TTTT_LINE}"]


# ---------------------------------------------------------------- the issuer's formal name (header)

@pytest.mark.parametrize("lines, issuer, warns", [
    # the body above its place, as a provincial header is set: joined
    (["ỦY BAN NHÂN DÂN", "TỈNH AN BÌNH"], "Ủy ban nhân dân tỉnh An Bình", False),
    # on one line, abbreviated
    (["UBND TỈNH AN BÌNH"], "Ủy ban nhân dân tỉnh An Bình", False),
    # the council of a district
    (["HỘI ĐỒNG NHÂN DÂN", "HUYỆN ĐÔNG AN"], "Hội đồng nhân dân huyện Đông An", False),
    # a hyphenated place name keeps each syllable capitalised
    (["ỦY BAN NHÂN DÂN", "THÀNH PHỐ BÌNH AN - ĐÔNG AN"], "Ủy ban nhân dân thành phố Bình An - Đông An", False),
    # only the place: kept as read, and staff are warned
    (["TỈNH AN BÌNH"], "TỈNH AN BÌNH", True),
    # a Party committee is not a place
    (["TỈNH ỦY AN BÌNH"], "TỈNH ỦY AN BÌNH", False),
    # a provincial department under its province: unchanged (the department issues)
    (["UBND TỈNH AN BÌNH", "SỞ MẪU"], "SỞ MẪU", False),
])
def test_formal_issuer_from_the_header(lines, issuer, warns):
    got, warning = formal_issuer(lines)
    assert got == issuer and bool(warning) is warns
    if warns:
        assert "TỈNH AN BÌNH" in warning and "Ủy ban nhân dân tỉnh An Bình" in warning


def test_the_formal_citation_of_an_uploaded_provincial_decision_names_the_committee(fake_kb, tmp_path):
    doc = parse_document_lines(synthetic_decision())
    assert doc.issuer == "Ủy ban nhân dân tỉnh An Bình" and not doc.warnings
    kb = fake_kb(write_txt(tmp_path / "qd998.txt", synthetic_decision()))
    assert kb.lookup(f"khoản 1 Điều 2 Quyết định {KEY}").formal_citation == (
        f"khoản 1 Điều 2 Quyết định số {KEY} ngày 15/3/2099 của Ủy ban nhân dân tỉnh An Bình")
    # a header with the place only: the preview warns before anything is stored
    [p] = kb.preview_file(str(write_txt(tmp_path / "place" / "qd998.txt", synthetic_decision(("TỈNH AN BÌNH",)))))
    assert p["issuer"] == "TỈNH AN BÌNH" and any("chỉ đọc được tên địa phương" in w for w in p["warnings"])


# ---------------------------------------------------------------- correcting a stored document

@pytest.mark.parametrize("fix, expected", [
    # dates typed as people write them are stored as ISO; blanks are not corrections
    ({"issued_on": "15/3/2099", "title": "  ", "issuer": " Ủy ban nhân dân  tỉnh An Bình "},
     {"issued_on": "2099-03-15", "issuer": "Ủy ban nhân dân tỉnh An Bình"}),
    # a status staff may set
    ({"status": "expired"}, {"status": "expired"}),
    # a date that does not exist
    ({"effective_from": "31/2/2099"}, CorrectionError),
    # a status staff may not set (the catalogue's to give)
    ({"status": "secondary"}, CorrectionError),
    # a field that cannot be corrected
    ({"source_path": "/etc/passwd"}, CorrectionError),
])
def test_check_correction(fix, expected):
    if expected is CorrectionError:
        with pytest.raises(CorrectionError):
            check_correction(fix)
    else:
        assert check_correction(fix) == expected


def _ingest_place_only(fake_kb, tmp_path):
    path = write_txt(tmp_path / "uploads" / "qd998.txt", synthetic_decision(("TỈNH AN BÌNH",)))
    return fake_kb(path), path


def test_a_stored_document_is_corrected_and_the_correction_is_recorded_and_kept(fake_kb, tmp_path):
    kb, path = _ingest_place_only(fake_kb, tmp_path)
    ref = f"khoản 1 Điều 2 Quyết định {KEY}"
    assert kb.lookup(ref).formal_citation.endswith("của TỈNH AN BÌNH")
    report = kb.correct_document(KEY, {"issuer": "Ủy ban nhân dân tỉnh An Bình", "effective_from": "01/4/2099",
                                       "status": "in_force", "title": "Về việc báo cáo thử nghiệm mẫu"}, by="phapche")
    # the title given is the one stored: not a change, not recorded
    assert report["corrected"] == {"issuer": "Ủy ban nhân dân tỉnh An Bình", "effective_from": "2099-04-01",
                                   "status": "in_force"}
    row = kb.store.registry.document(KEY)
    assert (row.issuer, row.effective_from, row.status) == ("Ủy ban nhân dân tỉnh An Bình", "2099-04-01", "in_force")
    # the citations of its clauses follow (node metadata rebuilt)
    assert kb.lookup(ref).formal_citation.endswith("ngày 15/3/2099 của Ủy ban nhân dân tỉnh An Bình")
    hit = kb.clause(kb.lookup(ref).hits[0].node_id)
    assert hit.issuer == "Ủy ban nhân dân tỉnh An Bình" and hit.effective_from == "2099-04-01"
    # who and when, shown with the document
    lines = kb.document_tree(KEY).corrections
    assert any(l.startswith("Cơ quan ban hành: “Ủy ban nhân dân tỉnh An Bình” (bản đọc được: “TỈNH AN BÌNH”; phapche, ")
               for l in lines), lines
    assert any(l.startswith("Tình trạng hiệu lực: “Còn hiệu lực” (bản đọc được không ghi; phapche") for l in lines)
    stored = kb.store.registry.corrections(KEY)
    assert stored["issuer"]["by"] == "phapche" and abs(stored["issuer"]["at"] - time.time()) < 3600
    # a new version of the document (another file, same header): the corrections come back, still hers
    v2 = write_txt(tmp_path / "v2" / "qd998-moi.txt", synthetic_decision(("TỈNH AN BÌNH",), version=2))
    [p] = kb.preview_file(str(v2))
    assert p["issuer"] == "Ủy ban nhân dân tỉnh An Bình" and p["kept_corrections"]["status"] == "in_force"
    assert kb.store.ingest([str(v2)], replace=[KEY], user="canbo2").documents == 1
    row = kb.store.registry.document(KEY)
    assert (row.issuer, row.effective_from, row.status) == ("Ủy ban nhân dân tỉnh An Bình", "2099-04-01", "in_force")
    assert "01 tháng 12" in kb.lookup(ref).text
    assert kb.store.registry.corrections(KEY)["issuer"]["by"] == "phapche"


def test_a_corrected_number_moves_the_document(fake_kb, tmp_path):
    kb, _ = _ingest_place_only(fake_kb, tmp_path)
    kb.correct_document(KEY, {"number": "997/2099/QĐ-UBND"}, by="phapche")
    keys = {d.key for d in kb.documents() if d.ready}
    assert "997/2099/QĐ-UBND" in keys and KEY not in keys
    assert kb.lookup("khoản 1 Điều 2 Quyết định 997/2099/QĐ-UBND").status == "found"


def test_a_status_correction_wins_over_the_catalogue(fake_kb, tmp_path, synthetic_catalog):
    """The catalogue fills gaps; a status staff set is theirs (the catalogue would otherwise put its own back)."""
    catalog = tmp_path / "cat.toml"
    catalog.write_text(synthetic_catalog.read_text(encoding="utf-8") + f"""
[[document]]
number = "{KEY}"
type = "Quyết định"
title = "Về việc báo cáo thử nghiệm mẫu"
status = "in_force"
""", encoding="utf-8")
    kb = fake_kb(write_txt(tmp_path / "qd998.txt", synthetic_decision()), catalog=catalog)
    assert kb.store.registry.document(KEY).status == "in_force"
    kb.correct_document(KEY, {"status": "expired"}, by="phapche")
    assert kb.store.registry.document(KEY).status == "expired"


def test_a_correction_set_back_to_what_the_file_says_is_forgotten(fake_kb, tmp_path):
    kb, _ = _ingest_place_only(fake_kb, tmp_path)
    kb.correct_document(KEY, {"issuer": "Ủy ban nhân dân tỉnh An Bình"}, by="phapche")
    kb.correct_document(KEY, {"issuer": "TỈNH AN BÌNH"}, by="phapche")
    assert kb.store.registry.corrections(KEY) == {} and kb.document_tree(KEY).corrections == []
    assert kb.store.registry.document(KEY).issuer == "TỈNH AN BÌNH"


@pytest.mark.parametrize("fix, message", [
    # not a date
    ({"issued_on": "ngày rằm"}, "Ngày ban hành"),
    # the same facts as stored: nothing to do
    ({"issuer": "TỈNH AN BÌNH"}, "không có gì thay đổi"),
    # a document that is not stored
    (None, "Không có văn bản"),
])
def test_a_refused_correction_changes_nothing(fake_kb, tmp_path, fix, message):
    kb, _ = _ingest_place_only(fake_kb, tmp_path)
    generation = kb.store.registry.generation()
    with pytest.raises(CorrectionError, match=message):
        if fix is None:
            kb.correct_document("996/2099/QĐ-UBND", {"issuer": "Ủy ban nhân dân tỉnh An Bình"})
        else:
            kb.correct_document(KEY, fix)
    assert kb.store.registry.generation() == generation and kb.store.registry.corrections(KEY) == {}


def test_a_source_file_changed_since_it_was_stored_is_not_read_under_the_correction(fake_kb, tmp_path):
    kb, path = _ingest_place_only(fake_kb, tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("hằng năm", "hằng quý"), encoding="utf-8")
    generation = kb.store.registry.generation()
    with pytest.raises(CorrectionError, match="không còn như khi nạp"):
        kb.correct_document(KEY, {"issuer": "Ủy ban nhân dân tỉnh An Bình"})
    assert kb.store.registry.generation() == generation and kb.store.registry.document(KEY).issuer == "TỈNH AN BÌNH"


def test_the_staff_panel_corrects_and_audits(fake_kb, tmp_path):
    from core.settings import load_settings  # noqa: F401 - the App reads the kb's own settings
    from ui.app import App
    from ui.audit import read_audit
    from ui.auth import Session

    kb, _ = _ingest_place_only(fake_kb, tmp_path)
    app = App(kb.settings, kb)
    # without a legal-staff session: refused and recorded, nothing changed
    import gradio as gr

    with pytest.raises(gr.Error):
        app.correct_stored(KEY, KEY, "Quyết định", "", "Ủy ban nhân dân tỉnh An Bình", "", "", "", "", "", None, None)
    assert kb.store.registry.document(KEY).issuer == "TỈNH AN BÌNH"
    app._require_staff = lambda session, request, action, target="": Session("phapche", "legal_staff", "Thử", time.time())
    values = app.stored_fields(KEY, None, None)
    assert values[3] == "TỈNH AN BÌNH" and values[4] == "15/03/2099"
    out = app.correct_stored(KEY, *values[:3], "Ủy ban nhân dân tỉnh An Bình", *values[4:], None, None)
    assert "Đã sửa" in out[0] and "Cơ quan ban hành" in out[0]
    assert kb.store.registry.document(KEY).issuer == "Ủy ban nhân dân tỉnh An Bình"
    bad = app.correct_stored(KEY, *values[:4], "ngày rằm", *values[5:], None, None)
    assert "Ngày ban hành" in bad[0]
    records = [r for r in read_audit(kb.settings.audit_path).records if r["action"] in ("correct", "denied")]
    assert [(r["action"], r["outcome"]) for r in records] == [
        ("denied", "refused"), ("correct", "intent"), ("correct", "ok"), ("correct", "intent"), ("correct", "refused")]
    assert records[2]["detail"]["corrected"] == {"issuer": "Ủy ban nhân dân tỉnh An Bình"}
    assert records[2]["user"] == "phapche" and records[2]["target"] == KEY
    assert records[2]["detail"]["versions"] == {KEY: 2}  # the correction is the document's version 2


def test_kb_correct_on_the_command_line_is_audited(fake_kb, tmp_path, monkeypatch, capsys):
    from kb.cli import main
    from ui.audit import read_audit

    kb, _ = _ingest_place_only(fake_kb, tmp_path)
    monkeypatch.setenv("KB_EMBEDDING", "fake")
    home = str(kb.settings.home)
    assert main(["--home", home, "correct", KEY, "--issuer", "Ủy ban nhân dân tỉnh An Bình"]) == 0
    assert "Đã sửa" in capsys.readouterr().out
    assert main(["--home", home, "correct", KEY, "--status", "repealed_maybe"]) != 0
    assert "Tình trạng hiệu lực" in capsys.readouterr().err
    records = [r for r in read_audit(kb.settings.audit_path).records if r["action"] == "correct"]
    assert [r["outcome"] for r in records] == ["intent", "ok", "intent", "refused"]
    assert records[1]["detail"]["corrected"] == {"issuer": "Ủy ban nhân dân tỉnh An Bình"} and records[1]["client"] == "cli"
    assert records[1]["detail"]["versions"] == {KEY: 2}


# ---------------------------------------------------------------- corrections and the version history

def _versions(kb, key=KEY) -> list[tuple[int, bool]]:
    return [(v.version, v.current) for v in kb.versions(key)]


def test_a_correction_is_a_new_version_and_restoring_the_one_before_undoes_it(fake_kb, tmp_path):
    """A correction stores the document again from the same file with other facts: a version of its
    own (who corrected it, the same file SHA-256), never a rewrite of the version before."""
    kb, path = _ingest_place_only(fake_kb, tmp_path)
    assert _versions(kb) == [(1, True)]
    report = kb.correct_document(KEY, {"issuer": "Ủy ban nhân dân tỉnh An Bình"}, by="phapche")
    assert report["versions"] == {KEY: 2} and _versions(kb) == [(1, False), (2, True)]
    v1, v2 = kb.versions(KEY)
    assert v2.user == "phapche" and v2.sha256 == v1.sha256 and v2.content_sha != v1.content_sha
    # the same file given again is what is stored now (version 2): skipped, the correction stays
    again = kb.ingest_files([str(path)])
    assert again["documents"] == 0 and "(phiên bản 2)" in again["skipped"][0]["reason"]
    assert kb.store.registry.document(KEY).issuer == "Ủy ban nhân dân tỉnh An Bình"
    # restoring version 1 undoes the correction, including for the document's next file
    assert kb.restore_version(KEY, 1, user="phapche").status == "ingested"
    assert kb.store.registry.document(KEY).issuer == "TỈNH AN BÌNH"
    assert kb.store.registry.corrections(KEY) == {} and kb.document_tree(KEY).corrections == []
    # the same correction made again is version 2 again, not a copy
    assert kb.correct_document(KEY, {"issuer": "Ủy ban nhân dân tỉnh An Bình"}, by="phapche")["versions"] == {KEY: 2}
    assert _versions(kb) == [(1, False), (2, True)]
    kb.restore_version(KEY, 1)
    v2file = write_txt(tmp_path / "v2" / "qd998-moi.txt", synthetic_decision(("TỈNH AN BÌNH",), version=2))
    assert kb.store.ingest([str(v2file)], replace=[KEY], user="canbo2").documents == 1
    assert kb.store.registry.document(KEY).issuer == "TỈNH AN BÌNH" and _versions(kb)[-1] == (3, True)
    # and restoring the corrected version brings its correction back, still hers
    kb.restore_version(KEY, 2)
    assert kb.store.registry.document(KEY).issuer == "Ủy ban nhân dân tỉnh An Bình"
    assert kb.store.registry.corrections(KEY)["issuer"]["by"] == "phapche"


def test_a_corrected_number_takes_the_version_history_with_it(fake_kb, tmp_path):
    kb, _ = _ingest_place_only(fake_kb, tmp_path)
    moved = "997/2099/QĐ-UBND"
    assert kb.correct_document(KEY, {"number": moved}, by="phapche")["versions"] == {moved: 2}
    assert _versions(kb, moved) == [(1, False), (2, True)] and _versions(kb, KEY) == []
    # version 1 has the number as read: restoring it would renumber the document, so it is refused
    generation = kb.store.registry.generation()
    with pytest.raises(KbError, match="trước khi số hiệu được sửa"):
        kb.restore_version(moved, 1)
    assert kb.store.registry.generation() == generation
    assert {d.key for d in kb.documents() if d.ready} >= {moved} and KEY not in {d.key for d in kb.documents() if d.ready}
    # the number set back: the history comes back, and the document is its version 1 again
    kb.correct_document(moved, {"number": KEY}, by="phapche")
    assert _versions(kb, KEY) == [(1, True), (2, False)] and _versions(kb, moved) == []
