"""Named features of one candidate clause for one question, computed once per ask.

Every signal that used to be a hand-set bonus in retrieval or a re-sort or lead override in the
answer stage is a column here; `qa.ranker` scores the columns with learned weights (data, in
`qa/models/ranker.json`) and the plan reads that one score. To add a signal: a predicate below, a
name in FEATURES, then `kb train` (docs/ARCHITECTURE.md, "Where to add… a question intent").

Pure functions on a `Question` and `ClauseHit`s, so tests can build both by hand.
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

import numpy as np

from core.bodies import bodies_in, levels_in
from core.vocab import fold
from qa.intent import carries, clause_subject, is_about_term, plain
from qa.question import Question
from qa.relevance import FOLDED_STOPWORDS, names_entity, names_title, title_entity
from qa.types import ClauseHit

# Order matters only for the stored weight vector; names are what the model file keys on.
BASE_FEATURES: tuple[str, ...] = (
    "fused",            # weighted RRF of the lexical and dense lists, over the best candidate's
    "lexical_rr",       # 1 / (1 + rank) in the lexical list (0: not in it)
    "dense_rr",         # 1 / (1 + rank) in the dense list (0: not in it)
    "dense_gap",        # best dense cosine minus this clause's (0.2 when not in the dense list)
    "bm25_rel",         # BM25 over the best BM25 score
    "coverage",         # IDF-weighted share of the question's words the clause (with its titles) covers
    "coverage_gap",     # best coverage among candidates minus this one's
    "bigram_cov",       # share of the question's adjacent folded syllable pairs found adjacent in the clause
    "title_cov",        # share of the question's content syllables in the article title
    "entity_title",     # the article is titled by a body the question names ("Điều 19. Bộ Ngoại giao")
    "repeats_title",    # the question repeats a long article title nearly word for word
    "named_body_lead",  # the khoản's short lead line is a body the question names ("2. Ủy ban nhân dân cấp tỉnh:")
    "answer_type",      # carries the kind of answer expected (a time, a place, an amount, a person)
    "addresses_asker",  # its lead line addresses the asker's kind of body
    "other_level",      # its lead line is about another administrative level only (xã when asked about tỉnh)
    "out_of_scope",     # its document applies to others than the asker (its scope article says)
    "quoted_term",      # about a term the question quotes
    "named_document",   # of a document the question names
    "other_document",   # the question names documents and this is of none of them
    "about_document",   # a scope or final-provision article, not asked about
    "scope_asked",      # a scope article ("Đối tượng áp dụng") and the question asks whom a document applies to
    "pointer_pair",     # applies another document's provision that is itself a candidate
    "article_support",  # share of the top candidates from the same article
    "secondary",        # a secondary source (a consultation article), not law
    "whole_article",    # the node is a whole article without khoản
    "length",           # log of the text's length in characters, centred on 300
    "folded_dense",     # dense_rr when the question was typed without diacritics (it embeds poorly)
)
# Functions of the base columns (a linear model needs interactions spelt out): computed from a base
# matrix at run time and from stored base matrices at training time alike (`with_derived`).
DERIVED_FEATURES: tuple[str, ...] = (
    "fused_rr",         # 1 / (1 + rank) in the fused list
    "asker_answer",     # addresses the asker AND carries the expected kind of answer
    "entity_coverage",  # titled by the body asked about, times its coverage
    "named_coverage",   # of the named document, times its coverage
)
FEATURES: tuple[str, ...] = BASE_FEATURES + DERIVED_FEATURES


def with_derived(X: np.ndarray) -> np.ndarray:
    """A base feature matrix (one question's candidates) with the derived columns appended."""
    if X.shape[1] == len(FEATURES):
        return X
    b = {name: X[:, i] for i, name in enumerate(BASE_FEATURES)}
    rank = np.empty(len(X))
    rank[np.argsort(-b["fused"], kind="stable")] = np.arange(len(X))
    derived = np.column_stack([
        1.0 / (1.0 + rank),
        b["addresses_asker"] * b["answer_type"],
        b["entity_title"] * b["coverage"],
        b["named_document"] * b["coverage"],
    ]) if len(X) else np.zeros((0, len(DERIVED_FEATURES)))
    return np.hstack([X, derived])

# How the staff's clause panel names each feature (why a clause was cited first).
FEATURE_LABELS: dict[str, str] = {
    "fused": "thứ hạng tìm kiếm chung", "lexical_rr": "thứ hạng theo từ ngữ", "dense_rr": "thứ hạng theo nghĩa",
    "dense_gap": "khoảng cách nghĩa so với đoạn gần nhất", "bm25_rel": "điểm từ ngữ",
    "coverage": "tỷ lệ từ của câu hỏi có trong khoản", "coverage_gap": "kém đoạn phủ nhiều từ nhất",
    "bigram_cov": "cụm hai âm tiết của câu hỏi có trong khoản", "title_cov": "từ của câu hỏi trong tên điều",
    "entity_title": "tên điều là cơ quan được hỏi", "repeats_title": "câu hỏi nhắc lại tên điều",
    "named_body_lead": "khoản mở đầu bằng cơ quan được hỏi", "answer_type": "có loại câu trả lời được hỏi",
    "addresses_asker": "khoản nói về đúng loại cơ quan hỏi", "other_level": "khoản nói về cấp chính quyền khác",
    "out_of_scope": "văn bản áp dụng cho đối tượng khác", "quoted_term": "về thuật ngữ trong ngoặc kép",
    "named_document": "thuộc văn bản được nêu tên", "other_document": "không thuộc văn bản được nêu tên",
    "about_document": "điều về phạm vi, hiệu lực của văn bản", "scope_asked": "điều về đối tượng áp dụng, được hỏi",
    "pointer_pair": "dẫn chiếu quy định khác cũng được tìm thấy", "article_support": "nhiều khoản cùng điều được tìm thấy",
    "secondary": "nguồn thứ cấp", "whole_article": "cả điều không chia khoản", "length": "độ dài đoạn",
    "folded_dense": "thứ hạng theo nghĩa (câu gõ không dấu)", "fused_rr": "thứ hạng tìm kiếm chung",
    "asker_answer": "đúng loại cơ quan hỏi và có loại câu trả lời được hỏi",
    "entity_coverage": "điều mang tên cơ quan được hỏi, phủ từ câu hỏi",
    "named_coverage": "văn bản được nêu tên, phủ từ câu hỏi",
}
RULE_LABELS: dict[str, str] = {
    "ranked": "đoạn có điểm cao nhất", "entity_article": "điều mang tên cơ quan được hỏi, trích cả điều",
    "applicability": "điều về đối tượng áp dụng của văn bản được hỏi", "no_basis": "không có căn cứ",
    "quoted_term": "điều về thuật ngữ được đặt trong ngoặc kép",
    "asker_clause": "khoản dành cho đúng loại cơ quan hỏi trong điều tìm được",
}

# Articles about the document itself: its scope, its entry into force, who implements it.
ABOUT_THE_DOCUMENT_RE = re.compile(r"\b(?:pham vi dieu chinh|doi tuong ap dung|hieu luc thi hanh|trach nhiem thi hanh"
                                   r"|to chuc thuc hien|dieu khoan thi hanh)\b")
_ASKS_ABOUT_THE_DOCUMENT_RE = re.compile(r"\b(?:pham vi|doi tuong|hieu luc|thi hanh|ap dung|dieu chinh)\b")
_SCOPE_TITLE_RE = re.compile(r"\b(?:doi tuong ap dung|pham vi dieu chinh)\b")
_REF_RE = re.compile(r"^(?:Điểm (\S+) )?(?:Khoản (\S+) )?Điều (\S+) (.+)$")


def about_the_document(article_title: str) -> bool:
    return bool(ABOUT_THE_DOCUMENT_RE.search(fold(article_title)))


def asks_about_the_document(q: Question) -> bool:
    return bool(_ASKS_ABOUT_THE_DOCUMENT_RE.search(q.folded))


def named_body_lead(q: Question, hit: ClauseHit) -> bool:
    """The khoản's lead line is the body the question names: its points are that body's duties."""
    if not hit.clause:
        return False
    first = re.sub(r"^\d+\.\s*", "", hit.text.split("\n", 1)[0]).rstrip(" :;.")
    if len(first.split()) > 12:
        return False
    entity = title_entity(first)
    return bool(entity) and names_entity(q.search_text, entity)


def _bigrams(folded_words: list[str]) -> set[tuple[str, str]]:
    return set(zip(folded_words, folded_words[1:]))


@functools.lru_cache(maxsize=8192)
def _clause_bigrams(article_title: str, text: str) -> frozenset[tuple[str, str]]:
    """Adjacent folded syllables of a clause with its title; a clause is a candidate again and again."""
    return frozenset(_bigrams(plain(f"{article_title} {text}").split()))


def _content_syllables(text: str) -> list[str]:
    return [w for w in plain(text).split() if w not in FOLDED_STOPWORDS and not w.isdigit()]


def _refers_to(ref: str, hit: ClauseHit) -> bool:
    """A reference string ("Khoản 5 Điều 42 Luật Báo chí") names this hit's unit (or contains it)."""
    m = _REF_RE.match(ref)
    if not m or m.group(3) != hit.article:
        return False
    if m.group(2) and m.group(2) != hit.clause:
        return False
    doc = plain(m.group(4)).strip()
    return bool(doc) and (doc in plain(hit.document_name) or doc in plain(f"{hit.doc_type} {hit.title}"))


@dataclass
class CandidateSignals:
    """What retrieval knows of a candidate before it is scored: its ranks in each list and scores."""

    fused: float = 0.0
    lexical_rank: int | None = None
    dense_rank: int | None = None
    bm25: float = 0.0
    dense_cos: float | None = None
    coverage: float = 0.0


def feature_matrix(q: Question, hits: list[ClauseHit], signals: list[CandidateSignals]) -> np.ndarray:
    """One row per candidate, one column per FEATURES name."""
    n = len(hits)
    X = np.zeros((n, len(BASE_FEATURES)), dtype=np.float64)
    if not n:
        return with_derived(X)
    col = {name: i for i, name in enumerate(BASE_FEATURES)}
    top_fused = max((s.fused for s in signals), default=0.0) or 1.0
    top_bm25 = max((s.bm25 for s in signals), default=0.0) or 1.0
    cosines = [s.dense_cos for s in signals if s.dense_cos is not None]
    top_cos = max(cosines) if cosines else None
    top_cov = max(s.coverage for s in signals)
    q_syll = _content_syllables(q.search_text)
    q_pairs = _bigrams(plain(q.search_text).split())
    q_pairs = {p for p in q_pairs if not (p[0] in FOLDED_STOPWORDS and p[1] in FOLDED_STOPWORDS)}
    asked_levels = q.levels
    asker_actor = q.actors
    about_asked = asks_about_the_document(q)
    articles = [(h.document, h.unit_kind, h.article) for h in hits[:10]]
    title_cache: dict[str, tuple[bool, bool, float]] = {}
    for i, (h, s) in enumerate(zip(hits, signals)):
        row = X[i]
        row[col["fused"]] = s.fused / top_fused
        row[col["lexical_rr"]] = 1.0 / (1 + s.lexical_rank) if s.lexical_rank is not None else 0.0
        row[col["dense_rr"]] = 1.0 / (1 + s.dense_rank) if s.dense_rank is not None else 0.0
        row[col["dense_gap"]] = (top_cos - s.dense_cos) if (top_cos is not None and s.dense_cos is not None) else 0.2
        row[col["bm25_rel"]] = s.bm25 / top_bm25
        row[col["coverage"]] = s.coverage
        row[col["coverage_gap"]] = top_cov - s.coverage
        row[col["bigram_cov"]] = len(q_pairs & _clause_bigrams(h.article_title, h.text)) / len(q_pairs) if q_pairs else 0.0
        if h.article_title not in title_cache:
            entity = title_entity(h.article_title)
            t_words = set(plain(h.article_title).split())
            title_cache[h.article_title] = (
                bool(entity) and names_entity(q.search_text, entity), names_title(q.search_text, h.article_title),
                sum(1 for w in q_syll if w in t_words) / len(q_syll) if q_syll else 0.0)
        entity_named, repeated, t_cov = title_cache[h.article_title]
        row[col["entity_title"]] = entity_named
        row[col["repeats_title"]] = repeated and not entity_named
        row[col["title_cov"]] = t_cov
        row[col["named_body_lead"]] = named_body_lead(q, h)
        row[col["answer_type"]] = bool(q.expects) and any(carries(k, h.text) for k in q.expects)
        subject = clause_subject(h.text)
        row[col["addresses_asker"]] = bool(q.asker) and q.asker in bodies_in(subject)
        lead_levels = levels_in(h.text.split("\n", 1)[0])
        row[col["other_level"]] = bool(asked_levels and lead_levels and not lead_levels & asked_levels)
        row[col["out_of_scope"]] = bool(asker_actor and h.scope and asker_actor[0] not in h.scope)
        row[col["quoted_term"]] = bool(q.quoted) and any(is_about_term(t, h.article_title, h.text) for t in q.quoted)
        row[col["named_document"]] = h.document in q.mentioned
        row[col["other_document"]] = bool(q.mentioned) and h.document not in q.mentioned
        about = about_the_document(h.article_title)
        row[col["about_document"]] = about and not about_asked
        row[col["scope_asked"]] = q.applicability and bool(_SCOPE_TITLE_RE.search(fold(h.article_title)))
        row[col["pointer_pair"]] = any(
            not ref.endswith(" " + h.document_name) and any(o is not h and _refers_to(ref, o) for o in hits[:10])
            for ref in h.references)
        row[col["article_support"]] = articles.count((h.document, h.unit_kind, h.article)) / 10.0
        row[col["secondary"]] = h.source_kind == "secondary" or h.status == "secondary"
        row[col["whole_article"]] = not h.clause
        row[col["length"]] = math.log(max(len(h.text), 20) / 300.0)
        row[col["folded_dense"]] = row[col["dense_rr"]] if q.unaccented else 0.0
    return with_derived(X)


def feature_dict(row: np.ndarray) -> dict[str, float]:
    return {name: float(v) for name, v in zip(FEATURES, row)}
