"""Table-driven tests for qa.references (parse, match, mentions, suggestions, formatting)."""
from __future__ import annotations

import pytest

from ingest.identity import nfc
from qa.references import (
    DocDescriptor,
    ParsedReference,
    find_document_mentions,
    format_reference,
    make_descriptor,
    match_documents,
    parse_reference,
    resolution_message,
    suggest_documents,
)

# (input, expected fields; every field not listed must be empty)
PARSE_CASES = [
    # --- full citations, canonical order and case
    ("khoản 3 Điều 7 Nghị định 72/2015/NĐ-CP",  # canonical citation form
     dict(article="7", clause="3", doc_type="Nghị định", number="72/2015/NĐ-CP", year="2015")),
    ("Điểm a Khoản 3 Điều 7 Nghị định 72/2015/NĐ-CP",  # citation_string() output parses back
     dict(article="7", clause="3", point="a", doc_type="Nghị định", number="72/2015/NĐ-CP", year="2015")),
    ("điểm b khoản 2 điều 5 nghị định 09/2017",  # all lower case, partial number with year
     dict(article="5", clause="2", point="b", doc_type="Nghị định", number="09/2017", year="2017")),
    ("Điều 7 Nghị định 72/2015/NĐ-CP",  # article only
     dict(article="7", doc_type="Nghị định", number="72/2015/NĐ-CP", year="2015")),
    # --- any order
    ("Điều 41 Luật Báo chí khoản 3",  # clause after the document name
     dict(article="41", clause="3", doc_type="Luật", name="Báo chí")),
    ("Điều 7 khoản 3 điểm a",  # reversed order, no document
     dict(article="7", clause="3", point="a")),
    ("Nghị định 72/2015/NĐ-CP, Điều 7, khoản 3",  # document first, commas
     dict(article="7", clause="3", doc_type="Nghị định", number="72/2015/NĐ-CP", year="2015")),
    ("khoản 2, điểm c, Điều 10",  # point between clause and article
     dict(article="10", clause="2", point="c")),
    # --- without diacritics / upper case
    ("dieu 7 khoan 3 diem a nghi dinh 72",  # no diacritics, bare number after the type
     dict(article="7", clause="3", point="a", doc_type="Nghị định", number="72")),
    ("DIEU 7 ND 72/2015/ND-CP",  # shouting, ASCII abbreviation and number
     dict(article="7", doc_type="Nghị định", number="72/2015/ND-CP", year="2015")),
    ("KHOẢN 1 ĐIỀU 2 LUẬT BÁO CHÍ",  # upper case with diacritics; name keeps its spelling
     dict(article="2", clause="1", doc_type="Luật", name="BÁO CHÍ")),
    ("72/2015/nd-cp",  # lower-case ASCII number is upper-cased; type inferred from the code
     dict(doc_type="Nghị định", number="72/2015/ND-CP", year="2015")),
    # --- abbreviations of Điều / Khoản / Điểm
    ("k3 đ7 nđ 72/2015",  # compact abbreviations, partial number
     dict(article="7", clause="3", doc_type="Nghị định", number="72/2015", year="2015")),
    ("đ.7 k.3",  # dotted abbreviations
     dict(article="7", clause="3")),
    ("đ 7 k 3",  # abbreviations separated by a space
     dict(article="7", clause="3")),
    ("Đ7K3",  # glued upper case
     dict(article="7", clause="3")),
    ("k3đ7",  # glued, clause first
     dict(article="7", clause="3")),
    ("d7",  # ASCII "d" + number is still Điều
     dict(article="7")),
    ("Đ. 15 NĐ 09/2017/NĐ-CP",  # "Đ." with a space before the number
     dict(article="15", doc_type="Nghị định", number="09/2017/NĐ-CP", year="2017")),
    ("Điều 7 NĐ72",  # number glued to the type abbreviation
     dict(article="7", doc_type="Nghị định", number="72")),
    # --- "đ" as Điều or Điểm
    ("điểm đ khoản 3 điều 7",  # point letter đ (not d) after "điểm"
     dict(article="7", clause="3", point="đ")),
    ("điểm d khoản 3 điều 7",  # point letter d stays d
     dict(article="7", clause="3", point="d")),
    ("đ) khoản 2 Điều 5",  # "đ)" as written in the law text: a point
     dict(article="5", clause="2", point="đ")),
    ("a) khoản 1 Điều 4",  # "a)" point marker
     dict(article="4", clause="1", point="a")),
    ("điểm đ k3 đ7",  # đ after "điểm" is a point, đ before a number is an article
     dict(article="7", clause="3", point="đ")),
    ("diem e khoan 1 dieu 9",  # ASCII point e
     dict(article="9", clause="1", point="e")),
    ("điểm f khoản 2 Điều 8",  # "f": texts that letter their points in the Latin order (a … e, f)
     dict(article="8", clause="2", point="f")),
    # --- article forms
    ("Điều 13a",  # article with a letter suffix (inserted by an amendment)
     dict(article="13a")),
    ("Điều 13a khoản 2",  # suffix followed by a clause
     dict(article="13a", clause="2")),
    ("Điều 584 Bộ luật Dân sự",  # three-digit article in a code
     dict(article="584", doc_type="Bộ luật", name="Dân sự")),
    # --- type abbreviations
    ("TT 03/2019",  # Thông tư
     dict(doc_type="Thông tư", number="03/2019", year="2019")),
    ("Thông tư 22/2016/TT-BTTTT",  # full Thông tư number
     dict(doc_type="Thông tư", number="22/2016/TT-BTTTT", year="2016")),
    ("QĐ 1234/QĐ-TTg",  # Quyết định without year in the number
     dict(doc_type="Quyết định", number="1234/QĐ-TTG")),
    ("NQ 05",  # Nghị quyết with a bare number
     dict(doc_type="Nghị quyết", number="05")),
    ("KL 57",  # Kết luận with a bare number
     dict(doc_type="Kết luận", number="57")),
    ("CV 3837",  # Công văn with a bare (four-digit) number: a number, not a year
     dict(doc_type="Công văn", number="3837")),
    ("TTLT 03/2019",  # Thông tư liên tịch
     dict(doc_type="Thông tư liên tịch", number="03/2019", year="2019")),
    ("Thông tư liên tịch số 12/2020/TTLT-BTP",  # full name with "số"
     dict(doc_type="Thông tư liên tịch", number="12/2020/TTLT-BTP", year="2020")),
    ("Điều 584 BLDS",  # BLDS expands to Bộ luật dân sự
     dict(article="584", doc_type="Bộ luật", name="dân sự")),
    ("khoản 1 điều 123 blhs",  # BLHS expands to Bộ luật hình sự
     dict(article="123", clause="1", doc_type="Bộ luật", name="hình sự")),
    ("BLDS 2015",  # code abbreviation with a year
     dict(doc_type="Bộ luật", name="dân sự", year="2015")),
    # --- number forms
    ("72/2015/NĐ-CP",  # number alone: type inferred from NĐ
     dict(doc_type="Nghị định", number="72/2015/NĐ-CP", year="2015")),
    ("72/2015",  # number/year alone: no type
     dict(number="72/2015", year="2015")),
    ("Nghị định 72",  # bare number after the type
     dict(doc_type="Nghị định", number="72")),
    ("nđ 72/2015",  # abbreviation with diacritic, partial number
     dict(doc_type="Nghị định", number="72/2015", year="2015")),
    ("Nghị định số 72 năm 2015",  # "số", then the year spelled out with "năm"
     dict(doc_type="Nghị định", number="72", year="2015")),
    ("Kết luận 57-KL/TW",  # Party number form with a dash
     dict(doc_type="Kết luận", number="57-KL/TW")),
    ("57-KL/TW",  # Party number alone: type from "KL"
     dict(doc_type="Kết luận", number="57-KL/TW")),
    ("Công văn 3837/BTTTT-TTĐN",  # Công văn: number and issuer code, no year
     dict(doc_type="Công văn", number="3837/BTTTT-TTĐN")),
    ("Công văn BTTTT-TTĐN",  # issuer code only (ambiguous between Công văn)
     dict(doc_type="Công văn", number="BTTTT-TTĐN")),
    ("Luật số 103/2016/QH13",  # Luật with "số"; QH does not decide the type
     dict(doc_type="Luật", number="103/2016/QH13", year="2016")),
    ("103/2016/QH13",  # QH number alone: Luật or Nghị quyết, so no type
     dict(number="103/2016/QH13", year="2016")),
    ("Luật Báo chí 103/2016/QH13",  # document_name() form: name then number
     dict(doc_type="Luật", name="Báo chí", number="103/2016/QH13", year="2016")),
    # --- named documents
    ("Luật Báo chí",  # name only
     dict(doc_type="Luật", name="Báo chí")),
    ("Luật Báo chí 2016",  # name and year
     dict(doc_type="Luật", name="Báo chí", year="2016")),
    ("Luật Báo chí năm 2016",  # "năm" ends the name
     dict(doc_type="Luật", name="Báo chí", year="2016")),
    ("Bộ luật Dân sự",  # Bộ luật wins over Luật
     dict(doc_type="Bộ luật", name="Dân sự")),
    ("luat cu tru",  # ASCII name
     dict(doc_type="Luật", name="cu tru")),
    ("Điều 3 Luật Phòng, chống ma túy",  # comma inside the name
     dict(article="3", doc_type="Luật", name="Phòng, chống ma túy")),
    ("Luật phòng, chống ma túy năm 2021 điều 3",  # name, year, then the article
     dict(article="3", doc_type="Luật", name="phòng, chống ma túy", year="2021")),
    ("Hiến pháp 2013",  # Hiến pháp identified by its year
     dict(doc_type="Hiến pháp", year="2013")),
    # --- no document / nothing
    ("Điều 7",  # article only
     dict(article="7")),
    ("văn bản quy phạm pháp luật",  # "pháp luật" is not a Luật
     dict()),
    ("",  # empty input
     dict()),
]


@pytest.mark.parametrize(("text", "fields"), PARSE_CASES, ids=[c[0] or "<empty>" for c in PARSE_CASES])
def test_parse_reference(text, fields):
    assert parse_reference(text) == ParsedReference(**fields, raw=nfc(text).strip())


def test_parse_case_count():
    assert len(PARSE_CASES) >= 50


def test_decomposed_unicode_input():
    # NFD input (as some PDFs produce) parses like NFC
    import unicodedata

    ref = parse_reference(unicodedata.normalize("NFD", "điểm đ khoản 3 Điều 7 Nghị định 72"))
    assert (ref.point, ref.clause, ref.article, ref.number) == ("đ", "3", "7", "72")


DOCS = [
    make_descriptor("72/2015/NĐ-CP", "Nghị định", "Về quản lý hoạt động thông tin đối ngoại"),
    make_descriptor("09/2017/NĐ-CP", "Nghị định", "Quy định chi tiết việc phát ngôn và cung cấp thông tin cho báo chí"),
    make_descriptor("88/2012/NĐ-CP", "Nghị định", "Về hoạt động thông tin, báo chí của báo chí nước ngoài"),
    make_descriptor("103/2016/QH13", "Luật", "Báo chí"),
    make_descriptor("02/2019/TT-BTTTT", "Thông tư", "Quy định về thông tin đối ngoại"),
    make_descriptor("03/2019/TT-BTTTT", "Thông tư", "Hướng dẫn hoạt động thông tin đối ngoại"),
    make_descriptor("22/2016/TT-BTTTT", "Thông tư", "Hướng dẫn thi tuyển công chức"),
    make_descriptor("57-KL/TW", "Kết luận", "Về tiếp tục nâng cao chất lượng thông tin đối ngoại"),
    make_descriptor("3837/BTTTT-TTĐN", "Công văn", "Về thông tin đối ngoại năm 2020"),
    make_descriptor("1578/BTTTT-TTĐN", "Công văn", "Về kế hoạch thông tin đối ngoại"),
    make_descriptor("", "Luật", "Luật Phòng, chống ma túy"),
    make_descriptor("", "Bộ luật", "Bộ luật Dân sự", aliases=("BLDS",)),
]


def test_descriptor_keys_follow_document_key():
    # number-less documents are keyed by their lower-cased "type title"
    assert [d.key for d in DOCS[-2:]] == ["luật phòng, chống ma túy", "bộ luật dân sự"]
    assert DOCS[0].key == "72/2015/NĐ-CP"


# (reference text, expected keys in order; [] = not found, several = ambiguous)
MATCH_CASES = [
    ("Điều 7 Nghị định 72/2015/NĐ-CP", ["72/2015/NĐ-CP"]),  # exact number
    ("dieu 7 nd 72/2015/nd-cp", ["72/2015/NĐ-CP"]),  # exact number, folded
    ("k3 đ7 nđ 72/2015", ["72/2015/NĐ-CP"]),  # number/year prefix
    ("Nghị định 72", ["72/2015/NĐ-CP"]),  # bare number prefix within the type
    ("Nghị định 72 năm 2015", ["72/2015/NĐ-CP"]),  # bare number and matching year
    ("Nghị định 72 năm 2016", []),  # year contradicts the number
    ("Thông tư 72", []),  # partial number under the wrong type
    ("Thông tư 72/2015/NĐ-CP", ["72/2015/NĐ-CP"]),  # exact number outweighs a wrong type word
    ("Thông tư 03/2019", ["03/2019/TT-BTTTT"]),  # not 02/2019
    ("Luật Báo chí", ["103/2016/QH13"]),  # name against type + title
    ("Luật Báo chí 2016", ["103/2016/QH13"]),  # name + year from the number
    ("Luật Báo chí 2015", []),  # year narrows to nothing
    ("luật bao chi", ["103/2016/QH13"]),  # case and diacritics insensitive
    ("Luật số 103/2016/QH13", ["103/2016/QH13"]),  # full QH number
    ("Kết luận 57-KL/TW", ["57-KL/TW"]),  # Party number
    ("Kết luận 57", ["57-KL/TW"]),  # Party number prefix before the dash
    ("Công văn 3837/BTTTT-TTĐN", ["3837/BTTTT-TTĐN"]),  # exact Công văn
    ("Công văn BTTTT-TTĐN", ["3837/BTTTT-TTĐN", "1578/BTTTT-TTĐN"]),  # issuer only: ambiguous
    ("Luật Phòng, chống ma túy", ["luật phòng, chống ma túy"]),  # number-less, title repeats type
    ("luat phong chong ma tuy", ["luật phòng, chống ma túy"]),  # ASCII, no comma
    ("Điều 584 Bộ luật Dân sự", ["bộ luật dân sự"]),  # number-less code
    ("Điều 584 BLDS", ["bộ luật dân sự"]),  # code abbreviation
    ("Luật Dân sự", ["bộ luật dân sự"]),  # Luật vs Bộ luật is tolerated
    ("Nghị định thông tin đối ngoại", ["72/2015/NĐ-CP"]),  # words inside the title
    ("Nghị định 27/2015", []),  # typo: not found
    ("Luật Cư trú", []),  # not in the catalogue
    ("Nghị định", []),  # a bare type names nothing
    ("Điều 7", []),  # no document at all
]


@pytest.mark.parametrize(("text", "keys"), MATCH_CASES, ids=[c[0] for c in MATCH_CASES])
def test_match_documents(text, keys):
    assert [d.key for d in match_documents(parse_reference(text), DOCS)] == keys


def test_ambiguous_partial_number():
    # two Nghị định numbered 72 in different years: a tie, the year resolves it
    docs = DOCS + [make_descriptor("72/2013/NĐ-CP", "Nghị định", "Về quản lý Internet")]
    assert len(match_documents(parse_reference("Nghị định 72"), docs)) == 2
    assert [d.key for d in match_documents(parse_reference("Nghị định 72/2013"), docs)] == ["72/2013/NĐ-CP"]


def test_exact_beats_partial():
    # "72/2015" is the full number of one document and a prefix of another
    docs = [DocDescriptor("72/2015", "72/2015", "Nghị định", "A"), DOCS[0]]
    assert [d.key for d in match_documents(ParsedReference(number="72/2015"), docs)] == ["72/2015"]


def test_aliases_match_names():
    docs = [make_descriptor("103/2016/QH13", "Luật", "Báo chí", aliases=("Luật Báo chí 2016",))]
    assert match_documents(ParsedReference(doc_type="Luật", name="báo chí 2016"), docs) == docs


# (question, expected keys in order of mention)
MENTION_CASES = [
    ("Theo Luật Báo chí thì ai được cấp thẻ nhà báo?", ["103/2016/QH13"]),  # type + title
    ("Nghị định 72 quy định gì về phát ngôn?", ["72/2015/NĐ-CP"]),  # type + bare number
    ("Thông tư 03/2019 hướng dẫn những gì?", ["03/2019/TT-BTTTT"]),  # type + number/year
    ("Nội dung của 09/2017/NĐ-CP?", ["09/2017/NĐ-CP"]),  # full number alone
    ("So sánh Nghị định 88 và Nghị định 09", ["88/2012/NĐ-CP", "09/2017/NĐ-CP"]),  # order of mention
    ("theo luat phong chong ma tuy, nguoi nghien phai lam gi", ["luật phòng, chống ma túy"]),  # ASCII
    ("BLDS quy định thế nào về hợp đồng?", ["bộ luật dân sự"]),  # code abbreviation
    ("Kết luận 57-KL/TW nói gì?", ["57-KL/TW"]),  # Party number
    ("Công văn 3837 yêu cầu gì?", ["3837/BTTTT-TTĐN"]),  # Công văn with bare number
    ("Luật quy định thế nào về thông tin đối ngoại?", []),  # generic "luật": nothing
    ("Nghị định nói gì về người phát ngôn?", []),  # generic "nghị định": nothing
    ("Văn bản quy phạm pháp luật nào quy định về báo chí?", []),  # "pháp luật", "báo chí" alone
    ("Hạn nộp báo cáo là 12/2019 phải không?", []),  # date-like number without a type word
    ("Luật Cư trú quy định gì?", []),  # named but not catalogued
    ("Phạt 500.000 đ 7 ngày", []),  # money and days are no documents
    ("Luật báo cáo gì? " + "thông tin đối ngoại " * 60 + "theo Luật Báo chí",
     ["103/2016/QH13"]),  # a long text: a name's first words ("luat bao") alone name nothing; the name at the end does
]


@pytest.mark.parametrize(("question", "keys"), MENTION_CASES, ids=[c[0] for c in MENTION_CASES])
def test_find_document_mentions(question, keys):
    assert find_document_mentions(question, DOCS) == keys


# (not-found reference, expected first suggestion)
SUGGEST_CASES = [
    ("Nghị định 27/2015", "72/2015/NĐ-CP"),  # swapped digits
    ("Nghị định 72/2015/NĐ-CD", "72/2015/NĐ-CP"),  # typo in the issuer code
    ("Luật Báo trí", "103/2016/QH13"),  # misspelt name
    ("Công văn 3873/BTTTT-TTĐN", "3837/BTTTT-TTĐN"),  # swapped digits in a Công văn
    ("luat phong chong ma tuys", "luật phòng, chống ma túy"),  # trailing typo
]


@pytest.mark.parametrize(("text", "key"), SUGGEST_CASES, ids=[c[0] for c in SUGGEST_CASES])
def test_suggest_documents(text, key):
    suggestions = suggest_documents(text, DOCS)
    assert suggestions and suggestions[0].key == key
    assert len(suggestions) <= 5


def test_suggest_nothing_for_unrelated_text():
    assert suggest_documents("xyz", DOCS) == []
    assert len(suggest_documents("Thông tư 2019", DOCS, limit=2)) <= 2


# (reference, formatted text)
FORMAT_CASES = [
    (ParsedReference(article="7", clause="3", doc_type="Nghị định", number="72/2015", year="2015"),
     "Khoản 3 Điều 7 Nghị định 72/2015"),  # year already inside the number
    (ParsedReference(article="7", clause="3", point="đ"), "Điểm đ Khoản 3 Điều 7"),  # no document
    (ParsedReference(doc_type="Luật", name="Báo chí", year="2016"), "Luật Báo chí năm 2016"),  # name + year
    (ParsedReference(article="5", doc_type="Nghị định", number="72", year="2015"),
     "Điều 5 Nghị định 72 năm 2015"),  # bare number + year
    (ParsedReference(), ""),  # nothing
]


@pytest.mark.parametrize(("ref", "text"), FORMAT_CASES, ids=[c[1] or "<empty>" for c in FORMAT_CASES])
def test_format_reference(ref, text):
    assert format_reference(ref) == text


def test_resolution_messages_are_vietnamese():
    ref = parse_reference("Công văn BTTTT-TTĐN")
    assert "nhiều văn bản" in resolution_message(ref, match_documents(ref, DOCS))
    assert resolution_message(ref, []).startswith("Không tìm thấy")
    assert resolution_message(ref, DOCS[:1]) == ""


@pytest.mark.parametrize("text,expected", [
    ("k3 đ7 nđ72/2015", dict(article="7", clause="3", number="72/2015")),  # everything glued, as typed on a phone
    ("đ5 tt02/2019", dict(article="5", doc_type="Thông tư", number="02/2019")),  # article and circular glued
    ("Mục (2) Bài tư vấn Nâng cao chất lượng", dict(section="(2)", doc_type="Bài tư vấn")),  # a section of the secondary source
    ("Mục I Công văn 3837", dict(section="I", doc_type="Công văn", number="3837")),  # a roman section of a letter
])
def test_shorthand_and_sections(text, expected):
    ref = parse_reference(text)
    assert {k: getattr(ref, k) for k in expected} == expected
    assert ref.raw == text  # messages quote what the user typed


def test_bare_article_lists_every_loaded_document_that_has_it(fake_kb):
    """"Điều 1" names no document: each loaded document with an Điều 1 is offered, and each offer
    looks up on its own; an article no document has is still "not found"."""
    from pathlib import Path

    fixtures = Path(__file__).parent / "fixtures"
    kb = fake_kb(fixtures / "synthetic_nghi_dinh.txt", fixtures / "synthetic_answers_nghi_dinh.txt")
    res = kb.lookup("Điều 1")
    assert res.status == "ambiguous" and res.text == "" and "2 văn bản có Điều 1" in res.message
    assert sorted(res.suggestions) == ["Điều 1 Nghị định 998/2099/NĐ-CP", "Điều 1 Nghị định 999/2099/NĐ-CP"]
    assert all(kb.lookup(s).status == "found" for s in res.suggestions)
    only = kb.lookup("k1 đ5")  # only the second decree has an Điều 5; the clause is kept
    assert only.status == "ambiguous" and only.suggestions == ["Khoản 1 Điều 5 Nghị định 998/2099/NĐ-CP"]
    assert kb.lookup("Điều 777").status == "not_found"
    found = kb.lookup(res.suggestions[0])
    assert found.formal_citation.startswith(f"Điều 1 Nghị định số {found.document} ngày 07/9/2099")
