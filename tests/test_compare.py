"""ingest.compare: two versions of a document -> articles added, removed, changed (word diff).

All texts are SYNTHETIC (made-up articles of a made-up decree), not law.
"""
from __future__ import annotations

import pytest

from ingest.compare import compare_documents, word_diff
from ingest.model import Article, Clause, LegalDocument


def doc(*units, **header) -> LegalDocument:
    base = dict(number="998/2099/NĐ-CP", doc_type="Nghị định", title="Về ngày thử nghiệm mẫu",
                issuer="Chính phủ thử nghiệm", issued_on="2099-09-07", effective_from="2099-10-22")
    return LegalDocument(**(base | header), units=list(units))


def art(number, *clauses, title="Điều mẫu", kind="dieu") -> Article:
    return Article(number=number, title=title, kind=kind,
                   clauses=[Clause(number=str(i + 1), text=f"{i + 1}. {c}") for i, c in enumerate(clauses)])


A1 = art("1", "Nghị định mẫu này chỉ dùng để kiểm thử.")
A2 = art("2", "Bộ Mẫu chủ trì tổ chức ngày thử nghiệm.", "Tổ chức mỗi năm một lần.")
A2_CHANGED = art("2", "Bộ Mẫu chủ trì tổ chức ngày thử nghiệm.", "Tổ chức mỗi năm hai lần.")
A3 = art("3", "Có hiệu lực từ ngày ký.")
A4 = art("4", "Điều khoản mới thêm vào bản thử nghiệm.")


@pytest.mark.parametrize("old_units, new_units, added, removed, changed, unchanged", [
    ((A1, A2, A3), (A1, A2, A3), [], [], [], 3),                      # identical
    ((A1, A2, A3), (A1, A2_CHANGED, A3), [], [], ["2"], 2),           # one word changed
    ((A1, A2, A3), (A1, A2, A3, A4), ["4"], [], [], 3),               # article added at the end
    ((A1, A2, A3), (A1, A3), [], ["2"], [], 2),                       # article removed
    ((A1, A2, A3), (A1, A2_CHANGED, A4), ["4"], ["3"], ["2"], 1),     # all three at once
    ((A1,), (art("1", "Nghị định mẫu này chỉ dùng để kiểm thử.", title="Tên mới"),), [], [], ["1"], 0),  # heading only
    ((), (A1, A2), ["1", "2"], [], [], 0),                            # nothing stored before
], ids=["identical", "changed", "added", "removed", "mixed", "title", "from-empty"])
def test_article_changes(old_units, new_units, added, removed, changed, unchanged):
    diff = compare_documents(doc(*old_units), doc(*new_units))
    assert [a.number for a in diff.added] == added
    assert [a.number for a in diff.removed] == removed
    assert [a.number for a in diff.changed] == changed
    assert diff.unchanged == unchanged
    assert diff.identical == (not added and not removed and not changed)


def test_removed_articles_stay_where_they_were():
    diff = compare_documents(doc(A1, A2, A3), doc(A1, A3, A4))
    assert [(a.status, a.number) for a in diff.articles] == [("removed", "2"), ("added", "4")]
    assert diff.removed[0].old_text == A2.full_text and diff.removed[0].label == "Điều 2"


def test_changed_article_carries_old_new_and_word_diff():
    change = compare_documents(doc(A2), doc(A2_CHANGED)).changed[0]
    assert change.old_text == A2.full_text and change.new_text == A2_CHANGED.full_text
    assert ("del", "một") in change.spans and ("ins", "hai") in change.spans
    assert "".join(t for op, t in change.spans if op != "ins") == change.old_text
    assert "".join(t for op, t in change.spans if op != "del") == change.new_text


def test_header_fields_that_differ():
    diff = compare_documents(doc(A1), doc(A1, effective_from="2099-12-01", title="Về ngày thử nghiệm mẫu"))
    assert [(f.name, f.old, f.new) for f in diff.fields] == [("effective_from", "2099-10-22", "2099-12-01")]
    assert diff.fields[0].label == "Ngày có hiệu lực" and not diff.identical


def test_sections_are_matched_by_kind_and_number():
    old = doc(art("I", "Mục một.", kind="section"), art("1", "Điều một."))
    new = doc(art("I", "Mục một, sửa.", kind="section"), art("1", "Điều một."))
    diff = compare_documents(old, new)
    assert [(a.kind, a.number, a.status) for a in diff.articles] == [("section", "I", "changed")]


@pytest.mark.parametrize("old, new, spans", [
    ("a b c", "a b c", (("same", "a b c"),)),
    ("a b c", "a x c", (("same", "a "), ("del", "b"), ("ins", "x"), ("same", " c"))),
    ("", "mới", (("ins", "mới"),)),
    ("cũ", "", (("del", "cũ"),)),
])
def test_word_diff(old, new, spans):
    assert word_diff(old, new) == spans
