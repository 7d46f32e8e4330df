"""Clause nodes: one per khoản, long khoản split at điểm boundaries, stable ids, citations."""
import pytest

from ingest.identity import citation_string, document_name
from ingest.model import Article, Clause, LegalDocument, Point
from ingest.nodes import MAX_NODE_CHARS, build_nodes


def synthetic_doc(points_len=50, n_points=3) -> LegalDocument:
    pts = [Point(label=l, text=f"{l}) điểm thử nghiệm " + "x" * points_len + ".") for l in "abcdeg"[:n_points]]
    return LegalDocument(
        number="999/2099/NĐ-CP", doc_type="Nghị định", title="Thử nghiệm (synthetic)",
        units=[Article(number="3", title="Điều thử nghiệm", chapter="Chương II",
                       clauses=[Clause("1", "1. Khoản một."), Clause("2", "2. Khoản hai gồm:", pts)]),
               Article(number="4", title="Không có khoản", intro="Nội dung điều bốn.")],
    )


CITATION_CASES = [
    # most specific first, document named as a lawyer would
    (("Nghị định 72/2015/NĐ-CP", "dieu", "7", "3", "a"), "Điểm a Khoản 3 Điều 7 Nghị định 72/2015/NĐ-CP"),
    (("Nghị định 72/2015/NĐ-CP", "dieu", "7", "3", ""), "Khoản 3 Điều 7 Nghị định 72/2015/NĐ-CP"),
    (("Nghị định 72/2015/NĐ-CP", "dieu", "7", "", ""), "Điều 7 Nghị định 72/2015/NĐ-CP"),
    # points directly under an article
    (("Luật Báo chí 103/2016/QH13", "dieu", "9", "", "đ"), "Điểm đ Điều 9 Luật Báo chí 103/2016/QH13"),
    # sections of documents without Điều
    (("Công văn 3837/BTTTT-TTĐN", "section", "(1)", "", ""), "Mục (1) Công văn 3837/BTTTT-TTĐN"),
]


@pytest.mark.parametrize("args,expected", CITATION_CASES)
def test_citation_string(args, expected):
    assert citation_string(*args) == expected


NAME_CASES = [
    (("72/2015/NĐ-CP", "Nghị định", "Về quản lý hoạt động thông tin đối ngoại"), "Nghị định 72/2015/NĐ-CP"),
    (("103/2016/QH13", "Luật", "Báo chí"), "Luật Báo chí 103/2016/QH13"),
    (("", "Luật", "Luật Phòng, chống ma túy"), "Luật Phòng, chống ma túy"),
]


@pytest.mark.parametrize("args,expected", NAME_CASES)
def test_document_name(args, expected):
    assert document_name(*args) == expected


def test_one_node_per_clause_and_per_article_without_clauses():
    nodes = build_nodes(synthetic_doc())
    assert [(n.article, n.clause, n.point) for n in nodes] == [("3", "1", ""), ("3", "2", ""), ("4", "", "")]
    assert nodes[0].citation == "Khoản 1 Điều 3 Nghị định 999/2099/NĐ-CP"
    assert nodes[0].path == "/Chương II/Điều 3/Khoản 1"
    # the embedded text starts with the document and article heading
    assert nodes[0].embed_text.startswith("Nghị định 999/2099/NĐ-CP — Điều 3. Điều thử nghiệm\n")
    assert nodes[0].text == "1. Khoản một."


def test_ids_are_stable_across_builds():
    a = [n.node_id for n in build_nodes(synthetic_doc())]
    b = [n.node_id for n in build_nodes(synthetic_doc())]
    assert a == b and len(set(a)) == len(a)


def test_long_clause_splits_at_point_boundaries_with_its_lead():
    doc = synthetic_doc(points_len=400, n_points=6)
    parts = [n for n in build_nodes(doc) if n.clause == "2"]
    assert len(parts) > 1
    for n in parts:
        assert n.text.startswith("2. Khoản hai gồm:")
        assert len(n.text) <= MAX_NODE_CHARS + 450
    # every point appears exactly once, whole
    body = "\n".join(n.text for n in parts)
    for p in doc.units[0].clauses[1].points:
        assert body.count(p.text) == 1
    # a single-point part cites the point; a multi-point part cites the clause
    for n in parts:
        assert n.citation.startswith("Điểm ") == ("-" not in n.point)


def test_the_sentence_closing_a_long_list_of_papers_cites_the_clause():
    """A long "Hồ sơ gồm có:" clause split by its points: the paragraph after the last point (the parser
    keeps it with that point) is the clause's own sentence, cited as the clause, never as the point."""
    doc = synthetic_doc(points_len=400, n_points=4)
    clause = doc.units[0].clauses[1]
    closing = "Trong thời hạn 20 ngày kể từ ngày nhận đủ hồ sơ thử, cơ quan thử nghiệm có trách nhiệm trả lời."
    clause.points[-1].text += "\n" + closing
    parts = [n for n in build_nodes(doc) if n.clause == "2"]
    holding = [n for n in parts if closing in n.text]
    assert len(holding) == 1 and holding[0].point == ""
    assert holding[0].citation == "Khoản 2 Điều 3 Nghị định 999/2099/NĐ-CP"
    assert holding[0].text == "2. Khoản hai gồm:\n" + closing  # verbatim: the lead, then the sentence
    last = next(n for n in parts if "d) điểm" in n.text)
    assert last.text.endswith("d) điểm thử nghiệm " + "x" * 400 + ".")
    assert len({n.node_id for n in parts}) == len(parts)


def test_amendment_status_is_per_article_for_phapdien_documents():
    """The Pháp điển notes say which articles an amendment touched; the others are in force as enacted."""
    from ingest.model import Article, Clause, LegalDocument
    from ingest.nodes import build_nodes

    doc = LegalDocument(number="999/2099/QH99", doc_type="Luật", title="Thử nghiệm (synthetic)", status="amended",
                        source_kind="phapdien", units=[
                            Article(number="1", title="Sửa đổi (synthetic)", amendment_note="được sửa đổi bởi 998/2099/QH99",
                                    clauses=[Clause(number="1", text="1. Nội dung tổng hợp đã sửa.")]),
                            Article(number="2", title="Giữ nguyên (synthetic)",
                                    clauses=[Clause(number="1", text="1. Nội dung tổng hợp giữ nguyên.")])])
    status = {n.article: n.metadata.status for n in build_nodes(doc)}
    assert status == {"1": "amended", "2": "in_force"}
    doc.source_kind = "original"  # an original file says nothing per article: the document's status stands
    assert {n.metadata.status for n in build_nodes(doc)} == {"amended"}
