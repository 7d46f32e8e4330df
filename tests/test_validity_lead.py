"""A unit not in force on the question's date never leads a "found" answer (issue 18).

The rule (qa.asof.NOT_IN_FORCE, qa.answer.plan_answer's `held_back`): an expired, suspended or not yet
effective unit goes after the units in force; the closest match is still listed, with its status, and
the answer says so first ("Lưu ý về hiệu lực: … hết hiệu lực từ …; không phải căn cứ tại ngày …"); when
nothing in force was found, it may lead, but the answer is at most "weak".

Cases: the SYNTHETIC decree pair of tests/fixtures (a khoản repealed by a document in the base); the
real Pháp điển đề mục of insurance, whose notes say Điều 61–67 Nghị định 73/2016/NĐ-CP are in force
"đến ngày 31/12/2027" (the only past-or-future end dates the whole Pháp điển states, found by
`kb bench validity`); the real đề mục 32.1, where nothing is expired (the snapshot states what is in
force), so legal staff's own setting (ingest.corrections, audited) makes a document expired; and the
pure decision of the basis, one row per guard, each failing when its guard is removed.
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from conftest import DEMUC_32_1, REPO, SHARED, require_shared
from qa import answer as answer_module
from qa.asof import NOT_IN_FORCE, Dated, label_answer, state_lines
from qa.types import Answer, Citation
from qa.validity import Wording

FIXTURES = REPO / "tests" / "fixtures"
BASE = FIXTURES / "synthetic_base_decree.txt"
AMENDING = FIXTURES / "synthetic_amending_decree.txt"
REPEALED = "Khoản 3 Điều 3 Nghị định 998/2098/NĐ-CP"  # "4. Bãi bỏ khoản 3 Điều 3." from 01/07/2099
ABOUT_IT = "Chủ trại nuôi cho chim cánh cụt ăn cá hồi mấy lần mỗi ngày?"
INSURANCE = SHARED / "corpus" / "phapdien" / "4b27a678-6cea-4635-9bf3-4f3655ca74af.html"


@pytest.fixture
def ablate():
    """Switch a plan policy off for one test (the ablation switch of qa.answer), and on again after."""
    switched = []

    def off(name: str):
        answer_module.ABLATED.add(name)
        switched.append(name)

    yield off
    for name in switched:
        answer_module.ABLATED.discard(name)


# ---------------------------------------------------------------- synthetic: a khoản repealed in the base


@pytest.fixture
def pair(fake_kb):
    return fake_kb(BASE, AMENDING)


def test_a_repealed_unit_leads_the_day_before_and_never_after(pair, ablate):
    before = pair.ask(ABOUT_IT, as_of="2099-06-30")
    assert before.citations[0].citation == REPEALED and before.citations[0].validity["value"] not in NOT_IN_FORCE
    assert "Lưu ý về hiệu lực" not in before.answer

    after = pair.ask(ABOUT_IT, as_of="2099-08-01")
    lead = after.citations[0]
    assert lead.citation != REPEALED and lead.validity["value"] not in NOT_IN_FORCE
    [listed] = [c for c in after.citations if c.citation == REPEALED]  # the closest match, listed
    assert (listed.role, listed.validity["value"], listed.validity["since"]) == ("context", "expired", "2099-07-01")
    said = (f"Lưu ý về hiệu lực: {REPEALED}: hết hiệu lực từ 01/07/2099 (quy định này bị bãi bỏ bởi Khoản 4 Điều 1 "
            "Nghị định 999/2099/NĐ-CP từ 01/07/2099); không phải căn cứ tại ngày 01/08/2099.")
    assert after.answer.startswith(said) and after.warnings[0] == said.removeprefix("Lưu ý về hiệu lực: ")

    ablate("not_in_force_last")  # without the rule, the repealed khoản leads again …
    unruled = pair.ask(ABOUT_IT, as_of="2099-08-01")
    assert unruled.citations[0].citation == REPEALED
    assert unruled.basis != "found" and unruled.answer.startswith(said)  # … and the basis guard still holds


def test_cli_lists_the_repealed_unit_with_its_status_and_date(tmp_path):
    """`kb ask --as-of` through the real process (lexical index only: `--no-embed`)."""
    from conftest import run_kb

    home = tmp_path / "home"
    run_kb("ingest", "--no-embed", str(BASE), str(AMENDING), home=home, check=True)
    out = run_kb("ask", ABOUT_IT, "--as-of", "01/08/2099", home=home, check=True).stdout
    assert out.startswith(f"Lưu ý về hiệu lực: {REPEALED}: hết hiệu lực từ 01/07/2099")
    listed = [line for line in out.splitlines() if line.lstrip().startswith("[") and REPEALED in line]
    assert len(listed) == 1 and listed[0].endswith(f"{REPEALED} (liên quan) — Hết hiệu lực toàn bộ từ 01/07/2099")
    assert not out.split("Căn cứ:\n")[1].lstrip().startswith(f"[1] {REPEALED}")


# ---------------------------------------------------------------- the basis, decided (pure)


def _answer(basis: str, values: list[str]) -> tuple[Answer, list, list[Dated]]:
    names = [f"Điều {i + 1} Nghị định 998/2098/NĐ-CP" for i in range(len(values))]
    cits = [Citation(document="998/2098/NĐ-CP", article=str(i + 1), clause="", point="", citation=n, quote="synthetic",
                     node_id=f"n{i}") for i, n in enumerate(names)]
    units = [SimpleNamespace(hit=SimpleNamespace(node_id=f"n{i}"), citation=n) for i, n in enumerate(names)]
    checked = [Dated({"value": v, "since": "2099-07-01", "reason": "synthetic"}, Wording()) for v in values]
    ans = Answer(question="synthetic", answer="Theo Điều 1 Nghị định 998/2098/NĐ-CP: …", citations=cits,
                 basis=basis, confidence=0.9, mode="extractive")
    return ans, units, checked


@pytest.mark.parametrize("lead, basis_after", [
    ("expired", "weak"), ("suspended", "weak"), ("not_yet", "weak"),
    ("in_force", "found"), ("partly_expired", "found"), ("unknown", "found"),
])
def test_a_lead_not_in_force_is_never_found(lead, basis_after):
    ans, units, checked = _answer("found", [lead, "in_force"])
    label_answer(ans, units, checked, "2099-08-01")
    assert ans.basis == basis_after
    assert ans.answer.startswith("Lưu ý về hiệu lực: ") == (lead in NOT_IN_FORCE)


def test_status_lines_group_units_on_the_same_grounds_and_name_the_date():
    v = {"value": "expired", "since": "2099-01-01", "reason": "cán bộ pháp chế xác định: hết hiệu lực toàn bộ"}
    own = {"value": "not_yet", "since": "2100-01-01", "reason": "Điều 9 Nghị định 998/2098/NĐ-CP có hiệu lực từ 01/01/2100"}
    lines = state_lines([("Điều 1 Nghị định 998/2098/NĐ-CP", v), ("Điều 2 Nghị định 998/2098/NĐ-CP", v),
                         ("Điều 3 Nghị định 998/2098/NĐ-CP", {"value": "in_force"}),
                         ("Điều 9 Nghị định 998/2098/NĐ-CP", own)], "2099-06-01")
    assert lines == [
        "Điều 1 Nghị định 998/2098/NĐ-CP; Điều 2 Nghị định 998/2098/NĐ-CP: hết hiệu lực từ 01/01/2099 (cán bộ pháp chế "
        "xác định: hết hiệu lực toàn bộ); không phải căn cứ tại ngày 01/06/2099.",
        "Điều 9 Nghị định 998/2098/NĐ-CP: chưa có hiệu lực (quy định này có hiệu lực từ 01/01/2100); không phải căn cứ "
        "tại ngày 01/06/2099."]


# ---------------------------------------------------------------- the Pháp điển's own end date, read


@pytest.mark.parametrize("note, last", [
    # amendment notes of articles of the insurance đề mục, verbatim (what follows the source in pGhiChu)
    ("có hiệu lực thi hành đến ngày 31/12/2027", "2027-12-31"),  # Điều 94 Luật 24/2000/QH10
    ("có hiệu lực thi hành đến hết ngày 31/12/2027", "2027-12-31"),  # Điều 77, 78: "đến hết ngày"
    ("có hiệc lực thi hành đến ngày 31/12/2027", "2027-12-31"),  # Điều 83: the note's own misspelling
    # Điều 62 Thông tư 67/2023/TT-BTC: the end date is that of annexes of other circulars, not the article's
    ("Phụ lục II ban hành kèm theo Thông tư số 135/2012/TT-BTC, Phụ lục IV ban hành kèm theo Thông tư số "
     "115/2013/TT-BTC, Phụ lục I ban hành kèm theo Thông tư số 52/2016/TT-BTC có hiệu lực thi hành đến hết ngày "
     "30/6/2024.", ""),
    ("", ""),
])
def test_end_date_of_an_article_is_read_from_the_start_of_its_note(note, last):
    from qa.validity import until_of

    assert until_of(note) == last


# ---------------------------------------------------------------- real: the Pháp điển's own end date


@pytest.mark.slow
def test_real_phapdien_article_in_force_until_a_date_stops_leading_the_day_after(fake_kb, ablate):
    """Điều 66 Nghị định 73/2016/NĐ-CP: "(…, có hiệu lực thi hành đến ngày 31/12/2027.)" in its note."""
    kb = fake_kb(require_shared(INSURANCE))
    question = "Khi nào doanh nghiệp bảo hiểm bị coi là có nguy cơ mất khả năng thanh toán?"
    article = "Điều 66 Nghị định 73/2016/NĐ-CP"
    last_day = kb.ask(question, as_of="2027-12-31")
    assert last_day.citations[0].citation == article and last_day.basis == "found"
    assert last_day.citations[0].validity["value"] == "in_force"

    day_after = kb.ask(question, as_of="2028-01-01")
    lead = day_after.citations[0]
    assert lead.citation != article and lead.validity["value"] == "in_force" and day_after.basis == "found"
    [listed] = [c for c in day_after.citations if c.citation == article]
    assert (listed.role, listed.validity["value"], listed.validity["since"], listed.validity["source"]) == (
        "context", "expired", "2028-01-01", "phapdien")
    assert day_after.answer.startswith(
        f"Lưu ý về hiệu lực: {article}: hết hiệu lực từ 01/01/2028 (Bộ pháp điển ghi quy định này có hiệu lực thi hành "
        "đến ngày 31/12/2027); không phải căn cứ tại ngày 01/01/2028.")
    today = kb.ask(question)  # no date: today, before the end date
    assert today.citations[0].citation == article

    ablate("not_in_force_last")
    unruled = kb.ask(question, as_of="2028-01-01")
    assert unruled.citations[0].citation == article and unruled.basis == "weak"

    def status(ref: str, day: str) -> str:
        found = kb.lookup(ref, as_of=day)
        assert found.status == "found", (ref, found.status)
        return found.validity["value"]

    # the notes' other spellings ("đến hết ngày", "hiệc") end their article too; an annex's end date does not
    for ref in ("Điều 77 Luật 24/2000/QH10", "Điều 78 Luật 24/2000/QH10", "Điều 83 Luật 24/2000/QH10"):
        assert (status(ref, "2027-12-31"), status(ref, "2028-01-01")) == ("in_force", "expired"), ref
    assert status("Điều 62 Thông tư 67/2023/TT-BTC", "2028-01-01") == "in_force"


# ---------------------------------------------------------------- real đề mục 32.1, a staff setting


@pytest.mark.slow
def test_real_32_1_document_staff_set_expired_is_listed_never_found(fake_kb):
    """Nothing in đề mục 32.1 is expired on its snapshot (bench: validity); staff's setting (a test input,
    noted "synthetic") is the source here, from a date far ahead so that no real date is affected."""
    kb = fake_kb(require_shared(DEMUC_32_1))
    question = "Thông tin đối ngoại gồm những loại thông tin nào?"
    key = "72/2015/NĐ-CP"
    before = kb.ask(question, as_of="2098-12-31")
    assert before.citations[0].citation.endswith(key)
    kb.correct_document(key, {"status": "expired", "status_since": "01/01/2099", "status_note": "synthetic"},
                        by="phapche")
    assert kb.ask(question, as_of="2098-12-31").citations[0].citation == before.citations[0].citation
    after = kb.ask(question, as_of="2099-01-01")
    assert not after.citations[0].citation.endswith(key)
    assert after.citations[0].validity["value"] == "in_force"
    mine = [c for c in after.citations if c.citation.endswith(key)]
    assert mine and all(c.validity["value"] == "expired" and c.role != "answer" for c in mine)
    assert after.answer.startswith("Lưu ý về hiệu lực: ") and "hết hiệu lực từ 01/01/2099" in after.answer
    assert "không phải căn cứ tại ngày 01/01/2099" in after.answer
