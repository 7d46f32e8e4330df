"""Ai phải làm gì: every clause in force that gives a body a duty, a power or a prohibition.

Pure: DeskDocuments in, Duty rows out. A row is the smallest unit that states one duty completely:
- a clause, point or article whose own sentence has the body as its subject (qa.desk.reading);
- in an article titled by a body ("Điều 18. Bộ Thông tin và Truyền thông", "Trách nhiệm của Ủy ban
  nhân dân các tỉnh …"), each clause that opens with an action and names no other subject;
- under a lead that lists duties ("… có những nhiệm vụ sau đây:", "Quyền của báo chí đối ngoại:",
  "4. Ủy ban nhân dân cấp xã:"), each point; under a lead that lists contents ("… phải thể hiện đầy
  đủ các nội dung sau đây:", "… bao gồm:"), the clause (or the article) with its points is one row.
Each row is classified (chủ trì / phối hợp / báo cáo / được / không được / phải) and names the other
bodies of the unit (the counterparts), its citation and its verbatim text.
"""
from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass
from typing import Collection, Iterable

from core.bodies import KINDS, body_mentions, mention_filter
from core.vocab import aligned_fold, nfc
from ingest.model import Article
from ingest.structure import clause_tail
from qa.desk.reading import ACTION_RE, MARKER_RE, Reading, bare_lead, first_word_tag, readings, title_bodies
from qa.desk.source import DeskDocument
from qa.desk.timeparse import parse_time_limits

ROLES = ("chủ trì", "phối hợp", "báo cáo", "được", "không được", "phải")
# How a row was found, said in the checklist's "căn cứ" column.
HOW = {"subject": "chủ thể của câu", "title": "tên điều", "lead": "câu dẫn của khoản/điều"}

# Words before the kind of rule that do not decide it ("có trách nhiệm phối hợp" is phối hợp).
_WEAK = re.compile(r"^(?:(?:co trach nhiem|chiu trach nhiem|co nhiem vu|co nghia vu|phai|can|se|dinh ky|hang (?:nam|quy|thang)"
                   r"|thuong xuyen|chu dong|hoac|va|hay|,)\s*)+")
_ROLE_AT_START = (("không được", re.compile(r"^(?:khong duoc|nghiem cam|cam|khong (?:duoc phep|the))\b")),
                  ("chủ trì", re.compile(r"^chu tri\b")), ("phối hợp", re.compile(r"^phoi hop\b")),
                  ("được", re.compile(r"^(?:duoc|co quyen|co cac quyen|co nhung quyen|co the)\b")))
_REPORT = re.compile(r"\bbao cao\b(?! (?:sai lech|vien)\b)")
# A lead whose points are duties: it ends by naming them ("… có những nhiệm vụ, quyền hạn sau đây:").
_LIST_WORDS = r"(?:nhiem vu|quyen han|trach nhiem|nghia vu|quyen)"
_LIST_LEAD = re.compile(rf"\b{_LIST_WORDS}(?:[, ]+(?:va )?{_LIST_WORDS})*(?: chu yeu)?(?: (?:sau|nhu sau)(?: day)?)?\s*:\s*$")
_RIGHTS_LEAD = re.compile(r"\bquyen\b(?! han)")
_DUTY_WORDS = re.compile(r"\b(?:nhiem vu|trach nhiem|nghia vu)\b")
# Time words a list item may open with before its action ("Hằng năm xây dựng kế hoạch …").
_ITEM_OPENERS = re.compile(r"^(?:doi voi [^:]{0,160}:\s*)?(?:(?:hang (?:nam|quy|thang|tuan)|dinh ky(?: hang (?:nam|quy|thang))?"
                           r"|thuong xuyen|truong hop can thiet|khi co yeu cau|chu dong)[ ,]*)?")
# Encouraged, not required ("Khuyến khích chọn lọc …"): neither a duty nor a power.
_ENCOURAGED = re.compile(r"\bkhuyen khich\b")
# Action words of a lead that announce a list of duties or powers ("… có trách nhiệm:", "… có quyền:"),
# against a plain verb whose objects are listed ("… cấp:").
_MODAL_LEAD = re.compile(r"(?:co (?:trach nhiem|nhiem vu|nghia vu|nhung|cac|quyen|the)|chiu trach nhiem|khong duoc"
                         r"|nghiem cam|phai|can|duoc)\b")
_HEADING_CHARS = 120
# A lead named like a title: "Quyền của báo chí đối ngoại:", "Trách nhiệm của …:".
_TITLE_LEAD = re.compile(rf"^{_LIST_WORDS}\b")


@dataclass(frozen=True)
class Duty:
    """One row of the checklist: what `body` must, may or must not do, and where the law says so."""

    body: str  # core.bodies kind
    role: str  # one of ROLES
    citation: str  # "Khoản 2 Điều 18 Nghị định 72/2015/NĐ-CP"
    formal_citation: str  # "khoản 2 Điều 18 Nghị định số 72/2015/NĐ-CP ngày 07/9/2015 của Chính phủ"
    quote: str  # verbatim text of the cited unit
    counterparts: tuple[str, ...]  # the other bodies the unit names (labels)
    document: str  # document key
    document_name: str
    article_title: str
    context: str = ""  # verbatim lead a point hangs from (shown before it, never part of the quote)
    how: str = "subject"  # key of HOW
    via: str = ""  # "" when the clause names the body; else the broader kind it binds the body as

    @property
    def body_label(self) -> str:
        return KINDS[self.body].label if self.body in KINDS else self.body

    def to_dict(self) -> dict:
        d = asdict(self)
        d["counterparts"] = list(self.counterparts)
        d["body_label"] = self.body_label
        d["via_label"] = KINDS[self.via].label if self.via in KINDS else ""
        return d


def role_of(predicate: str) -> str:
    """The kind of rule a predicate (from its action word on) states; "phải" unless it says otherwise."""
    low = _WEAK.sub("", aligned_fold(nfc(predicate)).lower().strip())
    for role, pattern in _ROLE_AT_START:
        if pattern.match(low):
            return role
    return "báo cáo" if _REPORT.search(low) else "phải"


def _body(text: str) -> str:
    """The unit's words without its "1." / "a)" marker."""
    m = MARKER_RE.match(text)
    return text[m.end() if m else 0:].strip()


@functools.lru_cache(maxsize=8192)
def starts_with_action(text: str) -> bool:
    """A list item that is an action ("Hướng dẫn …", "Sơ kết, tổng kết …", "Bảo mật thông tin …"),
    not a thing ("Tên sản phẩm báo chí;") nor a sentence with its own subject ("Chính phủ thống nhất …")."""
    body = _body(text)
    low = aligned_fold(body)
    at = 0
    for _ in range(3):  # openers and time limits, in any order: "Định kỳ 6 tháng gửi …", "Hằng năm, trước ngày … gửi …"
        start = at
        first = next(iter(parse_time_limits(body[at:at + 120])), None)
        if first is not None and first.start <= 1:
            at += first.end
            at += len(low[at:]) - len(low[at:].lstrip(" ,"))
        at += len(low[at:]) - len(_ITEM_OPENERS.sub("", low[at:], count=1))
        if at == start:
            break
    rest = low[at:]
    mentions = body_mentions(body[:at + 80])
    if not rest or mentions and mentions[0].start <= at or _ENCOURAGED.match(rest):
        return False
    if ACTION_RE.match(rest):
        return True
    return first_word_tag(body[at:]) in ("V", "A")  # the verbs not listed


def _lead_kind(text: str, own: tuple[Reading, ...], points=()) -> tuple[str, tuple[str, ...], str]:
    """What a lead (a clause's own lines, an article's intro) makes of the units under it (`points`,
    when known): ("list", kinds, default role) when they are each a duty of `kinds`; ("contents", kinds,
    "") when they complete the lead's one duty; ("", (), "") when the lead lays no duty."""
    body = _body(text)
    low = aligned_fold(body)
    # a lead written as a heading, with or without its colon ("1. Trách nhiệm của Bộ Thông tin và Truyền thông")
    heading = body.endswith(":") or (len(body) <= _HEADING_CHARS and not re.search(r"[.;,:]\s*$", body))
    bare = bare_lead(text) or (title_bodies(body) if heading and (_LIST_LEAD.search(low) or _TITLE_LEAD.match(low))
                               else ())
    if bare:
        return "list", bare, "được" if _RIGHTS_LEAD.search(low) and not _DUTY_WORDS.search(low) else ""
    if not own:
        return "", (), ""
    kinds = tuple(dict.fromkeys(m.kind for m in own[0].subjects))
    full = aligned_fold(nfc(text))
    action = ACTION_RE.match(full, own[0].action)
    bare_action = bool(action) and re.fullmatch(r"\s*:\s*", full[action.end():]) is not None  # "… có trách nhiệm:"
    if bare_action and not _MODAL_LEAD.match(full, action.start()) and points \
            and not any(starts_with_action(p.text) for p in points):
        return "contents", kinds, ""  # "Bộ trưởng … cấp:" over a list of licences: one duty, its objects listed
    if body.endswith(":") and (_LIST_LEAD.search(low) or bare_action):
        rights = _RIGHTS_LEAD.search(low[-60:]) and not _DUTY_WORDS.search(low[-60:])
        return "list", kinds, "được" if rights else ""
    return "contents", kinds, ""


class _Rows:
    """The rows of one document, deduplicated by (kind, citation)."""

    def __init__(self, doc: DeskDocument):
        self.doc, self.out, self.seen = doc, [], set()

    def add(self, kinds, role: str, how: str, a: Article, clause: str, point: str, quote: str, context: str,
            acting: set[tuple[int, int]] | None = None) -> None:
        cit = self.doc.citation(a.number, clause, point, a.kind)
        counterparts = []
        for m in body_mentions(quote):
            if m.kind not in kinds and (m.start, m.end) not in (acting or set()):
                label = KINDS[m.kind].label
                if label not in counterparts:
                    counterparts.append(label)
        for kind in kinds:
            if (kind, cit) in self.seen:
                continue
            self.seen.add((kind, cit))
            self.out.append(Duty(kind, role, cit, self.doc.formal(cit), quote, tuple(counterparts), self.doc.key,
                                 self.doc.name, a.title, context, how))


def _own_rows(rows: _Rows, own: tuple[Reading, ...], text: str, a: Article, clause: str, point: str, quote: str,
              context: str = "") -> None:
    acting = {(m.start, m.end) for r in own for m in r.subjects}
    for r in own:
        kinds = tuple(dict.fromkeys(m.kind for m in r.subjects))
        rows.add(kinds, role_of(text[r.action:r.end]), "subject", a, clause, point, quote, context, acting)


def _inherited(rows: _Rows, kinds, default_role: str, how: str, a: Article, clause: str, point: str, text: str,
               quote: str, context: str = "") -> None:
    rows.add(kinds, default_role or role_of(_ITEM_OPENERS.sub("", aligned_fold(_body(text)))), how, a, clause, point,
             quote, context)


def article_duties(doc: DeskDocument, a: Article) -> list[Duty]:
    """The duty rows of one article."""
    rows = _Rows(doc)
    titled = title_bodies(a.title)
    intro_own = readings(a.intro) if a.intro else ()
    if not a.clauses:
        if intro_own:
            _own_rows(rows, intro_own, nfc(a.intro), a, "", "", a.intro)
        elif titled and a.intro and starts_with_action(a.intro):
            _inherited(rows, titled, "", "title", a, "", "", a.intro, a.intro)
        return rows.out
    parent, parent_role, parent_how = titled, "", "title"
    encouraged = bool(a.intro) and bool(_ENCOURAGED.search(aligned_fold(a.intro)))  # "…, khuyến khích:"
    if encouraged:
        parent = ()
    elif a.intro:
        kind, kinds, default = _lead_kind(a.intro, intro_own)
        if kind == "contents":  # "Cơ quan báo chí phải ghi … các thông tin sau đây:" — the article is the row
            _own_rows(rows, intro_own, nfc(a.intro), a, "", "", a.full_text)
            parent = ()
        elif kind == "list":
            parent, parent_role, parent_how = kinds, default, "lead"
    for c in a.clauses:
        own = readings(c.text)
        points, tail = clause_tail(c)
        if not c.points:
            if own:
                _own_rows(rows, own, nfc(c.text), a, c.number, "", c.full_text)
            elif parent and starts_with_action(c.text):
                _inherited(rows, parent, parent_role, parent_how, a, c.number, "", c.text, c.full_text)
            continue
        kind, kinds, default = _lead_kind(c.text, own, points)
        how = "lead"
        if encouraged:
            kind = ""
        elif not kind and parent and starts_with_action(c.text):
            # a titled article's clause with points: its lead is the title body's duty
            low = aligned_fold(_body(c.text))
            if _LIST_LEAD.search(low) or not low.rstrip().endswith(":"):
                kind, kinds, default, how = "list", parent, parent_role, parent_how
            else:
                kind, kinds, how = "contents", parent, parent_how
        elif not kind and not own and parent and _body(c.text).endswith(":"):
            # "4. Ngôn ngữ thể hiện …:" in a titled article: actions under it are each a duty, else the
            # clause is one ("1. Đối với thông tin …: … việc đăng, phát được thực hiện như sau:")
            acts = any(starts_with_action(p.text) for p in points)
            kind, kinds, how = ("list" if acts else "contents"), parent, parent_how
        if kind == "contents":
            if own:
                _own_rows(rows, own, nfc(c.text), a, c.number, "", c.full_text)
            else:
                _inherited(rows, kinds, parent_role, how, a, c.number, "", c.text, c.full_text)
        elif own and kind != "list":
            _own_rows(rows, own, nfc(c.text), a, c.number, "", c.full_text)
        for p in points:
            p_own = readings(p.text)
            if p_own:
                _own_rows(rows, p_own, nfc(p.text), a, c.number, p.label, p.text, c.text)
            elif kind == "list" and not _ENCOURAGED.match(_ITEM_OPENERS.sub("", aligned_fold(_body(p.text)))):
                _inherited(rows, kinds, default, how, a, c.number, p.label, p.text, p.text, c.text)
        tail_own = readings(tail) if tail else ()
        if tail_own:  # "Hồ sơ gồm có: a) … d) …\nTrong thời hạn 20 ngày …, Cục … có trách nhiệm …": the clause's
            _own_rows(rows, tail_own, nfc(tail), a, c.number, "", c.full_text)
    return rows.out


def names_any(a: Article, kinds: Collection[str] | None) -> bool:
    """Whether an article (title and text) may name one of `kinds` (all when None): a quick test on
    the text as written, so a body's duties in the whole Pháp điển read only the articles naming it."""
    if kinds is None:
        return True
    return bool(mention_filter(frozenset(kinds)).search(nfc(f"{a.title}\n{a.full_text}").lower()))


def all_duties(docs: Iterable[DeskDocument], kinds: Collection[str] | None = None) -> list[Duty]:
    """Every duty row of every document, in document and article order; with `kinds`, only the
    articles that name one of them are read (the rows of other kinds found there are kept too)."""
    out = []
    for doc in docs:
        for a in doc.units:
            if names_any(a, kinds):
                out += article_duties(doc, a)
    return out


def duties_of(rows: Iterable[Duty], body: str, general: bool = True) -> list[Duty]:
    """The rows of one body; with `general`, also those laid on the broader kinds it is one of
    (a clause for "các Bộ" binds the Bộ Ngoại giao), marked with `via`."""
    broader = KINDS[body].bears if general and body in KINDS else ()
    out, seen = [], set()
    for d in rows:
        if d.body == body:
            out.append(d)
            seen.add(d.citation)
    for d in rows:
        if d.body in broader and d.citation not in seen:
            out.append(Duty(**{**d.__dict__, "body": body, "via": d.body}))
            seen.add(d.citation)
    return out


def duties(docs: Iterable[DeskDocument], body: str, general: bool = True) -> list[Duty]:
    """Ai phải làm gì: the duty rows of `body` (a core.bodies kind) in `docs`."""
    return duties_of(all_duties(docs), body, general)
