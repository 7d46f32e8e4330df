"""The answer stage, class by class, on short synthetic documents (fake embedding, in-process).

Each case is a question an official would type and what the answer must do with it: which unit is
cited first, which units must be there and in which role, what the basis may be. The fixture
documents are synthetic (penguins on Mars) and say so.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest.crossrefs import CrossRef, find_cross_references
from ingest.nodes import document_scope
from ingest.readers import read_path
from qa.intent import question_parts

FIXTURES = Path(__file__).parent / "fixtures"
DECREE = FIXTURES / "synthetic_answers_nghi_dinh.txt"
ND = "Nghị định 998/2099/NĐ-CP"
# The synthetic decree takes effect on 01/01/2100: the questions about what it says are asked on a date
# it is in force (a unit not in force on the question's date never leads: tests/test_validity_lead.py).
IN_FORCE = "2100-01-01"

# A circular for ministries only, next to the decree: the scope case.
SCOPE_CIRCULAR = """# DỮ LIỆU THỬ NGHIỆM TỔNG HỢP (synthetic test data) — không phải văn bản pháp luật.
BỘ THỬ NGHIỆM
Số: 996/2099/TT-BTN
Hà Nội, ngày 01 tháng 3 năm 2099
THÔNG TƯ
HƯỚNG DẪN BÁO CÁO CHIM CÁNH CỤT CỦA CÁC BỘ
Điều 1. Phạm vi điều chỉnh
Thông tư mẫu này hướng dẫn việc báo cáo chim cánh cụt của các Bộ, cơ quan ngang Bộ.
Điều 2. Đối tượng áp dụng
Thông tư mẫu này áp dụng đối với các Bộ, cơ quan ngang Bộ, cơ quan thuộc Chính phủ.
Điều 3. Báo cáo chim cánh cụt nuôi trong trại
1. Các Bộ gửi báo cáo số lượng chim cánh cụt nuôi trong trại hằng tháng.
Điều 4. Hạn chót gửi báo cáo của các Bộ
Các Bộ gửi báo cáo quý đúng hạn chót theo quy định tại khoản 3 Điều 4 Nghị định số 998/2099/NĐ-CP.
"""

MISSING_CATALOG = """
[[document]]
number = "997/2099/NĐ-CP"
type = "Nghị định"
title = "Về chim cánh cụt biết bay (tổng hợp, để kiểm thử)"
issuer = "Chính phủ thử nghiệm"
text = "chưa có: cán bộ pháp chế cần bổ sung bản chính thức"
"""


@pytest.fixture
def kb(fake_kb, tmp_path):
    circular = tmp_path / "synthetic_scope_thong_tu.txt"
    circular.write_text(SCOPE_CIRCULAR, encoding="utf-8")
    catalog = tmp_path / "synthetic_catalog.toml"
    catalog.write_text(MISSING_CATALOG, encoding="utf-8")
    return fake_kb(DECREE, circular, catalog=catalog)


def _cites(answer) -> list[tuple[str, str]]:
    return [(c.citation, c.role) for c in answer.citations]


CASES = [
    # title_entity: the body is named only in the article title; the whole article answers.
    ("Bộ Khí quyển Nhân tạo có trách nhiệm gì?",
     f"Điều 5 {ND}", {f"Khoản 1 Điều 5 {ND}", f"Khoản 2 Điều 5 {ND}", f"Khoản 3 Điều 5 {ND}"}, {}),
    # noisy: the same question typed without diacritics finds the same article.
    ("bo khi quyen nhan tao co trach nhiem gi",
     f"Điều 5 {ND}", {f"Khoản 1 Điều 5 {ND}"}, {}),
    # cross_ref: the clause that answers points elsewhere; the target follows as a reference.
    ("Thời hạn nộp báo cáo số lượng chim cánh cụt là khi nào?",
     f"Khoản 2 Điều 3 {ND}", {f"Khoản 3 Điều 4 {ND}"}, {f"Khoản 3 Điều 4 {ND}": "reference"}),
    # cross_ref across documents: the circular's clause that applies the decree's deadline, or the
    # decree's clause with the deadline, leads; the deadline itself is cited either way
    ("Các Bộ phải nộp báo cáo quý chậm nhất vào ngày nào?",
     (f"Khoản 3 Điều 4 {ND}", "Điều 4 Thông tư 996/2099/TT-BTN"), {f"Khoản 3 Điều 4 {ND}"}, {}),
    # point: one điểm answers, so the điểm is cited, not the whole khoản.
    ("Tảo xoắn trồng trong bể thủy canh có phải là thức ăn của chim cánh cụt không?",
     f"Điểm b Khoản 1 Điều 6 {ND}", set(), {}),
]


@pytest.mark.parametrize("question,first,present,roles", CASES, ids=[c[0][:40] for c in CASES])
def test_answer_cites_what_answers_first(kb, question, first, present, roles):
    ans = kb.ask(question, as_of=IN_FORCE)
    cited = dict(_cites(ans))
    assert ans.basis in ("found", "weak"), ans.answer
    firsts = first if isinstance(first, tuple) else (first,)
    lead = ans.citations[0].citation
    # a whole article expected first: its khoản 1, 2 or 3 leading it is that article
    assert any(lead.endswith(f) or (f.startswith("Điều") and lead.endswith(" " + f) and lead.startswith("Khoản "))
               for f in firsts), _cites(ans)
    assert present <= set(cited), _cites(ans)
    for cit, role in roles.items():
        assert cited[cit] == role
    # every quote is stored text of the unit it cites
    for c in ans.citations:
        unit = kb.lookup(c.citation)
        assert unit.status == "found", c.citation
        assert all(line in unit.text for line in c.quote.split("\n")), c.citation


def test_answer_leads_with_a_sentence_of_the_cited_clause(kb):
    ans = kb.ask("Tảo xoắn trồng trong bể thủy canh có phải là thức ăn của chim cánh cụt không?", as_of=IN_FORCE)
    lead = ans.answer.split("\n\n")[0]
    assert lead.startswith(f"Theo Điểm b Khoản 1 Điều 6 {ND}") or lead.startswith("Căn cứ gần nhất")
    quoted = lead.split("«", 1)[1].rstrip("»") if "«" in lead else ""
    assert not quoted or quoted in ans.citations[0].quote


def test_missing_catalogued_document_is_said_plainly(kb):
    ans = kb.ask("Nghị định 997/2099/NĐ-CP quy định gì về chim cánh cụt?")
    assert ans.basis == "none" and ans.citations == []
    assert ans.missing_documents == ["997/2099/NĐ-CP"]
    assert "997/2099/NĐ-CP" in ans.answer and "chưa có văn bản trong cơ sở dữ liệu" in ans.answer
    assert ans.to_public_dict()["missing_documents"] == ["997/2099/NĐ-CP"]


def test_scope_a_province_gets_the_decree_not_the_circular_for_ministries(kb):
    ans = kb.ask("Trại nuôi của tỉnh báo cáo số lượng chim cánh cụt nuôi trong trại thế nào?", as_of=IN_FORCE)
    assert ans.citations, ans.answer
    assert "996/2099/TT-BTN" not in ans.citations[0].citation, _cites(ans)


def test_as_of_before_the_named_document_took_effect(kb):
    ans = kb.ask("Nghị định 998/2099 quy định thức ăn của chim cánh cụt thế nào?", as_of="2099-12-31")
    assert ans.basis == "none" and "chưa có hiệu lực" in ans.answer and "01/01/2100" in ans.answer


def test_off_topic_question_has_no_basis(kb):
    ans = kb.ask("Vượt đèn đỏ bị phạt bao nhiêu tiền?")
    assert ans.basis == "none" and ans.citations == []


def test_json_keeps_its_keys_and_adds_roles(kb):
    out = kb.ask("Thời hạn nộp báo cáo số lượng chim cánh cụt là khi nào?").to_public_dict()
    assert {"answer", "citations", "basis", "confidence", "mode", "warnings", "dropped_citations", "fell_back",
            "missing_documents"} <= set(out)
    assert {c["role"] for c in out["citations"]} <= {"answer", "context", "reference"}


# ---------------------------------------------------------------- pure parts

CROSS_REFS = [
    # another document, two points of one clause
    ("theo quy định tại điểm c, d khoản 1 Điều 52 Luật báo chí.",
     [CrossRef("52", "1", "c", "Luật báo chí"), CrossRef("52", "1", "d", "Luật báo chí")]),
    # one clause of several articles of a numbered decree
    ("quy định tại khoản 1 các Điều 7, 8 Nghị định số 72/2015/NĐ-CP ngày 07/9/2015",
     [CrossRef("7", "1", "", "Nghị định số 72/2015/NĐ-CP"), CrossRef("8", "1", "", "Nghị định số 72/2015/NĐ-CP")]),
    # this article: the article is inherited
    ("không thuộc quy định tại Khoản 2 Điều này", [CrossRef("", "2", "", "")]),
    # "Điều kiện" (condition) and "thời Điểm" (moment) are words, not units
    ("đủ Điều kiện theo quy định tại Điều 17 của Luật này", [CrossRef("17", "", "", "")]),
    ("tính đến thời Điểm đặt văn phòng", []),
    # the point letter đ is kept apart from d
    ("quy định tại các Điểm a, b và đ Khoản 1 Điều 27",
     [CrossRef("27", "1", "a", ""), CrossRef("27", "1", "b", ""), CrossRef("27", "1", "đ", "")]),
    # a general reference to the law is no unit
    ("theo quy định của pháp luật về hội", []),
]


@pytest.mark.parametrize("text,expected", CROSS_REFS, ids=[c[0][:30] for c in CROSS_REFS])
def test_cross_references_in_clause_text(text, expected):
    assert find_cross_references(text) == expected


def test_scope_is_read_from_the_scope_articles(tmp_path):
    circular = tmp_path / "synthetic_scope_thong_tu.txt"
    circular.write_text(SCOPE_CIRCULAR, encoding="utf-8")
    assert document_scope(read_path(str(circular))[0]) == ("ministry",)
    assert document_scope(read_path(str(DECREE))[0]) == ()  # no scope article naming one kind of body


@pytest.mark.parametrize("question,parts", [
    ("Bộ Nội vụ có trách nhiệm gì?", 1),  # one question
    ("Thủ tục xin phép ra sao và hai người này được làm những việc gì?", 2),  # two asks joined by "và"
    ("Bao lâu thì có thẻ? Ai xác nhận?", 2),  # two question marks
])
def test_question_parts(question, parts):
    assert question_parts(question) == parts


def test_llm_mode_is_given_the_cited_units_in_the_same_order(fake_kb, tmp_path, monkeypatch):
    """The model sees exactly what the extractive answer cites, references included, in order."""
    import qa.service as service

    kb = fake_kb(DECREE, llm_base_url="http://127.0.0.1:9/v1", llm_model="synthetic-model")
    seen = {}

    def fake_llm(settings, question, hits, fallback):
        seen["hits"] = [h.citation for h in hits]
        yield fallback(question, hits)

    monkeypatch.setattr(service, "iter_answer_with_llm", fake_llm)
    question = "Thời hạn nộp báo cáo số lượng chim cánh cụt là khi nào?"
    extractive = kb.ask(question)
    kb.ask(question, mode="llm")
    assert seen["hits"] == [c.citation for c in extractive.citations]
    assert f"Khoản 3 Điều 4 {ND}" in seen["hits"]  # the followed reference is part of the model's context
