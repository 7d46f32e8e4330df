"""ingest.compare: two versions of a document -> articles added, removed, changed (word diff).

All texts are SYNTHETIC (made-up articles of a made-up decree), not law.
"""
from __future__ import annotations

import pytest

from ingest.align import Unit, similarity
from ingest.compare import compare_documents, outline, word_diff
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


# ------------------------------------------------------------------ alignment by content (issue 18, item 5)
# Articles of a made-up decree: SYNTHETIC, about a made-up "ngày thử nghiệm", not law.

POOL = [
    ("Phạm vi thử nghiệm", ["Nghị định mẫu này chỉ dùng để kiểm thử phần mềm so sánh văn bản."]),
    ("Đối tượng tham gia", ["Các đơn vị mẫu đăng ký tham gia qua cổng thông tin giả lập.",
                            "Học viên thực tập được mời dự với tư cách quan sát viên."]),
    ("Tổ chức ngày thử nghiệm", ["Bộ Mẫu chủ trì tổ chức ngày thử nghiệm.",
                                 "Ngày thử nghiệm được tổ chức mỗi năm một lần vào tháng Chín."]),
    ("Địa điểm", ["Địa điểm được chọn luân phiên giữa ba thành phố giả định A, B và C."]),
    ("Kinh phí", ["Kinh phí do quỹ mô phỏng bảo đảm, không dùng ngân sách thật."]),
    ("Khen thưởng", ["Đội có kết quả kiểm thử tốt nhất nhận giấy khen tượng trưng."]),
    ("Báo cáo", ["Chậm nhất ba mươi ngày sau ngày thử nghiệm, ban tổ chức gửi báo cáo tổng hợp."]),
    ("Hiệu lực thi hành", ["Văn bản mẫu này có hiệu lực từ ngày ký để phục vụ kiểm thử."]),
]
NEW = ("Ứng dụng di động", ["Người tham gia có thể đăng ký bằng ứng dụng điện thoại thử nghiệm."])
AMENDED = ("Tổ chức ngày thử nghiệm", ["Bộ Mẫu chủ trì tổ chức ngày thử nghiệm.",
                                       "Ngày thử nghiệm được tổ chức mỗi năm hai lần vào tháng Chín."])
RETITLED = ("Tổ chức và điều hành ngày thử nghiệm", POOL[2][1])
OTHER = [("Thư viện mẫu", ["Thư viện giả định mở cửa từ thứ Hai đến thứ Sáu."]),  # another made-up text
         ("Mượn sách", ["Bạn đọc mượn tối đa năm cuốn trong hai tuần."]),
         ("Phí trễ hạn", ["Sách trả muộn chịu phí tượng trưng bằng đồng xu trò chơi."])]


def numbered(items) -> LegalDocument:
    """(title, khoản texts) in order -> a SYNTHETIC decree whose articles are numbered 1, 2, … as they stand."""
    return doc(*(art(str(i + 1), *clauses, title=title) for i, (title, clauses) in enumerate(items)))


def reading(diff) -> list[str]:
    return [line for line, _ in outline(diff.articles)]


ALIGNMENT_CASES = [
    # A new article inserted as Điều 3: one "thêm", the six after it renumbered, none "sửa đổi".
    ("insertion", POOL, POOL[:2] + [NEW] + POOL[2:],
     ["thêm Điều 3", "Điều 3–8 cũ thành Điều 4–9"], dict(added=1, renumbered=6, unchanged=2)),
    # Điều 3 deleted: one "bỏ", the five after it move up a number.
    ("deletion", POOL, POOL[:2] + POOL[3:],
     ["bỏ Điều 3", "Điều 4–8 cũ thành Điều 3–7"], dict(removed=1, renumbered=5, unchanged=2)),
    # Điều 2 moved to the end unchanged: it is the same article, found out of order.
    ("moved", POOL[:6], [POOL[0]] + POOL[2:6] + [POOL[1]],
     ["Điều 3–6 cũ thành Điều 2–5", "Điều 2 cũ chuyển thành Điều 6"], dict(renumbered=5, unchanged=1)),
    # Điều 3 given a new heading, same text: one "sửa đổi" (of its heading), matched by its text.
    ("retitled", POOL, POOL[:2] + [RETITLED] + POOL[3:], ["sửa đổi Điều 3"], dict(changed=1, unchanged=7)),
    # A real amendment: one word of khoản 2 of Điều 3.
    ("amendment", POOL, POOL[:2] + [AMENDED] + POOL[3:], ["sửa đổi Điều 3"], dict(changed=1, unchanged=7)),
    # An insertion before an amended article: the amended one is "sửa đổi" under its new number.
    ("insertion and amendment", POOL, POOL[:2] + [NEW, AMENDED] + POOL[3:],
     ["thêm Điều 3", "sửa đổi Điều 4 (Điều 3 cũ)", "Điều 4–8 cũ thành Điều 5–9"],
     dict(added=1, changed=1, renumbered=5, unchanged=2)),
    # Two documents with nothing in common: every article "bỏ" then "thêm", none paired by number.
    ("nothing in common", POOL[:3], OTHER,
     ["bỏ Điều 1", "bỏ Điều 2", "bỏ Điều 3", "thêm Điều 1", "thêm Điều 2", "thêm Điều 3"], dict(added=3, removed=3)),
]


@pytest.mark.parametrize("old, new, lines, counts", [c[1:] for c in ALIGNMENT_CASES], ids=[c[0] for c in ALIGNMENT_CASES])
def test_articles_are_aligned_by_content(old, new, lines, counts):
    diff = compare_documents(numbered(old), numbered(new))
    assert reading(diff) == lines
    assert diff.counts() == dict(added=0, removed=0, changed=0, renumbered=0, unchanged=0) | counts


def test_the_amended_article_carries_its_khoan_and_spans():
    [change] = compare_documents(numbered(POOL), numbered(POOL[:2] + [NEW, AMENDED] + POOL[3:])).changed
    assert (change.old_label, change.label, change.renumbered_from) == ("Điều 3", "Điều 4", "Điều 3")
    [clause] = change.clauses
    assert (clause.status, clause.old_label, clause.label) == ("changed", "khoản 2", "khoản 2")
    assert ("del", "một") in clause.spans and ("ins", "hai") in clause.spans
    assert ("del", "một") in change.spans  # the article's word diff, as before


def test_a_retitled_article_keeps_its_text():
    [change] = compare_documents(numbered(POOL), numbered(POOL[:2] + [RETITLED] + POOL[3:])).changed
    assert (change.old_title, change.new_title) == ("Tổ chức ngày thử nghiệm", "Tổ chức và điều hành ngày thử nghiệm")
    assert change.old_text == change.new_text and change.clauses == ()


def test_khoan_are_aligned_by_content_too():
    """A khoản inserted at the head of an article: one "thêm", the others renumbered, not rewritten."""
    first = ("Đối tượng tham gia", ["Mọi người dân đều có thể xem trực tuyến buổi thử nghiệm."] + POOL[1][1])
    [change] = compare_documents(numbered(POOL[:3]), numbered([POOL[0], first, POOL[2]])).changed
    assert [line for line, _ in outline(change.clauses)] == ["thêm khoản 1", "khoản 1–2 cũ thành khoản 2–3"]


def test_similarity_ignores_numbers_and_weighs_text_over_heading():
    text = "Ngày thử nghiệm được tổ chức mỗi năm một lần vào tháng Chín."
    assert similarity(Unit("3", "Tổ chức", text), Unit("9", "Tổ chức", text)) == 1.0
    assert similarity(Unit("3", "Tổ chức", text), Unit("3", "Tên khác hẳn", text)) == 0.75
    assert similarity(Unit("1", "Tổ chức", text), Unit("1", "Tổ chức", "Sách trả muộn chịu phí tượng trưng.")) == 0.0
    assert similarity(Unit("1", "", text, kind="dieu"), Unit("1", "", text, kind="section")) == 0.0


def test_numbers_break_ties():
    """Two identical articles, and one amended copy of them: it pairs with the one of its number."""
    twin = ("Mẫu lặp", ["Nội dung lặp lại y hệt để kiểm thử phần so sánh."])
    amended = ("Mẫu lặp", ["Nội dung lặp lại y hệt để kiểm thử phần so sánh mới."])
    diff = compare_documents(numbered([twin, twin]), numbered([NEW, amended]))
    assert reading(diff) == ["bỏ Điều 1", "thêm Điều 1", "sửa đổi Điều 2"]


# ------------------------------------------------------------------ `kb compare` and the staff preview

KEY = "998/2099/NĐ-CP"
V1 = POOL[:6]
V2 = POOL[:2] + [NEW, AMENDED] + POOL[3:6]  # a new Điều 3, the old Điều 3 amended as Điều 4


def decree_file(path, items) -> str:
    """A SYNTHETIC decree 998/2099 as a TXT file: the made-up header of test_replace_versions, then `items`."""
    from test_replace_versions import synthetic_decree_lines, write_txt

    lines = synthetic_decree_lines(1)[:7]
    for i, (title, clauses) in enumerate(items):
        lines += [f"Điều {i + 1}. {title}"] + [f"{k + 1}. {c}" for k, c in enumerate(clauses)]
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(write_txt(path, lines))


def test_compare_versions_files_and_documents(fake_kb, tmp_path):
    from core.errors import KbError

    v1, v2 = decree_file(tmp_path / "v1" / "nd998.txt", V1), decree_file(tmp_path / "v2" / "nd998.txt", V2)
    kb = fake_kb(v1)
    # the staff preview of the replacement: the same aligner
    [preview] = kb.compare_file(v2)
    assert reading(preview) == ["thêm Điều 3", "sửa đổi Điều 4 (Điều 3 cũ)", "Điều 4–6 cũ thành Điều 5–7"]
    kb.ingest_files([v2], replace=[KEY])
    generation = kb.store.registry.generation()
    diff = kb.compare(f"{KEY.lower()}@1", KEY)  # a version, the stored document (key in any case)
    assert reading(diff) == reading(preview) and diff.counts()["renumbered"] == 3
    assert (diff.old_name, diff.new_name) == (f"Nghị định {KEY}, phiên bản 1", f"Nghị định {KEY} (bản đang lưu)")
    back = kb.compare(KEY, v1)  # a file against the stored document: the other way round
    assert reading(back) == ["bỏ Điều 3", "sửa đổi Điều 3 (Điều 4 cũ)", "Điều 5–7 cũ thành Điều 4–6"]
    assert back.new_name == f"tệp nd998.txt (Nghị định {KEY})"
    assert kb.compare(f"{KEY}@2", KEY).identical
    for bad, says in ((f"{KEY}@9", "không có phiên bản 9"), ("999/2099/NĐ-CP@1", "Không có phiên bản nào"),
                      ("không-có", "Không có văn bản 'không-có'")):
        with pytest.raises(KbError, match=says):
            kb.compare(bad, KEY)
    assert kb.store.registry.generation() == generation  # nothing stored


def test_kb_compare_through_the_cli(tmp_path):
    import json

    from conftest import run_kb

    home = tmp_path / "home"
    v1, v2 = decree_file(tmp_path / "v1" / "nd998.txt", V1), decree_file(tmp_path / "v2" / "nd998.txt", V2)

    def kb(*args, check=True):
        return run_kb(*args, home=home, env={"KB_EMBEDDING": "fake"}, check=check, timeout=300)

    kb("ingest", v1)
    kb("ingest", "--replace", v2)
    out = kb("compare", f"{KEY}@1", KEY).stdout
    assert "Tóm tắt: 1 điều thêm mới · 0 điều bị bỏ · 1 điều sửa đổi · 3 điều đánh số lại · 2 điều giữ nguyên" in out
    assert "• Thêm Điều 3. Ứng dụng di động" in out and "• Điều 4–6 cũ thành Điều 5–7" in out
    assert "• Sửa đổi Điều 4 (Điều 3 cũ). Tổ chức ngày thử nghiệm" in out
    assert "mỗi năm [-một-]{+hai+} lần" in out
    data = json.loads(kb("compare", v1, "--with", KEY, "--json").stdout)
    assert data["outline"] == ["bỏ Điều 3", "sửa đổi Điều 3 (Điều 4 cũ)", "Điều 5–7 cũ thành Điều 4–6"]
    assert data["counts"] == {"added": 0, "removed": 1, "changed": 1, "renumbered": 3, "unchanged": 2}
    [changed] = [a for a in data["articles"] if a["status"] == "changed"]
    assert ["del", "hai"] in changed["clauses"][0]["spans"] and changed["old_label"] == "Điều 4"
    missing = kb("compare", f"{KEY}@9", KEY, check=False)
    assert missing.returncode == 1 and "không có phiên bản 9" in missing.stderr and not missing.stdout
    assert [v["version"] for v in json.loads(kb("versions", KEY, "--json").stdout)] == [1, 2]  # nothing stored
