"""qa.question: one Question per ask, and follow-ups read with the question before (table tests)."""
import pytest

from qa.question import Question, continues_previous

FOLLOW_UPS = [
    # "còn … thì sao?" changes only the subject: a follow-up, though it names a body
    ("Còn cấp xã thì sao?", True, True),
    # points back to the body of the previous question
    ("Vậy cơ quan đó phải báo cáo cho ai?", False, True),
    # short, no document, no body, no subject of its own
    ("Thời hạn là bao lâu?", False, True),
    # a question that stands alone: names its body and its subject
    ("Ủy ban nhân dân cấp tỉnh có trách nhiệm gì về thông tin đối ngoại?", True, False),
    # typed without diacritics, the same cue
    ("con ubnd xa thi sao", True, True),
]


@pytest.mark.parametrize("text,names_body,expected", FOLLOW_UPS)
def test_continues_previous(text, names_body, expected):
    assert continues_previous(text, names_document=False, names_body=names_body) is expected


def test_a_follow_up_reads_the_previous_question():
    first = Question.parse("Ủy ban nhân dân cấp tỉnh phải họp báo định kỳ bao lâu một lần?")
    q = Question.parse("Còn cấp xã thì sao?", previous=first)
    assert q.continues == first.text
    assert q.search_text.startswith(first.text) and q.search_text.endswith("Còn cấp xã thì sao?")
    assert q.asker == "commune"  # the follow-up's own body wins
    assert "time" in q.expects  # it asks what the first question asked


def test_a_question_that_stands_alone_is_not_a_follow_up():
    first = Question.parse("Ủy ban nhân dân cấp tỉnh phải họp báo định kỳ bao lâu một lần?")
    q = Question.parse("Bộ Tài chính có trách nhiệm gì đối với kinh phí thông tin đối ngoại?", previous=first)
    assert q.continues == "" and q.search_text == q.text
    assert q.asker == "ministry"


def test_a_follow_up_without_a_body_keeps_the_previous_asker():
    first = Question.parse("Sở Y tế phải cung cấp thông tin cho báo chí thế nào?")
    q = Question.parse("Thời hạn là bao lâu?", previous=first)
    assert q.continues and q.asker == first.asker == "department"


YES_NO = [
    ("Sở có được giao Chánh văn phòng làm người phát ngôn không?", True),
    ("UBND tỉnh có phải họp báo định kỳ không?", True),
    ("nguoi phat ngon co duoc uy quyen tiep ko", True),
    ("Ai là người phát ngôn của Bộ?", False),
    ("Thời hạn báo cáo là bao lâu?", False),
]


@pytest.mark.parametrize("text,expected", YES_NO)
def test_yes_no(text, expected):
    assert Question.parse(text).yes_no is expected


def test_parsed_once_fields():
    q = Question.parse("ubnd tinh bao lau phai hop bao dinh ky 1 lan?")
    assert q.unaccented and q.asker == "province" and q.expects == frozenset({"time"}) and q.parts == 1
    two = Question.parse("Hồ sơ gồm những gì và nộp ở đâu?")
    assert two.parts == 2 and two.expects == frozenset()  # a kind of answer answers one part only
