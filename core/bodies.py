"""The one taxonomy of public bodies: what kind of body a text names, at which level of government,
and which coarse kind (a ministry, or local government) a document's scope means.

Used alike by ingest (the scope a document's "Đối tượng áp dụng" states, stored on its nodes) and by
questions and clauses (the asker, the body a khoản addresses, the level it is about). One table, on
folded text so that questions typed without diacritics match too; a folded word that is also another
word ("tinh" is "tỉnh" but also "tính", "tình"; "bo" is "bộ" but also "bổ", "bố"; "xa", "huyen",
"quan", "so") counts as the body only where the text writes the body's word or has no diacritics
there at all.

The official's desk (qa.desk) reads finer kinds too (DESK_KINDS: a Bộ by name, the press, its owner,
the spokesperson, missions) and, for the coarse kinds, the stricter names clauses use (`desk_pattern`),
with each mention's span (`body_mentions`); `bodies_in` keeps to the coarse kinds.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from core.vocab import aligned_fold, fold, nfc, spell_out


@dataclass(frozen=True)
class BodyKind:
    kind: str  # "province", "department", …
    level: str  # "central" | "province" | "district" | "commune"
    actor: str  # the coarse kind a document's scope is stated in: "ministry" | "province" (local government)
    label: str  # how an answer names the kind
    pattern: re.Pattern  # on folded words joined by single spaces (commas kept)
    # How a clause names the body as the desk reads it (qa.desk: who must do what), when stricter
    # than `pattern`: a question's bare "tỉnh" is the province, a clause's "tại tỉnh" is a place.
    desk_pattern: re.Pattern | None = None
    # Broader kinds whose duties fall on this body too: a clause addressed to "các Bộ" binds the Bộ
    # Ngoại giao; one addressed to "cơ quan quản lý nhà nước về báo chí" binds the province.
    bears: tuple[str, ...] = ()


_P = re.compile
# The desk's names of the local levels: "Ủy ban nhân dân" (or its chairman) with the level, never a
# bare "tỉnh" (a place); a provincial agency by its legal name or as "Sở …".
_DESK_PROVINCE = _P(r"\b(?:chu tich )?(?:uy ban nhan dan|ubnd) (?:cac )?(?:cap )?(?:tinh|thanh pho truc thuoc trung uong)"
                    r"(?:,? thanh pho truc thuoc trung uong)?\b")
_DESK_DEPARTMENT = _P(r"\b(?:cac )?co quan chuyen mon (?:(?:thuoc|cua) (?:uy ban nhan dan|ubnd) )?(?:cap )?(?:tinh|thanh pho)"
                      r"(?:,? thanh pho truc thuoc trung uong)?(?: duoc giao quyen)?\b"
                      r"|\b(?:giam doc )?so (?:thong tin va truyen thong|van hoa,? the thao va du lich|tu phap|noi vu|ngoai vu)\b")
# "các Bộ", "Bộ trưởng, Thủ trưởng cơ quan ngang Bộ": a Bộ not named (a named one is matched first).
_DESK_MINISTRY = _P(r"\bco quan ngang bo\b|\bco quan thuoc chinh phu\b|\btong cuc\b"
                    r"|(?<!can )(?<!toan )(?<!noi )(?<!mot )(?<!01 )\bbo(?: truong)?\b"
                    r"(?! (?:phan|may|luat|ho so|doi|nhan dien|chu quan|tieu chi|quy tac|mau)\b)")

# Most specific first: a match consumes its span, so a provincial department is not also the
# province. A "Sở" is by law a specialised agency of the provincial People's Committee.
BODY_KINDS: tuple[BodyKind, ...] = (
    BodyKind("department", "province", "province", "cơ quan chuyên môn thuộc Ủy ban nhân dân cấp tỉnh", re.compile(
        r"\bco quan chuyen mon (?:thuoc|cua) (?:uy ban nhan dan|ubnd) (?:cap )?(?:tinh|thanh pho)\b"
        r"|\bto chuc,? cap tinh thuoc co quan trung uong\b|\bnganh doc\b|(?<!tong )\bcuc\b(?! bo)"),
        desk_pattern=_DESK_DEPARTMENT),
    BodyKind("district_department", "district", "province", "cơ quan chuyên môn thuộc Ủy ban nhân dân cấp huyện",
             re.compile(r"\bco quan chuyen mon (?:thuoc|cua) (?:uy ban nhan dan|ubnd) (?:cap )?(?:huyen|quan)\b"
                        r"|\bphong (?:van hoa|tu phap|noi vu|giao duc|y te|tai chinh)\b")),
    BodyKind("commune", "commune", "province", "Ủy ban nhân dân cấp xã", re.compile(
        r"\b(?:uy ban nhan dan|ubnd|chu tich) (?:cap )?(?:xa|phuong)\b|\bcap xa\b")),
    BodyKind("district", "district", "province", "Ủy ban nhân dân cấp huyện", re.compile(
        r"\b(?:uy ban nhan dan|ubnd|chu tich) (?:cap )?(?:huyen|quan)\b|\bcap huyen\b")),
    BodyKind("province", "province", "province", "Ủy ban nhân dân cấp tỉnh", re.compile(
        r"\b(?:uy ban nhan dan|ubnd|chu tich ubnd|chu tich uy ban nhan dan) (?:cap )?(?:tinh|thanh pho)\b"
        r"|\bcap tinh\b|\btinh, thanh pho truc thuoc trung uong\b|\btinh\b"),
        desk_pattern=_DESK_PROVINCE, bears=("press_authority",)),
    BodyKind("ministry", "central", "ministry", "các Bộ, cơ quan ngang Bộ, cơ quan thuộc Chính phủ", re.compile(
        r"\bco quan ngang bo\b|\bco quan thuoc chinh phu\b|\btong cuc\b"
        r"|(?<!can )(?<!toan )\bbo\b(?! (?:phan|may|luat|ho so|doi|truong|nhan dien|chu quan))"),
        desk_pattern=_DESK_MINISTRY),
)

# The Bộ by name: (kind, name as written). Each bears what is laid on "các Bộ".
_MINISTRIES = (
    ("mic", "Bộ Thông tin và Truyền thông"), ("mofa", "Bộ Ngoại giao"),
    ("mocst", "Bộ Văn hóa, Thể thao và Du lịch"), ("mps", "Bộ Công an"), ("mod", "Bộ Quốc phòng"),
    ("mof", "Bộ Tài chính"), ("moha", "Bộ Nội vụ"), ("moj", "Bộ Tư pháp"), ("mpi", "Bộ Kế hoạch và Đầu tư"),
    ("moit", "Bộ Công Thương"), ("moet", "Bộ Giáo dục và Đào tạo"), ("moh", "Bộ Y tế"),
    ("most", "Bộ Khoa học và Công nghệ"), ("molisa", "Bộ Lao động - Thương binh và Xã hội"),
    ("mard", "Bộ Nông nghiệp và Phát triển nông thôn"), ("monre", "Bộ Tài nguyên và Môi trường"),
    ("mot", "Bộ Giao thông vận tải"), ("moc", "Bộ Xây dựng"),
)
# Departments of the Bộ Thông tin và Truyền thông that act for it in these texts.
_MIC_UNITS = (r"|\bcuc (?:bao chi|thong tin doi ngoai|phat thanh,? truyen hinh va thong tin dien tu)\b"
              r"|\bcac don vi thuoc bo thong tin va truyen thong\b")


def _ministry_pattern(kind: str, name: str) -> re.Pattern:
    words = " ".join(re.escape(w).replace(",", ",?") for w in re.findall(r"[a-z0-9,]+", fold(name)))
    return _P(rf"\b(?:bo truong )?{words}\b" + (_MIC_UNITS if kind == "mic" else ""))


# Finer kinds the official's desk (qa.desk) tells apart: a Bộ by name, the press and its owner,
# the spokesperson, Vietnam's missions abroad, foreign press and missions. `bodies_in` (the
# questions' and scopes' reading) keeps to BODY_KINDS; the desk reads these first, then those.
DESK_KINDS: tuple[BodyKind, ...] = (
    BodyKind("press_head", "central", "", "người đứng đầu cơ quan báo chí", _P(
        r"\b(?:nguoi dung dau|lanh dao) (?:cua )?(?:cac )?co quan (?:thong tan,? )?bao chi\b")),
    BodyKind("press_owner", "central", "", "cơ quan chủ quản báo chí", _P(
        r"\bco quan chu quan bao chi\b|\bco quan chu quan\b(?! (?:don doan|viet nam)\b)")),
    BodyKind("foreign_press", "central", "", "báo chí nước ngoài, phóng viên nước ngoài", _P(
        r"\b(?:van phong thuong tru cua )?(?:co quan )?(?:thong tan,? )?bao chi(?:,? (?:cong ty )?truyen thong)*,?"
        r" (?:phong vien )?nuoc ngoai\b|\bphong vien nuoc ngoai\b|\bvan phong thuong tru\b")),
    BodyKind("foreign_mission", "central", "", "cơ quan đại diện nước ngoài, tổ chức nước ngoài tại Việt Nam", _P(
        r"\bco quan dai dien nuoc ngoai(?:,? to chuc nuoc ngoai)?\b|\bto chuc nuoc ngoai\b")),
    BodyKind("mission", "central", "", "cơ quan đại diện Việt Nam ở nước ngoài", _P(
        r"\bco quan dai dien (?:nuoc cong hoa xa hoi chu nghia )?viet nam (?:o|tai) nuoc ngoai\b")),
    BodyKind("press_authority", "central", "", "cơ quan quản lý nhà nước về báo chí", _P(
        r"\bco quan (?:chi dao, )?quan ly nha nuoc (?:ve|doi voi) bao chi\b")),
    BodyKind("spokesperson", "central", "", "người phát ngôn", _P(
        r"\bnguoi (?:duoc uy quyen )?phat ngon\b(?:,? nguoi duoc uy quyen phat ngon\b)?")),
    *(BodyKind(kind, "central", "ministry", name, _ministry_pattern(kind, name),
               bears=("ministry", "press_authority") if kind == "mic" else ("ministry",))
      for kind, name in _MINISTRIES),
    # A press agency ("cơ quan báo chí", "cơ quan báo nói, báo hình, báo điện tử", "báo chí đối ngoại",
    # a radio or television station); bare "báo chí" only as the one who has a duty or a right.
    BodyKind("press", "central", "", "cơ quan báo chí", _P(
        r"\b(?:cac )?co quan (?:thong tan,? )?bao chi\b|\bco quan thong tan(?: nha nuoc)?\b"
        r"|\b(?:cac )?co quan bao (?:in|noi|hinh|dien tu)(?:,? (?:va )?bao (?:in|noi|hinh|dien tu))*\b"
        r"|\bbao chi doi ngoai\b|\bbao chi thuc hien viec dang, phat noi dung thong tin doi ngoai\b"
        r"|\b(?:cac )?dai phat thanh,? (?:va )?truyen hinh\b"
        r"|\bbao chi\b(?= (?:co nhiem vu|co quyen|co trach nhiem|phai|duoc|khong duoc|khong bi|hoat dong)\b)")),
)
KINDS: dict[str, BodyKind] = {b.kind: b for b in (*BODY_KINDS, *DESK_KINDS)}
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


_FOLDED_WORD = re.compile(r"[a-z0-9,]+")


def _folded_words(text: str) -> tuple[str, list[int]]:
    """Folded words (and commas) joined by single spaces, with each character's offset in `text`."""
    aligned = aligned_fold(text)
    spans = [m.span() for m in _FOLDED_WORD.finditer(aligned)]
    where: list[int] = []
    for i, (a, b) in enumerate(spans):
        if i:
            where.append(a)  # the space before a word stands at the word's offset
        where.extend(range(a, b))
    return " ".join(aligned[a:b] for a, b in spans), where


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


# ---------------------------------------------------------------- the desk: who a clause names, where

# The desk's reading order: the finer kinds first (a match consumes its span), then the coarse ones.
_DESK_ORDER: tuple[BodyKind, ...] = (*DESK_KINDS, *BODY_KINDS)
# The kinds an official chooses from (qa.desk, `kb duties`), in the order the chooser lists them.
DESK_CHOICES: tuple[str, ...] = (
    "province", "department", "district", "commune", "ministry", *(k for k, _ in _MINISTRIES), "mission",
    "press", "press_owner", "press_head", "spokesperson", "press_authority", "foreign_press", "foreign_mission",
    "district_department")
_COARSE = frozenset(b.kind for b in BODY_KINDS)
# A word every body's name has one of (folded): a text without any is read no further.
_ANY_BODY = re.compile(r"\b(?:bo|so|uy ban|ubnd|co quan|cuc|bao chi|nguoi|phong vien|dai|van phong|to chuc|chu tich"
                       r"|tong cuc|cap|nganh|phong|thu truong|giam doc|lanh dao)\b")
# Bare words an official may type for a kind.
_DESK_ALIASES = {"so": "department", "bao chi": "press", "cac bo": "ministry", "bo nganh": "ministry"}


@dataclass(frozen=True)
class BodyMention:
    kind: str
    start: int  # offsets in nfc(text)
    end: int
    text: str  # as written


def body_mentions(text: str) -> list[BodyMention]:
    """Every body a text names, as the desk reads it (DESK_KINDS, then BODY_KINDS with their
    desk patterns), with its span, in order of position. A "Sở Y tế" is a department."""
    return list(_body_mentions(nfc(text)))


def _blank(folded: str, spans) -> str:
    """`folded` with the spans replaced by spaces (same length: offsets stay valid)."""
    chars = list(folded)
    for a, b in spans:
        chars[a:b] = " " * (b - a)
    return "".join(chars)


@functools.lru_cache(maxsize=16384)
def _body_mentions(plain: str) -> tuple[BodyMention, ...]:
    # cached: a sentence is read for its subjects, its counterparts and its deadlines
    folded, where = _folded_words(plain)
    if not _ANY_BODY.search(folded):
        return ()
    found: list[BodyMention] = []
    for m in _SO_RE.finditer(plain):  # "Sở" and the word after it; its span is not read again
        name = re.match(r"\S+ \S+", plain[m.start():])
        end = m.start() + (len(name.group()) if name else len(m.group()))
        found.append(BodyMention("department", m.start(), end, plain[m.start():end]))
        folded = _blank(folded, [(i, i + 1) for i, at in enumerate(where) if m.start() <= at < end])
    for body in _DESK_ORDER:
        pattern = body.desk_pattern or body.pattern
        # the finer kinds are phrases ("cơ quan chủ quản", "phóng viên"): no folded word in them is ambiguous
        hits = [m for m in pattern.finditer(folded)
                if m.group().strip() and (body.kind not in _COARSE or _written_as_body(plain, where, m))]
        for m in hits:
            start, end = where[m.start()], where[m.end() - 1] + 1
            found.append(BodyMention(body.kind, start, end, plain[start:end]))
        if hits:
            folded = _blank(folded, [(m.start(), m.end()) for m in hits])
    return tuple(sorted(found, key=lambda b: b.start))


_LETTERS = {"a": "aàáảãạăằắẳẵặâầấẩẫậ", "e": "eèéẻẽẹêềếểễệ", "i": "iìíỉĩị", "o": "oòóỏõọôồốổỗộơờớởỡợ",
            "u": "uùúủũụưừứửữự", "y": "yỳýỷỹỵ", "d": "dđ"}


def _unfolded(pattern: str) -> str:
    """A pattern written on folded words ("bo ngoai giao") as one on the lower-cased text as written
    ("bộ ngoại giao"): each letter any of its accented forms, each space any run of what folding drops
    (one such character inside a look-behind, which must keep a fixed width)."""
    out, escaped, groups = [], False, []  # groups: whether each open group is a look-behind
    for i, c in enumerate(pattern):
        if escaped:
            out.append(c)
            escaped = False
        elif c == "\\":
            out.append(c)
            escaped = True
        elif c == "(":
            groups.append(pattern.startswith("(?<", i) and pattern[i + 3:i + 4] in "!=")
            out.append(c)
        elif c == ")":
            if groups:
                groups.pop()
            out.append(c)
        elif c in _LETTERS:
            out.append(f"[{_LETTERS[c]}]")
        elif c == " ":
            out.append(r"[^\w,]" if any(groups) else r"[^\w,]+")
        else:
            out.append(c)
    return "".join(out)


@functools.lru_cache(maxsize=64)
def mention_filter(kinds: frozenset[str]) -> re.Pattern:
    """A quick test, on the lower-cased text as written, that a text may name one of `kinds` (a
    superset of body_mentions: the desk reads no further a text it rejects)."""
    parts = [_unfolded((KINDS[k].desk_pattern or KINDS[k].pattern).pattern) for k in sorted(kinds) if k in KINDS]
    if "department" in kinds:
        parts.append(r"(?<!\w)sở\s")
    return re.compile("|".join(f"(?:{p})" for p in parts) or r"(?!)")


def desk_kind(name: str) -> str | None:
    """The kind an official means ("UBND tỉnh", "Bộ TTTT", "cơ quan báo chí", "province"); None if none."""
    name = (name or "").strip()
    if name in KINDS:
        return name
    folded = spell_out(" " + " ".join(re.findall(r"[a-z0-9,]+", fold(name))) + " ").strip()
    if folded in _DESK_ALIASES:
        return _DESK_ALIASES[folded]
    for body in _DESK_ORDER:
        if (body.desk_pattern or body.pattern).search(folded):
            return body.kind
    return next((k for k in DESK_CHOICES if fold(KINDS[k].label) == folded), None)


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
