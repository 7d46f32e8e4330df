"""Point-in-time truth for answers: every citation carries its hiệu lực on the answer's date, and a
quote whose wording took effect after that date (a Pháp điển article amended later; the earlier
wording is not in the base) is said to be the current wording and is never the answer's basis.

The text in force on a date, where the base holds it, is already what the answer quotes
(qa.amended.amend_plan applies the amending texts); this module only labels what it cannot replace.
"""
from __future__ import annotations

from dataclasses import dataclass

from qa.types import Answer
from qa.validity import Wording
from qa.validity_facts import ValidityFacts, unit_of_hit


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


def lead_is_later_wording(checked: list[Dated]) -> bool:
    """The unit that would lead the answer is a later wording than the date's: the basis may not be "found"."""
    return bool(checked) and checked[0].wording.current_only


def label_answer(ans: Answer, units: list, checked: list[Dated]) -> Answer:
    """Each citation gets its unit's status and wording flag (matched by node and citation: the LLM
    answer cites a subset, in its own order); a later wording is said first, plainly, and an answer
    whose lead is one is at most "weak"."""
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
    notes = list(dict.fromkeys(notes))
    if notes and "Lưu ý về thời điểm:" not in ans.answer:  # an LLM fallback may hand back a labelled answer
        note = "Lưu ý về thời điểm: " + " ".join(notes)
        head, _, rest = ans.answer.partition("\n\n")
        # after the follow-up line, which the service expects first
        ans.answer = (f"{head}\n\n{note}\n\n{rest}" if head.startswith("(Tiếp theo") and rest
                      else f"{note}\n\n{ans.answer}")
        ans.warnings = notes + [w for w in ans.warnings if w not in notes]
    if ans.citations and ans.citations[0].current_wording and ans.basis == "found":
        ans.basis = "weak"
    return ans
