"""Hiệu lực with its source, and point-in-time truth (issue 18, items 1 and 2).

A table of made-up facts, one row per status source and per as-of case, each row failing when its
rule is taken out of qa.validity.RULES; which wording a stored text is on a date; then, in the
knowledge base over the fake embedding, a SYNTHETIC Pháp điển đề mục whose article was amended after
the date asked (the later wording is labelled and never the basis), the synthetic decree pair of
tests/fixtures (amending text in the base: the earlier text is quoted), staff's own status (stored,
kept across a new version, audited), the lookup view and the DOCX export. One test reads the real
đề mục 32.1 (its snapshot date, and no document left without a status).

Every document here is SYNTHETIC (numbers 996–999/2097–2099, "chim cánh cụt trên sao Hỏa"), not law.
"""
from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest

from conftest import DEMUC_32_1, REPO, require_shared
from ingest.amendments import Amendment
from qa.validity import RULES, DocFacts, Statement, UnitFacts, status_of, stored_wording
from synthetic_docs import load_fixture_lines

FIXTURES = REPO / "tests" / "fixtures"
BASE = FIXTURES / "synthetic_base_decree.txt"
AMENDING = FIXTURES / "synthetic_amending_decree.txt"
KEY = "998/2098/NĐ-CP"
TODAY = "2099-12-31"

# ---------------------------------------------------------------- the decision (pure), one row per rule

DOC = DocFacts(KEY, "Nghị định 998/2098/NĐ-CP", source_kind="original", effective_from="2098-03-01")
IN_CATALOG = replace(DOC, catalog=Statement("in_force"))
PD = replace(DOC, source_kind="phapdien", snapshot_on="2099-09-29")
UNIT = UnitFacts("2", "2", label="Khoản 2 Điều 2 Nghị định 998/2098/NĐ-CP", effective_from="2098-03-01")
REPEAL = Amendment(target_key=KEY, target_ref="Nghị định số 998/2098/NĐ-CP", article="2", action="repeal",
                   effective_from="2099-07-01", amending_key="999/2099/NĐ-CP", amending_name="Nghị định 999/2099/NĐ-CP",
                   amending_unit="Khoản 4 Điều 1 Nghị định 999/2099/NĐ-CP")
REPEAL_BY_NOTE = replace(REPEAL, source="phapdien", amending_unit="Điều 3 Nghị định 996/2099/NĐ-CP",
                         amending_key="996/2099/NĐ-CP")  # the amending text is not in the base
SUSPEND = replace(REPEAL, action="suspend")
REPEAL_DOC = replace(REPEAL, article="")
REPEAL_OTHER_CLAUSE = replace(REPEAL, clause="3")
STAFF_SINCE = Statement("expired", since="2099-01-01", stated_on="2099-02-01", by="phapche", note="synthetic")
STAFF_UNDATED = Statement("expired", stated_on="2099-02-01", by="phapche")
UNTIL = replace(UNIT, note="có hiệu lực thi hành đến ngày 30/09/2099.")

ROWS = [
    # (id, doc, unit, as_of, relations, (value, source), the rule that decides)
    ("secondary source", replace(IN_CATALOG, source_kind="secondary"), UNIT, "2099-01-01", [], ("unknown", "none"),
     "secondary"),
    ("before the effective date", IN_CATALOG, UNIT, "2098-02-28", [], ("not_yet", "dates"), "not_yet"),
    ("on the effective date", IN_CATALOG, UNIT, "2098-03-01", [], ("in_force", "catalog"), "catalog"),
    ("after it, no source at all", DOC, UNIT, "2099-01-01", [], ("unknown", "none"), None),
    ("unit repealed, amending text in the base", IN_CATALOG, UNIT, "2099-08-01", [REPEAL], ("expired", "relations"),
     "unit_repealed"),
    ("unit repealed, on the repeal's date", IN_CATALOG, UNIT, "2099-07-01", [REPEAL], ("expired", "relations"),
     "unit_repealed"),
    ("unit repealed, the day before", IN_CATALOG, UNIT, "2099-06-30", [REPEAL], ("in_force", "catalog"), "catalog"),
    ("unit repealed, amending text not in the base", IN_CATALOG, UNIT, "2099-08-01", [REPEAL_BY_NOTE],
     ("expired", "relations"), "unit_repealed"),
    ("unit suspended", IN_CATALOG, UNIT, "2099-08-01", [SUSPEND], ("suspended", "relations"), "unit_repealed"),
    ("repeal of the unit beats staff's in force", replace(IN_CATALOG, staff=Statement("in_force")), UNIT,
     "2099-08-01", [REPEAL], ("expired", "relations"), "unit_repealed"),
    ("Pháp điển: in force until a date, after it", PD, UNTIL, "2099-10-01", [], ("expired", "phapdien"), "until"),
    ("Pháp điển: in force until a date, on it", PD, UNTIL, "2099-09-30", [], ("in_force", "phapdien"), "phapdien"),
    ("staff, from a date, after it", replace(IN_CATALOG, staff=STAFF_SINCE), UNIT, "2099-03-01", [],
     ("expired", "staff"), "staff"),
    ("staff, from a date, before it", replace(IN_CATALOG, staff=STAFF_SINCE), UNIT, "2098-12-31", [],
     ("in_force", "catalog"), "catalog"),
    ("staff without a date, asked before they said it", replace(IN_CATALOG, staff=STAFF_UNDATED), UNIT,
     "2098-06-01", [], ("unknown", "staff"), "staff"),
    ("staff overrule a document-wide repeal", replace(DOC, staff=Statement("in_force")), None, "2099-08-01",
     [REPEAL_DOC], ("in_force", "staff"), "staff"),
    ("document repealed", IN_CATALOG, None, "2099-08-01", [REPEAL_DOC], ("expired", "relations"), "relations"),
    ("document suspended", IN_CATALOG, None, "2099-08-01", [replace(REPEAL_DOC, action="suspend")],
     ("suspended", "relations"), "relations"),
    ("part of the document repealed", IN_CATALOG, None, "2099-08-01", [REPEAL_OTHER_CLAUSE],
     ("partly_expired", "relations"), "relations"),
    ("part repealed later than the date", IN_CATALOG, None, "2099-06-30", [REPEAL_OTHER_CLAUSE],
     ("in_force", "catalog"), "catalog"),
    ("catalogue: expired, asked today", replace(DOC, catalog=Statement("expired")), None, TODAY, [],
     ("expired", "catalog"), "catalog"),
    ("catalogue: expired, undated, asked for a past date", replace(DOC, catalog=Statement("expired")), None,
     "2099-01-01", [], ("unknown", "catalog"), "catalog"),
    ("Pháp điển snapshot, before it", PD, UNIT, "2099-01-01", [], ("in_force", "phapdien"), "phapdien"),
    ("Pháp điển snapshot, after it", PD, UNIT, TODAY, [], ("in_force", "phapdien"), "phapdien"),
    ("Pháp điển, before the effective date", PD, UNIT, "2098-01-01", [], ("not_yet", "dates"), "not_yet"),
]


@pytest.mark.parametrize("doc,unit,as_of,relations,expected,rule", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_status_of(doc, unit, as_of, relations, expected, rule):
    got = status_of(doc, unit, as_of, relations, today=TODAY)
    assert (got.value, got.source) == expected, got
    assert got.reason and got.label  # always said in words, with where it came from
    if rule is not None:  # the row tests its rule: without it the answer is another one
        without = tuple(r for r in RULES if r.name != rule)
        assert len(without) == len(RULES) - 1
        other = status_of(doc, unit, as_of, relations, today=TODAY, rules=without)
        assert (other.value, other.source) != expected


def test_status_reasons_name_their_source_and_date():
    got = status_of(IN_CATALOG, UNIT, "2099-08-01", [REPEAL], today=TODAY)
    assert got.since == "2099-07-01" and "Khoản 4 Điều 1 Nghị định 999/2099/NĐ-CP" in got.reason
    assert "01/07/2099" in got.reason
    pd = status_of(PD, UNIT, TODAY, [], today=TODAY)
    assert "29/09/2099" in pd.reason and "cần kiểm tra lại" in pd.reason
    assert "cần kiểm tra lại" not in status_of(PD, UNIT, "2099-01-01", [], today=TODAY).reason
    staff = status_of(replace(IN_CATALOG, staff=STAFF_SINCE), UNIT, "2099-03-01", [], today=TODAY)
    assert "phapche" in staff.reason and "synthetic" in staff.reason and staff.since == "2099-01-01"
    assert status_of(PD, UNIT, "2098-01-01", [], today=TODAY).to_dict()["label"] == "Chưa có hiệu lực"


# ---------------------------------------------------------------- which wording a stored text is (pure)

NOTE_CHANGE = Amendment(target_key="997/2097/NĐ-CP", target_ref="", article="1", action="amend", partial=True,
                        effective_from="2098-01-01", amending_key="996/2098/NĐ-CP",
                        amending_name="Nghị định 996/2098/NĐ-CP", amending_unit="Điều 3 Nghị định 996/2098/NĐ-CP",
                        source="phapdien")
ART1 = UnitFacts("1", "1", label="Điều 1 Nghị định 997/2097/NĐ-CP")


@pytest.mark.parametrize("source_kind,unit,as_of,relations,later", [
    # Pháp điển article changed on 01/01/2098: before it, the stored text is the later wording
    ("phapdien", ART1, "2097-12-31", [NOTE_CHANGE], True),
    ("phapdien", ART1, "2098-01-01", [NOTE_CHANGE], False),  # on the date the change takes effect
    ("phapdien", ART1, "2098-06-01", [NOTE_CHANGE], False),  # after it
    ("phapdien", ART1, None, [NOTE_CHANGE], False),  # no date: today's wording is the stored one
    # a document stored as enacted: the amending text in the base gives the earlier and later text
    ("original", ART1, "2097-12-31", [replace(NOTE_CHANGE, source="text")], False),
    ("phapdien", replace(ART1, article="2"), "2097-12-31", [NOTE_CHANGE], False),  # another article changed
    ("phapdien", ART1, "2097-12-31", [replace(NOTE_CHANGE, effective_from="")], True),  # undated, before the snapshot
])
def test_stored_wording(source_kind, unit, as_of, relations, later):
    w = stored_wording(source_kind, unit, as_of, relations, snapshot_on="2098-06-15")
    assert w.current_only is later
    if later:
        assert w.note.startswith("Tại ngày 31/12/2097, nội dung có hiệu lực của Điều 1 Nghị định 997/2097/NĐ-CP "
                                 "không có trong cơ sở dữ liệu")
        assert "nội dung hiện hành" in w.note and "không dùng làm căn cứ" in w.note


# ---------------------------------------------------------------- a synthetic Pháp điển đề mục in the base

SYNTHETIC_DEMUC = """<h3>Đề mục 99.9<br />Thử nghiệm tổng hợp</h3><div class='_content'><p class='pChuong'>Chương I</p>
<p class='pDieu'>Điều 99.9.NĐ.1.1. Nuôi chim cánh cụt trên sao Hỏa (synthetic)</p>
<p class='pGhiChu'><a href='http://vbpl.vn/x#Chuong_I_Dieu_1'>(Điều 1 Nghị định số 997/2097/NĐ-CP Thử nghiệm tổng hợp ngày 01/02/2097 của Chính phủ, có hiệu lực thi hành kể từ ngày 01/03/2097, có nội dung được sửa đổi bởi Điều 3 Nghị định số 996/2098/NĐ-CP có hiệu lực thi hành kể từ ngày 01/01/2098)</a></p>
<p class='pNoiDung'><p>1. Trại nuôi chim cánh cụt trên sao Hỏa phải đăng ký với Sở Thử nghiệm trong thời hạn 45 ngày.</p></p>
<p class='pChiDan'>(Điều này có nội dung liên quan đến <a href='http://vbpl.vn/x'>Điều 2 của Thông tư 01/2098/TT-BTN thử nghiệm. ban hành ngày 15/06/2098</a>)</p>
<p class='pDieu'>Điều 99.9.NĐ.1.2. Báo cáo thử nghiệm (synthetic)</p>
<p class='pGhiChu'><a href='http://vbpl.vn/x#Chuong_I_Dieu_2'>(Điều 2 Nghị định số 997/2097/NĐ-CP, có hiệu lực thi hành kể từ ngày 01/03/2097)</a></p>
<p class='pNoiDung'><p>Bộ Thử nghiệm báo cáo việc nuôi chim cánh cụt trên sao Hỏa hằng năm.</p></p></div>"""
PD_KEY = "997/2097/NĐ-CP"
QUESTION = "Trại nuôi chim cánh cụt trên sao Hỏa phải đăng ký trong thời hạn bao lâu?"


@pytest.fixture
def demuc(fake_kb, tmp_path):
    src = tmp_path / "synthetic_demuc_99_9.html"
    src.write_text(SYNTHETIC_DEMUC, encoding="utf-8")
    return fake_kb(src)


def test_phapdien_snapshot_date_and_status_are_recorded(demuc):
    row = demuc.store.registry.document(PD_KEY)
    assert row.snapshot_on == "2098-06-15"  # the latest issue date its notes name
    [d] = [d for d in demuc.documents() if d.key == PD_KEY]
    assert d.validity["label"] and d.validity["reason"]  # the document list says it, today
    v = demuc.document_status(PD_KEY, as_of="2098-07-01")
    assert (v["value"], v["source"]) == ("in_force", "phapdien") and "15/06/2098" in v["reason"]
    assert demuc.document_status(PD_KEY, as_of="2097-01-01")["value"] == "not_yet"


def test_ask_before_a_later_wording_says_so_and_does_not_found_the_basis_on_it(demuc):
    before = demuc.ask(QUESTION, as_of="2097-06-01")
    after = demuc.ask(QUESTION, as_of="2098-06-01")
    lead_before, lead_after = before.citations[0], after.citations[0]
    assert lead_before.citation == lead_after.citation == "Khoản 1 Điều 1 Nghị định 997/2097/NĐ-CP"
    # on 01/06/2097 the base has only the wording of 01/01/2098: said first, and never the basis
    assert lead_before.current_wording and before.basis != "found"
    assert before.answer.startswith("Lưu ý về thời điểm: Tại ngày 01/06/2097, nội dung có hiệu lực của Điều 1 "
                                    "Nghị định 997/2097/NĐ-CP không có trong cơ sở dữ liệu")
    assert any("nội dung hiện hành" in w for w in before.warnings)
    # from the change's date the stored wording is the one in force: found, nothing said
    assert not lead_after.current_wording and after.basis == "found" and "Lưu ý về thời điểm" not in after.answer
    # every citation carries its hiệu lực and its source (kb ask --json)
    cited = after.to_public_dict()["citations"][0]
    assert cited["validity"]["value"] == "in_force" and cited["validity"]["source"] == "phapdien"
    assert cited["current_wording"] is False
    assert before.to_public_dict()["citations"][0]["current_wording"] is True


def test_lookup_before_a_later_wording_labels_it(demuc):
    from ui.render import render_lookup

    res = demuc.lookup("khoản 1 Điều 1 Nghị định 997/2097/NĐ-CP", as_of="2097-06-01")
    assert res.current_wording and res.notes[0].startswith("Tại ngày 01/06/2097, nội dung có hiệu lực")
    assert res.article_title == "Nuôi chim cánh cụt trên sao Hỏa (synthetic)"
    assert res.validity["value"] == "in_force"  # the article was in force; its wording then is not in the base
    html = render_lookup(res)
    assert "Nội dung hiện hành (không phải nội dung tại ngày đã chọn)" in html
    assert "Điều 1. Nuôi chim cánh cụt trên sao Hỏa (synthetic)" in html and "Hiệu lực tại ngày 01/06/2097" in html
    later = demuc.lookup("khoản 1 Điều 1 Nghị định 997/2097/NĐ-CP", as_of="2098-06-01")
    assert not later.current_wording and "Nội dung hiện hành" not in render_lookup(later)
    assert demuc.lookup("Điều 2 Nghị định 997/2097/NĐ-CP", as_of="2097-06-01").current_wording is False
    early = demuc.lookup("Điều 2 Nghị định 997/2097/NĐ-CP", as_of="2097-01-01")
    assert early.validity["value"] == "not_yet" and early.to_public_dict()["validity"]["label"] == "Chưa có hiệu lực"


# ---------------------------------------------------------------- amending text in the base (fixtures)


@pytest.fixture
def pair(fake_kb):
    return fake_kb(BASE, AMENDING)


def test_with_the_amending_text_in_the_base_the_earlier_text_is_quoted(pair):
    original = next(l for l in load_fixture_lines(BASE) if l.startswith("2. Hồ sơ đăng ký"))
    res = pair.lookup("khoản 2 Điều 2 Nghị định 998/2098/NĐ-CP", as_of="2099-06-30")
    assert res.text == original and not res.current_wording
    ans = pair.ask("Hồ sơ đăng ký trại nuôi chim cánh cụt gồm những gì?", as_of="2099-06-30")
    assert not any(c.current_wording for c in ans.citations) and "Lưu ý về thời điểm" not in ans.answer


def test_repealed_unit_and_document_status_come_from_the_relations(pair):
    before = pair.lookup("khoản 3 Điều 3 Nghị định 998/2098/NĐ-CP", as_of="2099-06-30").validity
    after = pair.lookup("khoản 3 Điều 3 Nghị định 998/2098/NĐ-CP", as_of="2099-07-01").validity
    assert (before["value"], before["source"]) == ("unknown", "none")  # not catalogued, no staff setting
    assert "01/03/2098" in before["reason"]
    assert (after["value"], after["source"], after["since"]) == ("expired", "relations", "2099-07-01")
    assert pair.document_status(KEY, as_of="2099-07-01")["value"] == "partly_expired"


def test_staff_status_is_stored_kept_on_a_new_reading_and_refused_when_bad(pair):
    """Staff set the status by correcting the document (ingest.corrections, the one way): it is the
    "staff" source of status_of, with its date and grounds."""
    from ingest.corrections import CorrectionError

    pair.correct_document(KEY, {"status": "expired", "status_since": "01/08/2099", "status_note": "synthetic"},
                          by="phapche")
    v = pair.document_status(KEY, as_of="2099-09-01")
    assert (v["value"], v["source"], v["since"]) == ("expired", "staff", "2099-08-01") and "phapche" in v["reason"]
    assert "synthetic" in v["reason"]
    assert any(line.startswith("Tình trạng hiệu lực: “Hết hiệu lực toàn bộ” từ 01/08/2099 — synthetic")
               for line in pair.document_tree(KEY).corrections)
    cited = pair.ask("Hồ sơ đăng ký trại nuôi chim cánh cụt gồm những gì?", as_of="2099-09-01").citations
    assert {c.validity["source"] for c in cited if c.citation.endswith(KEY)} == {"staff"}
    pair.store.ingest([str(BASE)], force=True)  # the file read again: staff's setting and its details stay
    kept = pair.store.registry.corrections(KEY)["status"]
    assert (kept["value"], kept["since"], kept["by"]) == ("expired", "2099-08-01", "phapche")
    assert pair.document_status(KEY, as_of="2099-09-01")["source"] == "staff"
    generation = pair.store.registry.generation()
    for bad in ({"status": "bogus"}, {"status": "in_force", "status_since": "31/02/2099"},
                {"status_since": "01/08/2099"}):  # a date without a status is no setting
        with pytest.raises(CorrectionError):
            pair.correct_document(KEY, bad, by="phapche")
    with pytest.raises(CorrectionError, match="không có gì thay đổi"):  # the same statement again
        pair.correct_document(KEY, {"status": "expired", "status_since": "2099-08-01", "status_note": "synthetic"})
    assert pair.store.registry.generation() == generation
    assert pair.store.registry.corrections(KEY)["status"]["value"] == "expired"  # nothing changed
    # the same value from another date is a new statement
    pair.correct_document(KEY, {"status": "expired", "status_since": "01/09/2099"}, by="phapche2")
    again = pair.store.registry.corrections(KEY)["status"]
    assert (again["since"], again["by"], again.get("note")) == ("2099-09-01", "phapche2", None)
    pair.correct_document(KEY, {"status": ""}, by="phapche")  # back to the sources
    assert "status" not in pair.store.registry.corrections(KEY)
    assert pair.document_status(KEY, as_of="2099-09-01")["source"] != "staff"
    with pytest.raises(CorrectionError, match="không có gì thay đổi"):  # nothing left to take away
        pair.correct_document(KEY, {"status": ""}, by="phapche")


def test_staff_status_survives_a_new_version_that_reads_another_status(fake_kb, tmp_path):
    """A new Pháp điển snapshot notes an amendment (read as "amended"): staff's setting is their judgment,
    not a reading the new file contradicts, so it is applied again."""
    src = tmp_path / "synthetic_demuc_99_9.html"
    first = SYNTHETIC_DEMUC.replace(", có nội dung được sửa đổi bởi Điều 3 Nghị định số 996/2098/NĐ-CP có hiệu lực "
                                    "thi hành kể từ ngày 01/01/2098", "")
    src.write_text(first, encoding="utf-8")
    kb = fake_kb(src)
    kb.correct_document(PD_KEY, {"status": "suspended", "status_since": "01/01/2099"}, by="phapche")
    src.write_text(SYNTHETIC_DEMUC, encoding="utf-8")
    kb.store.ingest([str(src)], force=True)
    assert kb.store.registry.document(PD_KEY).status == "suspended"  # what the reader said ("amended") is not kept
    v = kb.document_status(PD_KEY, as_of="2099-02-01")
    assert (v["value"], v["source"]) == ("suspended", "staff")


def test_status_chosen_in_the_preview_is_shown_then_stored_with_who_confirmed(fake_kb, tmp_path):
    from ui.render import overrides_from_form, render_preview

    kb = fake_kb()
    path = tmp_path / "synthetic_base.txt"
    path.write_text(BASE.read_text(encoding="utf-8"), encoding="utf-8")
    [p] = [read] = kb.preview_file(str(path))
    assert (p["validity"]["value"], p["validity"]["source"]) == ("not_yet", "dates")  # today: before 01/03/2098
    # staff correct the (synthetic) effective date and set the status
    fix = overrides_from_form(p, {"status": "suspended", "status_since": "01/01/2099", "effective_from": "01/03/2020"})
    assert fix == {"status": "suspended", "status_since": "2099-01-01", "effective_from": "2020-03-01"}
    for bad in ({"status": "còn tốt"}, {"status_since": "01/01/2099"}):  # not a status; a date without one
        with pytest.raises(ValueError):
            overrides_from_form(p, bad)
    [p] = kb.preview_file(str(path), {KEY: fix})
    assert p["validity"]["source"] != "staff"  # today is before the date staff gave
    assert "Ngưng hiệu lực" not in render_preview([p])
    fix = overrides_from_form(read, {"status": "suspended", "effective_from": "01/03/2020"})
    [p] = kb.preview_file(str(path), {KEY: fix})
    assert (p["validity"]["value"], p["validity"]["source"]) == ("suspended", "staff")
    assert "Ngưng hiệu lực" in render_preview([p])
    kb.ingest_files([str(path)], overrides={KEY: fix}, user="phapche")
    stored = kb.store.registry.corrections(KEY)["status"]
    assert stored["value"] == "suspended" and stored["by"] == "phapche" and stored["at"]


def test_cli_status_is_set_by_a_correction_and_audited(pair, monkeypatch, capsys):
    from kb.cli import main

    home = pair.settings.home
    monkeypatch.setenv("KB_EMBEDDING", "fake")
    assert main(["--home", str(home), "correct", KEY, "--status", "expired", "--status-since", "01/08/2099",
                 "--status-note", "synthetic"]) == 0
    assert "Hiệu lực hiện nay: " in capsys.readouterr().out
    assert main(["--home", str(home), "status", KEY, "--as-of", "2099-09-01", "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out[out.index("{"):])["source"] == "staff"
    records = [json.loads(l) for l in (home / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    mine = [r for r in records if r["action"] == "correct"]
    assert [r["outcome"] for r in mine] == ["intent", "ok"]
    assert mine[1]["detail"]["corrected"] == {"status": "expired", "status_since": "2099-08-01",
                                              "status_note": "synthetic"}
    assert mine[1]["intent"] == mine[0]["id"]


def test_a_restored_version_keeps_the_status_staff_set_now(fake_kb, tmp_path):
    """The status is staff's judgment of the law: restoring an older text does not take it back (the
    other corrections are readings of the file, and go with their version)."""
    path = tmp_path / "synthetic_base.txt"
    path.write_text(BASE.read_text(encoding="utf-8"), encoding="utf-8")
    kb = fake_kb(path)
    kb.correct_document(KEY, {"issuer": "Chính phủ thử nghiệm"}, by="phapche")  # version 2
    kb.correct_document(KEY, {"status": "expired", "status_note": "synthetic"}, by="phapche")  # version 3
    assert [v.version for v in kb.versions(KEY) if v.current] == [3]
    out = kb.restore_version(KEY, 1, user="phapche")
    assert out.status == "ingested" and "giữ tình trạng hiệu lực" in out.reason
    row = kb.store.registry.document(KEY)
    assert row.issuer != "Chính phủ thử nghiệm" and row.status == "expired"  # v1's facts, today's status
    kept = kb.store.registry.corrections(KEY)
    assert set(kept) == {"status"} and kept["status"]["note"] == "synthetic"
    assert kb.document_status(KEY, as_of="2099-09-01")["source"] == "staff"
    # taken away, then version 3 restored: it does not come back either
    kb.correct_document(KEY, {"status": ""}, by="phapche")
    kb.restore_version(KEY, 3, user="phapche")
    assert "status" not in kb.store.registry.corrections(KEY) and kb.document_status(KEY, as_of="2099-09-01")["source"] != "staff"
    assert kb.store.registry.document(KEY).issuer == "Chính phủ thử nghiệm"


# ---------------------------------------------------------------- the DOCX export and the lookup tab


def test_docx_export_carries_status_and_notes():
    from docx import Document

    from ui.export import ExportItem, clauses_docx

    item = ExportItem("1. Trại nuôi thử nghiệm.", "khoản 1 Điều 1 Nghị định số 997/2097/NĐ-CP",
                      status="Còn hiệu lực — Bộ pháp điển", notes=("Tại ngày 01/06/2097, nội dung … hiện hành",),
                      as_of="2097-06-01")
    paragraphs = [p.text for p in Document(io.BytesIO(clauses_docx([item]))).paragraphs if p.text.strip()]
    assert paragraphs == ["1. Trại nuôi thử nghiệm.", "khoản 1 Điều 1 Nghị định số 997/2097/NĐ-CP",
                          "Hiệu lực tại ngày 01/06/2097: Còn hiệu lực — Bộ pháp điển",
                          "Lưu ý: Tại ngày 01/06/2097, nội dung … hiện hành"]


def test_lookup_tab_has_the_date_control():
    source = (REPO / "ui" / "app.py").read_text(encoding="utf-8")
    assert 'elem_id="kb-lookup-as-of"' in source
    assert "app.lookup, [reference, lookup_as_of, session]" in source


# ---------------------------------------------------------------- the real đề mục 32.1


def test_real_demuc_has_a_snapshot_and_no_document_without_a_status():
    from ingest.amendments import phapdien_amendments
    from ingest.identity import document_name
    from ingest.readers.phapdien import read_phapdien_file

    docs = read_phapdien_file(str(require_shared(DEMUC_32_1)))
    assert {d.snapshot_on for d in docs} == {"2021-09-29"}  # "ban hành ngày 29/09/2021" in a pChiDan note
    for d in docs:
        facts = DocFacts(d.key, document_name(d.number, d.doc_type, d.title), d.source_kind, d.effective_from,
                         d.snapshot_on)
        assert status_of(facts, None, "2021-09-29", phapdien_amendments(d)).value == "in_force", d.key
    luat = next(d for d in docs if d.key == "103/2016/QH13")
    art = next(u for u in luat.units if u.number == "17")
    unit = UnitFacts("17", label="Điều 17 Luật Báo chí 103/2016/QH13", effective_from=art.effective_from)
    w = stored_wording("phapdien", unit, "2018-06-01", phapdien_amendments(luat), luat.snapshot_on)
    assert w.current_only and w.since == "2019-01-01" and "35/2018/QH14" in w.note
    assert not stored_wording("phapdien", unit, "2019-01-01", phapdien_amendments(luat), luat.snapshot_on).current_only
