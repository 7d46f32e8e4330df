"""What a question asks for, beyond its words: who asks (the kind of body), what kind of answer
it expects (a time, a place, an amount), and a term it quotes. Pure functions on text; the
retriever turns them into small reranking features, so a clause that carries the expected kind of
answer, for the asker's kind of body, comes first among clauses that match the words equally.

Works on folded text, so that questions typed without diacritics are understood the same way.
"""
from __future__ import annotations

import functools
import re
from core.bodies import bodies_in
from core.vocab import STOPWORDS, fold, nfc

# ---------------------------------------------------------------- how many things it asks


def question_parts(question: str) -> int:
    """How many things a question asks: "… ra sao và … những việc gì?" asks two."""
    asks = len(re.findall(r"\?", question))
    joined = len(re.findall(r"(?:,| va| hay| con)\s+[^,?]*\b(?:gi|nao|sao|bao lau|bao nhieu|ai|khong|dau)\b",
                            fold(question)))
    return max(1, asks, joined + 1)


# ---------------------------------------------------------------- expected kind of answer

# Question cues -> kind of answer (folded, word-bounded).
_ASKS: dict[str, re.Pattern] = {
    # "trong bao lâu", "mấy ngày", "bao lâu … một lần", "thời hạn", "khi nào", "định kỳ"
    "time": re.compile(r"\b(?:bao lau|may ngay|bao nhieu ngay|may thang|thoi han|han chot|khi nao|bao gio"
                       r"|may lan|bao nhieu lan|dinh ky|thoi gian nao)\b"),
    # "công khai ở đâu", "nộp hồ sơ ở đâu", "gửi cho ai"
    "place": re.compile(r"\b(?:o dau|noi nao|tai dau|gui (?:den|toi|cho|ve) (?:ai|dau|co quan nao)|nop (?:o )?dau"
                        r"|(?:trang|chuyen muc|vi tri) nao)\b"),
    # "mức phạt bao nhiêu", "bao nhiêu người"
    "amount": re.compile(r"\bbao nhieu\b(?! (?:ngay|thang|nam|lan|gio))|\bmuc (?:phat|phi|le phi)\b"),
    # "ai là người phát ngôn", "giao cho Chánh văn phòng làm người phát ngôn", "ủy quyền cho phó giám
    # đốc": which person (not "gửi cho ai": a place)
    "person": re.compile(r"\bai (?:la|duoc|se|phai|co quyen|co tham quyen|phat ngon|ky)\b|\bla ai\b|\bnguoi nao\b"
                         r"|\b(?:giao|cu|chi dinh|phan cong) cho\b(?: \S+){1,6} lam\b|\buy quyen cho\b"),
}
# Clause text that carries that kind of answer (folded).
_CARRIES: dict[str, re.Pattern] = {
    "time": re.compile(r"\b(?:\d+|mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi|muoi lam|ba muoi)\s+(?:gio|ngay|tuan|thang|quy|nam)\b"
                       r"|\bhang (?:ngay|tuan|thang|quy|nam)\b|\bhang nam\b|\bmot lan\b|\bngay lam viec\b"
                       # a clause on the time limit itself, even when it gives it by reference
                       r"|\bthoi han\b|\bhan chot\b|\bcham nhat\b"),
    "place": re.compile(r"\b(?:tren|tai) (?:cong thong tin|trang|website|tru so|bao|phuong tien|chuyen muc)\b"
                        r"|\bdang tai\b|\bniem yet\b|\bgui (?:den|toi|ve|cho)\b|\bnop (?:tai|cho|den)\b"),
    "amount": re.compile(r"\b\d[\d.,]*\s*(?:dong|%|nguoi|ban|trieu|ty)\b|\btu \d[\d.,]* (?:dong )?den \d"),
    "person": re.compile(r"\b(?:nguoi dung dau|thu truong|chu tich|cap pho|pho chu tich|bo truong|giam doc|truong ban"
                         r"|tong bien tap|nguoi dai dien theo phap luat)\b"),
}


@functools.lru_cache(maxsize=8192)
def plain(text: str) -> str:
    """Folded words between spaces: " ubnd tinh co phai " (the cue tables match on this)."""
    return " " + " ".join(re.findall(r"[a-z0-9]+", fold(text))) + " "


def expected_answers(question: str) -> frozenset[str]:
    """Kinds of answer a question expects: "time", "place", "amount", "person" (none: any)."""
    q = plain(question)
    return frozenset(kind for kind, pat in _ASKS.items() if pat.search(q))


def carries(kind: str, text: str) -> bool:
    """The text states something of that kind ("05 ngày làm việc", "3 tháng một lần")."""
    return bool(_CARRIES[kind].search(plain(text)))


# ---------------------------------------------------------------- who asks


def asker_body(question: str) -> str:
    """The kind of body the question is about or asked from: the first one it names; "" if none.
    A ministry named by its name ("Bộ Công Thương") is of the kind "bộ": what "các bộ" must do
    applies to it (an article titled by that ministry is found by its title, qa.retrieval)."""
    kinds = bodies_in(question)
    return kinds[0] if kinds else ""


def clause_subject(text: str) -> str:
    """The part of a clause that says whom it addresses: its lead line up to the colon that opens
    its points ("2. Người phát ngôn … của các cơ quan chuyên môn thuộc Ủy ban nhân dân cấp tỉnh,
    gồm:"), at most its first 40 words."""
    lead = nfc(text).split("\n", 1)[0]
    lead = lead.split(":", 1)[0]
    return " ".join(lead.split()[:40])


# The legal name of the bodies people call by their everyday names: the lexical search then finds
# clauses that use the legal name ("Sở Y tế" is a "cơ quan chuyên môn thuộc Ủy ban nhân dân cấp tỉnh").
# Only bodies whose everyday name shares no word with the legal one: "UBND tỉnh" already finds
# "Ủy ban nhân dân cấp tỉnh", and adding it again would outweigh the rest of the question.
BODY_LEGAL_NAMES: dict[str, str] = {
    "department": "cơ quan chuyên môn thuộc Ủy ban nhân dân cấp tỉnh",
    "district_department": "cơ quan chuyên môn thuộc Ủy ban nhân dân cấp huyện",
}


_BODY_HEADS = {"department": "sở", "district_department": "phòng"}


def body_name_words(words: list[str], asker: str) -> frozenset[str]:
    """The segmented words of the asker's everyday body name in a question ("Sở Tư_pháp", "Sở Văn_hóa
    , Thể_thao và Du_lịch"): a clause addressing that kind of body covers them, though it says
    "cơ quan chuyên môn thuộc Ủy ban nhân dân cấp tỉnh"."""
    head = _BODY_HEADS.get(asker)
    if not head:
        return frozenset()
    lower = [w.lower() for w in words]
    out: set[str] = set()
    for i, w in enumerate(lower):
        if w != head or i + 1 >= len(lower) or lower[i + 1] in STOPWORDS:
            continue  # "của Sở và …": the body, not a name
        out.update((w, lower[i + 1]))
        # "Sở Văn_hóa Thể_thao và Du_lịch" (commas are not words): up to the word after "và"
        for j in range(i + 2, min(i + 5, len(lower) - 1)):
            if lower[j] == "và":
                out.update(lower[i + 2:j] + [lower[j + 1]])
                break
    return frozenset(out - STOPWORDS)


def legal_name_expansion(question: str, asker: str | None = None) -> str:
    """Words to add to the lexical query: the legal name of the asker's kind of body, when the
    question does not use it already; "" otherwise. `asker`: the kind when already known."""
    body = asker if asker is not None else asker_body(question)
    name = BODY_LEGAL_NAMES.get(body, "")
    if not name or fold(name) in plain(question):
        return ""
    return name


# ---------------------------------------------------------------- does a document apply

# a document by its kind, also abbreviated and glued to its number ("tt02", "nđ72")
_DOC_WORD = r"(?:nghi dinh|thong tu|luat|quyet dinh|nghi quyet|ket luan|cong van|chi thi|van ban|nd|tt|qd)(?:\b|(?=\d))"
# "có phải thực hiện Thông tư 02/2019 không", "Nghị định 09 áp dụng đối với ai": the verb governs the
# document, not something the document regulates ...
_APPLIES_RE = re.compile(
    rf"\b(?:ap dung|thuc hien|tuan thu|thi hanh|tuan theo|lam theo) (?:theo )?{_DOC_WORD}"
    rf"|\b{_DOC_WORD}\S*(?: \S+){{0,4}} (?:co )?(?:ap dung|dieu chinh) (?:doi voi|cho|voi)\b")
# ... and the question asks yes or no, or who ("… thế nào" asks how to apply it: not this)
_YES_NO_OR_WHO_RE = re.compile(r"\b(?:khong|ko|k|chua)\s*$|\bhay (?:khong|chua)\b|\bco (?:\S+ ){0,12}khong\b"
                               r"|\b(?:ai|nhung ai|co quan nao|to chuc nao|doi tuong nao|nhung doi tuong|nhung gi)\b")
_SCOPE_RE = re.compile(r"\b(?:thuoc|nam trong|la) (?:doi tuong|pham vi) (?:ap dung|dieu chinh)\b|\bdoi tuong ap dung\b")


def asks_applicability(question: str) -> bool:
    """The question asks whom a document applies to, or whether it applies to the asker: its
    "Đối tượng áp dụng" / "Phạm vi điều chỉnh" articles answer (when it names the document)."""
    q = plain(question)
    return bool(_SCOPE_RE.search(q) or (_APPLIES_RE.search(q) and _YES_NO_OR_WHO_RE.search(q.rstrip())))


# ---------------------------------------------------------------- a quoted term

_QUOTED_RE = re.compile(r"[\"“”«»'‘’]([^\"“”«»'‘’]{6,80})[\"“”«»'‘’]")


def quoted_terms(question: str) -> list[str]:
    """Terms the question puts in quotes ("nội dung thông tin đối ngoại"), folded."""
    return [" ".join(re.findall(r"[a-z0-9]+", fold(m.group(1)))) for m in _QUOTED_RE.finditer(nfc(question))
            if len(m.group(1).split()) >= 2]


def is_about_term(term: str, article_title: str, text: str) -> bool:
    """The unit is about the quoted term: its article title or its own first words begin with it
    ("Nội dung thông tin đối ngoại trên báo chí gồm …")."""
    body = re.sub(r"^\s*(?:\d+\.|[a-zđ]\))\s*", "", nfc(text))
    return any(plain(s).startswith(f" {term} ") for s in (article_title, body[: len(term) * 2 + 20]))
