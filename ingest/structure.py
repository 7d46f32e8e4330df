"""Structure of an article body: khoản ("1.") and điểm ("a)", "đ)") from verbatim lines.

Pure functions. Numbering must run in sequence (1, 2, 3 …; a, b, c, d, đ, e, g …) so that a
numbered list quoted inside a clause, or a date like "1. 1. 2020", does not start a new khoản.
"""
from __future__ import annotations

import re

from core.vocab import POINT_LETTERS, aligned_fold, nfc
from ingest.model import Clause, Point

__all__ = ["CLAUSE_RE", "POINT_LETTERS", "POINT_RE", "clause_tail", "quoted_lines", "split_clauses"]


# "1. Có …", and "1.Có …" as some sources write it (Luật Báo chí in the Pháp điển): a letter right
# after the dot, never a digit ("1.1", "1.2020" are numbers, not khoản).
CLAUSE_RE = re.compile(r"^(\d{1,3})\.(?:\s+\S|(?=[^\W\d_]))")
POINT_RE = re.compile(r"^([a-zđ])\)\s*\S")


def _next_letters(label: str | None) -> tuple[str, ...]:
    """The letters a point may follow `label` with: the Vietnamese order (… d, đ, e, g …) and the Latin
    one some texts use (… d, e, f, g …: "Điểm e Khoản 2 Điều 8 Thông tư 02/2019/TT-BTTTT" follows "d)")."""
    if label is None:
        return ("a",)
    i = POINT_LETTERS.index(label) if label in POINT_LETTERS else -1
    vietnamese = POINT_LETTERS[i + 1] if 0 <= i < len(POINT_LETTERS) - 1 else ""
    latin = chr(ord(label) + 1) if "a" <= label < "z" else ""
    return tuple(dict.fromkeys(x for x in (vietnamese, latin) if x))


def quoted_lines(lines: list[str]) -> list[bool]:
    """Which lines continue a quoted passage: the new text an amending document gives after
    "… như sau:" (“Điều 4a. …” over several lines). Inside it, "Điều 4a." or "3." is the text
    being enacted, not this document's structure. A passage opens only on a line that starts
    with “ after a line ending in ":", and counts only when it closes (”): an unmatched quote
    never swallows the rest of a document."""
    out = [False] * len(lines)
    i = 0
    while i < len(lines):
        prev = lines[i - 1].rstrip() if i else ""
        depth = lines[i].count("“") - lines[i].count("”")
        if not (lines[i].startswith("“") and prev.endswith(":") and depth > 0):
            i += 1
            continue
        j = i + 1
        while j < len(lines) and depth > 0:
            depth += lines[j].count("“") - lines[j].count("”")
            j += 1
        if depth <= 0:
            out[i + 1:j] = [True] * (j - i - 1)
        i = j if depth <= 0 else i + 1
    return out


def split_clauses(lines: list[str]) -> tuple[str, list[Clause]]:
    """Split an article body into (intro, clauses).

    Points that come before any khoản hang on a clause with number "" whose text is the intro.
    Lines that are neither a khoản nor a điểm continue the current unit.
    """
    intro: list[str] = []
    clauses: list[Clause] = []
    current: Clause | None = None
    last_point: str | None = None

    for line, quoted in zip(lines, quoted_lines(lines)):
        m = CLAUSE_RE.match(line) if not quoted else None
        if m and int(m.group(1)) == (int(clauses[-1].number) + 1 if clauses and clauses[-1].number else 1):
            current = Clause(number=m.group(1), text=line)
            clauses.append(current)
            last_point = None
            continue
        p = POINT_RE.match(line) if not quoted else None
        if p and p.group(1) in _next_letters(last_point):
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


# A clause lead that lists the documents of a file ("Hồ sơ gồm có:", "… bao gồm:"): a paragraph after its
# last point is the clause's own closing sentence ("Trong thời hạn 20 ngày …, Cục … có trách nhiệm …"),
# not part of that point (the parser keeps unmarked lines with the unit before them).
_LISTS_DOCUMENTS = re.compile(r"\b(?:gom co|bao gom|gom)\s*:\s*$")
# How such a closing sentence opens (a time, a case, the file, or the body that acts), folded: a paragraph
# that opens otherwise is one more paper of the list ("Bản sao …", "Mẫu trình bày …") or an attachment's
# file name, and stays where the lines put it.
_CLOSING_OPENER = re.compile(
    r"(?:trong thoi han|trong vong|cham nhat|sau khi|ke tu|(?:trong )?truong hop|khi|neu|ngoai|can cu|doi voi"
    r"|tren co so|thoi han|thoi gian|cac giay to|cac ban|ho so|bo|cuc|so|uy ban|co quan|tong cuc|chu tich"
    r"|thu truong|nguoi dung dau|toa an)\b")


def clause_tail(c: Clause) -> tuple[list[Point], str]:
    """The clause's points and the text that closes the clause after them ("" when none): split off the
    last point when the lead lists documents and a paragraph follows it that opens as a closing
    sentence does."""
    if not c.points or not _LISTS_DOCUMENTS.search(aligned_fold(nfc(c.text)).rstrip()):
        return list(c.points), ""
    last = c.points[-1]
    at = next((i for i, ch in enumerate(last.text) if ch == "\n" and last.text[i + 1:i + 2].isupper()), -1)
    if at < 0 or not _CLOSING_OPENER.match(aligned_fold(nfc(last.text[at + 1:at + 60]))):
        return list(c.points), ""
    return [*c.points[:-1], Point(last.label, last.text[:at])], last.text[at + 1:]
