"""split_clauses: khoản and điểm from verbatim lines (table-driven)."""
import pytest

from ingest.model import Clause, Point
from ingest.structure import clause_tail, split_clauses

CASES = [
    # plain clauses
    (["1. Một.", "2. Hai."], "", [("1", 0), ("2", 0)]),
    # intro before the first clause stays intro
    (["Điều này quy định:", "1. Một."], "Điều này quy định:", [("1", 0)]),
    # points inside a clause, including đ after d
    (["1. Gồm:", "a) a;", "b) b;", "c) c;", "d) d;", "đ) đ;", "e) e."], "", [("1", 6)]),
    # a number out of sequence is text of the current clause, not a new clause
    (["1. Một.", "3. không phải khoản 3 vì thiếu khoản 2"], "", [("1", 0)]),
    # points directly under the article hang on an unnumbered clause carrying the intro
    (["Các trường hợp:", "a) một;", "b) hai."], "", [("", 2)]),
    # a point letter out of order continues the previous point
    (["1. Gồm:", "a) một;", "c) không theo thứ tự"], "", [("1", 1)]),
    # numbering restarts per clause for points
    (["1. X:", "a) x;", "2. Y:", "a) y;", "b) y2."], "", [("1", 1), ("2", 2)]),
    # "1.1." sub-numbering is not a clause marker
    (["1. Một.", "1.1. mục con"], "", [("1", 0)]),
    # the number glued to its first word ("1.Có …", as Luật Báo chí reads in the Pháp điển) is a khoản
    (["1.Có một.", "2. Có hai."], "", [("1", 0), ("2", 0)]),
    # glued in the middle of the sequence too, with its points
    (["1. Một:", "a) x;", "2.Hai:", "a) y."], "", [("1", 1), ("2", 1)]),
    # glued to a digit it is a number ("1.2020", "2.5"), not a khoản
    (["1. Một.", "2.5 lần"], "", [("1", 0)]),
    # a glued number out of sequence stays text
    (["1. Một.", "3.Ba"], "", [("1", 0)]),
    # points in the Latin order some texts use (no "đ", then "f"): each is a point
    (["1. Gồm:", "a) a;", "b) b;", "c) c;", "d) d;", "e) e;", "f) f."], "", [("1", 6)]),
    # after "f" the sequence goes on with "g"
    (["1. Gồm:", "a) a;", "b) b;", "c) c;", "d) d;", "e) e;", "f) f;", "g) g."], "", [("1", 7)]),
    # "e)" right after "c)" is out of order in both alphabets: text of point c
    (["1. Gồm:", "a) a;", "b) b;", "c) c;", "e) không theo thứ tự"], "", [("1", 3)]),
]


@pytest.mark.parametrize("lines,intro,shape", CASES)
def test_split_clauses(lines, intro, shape):
    got_intro, clauses = split_clauses(lines)
    assert got_intro == intro
    assert [(c.number, len(c.points)) for c in clauses] == shape


def test_text_is_verbatim_and_complete():
    lines = ["Mở đầu.", "1. Gồm:", "a) một;", "tiếp theo của điểm a", "2. Hai."]
    intro, clauses = split_clauses(lines)
    rebuilt = "\n".join([intro] + [c.full_text for c in clauses])
    assert rebuilt == "\n".join(lines)


@pytest.mark.parametrize("lead,last,tail", [
    # the sentence after the list of papers is the clause's: it opens with a time
    ("2. Hồ sơ thử gồm có:", "b) Bản sao giấy thử.\nTrong thời hạn 20 ngày, Cục Mẫu có trách nhiệm trả lời.",
     "Trong thời hạn 20 ngày, Cục Mẫu có trách nhiệm trả lời."),
    # …or with a case, or with the body that acts
    ("2. Hồ sơ thử bao gồm:", "b) Tờ khai thử.\nTrường hợp hồ sơ thử chưa đủ, đơn vị mẫu bổ sung.",
     "Trường hợp hồ sơ thử chưa đủ, đơn vị mẫu bổ sung."),
    # one more paper of the list, without its letter, stays with the point
    ("2. Hồ sơ thử gồm có:", "b) Tờ khai thử;\nMẫu trình bày thử có xác nhận của đơn vị mẫu.", ""),
    # an attachment's file name stays where it is
    ("2. Hồ sơ thử gồm:", "b) Tờ khai thử.\nPhụ lục thử.doc", ""),
    # under a lead that lists no papers, a second paragraph is the point's own
    ("2. Việc thử được quy định như sau:", "b) Đăng tin thử.\nTrong thời hạn 20 ngày, đơn vị mẫu báo cáo.", ""),
])
def test_clause_tail(lead, last, tail):
    clause = Clause("2", lead, [Point("a", "a) Đơn thử;"), Point("b", last)])
    points, got = clause_tail(clause)
    assert got == tail
    assert "\n".join(p.text for p in points) + ("\n" + got if got else "") == "a) Đơn thử;\n" + last  # nothing lost
