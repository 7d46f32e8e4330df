"""Who a clause makes act: the bodies that are the subject of a duty, a power or a prohibition.

Pure functions over verbatim text, shared by the duties and the deadlines. A sentence's subject is
the run of bodies (core.bodies.body_mentions) that opens it, or opens it after an adverbial ("Trong
thời hạn 30 ngày …, Bộ … có trách nhiệm"), directly before an action word ("có trách nhiệm",
"phải", "chủ trì", "cấp" …), with at most a scope phrase between ("trong phạm vi nhiệm vụ, quyền hạn
của mình"); a body named after a preposition ("gửi", "của", "với") is a counterpart, not a subject.
The agent of a closing passive ("… do Bộ trưởng Bộ … quy định.") acts too.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from core.bodies import BodyMention, body_mentions
from core.vocab import aligned_fold, nfc
from qa.relevance import title_subject


def _words(pattern: str) -> re.Pattern:
    """A pattern written with single spaces, matched over any run of white space."""
    return re.compile(pattern.replace(" ", r"\s+"))


# Action words a subject is followed by (folded). Modal words first: they say the kind of rule.
_ACTIONS = (
    "co trach nhiem", "chiu trach nhiem", "co nhiem vu", "co nghia vu", "co nhung nhiem vu", "co nhung quyen han",
    "co cac quyen", "co quyen", "co the", "khong duoc", "nghiem cam", "phai", "can", "duoc", "chu tri", "phoi hop",
    "bao cao", "dong gui", "gui", "thong bao", "cap", "to chuc", "thuc hien", "quyet dinh", "ra quyet dinh",
    "chi dao", "huong dan", "kiem tra", "xem xet", "giai quyet", "thu hoi", "ban hanh", "quy dinh", "tra loi",
    "co van ban", "co y kien", "cho y kien", "dang, phat", "dang phat", "xay dung", "cung cap", "de nghi", "cu",
    "quan ly", "tiep nhan", "tham dinh", "theo doi", "tong hop", "danh gia", "phe duyet", "trinh", "bao dam",
    "dam bao", "giao", "lap", "nop", "luu giu", "tam ngung", "cham dut", "ngung", "phat ngon", "hop bao", "xu ly",
    "dinh chi", "chap thuan", "trien khai", "tham muu", "ho tro", "tao dieu kien", "bo tri", "phan cong",
    "so ket", "tong ket", "cap nhat", "lam thu tuc", "tuan thu", "chap hanh", "thong nhat quan ly",
    "xet cap", "xet duyet", "trao", "tra lai",
    "la co quan (?:cap|cung ung|thuc hien|quan ly|dau moi|chu tri|tham muu|tiep nhan|giai quyet)",
)
ACTION_RE = _words(r"\b(?:" + "|".join(sorted(_ACTIONS, key=len, reverse=True)) + r")\b")
# What may stand between the subject and its action word: a scope, a qualifier of the body, a
# relative clause ("có nhu cầu …", "đã được cấp giấy phép …"), a time ("định kỳ hằng năm").
_FILLER = _words(
    r"\s+|,|\([^)]*\)|trong pham vi[a-z ,]*?cua minh\b|theo (?:chuc nang|pham vi)[a-z ,]*?(?:cua minh|quan ly)\b"
    r"|theo chuc nang, nhiem vu(?:, quyen han)?\b|(?:co )?lien quan\b|viet nam\b|o (?:trung uong|dia phuong)\b"
    r"|(?:tai |o )?dia phuong\b|duoc (?:chinh phu|thu tuong chinh phu) giao(?: chu tri(?: xu ly)?)?\b|thuoc (?:cac )?bo(?:, nganh)?\b"
    r"|(?:chua |da )?(?:co nhu cau|co du dieu kien|co de nghi|co yeu cau|duoc cap|chua co)\b[^,;]*"
    r"|(?:nha bao|phong vien|bien tap vien|nhan vien|to chuc|ca nhan|doanh nghiep|don vi|trang thong tin dien tu tong hop)\b"
    r"|phu hop voi chuc nang[a-z ,]*?(?:phap luat|cua minh)\b|(?:cac )?co quan (?:lien quan|chuc nang)\b"
    r"|thanh pho truc thuoc trung uong\b|cua viet nam\b|da\b|\bkhi\b[^;.]*|[^;.]{0,200}\bthi\b(?! hanh)"
    r"|dinh ky\b|hang (?:nam|quy|thang|tuan)\b|thuong xuyen\b|chu dong\b|cung\b|deu\b|se\b|va\b|hoac\b"
    r"|cac\b|chi\b|truc tiep\b")
# Between two bodies of one subject ("Bộ …, Ủy ban nhân dân cấp tỉnh và cơ quan báo chí").
_HEADS = r"thu truong|bo truong|cuc truong|giam doc|chanh van phong|lanh dao|chu tich"
_JOINER = _words(r"\s+|,|;|\bva\b|\bhoac\b|\bcac\b|\bnhung\b|\([^)]*\)|(?:co )?lien quan\b|viet nam\b|(?:" + _HEADS + r")\b")
# What may open a sentence before its subject (after the last comma of an adverbial).
_OPENER = _words(r"\s+|\bcac\b|\bnhung\b|\bmoi\b|\brieng\b|dong thoi\b|tat ca\b|(?:" + _HEADS + r")\b")
# A sentence that opens with an adverbial ("Trong thời hạn …, ", "Khi …, ", "Căn cứ …, "): its subject may
# follow the adverbial's comma. Any other comma before a body is an enumeration's ("… của các Bộ, cơ quan
# ngang Bộ, Ủy ban nhân dân cấp tỉnh được bảo đảm"), and the body after it is no subject.
_ADVERBIAL = _words(
    r"^\s*(?:khi|trong|sau|truoc|truong hop|doi voi|can cu|theo|neu|de|cham nhat|dinh ky|hang (?:nam|quy|thang|tuan)"
    r"|it nhat|toi da|toi thieu|ngoai|tru|ke tu|rieng|dong thoi|ngay|moi|tai|tren co so|nham|vao|ket thuc)\b")
_OBJECT_OF = re.compile(r"\b(?:nhu cau|de|nham|theo)\s+$")
_NEW_PHRASE = re.compile(r";|,\s*(?:cac|nhung)\b")
_MAX_GAP = 240  # characters between a subject and its action word, at most


def _only(token: re.Pattern, text: str) -> bool:
    """`text` is a sequence of `token`s, read left to right without backtracking (linear time)."""
    i = 0
    while i < len(text):
        m = token.match(text, i)
        if not m or m.end() == i:
            return False
        i = m.end()
    return True


# "1. ", "a) ", "2a. " that opens a clause or a point.
MARKER_RE = re.compile(r"^\s*(?:\d+[a-zđ]?\s*[.)]|[a-zđ]\))\s*", re.I)
# "Hồ sơ, thủ tục … do Bộ trưởng Bộ … quy định.": a rule left to the body; not "Đơn … theo mẫu do … quy định"
_PASSIVE_RE = _words(r"(?:^|[,;:]\s*)(?:ho so|thu tuc|trinh tu|viec|quy trinh|che do|danh muc|muc chi|dinh muc"
                     r"|noi dung|hinh thuc|mau)\b[^.:]*\bdo\s*$")
_PASSIVE_TAIL = _words(r"^ (?:quy dinh|ban hanh|cap|to chuc|quyet dinh|chu tri|huong dan|thuc hien|cung cap)\s*[.;]?\s*$")
_SENTENCE_END = re.compile(r"(?<=[.;])\s+(?=\S)|\n+")


@dataclass(frozen=True)
class Reading:
    """One sentence's acting bodies and where its action word starts (offsets in the unit's text)."""

    subjects: tuple[BodyMention, ...]
    start: int  # the sentence
    end: int
    action: int  # the action word


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a unit's text, without its "1." or "a)" marker."""
    m = MARKER_RE.match(text)
    start = m.end() if m else 0
    out = []
    for piece in _SENTENCE_END.split(text[start:]):
        at = text.find(piece, start)
        if piece.strip():
            out.append((at, at + len(piece)))
        start = at + len(piece)
    return out


def _subject_run(low: str, mentions: list[BodyMention], action: int) -> tuple[BodyMention, ...]:
    """The bodies that open the sentence (or follow its adverbial) and lead up to the action at `action`."""
    before = [m for m in mentions if m.end <= action]
    if not before:
        return ()
    gap = low[before[-1].end:action]
    if len(gap) > _MAX_GAP or not _only(_FILLER, gap):
        return ()
    run = [before[-1]]
    for m in reversed(before[:-1]):
        if not _only(_JOINER, low[m.end:run[0].start]):
            break
        run.insert(0, m)
    adverbial = bool(_ADVERBIAL.match(low))
    dropped = None
    while run:  # "Khi nhận được đề nghị của Bộ A, các Bộ có trách nhiệm": the run opens after the adverbial
        opening = low[:run[0].start]
        then = opening.rfind(" thi ")
        cut = max(opening.rfind(","), opening.rfind(":"), then + 4 if then >= 0 else -1)
        # after a body of the adverbial, only a new phrase ("…, các Bộ") opens the subject, not the
        # rest of its enumeration ("… của các Bộ, cơ quan ngang Bộ, Ủy ban nhân dân cấp tỉnh được …");
        # "X … thì Y làm": Y acts whatever opens the sentence
        fresh = dropped is None or _NEW_PHRASE.search(low[dropped.end:run[0].start])
        if (cut < 0 or adverbial or (then >= 0 and cut == then + 4)) and fresh and _only(_OPENER, opening[cut + 1:]):
            return tuple(run)
        dropped = run.pop(0)
    return ()


def _opening_run(low: str, mentions: list[BodyMention]) -> list[BodyMention]:
    """The first body mentioned and those joined to it ("Bộ …, Ủy ban nhân dân cấp tỉnh và …")."""
    run = [mentions[0]]
    for m in mentions[1:]:
        if not _only(_JOINER, low[run[-1].end:m.start]):
            break
        run.append(m)
    return run


def first_word_tag(text: str) -> str:
    """pyvi's part of speech of the first word of `text` ("V", "A", "N" …; "" for none): the verbs no
    list names. pyvi's model is loaded on first use."""
    from pyvi import ViPosTagger, ViTokenizer

    _, tags = ViPosTagger.postagging(ViTokenizer.tokenize(text[:40]))
    return str(tags[0]) if len(tags) > 0 else ""


_BRACKETS_AND_SPACE = re.compile(r"(?:\s+|\([^()]*\))*")
# What may come before the bodies for the fallback: openers, or one time phrase ("Hằng năm, ").
_FALLBACK_OPENING = re.compile(r"(?:(?:hang\s+(?:nam|quy|thang|tuan)|dinh\s+ky[^,;:]{0,40})\s*,\s*)?(?:\s|cac\b|nhung\b|moi\b)*")
# "có đủ điều kiện …", "có nhu cầu …", "là …", "… thuộc Bộ …", "hoạt động theo loại hình …", "gồm …",
# "chịu sự quản lý …", "bị thu hồi …" (what befalls it): not what the body does
_NOT_AN_ACTION = re.compile(r"(?:co|la|thuoc|hoat dong|gom|bao gom|chiu su|bi)\b")


def _verb_after(sentence: str, low: str, mentions: list[BodyMention]) -> int:
    """Where a verb starts right after the first run of bodies (brackets skipped), by pyvi's part of
    speech: the action of the verbs ACTION_RE does not list. -1 when the next word is no verb."""
    if not _FALLBACK_OPENING.fullmatch(low[:mentions[0].start]):
        return -1  # the bodies must open the sentence (a time may come first): not one listed after a colon
    at = _BRACKETS_AND_SPACE.match(low, _opening_run(low, mentions)[-1].end).end()
    word = low[at:at + 40]
    if not word or not word[0].isalpha() or _NOT_AN_ACTION.match(word):
        return -1
    return at if first_word_tag(sentence[at:]) == "V" else -1


@functools.lru_cache(maxsize=8192)
def readings(text: str) -> tuple[Reading, ...]:
    """The sentences of a unit that have acting bodies, in order (cached: both tools read each unit)."""
    text = nfc(text)
    low = aligned_fold(text)
    out = []
    for start, end in sentences(text):
        sentence, s_low = text[start:end], low[start:end]
        # a body in brackets qualifies the one before it ("Bộ … (Cục …) có văn bản"): never a subject
        brackets = [m.span() for m in re.finditer(r"\([^()]*\)", sentence)]
        mentions = [m for m in body_mentions(sentence) if not any(a <= m.start and m.end <= b for a, b in brackets)]
        if not mentions:
            continue
        found: tuple[BodyMention, ...] = ()
        action = -1
        for a in ACTION_RE.finditer(s_low):
            if any(m.start <= a.start() < m.end for m in mentions):
                continue  # "cơ quan chủ quản báo chí" holds no action word
            if _OBJECT_OF.search(s_low[:a.start()]):
                continue  # "… có nhu cầu thực hiện thêm …": the action is what the subject needs, not what it must do
            filler = _FILLER.match(s_low, a.start())
            if filler and filler.end() > a.end():
                continue  # "được Chính phủ giao chủ trì xử lý" qualifies the subject; its action comes later
            found = _subject_run(s_low, mentions, a.start())
            if found:
                action = a.start()
                break
        if not found:  # a verb no list names, right after the opening bodies ("Bộ … xét cấp", "Cơ quan báo chí thay đổi … phải")
            at = _verb_after(sentence, s_low, mentions)
            if at >= 0:
                found = _subject_run(s_low, mentions, at)
                action = at if found else -1
        if not found:  # "… do Bộ trưởng Bộ Thông tin và Truyền thông quy định." (its subject may lie before a ";")
            whole = max(low.rfind(".", 0, start), low.rfind("\n", 0, start)) + 1
            for m in mentions:
                before = MARKER_RE.sub("", low[whole:start + m.start].lstrip(), count=1)
                if _PASSIVE_RE.search(before) and _PASSIVE_TAIL.match(s_low[m.end:]):
                    found, action = (m,), m.end
                    break
        if found:
            shift = lambda m: BodyMention(m.kind, m.start + start, m.end + start, m.text)  # noqa: E731
            out.append(Reading(tuple(shift(m) for m in found), start, end, action + start))
    return tuple(out)


def title_bodies(title: str) -> tuple[str, ...]:
    """The kinds of body an article title (or a lead such as "Quyền của báo chí đối ngoại:") is
    about: "Trách nhiệm của Ủy ban nhân dân các tỉnh, thành phố trực thuộc Trung ương" -> ("province",).
    The title must open with the body; "Cơ quan thường trú các cơ quan thông tấn …" is another body."""
    rest = title_subject(MARKER_RE.sub("", title.strip(), count=1).rstrip(":").strip())
    rest = re.sub(r"^(?:Đối với|đối với)\s+", "", rest)  # "Điều 6. Đối với báo chí đối ngoại"
    mentions = body_mentions(rest)
    if not mentions:
        return ()
    low = aligned_fold(rest)
    if not _only(_OPENER, low[:mentions[0].start]):
        return ()
    return tuple(dict.fromkeys(m.kind for m in _opening_run(low, mentions)))


def bare_lead(text: str) -> tuple[str, ...]:
    """A lead that is only bodies and a colon ("4. Ủy ban nhân dân cấp xã:"): their kinds."""
    m = MARKER_RE.match(text)
    body = text[m.end() if m else 0:].strip()
    if not body.endswith(":"):
        return ()
    body = body[:-1]
    mentions = body_mentions(body)
    if not mentions:
        return ()
    low = aligned_fold(body)
    gaps = [low[:mentions[0].start], *(low[a.end:b.start] for a, b in zip(mentions, mentions[1:])),
            low[mentions[-1].end:]]
    return tuple(dict.fromkeys(x.kind for x in mentions)) if all(_only(_JOINER, g) for g in gaps) else ()
