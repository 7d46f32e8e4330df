"""Hiệu lực: the legal status of a document or of one of its units on a date, and where it came from.

ONE pure decision, `status_of(doc, unit, as_of, relations)`, over the facts the base holds
(qa.validity_facts gathers them from the registry and the catalogue). The rules are tried in the
order of RULES; the first that speaks decides:

    secondary        a secondary source (an article about a text) has no legal effect of its own
    not_yet          the date is before the unit's (or the document's) effective date
    unit_repealed    a relation repeals or suspends this unit itself, or a unit containing it
    until            the Pháp điển note says the unit is in force only until a date, now past
    staff            legal staff set the status of the document (audited; may give a start date)
    relations        the document as a whole repealed or suspended, or parts of it repealed
    catalog          corpus/catalog.toml, verified metadata
    phapdien         the Bộ pháp điển states what is in force on its snapshot date
    unknown          nothing says; the reason lists what was missing

A relation counts from its own effective date, whether or not the amending document's text is in the
base (a Pháp điển note is a statement by the Pháp điển). A statement without a start date ("hết hiệu
lực" in the catalogue) is true from the day it was made, so for an earlier date it answers "không rõ".

`stored_wording` answers the other question a date asks: is the stored text the one in force on
that date? The Pháp điển keeps only the current wording, so a Pháp điển article changed after the
date is the later text; the earlier wording is not in the base.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import Callable

from core.vocab import VALIDITY_LABELS, format_iso
from ingest.amendments import Amendment, touches

VALUES = tuple(VALIDITY_LABELS)  # in_force, expired, partly_expired, suspended, not_yet, unknown
# Status words stored before this module (catalogue, readers, older corrections) -> VALUES.
LEGACY = {"amended": "in_force", "replaced": "expired", "secondary": "unknown", "": "unknown"}


def normalise(value: str) -> str:
    """A stored or typed status code -> one of VALUES (unknown codes -> "unknown")."""
    v = (value or "").strip()
    v = LEGACY.get(v, v)
    return v if v in VALUES else "unknown"


@dataclass(frozen=True)
class Statement:
    """What one source says about a document: a value, from when (`since`), said on what date."""

    value: str
    since: str = ""  # ISO date the state began ("" = not said)
    stated_on: str = ""  # ISO date it was said ("" = today: the catalogue describes the present)
    note: str = ""  # the source's own words (staff's reason, the catalogue's status_note)
    by: str = ""  # staff: who


@dataclass(frozen=True)
class DocFacts:
    key: str
    name: str  # "Luật 103/2016/QH13": how reasons name it
    source_kind: str = ""  # "phapdien" | "original" | "secondary" | "benchmark"
    effective_from: str = ""
    snapshot_on: str = ""  # Pháp điển: the snapshot is no earlier than this (ingest.readers.phapdien)
    catalog: Statement | None = None
    staff: Statement | None = None
    in_catalog: bool = False  # listed in corpus/catalog.toml (with or without a status)


@dataclass(frozen=True)
class UnitFacts:
    article: str
    clause: str = ""
    point: str = ""
    label: str = ""  # "Khoản 2 Điều 5 Luật 103/2016/QH13"
    effective_from: str = ""
    note: str = ""  # the Pháp điển amendment note of the article, verbatim


@dataclass(frozen=True)
class Status:
    value: str  # one of VALUES
    source: str  # one of core.vocab.VALIDITY_SOURCES
    reason: str  # Vietnamese, names the source and what it says
    since: str = ""  # ISO date the state began, when known

    @property
    def label(self) -> str:
        return VALIDITY_LABELS[self.value]

    def line(self) -> str:
        """"Còn hiệu lực (Bộ pháp điển: …)": what the UI, the CLI and the DOCX export print."""
        return f"{self.label} — {self.reason}" if self.reason else self.label

    def to_dict(self) -> dict:
        return asdict(self) | {"label": self.label}


@dataclass(frozen=True)
class Case:
    doc: DocFacts
    unit: UnitFacts | None
    as_of: str
    today: str
    relations: tuple[Amendment, ...] = ()

    @property
    def what(self) -> str:
        return (self.unit.label if self.unit and self.unit.label else "") or self.doc.name or self.doc.key


def _d(iso: str) -> str:
    return format_iso(iso)


def _next_day(iso: str) -> str:
    try:
        return (dt.date.fromisoformat(iso) + dt.timedelta(days=1)).isoformat()
    except ValueError:
        return ""


def _actions(a: Amendment) -> set[str]:
    return set(a.action.split(","))


def _by(a: Amendment) -> str:
    who = a.amending_unit or a.amending_name or a.amending_key
    return who + (" (theo ghi chú Bộ pháp điển)" if a.source == "phapdien" else "")


def _in_effect(a: Amendment, as_of: str) -> bool:
    return bool(a.effective_from) and a.effective_from <= as_of


def _covers(a: Amendment, u: UnitFacts) -> bool:
    """The change is to this unit or to one containing it (not to a part inside it)."""
    if not a.article or a.article.lower() != u.article.lower():
        return False
    return (not a.clause or a.clause == u.clause) and (not a.point or a.point == u.point)


# ---------------------------------------------------------------- the rules, in order


def rule_secondary(c: Case) -> Status | None:
    if c.doc.source_kind == "secondary":
        return Status("unknown", "none", "nguồn thứ cấp (bài viết, tư vấn), không phải văn bản có hiệu lực pháp lý")
    return None


def rule_not_yet(c: Case) -> Status | None:
    eff = (c.unit.effective_from if c.unit else "") or c.doc.effective_from
    if eff and c.as_of < eff:
        return Status("not_yet", "dates", f"{c.what} có hiệu lực từ {_d(eff)}", eff)
    return None


def rule_unit_repealed(c: Case) -> Status | None:
    if c.unit is None:
        return None
    for a in sorted(c.relations, key=lambda a: a.effective_from, reverse=True):
        if not _in_effect(a, c.as_of) or a.partial or not _covers(a, c.unit):
            continue
        if "repeal" in _actions(a):
            return Status("expired", "relations", f"{c.what} bị bãi bỏ bởi {_by(a)} từ {_d(a.effective_from)}",
                          a.effective_from)
        if "suspend" in _actions(a):
            return Status("suspended", "relations", f"{c.what} bị ngưng hiệu lực bởi {_by(a)} từ "
                          f"{_d(a.effective_from)}", a.effective_from)
    return None


# The article's own end date opens its amendment note ("có hiệu lực thi hành đến [hết] ngày …"; one note of
# the Pháp điển spells it "hiệc"); an end date further on belongs to something else the note names
# ("Phụ lục II ban hành kèm theo Thông tư … có hiệu lực thi hành đến hết ngày 30/6/2024").
_UNTIL_RE = re.compile(r"^[\s,;]*có hiệ[uc] lực(?: thi hành)? đến (?:hết )?ngày\s*(\d{1,2})/(\d{1,2})/(\d{4})")


def until_of(note: str) -> str:
    """"có hiệu lực thi hành đến [hết] ngày 31/12/2099." (the amendment note of a Pháp điển article: what
    its source note says after the source) -> "2099-12-31"; else ""."""
    m = _UNTIL_RE.search(note or "")
    return f"{int(m[3]):04d}-{int(m[2]):02d}-{int(m[1]):02d}" if m else ""


def rule_until(c: Case) -> Status | None:
    last = until_of(c.unit.note) if c.unit else ""
    if last and c.as_of > last:
        return Status("expired", "phapdien", f"Bộ pháp điển ghi {c.what} có hiệu lực thi hành đến ngày {_d(last)}",
                      _next_day(last))
    return None


def _statement(s: Statement | None, c: Case, source: str, who: str) -> Status | None:
    if s is None or not s.value:
        return None
    value = normalise(s.value)
    said = f"{who}: {VALIDITY_LABELS[value].lower()}" + (f" từ {_d(s.since)}" if s.since else "") + (
        f" ({s.note})" if s.note else "")
    if s.since:
        # before the date it gives, this source says nothing about the state
        return Status(value, source, said, s.since) if c.as_of >= s.since else None
    stated = s.stated_on or c.today
    if value == "in_force" or c.as_of >= stated:
        eff = (c.unit.effective_from if c.unit else "") or c.doc.effective_from
        return Status(value, source, said, eff if value == "in_force" else "")
    return Status("unknown", source, f"{said}, không ghi từ ngày nào; không rõ hiệu lực tại ngày {_d(c.as_of)}")


def rule_staff(c: Case) -> Status | None:
    s = c.doc.staff
    who = "cán bộ pháp chế" + (f" {s.by}" if s and s.by else "") + (
        f" xác định ngày {_d(s.stated_on)}" if s and s.stated_on else " xác định")
    return _statement(s, c, "staff", who)


def rule_relations(c: Case) -> Status | None:
    live = [a for a in c.relations if _in_effect(a, c.as_of)]
    for a in live:
        if not a.article and not a.partial and "repeal" in _actions(a):
            return Status("expired", "relations", f"{c.doc.name} bị bãi bỏ bởi {_by(a)} từ {_d(a.effective_from)}",
                          a.effective_from)
        if not a.article and not a.partial and "suspend" in _actions(a):
            return Status("suspended", "relations", f"{c.doc.name} bị ngưng hiệu lực bởi {_by(a)} từ "
                          f"{_d(a.effective_from)}", a.effective_from)
    # parts repealed: of the document, or inside the unit asked about
    parts = [a for a in live if "repeal" in _actions(a) and a.article
             and (c.unit is None or touches(a, c.unit.article, c.unit.clause, c.unit.point))]
    if parts:
        a = max(parts, key=lambda a: a.effective_from)
        where = f"Điều {a.article}" + (f" khoản {a.clause}" if a.clause else "")
        more = f" và {len(parts) - 1} nội dung khác" if len(parts) > 1 else ""
        return Status("partly_expired", "relations", f"{where}{more} của {c.doc.name} bị bãi bỏ "
                      f"{'một phần ' if a.partial else ''}bởi {_by(a)} từ {_d(a.effective_from)}", a.effective_from)
    return None


def rule_catalog(c: Case) -> Status | None:
    return _statement(c.doc.catalog, c, "catalog", "danh mục văn bản đã kiểm tra")


def rule_phapdien(c: Case) -> Status | None:
    if c.doc.source_kind != "phapdien":
        return None
    eff = (c.unit.effective_from if c.unit else "") or c.doc.effective_from
    snap = c.doc.snapshot_on
    where = f"bản cập nhật không sớm hơn {_d(snap)}" if snap else "bản không ghi ngày cập nhật"
    reason = f"Bộ pháp điển ({where}) còn ghi {c.what} là quy định đang có hiệu lực"
    if not snap:
        reason += "; nạp lại tệp đề mục (`kb ingest --force`) để ghi ngày cập nhật"
    elif c.as_of > snap:
        reason += f"; sau ngày {_d(snap)} cần kiểm tra lại"
    return Status("in_force", "phapdien", reason, eff)


def rule_unknown(c: Case) -> Status:
    eff = (c.unit.effective_from if c.unit else "") or c.doc.effective_from
    listed = "danh mục không ghi hiệu lực" if c.doc.in_catalog else "không có trong danh mục"
    reason = f"{listed}, không lấy từ Bộ pháp điển, không có quan hệ bãi bỏ và cán bộ pháp chế chưa xác định"
    if eff:
        reason += f" (đã đến ngày có hiệu lực {_d(eff)}, nhưng không có nguồn xác nhận còn hiệu lực)"
    return Status("unknown", "none", reason)


@dataclass(frozen=True)
class Rule:
    name: str
    decide: Callable[[Case], Status | None]


RULES: tuple[Rule, ...] = (
    Rule("secondary", rule_secondary),
    Rule("not_yet", rule_not_yet),
    Rule("unit_repealed", rule_unit_repealed),
    Rule("until", rule_until),
    Rule("staff", rule_staff),
    Rule("relations", rule_relations),
    Rule("catalog", rule_catalog),
    Rule("phapdien", rule_phapdien),
)


def status_of(doc: DocFacts, unit: UnitFacts | None, as_of: str, relations=(), today: str | None = None,
              rules: tuple[Rule, ...] = RULES) -> Status:
    """The status of `doc` (or of its `unit`) on `as_of` (ISO date). `relations`: the amendment
    relations stored on the document (qa.amended.relations_for). `today`: when the catalogue is read
    (its statements describe the present). `rules`: RULES, or a subset (the table test removes one)."""
    case = Case(doc, unit, as_of, today or dt.date.today().isoformat(), tuple(relations))
    for rule in rules:
        found = rule.decide(case)
        if found is not None:
            return found
    return rule_unknown(case)


# ---------------------------------------------------------------- which wording a stored text is


@dataclass(frozen=True)
class Wording:
    """Whether the stored text of a unit is the text in force on a date."""

    current_only: bool = False  # the stored text took effect after the date; the earlier one is not in the base
    since: str = ""  # when the stored wording took effect, when the notes say
    note: str = ""  # Vietnamese: said plainly wherever the text is shown
    changes: list[str] = field(default_factory=list)  # the amending provisions, with their dates


def stored_wording(source_kind: str, unit: UnitFacts, as_of: str | None, relations=(),
                   snapshot_on: str = "") -> Wording:
    """A Pháp điển article is kept in its current wording: when a change the notes record (`relations`
    with source "phapdien") took effect after `as_of`, the stored text is the later text, and the
    wording in force on `as_of` is not in the base. Other documents are stored as enacted and their
    amendments applied from the amending texts (qa.amended), so their wording on a date is known.
    `as_of` None: today, whose wording the stored one is."""
    if not as_of or source_kind != "phapdien":
        return Wording()
    mine = [a for a in relations if a.source == "phapdien" and a.article
            and a.article.lower() == unit.article.lower()]
    later = [a for a in mine if a.effective_from and a.effective_from > as_of]
    undated = [a for a in mine if not a.effective_from and (not snapshot_on or as_of < snapshot_on)]
    if not later and not undated:
        return Wording()
    since = max((a.effective_from for a in later), default="")
    changes = [_by(a).replace(" (theo ghi chú Bộ pháp điển)", "") + (
        f" (từ {_d(a.effective_from)})" if a.effective_from else " (không rõ ngày)") for a in later + undated]
    what = unit.label or f"Điều {unit.article}"
    note = (f"Tại ngày {_d(as_of)}, nội dung có hiệu lực của {what} không có trong cơ sở dữ liệu: Bộ pháp điển chỉ "
            f"giữ nội dung đã sửa đổi bởi {'; '.join(dict.fromkeys(changes))}. Nội dung trích của điều này là nội "
            "dung hiện hành, không phải nội dung tại ngày đó, nên không dùng làm căn cứ cho ngày đó.")
    return Wording(True, since, note, list(dict.fromkeys(changes)))
