"""Small pure parts: benchmark JSON reader, catalogue, fusion, relevance, eval file formats."""
import json

import pytest

from ingest.model import NodeMeta

from ingest.catalog import CatalogError, load_catalog
from ingest.model import LegalDocument, ReaderError
from ingest.readers.benchmark import parse_benchmark_json
from qa.evaluate import EvalFileError, load_questions
from qa.relevance import weighted_coverage
from qa.retrieval import DENSE_QUERY_WORDS, RetrievalFilters, dense_query_text, passes, rrf

BENCH_CASES = [
    # ALQAC dict shape: "<law>@<article>": "<title>\n\n<body>"
    ({"Luật Thử nghiệm tổng hợp@3": "Phạm vi\n\n1. Khoản một.\n\n2. Khoản hai."},
     [("Luật Thử nghiệm tổng hợp", "Luật", "3", "Phạm vi", ["1", "2"])]),
    # Zalo list shape
    ([{"law_id": "Bộ luật Thử nghiệm", "articles": [{"article_id": "7", "text": "Tiêu đề\n\nNội dung không chia khoản."}]}],
     [("Bộ luật Thử nghiệm", "Bộ luật", "7", "Tiêu đề", [])]),
]


@pytest.mark.parametrize("data,expected", BENCH_CASES)
def test_benchmark_json_reader(data, expected):
    docs = parse_benchmark_json(data, "synthetic.json")
    got = [(d.title, d.doc_type, u.number, u.title, [c.number for c in u.clauses]) for d in docs for u in d.units]
    assert got == expected
    assert all(d.key == d.title.lower() for d in docs)  # the law title is the identity


def test_benchmark_json_bad_shape_names_the_file():
    with pytest.raises(ReaderError) as err:
        parse_benchmark_json({"no-at-sign": "x"}, "synthetic_bad.json")
    assert "synthetic_bad.json" in str(err.value)


def test_catalog_relations_include_inverses_and_secondary_labels(tmp_path):
    from core.settings import REPO_ROOT

    cat = load_catalog(REPO_ROOT / "corpus" / "catalog.toml")
    assert ("guided_by", "02/2019/TT-BTTTT") in cat.relations_of("72/2015/NĐ-CP")
    assert ("guides", "72/2015/NĐ-CP") in cat.relations_of("02/2019/TT-BTTTT")
    assert ("implemented_by", "47/NQ-CP") in cat.relations_of("57-KL/TW")
    doc = LegalDocument(number="3837/BTTTT-TTĐN", doc_type="Công văn", title="x",
                        source_path="/any/where/tvpl-cong-van-3837-btttt-ttdn-2024.txt")
    cat.apply_secondary(doc)
    assert (doc.number, doc.status, doc.source_kind) == ("", "secondary", "secondary")


def test_catalog_unknown_key_fails_listing_valid_ones(tmp_path):
    p = tmp_path / "catalog.toml"
    p.write_text('[[document]]\nnumber = "1/2099/NĐ-CP"\ntype = "Nghị định"\ntitle = "x"\nstatuss = "in_force"\n', encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        load_catalog(p)
    assert "statuss" in str(err.value) and "status" in str(err.value)


def test_rrf_weights_and_ranks():
    assert rrf(["a", "b"], 5, 1.0) == {"a": 1 / 6, "b": 1 / 7}
    assert rrf(["a"], 5, 2.0)["a"] == pytest.approx(2 / 6)


FILTER_CASES = [
    # as-of: not yet in force
    ({"effective_from": "2015-10-22"}, RetrievalFilters(as_of="2014-01-01"), False),
    ({"effective_from": "2015-10-22"}, RetrievalFilters(as_of="2015-10-22"), True),
    # document filter
    ({"doc_key": "72/2015/NĐ-CP"}, RetrievalFilters(documents=["09/2017/NĐ-CP"]), False),
    # status filter
    ({"status": "secondary"}, RetrievalFilters(statuses=["in_force"]), False),
    ({}, None, True),
]


@pytest.mark.parametrize("meta,filters,ok", FILTER_CASES)
def test_filters(meta, filters, ok):
    base = {"doc_key": "72/2015/NĐ-CP", "citation": "Điều 1 Nghị định 72/2015/NĐ-CP", "path": "/Điều 1", "article": "1"}
    assert passes(NodeMeta.from_dict(base | meta), filters) is ok


def test_weighted_coverage_weighs_unknown_words_most():
    idf = {"kết_hôn": 9.0, "người": 1.0, "nước_ngoài": 2.0}.get
    assert weighted_coverage(["kết_hôn", "với", "người", "nước_ngoài"], {"người", "nước_ngoài"}, idf) == pytest.approx(3 / 12)
    assert weighted_coverage(["là", "gì"], {"là"}, idf) == 0.0  # only stopwords


def test_eval_files_both_formats_and_bad_lines(tmp_path):
    a = tmp_path / "alqac.json"
    a.write_text(json.dumps([{"question_id": "q1", "text": "Câu hỏi?", "relevant_articles": [{"law_id": "Luật X", "article_id": "3"}]}]), encoding="utf-8")
    j = tmp_path / "dev.jsonl"
    j.write_text('{"id": "d1", "question": "Hỏi?", "gold": [{"document": "72/2015/NĐ-CP", "article": "7", "clause": "3"}]}\n', encoding="utf-8")
    assert load_questions(str(a))[0].gold == [{"document": "Luật X", "article": "3"}]
    assert load_questions(str(j))[0].gold[0]["clause"] == "3"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n', encoding="utf-8")
    with pytest.raises(EvalFileError) as err:
        load_questions(str(bad))
    assert "bad.jsonl:1" in str(err.value)


def test_dense_query_text_keeps_questions_and_cuts_pasted_paragraphs():
    question = "Ủy ban nhân dân cấp tỉnh có trách nhiệm gì trong thông tin đối ngoại?"
    assert dense_query_text(question) == question  # a question is embedded as typed
    long = " ".join(f"từ{i}" for i in range(300))
    cut = dense_query_text(long)
    assert cut.split() == long.split()[:DENSE_QUERY_WORDS]  # its first words, in order
