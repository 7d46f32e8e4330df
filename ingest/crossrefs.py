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


# ---------------------------------------------------------------- citations in a draft
#
# A draft (or a letter) cites documents on their own ("Căn cứ Nghị định số 72/2015/NĐ-CP ngày 07
# tháng 9 năm 2015 của Chính phủ …") as well as units of them. find_citations reads both with the
# unit fragments above, a wider set of document types (Công văn, Kết luận, "NĐ 72/2015"), and the
# date and issuer written after the document; what the document words name is left to
# qa.references (parse_reference, match_documents): one grammar for the words, one for the spans.

# Types that may name a document by words ("Luật Báo chí"), as well as by number: the ones named by name
# and year (core.vocab.NAMED_TYPES). Other types are cited by number; "Quyết định có hiệu lực", "Thông tư
# hướng dẫn việc …" at the head of a sentence are words, not documents.
_NAMED_DOC_TYPES = r"bo\s+luat|(?<!phap\s)luat|hien\s+phap|phap\s+lenh"
# Types (and abbreviations) that cite with a number: "Nghị định số 72/2015/NĐ-CP", "Kế hoạch số 12/KH-UBND",
# "NĐ 72/2015", "TT02/2019"; in running text "quy định", "hướng dẫn", "kế hoạch" are ordinary words.
_NUMBERED_DOC_TYPES = (r"nghi\s+dinh|thong\s+tu\s+lien\s+tich|thong\s+tu|nghi\s+quyet\s+lien\s+tich|nghi\s+quyet"
                       r"|quyet\s+dinh|ket\s+luan|chi\s+thi|cong\s+van|cong\s+dien|thong\s+bao|ke\s+hoach|huong\s+dan"
                       r"|quy\s+dinh|quy\s+che|chuong\s+trinh|de\s+an|bao\s+cao|ttlt|nd|tt|qd|nq|kl|cv|ct")
_ALL_DOC_TYPES = f"{_NAMED_DOC_TYPES}|{_NUMBERED_DOC_TYPES}"
_DOC_NUMBER = r"\d+[a-z]?(?:[/-][\w/.-]*[\w])?"
# Words that end a document's name: what follows it in a sentence (date, issuer, subject, a verb, a unit).
_NAME_STOP = (r"(?:so|ngay|nam|ve|thi|va|cua|duoc|quy|co|la|nhu|hoac|tai|theo|khoan|dieu|diem|trong|nay|da|se|bi"
              r"|phai|voi|cho|thuoc|nhung|cac|mot|nham|gom|sua|hien|su)\b")
_CITED_DOC = (
    rf"(?P<this_doc_c>(?:{_ALL_DOC_TYPES})\s+nay)(?![a-z])"
    rf"|(?P<doc>(?P<dtype>{_ALL_DOC_TYPES})(?:\s*[.:]?\s*so)?\s*[.:]?\s*(?P<dnum>{_DOC_NUMBER})(?![\w/])"
    rf"|(?P<ntype>{_NAMED_DOC_TYPES})(?P<dname>(?:\s+(?!{_NAME_STOP})[a-z]+){{1,8}})"
    rf"(?:\s+(?:so\s+)?(?P<nnum>\d+(?:/[\w/.-]*[\w])?)(?![\w/]))?)"
)
_DATE_TAIL = (r"(?:\s*,?\s+(?:ban\s+hanh\s+)?ngay\s+(?:(?P<d1>\d{1,2})\s+thang\s+(?P<m1>\d{1,2})\s+nam\s+(?P<y1>\d{4})"
              r"|(?P<d2>\d{1,2})\s*[/.-]\s*(?P<m2>\d{1,2})\s*[/.-]\s*(?P<y2>\d{4}))|\s+nam\s+(?P<y3>\d{4}))?")
# The issuing body after "của": words up to the subject ("về …", "quy định …"), a unit, a verb or the next document.
_ISSUER_STOP = (rf"(?:ve|quy\s+dinh|huong\s+dan|ban\s+hanh|khoan|dieu|diem|tai|theo|thi|da|se|duoc|la|co|nay|nhu|de"
                rf"|cho|tu|trong|{_NAMED_DOC_TYPES}|nghi\s+dinh|thong\s+tu|nghi\s+quyet|quyet\s+dinh|ket\s+luan|chi\s+thi"
                rf"|cong\s+van)\b")
_ISSUER_TAIL = rf"(?:\s+cua\s+(?P<issuer>[a-z]+(?:\s+(?!{_ISSUER_STOP})[a-z]+){{0,11}}))?"
_CITE_RE = re.compile(
    rf"(?<![a-z0-9])(?:{_POINTS}\s+(?:cua\s+)?)?(?:{_CLAUSES}\s*(?:cua\s+)?)?(?:{_ARTICLES}|{_THIS_UNIT})?"
    rf"(?:\s*(?:cua\s+|tai\s+)?(?<![a-z0-9])(?:{_CITED_DOC}){_DATE_TAIL}{_ISSUER_TAIL})?"
)


@dataclass(frozen=True)
class Citation:
    """One citation in a draft's text: its span, the units it names (one CrossRef each; a document
    named alone is one CrossRef without units) and what is written after the document."""

    start: int
    end: int
    text: str  # as written, NFC
    refs: tuple[CrossRef, ...]
    this_document: bool = False  # "… Nghị định này", "Điều này", or units with no document named
    document_words: str = ""  # "Nghị định số 72/2015/NĐ-CP", "Luật Báo chí"; "" = none named
    name_words: tuple[str, ...] = ()  # for a document named in words: its words, to try shorter names
    date: str = ""  # ISO date written after the document ("ngày 07 tháng 9 năm 2015", "ngày 07/9/2015")
    year: str = ""  # "năm 2016" written after the document
    issuer: str = ""  # the words after "của", as written


def _date_of(m: re.Match) -> str:
    from core.vocab import iso_date

    if m.group("y1"):
        return iso_date(m.group("d1"), m.group("m1"), m.group("y1"))
    if m.group("y2"):
        return iso_date(m.group("d2"), m.group("m2"), m.group("y2"))
    return ""


def find_citations(text: str) -> list[Citation]:
    """Every citation in a draft's text, in order: units of another document, units of the draft
    itself ("khoản 2 Điều 5 của Nghị định này", "Điều 3"), and documents cited on their own (with the
    date and issuer written after them). A document in words is taken only with a capitalised type
    ("Luật Báo chí", not "các luật có liên quan")."""
    original = nfc(text)
    folded = aligned_fold(original)
    out: list[Citation] = []
    for m in _CITE_RE.finditer(folded):
        units = bool(m.group("points") or m.group("clauses") or m.group("articles"))
        named = m.group("ntype") is not None
        if named and not units and not original[m.start("ntype")].isupper():
            continue  # "các luật có liên quan": a word, not a document
        if not units and not m.group("doc"):
            continue  # nothing, "Điều này" or "Nghị định này" alone: no unit to check
        if m.group("points") and not (m.group("clauses") or m.group("articles") or m.group("this_unit")
                                      or m.group("doc")):
            continue  # "điểm a" alone: a list inside the text itself
        doc_words, name_words, date, year, issuer = "", (), "", "", ""
        if m.group("doc"):
            doc_words = original[m.start("doc"):m.end("doc")].strip()
            if named:
                name_words = tuple(original[m.start("dname"):m.end("dname")].split())
            date, year = _date_of(m), m.group("y3") or ""
            if m.group("issuer"):  # "… của Chính phủ và Nghị quyết …": the "và" before the next document is not its
                issuer = re.sub(r"\s+(?:và|hoặc)$", "", original[m.start("issuer"):m.end("issuer")].strip())
        points = _points(original, m.span("points"), folded) if m.group("points") else [""]
        clauses = _NUM_RE.findall(m.group("clauses")) if m.group("clauses") else [""]
        articles = _NUM_RE.findall(m.group("articles")) if m.group("articles") else [""]
        refs = tuple(dict.fromkeys(CrossRef(article=a, clause=c, point=p, document=doc_words)
                                   for a in articles for c in clauses for p in points))
        # a document named alone starts at its type ("tại Quyết định số …": "tại" is not part of it)
        start = m.start() + (len(m.group()) - len(m.group().lstrip())) if units else m.start("doc")
        written = re.sub(r"\s+(?:và|hoặc)$", "", original[start:m.end()].rstrip())
        out.append(Citation(start=start, end=start + len(written), text=written, refs=refs,
                            this_document=not doc_words, document_words=doc_words, name_words=name_words,
                            date=date, year=year, issuer=issuer))
    return out
