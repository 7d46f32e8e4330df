"""Answer-level `kb eval`: the cited-unit matcher, the answers JSONL loader and format detection,
and the metrics over a fake service with canned answers (no model, no index)."""
from __future__ import annotations

import json

import pytest

from qa.evaluate import (
    CitedUnit,
    EvalFileError,
    answer_report_text,
    citation_matches,
    eval_file_format,
    evaluate_answers,
    load_answer_questions,
    parse_unit,
)
from qa.types import LookupResult, Answer, Citation, ClauseHit

# ---------------------------------------------------------------- parse_unit

PARSE_CASES = [
    ("Khoản 3 Điều 24 Nghị định 72/2015/NĐ-CP",  # clause: number folded, no name
     CitedUnit("72/2015/nd-cp", "", "24", "3")),
    ("Điều 23 Nghị định 72/2015/NĐ-CP",  # article only
     CitedUnit("72/2015/nd-cp", "", "23", "")),
    ("Điểm a Khoản 3 Điều 6 Luật Báo chí 103/2016/QH13",  # point; a Luật keeps its name too
     CitedUnit("103/2016/qh13", "luat bao chi", "6", "3", frozenset("a"))),
    ("Điểm đ Khoản 2 Điều 12 Nghị định 88/2012/NĐ-CP",  # the point letter đ is not folded to d
     CitedUnit("88/2012/nd-cp", "", "12", "2", frozenset({"đ"}))),
    ("Điểm a-c Khoản 2 Điều 5 Nghị định 09/2017/NĐ-CP",  # a point group expands to each point
     CitedUnit("09/2017/nd-cp", "", "5", "2", frozenset("abc"))),
    ("Điểm d-e Khoản 1 Điều 4 Nghị định 09/2017/NĐ-CP",  # a group across đ includes đ
     CitedUnit("09/2017/nd-cp", "", "4", "1", frozenset({"d", "đ", "e"}))),
    ("Điều 42 Luật Báo chí",  # no number: the document is known by its name only
     CitedUnit("", "luat bao chi", "42", "")),
]


@pytest.mark.parametrize("citation,expected", PARSE_CASES, ids=[c[0] for c in PARSE_CASES])
def test_parse_unit(citation, expected):
    assert parse_unit(citation) == expected


# ---------------------------------------------------------------- matcher

ND09 = "Nghị định 09/2017/NĐ-CP"
ND88 = "Nghị định 88/2012/NĐ-CP"
LBC = "Luật Báo chí 103/2016/QH13"

# (cited, gold, expected); the matcher is symmetric, so each case is also checked reversed
MATCH_CASES = [
    (f"Khoản 2 Điều 5 {ND09}", f"Khoản 2 Điều 5 {ND09}", True),  # the same unit
    (f"Điều 5 {ND09}", f"Khoản 2 Điều 5 {ND09}", True),  # the article contains its clause
    (f"Khoản 2 Điều 5 {ND09}", f"Điều 5 {ND09}", True),  # a clause is contained in its article
    (f"Điểm b Khoản 2 Điều 5 {ND09}", f"Khoản 2 Điều 5 {ND09}", True),  # a point is contained in its clause
    (f"Điều 5 {ND09}", f"Điểm b Khoản 2 Điều 5 {ND09}", True),  # article ⊃ point, two levels down
    (f"Khoản 3 Điều 5 {ND09}", f"Khoản 2 Điều 5 {ND09}", False),  # sibling clauses
    (f"Khoản 2 Điều 6 {ND09}", f"Khoản 2 Điều 5 {ND09}", False),  # same clause number, other article
    (f"Khoản 2 Điều 5 {ND88}", f"Khoản 2 Điều 5 {ND09}", False),  # same unit of another document
    (f"Điểm a Khoản 2 Điều 5 {ND09}", f"Điểm b Khoản 2 Điều 5 {ND09}", False),  # sibling points
    (f"Điểm d Khoản 2 Điều 12 {ND88}", f"Điểm đ Khoản 2 Điều 12 {ND88}", False),  # point d is not point đ
    (f"Điểm a-c Khoản 2 Điều 5 {ND09}", f"Điểm b Khoản 2 Điều 5 {ND09}", True),  # group contains a point in range
    (f"Điểm a-c Khoản 2 Điều 5 {ND09}", f"Điểm đ Khoản 2 Điều 5 {ND09}", False),  # …not one outside it
    (f"Điểm d-e Khoản 2 Điều 5 {ND09}", f"Điểm đ Khoản 2 Điều 5 {ND09}", True),  # d-e runs through đ
    (f"Điểm a-c Khoản 2 Điều 5 {ND09}", f"Điểm c-e Khoản 2 Điều 5 {ND09}", False),  # overlapping groups: neither contains
    ("Khoản 2 Điều 5 nghị định 09/2017/nd-cp", f"Khoản 2 Điều 5 {ND09}", True),  # number case/diacritics folded
    ("Khoản 5 Điều 42 Luật Báo chí", f"Khoản 5 Điều 42 {LBC}", True),  # no number on one side: by name
    ("Khoản 5 Điều 42 Luật báo chí", "Khoản 5 Điều 42 Luật Tiếp cận thông tin", False),  # names differ
    ("Điều 42 Luật Báo chí 29-LCT/HĐNN8", f"Khoản 5 Điều 42 {LBC}", False),  # same name, other number: numbers decide
    (f"Điều 7a {ND09}", f"Điều 7 {ND09}", False),  # an inserted article 7a is not article 7
    (f"Điểm a Điều 5 {ND09}", f"Điểm b Điều 5 {ND09}", False),  # points straight under an article
    ("Khoản 2 Điều 5", "Khoản 2 Điều 5", False),  # no document on either side: never a match
]


@pytest.mark.parametrize("cited,gold,expected", MATCH_CASES, ids=[f"{c[0]} ~ {c[1]}" for c in MATCH_CASES])
def test_citation_matches(cited, gold, expected):
    assert citation_matches(cited, gold) is expected
    assert citation_matches(gold, cited) is expected


# ---------------------------------------------------------------- loader and format detection

GOOD = {"id": "a1", "kind": "direct", "question": "Hỏi gì?", "gold": [f"Khoản 4 Điều 3 {ND09}"],
        "first": [f"Khoản 4 Điều 3 {ND09}"], "related": [f"Khoản 1 Điều 3 {ND09}"], "note": "vì sao"}


def _write(tmp_path, lines, name="q.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
                    encoding="utf-8")
    return path


def test_load_answer_questions_good_lines(tmp_path):
    path = _write(tmp_path, [
        GOOD,
        "",  # blank lines are skipped
        {"id": 7, "question": "Nghị quyết 47/NQ-CP giao gì?", "gold": [], "missing": "47/NQ-CP"},  # minimal, int id
    ])
    a, b = load_answer_questions(str(path))
    assert (a.id, a.kind, a.gold, a.first, a.related, a.note, a.answerable) == (
        "a1", "direct", GOOD["gold"], GOOD["first"], GOOD["related"], "vì sao", True)
    assert (b.id, b.kind, b.gold, b.first, b.missing, b.answerable) == ("7", "", [], [], "47/NQ-CP", False)


# (bad line, words the message must contain besides file:line)
BAD_LINES = [
    ("{not json", "không phải JSON"),  # broken JSON
    ('["a", "b"]', "đối tượng"),  # a JSON value that is not an object
    ({"id": "x", "question": "q"}, "thiếu 'gold'"),  # gold is required
    ({"id": "x", "gold": []}, "thiếu 'question'"),  # question is required
    ({"id": "x", "question": " ", "gold": []}, "'question' rỗng"),  # empty question
    ({"id": "x", "question": "q", "gold": "Điều 3 " + ND09}, "'gold' sai kiểu"),  # gold must be a list
    ({"id": "x", "question": "q", "gold": [{"document": "09/2017/NĐ-CP", "article": "3"}]},
     "gold[0] phải là chuỗi"),  # the retrieval shape inside an answers file
    ({"id": "x", "question": "q", "gold": [ND09]}, "gold[0]"),  # a document without Điều is no unit
    ({"id": "x", "question": "q", "gold": [], "first": "Điều 3 " + ND09}, "'first' sai kiểu"),  # first: a list
    ({"id": "x", "question": "q", "gold": [], "related": ["khoản 2"]}, "related[0]"),  # related unit without document
    ({"id": "x", "question": "q", "gold": [], "missing": ["47/NQ-CP"]}, "'missing' sai kiểu"),  # missing: a string
    ({"id": "x", "question": "q", "gold": [], "frist": []}, "khoá không biết ['frist']"),  # misspelt key
    ({"id": "a1", "question": "q", "gold": []}, "trùng id 'a1'"),  # id already used on line 1
]


@pytest.mark.parametrize("line,message", BAD_LINES, ids=[m for _, m in BAD_LINES])
def test_load_answer_questions_bad_line(tmp_path, line, message):
    path = _write(tmp_path, [GOOD, "", line])  # the bad line is line 3: blank lines count
    with pytest.raises(EvalFileError) as exc:
        load_answer_questions(str(path))
    assert f"{path}:3:" in str(exc.value)
    assert message in str(exc.value)


# (file content lines, name, expected format or the error words)
FORMAT_CASES = [
    ([GOOD], "q.jsonl", "answers"),  # string gold entries
    ([{"id": "r", "question": "q", "gold": [{"document": "72/2015/NĐ-CP", "article": "7"}]}], "q.jsonl",
     "retrieval"),  # dict gold entries: the retrieval dev format
    ([json.dumps([{"question_id": 1, "text": "q", "relevant_articles": []}])], "q.json", "retrieval"),  # ALQAC
    ([{"id": "u", "kind": "off_topic", "question": "q", "gold": []}, GOOD], "q.jsonl",
     "answers"),  # an empty gold decides nothing; the next line does
    ([{"id": "u", "kind": "off_topic", "question": "q", "gold": []}], "q.jsonl",
     "answers"),  # only unanswerable questions: recognised by the answer keys
    ([{"id": "m", "question": "q", "gold": ["Điều 3 " + ND09, {"document": "x"}]}], "q.jsonl",
     EvalFileError("trộn chuỗi và đối tượng")),  # mixed gold entries
    ([{"id": "e", "question": "q", "gold": []}], "q.jsonl", EvalFileError("không xác định được định dạng")),  # no clue
    (["{oops"], "q.jsonl", EvalFileError(":1: không phải JSON")),  # broken JSON, with its line
]


@pytest.mark.parametrize("lines,name,expected", FORMAT_CASES, ids=[str(c[2]) + str(i) for i, c in enumerate(FORMAT_CASES)])
def test_eval_file_format(tmp_path, lines, name, expected):
    path = _write(tmp_path, lines, name)
    if isinstance(expected, Exception):
        with pytest.raises(EvalFileError, match=str(expected)):
            eval_file_format(str(path))
    else:
        assert eval_file_format(str(path)) == expected


# ---------------------------------------------------------------- metrics over a fake service


def _hit(node_id: str, citation: str, text: str) -> ClauseHit:
    return ClauseHit(node_id=node_id, document="", document_number="", document_name="", doc_type="", title="",
                     article="", article_title="", clause="", point="", citation=citation, text=text, path="")


def _cite(citation: str, node_id: str, quote: str, role: str = "answer") -> Citation:
    return Citation(document="", article="", clause="", point="", citation=citation, quote=quote, node_id=node_id,
                    role=role)


def _answer(basis: str, citations=(), text: str = "", missing=()) -> Answer:
    return Answer(question="", answer=text, citations=list(citations), basis=basis, confidence=0.5,
                  mode="extractive", missing_documents=list(missing))


NODES = {h.node_id: h for h in [
    _hit("k1d3", f"Khoản 1 Điều 3 {ND09}", "1. Người phát ngôn được giao thường xuyên."),
    _hit("k4d3", f"Khoản 4 Điều 3 {ND09}", "4. Công khai họ tên, chức vụ, điện thoại, e-mail."),
    _hit("d14", f"Điều 14 {ND88}", "Điều 14. Trợ lý báo chí\n1. Hồ sơ gửi Bộ Ngoại giao."),
    _hit("k2d9", f"Khoản 2 Điều 9 {ND09}", "2. Thời điểm đăng phản hồi theo khoản 5 Điều 42 Luật Báo chí."),
    _hit("a_k5d42", f"Điểm a Khoản 5 Điều 42 {LBC}", "a) Báo điện tử đăng ngay khi nhận."),
    _hit("d_k2d12", f"Điểm d Khoản 2 Điều 12 {ND88}", "d) Bản sao thẻ phóng viên."),
    _hit("tv1", "Mục (1) Bài tư vấn Thông tin đối ngoại", "(1) Triển khai Công văn 1578/BTTTT-TTĐN ngày 25/4/2024."),
]}

# (question line, canned answer); the figures of test_evaluate_answers are counted by hand from this table
CASES = [
    # q1: the gold clause, cited first → first, cited, complete
    ({"id": "q1", "kind": "direct", "question": "q1", "gold": [f"Khoản 1 Điều 3 {ND09}"]},
     _answer("found", [_cite(f"Khoản 1 Điều 3 {ND09}", "k1d3", "Người phát ngôn")])),
    # q2: gold cited second → not first; the second quote's node is gone → not verbatim
    ({"id": "q2", "kind": "direct", "question": "q2", "gold": [f"Khoản 4 Điều 3 {ND09}"]},
     _answer("found", [_cite(f"Khoản 1 Điều 3 {ND09}", "k1d3", "Người phát ngôn"),
                       _cite(f"Khoản 4 Điều 3 {ND09}", "gone", "Công khai họ tên")])),
    # q3: the whole Điều 14 contains the first gold clause (no `first`: gold counts) but not Điều 15 → incomplete
    ({"id": "q3", "kind": "multi", "question": "q3", "gold": [f"Khoản 1 Điều 14 {ND88}", f"Khoản 1 Điều 15 {ND88}"]},
     _answer("weak", [_cite(f"Điều 14 {ND88}", "d14", "Hồ sơ gửi Bộ Ngoại giao.")])),
    # q4: first citation is a gold unit but not the `first` one; the point is inside gold K5 → complete
    ({"id": "q4", "kind": "cross_ref", "question": "q4", "gold": [f"Khoản 2 Điều 9 {ND09}", f"Khoản 5 Điều 42 {LBC}"],
      "first": [f"Khoản 2 Điều 9 {ND09}"]},
     _answer("found", [_cite(f"Điểm a Khoản 5 Điều 42 {LBC}", "a_k5d42", "Báo điện tử đăng ngay khi nhận."),
                       _cite(f"Khoản 2 Điều 9 {ND09}", "k2d9", "Thời điểm đăng phản hồi", role="context")])),
    # q5: point d for gold point đ → nothing cited, yet "found" → wrong found; quote not in the node → not verbatim
    ({"id": "q5", "kind": "point", "question": "q5", "gold": [f"Điểm đ Khoản 2 Điều 12 {ND88}"]},
     _answer("found", [_cite(f"Điểm d Khoản 2 Điều 12 {ND88}", "d_k2d12", "Bản sao hộ chiếu.")])),
    # q6: missing document reported in missing_documents → named
    ({"id": "q6", "kind": "missing_doc", "question": "q6", "gold": [], "missing": "47/NQ-CP"},
     _answer("none", text="Không tìm thấy căn cứ.", missing=["47/NQ-CP"])),
    # q7: "found" on an unanswerable question → wrong found; the number appears only inside a quote → not named
    ({"id": "q7", "kind": "missing_doc", "question": "q7", "gold": [], "missing": "1578/BTTTT-TTĐN"},
     _answer("found", [_cite("Mục (1) Bài tư vấn Thông tin đối ngoại", "tv1",
                             "(1) Triển khai Công văn 1578/BTTTT-TTĐN ngày 25/4/2024.")],
             text="Theo Mục (1) Bài tư vấn Thông tin đối ngoại:\n\n> (1) Triển khai Công văn 1578/BTTTT-TTĐN "
                  "ngày 25/4/2024.")),
    # q8: weak on an off-topic question: counted in the matrix, not a wrong found
    ({"id": "q8", "kind": "off_topic", "question": "q8", "gold": []}, _answer("weak", text="Căn cứ gần nhất…")),
    # q9: the answer's own words name the document, folded ("47/nq-cp") → named
    ({"id": "q9", "kind": "missing_doc", "question": "q9", "gold": [], "missing": "47/NQ-CP"},
     _answer("none", text="Nghị quyết 47/nq-cp chỉ có trong danh mục, chưa có toàn văn.")),
    # q10: a longer number that ends the same way is another document → not named
    ({"id": "q10", "kind": "missing_doc", "question": "q10", "gold": [], "missing": "47/NQ-CP"},
     _answer("none", text="Không tìm thấy căn cứ.", missing=["147/NQ-CP"])),
]


class FakeKb:
    """ask() and clause() with canned answers; records every ask for the checks below."""

    def __init__(self):
        self.answers = {line["question"]: ans for line, ans in CASES}
        self.calls = []

    def ask(self, question, as_of=None, mode="extractive"):
        self.calls.append((question, as_of, mode))
        return self.answers.get(question) or _answer("none", text="Không tìm thấy căn cứ.")

    def clause(self, node_id):
        return NODES.get(node_id)

    def lookup(self, reference):
        # No unit resolves: a quote counts as verbatim only when it is a substring of its node.
        return LookupResult(status="not_found")


@pytest.fixture
def result(tmp_path):
    kb = FakeKb()
    res = evaluate_answers(kb, load_answer_questions(str(_write(tmp_path, [line for line, _ in CASES]))))
    res["calls"] = kb.calls
    return res


def _hits(rate):
    return rate["hits"], rate["n"]


def test_evaluate_answers_rates(result):
    assert (result["n"], result["answerable"], result["unanswerable"]) == (10, 5, 5)
    assert _hits(result["gold_first"]) == (2, 5)  # q1, q3
    assert result["gold_first"]["rate"] == 0.4
    assert _hits(result["gold_cited"]) == (4, 5)  # q1-q4
    assert _hits(result["complete"]["all"]) == (3, 5)  # q1, q2, q4
    assert _hits(result["complete"]["multi"]) == (0, 1)  # q3 misses Điều 15
    assert _hits(result["complete"]["cross_ref"]) == (1, 1)  # q4
    assert _hits(result["missing_named"]) == (2, 4)  # q6, q9
    assert result["quotes"] == {"checked": 8, "not_verbatim": 2}  # q2's lost node, q5's quote


def test_evaluate_answers_basis_and_wrong_found(result):
    assert result["basis"] == {"found": {"answerable": 4, "unanswerable": 1},  # q1 q2 q4 q5 | q7
                               "weak": {"answerable": 1, "unanswerable": 1},  # q3 | q8
                               "none": {"answerable": 0, "unanswerable": 3}}  # q6 q9 q10
    wf = result["wrong_found"]
    assert (wf["hits"], wf["n"], wf["answerable"], wf["unanswerable"]) == (2, 10, 1, 1)  # q5, q7


def test_evaluate_answers_by_kind(result):
    by_kind = {k: (_hits(v["first"]), _hits(v["cited"]), v["n"]) for k, v in result["by_kind"].items()}
    assert by_kind == {
        "direct": ((1, 2), (2, 2), 2),  # q2 is not first
        "multi": ((1, 1), (1, 1), 1),
        "cross_ref": ((0, 1), (1, 1), 1),  # first citation not among `first`
        "point": ((0, 1), (0, 1), 1),
        "missing_doc": ((0, 0), (0, 0), 4),  # unanswerable: nothing to cite
        "off_topic": ((0, 0), (0, 0), 1),
    }
    assert result["by_kind"]["missing_doc"]["first"]["rate"] is None


def test_evaluate_answers_per_question(result):
    failed = {p["id"]: p["failed"] for p in result["per_question"]}
    assert failed == {
        "q1": [], "q2": ["first", "quote_not_verbatim"], "q3": ["complete"], "q4": ["first"],
        "q5": ["first", "cited", "complete", "wrong_found", "quote_not_verbatim"],
        "q6": [], "q7": ["missing_named", "wrong_found"], "q8": [], "q9": [], "q10": ["missing_named"],
    }
    q4 = next(p for p in result["per_question"] if p["id"] == "q4")
    assert [(c["citation"], c["role"], c["matches_gold"], c["verbatim"]) for c in q4["citations"]] == [
        (f"Điểm a Khoản 5 Điều 42 {LBC}", "answer", True, True),
        (f"Khoản 2 Điều 9 {ND09}", "context", True, True),
    ]
    json.dumps(result)  # the --json output must serialise


def test_evaluate_answers_asks_after_warm_up(result):
    # one warm-up ask, then each question once, extractive, not as of a date
    assert result["calls"][0][0] == "khởi động"
    assert result["calls"][1:] == [(line["question"], None, "extractive") for line, _ in CASES]
    assert 0 <= result["latency_ms_p50"] <= result["latency_ms_p95"]


def test_answer_report_text(result):
    text = answer_report_text(result)
    assert "Trích dẫn đầu tiên đúng: 2/5 (40%)" in text
    assert "Câu chưa đạt: q2 (first, quote_not_verbatim)" in text


def test_cli_eval_detects_answers(tmp_path, monkeypatch, capsys):
    import kb.cli

    monkeypatch.setattr(kb.cli, "_kb", lambda settings: FakeKb())
    path = _write(tmp_path, [line for line, _ in CASES])
    assert kb.cli.main(["eval", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["format"], _hits(out["gold_cited"])) == ("answers", (4, 5))
