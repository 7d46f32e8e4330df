"""Point-in-time truth for answers: every citation carries its hiệu lực on the answer's date; a unit
not in force on that date (expired, suspended, not yet effective: NOT_IN_FORCE) is held back behind
the units in force, never leads a "found" answer, and is listed with its status and said; a quote
whose wording took effect after that date (a Pháp điển article amended later; the earlier wording is
not in the base) is said to be the current wording and is never the answer's basis.

The text in force on a date, where the base holds it, is already what the answer quotes
(qa.amended.amend_plan applies the amending texts); this module only labels what it cannot replace.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.vocab import format_iso
from qa.types import Answer
from qa.validity import Wording
from qa.amended import today
from qa.validity_facts import ValidityFacts, unit_of_hit

# The states in which a unit is not the law of the date. "partly_expired" is not among them: the unit
# stands, a part inside it was repealed (the status line says which).
NOT_IN_FORCE = ("expired", "suspended", "not_yet")


@dataclass(frozen=True)
class Dated:
    """One quoted unit (qa.answer.Quoted) checked against the date: its status and its wording."""

    validity: dict
    wording: Wording


def check_units(units: list, facts: ValidityFacts, as_of: str | None) -> list[Dated]:
    """`units`: the answer's qa.answer.Quoted, in order. as_of None: today."""
    out = []
    for q in units:
        h = q.hit
        unit = unit_of_hit(h, q.citation, q.clause, q.point)
        status = facts.status(h.document, unit, as_of)
        wording = facts.wording(h.document, unit, as_of) if unit else Wording()
        out.append(Dated(status.to_dict() if status else {}, wording))
    return out


def not_in_force(hits: list, facts: ValidityFacts, as_of: str | None) -> frozenset[str]:
    """Node ids of the ranked candidates (qa.types.ClauseHit) not in force on the date (today when
    None): qa.answer.plan_answer holds them back behind those in force."""
    out = set()
    for h in hits:
        status = facts.status(h.document, unit_of_hit(h), as_of)
        if status is not None and status.value in NOT_IN_FORCE:
            out.add(h.node_id)
    return frozenset(out)


def out_of_force(d: Dated) -> bool:
    return d.validity.get("value") in NOT_IN_FORCE


def lead_not_in_force(checked: list[Dated]) -> bool:
    """The unit that would lead the answer is not in force on the date: the basis may not be "found"."""
    return bool(checked) and out_of_force(checked[0])


def state_lines(cited: list[tuple[str, dict]], as_of: str | None) -> list[str]:
    """The cited units not in force on the date, one line per state and grounds (the units of one
    document a staff setting or a repeal covers read as one line):
    "Khoản 3 Điều 3 Nghị định …: hết hiệu lực từ 01/07/2099 (quy định này bị bãi bỏ bởi …); không phải căn
    cứ tại ngày 01/08/2099." `cited`: (citation, validity) in the answer's order."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for citation, v in cited:
        if v.get("value") in NOT_IN_FORCE:
            # a unit's own grounds name it ("Khoản 3 Điều 3 … bị bãi bỏ bởi …"): said of "quy định này",
            # so units on the same grounds (one repeal, one staff setting) read as one line
            grounds = v.get("reason", "").replace(citation, "quy định này")
            groups.setdefault((v["value"], v.get("since", ""), grounds), []).append(citation)
    day = format_iso(as_of or today())
    out = []
    for (value, since, shared), names in groups.items():
        if value == "not_yet":
            said = "chưa có hiệu lực"  # the grounds give the date it takes effect
        else:
            said = {"expired": "hết hiệu lực", "suspended": "ngưng hiệu lực"}[value] + (
                f" từ {format_iso(since)}" if since else "")
        what = "; ".join(dict.fromkeys(names))
        out.append(f"{what}: {said}" + (f" ({shared})" if shared else "") + f"; không phải căn cứ tại ngày {day}.")
    return out


def lead_is_later_wording(checked: list[Dated]) -> bool:
    """The unit that would lead the answer is a later wording than the date's: the basis may not be "found"."""
    return bool(checked) and checked[0].wording.current_only


def label_answer(ans: Answer, units: list, checked: list[Dated], as_of: str | None = None) -> Answer:
    """Each citation gets its unit's status and wording flag (matched by node and citation: the LLM
    answer cites a subset, in its own order); a unit not in force on the date and a later wording are
    said first, plainly, and an answer whose lead is either is at most "weak"."""
    by_unit = {(q.hit.node_id, q.citation): d for q, d in zip(units, checked)}
    notes = []
    for c in ans.citations:
        d = by_unit.get((c.node_id, c.citation))
        if d is None:
            continue
        c.validity = d.validity  # `status` keeps the stored word ("secondary" labels a source elsewhere)
        if d.wording.current_only:
            c.current_wording = True
            notes.append(d.wording.note)
    states = state_lines([(c.citation, c.validity or {}) for c in ans.citations], as_of)
    if states and "Lưu ý về hiệu lực:" not in ans.answer:
        _say_first(ans, "Lưu ý về hiệu lực: " + " ".join(states), states)
    notes = list(dict.fromkeys(notes))
    if notes and "Lưu ý về thời điểm:" not in ans.answer:  # an LLM fallback may hand back a labelled answer
        _say_first(ans, "Lưu ý về thời điểm: " + " ".join(notes), notes)
    lead = ans.citations[0] if ans.citations else None
    if lead is not None and ans.basis == "found" and (
            lead.current_wording or (lead.validity or {}).get("value") in NOT_IN_FORCE):
        ans.basis = "weak"
    return ans


def _say_first(ans: Answer, note: str, warnings: list[str]) -> None:
    """The note before the answer (after the follow-up line, which the service expects first); its
    lines first among the warnings."""
    head, _, rest = ans.answer.partition("\n\n")
    ans.answer = (f"{head}\n\n{note}\n\n{rest}" if head.startswith("(Tiếp theo") and rest
                  else f"{note}\n\n{ans.answer}")
    ans.warnings = warnings + [w for w in ans.warnings if w not in warnings]
