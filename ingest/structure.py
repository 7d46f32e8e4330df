"""Structure of an article body: khoản ("1.") and điểm ("a)", "đ)") from verbatim lines.

Pure functions. Numbering must run in sequence (1, 2, 3 …; a, b, c, d, đ, e, g …) so that a
numbered list quoted inside a clause, or a date like "1. 1. 2020", does not start a new khoản.
"""
from __future__ import annotations

import re

from core.vocab import POINT_LETTERS
from ingest.model import Clause, Point

__all__ = ["CLAUSE_RE", "POINT_LETTERS", "POINT_RE", "split_clauses"]


CLAUSE_RE = re.compile(r"^(\d{1,3})\.\s+\S")
POINT_RE = re.compile(r"^([a-zđ])\)\s*\S")


def _next_letter(label: str | None) -> str:
    if label is None:
        return "a"
    i = POINT_LETTERS.index(label) if label in POINT_LETTERS else -1
    return POINT_LETTERS[i + 1] if 0 <= i < len(POINT_LETTERS) - 1 else ""


def split_clauses(lines: list[str]) -> tuple[str, list[Clause]]:
    """Split an article body into (intro, clauses).

    Points that come before any khoản hang on a clause with number "" whose text is the intro.
    Lines that are neither a khoản nor a điểm continue the current unit.
    """
    intro: list[str] = []
    clauses: list[Clause] = []
    current: Clause | None = None
    last_point: str | None = None

    for line in lines:
        m = CLAUSE_RE.match(line)
        if m and int(m.group(1)) == (int(clauses[-1].number) + 1 if clauses and clauses[-1].number else 1):
            current = Clause(number=m.group(1), text=line)
            clauses.append(current)
            last_point = None
            continue
        p = POINT_RE.match(line)
        if p and p.group(1) == _next_letter(last_point):
            if current is None:
                current = Clause(number="", text="\n".join(intro))
                intro = []
                clauses.append(current)
            current.points.append(Point(label=p.group(1), text=line))
            last_point = p.group(1)
            continue
        if current is None:
            intro.append(line)
        elif current.points:
            current.points[-1].text += "\n" + line
        else:
            current.text += "\n" + line
    return "\n".join(intro), clauses
