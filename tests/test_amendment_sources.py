"""Only an issued amending instrument amends: who may change another document (a table of made-up
header facts, one rule per row), a draft's mark read from its header, and in the knowledge base a
synthetic draft, Công văn, news article and Thông tư that state changes to a stored synthetic decree
and change nothing, while an issued synthetic amending decree still amends; the staff preview lists
the relations a file will create and those refused, and who confirmed them is stored.

Every document here is SYNTHETIC (numbers 990–999/2097–2099, "chim cánh cụt trên sao Hỏa"), not law.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import REPO
from ingest.amendments import AmendingSource, Amendment, may_amend, screen_amendments, target_type
from ingest.document_parser import draft_mark, parse_document_lines
from synthetic_docs import load_fixture_lines, write_html

pytestmark = pytest.mark.registries  # each test through the registry: on SQLite and on PostgreSQL

FIXTURES = REPO / "tests" / "fixtures"
BASE = FIXTURES / "synthetic_base_decree.txt"
AMENDING = FIXTURES / "synthetic_amending_decree.txt"
DRAFT = FIXTURES / "synthetic_draft_amending_decree.txt"
BASE_KEY = "998/2098/NĐ-CP"
LUAT_KEY = "97/2097/QH99"

# An issued Nghị định of the Chính phủ: every rule passes; each row below breaks one fact.
ISSUED = AmendingSource(doc_type="Nghị định", number="996/2099/NĐ-CP", issued_on="2099-05-20", issuer="Chính phủ")


# ---------------------------------------------------------------- who may amend (pure)

@pytest.mark.parametrize("source,target_key,target_kind,rule", [
    # an issued Nghị định amends a Nghị định
    (ISSUED, BASE_KEY, "Nghị định", None),
    # an instrument of higher rank may amend one of lower rank: a Luật amends a Nghị định
    (replace(ISSUED, doc_type="Luật", number="97/2099/QH99", issuer="Quốc hội"), BASE_KEY, "Nghị định", None),
    # same rank: a Thông tư amends a Thông tư
    (replace(ISSUED, doc_type="Thông tư", number="05/2099/TT-BTN", issuer="Bộ Thử nghiệm"), "04/2098/TT-BTN",
     "Thông tư", None),
    # a Nghị quyết of the Quốc hội (named as its issuer) ranks with a Luật and amends it
    (replace(ISSUED, doc_type="Nghị quyết", number="99/2099/QH99", issuer="Quốc hội"), LUAT_KEY, "Luật", None),
    # a Nghị quyết of the Standing Committee, told by its number, amends a Pháp lệnh
    (replace(ISSUED, doc_type="Nghị quyết", number="09/2099/NQ-UBTVQH99", issuer=""), "08/2098/PL-UBTVQH99",
     "Pháp lệnh", None),
    # a Quyết định of the Thủ tướng (told by "QĐ-TTg") amends a Quyết định of the Thủ tướng
    (replace(ISSUED, doc_type="Quyết định", number="12/2099/QĐ-TTg", issuer=""), "11/2098/QĐ-TTg", "Quyết định",
     None),
    # a news article or commentary (catalogued as a secondary source), however complete its facts
    (replace(ISSUED, source_kind="secondary"), BASE_KEY, "Nghị định", "source"),
    # a file marked "DỰ THẢO", however complete its facts
    (replace(ISSUED, draft="DỰ THẢO"), BASE_KEY, "Nghị định", "draft"),
    # a Công văn is not a normative instrument, even one that lists proposals as khoản
    (replace(ISSUED, doc_type="Công văn", number="1234/BTN-PC"), BASE_KEY, "Nghị định", "type"),
    # no type read at all (a web page's headline): nothing says it is an instrument
    (replace(ISSUED, doc_type=""), BASE_KEY, "Nghị định", "type"),
    # a Nghị quyết of the Chính phủ is not one of the Nghị quyết that amend
    (replace(ISSUED, doc_type="Nghị quyết", number="15/2099/NQ-CP"), BASE_KEY, "Nghị định", "issuer"),
    # a ministry's Quyết định is not a competent issuer's
    (replace(ISSUED, doc_type="Quyết định", number="123/QĐ-BTN", issuer="Bộ Thử nghiệm"), "11/2098/QĐ-BTN",
     "Quyết định", "issuer"),
    # no number read
    (replace(ISSUED, number=""), BASE_KEY, "Nghị định", "number"),
    # the number left blank for signing ("Số:    /2099/NĐ-CP")
    (replace(ISSUED, number="/2099/NĐ-CP"), BASE_KEY, "Nghị định", "number"),
    # no issue date read ("ngày    tháng    năm 2099")
    (replace(ISSUED, issued_on=""), BASE_KEY, "Nghị định", "issued_on"),
    # a Thông tư cannot amend a Nghị định
    (replace(ISSUED, doc_type="Thông tư", number="05/2099/TT-BTN", issuer="Bộ Thử nghiệm"), BASE_KEY, "Nghị định",
     "rank"),
    # nor a Luật known only by its Quốc hội number
    (replace(ISSUED, doc_type="Thông tư", number="05/2099/TT-BTN", issuer="Bộ Thử nghiệm"), LUAT_KEY, "", "rank"),
    # a Nghị định cannot amend a Luật
    (ISSUED, LUAT_KEY, "Luật", "rank"),
    # a Quyết định of the Thủ tướng cannot amend a Nghị định
    (replace(ISSUED, doc_type="Quyết định", number="12/2099/QĐ-TTg", issuer="Thủ tướng Chính phủ"), BASE_KEY,
     "Nghị định", "rank"),
])
def test_who_may_amend(source, target_key, target_kind, rule):
    refusal = may_amend(source, target_key, target_kind)
    assert (refusal.rule if refusal else None) == rule
    if refusal:  # said to staff in Vietnamese, naming what is wrong
        assert refusal.reason and refusal.reason == refusal.reason.strip() and "văn bản" in refusal.reason


@pytest.mark.parametrize("target_ref,target_key,expected", [
    # the amending words name the type with the number
    ("Nghị định số 998/2098/NĐ-CP", BASE_KEY, "Nghị định"),
    # a Luật named by its name, then its number
    ("Luật Thử nghiệm tổng hợp số 97/2097/QH99", LUAT_KEY, "Luật"),
    # no words kept: the code in the number tells
    ("", "05/2099/TT-BTN", "Thông tư"),
    # a Quốc hội number alone does not say Luật or Nghị quyết
    ("", LUAT_KEY, ""),
])
def test_the_type_of_the_amended_document(target_ref, target_key, expected):
    assert target_type(Amendment(target_key=target_key, target_ref=target_ref, article="1")) == expected


# ---------------------------------------------------------------- a draft's mark in the header

HEADER = ["CHÍNH PHỦ THỬ NGHIỆM", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
          "Số: 996/2099/NĐ-CP", "Hà Nội, ngày 20 tháng 5 năm 2099", "NGHỊ ĐỊNH", "VỀ NUÔI CHIM CÁNH CỤT THỬ NGHIỆM"]
BODY = ["Điều 1. Phạm vi thử nghiệm", "Nghị định mẫu này chỉ dùng để kiểm thử, không có giá trị pháp lý."]


@pytest.mark.parametrize("lines,draft,number,title", [
    # an issued decree: no mark
    (HEADER + BODY, "", "996/2099/NĐ-CP", "Về nuôi chim cánh cụt thử nghiệm"),
    # "DỰ THẢO" on its own line above the header
    (["DỰ THẢO"] + HEADER + BODY, "DỰ THẢO", "996/2099/NĐ-CP", "Về nuôi chim cánh cụt thử nghiệm"),
    # a mark with its round and state, between the motto and the number
    (HEADER[:3] + ["Dự thảo lần 2 - chưa ban hành"] + HEADER[3:] + BODY, "Dự thảo lần 2 - chưa ban hành",
     "996/2099/NĐ-CP", "Về nuôi chim cánh cụt thử nghiệm"),
    # in the issuer's cell of a header table (one line: "CHÍNH PHỦ … | DỰ THẢO"); the issuer is kept
    ([HEADER[0] + " | DỰ THẢO"] + HEADER[1:] + BODY, "DỰ THẢO", "996/2099/NĐ-CP", "Về nuôi chim cánh cụt thử nghiệm"),
    # before the type heading: the mark, then the type
    (HEADER[:5] + ["DỰ THẢO NGHỊ ĐỊNH"] + HEADER[6:] + BODY, "DỰ THẢO", "996/2099/NĐ-CP",
     "Về nuôi chim cánh cụt thử nghiệm"),
    # below the title, a line that is all mark
    (HEADER + ["(Dự thảo để lấy ý kiến)"] + BODY, "(Dự thảo để lấy ý kiến)", "996/2099/NĐ-CP",
     "Về nuôi chim cánh cụt thử nghiệm"),
    # an issued Nghị quyết ABOUT a draft: its title names a draft (then a type word), it is not one
    (HEADER[:5] + ["NGHỊ QUYẾT", "VỀ VIỆC CHO Ý KIẾN VỀ DỰ THẢO LUẬT THỬ NGHIỆM"] + BODY, "",
     "996/2099/NĐ-CP", "Về việc cho ý kiến về dự thảo luật thử nghiệm"),
])
def test_draft_mark_in_the_header(lines, draft, number, title):
    doc = parse_document_lines(lines, source_path="/tmp/nd996-thu-nghiem.txt")
    # the mark is not taken for the issuer, nor does it end the header before the number
    assert (doc.draft, doc.number, doc.title, doc.issuer) == (draft, number, title, "CHÍNH PHỦ THỬ NGHIỆM")


@pytest.mark.parametrize("line,whole_line,expected", [
    # a sentence ending in mark-like words is no mark (a news headline above the text)
    ("Bộ Thử nghiệm công bố bản dự thảo lần 2", False, ("", "Bộ Thử nghiệm công bố bản dự thảo lần 2")),
    # nor, below the type, a title line naming a draft of a Luật
    ("VỀ DỰ THẢO LUẬT THỬ NGHIỆM", True, ("", "VỀ DỰ THẢO LUẬT THỬ NGHIỆM")),
    # a dated round is still all mark
    ("Dự thảo lần 3 (ngày 12/5/2099)", True, ("Dự thảo lần 3 (ngày 12/5/2099)", "")),
])
def test_draft_mark_of_one_line(line, whole_line, expected):
    assert draft_mark(line, whole_line=whole_line) == expected


def test_a_draft_named_only_by_its_file(tmp_path):
    doc = parse_document_lines(HEADER + BODY, source_path=str(tmp_path / "Du_thao_ND996.docx"))
    assert doc.draft == "Du_thao_ND996.docx"


# ---------------------------------------------------------------- in the knowledge base (fake embedding)

ORIGINAL_2_2 = next(l for l in load_fixture_lines(BASE) if l.startswith("2. Hồ sơ đăng ký"))
ORIGINAL_3_3 = next(l for l in load_fixture_lines(BASE) if l.startswith("3. Chủ trại nuôi cho chim"))
QUESTION = "Hồ sơ đăng ký trại nuôi chim cánh cụt gồm những gì?"


def write_txt(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cong_van_lines() -> list[str]:
    """A synthetic Công văn that lists the proposals it REJECTS as khoản of an Điều."""
    return ["BỘ THỬ NGHIỆM", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
            "Số: 1234/BTN-PC", "Hà Nội, ngày 01 tháng 6 năm 2099",
            "V/v ý kiến về các đề xuất sửa đổi Nghị định số 998/2098/NĐ-CP (thử nghiệm)",
            "Kính gửi: Sở Thử nghiệm",
            "Điều 1. Không chấp thuận các đề xuất sửa đổi, bổ sung Nghị định số 998/2098/NĐ-CP sau đây:",
            "1. Bãi bỏ khoản 3 Điều 3.",
            "2. Sửa đổi, bổ sung khoản 2 Điều 2 như sau:",
            "“2. Hồ sơ đăng ký chỉ gồm đơn đề nghị theo đề xuất bị từ chối thử nghiệm.”",
            "Điều 2. Hiệu lực",
            "Công văn này có hiệu lực thi hành kể từ ngày ký.",
            "Nơi nhận:", "- Như trên;", "- Lưu: VT.", "BỘ TRƯỞNG MẪU", "Trần Văn Mẫu"]


def news_lines() -> list[str]:
    """A synthetic news article that quotes a draft's amending article."""
    return ["Bộ Thử nghiệm lấy ý kiến dự thảo sửa đổi Nghị định 998/2098/NĐ-CP về chim cánh cụt (bài viết thử nghiệm)",
            "Phóng viên thử nghiệm đưa tin: dự thảo đề xuất những nội dung sau, chưa được ban hành và còn lấy ý kiến.",
            "Điều 1. Sửa đổi, bổ sung một số điều của Nghị định số 998/2098/NĐ-CP",
            "1. Bãi bỏ khoản 3 Điều 3.",
            "2. Sửa đổi, bổ sung khoản 2 Điều 2 như sau:",
            "“2. Hồ sơ đăng ký chỉ gồm đơn đề nghị theo bài báo thử nghiệm.”"]


def thong_tu_lines() -> list[str]:
    """A synthetic Thông tư that claims to amend the (higher-ranking) synthetic Nghị định."""
    return ["BỘ THỬ NGHIỆM", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
            "Số: 05/2099/TT-BTN", "Hà Nội, ngày 01 tháng 6 năm 2099", "THÔNG TƯ",
            "SỬA ĐỔI MỘT SỐ ĐIỀU CỦA NGHỊ ĐỊNH SỐ 998/2098/NĐ-CP (THỬ NGHIỆM)",
            "Điều 1. Sửa đổi, bổ sung một số điều của Nghị định số 998/2098/NĐ-CP",
            "1. Bãi bỏ khoản 3 Điều 3.",
            "2. Sửa đổi, bổ sung khoản 2 Điều 2 như sau:",
            "“2. Hồ sơ đăng ký chỉ gồm đơn đề nghị theo thông tư thử nghiệm.”",
            "Điều 2. Hiệu lực thi hành",
            "Thông tư này có hiệu lực thi hành kể từ ngày 01 tháng 7 năm 2099.",
            "Nơi nhận:", "- Lưu: VT.", "BỘ TRƯỞNG MẪU", "Trần Văn Mẫu"]


def _source(tmp_path: Path, kind: str) -> Path:
    if kind == "draft":
        return DRAFT
    if kind == "cong_van":
        return write_txt(tmp_path / "cv1234-thu-nghiem.txt", cong_van_lines())
    if kind == "news":
        return write_html(tmp_path / "bai-viet-thu-nghiem.html", news_lines())
    return write_txt(tmp_path / "tt05-thu-nghiem.txt", thong_tu_lines())


def _seen(kb) -> dict:
    """What a reader gets about the stored decree on and after 01/07/2099: lookups, and what an answer
    cites of it (citation, quote, amending provisions) and says about its amendments."""
    out = {}
    for ref in ("Điều 3 Nghị định 998/2098/NĐ-CP", "khoản 3 Điều 3 Nghị định 998/2098/NĐ-CP",
                "khoản 2 Điều 2 Nghị định 998/2098/NĐ-CP"):
        r = kb.lookup(ref, as_of="2099-07-01")
        out[ref] = (r.status, r.text, r.repealed, r.notes, r.amended_by)
    ans = kb.ask(QUESTION, as_of="2099-07-01")
    out["cited"] = {(c.citation, c.quote, tuple(c.amended_by)) for c in ans.citations
                     if c.citation.endswith(f"Nghị định {BASE_KEY}")}
    out["said"] = [w for w in ans.warnings if "hiệu lực tại" in w or "sửa đổi" in w or "bãi bỏ" in w]
    return out


@pytest.mark.parametrize("kind,rule,words", [
    # a file marked "DỰ THẢO" with a number and a date: "Bãi bỏ Điều 3", khoản 2 Điều 2 rewritten
    ("draft", "draft", "văn bản là dự thảo (“DỰ THẢO”), chưa ban hành"),
    # a Công văn listing rejected proposals as khoản of an Điều
    ("cong_van", "type", "Công văn không phải văn bản quy phạm pháp luật"),
    # a news article (a saved web page) quoting the draft's amending article
    ("news", "type", "không rõ loại văn bản"),
    # a Thông tư claiming to amend a Nghị định
    ("thong_tu", "rank", "Thông tư có hiệu lực pháp lý thấp hơn Nghị định 998/2098/NĐ-CP"),
])
def test_a_document_that_may_not_amend_changes_nothing(fake_kb, tmp_path, kind, rule, words):
    src = _source(tmp_path, kind)
    kb = fake_kb(BASE)
    before = _seen(kb)
    [doc] = kb.store.parse_file(str(src))
    kept, refused = screen_amendments(doc)
    assert not kept and {r.refusal.rule for r in refused} == {rule} and len(refused) == 2  # read, then refused
    [p] = kb.preview_file(str(src))
    assert p["amendments"] == [] and len(p["refused_amendments"]) == 2
    repeal = p["refused_amendments"][0]  # "… bãi bỏ Điều 3" (the draft) or "… Khoản 3 Điều 3" (the others)
    assert repeal.startswith("Không ghi nhận việc bãi bỏ ") and "Điều 3 Nghị định 998/2098/NĐ-CP " in repeal
    assert all(words in line for line in p["refused_amendments"])
    report = kb.store.ingest([str(src)], user="phapche")
    assert not report.refused, [(o.path, o.reason) for o in report.refused]
    assert kb.store.registry.amendments(BASE_KEY) == [] and kb.store.registry.amendments("") == []
    after = _seen(kb)
    cited = after.pop("cited")
    # the stored decree's units are cited as enacted, nothing more (the other document's own units,
    # now stored, may outrank some of them: that is retrieval, not an amendment)
    assert cited and cited <= before.pop("cited")
    assert after == before
    assert after["khoản 3 Điều 3 Nghị định 998/2098/NĐ-CP"] == ("found", ORIGINAL_3_3, False, [], [])
    assert after["said"] == []


def test_a_draft_leaves_lookup_and_answer_unchanged(fake_kb):
    """The draft says "Bãi bỏ Điều 3" and rewrites khoản 2 Điều 2 of the stored decree."""
    kb = fake_kb(BASE)
    before = _seen(kb)
    kb.store.ingest([str(DRAFT)])
    after = _seen(kb)
    assert after == before
    assert ("Khoản 2 Điều 2 Nghị định 998/2098/NĐ-CP", ORIGINAL_2_2, ()) in after["cited"]
    assert not after["Điều 3 Nghị định 998/2098/NĐ-CP"][2]  # not repealed


def test_an_issued_amending_decree_still_amends_and_the_preview_says_how(fake_kb):
    kb = fake_kb(BASE)
    [p] = kb.preview_file(str(AMENDING))
    assert p["refused_amendments"] == [] and p["draft"] == ""
    assert p["amendments"] == [
        "Văn bản này sẽ sửa đổi, bổ sung Khoản 2 Điều 2 Nghị định 998/2098/NĐ-CP từ 01/07/2099",
        "Văn bản này sẽ bổ sung Khoản 4 Điều 2 Nghị định 998/2098/NĐ-CP từ 01/07/2099",
        "Văn bản này sẽ thay cụm từ “hằng quý” bằng “hằng tháng” tại Khoản 2 Điều 3 Nghị định 998/2098/NĐ-CP "
        "từ 01/07/2099",
        "Văn bản này sẽ bãi bỏ Khoản 3 Điều 3 Nghị định 998/2098/NĐ-CP từ 01/07/2099",
        "Văn bản này sẽ sửa đổi, bổ sung Điều 4 Nghị định 998/2098/NĐ-CP từ 01/07/2099",
        "Văn bản này sẽ bổ sung Điều 4a Nghị định 998/2098/NĐ-CP từ 01/07/2099",
        "Văn bản này sẽ bổ sung Điều 4b Nghị định 998/2098/NĐ-CP từ 01/07/2099",
    ]
    report = kb.ingest_files([str(AMENDING)], user="phapche")
    assert not report["refused"], report
    reg = kb.store.registry
    assert len(reg.amendments(BASE_KEY)) == 7
    assert reg.db.execute("SELECT DISTINCT confirmed_by FROM amendments").fetchall() == [("phapche",)]
    # one ingesting user: the same name is recorded with the version the file stored
    [amending_key] = report["versions"]
    assert [v.user for v in reg.versions(amending_key)] == ["phapche"]
    res = kb.lookup("khoản 3 Điều 3 Nghị định 998/2098/NĐ-CP", as_of="2099-07-01")
    assert res.repealed and any("đã bị bãi bỏ bởi Khoản 4 Điều 1 Nghị định 999/2099/NĐ-CP" in n for n in res.notes)


def test_the_preview_names_an_amended_document_not_in_the_base(fake_kb):
    kb = fake_kb()
    [p] = kb.preview_file(str(AMENDING))
    assert p["amendments"][3] == ("Văn bản này sẽ bãi bỏ Khoản 3 Điều 3 Nghị định 998/2098/NĐ-CP từ 01/07/2099 "
                                  "(Nghị định 998/2098/NĐ-CP: chưa có văn bản trong cơ sở dữ liệu; áp dụng khi văn "
                                  "bản đó được nạp)")


def test_the_preview_lists_the_relations_of_phapdien_notes(fake_kb, tmp_path):
    """A Pháp điển đề mục states what other documents changed in it: listed as such, never refused."""
    from test_amendments import SYNTHETIC_PD_AMENDED

    src = tmp_path / "synthetic_demuc_amended.html"
    src.write_text(SYNTHETIC_PD_AMENDED, encoding="utf-8")
    [p] = fake_kb().preview_file(str(src))
    assert p["refused_amendments"] == []
    assert p["amendments"] == ["Ghi nhận theo ghi chú Pháp điển: Điều 1 Nghị định 997/2097/NĐ-CP có nội dung được "
                               "sửa đổi bởi Điều 3 Nghị định 996/2098/NĐ-CP (chưa có trong cơ sở dữ liệu), có hiệu "
                               "lực từ 01/01/2098"]


def test_kb_ingest_records_the_os_user(tmp_path, monkeypatch, capsys):
    from core.settings import load_settings
    from ingest.registry import Registry
    from kb.cli import _os_user, main

    monkeypatch.setenv("KB_EMBEDDING", "fake")
    home = tmp_path / "home"
    assert main(["--home", str(home), "ingest", str(AMENDING)]) == 0
    reg = Registry(load_settings(env={"KB_EMBEDDING": "fake"}, home=str(home)).registry_path)
    assert reg.db.execute("SELECT DISTINCT confirmed_by FROM amendments").fetchall() == [(_os_user(),)]
    assert reg.db.execute('SELECT DISTINCT "user" FROM versions').fetchall() == [(_os_user(),)]  # the same user
    reg.close()


# The amendments table as registries created before confirmed_by have it.
OLD_AMENDMENTS_TABLE = """CREATE TABLE amendments(
  target_key TEXT, article TEXT, clause TEXT, point TEXT, origin_key TEXT, source_path TEXT, ord INTEGER,
  amending_key TEXT, data TEXT)"""


def test_an_old_registry_gets_confirmed_by_in_place(tmp_path):
    from ingest.registry import Registry

    path = tmp_path / "registry.sqlite"
    old = sqlite3.connect(path)
    old.execute(OLD_AMENDMENTS_TABLE)
    a = Amendment(target_key=BASE_KEY, target_ref="Nghị định số 998/2098/NĐ-CP", article="3", action="repeal",
                  amending_key="999/2099/NĐ-CP")
    old.execute("INSERT INTO amendments VALUES(?,?,?,?,?,?,?,?,?)",
                (BASE_KEY, "3", "", "", "999/2099/NĐ-CP", "/x.txt", 0, "999/2099/NĐ-CP", json.dumps(a.to_dict())))
    old.commit()
    old.close()
    reg = Registry(path)
    assert reg.amendments(BASE_KEY) == [a]  # the row is kept
    assert reg.db.execute("SELECT confirmed_by FROM amendments").fetchall() == [("",)]  # who: not recorded then
    reg.close()
    Registry(path).close()  # opening it again changes nothing


def test_the_preview_panel_lists_relations_and_refusals():
    from ui.render import render_preview

    html = render_preview([{"file": "nd996.txt", "key": "996/2099/NĐ-CP", "draft": "DỰ THẢO", "articles": 2,
                            "clauses": 2, "amendments": ["Văn bản này sẽ bãi bỏ Điều 3 Nghị định 998/2098/NĐ-CP <x>"],
                            "refused_amendments": ["Không ghi nhận việc bãi bỏ Điều 5: văn bản là dự thảo"]}])
    assert "dự thảo (“DỰ THẢO”): không sửa đổi văn bản nào" in html
    assert "Quan hệ sửa đổi sẽ được ghi nhận khi nạp" in html and "&lt;x&gt;" in html
    assert "Nội dung sửa đổi không được ghi nhận" in html and "Không ghi nhận việc bãi bỏ Điều 5" in html
