"""The one taxonomy of public bodies: what kind of body a text names, at which level of government,
and which coarse kind (a ministry, or local government) a document's scope means.

Used alike by ingest (the scope a document's "Đối tượng áp dụng" states, stored on its nodes) and by
questions and clauses (the asker, the body a khoản addresses, the level it is about). One table, on
folded text so that questions typed without diacritics match too; a folded word that is also another
word ("tinh" is "tỉnh" but also "tính", "tình"; "bo" is "bộ" but also "bổ", "bố"; "xa", "huyen",
"quan", "so") counts as the body only where the text writes the body's word or has no diacritics
there at all.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from core.vocab import aligned_fold, nfc


@dataclass(frozen=True)
class BodyKind:
    kind: str  # "province", "department", …
    level: str  # "central" | "province" | "district" | "commune"
    actor: str  # the coarse kind a document's scope is stated in: "ministry" | "province" (local government)
    label: str  # how an answer names the kind
    pattern: re.Pattern  # on folded words joined by single spaces (commas kept)


# Most specific first: a match consumes its span, so a provincial department is not also the
# province. A "Sở" is by law a specialised agency of the provincial People's Committee.
BODY_KINDS: tuple[BodyKind, ...] = (
    BodyKind("department", "province", "province", "cơ quan chuyên môn thuộc Ủy ban nhân dân cấp tỉnh", re.compile(
        r"\bco quan chuyen mon (?:thuoc|cua) (?:uy ban nhan dan|ubnd) (?:cap )?(?:tinh|thanh pho)\b"
        r"|\bto chuc,? cap tinh thuoc co quan trung uong\b|\bnganh doc\b|(?<!tong )\bcuc\b(?! bo)")),
    BodyKind("district_department", "district", "province", "cơ quan chuyên môn thuộc Ủy ban nhân dân cấp huyện",
             re.compile(r"\bco quan chuyen mon (?:thuoc|cua) (?:uy ban nhan dan|ubnd) (?:cap )?(?:huyen|quan)\b"
                        r"|\bphong (?:van hoa|tu phap|noi vu|giao duc|y te|tai chinh)\b")),
    BodyKind("commune", "commune", "province", "Ủy ban nhân dân cấp xã", re.compile(
        r"\b(?:uy ban nhan dan|ubnd|chu tich) (?:cap )?(?:xa|phuong)\b|\bcap xa\b")),
    BodyKind("district", "district", "province", "Ủy ban nhân dân cấp huyện", re.compile(
        r"\b(?:uy ban nhan dan|ubnd|chu tich) (?:cap )?(?:huyen|quan)\b|\bcap huyen\b")),
    BodyKind("province", "province", "province", "Ủy ban nhân dân cấp tỉnh", re.compile(
        r"\b(?:uy ban nhan dan|ubnd|chu tich ubnd|chu tich uy ban nhan dan) (?:cap )?(?:tinh|thanh pho)\b"
        r"|\bcap tinh\b|\btinh, thanh pho truc thuoc trung uong\b|\btinh\b")),
    BodyKind("ministry", "central", "ministry", "các Bộ, cơ quan ngang Bộ, cơ quan thuộc Chính phủ", re.compile(
        r"\bco quan ngang bo\b|\bco quan thuoc chinh phu\b|\btong cuc\b"
        r"|(?<!can )(?<!toan )\bbo\b(?! (?:phan|may|luat|ho so|doi|truong|nhan dien|chu quan))")),
)
KINDS: dict[str, BodyKind] = {b.kind: b for b in BODY_KINDS}
# How a document's scope is said ("áp dụng cho …"): the coarse kinds.
ACTOR_LABELS = {"province": "Ủy ban nhân dân cấp tỉnh và các sở, ngành ở địa phương",
                "ministry": "các Bộ, cơ quan ngang Bộ, cơ quan thuộc Chính phủ"}
# Scope words that make a document apply generally (not to one kind of body only).
GENERAL_SCOPE_RE = re.compile(r"cơ quan nhà nước|cơ quan, tổ chức|cơ quan hành chính nhà nước|mọi|địa phương|tỉnh")
# Local government without a level ("các địa phương"): local, for a document's scope.
_LOCAL_RE = re.compile(r"\bdia phuong\b")

# Folded words that are also other words: the body only where the text writes these (or no diacritics).
AMBIGUOUS_FOLDED: dict[str, tuple[str, ...]] = {
    "bo": ("bộ",), "tinh": ("tỉnh",), "xa": ("xã",), "huyen": ("huyện",), "quan": ("quận",), "so": ("sở",),
    "cuc": ("cục",), "phong": ("phòng",),
}
# "sở" before a name ("Sở Y tế", "sở tư pháp"), never "cơ sở", "sở hữu", "sở thích", "sở dĩ", "sở tại".
_SO_RE = re.compile(r"(?<!\w)(?<![Cc]ơ )(?:sở(?= [a-zà-ỹđ])(?! (?:hữu|thích|dĩ|tại|cứ|vật))|Sở(?= [A-ZÀ-ỸĐ]))")


def _folded_words(text: str) -> tuple[str, list[int]]:
    """Folded words (and commas) joined by single spaces, with each character's offset in `text`."""
    aligned = aligned_fold(text)
    out, where = [], []
    for m in re.finditer(r"[a-z0-9,]+", aligned):
        if out:
            out.append(" ")
            where.append(m.start())
        out.extend(m.group())
        where.extend(range(m.start(), m.end()))
    return "".join(out), where


def _written_as_body(text: str, where: list[int], m: re.Match) -> bool:
    """Every ambiguous folded word of the match is the body's word in the text, or unaccented there."""
    for w in re.finditer(r"[a-z0-9]+", m.group()):
        allowed = AMBIGUOUS_FOLDED.get(w.group())
        if not allowed:
            continue
        at = where[m.start() + w.start()]
        original = text[at:at + len(w.group())].lower()
        if original != w.group() and original not in allowed:
            return False
    return True


def bodies_in(text: str) -> list[str]:
    """Kinds of body a text names (BODY_KINDS), in order of first mention."""
    return list(_bodies_in(text))


@functools.lru_cache(maxsize=16384)
def _bodies_in(text: str) -> tuple[str, ...]:
    # cached: the same clause leads are read for every question they are a candidate of
    plain = nfc(text)
    folded, where = _folded_words(plain)
    found: list[tuple[int, str]] = [(m.start(), "department") for m in _SO_RE.finditer(plain)][:1]
    for body in BODY_KINDS:
        m = next((m for m in body.pattern.finditer(folded) if _written_as_body(plain, where, m)), None)
        if m:
            found.append((where[m.start()], body.kind))
            folded = body.pattern.sub(lambda x: " " * len(x.group()), folded)
    seen: dict[str, int] = {}
    for pos, kind in sorted(found):
        seen.setdefault(kind, pos)
    return tuple(seen)


def actors_in(text: str) -> list[str]:
    """The coarse kinds ("ministry", "province" for local government) a text names, in order."""
    out: list[str] = []
    for kind in bodies_in(text):
        actor = KINDS[kind].actor
        if actor not in out:
            out.append(actor)
    if "province" not in out and _LOCAL_RE.search(_folded_words(nfc(text))[0]):
        out.append("province")
    return out


def levels_in(text: str) -> set[str]:
    """Levels of local government a text names: "province", "district", "commune"."""
    return {KINDS[k].level for k in bodies_in(text)} - {"central"}


def names_in(text: str, names: tuple[str, ...]) -> list[str]:
    """Which of `names` (particular bodies: "Bộ Thông tin và Truyền thông", "Bộ TT&TT") a text writes,
    in the order given. Matched on folded words like the kinds above, so a question typed without
    diacritics matches too; a comma, "&" or "-" between the words does not count, and an ambiguous
    folded word ("bo") must be written as the body's word ("Bộ", not "bổ")."""
    return list(_names_in(text, tuple(names)))


@functools.lru_cache(maxsize=4096)
def _names_in(text: str, names: tuple[str, ...]) -> tuple[str, ...]:
    plain = nfc(text)
    folded, where = _folded_words(plain)
    found = []
    for name in names:
        words = re.findall(r"[a-z0-9]+", aligned_fold(nfc(name)))
        if not words:
            continue
        rx = re.compile(r"(?<![a-z0-9])" + r",? ".join(map(re.escape, words)) + r"(?![a-z0-9])")
        if any(_written_as_body(plain, where, m) for m in rx.finditer(folded)):
            found.append(name)
    return tuple(found)
