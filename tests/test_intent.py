"""What a question asks for beyond its words (qa/intent.py, core.vocab.bodies_in), and how the
answer uses it: the clause for the asker's kind of body, the clause that carries the expected kind
of answer, the unit about a quoted term, paraphrases, and words the segmenter joined differently.

Fixture texts are synthetic (glass domes for penguins on Mars) and say so.
"""
from __future__ import annotations

import pytest

from core.vocab import bodies_in
from qa.intent import QuestionIntent, carries, clause_subject, expected_answers, legal_name_expansion, quoted_terms
from qa.relevance import weighted_coverage

BODIES = [
    # a provincial department, by its everyday name
    ("Sở Y tế chúng tôi có thể giao cho Chánh văn phòng làm người phát ngôn không?", ["department"]),
    # …and by its legal name; the province inside that name is not counted again
    ("2. Người phát ngôn của các cơ quan chuyên môn thuộc Ủy ban nhân dân cấp tỉnh, gồm:", ["department"]),
    # typed without diacritics, with the abbreviation
    ("ubnd tinh bao lau phai hop bao 1 lan", ["province"]),
    # several kinds in one lead line, in order; "tổng cục" is not a "cục"
    ("1. Các bộ, cơ quan ngang bộ; tổng cục thuộc bộ; Ủy ban nhân dân cấp tỉnh, gồm:", ["ministry", "province"]),
    # district and commune levels
    ("3. Ủy ban nhân dân cấp huyện và Ủy ban nhân dân cấp xã, gồm:", ["district", "commune"]),
    # "cơ sở" (a facility) and "số" (a number) are not a department; "bộ phận" is not a ministry
    ("Số điện thoại của cơ sở và bộ phận một cửa", []),
]


@pytest.mark.parametrize("text,expected", BODIES, ids=[b[0][:30] for b in BODIES])
def test_bodies_in(text, expected):
    assert bodies_in(text) == expected


ANSWER_KINDS = [
    ("Ủy ban nhân dân tỉnh phải trả lời trong bao lâu?", {"time"}),  # a duration
    ("ubnd tinh bao lau phai hop bao dinh ky 1 lan", {"time"}),  # a frequency, unaccented
    ("Phải công khai thông tin đó ở đâu?", {"place"}),  # a place
    ("Mức phạt là bao nhiêu?", {"amount"}),  # an amount
    ("Bộ Nội vụ có trách nhiệm gì?", set()),  # nothing in particular
]


@pytest.mark.parametrize("question,kinds", ANSWER_KINDS, ids=[a[0][:30] for a in ANSWER_KINDS])
def test_expected_answers(question, kinds):
    assert expected_answers(question) == kinds


CARRIES = [
    ("time", "Trong thời hạn 05 ngày làm việc kể từ khi nhận hồ sơ", True),  # a deadline in days
    ("time", "b) Ít nhất 3 tháng một lần tổ chức họp báo", True),  # a frequency
    ("time", "Cung cấp thông tin cho báo chí bằng văn bản", False),  # no time at all
    ("place", "phải được đăng tải trên Cổng thông tin điện tử của cơ quan", True),
    ("amount", "Phạt tiền từ 1.000.000 đồng đến 3.000.000 đồng", True),
]


@pytest.mark.parametrize("kind,text,expected", CARRIES, ids=[c[1][:30] for c in CARRIES])
def test_carries(kind, text, expected):
    assert carries(kind, text) is expected


def test_clause_subject_is_the_lead_line_up_to_its_colon():
    text = "2. Người phát ngôn của các cơ quan chuyên môn, gồm:\na) Người đứng đầu;"
    assert clause_subject(text) == "2. Người phát ngôn của các cơ quan chuyên môn, gồm"


def test_quoted_terms_and_legal_names():
    assert quoted_terms('Báo chí đăng "nội dung thông tin đối ngoại" gồm gì?') == ["noi dung thong tin doi ngoai"]
    assert quoted_terms("Một “từ” thôi") == []  # one word in quotes is emphasis, not a term
    # the everyday name of a department is searched with its legal name; the legal name is not added twice
    assert legal_name_expansion("Sở Tư pháp có phải họp báo không?") == "cơ quan chuyên môn thuộc Ủy ban nhân dân cấp tỉnh"
    assert legal_name_expansion("Cơ quan chuyên môn thuộc Ủy ban nhân dân cấp tỉnh có phải họp báo không?") == ""
    # a ministry named by its name is that ministry, not the kind "bộ"
    assert QuestionIntent.of("Bộ Văn hóa, Thể thao và Du lịch có trách nhiệm gì?").asker == ""
    assert QuestionIntent.of("Các bộ có phải họp báo định kỳ không?").asker == "ministry"


def test_several_parts_do_not_say_which_clause_answers():
    question = "Hồ sơ gồm những gì, và phải trả lời trong bao lâu?"
    assert QuestionIntent.of(question, parts=2).expects == frozenset()
    assert QuestionIntent.of(question, parts=1).expects == {"time"}


def test_a_paraphrase_counts_as_the_word():
    """"công khai" in the question, "công bố" in the clause: the same obligation."""
    idf = lambda w: 1.0  # noqa: E731 - equal weights: the share of words is what is measured
    assert weighted_coverage(["công_khai", "họ_tên"], {"công_bố", "họ_tên"}, idf) == 1.0
    assert weighted_coverage(["công_khai", "họ_tên"], {"họ_tên"}, idf) == 0.5


# ---------------------------------------------------------------- through the answer

SYNTHETIC_DOMES = """# DỮ LIỆU THỬ NGHIỆM TỔNG HỢP (synthetic test data) — không phải văn bản pháp luật.
CHÍNH PHỦ THỬ NGHIỆM
Số: 995/2099/NĐ-CP
Hà Nội, ngày 02 tháng 3 năm 2099
NGHỊ ĐỊNH
VỀ NGƯỜI TRÔNG COI VÒM KÍNH NUÔI CHIM CÁNH CỤT
Điều 1. Người trông coi vòm kính
1. Người trông coi vòm kính của các bộ, cơ quan ngang bộ, Ủy ban nhân dân cấp tỉnh, gồm:
a) Người đứng đầu cơ quan;
b) Người được giao trông coi vòm kính thường xuyên.
2. Người trông coi vòm kính của các cơ quan chuyên môn thuộc Ủy ban nhân dân cấp tỉnh, gồm:
a) Người đứng đầu cơ quan;
b) Cấp phó được giao phụ trách khi người đứng đầu vắng mặt.
Điều 2. Kiểm tra vòm kính
1. Trại nuôi kiểm tra vòm kính theo kế hoạch.
2. Trại nuôi kiểm tra vòm kính và máy tạo ôxy ít nhất 3 tháng một lần.
Điều 3. Nội dung nhật ký vòm kính
Nội dung nhật ký vòm kính gồm nhiệt độ, áp suất và lượng ôxy đo mỗi ngày.
Điều 4. Giải thích từ ngữ
1. Trại nuôi ghi nội dung nhật ký vòm kính là trại nuôi có sổ nhật ký treo ở cửa vòm kính.
"""
ND = "Nghị định 995/2099/NĐ-CP"

FIRST = [
    # the asker's kind of body: a department gets the khoản on departments, not the one on ministries
    ("Sở Thủy canh chúng tôi có được giao người trông coi vòm kính thường xuyên không?", f"Khoản 2 Điều 1 {ND}"),
    # the expected kind of answer: of two clauses with the question's words, the one that says
    # how often answers "bao lâu"
    ("Trại nuôi phải kiểm tra vòm kính bao lâu?", f"Khoản 2 Điều 2 {ND}"),
    # a quoted term: the article about it, not the definition that shares more of the words
    ('Trại nuôi ghi "nội dung nhật ký vòm kính" thì cụ thể gồm những gì?', f"Điều 3 {ND}"),
]


@pytest.fixture
def domes_kb(fake_kb, tmp_path):
    path = tmp_path / "synthetic_domes_nghi_dinh.txt"
    path.write_text(SYNTHETIC_DOMES, encoding="utf-8")
    return fake_kb(path)


@pytest.mark.parametrize("question,first", FIRST, ids=[f[0][:40] for f in FIRST])
def test_the_clause_that_answers_comes_first(domes_kb, question, first):
    ans = domes_kb.ask(question)
    assert ans.citations, ans.answer
    assert ans.citations[0].citation == first, [c.citation for c in ans.citations]
