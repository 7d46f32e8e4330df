"""Extractive answers: a short Vietnamese lead, then the relevant clauses quoted verbatim.

Citation strings come from node metadata; quotes are the stored clause text. When nothing passes
the relevance threshold the answer says so plainly and lists the nearest references.
"""
from __future__ import annotations

import datetime as dt
import re

from core.vocab import NO_BASIS, PLAIN_STOPWORDS, nfc
from ingest.identity import citation_string
from qa.types import Answer, Citation, ClauseHit

# Calibrated on the đề mục 32.1 dev questions against off-topic ones (docs/BENCHMARKS.md):
# IDF-weighted coverage of the question's words by the best clauses, and the dense cosine
# (multilingual-e5) of the best clause.
FOUND_COVERAGE = 0.60
MIN_COVERAGE = 0.45
FOUND_DENSE = 0.86
MAX_QUOTED = 3



def _words(text: str) -> set[str]:
    text = nfc(text).lower()
    return {w for w in re.findall(r"\w+", text) if w not in PLAIN_STOPWORDS and not w.isdigit() and len(w) > 1}


def coverage(question: str, text: str) -> float:
    q = _words(question)
    return len(q & _words(text)) / len(q) if q else 0.0


def document_label(hit: ClauseHit) -> str:
    return hit.document_number or hit.document_name


def citation_for(hit: ClauseHit) -> Citation:
    return Citation(
        document=document_label(hit),
        article=hit.article,
        clause=hit.clause,
        point=hit.point,
        citation=hit.citation,
        quote=hit.text,
        node_id=hit.node_id,
        status=hit.status,
        url=hit.url,
    )


def status_warnings(hits: list[ClauseHit], as_of: str | None = None) -> list[str]:
    """Flag amended, secondary or not-yet-in-force sources among the cited clauses."""
    today = as_of or dt.date.today().isoformat()
    out: list[str] = []
    for h in hits:
        if h.amendment_note:
            where = f"Điều {h.article} {h.document_name}" if h.unit_kind == "dieu" else h.citation
            out.append(f"{where}: {h.amendment_note} — kiểm tra văn bản sửa đổi.")
        if h.status == "secondary":
            out.append(f"{h.document_name}: nguồn thứ cấp (bài tư vấn), không phải văn bản chính thức.")
        elif h.status in ("replaced", "expired"):
            out.append(f"{h.document_name}: văn bản đã hết hiệu lực hoặc bị thay thế.")
        if h.effective_from and h.effective_from > today:
            out.append(f"{h.citation}: chưa có hiệu lực (từ {h.effective_from}).")
    return list(dict.fromkeys(out))


def assess_basis(question: str, hits: list[ClauseHit], dense_top: float, has_dense: bool,
                 term_coverage: float | None = None) -> tuple[str, float]:
    """("found" | "weak" | "none", confidence in [0, 1])."""
    if not hits:
        return "none", 0.0
    cov = term_coverage if term_coverage is not None else max(
        coverage(question, h.text + " " + h.article_title) for h in hits[:3])
    if not has_dense:
        basis = "found" if cov >= FOUND_COVERAGE else "weak" if cov >= MIN_COVERAGE else "none"
        return basis, min(1.0, cov)
    conf = 0.5 * min(1.0, cov) + 0.5 * max(0.0, min(1.0, (dense_top - 0.80) / 0.12))
    if cov < MIN_COVERAGE or (dense_top < FOUND_DENSE and cov < FOUND_COVERAGE):
        return "none", conf
    if cov >= FOUND_COVERAGE and dense_top >= FOUND_DENSE:
        return "found", conf
    return "weak", conf


def select_clauses(question: str, hits: list[ClauseHit]) -> list[ClauseHit]:
    """The clauses to quote: the best one, plus runners-up that answer as well (same article first).

    Fused rank scores are flat, so runners-up must also cover the question's words about as well.
    """
    if not hits:
        return []
    top = hits[0]
    top_cov = coverage(question, top.text + " " + top.article_title)
    chosen = [top]
    for h in hits[1:6]:
        if len(chosen) >= MAX_QUOTED:
            break
        cov = coverage(question, h.text + " " + h.article_title)
        same_article = h.document == top.document and h.article == top.article
        if (same_article and cov >= 0.6 * top_cov) or (cov >= max(0.5, top_cov) and h.score >= 0.9 * top.score):
            chosen.append(h)
    if len({(h.document, h.article) for h in chosen}) == 1:  # one article: quote it in its own order
        chosen.sort(key=lambda h: (int(h.clause) if h.clause.isdigit() else 0, h.point))
    return chosen


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in text.split("\n"))


def extractive_answer(question: str, hits: list[ClauseHit], *, dense_top: float = 1.0, has_dense: bool = True,
                      term_coverage: float | None = None, as_of: str | None = None) -> Answer:
    basis, conf = assess_basis(question, hits, dense_top, has_dense, term_coverage)
    if basis == "none":
        near = "; ".join(dict.fromkeys(h.citation for h in hits[:3]))
        text = f"{NO_BASIS}." + (f" Các quy định gần nhất: {near}." if near else "")
        return Answer(question=question, answer=text, citations=[], basis="none", confidence=conf,
                      mode="extractive", retrieved=hits)
    chosen = select_clauses(question, hits)
    top = chosen[0]
    one_article = len(chosen) > 1 and len({(h.document, h.article) for h in chosen}) == 1
    basis_ref = citation_string(top.document_name, top.unit_kind, top.article) if one_article else top.citation
    lead = f"Theo {basis_ref}:"
    if basis == "weak":
        lead = f"Căn cứ gần nhất tìm được (cần kiểm tra lại) là {basis_ref}:"
    parts = [lead]
    for i, h in enumerate(chosen):
        if one_article or i > 0:  # the lead already names a lone first clause
            parts.append(f"{h.citation}:")
        parts.append(_quote(h.text))
    return Answer(
        question=question,
        answer="\n\n".join(parts),
        citations=[citation_for(h) for h in chosen],
        basis=basis,
        confidence=conf,
        mode="extractive",
        retrieved=hits,
        warnings=status_warnings(chosen, as_of),
    )
