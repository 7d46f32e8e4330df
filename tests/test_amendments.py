"""Amending documents: the instruction parser (pure, tables of synthetic strings), the Pháp điển
source notes (synthetic strings, then a real đề mục read from ../shared at test time), and the
relations in use: a synthetic base decree and a synthetic amending decree ingested in-process
(fake embedding), looked up before and after the amending decree takes effect, checked
against the fixture files' own text, exactly.

Every document here is SYNTHETIC (numbers 997–999/2097–2099, "chim cánh cụt trên sao Hỏa").
"""
import re
from pathlib import Path

import pytest

from conftest import DEMUC_32_1, REPO, require_shared
from ingest.amendments import _Context, apply_amendments, parse_amendment_note, parse_instruction
from ingest.document_parser import parse_document_lines
from ingest.structure import quoted_lines
from synthetic_docs import load_fixture_lines

FIXTURES = REPO / "tests" / "fixtures"
BASE = FIXTURES / "synthetic_base_decree.txt"
AMENDING = FIXTURES / "synthetic_amending_decree.txt"
BASE_KEY, AMENDING_KEY = "998/2098/NĐ-CP", "999/2099/NĐ-CP"
CTX = _Context(BASE_KEY, "Nghị định số 998/2098/NĐ-CP", "2099-07-01", AMENDING_KEY, "Nghị định 999/2099/NĐ-CP",
               "Khoản 1 Điều 1 Nghị định 999/2099/NĐ-CP")


# ---------------------------------------------------------------- one instruction (pure)

@pytest.mark.parametrize("text,expected", [
    # a khoản replaced: the new text is what the quotes hold, verbatim
    ("1. Sửa đổi, bổ sung khoản 2 Điều 5 như sau:\n“2. Nội dung mới thử nghiệm.”",
     [(BASE_KEY, "5", "2", "", "amend", "2. Nội dung mới thử nghiệm.")]),
    # "Sửa đổi" alone is the same change
    ("3. Sửa đổi điểm b khoản 1 Điều 7 như sau:\n“b) Điểm mới thử nghiệm;”",
     [(BASE_KEY, "7", "1", "b", "amend", "b) Điểm mới thử nghiệm;")]),
    # a whole article replaced, its heading included in the new text
    ("5. Sửa đổi, bổ sung Điều 4 như sau:\n“Điều 4. Tiêu đề thử\n1. Khoản một thử.”",
     [(BASE_KEY, "4", "", "", "amend", "Điều 4. Tiêu đề thử\n1. Khoản một thử.")]),
    # an addition names the NEW unit first and where it goes after: khoản 4 of Điều 2, not khoản 3
    ("2. Bổ sung khoản 4 vào sau khoản 3 Điều 2 như sau:\n“4. Khoản bổ sung thử.”",
     [(BASE_KEY, "2", "4", "", "add", "4. Khoản bổ sung thử.")]),
    # a new điểm "đ" (told apart from "d") inside khoản 2 Điều 3
    ("4. Bổ sung điểm đ vào khoản 2 Điều 3 như sau:\n“đ) Điểm bổ sung thử;”",
     [(BASE_KEY, "3", "2", "đ", "add", "đ) Điểm bổ sung thử;")]),
    # two new articles in one quote: one relation each, each with its own text
    ("6. Bổ sung Điều 9a và Điều 9b vào sau Điều 9 như sau:\n“Điều 9a. A thử\nNội dung A.\nĐiều 9b. B thử\nNội dung B.”",
     [(BASE_KEY, "9a", "", "", "add", "Điều 9a. A thử\nNội dung A."),
      (BASE_KEY, "9b", "", "", "add", "Điều 9b. B thử\nNội dung B.")]),
    # a repeal of a list of khoản
    ("7. Bãi bỏ khoản 3 và khoản 4 Điều 5.",
     [(BASE_KEY, "5", "3", "", "repeal", ""), (BASE_KEY, "5", "4", "", "repeal", "")]),
    # "hủy bỏ" is a repeal too
    ("8. Hủy bỏ Điều 6.", [(BASE_KEY, "6", "", "", "repeal", "")]),
    # a document named in the instruction wins over the one the article heading names
    ("9. Bãi bỏ khoản 3 Điều 5 Nghị định số 997/2097/NĐ-CP ngày 01 tháng 01 năm 2097.",
     [("997/2097/NĐ-CP", "5", "3", "", "repeal", "")]),
    # not an instruction: an ordinary clause that mentions a change
    ("1. Bộ Thử nghiệm đề xuất sửa đổi khoản 2 Điều 5.", []),
    # "Bổ sung" without a unit (e.g. money): nothing we can name
    ("2. Bổ sung kinh phí thử nghiệm cho Sở Thử nghiệm.", []),
])
def test_instruction_units_actions_and_new_text(text, expected):
    got = [(a.target_key, a.article, a.clause, a.point, a.action, a.new_text) for a in parse_instruction(text, CTX)]
    assert got == expected


@pytest.mark.parametrize("text,expected", [
    # the amended document named by its name, its number after it
    ("1. Sửa đổi, bổ sung Điều 44 của Luật Thử nghiệm tổng hợp số 97/2097/QH99 như sau:\n“Điều 44. Mới”",
     ("97/2097/QH99", "44", "", False)),
    # "Bãi bỏ quy định về …": part of the unit only, so it is not said to be repealed as a whole
    ("4. Bãi bỏ quy định về nuôi chim ban đêm tại điểm e khoản 2 Điều 20.", (BASE_KEY, "20", "e", True)),
    # "Bãi bỏ quy định tại …" repeals the unit itself
    ("3. Bãi bỏ quy định tại Điều 7.", (BASE_KEY, "7", "", False)),
])
def test_target_document_and_partial_changes(text, expected):
    a = parse_instruction(text, CTX)[0]
    assert (a.target_key, a.article, a.point, a.partial) == expected


@pytest.mark.parametrize("text,expected", [
    # words replaced in one khoản
    ("3. Thay thế cụm từ “hằng quý” bằng cụm từ “hằng tháng” tại khoản 2 Điều 3.", [("3", "2", "hằng quý", "hằng tháng")]),
    # words replaced in several units
    ("3. Thay cụm từ “Sở” bằng “Cục” tại Điều 2 và Điều 3.", [("2", "", "Sở", "Cục"), ("3", "", "Sở", "Cục")]),
    # throughout the document: no unit named
    ("4. Thay thế cụm từ “trại nuôi” bằng cụm từ “cơ sở nuôi” trong toàn bộ Nghị định.", [("", "", "trại nuôi", "cơ sở nuôi")]),
    # words dropped
    ("5. Bỏ cụm từ “thử nghiệm” tại khoản 1 Điều 4.", [("4", "1", "thử nghiệm", "")]),
])
def test_replaced_words(text, expected):
    got = [(a.article, a.clause, a.old_words, a.new_words) for a in parse_instruction(text, CTX)]
    assert got == expected and all(a.action == "replace_words" for a in parse_instruction(text, CTX))


@pytest.mark.parametrize("lines,expected", [
    # a new article quoted over several lines: its heading and khoản are text, not structure
    (["1. Bổ sung Điều 4a như sau:", "“Điều 4a. Thử", "1. Một.", "Điều 4b. Hai", "2. Ba.”", "2. Tiếp."],
     [False, False, True, True, True, False]),
    # a quote opened and closed on one line changes nothing
    (["1. Sửa đổi khoản 2 như sau:", "“2. Mới.”", "2. Tiếp."], [False, False, False]),
    # an unmatched quote never swallows the rest of the document
    (["Ví dụ:", "“Điều 4. không đóng", "Điều 5. Tiếp"], [False, False, False]),
    # a quote not introduced by ":" is ordinary text
    (["Điều 3. A", "“Trích dẫn", "Điều 4. B”"], [False, False, False]),
])
def test_quoted_passages(lines, expected):
    assert quoted_lines(lines) == expected


# ---------------------------------------------------------------- the synthetic amending decree


def parsed(path):
    return parse_document_lines(load_fixture_lines(path), source_path=str(path))


def quoted_line(path, start: str) -> str:
    """The fixture's own line that starts with `start`, without the quotes around new text."""
    line = next(l for l in load_fixture_lines(path) if l.lstrip("“").startswith(start))
    return line.lstrip("“").rstrip("”")


def test_the_amending_decree_yields_its_relations():
    from ingest.amendments import amendments_in

    got = [(a.target_key, a.article, a.clause, a.action, a.effective_from, a.amending_unit)
           for a in amendments_in(parsed(AMENDING))]
    cite = "Khoản {} Điều 1 Nghị định 999/2099/NĐ-CP"
    assert got == [
        (BASE_KEY, "2", "2", "amend", "2099-07-01", cite.format(1)),  # khoản replaced
        (BASE_KEY, "2", "4", "add", "2099-07-01", cite.format(2)),  # khoản added after khoản 3
        (BASE_KEY, "3", "2", "replace_words", "2099-07-01", cite.format(3)),  # words replaced
        (BASE_KEY, "3", "3", "repeal", "2099-07-01", cite.format(4)),  # khoản repealed
        (BASE_KEY, "4", "", "amend", "2099-07-01", cite.format(5)),  # article replaced
        (BASE_KEY, "4a", "", "add", "2099-07-01", cite.format(6)),  # two articles added in one quote
        (BASE_KEY, "4b", "", "add", "2099-07-01", cite.format(6)),
    ]
    assert amendments_in(parsed(BASE)) == []  # a document that amends nothing


def test_apply_amendments_only_from_the_effective_date():
    from ingest.amendments import amendments_in

    units, rels = parsed(BASE).units, amendments_in(parsed(AMENDING))
    before, repealed, applied = apply_amendments(units, rels, "2099-06-30")
    assert before == units and not repealed and not applied  # nothing in force yet, and a copy
    after, repealed, applied = apply_amendments(units, rels, "2099-07-01")
    assert repealed == {("3", "3", "")} and len(applied) == 7
    assert [u.number for u in after if u.kind == "dieu"] == ["1", "2", "3", "4", "4a", "4b", "5"]
    assert parsed(BASE).units[1].clauses[1].text.endswith("30 ngày kể từ ngày thành lập trại.")  # source untouched


# ---------------------------------------------------------------- Pháp điển notes

@pytest.mark.parametrize("note,expected", [
    # the usual shape: partial changes, one amending document, its provision and date
    ("có nội dung được sửa đổi, có nội dung được bổ sung bởi Điều 20 Luật số 99/2099/QH99 có hiệu lực thi hành "
     "kể từ ngày 01/01/2099", [("amend,add", True, "99/2099/QH99", "Điều 20", "2099-01-01")]),
    # the whole article repealed
    ("bị bãi bỏ bởi Điều 2 Nghị định số 999/2099/NĐ-CP có hiệu lực thi hành kể từ ngày 15/08/2099",
     [("repeal", False, "999/2099/NĐ-CP", "Điều 2", "2099-08-15")]),
    # two amending documents, separated by ";"
    ("có nội dung được sửa đổi bởi Điều 1 Thông tư số 98/2098/TT-BTN có hiệu lực thi hành kể từ ngày 01/02/2098; "
     "Điều 3, Điều 4 Thông tư số 99/2099/TT-BTN có hiệu lực thi hành kể từ ngày 01/03/2099",
     [("amend", True, "98/2098/TT-BTN", "Điều 1", "2098-02-01"),
      ("amend", True, "99/2099/TT-BTN", "Điều 3, Điều 4", "2099-03-01")]),
    # a date written in words; "theo quy định tại" instead of "bởi"
    ("được sửa đổi, bổ sung theo quy định tại khoản 2 Điều 1 của Nghị định số 999/2099/NĐ-CP có hiệu lực kể từ "
     "ngày 01 tháng 01 năm 2099", [("amend,add", False, "999/2099/NĐ-CP", "khoản 2 Điều 1", "2099-01-01")]),
    # an expiry date is not an amendment
    ("có hiệu lực thi hành đến ngày 31/12/2099", []),
])
def test_phapdien_amendment_notes(note, expected):
    got = [(act, part, key, prov, date) for act, part, key, _, _, prov, date in parse_amendment_note(note)]
    assert got == expected


def test_phapdien_notes_of_a_real_demuc_become_relations():
    """Đề mục 32.1 read at test time: Luật Báo chí's articles amended by Luật 35/2018/QH14 (the
    relation names it although its text is not in the corpus), each note verbatim from the file."""
    from ingest.amendments import phapdien_amendments
    from ingest.readers.phapdien import read_phapdien_file

    path = require_shared(DEMUC_32_1)
    docs = {d.key: d for d in read_phapdien_file(str(path))}
    rels = phapdien_amendments(docs["103/2016/QH13"])
    assert rels, "Luật Báo chí in đề mục 32.1 has amended articles"
    html = Path(path).read_text(encoding="utf-8-sig")
    plain = re.sub(r"<[^>]+>", "", html)
    for a in rels:
        assert (a.target_key, a.source, a.amending_key, a.effective_from) == (
            "103/2016/QH13", "phapdien", "35/2018/QH14", "2019-01-01")
        assert a.amending_unit == "Điều 20 Luật 35/2018/QH14" and a.partial
        assert re.sub(r"\s+", " ", a.note) in re.sub(r"\s+", " ", plain)  # the words as the source has them
    assert "5" in {a.article for a in rels}


# ---------------------------------------------------------------- in the knowledge base (fake embedding)

ORIGINAL_2_2 = next(l for l in load_fixture_lines(BASE) if l.startswith("2. Hồ sơ đăng ký"))
AMENDED_2_2 = quoted_line(AMENDING, "2. Hồ sơ đăng ký")
ORIGINAL_3_2 = next(l for l in load_fixture_lines(BASE) if l.startswith("2. Chủ trại nuôi báo cáo"))


@pytest.fixture
def pair(fake_kb):
    return fake_kb(BASE, AMENDING)


@pytest.mark.parametrize("reference,as_of,expected", [
    # before the amending decree takes effect: the text as enacted, exactly
    ("khoản 2 Điều 2 Nghị định 998/2098/NĐ-CP", "2099-06-30", ORIGINAL_2_2),
    # from its effective date: the new text, exactly as the amending decree quotes it
    ("khoản 2 Điều 2 Nghị định 998/2098/NĐ-CP", "2099-07-01", AMENDED_2_2),
    # without a date: as enacted (the notes say what changed)
    ("khoản 2 Điều 2 Nghị định 998/2098/NĐ-CP", None, ORIGINAL_2_2),
    # words replaced: the source line with "hằng quý" -> "hằng tháng"
    ("k2 đ3 nđ 998/2098", "2099-07-01", ORIGINAL_3_2.replace("hằng quý", "hằng tháng")),
    ("k2 đ3 nđ 998/2098", "2099-06-30", ORIGINAL_3_2),
    # an added khoản exists from the effective date
    ("khoản 4 Điều 2 Nghị định 998/2098/NĐ-CP", "2099-07-01", quoted_line(AMENDING, "4. Trại nuôi đã đăng ký")),
    # a khoản of a replaced article comes from the new article
    ("khoản 3 Điều 4 Nghị định 998/2098/NĐ-CP", "2099-07-01", quoted_line(AMENDING, "3. Trại nuôi không niêm yết")),
    # an added article, second of two quoted together
    ("khoản 2 Điều 4b Nghị định 998/2098/NĐ-CP", "2099-07-01", quoted_line(AMENDING, "2. Mức khen thưởng")),
])
def test_lookup_as_of_gives_the_text_in_force_exactly(pair, reference, as_of, expected):
    res = pair.lookup(reference, as_of=as_of)
    assert res.status == "found", res.message
    assert res.text == expected
    assert res.amended_by and res.amended_by[0].startswith("Khoản ") and "999/2099/NĐ-CP (từ 01/07/2099)" in res.amended_by[0]


def test_lookup_before_an_addition_names_the_amending_provision(pair):
    res = pair.lookup("Điều 4a Nghị định 998/2098/NĐ-CP", as_of="2099-06-30")
    assert res.status == "not_found"
    assert "Điều 4a Nghị định 998/2098/NĐ-CP được bổ sung bởi Khoản 6 Điều 1 Nghị định 999/2099/NĐ-CP" in res.message
    assert "01/07/2099" in res.message


def test_repealed_clause_is_marked_with_its_amending_provision(pair):
    before = pair.lookup("khoản 3 Điều 3 Nghị định 998/2098/NĐ-CP", as_of="2099-06-30")
    after = pair.lookup("khoản 3 Điều 3 Nghị định 998/2098/NĐ-CP", as_of="2099-07-01")
    assert not before.repealed and after.repealed
    assert after.text == before.text  # what was repealed stays readable, said to be no longer in force
    assert any("đã bị bãi bỏ bởi Khoản 4 Điều 1 Nghị định 999/2099/NĐ-CP" in n for n in after.notes)
    assert any("không còn hiệu lực" in n for n in after.notes)


def test_relations_go_with_the_amending_document_and_survive_reingest(pair):
    reg = pair.store.registry
    assert len(reg.amendments(BASE_KEY)) == 7
    pair.store.ingest([str(AMENDING)], force=True)  # idempotent: the same relations, not twice
    assert len(reg.amendments(BASE_KEY)) == 7
    assert pair.remove_document(AMENDING_KEY)
    assert reg.amendments(BASE_KEY) == []
    res = pair.lookup("khoản 2 Điều 2 Nghị định 998/2098/NĐ-CP", as_of="2099-07-01")
    assert res.text == ORIGINAL_2_2 and res.notes == [] and res.amended_by == []


def test_the_amending_document_may_arrive_first(fake_kb):
    kb = fake_kb(AMENDING)
    assert len(kb.store.registry.amendments(BASE_KEY)) == 7  # stored under the amended unit already
    kb.store.ingest([str(BASE)])
    assert kb.lookup("khoản 2 Điều 2 Nghị định 998/2098/NĐ-CP", as_of="2099-07-01").text == AMENDED_2_2


def test_answer_quotes_the_amended_text_in_force_and_labels_it(pair):
    from qa.evaluate import quote_is_verbatim

    question = "Hồ sơ đăng ký trại nuôi chim cánh cụt gồm những gì?"
    before = pair.ask(question, as_of="2099-06-30")
    after = pair.ask(question, as_of="2099-07-01")
    cited = {c.citation: c for c in after.citations}
    c = cited["Khoản 2 Điều 2 Nghị định 998/2098/NĐ-CP"]
    assert c.quote == AMENDED_2_2 and c.amended_by == ["Khoản 1 Điều 1 Nghị định 999/2099/NĐ-CP (từ 01/07/2099)"]
    assert quote_is_verbatim(pair, c)  # quoted from the amending decree's stored text
    assert any("trích nội dung có hiệu lực tại ngày 01/07/2099" in w for w in after.warnings)
    old = next(c for c in before.citations if c.citation == "Khoản 2 Điều 2 Nghị định 998/2098/NĐ-CP")
    assert old.quote == ORIGINAL_2_2 and any("chưa có hiệu lực" in w for w in before.warnings)
    assert "amended_by" in after.to_public_dict()["citations"][0]


def test_clause_panel_and_tree_mark_amended_articles(pair):
    from ui.render import render_clause, render_tree

    tree = pair.document_tree(BASE_KEY)
    by_number = {u.number: u for u in tree.units}
    assert by_number["2"].amended_by == ["Khoản 1 Điều 1 Nghị định 999/2099/NĐ-CP (từ 01/07/2099)",
                                         "Khoản 2 Điều 1 Nghị định 999/2099/NĐ-CP (từ 01/07/2099)"]
    assert by_number["1"].amended_by == [] and by_number["5"].amendments == []
    assert any(line.startswith("Điều 4a Nghị định 998/2098/NĐ-CP") for line in tree.amendments)  # not in the text yet
    html = render_tree(tree)
    assert "Điều 2. Đăng ký trại nuôi <span class=\"kb-amend\">— sửa đổi, bổ sung, bãi bỏ: Khoản 1 Điều 1" in html
    node = by_number["3"].clauses[1].node_id
    hit = pair.clause(node)
    assert hit.amendments and "cụm từ “hằng quý” được thay bằng “hằng tháng”" in hit.amendments[0]
    assert "01/07/2099" in render_clause(hit)
    amending = pair.document_tree(AMENDING_KEY)
    assert amending.amendments == ["Văn bản này sửa đổi, bổ sung, bãi bỏ 7 nội dung của Nghị định 998/2098/NĐ-CP, "
                                   "có hiệu lực từ 01/07/2099."]


SYNTHETIC_PD_AMENDED = """<div class='_content'><p class='pChuong'>Chương I</p>
<p class='pDieu'>Điều 99.9.NĐ.1.1. Phạm vi thử nghiệm (synthetic)</p>
<p class='pGhiChu'><a href='http://vbpl.vn/x#Chuong_I_Dieu_1'>(Điều 1 Nghị định số 997/2097/NĐ-CP Thử nghiệm tổng hợp ngày 01/02/2097 của Chính phủ, có hiệu lực thi hành kể từ ngày 01/03/2097, có nội dung được sửa đổi bởi Điều 3 Nghị định số 996/2098/NĐ-CP có hiệu lực thi hành kể từ ngày 01/01/2098)</a></p>
<p class='pNoiDung'><p>1. Văn bản tổng hợp dùng cho kiểm thử quy định về việc nuôi chim cánh cụt trên sao Hỏa.</p></p>
<p class='pDieu'>Điều 99.9.NĐ.1.2. Trách nhiệm thử nghiệm (synthetic)</p>
<p class='pGhiChu'><a href='http://vbpl.vn/x#Chuong_I_Dieu_2'>(Điều 2 Nghị định số 997/2097/NĐ-CP, có hiệu lực thi hành kể từ ngày 01/03/2097)</a></p>
<p class='pNoiDung'><p>Bộ Thử nghiệm chịu trách nhiệm hướng dẫn việc nuôi chim cánh cụt.</p></p></div>"""


def test_phapdien_amended_article_names_the_missing_amending_document(fake_kb, tmp_path):
    src = tmp_path / "synthetic_demuc_amended.html"
    src.write_text(SYNTHETIC_PD_AMENDED, encoding="utf-8")
    kb = fake_kb(src)
    res = kb.lookup("khoản 1 Điều 1 Nghị định 997/2097/NĐ-CP", as_of="2099-01-01")
    assert res.text == "1. Văn bản tổng hợp dùng cho kiểm thử quy định về việc nuôi chim cánh cụt trên sao Hỏa."
    assert res.notes[0] == ("Điều 1 Nghị định 997/2097/NĐ-CP có nội dung được sửa đổi bởi Điều 3 Nghị định "
                            "996/2098/NĐ-CP (chưa có trong cơ sở dữ liệu), có hiệu lực từ 01/01/2098")
    assert kb.lookup("Điều 2 Nghị định 997/2097/NĐ-CP").notes == []
    tree = {u.number: u for u in kb.document_tree("997/2097/NĐ-CP").units}
    assert tree["1"].amended_by == ["Điều 3 Nghị định 996/2098/NĐ-CP (chưa có trong cơ sở dữ liệu) (từ 01/01/2098)"]


def test_cli_lookup_as_of(pair, monkeypatch, capsys):
    from kb.cli import main

    home = pair.settings.home
    monkeypatch.setenv("KB_EMBEDDING", "fake")
    assert main(["--home", str(home), "lookup", "khoản 2 Điều 2 Nghị định 998/2098/NĐ-CP", "--as-of", "01/07/2099"]) == 0
    out = capsys.readouterr().out
    # the citation, the article's title and its hiệu lực on the date, then the notes, then the text
    assert out.startswith("Khoản 2 Điều 2 Nghị định 998/2098/NĐ-CP\nĐiều 2. ") and out.rstrip().endswith(AMENDED_2_2)
    assert "\nHiệu lực tại ngày 01/07/2099: " in out and "\nLưu ý: " in out
    with pytest.raises(SystemExit):  # a date that does not exist is refused by the argument parser
        main(["--home", str(home), "lookup", "Điều 2 Nghị định 998/2098/NĐ-CP", "--as-of", "31/02/2099"])
    assert "không hợp lệ" in capsys.readouterr().err
