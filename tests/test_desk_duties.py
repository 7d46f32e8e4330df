"""Ai phải làm gì (qa/desk): who a clause makes act, the duty rows of a body, the units in force on a
date, the exports an office works from (opened again with python-docx, openpyxl and icalendar), the
`kb duties` / `kb deadlines` commands and the “Bàn làm việc” tab. Every document here is SYNTHETIC
(made-up decrees 998/2099 and 997/2099, made-up duties of real kinds of body), never law text; the
last test reads the real đề mục 32.1 and is marked slow."""
from __future__ import annotations

import datetime as dt
import io
import json
from contextlib import contextmanager
from pathlib import Path

import pytest
from docx import Document

from core.bodies import bodies_in, body_mentions, desk_kind
from ingest.model import Article, Clause, Point
from ingest.registry import DocumentRow
from qa.desk.duties import all_duties, duties, role_of
from qa.desk.deadlines import document_deadlines
from ingest.structure import clause_tail
from qa.desk.reading import readings, title_bodies
from qa.desk.source import DeskDocument, in_force
from qa.desk.view import build_view

NAME = "Nghị định 998/2099/NĐ-CP"


def doc(*units: Article, key="998/2099/NĐ-CP", name=NAME) -> DeskDocument:
    return DeskDocument(key=key, name=name, number=key, doc_type="Nghị định", issued_on="2099-01-02",
                        issuer="Chính phủ thử nghiệm", units=tuple(units), as_of="2099-06-01")


# ---------------------------------------------------------------- the taxonomy, as the desk reads it

@pytest.mark.parametrize("text,kinds", [
    # a named Bộ, a provincial People's Committee, the press
    ("Bộ Ngoại giao, Ủy ban nhân dân cấp tỉnh và cơ quan báo chí thử", ["mofa", "province", "press"]),
    # the press's owner and its head are not the press; foreign press is not the press
    ("Cơ quan chủ quản báo chí, người đứng đầu cơ quan báo chí, cơ quan báo chí nước ngoài",
     ["press_owner", "press_head", "foreign_press"]),
    # Vietnam's mission abroad is not a foreign mission in Vietnam
    ("cơ quan đại diện Việt Nam ở nước ngoài và cơ quan đại diện nước ngoài", ["mission", "foreign_mission"]),
    # a department of the Bộ Thông tin và Truyền thông acts for it; a Sở is a provincial department
    ("Cục Báo chí và Sở Thông tin và Truyền thông", ["mic", "department"]),
    # a bare "tỉnh" is a place to the desk; "nội bộ", "bổ sung" are not a Bộ
    ("văn phòng đặt tại tỉnh, thành phố trực thuộc trung ương; hoạt động nội bộ; bổ sung", []),
    # the ministers and the chairman stand for their bodies
    ("Các Bộ trưởng, Thủ trưởng cơ quan ngang Bộ, Chủ tịch Ủy ban nhân dân tỉnh, thành phố trực thuộc Trung ương",
     ["ministry", "ministry", "province"]),
])
def test_body_mentions(text, kinds):
    assert [m.kind for m in body_mentions(text)] == kinds


def test_questions_still_read_the_coarse_kinds():
    """The finer kinds are the desk's: bodies_in (questions, scopes, ranker features) is unchanged."""
    assert bodies_in("Bộ Ngoại giao và cơ quan báo chí phải làm gì?") == ["ministry"]
    assert bodies_in("Sở Y tế chúng tôi") == ["department"]


@pytest.mark.parametrize("name,kind", [("UBND tỉnh", "province"), ("Bộ TTTT", "mic"), ("cơ quan báo chí", "press"),
                                       ("người phát ngôn", "spokesperson"), ("mofa", "mofa"), ("Sở", "department"),
                                       ("xyz", None)])
def test_desk_kind_from_what_an_official_types(name, kind):
    assert desk_kind(name) == kind


# ---------------------------------------------------------------- who acts

@pytest.mark.parametrize("text,subjects", [
    # the subject after an adverbial of time
    ("2. Trong thời hạn 30 ngày kể từ ngày nhận hồ sơ thử, Bộ Thông tin và Truyền thông, Ủy ban nhân dân cấp tỉnh "
     "có trách nhiệm cấp giấy thử.", [("mic", "province")]),
    # a body after "gửi" is a counterpart
    ("Cơ quan, tổ chức thử gửi hồ sơ đến Ủy ban nhân dân cấp tỉnh.", []),
    # a scope phrase between the subject and its action
    ("Ủy ban nhân dân cấp tỉnh trong phạm vi nhiệm vụ, quyền hạn của mình có trách nhiệm quản lý việc thử.",
     [("province",)]),
    # the agent of a closing passive
    ("Hồ sơ, thủ tục thử do Bộ trưởng Bộ Thông tin và Truyền thông quy định.", [("mic",)]),
    # …but not "theo mẫu do … quy định" in a list of papers
    ("a) Đơn đề nghị thử theo mẫu do Bộ Thông tin và Truyền thông quy định;", []),
    # an enumeration after "của" is no subject, even after a comma
    ("Kinh phí thử của các Bộ, cơ quan ngang Bộ, Ủy ban nhân dân cấp tỉnh được bảo đảm từ ngân sách mẫu.", []),
    # a new phrase after an adverbial's body is
    ("Khi nhận được đề nghị của Bộ Thông tin và Truyền thông, các Bộ có trách nhiệm cung cấp tài liệu thử.",
     [("ministry",)]),
    # a condition ending in "thì"
    ("Trường hợp tạm ngừng quá thời hạn thử thì Bộ Thông tin và Truyền thông ra quyết định thu hồi.", [("mic",)]),
    # what the subject needs is not what it must do
    ("Cơ quan báo chí có đủ điều kiện nếu có nhu cầu thực hiện thêm việc thử thì cơ quan chủ quản báo chí gửi hồ sơ.",
     [("press_owner",)]),
    # a body in brackets qualifies the one before it: the subject is still found
    ("Trong thời hạn thử, Bộ Thông tin và Truyền thông (Cục Báo chí) có văn bản thông báo cho đơn vị mẫu.", [("mic",)]),
    # a verb no list names, right after the opening body (pyvi's part of speech)
    ("Hằng năm, Bộ Thông tin và Truyền thông xét chọn hồ sơ thử vào hai đợt.", [("mic",)]),
    # …and a subject with a relative clause before its "phải"
    ("Cơ quan báo chí thay đổi nội dung thử theo quy định tại khoản 1 Điều 9 phải gửi thông báo.", [("press",)]),
    # …but "có đủ điều kiện" is a condition, and a body listed after a colon does not act
    ("Cơ quan báo chí có đủ điều kiện thử.", []),
    ("Trong đơn thử cần ghi rõ: mục đích, cơ quan báo chí dự kiến đăng tin thử.", []),
    # …nor does a body that belongs to another, or one a sanction befalls
    ("1. Cục Báo chí thuộc Bộ Thông tin và Truyền thông.", []),
    ("Cơ quan báo chí bị thu hồi giấy thử khi đăng tin thử sai.", []),
    # "Kết thúc thời hạn …," is an adverbial: the subject follows it
    ("Kết thúc thời hạn nộp hồ sơ thử, đơn vị mẫu không nộp, Bộ Thông tin và Truyền thông chấm dứt việc thử.",
     [("mic",)]),
    # a scope phrase written with a comma after "phạm vi", and "các" before the persons concerned
    ("Các Bộ, Ủy ban nhân dân cấp tỉnh trong phạm vi, nhiệm vụ, quyền hạn của mình và các tổ chức có liên quan "
     "có trách nhiệm phối hợp thử.", [("ministry", "province")]),
])
def test_subjects(text, subjects):
    assert [tuple(dict.fromkeys(m.kind for m in r.subjects)) for r in readings(text)] == subjects


@pytest.mark.parametrize("title,kinds", [
    ("Trách nhiệm của Ủy ban nhân dân các tỉnh, thành phố trực thuộc Trung ương", ("province",)),
    ("Các Bộ, cơ quan ngang Bộ, cơ quan thuộc Chính phủ, Ủy ban nhân dân cấp tỉnh", ("ministry", "province")),
    ("Quyền và trách nhiệm của báo chí đối ngoại", ("press",)),
    ("Đối với báo chí đối ngoại", ("press",)),
    ("Cơ quan thường trú các cơ quan thông tấn, báo chí Việt Nam ở nước ngoài", ()),  # another body
    ("Hồ sơ thử", ()),
])
def test_title_bodies(title, kinds):
    assert title_bodies(title) == kinds


@pytest.mark.parametrize("predicate,role", [
    ("chủ trì, phối hợp với Bộ Mẫu xây dựng đề án thử", "chủ trì"),
    ("có trách nhiệm phối hợp với Bộ Mẫu", "phối hợp"),
    ("có trách nhiệm định kỳ báo cáo Bộ Mẫu về việc thử", "báo cáo"),
    ("có quyền không chấp thuận buổi thử", "được"),
    ("không được kiêm nhiệm chức vụ thử", "không được"),
    ("phải thông báo bằng văn bản", "phải"),
])
def test_roles(predicate, role):
    assert role_of(predicate) == role


SYNTHETIC = doc(
    Article("1", "Ủy ban nhân dân cấp tỉnh", clauses=[  # titled: each action is the province's duty
        Clause("1", "1. Chủ trì, phối hợp với Bộ Thông tin và Truyền thông tổ chức ngày thử."),
        Clause("2", "2. Hằng năm xây dựng kế hoạch thử, gửi báo cáo về Bộ Thông tin và Truyền thông."),
        Clause("3", "3. Cơ quan báo chí địa phương có trách nhiệm đăng tin thử."),  # its own subject
        Clause("4", "4. Chính phủ thử nghiệm thống nhất quản lý việc thử."),  # another subject, not a body kind
    ]),
    Article("2", "Trách nhiệm thử", clauses=[
        Clause("1", "1. Cơ quan báo chí có những nhiệm vụ sau đây:", points=[  # a list of duties: each point
            Point("a", "a) Đăng tin thử đúng hạn;"), Point("b", "b) Khuyến khích mở chuyên mục thử;")]),
        Clause("2", "2. Cơ quan báo chí phải ghi đầy đủ các thông tin sau đây:", points=[  # contents: one row
            Point("a", "a) Tên bản tin thử;"), Point("b", "b) Ngày phát hành thử.")]),
        Clause("3", "3. Các Bộ, cơ quan ngang Bộ có trách nhiệm cung cấp số liệu thử."),
        Clause("4", "4. Cơ quan, tổ chức thử gửi hồ sơ đến Ủy ban nhân dân cấp tỉnh."),
    ]),
    Article("3", "Đối với cơ quan báo chí", intro="Khi đăng tin thử, khuyến khích:", clauses=[  # encouraged only
        Clause("1", "1. Đăng tin thử ở vị trí dễ thấy.")]),
)


def test_duty_rows_of_each_body():
    rows = {(d.body, d.citation): d for d in all_duties([SYNTHETIC])}
    c = lambda unit: f"{unit} {NAME}"  # noqa: E731
    assert {cit for body, cit in rows if body == "province"} == {c("Khoản 1 Điều 1"), c("Khoản 2 Điều 1")}
    assert {cit for body, cit in rows if body == "press"} == {
        c("Khoản 3 Điều 1"), c("Điểm a Khoản 1 Điều 2"), c("Khoản 2 Điều 2")}
    first = rows[("province", c("Khoản 1 Điều 1"))]
    assert first.role == "chủ trì" and first.how == "title" and first.counterparts == ("Bộ Thông tin và Truyền thông",)
    assert rows[("province", c("Khoản 2 Điều 1"))].role == "báo cáo"
    point = rows[("press", c("Điểm a Khoản 1 Điều 2"))]
    assert point.context == "1. Cơ quan báo chí có những nhiệm vụ sau đây:" and point.quote == "a) Đăng tin thử đúng hạn;"
    # the contents clause is quoted whole, points included, verbatim
    assert rows[("press", c("Khoản 2 Điều 2"))].quote == SYNTHETIC.units[1].clauses[1].full_text
    assert rows[("ministry", c("Khoản 3 Điều 2"))].formal_citation.startswith("khoản 3 Điều 2 Nghị định số 998/2099/NĐ-CP")


def test_a_named_bo_bears_what_is_laid_on_all_bo():
    own = duties([SYNTHETIC], "mic", general=False)
    assert own == []
    general = duties([SYNTHETIC], "mic")
    assert [(d.citation, d.via) for d in general] == [(f"Khoản 3 Điều 2 {NAME}", "ministry")]


def test_a_body_is_read_only_where_it_is_named():
    """A body's rows come from the articles naming it (or a kind it bears): the same rows as reading
    everything, without reading what cannot hold them."""
    from core.bodies import mention_filter
    from qa.desk.duties import duties_of, names_any

    assert not mention_filter(frozenset({"province"})).search("văn phòng đặt tại tỉnh, thành phố")
    assert mention_filter(frozenset({"molisa"})).search("bộ lao động – thương binh và xã hội")
    assert not names_any(SYNTHETIC.units[2], {"province"}) and names_any(SYNTHETIC.units[0], {"province"})
    view = build_view([SYNTHETIC], "2099-06-01")
    for body in ("province", "press", "mic", "ministry"):
        assert view.duties_of(body) == duties_of(all_duties([SYNTHETIC]), body)


# ---------------------------------------------------------------- in force on a date

def test_in_force_is_one_test_of_dates_and_status():
    row = DocumentRow(key="k", effective_from="2099-03-01", status="")
    assert not in_force(row, None, "2099-02-28") and in_force(row, None, "2099-03-01")
    later = Article("9", "Thử", effective_from="2099-09-01")
    assert in_force(row, None, "2099-06-01") and not in_force(row, later, "2099-06-01")
    assert not in_force(DocumentRow(key="k", status="secondary"), None, "2099-06-01")
    assert not in_force(DocumentRow(key="k", status="expired"), None, "2099-06-01")


def decree_lines(number: str, effective: str, duty: str) -> list[str]:
    """A made-up decree (SYNTHETIC) as a TXT file's lines."""
    return ["CHÍNH PHỦ THỬ NGHIỆM", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
            f"Số: {number}", "Hà Nội, ngày 07 tháng 9 năm 2098", "NGHỊ ĐỊNH", "VỀ VIỆC THỬ NGHIỆM",
            "Điều 1. Trách nhiệm của Ủy ban nhân dân cấp tỉnh", f"1. {duty}",
            "2. Định kỳ trước ngày 20 tháng 10 hằng năm gửi báo cáo thử về Bộ Thông tin và Truyền thông.",
            "Điều 2. Hiệu lực thi hành", f"Nghị định mẫu này có hiệu lực thi hành kể từ ngày {effective}."]


@pytest.fixture
def desk_kb(fake_kb, tmp_path):
    (tmp_path / "a.txt").write_text("\n".join(decree_lines("998/2099/NĐ-CP", "01/01/2099",
                                                           "Chủ trì tổ chức ngày thử <script>x</script>.")), "utf-8")
    (tmp_path / "b.txt").write_text("\n".join(decree_lines("997/2099/NĐ-CP", "01/01/2100",
                                                           "Phối hợp tổ chức ngày thử sau.")), "utf-8")
    return fake_kb(tmp_path / "a.txt", tmp_path / "b.txt")


def test_the_service_reads_the_units_in_force_on_the_date(desk_kb):
    before = desk_kb.desk("2098-12-31")
    assert before.duties_of("province") == []
    view = desk_kb.desk("2099-06-01")
    assert [d.citation for d in view.duties_of("province")] == [
        "Khoản 1 Điều 1 Nghị định 998/2099/NĐ-CP", "Khoản 2 Điều 1 Nghị định 998/2099/NĐ-CP"]
    assert desk_kb.desk("2099-06-01") is view  # one view per registry generation and date
    later = desk_kb.desk("2100-06-01")
    assert len(later.duties_of("province")) == 4 and later.documents == 2
    assert [d.limit.describe() for d in view.deadlines_of("province")] == ["trước ngày 20/10 hằng năm"]


# ---------------------------------------------------------------- the exports

def synthetic_view():
    return build_view([SYNTHETIC, doc(Article("1", "Ủy ban nhân dân cấp tỉnh", clauses=[
        Clause("1", "1. Định kỳ 6 tháng gửi báo cáo thử về Bộ Thông tin và Truyền thông trước ngày 10/7 hằng năm."),
        Clause("2", "2. Hằng quý tổng hợp số liệu thử."),
        Clause("3", "3. Trong thời hạn 05 ngày làm việc kể từ ngày nhận hồ sơ thử, trả lời bằng văn bản."),
    ]), key="997/2099/NĐ-CP", name="Nghị định 997/2099/NĐ-CP")], "2099-06-01")


def test_docx_checklist_holds_each_duty_verbatim_with_its_citation():
    from ui.desk_export import CHECK, duties_docx

    view = synthetic_view()
    rows = view.duties_of("province")
    document = Document(io.BytesIO(duties_docx(rows, "province", view.as_of)))
    assert "Ủy ban nhân dân cấp tỉnh" in document.paragraphs[0].text
    [table] = document.tables
    body = table.rows[1:]
    assert len(body) == len(rows)
    for row, duty in zip(body, rows):
        cells = [c.text for c in row.cells]
        assert duty.quote in cells[2] and cells[1] == duty.role and cells[5] == CHECK
        assert duty.formal_citation in cells[4]


def test_xlsx_has_the_duties_and_the_deadlines():
    from openpyxl import load_workbook

    from ui.desk_export import duties_xlsx

    view = synthetic_view()
    rows, limits = view.duties_of("province"), view.deadlines_of("province")
    wb = load_workbook(io.BytesIO(duties_xlsx(rows, "province", view.as_of, limits)))
    duty_sheet, limit_sheet = wb["Nhiệm vụ"], wb["Thời hạn"]
    assert duty_sheet.cell(3, 3).value.startswith("Nhiệm vụ, quyền hạn")
    assert [duty_sheet.cell(4 + i, 3).value for i in range(len(rows))] == [d.quote for d in rows]
    assert duty_sheet.freeze_panes == "A4" and duty_sheet.auto_filter.ref.startswith("A3:")
    assert [limit_sheet.cell(4 + i, 2).value for i in range(len(limits))] == [d.limit.describe() for d in limits]


def test_ics_places_dated_and_periodic_limits_and_lists_the_rest():
    from icalendar import Calendar

    from ui.desk_export import deadlines_ics

    limits = synthetic_view().deadlines_of("province")
    data, left = deadlines_ics(limits, "province", 2100)
    events = [e for e in Calendar.from_ical(data).walk("VEVENT")]
    days = sorted(e.decoded("dtstart") for e in events)
    # 10/7 from the dated report (its "định kỳ 6 tháng" is not placed twice), the ends of the four
    # quarters, and 31/12 for the yearly plan of the other decree
    assert days == [dt.date(2100, 3, 31), dt.date(2100, 6, 30), dt.date(2100, 7, 10), dt.date(2100, 9, 30),
                    dt.date(2100, 12, 31), dt.date(2100, 12, 31)]
    for e in events:  # each event carries its formal citation and the verbatim text
        description = str(e.get("description"))
        assert description.startswith("Căn cứ: khoản ") and "/2099/NĐ-CP ngày 02/01/2099" in description
        assert any(d.quote in description for d in limits)
    quarter = next(e for e in events if e.decoded("dtstart") == dt.date(2100, 3, 31))
    assert "Mốc cuối kỳ" in str(quarter.get("description"))
    # the relative limit is not on the calendar: it is returned to be listed with its trigger
    assert [d.trigger for d in left] == ["ngày nhận hồ sơ thử"]


# ---------------------------------------------------------------- the commands

def run_cli(monkeypatch, kb, *argv, capsys):
    from kb import cli

    monkeypatch.setenv("KB_HOME", str(kb.settings.home))
    monkeypatch.setenv("KB_EMBEDDING", "fake")
    code = cli.main(list(argv))
    return code, capsys.readouterr()


def test_kb_duties_json_and_exports(desk_kb, monkeypatch, capsys, tmp_path):
    code, out = run_cli(monkeypatch, desk_kb, "duties", "UBND tỉnh", "--as-of", "01/06/2099", "--json", capsys=capsys)
    assert code == 0
    data = json.loads(out.out)
    assert data["body"] == "province" and data["as_of"] == "2099-06-01"
    assert [d["citation"] for d in data["duties"]][0] == "Khoản 1 Điều 1 Nghị định 998/2099/NĐ-CP"
    assert data["duties"][0]["role"] == "chủ trì"
    code, out = run_cli(monkeypatch, desk_kb, "duties", "province", "--as-of", "2099-06-01",
                        "--docx", str(tmp_path / "a.docx"), "--xlsx", str(tmp_path / "a.xlsx"), capsys=capsys)
    assert code == 0 and (tmp_path / "a.docx").stat().st_size > 0 and (tmp_path / "a.xlsx").stat().st_size > 0


def test_kb_deadlines_listing_and_calendar(desk_kb, monkeypatch, capsys, tmp_path):
    from icalendar import Calendar

    code, out = run_cli(monkeypatch, desk_kb, "deadlines", "--body", "UBND tỉnh", "--as-of", "2099-06-01",
                        "--year", "2099", "--ics", str(tmp_path / "t.ics"), capsys=capsys)
    assert code == 0, out.err
    [event] = Calendar.from_ical((tmp_path / "t.ics").read_bytes()).walk("VEVENT")
    assert event.decoded("dtstart") == dt.date(2099, 10, 20)
    code, out = run_cli(monkeypatch, desk_kb, "deadlines", "--body", "province", "--as-of", "2099-06-01",
                        "--year", "2099", capsys=capsys)
    assert "trước ngày 20/10 hằng năm [20/10]" in out.out and "Khoản 2 Điều 1 Nghị định 998/2099/NĐ-CP" in out.out


def test_bad_input_says_what_to_do_and_writes_nothing(desk_kb, monkeypatch, capsys, tmp_path):
    code, out = run_cli(monkeypatch, desk_kb, "duties", "Hội thử nghiệm", capsys=capsys)
    assert code == 2 and "Không nhận ra cơ quan “Hội thử nghiệm”" in out.err and "province" in out.err
    code, out = run_cli(monkeypatch, desk_kb, "duties", "province", "--docx", str(tmp_path / "khong-co" / "a.docx"),
                        capsys=capsys)
    assert code == 2 and "không tồn tại" in out.err and not (tmp_path / "khong-co").exists()
    with pytest.raises(SystemExit):
        run_cli(monkeypatch, desk_kb, "deadlines", "--year", "20x7", capsys=capsys)


# ---------------------------------------------------------------- the tab

class _FakeApp:
    """What DeskTab uses of ui.app.App: the service, a read lock, the reader check, an export folder."""

    def __init__(self, kb, root: Path):
        self.kb, self.root, self.n = kb, root, 0

        class _Lock:
            @contextmanager
            def read(self):
                yield

        self.lock = _Lock()

    def _require_reader(self, session, request):
        return None

    def _export_path(self) -> Path:
        self.n += 1
        folder = self.root / str(self.n)
        folder.mkdir(parents=True)
        return folder / "x.docx"


def test_tab_shows_escaped_rows_and_offers_the_three_files(desk_kb, tmp_path):
    from ui.desk_tab import DeskTab, render_deadlines

    tab = DeskTab(_FakeApp(desk_kb, tmp_path))
    duties_html, limits_html, docx, xlsx, ics = tab.show("province", "01/06/2099", "2099", True, None, None)
    assert "&lt;script&gt;x&lt;/script&gt;" in duties_html and "<script>x" not in duties_html
    assert "Khoản 1 Điều 1 Nghị định 998/2099/NĐ-CP" in duties_html and "20/10/2099" in limits_html
    for update, name in ((docx, "danh-muc-nhiem-vu.docx"), (xlsx, "danh-muc-nhiem-vu.xlsx"), (ics, "thoi-han.ics")):
        assert update["visible"] and Path(update["value"]).name == name and Path(update["value"]).stat().st_size
    bad = tab.show("province", "31/02/2099", "", True, None, None)
    assert "kb-action-error" in bad[0] and not bad[2]["visible"]
    assert "không hợp lệ" in tab.show("province", "", "20x7", True, None, None)[0]
    assert "Hãy chọn một cơ quan" in tab.show("<b>", "", "", True, None, None)[0]
    assert "Không có thời hạn" in render_deadlines([], 2099)


def test_the_app_builds_with_the_tab(desk_kb):
    from ui.app import build_app

    demo = build_app(desk_kb.settings, desk_kb)
    assert any(getattr(b, "elem_id", None) == "kb-desk-btn" for b in demo.blocks.values())


# ---------------------------------------------------------------- the real đề mục 32.1

@pytest.mark.slow
def test_desk_on_de_muc_32_1_meets_its_gold(tmp_path):
    """The bench's figures, on a lexical-only home with đề mục 32.1 read in (about a minute)."""
    from conftest import DEMUC_32_1, require_shared, run_kb
    from kb.bench_duties import desk_documents, evaluate_desk

    require_shared(DEMUC_32_1)
    run_kb("ingest", str(DEMUC_32_1), "--no-embed", home=tmp_path / "home", check=True)
    docs = desk_documents(tmp_path / "home")
    results = {r["split"]: r for r in evaluate_desk(docs)}
    view, everything = build_view(docs, "2025-01-01"), all_duties(docs)
    for body in ("province", "mic", "press"):  # reading only the articles naming a body loses none of its rows
        from qa.desk.duties import duties_of
        assert view.duties_of(body) == duties_of(everything, body)
    for split, floor in (("dev", 0.85), ("dev2", 0.85), ("test", 0.75)):
        for tool in ("duties", "deadlines"):
            assert results[split][tool]["precision"] >= 0.9, (split, tool, results[split][tool]["extra"])
            assert results[split][tool]["recall"] >= floor, (split, tool, results[split][tool]["missed"])


STRUCTURED = doc(
    Article("4", "Quản lý thử", clauses=[
        # a lead written as a heading without its colon: each point is the body's duty
        Clause("1", "1. Trách nhiệm của Bộ Thông tin và Truyền thông", points=[
            Point("a", "a) Chủ trì xây dựng quy chuẩn thử;"), Point("b", "b) Hướng dẫn việc thử.")]),
        # a plain verb over a list of things: one duty, the clause
        Clause("2", "2. Bộ trưởng Bộ Thông tin và Truyền thông cấp:", points=[
            Point("a", "a) Giấy thử loại một;"), Point("b", "b) Giấy thử loại hai.")]),
        # a list of papers, then the clause's own closing sentence (kept by the parser with the last point)
        Clause("3", "3. Đơn vị mẫu gửi hồ sơ thử về Cục Báo chí. Hồ sơ gồm có:", points=[
            Point("a", "a) Đơn đề nghị thử;"),
            Point("b", "b) Bản sao giấy thử.\nTrong thời hạn 20 ngày kể từ ngày nhận đủ hồ sơ thử, Cục Báo chí có "
                       "trách nhiệm cấp giấy thử.")]),
    ]),
)


def test_leads_lists_and_closing_sentences():
    c = lambda unit: f"{unit} {NAME}"  # noqa: E731
    rows = {(d.body, d.citation): d for d in all_duties([STRUCTURED])}
    assert set(rows) == {("mic", c("Điểm a Khoản 1 Điều 4")), ("mic", c("Điểm b Khoản 1 Điều 4")),
                         ("mic", c("Khoản 2 Điều 4")), ("mic", c("Khoản 3 Điều 4"))}
    assert rows[("mic", c("Điểm a Khoản 1 Điều 4"))].role == "chủ trì"
    # the closing sentence's row quotes the whole clause; its limit is the clause's, kept by the Cục's Bộ
    assert rows[("mic", c("Khoản 3 Điều 4"))].quote == STRUCTURED.units[0].clauses[2].full_text
    limits = document_deadlines(STRUCTURED)
    assert [(d.citation, d.limit.amount, d.bodies) for d in limits] == [(c("Khoản 3 Điều 4"), 20, ("mic",))]


def test_clause_tail_splits_only_after_a_list_of_papers():
    papers = STRUCTURED.units[0].clauses[2]
    points, tail = clause_tail(papers)
    assert points[-1].text == "b) Bản sao giấy thử." and tail.startswith("Trong thời hạn 20 ngày")
    assert clause_tail(STRUCTURED.units[0].clauses[0]) == (STRUCTURED.units[0].clauses[0].points, "")
    # a second paragraph of a point under any other lead stays the point's
    other = Clause("1", "1. Việc thử được quy định như sau:", points=[
        Point("a", "a) Đăng tin thử;\nĐơn vị mẫu phải lưu bản thử.")])
    assert clause_tail(other) == (other.points, "")
