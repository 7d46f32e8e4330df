"""How well the best clauses cover a question: IDF-weighted share of its content words.

Words the corpus never uses ("kết_hôn" asked of a press-law corpus) weigh the most, so an
off-topic question scores low even when its common words ("người", "nước_ngoài") match.
"""
from __future__ import annotations

import re

from core.bodies import actors_in
from core.vocab import STOPWORDS, SYNONYMS, fold, nfc, spell_out

# Single-syllable stopwords typed without diacritics, for folded questions. Syllables of the
# multi-syllable ones are left out: "bao" of "bao_lâu" is also "báo" (press), "hop" of
# "trường_hợp" is also "họp" (meet).
FOLDED_STOPWORDS = frozenset(fold(w) for w in STOPWORDS if "_" not in w)


def content_words(words: list[str], stopwords: frozenset[str] = STOPWORDS) -> list[str]:
    return list(dict.fromkeys(w for w in words if w not in stopwords and not w.isdigit() and len(w) > 1))


def weighted_coverage(question_words: list[str], clause_tokens: set[str], idf,
                      stopwords: frozenset[str] = STOPWORDS) -> float:
    words = content_words(question_words, stopwords)
    if not words:
        return 0.0
    total = sum(idf(w) for w in words)
    found = sum(idf(w) for w in words if w in clause_tokens or not SYNONYMS.get(w, frozenset()).isdisjoint(clause_tokens))
    return found / total if total else 0.0


# ---------------------------------------------------------------- bodies named by article titles

# Organisations an article can be titled by; roles ("Người phát ngôn") are left out: questions
# name them constantly and the article about them is rarely the whole answer.
_BODY_RE = re.compile(r"(?:Bộ|Sở|Ủy ban|Uỷ ban|Cơ quan|Cục|Ban|Đài|Thông tấn|Hội|Văn phòng)\b", re.I)
_TITLE_GENERIC_RE = re.compile(
    r"^(?:(?:trách nhiệm|nhiệm vụ|quyền hạn|quyền|nghĩa vụ|chức năng|vai trò|trách nhiệm thi hành|"
    r"tổ chức thực hiện|phối hợp)(?:,?\s+(?:và\s+)?)?)+(?:của\s+)?", re.I)


def title_subject(title: str) -> str:
    """An article title without its generic words: "Quyền và trách nhiệm của báo chí đối ngoại" ->
    "báo chí đối ngoại" (what the title is about; the desk reads the body in it)."""
    return _TITLE_GENERIC_RE.sub("", nfc(title).strip()).strip(" .")


def title_entity(title: str) -> str:
    """The body an article title names: "Trách nhiệm của Bộ Nội vụ" -> "Bộ Nội vụ"; "" if none."""
    rest = title_subject(title)
    if len(rest.split()) >= 2 and (actors_in(rest) or _BODY_RE.match(rest)):
        return rest
    return ""


def _plain(text: str) -> str:
    """Folded words, abbreviations spelt out, "cấp" and "các" dropped ("UBND tỉnh" = "Ủy ban nhân dân
    cấp tỉnh" = "Ủy ban nhân dân các tỉnh")."""
    words = spell_out(" " + " ".join(re.findall(r"[a-z0-9]+", fold(text).replace("&", ""))) + " ").split()
    return " " + " ".join(w for w in words if w not in ("cap", "cac")) + " "


def names_entity(question: str, entity: str) -> bool:
    """The question names the body (or one of the bodies, comma-separated) an article title names."""
    q = _plain(question)
    for part in entity.split(","):
        words = _plain(part).split()
        if len(words) >= 2 and f" {' '.join(words)} " in q:
            return True
    return False


def names_title(question: str, title: str, min_words: int = 5) -> bool:
    """The question repeats a long subject title nearly word for word ("nội dung thông tin đối
    ngoại trên báo chí"): at most one of its content syllables is missing."""
    words = {w for w in re.findall(r"[a-z0-9]+", fold(title)) if w not in FOLDED_STOPWORDS and not w.isdigit()}
    if len(words) < min_words:
        return False
    q = set(re.findall(r"[a-z0-9]+", fold(question)))
    return len(words - q) <= 1
