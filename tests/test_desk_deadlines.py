"""The time-limit parser of the official's desk (qa/desk/timeparse.py): a table of SYNTHETIC sentences
(made-up duties of made-up bodies, never law text), one comment per case, each with the typed objects
it must give. Then the deadline rows built from them (who must act, for whom, from what)."""
from __future__ import annotations

import pytest

from ingest.model import Article, Clause, Point
from qa.desk.deadlines import deadlines, document_deadlines
from qa.desk.source import DeskDocument
from qa.desk.timeparse import FixedDate, Relative, number, parse_time_limits


def R(amount, unit, direction="after", trigger="", at_least=False):
    return ("relative", amount, unit, direction, trigger, at_least)


def F(day, month, yearly=True):
    return ("fixed", day, month, yearly)


def P(every, unit):
    return ("period", every, unit)


def shape(x):
    if isinstance(x, Relative):
        return R(x.amount, x.unit, x.direction, x.trigger, x.at_least)
    if isinstance(x, FixedDate):
        return F(x.day, x.month, x.yearly)
    return P(x.every, x.unit)


CASES = [
    # a date every year, said in words and digits
    ("Đơn vị mẫu gửi báo cáo thử nghiệm trước ngày 30 tháng 11 hằng năm.", [F(30, 11)]),
    # the same with a slash; "định kỳ" without a length adds nothing
    ("Định kỳ trước ngày 15/12 hằng năm, đơn vị mẫu gửi bảng kê thử.", [F(15, 12)]),
    # two dates sharing "trước" and "hằng năm", days and months in words with digits in brackets
    ("Thời hạn gửi bảng kê thử trước ngày ba mươi mốt (31) của tháng một (01) và trước ngày ba mươi (30) của "
     "tháng sáu (06) hằng năm.", [F(31, 1), F(30, 6)]),
    # the first days of two months: by the last of them
    ("Thời hạn gửi bảng kê thử trong mười lăm (15) ngày đầu tiên của tháng hai (02) và tháng tám (08) hàng năm.",
     [F(15, 2), F(15, 8)]),
    # the first days of every month
    ("Thời hạn gửi số liệu thử trong mười (10) ngày đầu tiên hàng tháng.", [F(10, 0)]),
    # a date with a year is a document's date, not a limit
    ("Theo Quyết định mẫu số 1/2099/QĐ-TN ngày 02 tháng 3 năm 2099 của Bộ Mẫu.", []),
    # …also written with slashes, whatever the number of digits of its month
    ("Theo Quyết định mẫu số 2/2099/QĐ-TN ngày 21/11/2099 và ngày 05/05/2099.", []),
    # a period with its length, then the yearly date of the same report
    ("Định kỳ 6 tháng, đơn vị mẫu báo cáo thử. Thời hạn gửi trước ngày 20/7 hằng năm.", [P(6, "month"), F(20, 7)]),
    # "N tháng một lần", "hằng quý", "hàng năm" as how often someone acts
    ("Ít nhất 3 tháng một lần tổ chức buổi thử; hằng quý tổng hợp; hàng năm đánh giá.",
     [P(3, "month"), P(1, "quarter"), P(1, "year")]),
    # "hằng năm" that names a kind of plan or budget is not how often
    ("Lập kế hoạch thử hằng năm và dự toán ngân sách hằng năm của đơn vị mẫu.", []),
    # within a number of working days from a trigger
    ("Trong thời hạn 07 ngày làm việc kể từ ngày nhận đủ hồ sơ mẫu, cơ quan thử trả lời.",
     [R(7, "working_day", "after", "ngày nhận đủ hồ sơ mẫu")]),
    # no later than, after an event, the number in words with digits
    ("Chậm nhất mười lăm (15) ngày sau khi kết thúc buổi thử, đơn vị mẫu gửi báo cáo.",
     [R(15, "day", "after", "kết thúc buổi thử")]),
    # notice ahead: "chậm nhất … trước ngày …"
    ("Chậm nhất là 30 ngày trước ngày dự kiến dừng thử, đơn vị mẫu phải thông báo.",
     [R(30, "day", "before", "ngày dự kiến dừng thử")]),
    # at least ahead, in working days
    ("Đơn vị mẫu gửi đề nghị ít nhất 02 ngày làm việc trước khi tiến hành buổi thử.",
     [R(2, "working_day", "before", "khi tiến hành buổi thử", True)]),
    # the trigger first, the amount after it
    ("Trước khi mở điểm thử 15 ngày, đơn vị mẫu gửi hồ sơ.", [R(15, "day", "before", "khi mở điểm thử", True)]),
    # immediately after an event
    ("Người thử phải báo tin ngay sau khi sự cố mẫu xảy ra.", [R(0, "day", "after", "sự cố mẫu xảy ra")]),
    # a time of day on the day of an event
    ("Đơn vị mẫu nộp bản thử chậm nhất là 08 giờ sáng của ngày phát hành thử;",
     [R(8, "o_clock", "on", "ngày phát hành thử")]),
    # hours, and amounts for kinds of a thing sharing one bound
    ("Thời gian đăng bản thử: Chậm nhất 02 giờ đối với bản điện tử; 24 giờ đối với bản in.",
     [R(2, "hour"), R(24, "hour")]),
    # several amounts sharing one trigger
    ("Trong thời hạn 10 ngày đối với bản ra hằng ngày, 15 ngày đối với bản tuần kể từ khi nhận được yêu cầu mẫu, "
     "đơn vị mẫu trả lời.", [R(10, "day", "after", "khi nhận được yêu cầu mẫu"),
                               R(15, "day", "after", "khi nhận được yêu cầu mẫu")]),
    # a minimum time to keep something
    ("Đơn vị mẫu lưu trữ số liệu thử ít nhất là hai mươi bốn (24) tháng kể từ ngày báo cáo.",
     [R(24, "month", "after", "ngày báo cáo", True)]),
    # a number with words in brackets
    ("Trong thời hạn 30 (ba mươi) ngày làm việc kể từ ngày nhận hồ sơ thử, Bộ Mẫu xét cấp.",
     [R(30, "working_day", "after", "ngày nhận hồ sơ thử")]),
    # a licence's term is not a limit to keep
    ("Giấy thử có hiệu lực trong thời gian 01 năm kể từ ngày ký; kỳ hạn thẻ thử là 05 năm.", []),
    # a licence that lapses is not a limit to keep
    ("Sau 03 tháng kể từ ngày giấy thử có hiệu lực, nếu đơn vị mẫu không hoạt động thì giấy thử hết hiệu lực.", []),
    # conditions of eligibility are not limits
    ("Người thử có thời gian làm việc liên tục từ 02 năm trở lên và không bị kỷ luật trong thời hạn 01 năm tính đến "
     "thời điểm xét.", []),
    # a window after which one may apply again is not a limit to keep
    ("Trong thời hạn 06 tháng kể từ ngày nộp lại thẻ thử, nếu được nhận lại thì được xét cấp thẻ thử.", []),
    # "ngay" alone and "định kỳ" alone say no time
    ("Đơn vị mẫu báo cáo định kỳ và đột xuất, khắc phục ngay các lỗi thử.", []),
    # a bare "trong" before its trigger, the number in words with digits in brackets
    ("Gửi kế hoạch thử trong bảy (07) ngày kể từ ngày kế hoạch thử được duyệt.",
     [R(7, "day", "after", "ngày kế hoạch thử được duyệt")]),
    # …but a bare "trong" without a trigger is a span of time, not a limit
    ("Đơn vị mẫu hoạt động thử trong 02 năm đầu tiên.", []),
    # a processing time stated as such, without a trigger
    ("Thời hạn xét cấp giấy thử sửa đổi là 15 (mười lăm) ngày.", [R(15, "day")]),
    # …but a licence's term written the same way is not one
    ("Giấy thử có thời hạn là 10 năm.", []),
]


@pytest.mark.parametrize("sentence,expected", CASES, ids=[c[0][:40] for c in CASES])
def test_time_limits_table(sentence, expected):
    assert [shape(x) for x in parse_time_limits(sentence)] == expected


@pytest.mark.parametrize("text,value", [("07", 7), ("bảy (07)", 7), ("mười lăm", 15), ("hai mươi bốn", 24),
                                        ("ba mươi mốt", 31), ("chín mươi", 90), ("một trăm hai mươi", 120)])
def test_numbers_in_words(text, value):
    assert number(text) == value


def test_spans_are_the_verbatim_text():
    sentence = "Trong thời hạn 07 ngày làm việc kể từ ngày nhận đủ hồ sơ mẫu, cơ quan thử trả lời."
    [limit] = parse_time_limits(sentence)
    assert sentence[limit.start:limit.end] == limit.text and limit.text.startswith("Trong thời hạn 07 ngày làm việc")


SYNTHETIC = DeskDocument(key="998/2099/NĐ-CP", name="Nghị định 998/2099/NĐ-CP", number="998/2099/NĐ-CP",
                         doc_type="Nghị định", issued_on="2099-01-02", issuer="Chính phủ thử nghiệm", units=(
    Article("1", "Báo cáo thử", clauses=[
        Clause("1", "1. Định kỳ 6 tháng, cơ quan báo chí có trách nhiệm báo cáo số liệu thử cho Bộ Thông tin và "
                    "Truyền thông. Thời hạn gửi báo cáo trước ngày 15/7 hằng năm."),
        Clause("2", "2. Trong thời hạn 10 ngày kể từ ngày nhận báo cáo thử, Ủy ban nhân dân cấp tỉnh có ý kiến "
                    "trả lời cơ quan báo chí."),
    ]),
    Article("2", "Trách nhiệm của Bộ Thông tin và Truyền thông", clauses=[
        Clause("1", "1. Hằng năm tổng hợp số liệu thử, báo cáo Chính phủ."),
        Clause("2", "2. Người thử nộp lại thẻ thử trong thời hạn 15 ngày kể từ ngày có quyết định. Cơ quan báo chí "
                    "có trách nhiệm thông báo việc này."),
    ]),
    Article("3", "Hồ sơ thử", clauses=[Clause("1", "1. Cơ quan báo chí gửi hồ sơ thử gồm:", points=[
        Point("a", "a) Bản kê thử gửi trước ngày 01/3;")])]),
))


def test_deadline_rows_name_who_acts_and_for_whom():
    rows = {(d.citation, d.limit.describe()): d for d in document_deadlines(SYNTHETIC)}
    period = rows[("Khoản 1 Điều 1 Nghị định 998/2099/NĐ-CP", "định kỳ 6 tháng")]
    assert period.bodies == ("press",) and period.recipients == ("Bộ Thông tin và Truyền thông",)
    # the date in the next sentence is kept by the subject of the sentence before it
    dated = rows[("Khoản 1 Điều 1 Nghị định 998/2099/NĐ-CP", "trước ngày 15/07 hằng năm")]
    assert dated.bodies == ("press",)
    reply = next(d for (c, _), d in rows.items() if c == "Khoản 2 Điều 1 Nghị định 998/2099/NĐ-CP")
    assert reply.bodies == ("province",) and reply.trigger == "ngày nhận báo cáo thử"
    assert reply.recipients == ("cơ quan báo chí",)
    # an article titled by a body: its clause's limit is that body's
    yearly = rows[("Khoản 1 Điều 2 Nghị định 998/2099/NĐ-CP", "hằng năm")]
    assert yearly.bodies == ("mic",)
    # a limit of a person named before the body: never the subject of a later sentence
    card = next(d for (c, _), d in rows.items() if c == "Khoản 2 Điều 2 Nghị định 998/2099/NĐ-CP")
    assert card.bodies == ()
    # a point under a clause whose subject sends the file: that subject keeps the point's date
    point = rows[("Điểm a Khoản 1 Điều 3 Nghị định 998/2099/NĐ-CP", "trước ngày 01/03")]
    assert point.bodies == ("press",)


def test_deadlines_of_one_body():
    assert {d.citation for d in deadlines([SYNTHETIC], "province")} == {"Khoản 2 Điều 1 Nghị định 998/2099/NĐ-CP"}
    assert len(deadlines([SYNTHETIC])) == 6
