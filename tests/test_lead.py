"""The lead an official can act on (qa.answer): the body an article is titled by is named, "Có"/"Không"
only when the clause says so in so many words, `why` and `article_title` in the JSON. Pure functions
on hand-built hits, then end to end on the synthetic decree (fake embedding)."""
from __future__ import annotations

from pathlib import Path

import pytest

from qa.answer import Plan, Quoted, render_extractive, yes_or_no
from qa.question import Question
from qa.types import ClauseHit

DECREE = Path(__file__).parent / "fixtures" / "synthetic_answers_nghi_dinh.txt"
ND = "Nghị định 998/2099/NĐ-CP"


def _hit(text: str, article_title: str, article="5", clause="1") -> ClauseHit:
    return ClauseHit(node_id=f"n{article}.{clause}", document=ND, document_number="998/2099/NĐ-CP", document_name=ND,
                     doc_type="Nghị định", title="T", article=article, article_title=article_title, clause=clause,
                     point="", citation=f"Khoản {clause} Điều {article} {ND}", text=text, path="/", score=1.0)


YES_NO = [
    # the clause says "không được" about what was asked: "Không"
    ("Người chăm sóc có được tự ý đổi khẩu phần không?", "Người chăm sóc không được tự ý đổi khẩu phần của chim.", "Không"),
    # the clause says "phải" about what was asked: "Có"
    ("Trại nuôi có phải lập báo cáo số lượng chim không?", "Trại nuôi phải lập báo cáo số lượng chim hằng quý.", "Có"),
    # the clause answers but says neither: no yes, no no
    ("Trại nuôi có lập báo cáo số lượng chim không?", "Trại nuôi lập báo cáo số lượng chim hằng quý.", ""),
    # not a yes/no question
    ("Ai lập báo cáo số lượng chim?", "Trại nuôi phải lập báo cáo số lượng chim hằng quý.", ""),
    # a sentence about something else: its "phải" does not answer this question
    ("Người chăm sóc có được nghỉ phép không?", "Trại nuôi phải lập báo cáo số lượng chim hằng quý.", ""),
]


@pytest.mark.parametrize("question,sentence,expected", YES_NO, ids=[c[0][:30] for c in YES_NO])
def test_yes_or_no_only_when_the_clause_says_it(question, sentence, expected):
    assert yes_or_no(Question.parse(question), sentence) == expected


def test_the_body_of_a_body_titled_article_is_named_in_the_lead():
    q = Question.parse("Cơ quan nào cấp phép lắp đặt máy tạo ôxy?")
    hit = _hit("1. Cấp phép lắp đặt máy tạo ôxy cho vòm kính.", "Bộ Khí quyển Nhân tạo")
    ans = render_extractive(q, [hit], "found", 0.9, Plan([Quoted(hit, hit.citation, hit.text)], "ranked"))
    assert ans.answer.startswith(f"Theo Khoản 1 Điều 5 {ND} (Bộ Khí quyển Nhân tạo):")
    public = ans.to_public_dict()
    assert public["citations"][0]["article_title"] == "Bộ Khí quyển Nhân tạo"
    assert public["why"] == {"rule": "ranked"}


def test_a_dropped_reference_and_a_cut_article_are_said():
    q = Question.parse("Bộ Khí quyển Nhân tạo có trách nhiệm gì?")
    hit = _hit("1. Cấp phép lắp đặt máy tạo ôxy cho vòm kính.", "Bộ Khí quyển Nhân tạo")
    plan = Plan([Quoted(hit, hit.citation, hit.text)], "entity_article", dropped=["Khoản 9 Điều 9 Luật X"], left_out=3)
    ans = render_extractive(q, [hit], "found", 0.9, plan)
    assert any("còn 3 khoản không trích" in w for w in ans.warnings)
    assert any("Khoản 9 Điều 9 Luật X" in w for w in ans.warnings)


def test_a_question_in_two_parts_gets_two_leads():
    q = Question.parse("Thời hạn nộp báo cáo là khi nào và thức ăn của chim gồm những gì?")
    a = _hit("3. Báo cáo phải được nộp chậm nhất vào ngày mười lăm của tháng đầu quý sau.", "Thời hạn", "4", "3")
    b = _hit("1. Thức ăn của chim cánh cụt gồm: cá hồi và tảo xoắn.", "Thức ăn của chim", "6", "1")
    plan = Plan([Quoted(a, a.citation, a.text), Quoted(b, b.citation, b.text)], "ranked")
    ans = render_extractive(q, [a, b], "found", 0.9, plan)
    assert "Ý tiếp theo — theo Khoản 1 Điều 6" in ans.answer


@pytest.fixture
def kb(fake_kb):
    return fake_kb(DECREE)


def test_json_has_why_and_article_title(kb):
    ans = kb.ask("Bộ Khí quyển Nhân tạo có trách nhiệm gì?")
    public = ans.to_public_dict()
    assert public["why"]["rule"] in ("entity_article", "ranked")
    assert public["why"]["lead"] == public["citations"][0]["citation"]
    assert public["why"]["features"] and all({"feature", "value", "contribution"} <= set(f)
                                             for f in public["why"]["features"])
    assert 0.0 <= public["why"]["basis_probability"] <= 1.0
    assert all("article_title" in c for c in public["citations"])


def test_a_follow_up_is_answered_with_the_previous_question(kb):
    first = "Báo cáo số lượng chim cánh cụt phải nộp chậm nhất vào ngày nào?"
    alone = kb.ask("Gửi về đâu?")
    after = kb.ask("Gửi về đâu?", previous=first)
    assert after.continues == first and after.answer.startswith(f"(Tiếp theo câu hỏi: «{first}»)")
    assert alone.continues == ""
    # read with the previous question, it is about the report (Điều 3 and 4), whatever alone would find
    assert after.citations and after.citations[0].article in ("3", "4"), [c.citation for c in after.citations]
    assert any(c.citation == f"Khoản 2 Điều 4 {ND}" for c in after.citations) or after.basis != "found"


def test_cli_ask_after_reads_a_follow_up(tmp_path):
    """`kb ask --after`: the real CLI process reads the question as a follow-up and says which."""
    import json

    from conftest import run_kb

    env = {"KB_EMBEDDING": "fake"}
    run_kb("ingest", str(DECREE), home=tmp_path / "home", env=env, check=True)
    first = "Báo cáo số lượng chim cánh cụt phải nộp chậm nhất vào ngày nào?"
    out = json.loads(run_kb("ask", "Gửi về đâu?", "--after", first, "--json", home=tmp_path / "home", env=env,
                            check=True).stdout)
    assert out["continues"] == first and out["why"]["rule"]
    alone = json.loads(run_kb("ask", "Gửi về đâu?", "--json", home=tmp_path / "home", env=env, check=True).stdout)
    assert alone["continues"] == ""


def test_cv_eval_answers_every_fold_with_a_model_that_did_not_see_it(kb, tmp_path):
    """`kb eval FILE --cv K` end to end on synthetic labelled rows: each fold is answered by a model
    trained without that fold's questions, and the shipped model is back afterwards."""
    import json

    import numpy as np

    from kb.train import Collected, run_cv_eval
    from qa.features import FEATURES

    questions = [("s1", "Thời hạn nộp báo cáo số lượng chim cánh cụt là khi nào?", f"Khoản 3 Điều 4 {ND}"),
                 ("s2", "Thức ăn của chim cánh cụt gồm những gì?", f"Khoản 1 Điều 6 {ND}"),
                 ("s3", "Bộ Khí quyển Nhân tạo có trách nhiệm gì?", f"Điều 5 {ND}"),
                 ("s4", "Báo cáo gửi về đâu?", f"Khoản 2 Điều 4 {ND}")]
    path = tmp_path / "synthetic_answers.jsonl"
    path.write_text("".join(json.dumps({"id": i, "kind": "direct", "question": q, "gold": [g]}, ensure_ascii=False) + "\n"
                            for i, q, g in questions), encoding="utf-8")
    rng = np.random.default_rng(0)
    rows = []
    for n in range(40):  # other questions the folds learn from: coverage marks the gold
        X = rng.random((6, len(FEATURES)))
        rel = np.zeros(6)
        rel[n % 6] = 2
        X[n % 6, FEATURES.index("coverage")] = 1.5
        rows.append(Collected("synthetic", f"t{n}", "answers", X, rel, X[:, FEATURES.index("coverage")], 0.9, False, True))
    shipped = kb.retriever.ranker
    result = run_cv_eval(kb, str(path), 2, rows=rows)
    assert kb.retriever.ranker is shipped
    assert result["cross_validated"]["n"] == 4 and result["in_sample"]["n"] == 4
    assert {r["id"] for r in result["per_question_cv"]} == {"s1", "s2", "s3", "s4"}
    assert "cross-validated" in result["report"]
