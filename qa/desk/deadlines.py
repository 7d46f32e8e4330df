"""Thời hạn: every time limit and period in the clauses in force, with who must act, for whom, on
what trigger, and where the law says so.

Pure: DeskDocuments in, Deadline rows out. Each unit's own text (an article's intro, a clause's lead,
a point) is parsed by qa.desk.timeparse; the body that must act is the subject of the sentence that
holds the limit (qa.desk.reading), else the body the unit's duty row names (an article's title, a
lead), else none (the text names a kind of person or firm, not a body of the taxonomy).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Collection, Iterable

from core.bodies import KINDS, body_mentions
from core.vocab import nfc
from ingest.structure import clause_tail
from qa.desk.duties import Duty, all_duties, names_any
from qa.desk.reading import readings
from qa.desk.source import DeskDocument
from qa.desk.timeparse import TimeLimit, parse_time_limits

KIND_LABELS = {"fixed": "ngày cố định", "period": "định kỳ", "relative": "tính từ sự kiện"}


@dataclass(frozen=True)
class Deadline:
    limit: TimeLimit
    bodies: tuple[str, ...]  # core.bodies kinds that must act ("" when the text names none)
    recipients: tuple[str, ...]  # labels of the bodies the sentence sends to or names besides them
    citation: str
    formal_citation: str
    quote: str  # verbatim text of the cited unit
    document: str
    document_name: str
    article_title: str
    context: str = ""  # the lead a point hangs from (verbatim)
    via: str = ""  # set by deadlines_of when the body acts as one of a broader kind

    @property
    def kind(self) -> str:
        return self.limit.kind

    @property
    def trigger(self) -> str:
        return getattr(self.limit, "trigger", "")

    @property
    def responsible(self) -> str:
        return ", ".join(KINDS[k].label for k in self.bodies if k in KINDS)

    def to_dict(self) -> dict:
        limit = asdict(self.limit)
        return {"kind": self.kind, "kind_label": KIND_LABELS[self.kind], "describe": self.limit.describe(),
                "limit": limit, "bodies": list(self.bodies), "responsible": self.responsible,
                "recipients": list(self.recipients), "trigger": self.trigger, "citation": self.citation,
                "formal_citation": self.formal_citation, "quote": self.quote, "document": self.document,
                "document_name": self.document_name, "article_title": self.article_title, "context": self.context,
                "via": self.via}


def _units(doc: DeskDocument):
    """(article, clause, point, own text, quote, context) of every unit, in reading order."""
    for a in doc.units:
        if a.intro:
            yield a, "", "", a.intro, a.intro if a.clauses else a.full_text, ""
        for c in a.clauses:
            yield a, c.number, "", c.text, c.full_text, a.intro
            points, tail = clause_tail(c)
            for p in points:
                yield a, c.number, p.label, p.text, p.text, c.text
            if tail:  # the sentence that closes a list of documents is the clause's (ingest.structure.clause_tail)
                yield a, c.number, "", tail, c.full_text, c.text


def document_deadlines(doc: DeskDocument, duties: Iterable[Duty] | None = None) -> list[Deadline]:
    """The time limits of one document, each with the bodies that must keep it; `duties`: the
    document's duty rows when already computed (qa.desk.view reads both)."""
    inherited: dict[str, list[str]] = {}  # bodies a unit's duty falls on by its article's title or its lead
    rows: dict[str, list[str]] = {}  # every row's bodies: a point acts for its clause's subject
    for d in (all_duties([doc]) if duties is None else duties):
        rows.setdefault(d.citation, []).append(d.body)
        if d.how != "subject":
            inherited.setdefault(d.citation, []).append(d.body)
    out = []
    for a, clause, point, own, quote, context in _units(doc):
        own = nfc(own)
        limits = parse_time_limits(own)
        if not limits:
            continue
        cit = doc.citation(a.number, clause, point, a.kind)
        found = readings(own)
        parent = doc.citation(a.number, clause, "", a.kind) if point else ""
        for limit in limits:
            # the sentence's own subject, else the last one before it ("Định kỳ 6 tháng, các cơ quan báo chí …
            # có trách nhiệm báo cáo …. Thời hạn gửi báo cáo trong …"): never one that comes after
            reading = next((r for r in found if r.start <= limit.start < r.end),
                           next((r for r in reversed(found) if r.end <= limit.start), None))
            if reading is not None:
                bodies = tuple(dict.fromkeys(m.kind for m in reading.subjects))
                acting = {(m.start, m.end) for m in reading.subjects}
                start, end = reading.start, reading.end
            else:
                bodies = tuple(dict.fromkeys(inherited.get(cit) or rows.get(parent) or ()))
                acting, start, end = set(), 0, len(own)
            sentence = own[start:end]
            recipients = []
            for m in body_mentions(sentence):
                label = KINDS[m.kind].label
                if (m.start + start, m.end + start) not in acting and m.kind not in bodies and label not in recipients:
                    recipients.append(label)
            out.append(Deadline(limit, bodies, tuple(recipients), cit, doc.formal(cit), quote, doc.key, doc.name,
                                a.title, context))
    return out


def all_deadlines(docs: Iterable[DeskDocument], duties: Iterable[Duty] | None = None,
                  kinds: Collection[str] | None = None) -> list[Deadline]:
    """Every time limit of every document; `duties`: their rows when already computed; with `kinds`,
    only the articles that name one of them are read (as qa.desk.duties.all_duties)."""
    by_doc: dict[str, list[Duty]] | None = None
    if duties is not None:
        by_doc = {}
        for d in duties:
            by_doc.setdefault(d.document, []).append(d)
    out = []
    for doc in docs:
        if kinds is not None:
            doc = replace(doc, units=tuple(a for a in doc.units if names_any(a, kinds)))
        out += document_deadlines(doc, None if by_doc is None else by_doc.get(doc.key, []))
    return out


def deadlines_of(rows: Iterable[Deadline], body: str | None, general: bool = True) -> list[Deadline]:
    """The limits one body must keep (all of them when `body` is None); with `general`, also those
    laid on the broader kinds it is one of, marked with `via`."""
    rows = list(rows)
    if not body:
        return rows
    broader = KINDS[body].bears if general and body in KINDS else ()
    out = []
    for d in rows:
        if body in d.bodies:
            out.append(d)
        elif broader and any(k in broader for k in d.bodies):
            out.append(Deadline(**{**d.__dict__, "via": next(k for k in d.bodies if k in broader)}))
    return out


def deadlines(docs: Iterable[DeskDocument], body: str | None = None, general: bool = True) -> list[Deadline]:
    """Thời hạn: the time limits in `docs`, of one body when given."""
    return deadlines_of(all_deadlines(docs), body, general)
