"""How well the best clauses cover a question: IDF-weighted share of its content words.

Words the corpus never uses ("kết_hôn" asked of a press-law corpus) weigh the most, so an
off-topic question scores low even when its common words ("người", "nước_ngoài") match.
"""
from __future__ import annotations

# Question words and function words that carry no topic.
STOPWORDS = set(
    """là của và các có được cho trong với về theo những một này đó khi nào gì ai sao thế_nào như_thế_nào
    không phải bao_nhiêu bao_lâu hay hoặc thì mà để do tại từ đến như ra vào lên việc quy_định nêu hỏi
    đúng sai hãy cho_biết trường_hợp nếu thì gồm những_gì bao_giờ ở đâu nào_đó cần phải_không có_phải
    luật điều khoản điểm nghị_định thông_tư văn_bản theo_quy_định hiện_nay nay thế sẽ đã bị""".split()
)


def content_words(words: list[str]) -> list[str]:
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS and not w.isdigit() and len(w) > 1))


def weighted_coverage(question_words: list[str], clause_tokens: set[str], idf) -> float:
    words = content_words(question_words)
    if not words:
        return 0.0
    total = sum(idf(w) for w in words)
    return sum(idf(w) for w in words if w in clause_tokens) / total if total else 0.0
