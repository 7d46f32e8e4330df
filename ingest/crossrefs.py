"""Cross-references inside clause text, found at ingest (pure functions).

    find_cross_references("… theo quy định tại điểm c, d khoản 1 Điều 52 Luật báo chí.")
      -> [CrossRef(article="52", clause="1", point="c", document="Luật báo chí"),
          CrossRef(article="52", clause="1", point="d", document="Luật báo chí")]

A reference names points, clauses and articles, then optionally a document: "… này" (this
document, this article, this clause) or another document by type and number or name. Units left
unnamed are inherited from where the text stands ("khoản 2 Điều này" -> the current article;
"điểm a khoản này" -> the current clause). `resolve` turns them into canonical citation strings
("Khoản 2 Điều 3 Nghị định 09/2017/NĐ-CP"), the same strings `kb lookup` resolves.

Matching runs on the folded, character-aligned copy of the text (core.vocab.aligned_fold), so the
document words keep their original spelling and "Điều kiện" / "thời Điểm" never count (a unit
word counts only before a number or a point letter).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from core.vocab import aligned_fold, nfc
from ingest.identity import citation_string

_POINT = r"[a-eg-ik-vxy]"  # folded point letters: "đ" folds to "d"
_SEP = r"(?:\s*,\s*(?:va\s+)?|\s+va\s+|\s+hoac\s+|\s*-\s*)"
_POINTS = rf"(?:cac\s+)?diem\s+(?P<points>{_POINT}(?:{_SEP}(?:diem\s+)?{_POINT})*)(?![a-z0-9])"
_CLAUSES = rf"(?:cac\s+)?khoan\s+(?P<clauses>\d+(?:{_SEP}(?:khoan\s+)?\d+)*)(?![\d])"
_ARTICLES = rf"(?:cac\s+)?dieu\s+(?P<articles>\d+[a-z]?(?:{_SEP}(?:dieu\s+)?\d+[a-z]?)*)(?![\d])"
_THIS_UNIT = r"(?P<this_unit>khoan|dieu)\s+nay"
_DOC_TYPES = r"bo\s+luat|luat|nghi\s+dinh|thong\s+tu\s+lien\s+tich|thong\s+tu|nghi\s+quyet|quyet\s+dinh|phap\s+lenh"
_THIS_DOC = rf"(?:{_DOC_TYPES})\s+nay"
# Another document: a type, then "số" and a number, or a number, or name words up to punctuation.
_OTHER_DOC = (rf"(?P<other>(?:{_DOC_TYPES})(?:\s+so)?\s+(?:\d+[\w/.-]*[\w]|[a-z][a-z ]*?)"
              rf"(?=\s*(?:[,.;:()]|\s(?:ngay|nam|ve|thi|va|cua|duoc|de|quy|co|la|nhu|hoac)\s|$)))")
_DOC = rf"(?:\s+(?:cua\s+)?(?:(?P<this_doc>{_THIS_DOC})|{_OTHER_DOC}))?"

_REF_RE = re.compile(
    rf"(?<![a-z0-9])(?:{_POINTS}\s+(?:cua\s+)?)?(?:{_CLAUSES}\s*(?:cua\s+)?)?"
    rf"(?:{_ARTICLES}|{_THIS_UNIT})?{_DOC}",
)
_NUM_RE = re.compile(r"\d+[a-z]?")
_LETTER_RE = re.compile(_POINT)


@dataclass(frozen=True)
class CrossRef:
    article: str = ""  # "" = the article the text stands in
    clause: str = ""
    point: str = ""
    document: str = ""  # "" = this document; else the words as written: "Luật báo chí", "Nghị định số 72/2015/NĐ-CP"


def _points(original: str, folded_span: tuple[int, int], folded: str) -> list[str]:
    """Point letters in a span, "đ" told apart from "d" by the original text."""
    out = []
    start = folded_span[0]
    for m in _LETTER_RE.finditer(folded, *folded_span):
        if folded[m.start() - 4:m.start()].endswith("diem") or m.start() == start or not folded[m.start() - 1].isalpha():
            letter = "đ" if original[m.start()] in "đĐ" else m.group()
            if not folded[m.end():m.end() + 1].isalpha():
                out.append(letter)
    return out


def find_cross_references(text: str) -> list[CrossRef]:
    """Every unit reference in a clause's text, in order, one CrossRef per unit named."""
    original = nfc(text)
    folded = aligned_fold(original)
    refs: list[CrossRef] = []
    for m in _REF_RE.finditer(folded):
        if not (m.group("points") or m.group("clauses") or m.group("articles")):
            continue  # "Điều này" alone, or a document alone: not a unit reference
        if m.group("points") and not (m.group("clauses") or m.group("articles") or m.group("this_unit")):
            continue  # "điểm a" with nothing after: too often a list inside the clause itself
        points = _points(original, m.span("points"), folded) if m.group("points") else [""]
        clauses = _NUM_RE.findall(m.group("clauses")) if m.group("clauses") else [""]
        articles = _NUM_RE.findall(m.group("articles")) if m.group("articles") else [""]
        document = original[m.start("other"):m.end("other")].strip() if m.group("other") else ""
        for a in articles:
            for c in clauses:
                for p in points:
                    refs.append(CrossRef(article=a, clause=c, point=p, document=document))
    return list(dict.fromkeys(refs))


def resolve(ref: CrossRef, *, document_name: str, article: str, clause: str, unit_kind: str = "dieu") -> str:
    """The canonical citation string of a reference made from inside (article, clause) of a document."""
    if ref.document:
        return citation_string(ref.document, "dieu", ref.article, ref.clause, ref.point)
    art = ref.article or article
    cl = ref.clause or (clause if ref.point and not ref.article else "")
    kind = "dieu" if ref.article else unit_kind
    return citation_string(document_name, kind, art, cl, ref.point)


def clause_references(text: str, *, document_name: str, article: str, clause: str, unit_kind: str = "dieu",
                      self_citation: str = "") -> tuple[str, ...]:
    """Citation strings a clause refers to, without references to itself."""
    out = []
    for ref in find_cross_references(text):
        cit = resolve(ref, document_name=document_name, article=article, clause=clause, unit_kind=unit_kind)
        if cit and cit != self_citation and cit not in out:
            out.append(cit)
    return tuple(out)
