"""How well the best clauses cover a question: IDF-weighted share of its content words.

Words the corpus never uses ("kết_hôn" asked of a press-law corpus) weigh the most, so an
off-topic question scores low even when its common words ("người", "nước_ngoài") match.
"""
from __future__ import annotations

from core.vocab import STOPWORDS


def content_words(words: list[str]) -> list[str]:
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS and not w.isdigit() and len(w) > 1))


def weighted_coverage(question_words: list[str], clause_tokens: set[str], idf) -> float:
    words = content_words(question_words)
    if not words:
        return 0.0
    total = sum(idf(w) for w in words)
    return sum(idf(w) for w in words if w in clause_tokens) / total if total else 0.0
