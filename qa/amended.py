"""Amended units as a reader sees them: what to say about a unit another document changed, and the
text in force on a date (over the relations ingest.amendments stored in the registry).

The text in force is the amended text only where the amending document's own text is in the base
(source "text"); a relation read from a Pháp điển note names the amending document, which may not
be in the base: the unit is then marked "… bởi <văn bản> (chưa có trong cơ sở dữ liệu)". Pháp điển
articles are already kept up to date by the Pháp điển itself: their text is never rewritten here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from core.vocab import format_iso
from ingest.amendments import Amendment, apply_amendments, touches
from ingest.identity import citation_string
from ingest.model import Article
from ingest.registry import Registry
from qa.references import DocDescriptor, match_documents, parse_reference

NOT_IN_BASE_SHORT = "chưa có trong cơ sở dữ liệu"
_VERBS = {"amend": "được sửa đổi, bổ sung", "add": "được bổ sung", "repeal": "bị bãi bỏ",
          "suspend": "bị ngưng hiệu lực", "replace_words": "được thay thế cụm từ"}
_PARTIAL_VERBS = {"amend": "có nội dung được sửa đổi", "add": "có nội dung được bổ sung",
                  "repeal": "có nội dung bị bãi bỏ", "suspend": "có nội dung bị ngưng hiệu lực"}


def today() -> str:
    return dt.date.today().isoformat()


def relations_for(registry: Registry, doc: DocDescriptor) -> list[Amendment]:
    """The relations on one document: stored under its key, and those whose amending document named
    it only in words (resolved here with the reference resolver). A Pháp điển note about a change
    whose amending document's own text is stored is left out: the text says more."""
    rows = registry.amendments(doc.key)
    rows += [a for a in registry.amendments("") if a.target_ref
             and match_documents(parse_reference(a.target_ref), [doc])]
    from_text = {(a.amending_key, a.article.lower()) for a in rows if a.source == "text"}
    return [a for a in rows if a.source == "text" or (a.amending_key, a.article.lower()) not in from_text]


_ACTIVE_VERBS = {"amend": "sửa đổi, bổ sung", "add": "bổ sung", "repeal": "bãi bỏ", "suspend": "ngưng hiệu lực"}


def planned_change(a: Amendment, target: str) -> str:
    """What a relation will do, said before it is stored (the staff preview): "bãi bỏ Điều 5 Nghị định
    998/2098/NĐ-CP từ 01/01/2099"; `target` is how the amended document is named."""
    where = citation_string(target, "dieu", a.article, a.clause, a.point) if a.article else f"toàn văn {target}"
    if a.action == "replace_words":
        verb = (f"thay cụm từ “{a.old_words}” bằng “{a.new_words}” tại" if a.new_words
                else f"bỏ cụm từ “{a.old_words}” tại")
    else:
        verb = ", ".join(_ACTIVE_VERBS.get(x, x) for x in a.action.split(",")) + (" một phần nội dung" if a.partial else "")
    when = f" từ {format_iso(a.effective_from)}" if a.effective_from else " (chưa rõ ngày có hiệu lực)"
    return f"{verb} {where}{when}"


def action_words(a: Amendment) -> str:
    verbs = _PARTIAL_VERBS if a.partial else _VERBS
    return ", ".join(verbs.get(x, x) for x in a.action.split(",")).replace(
        "được sửa đổi, bổ sung, được bổ sung", "được sửa đổi, bổ sung").replace(
        "được sửa đổi, có nội dung được bổ sung", "được sửa đổi, bổ sung")


def amending_label(a: Amendment, in_base: bool) -> str:
    """"Khoản 1 Điều 1 Nghị định 999/2099/NĐ-CP" or "Điều 20 Luật 35/2018/QH14 (chưa có trong cơ sở dữ liệu)"."""
    who = a.amending_unit or a.amending_name or a.amending_key
    return who if in_base else f"{who} ({NOT_IN_BASE_SHORT})"


def describe(a: Amendment, where: str, in_base: bool, as_of: str) -> str:
    """One line about one change to a unit, in the tense the date calls for."""
    by = amending_label(a, in_base)
    when = f", có hiệu lực từ {format_iso(a.effective_from)}" if a.effective_from else ""
    pending = bool(a.effective_from and a.effective_from > as_of)
    if a.action == "replace_words":
        change = (f"cụm từ “{a.old_words}” được thay bằng “{a.new_words}”" if a.new_words
                  else f"cụm từ “{a.old_words}” được bỏ")
        text = f"{where}: {change} theo {by}{when}"
    else:
        verb = action_words(a)
        text = f"{where} {'đã ' if not pending and not a.partial else ''}{verb} bởi {by}{when}"
    if pending:
        text += f" (tại ngày {format_iso(as_of)} chưa có hiệu lực)"
    return text


@dataclass
class UnitStatus:
    """What the base knows about one unit's amendments, on one date."""

    lines: list[str]  # Vietnamese, one per change
    amended_by: list[str]  # the amending provisions, labelled (JSON: "amended_by")
    applied: list[Amendment]  # changes included in the text in force
    repealed: bool = False  # repealed (by a document in the base) on the date
    phapdien: bool = False  # at least one change comes from a Pháp điển note


def unit_status(rels: list[Amendment], loaded: set[str], name: str, article: str, clause: str = "",
                point: str = "", as_of: str | None = None, applied: list[Amendment] | None = None) -> UnitStatus:
    """The changes to a unit of the document `name`, to a unit inside it, or to one containing it."""
    date = as_of or today()
    mine = [a for a in rels if touches(a, article, clause, point)]
    status = UnitStatus([], [], [a for a in (applied or []) if a in mine])
    for a in mine:
        in_base = a.amending_key in loaded
        where = citation_string(name, "dieu", a.article, a.clause, a.point) if a.article else name
        status.lines.append(describe(a, where, in_base, date))
        label = amending_label(a, in_base) + (f" (từ {format_iso(a.effective_from)})" if a.effective_from else "")
        if label not in status.amended_by:
            status.amended_by.append(label)
        status.phapdien |= a.source == "phapdien"
        in_force = bool(a.effective_from) and a.effective_from <= date
        if (a.action == "repeal" and a.source == "text" and in_base and in_force and a.article and not a.partial
                and (not a.clause or a.clause == clause) and (not a.point or a.point == point)):
            status.repealed = True  # the unit itself, or one that contains it
    return status


def units_in_force(units: list[Article], rels: list[Amendment], loaded: set[str], as_of: str
                   ) -> tuple[list[Article], set[tuple[str, str, str]], list[Amendment]]:
    """apply_amendments with the changes whose amending document is in the base."""
    return apply_amendments(units, [a for a in rels if a.amending_key in loaded], as_of)


def unit_text(units: list[Article], article: str, clause: str = "", point: str = "") -> str | None:
    """The text of one unit among `units` (None when it is not there)."""
    u = next((u for u in units if u.kind == "dieu" and u.number.lower() == article.lower()), None)
    if u is None:
        return None
    if not clause:
        return u.full_text
    c = next((c for c in u.clauses if c.number == clause), None)
    if c is None:
        return None
    if not point:
        return c.full_text
    p = next((p for p in c.points if p.label == point), None)
    return p.text if p else None


def _node_with(registry: Registry, changes: list[Amendment], text: str):
    """The stored node of an amending document that holds `text` verbatim (what a citation quotes)."""
    for key in dict.fromkeys(a.amending_key for a in changes):
        for n in registry.nodes_of(key):
            if text in n.text:
                return n
    return None


def amend_plan(plan: list, registry: Registry, loaded: list[DocDescriptor], as_of: str | None
               ) -> tuple[list, list[list[str]], list[str]]:
    """The units an answer quotes (qa.answer.Quoted), as in force on `as_of` (today when None).

    A unit changed by a document in the base is quoted as amended, from the amending document's
    stored text (so the quote stays verbatim stored text); a change that cannot be quoted that way
    (a phrase replaced, a repeal) or whose amending document is not in the base is said in a
    warning. Returns (plan, amended_by per quoted unit, warnings)."""
    date = as_of or today()
    docs = {d.key: d for d in loaded}
    loaded_keys = set(docs)
    rels_of: dict[str, list[Amendment]] = {}
    in_force: dict[str, tuple[list[Article], list[Amendment]]] = {}
    out, labels, warnings = [], [], []
    for q in plan:
        h = q.hit
        doc = docs.get(h.document)
        if doc is None or h.unit_kind != "dieu":
            out.append(q)
            labels.append([])
            continue
        if doc.key not in rels_of:
            rels_of[doc.key] = relations_for(registry, doc)
        rels = rels_of[doc.key]
        point = "" if "-" in q.point else q.point  # a group of points: what changed is told for the clause
        st = unit_status(rels, loaded_keys, h.document_name, h.article, q.clause, point, date) if rels else None
        if not st or not st.lines:
            out.append(q)
            labels.append([])
            continue
        new = q
        if any(a.source == "text" and a.amending_key in loaded_keys and touches(a, h.article, q.clause, point)
               for a in rels) and not st.repealed and point == q.point:
            if doc.key not in in_force:
                units, _, applied = units_in_force(registry.units(doc.key), rels, loaded_keys, date)
                in_force[doc.key] = (units, applied)
            units, applied = in_force[doc.key]
            mine = [a for a in applied if touches(a, h.article, q.clause, point)]
            text = unit_text(units, h.article, q.clause, point) if mine else None
            node = _node_with(registry, mine, text) if text and text != q.quote else None
            if node is not None:
                new = replace(q, quote=text, hit=replace(h, node_id=node.node_id, text=node.text))
                warnings.append(f"{q.citation}: trích nội dung có hiệu lực tại ngày {format_iso(date)} "
                                f"(đã sửa đổi, theo {', '.join(dict.fromkeys(amending_label(a, True) for a in mine))}).")
        out.append(replace(new, hit=replace(new.hit, amendments=tuple(st.lines))))
        labels.append(st.amended_by)
        warnings += [x for x in st.lines if x not in warnings]
        if st.repealed:
            warnings.append(f"{q.citation}: tại ngày {format_iso(date)} không còn hiệu lực (đã bị bãi bỏ).")
    # the amending provision itself, quoted beside the amended unit that now quotes it: once is enough
    used = {q.hit.node_id for q, orig in zip(out, plan) if q.hit.node_id != orig.hit.node_id}
    keep = [i for i, (q, orig) in enumerate(zip(out, plan))
            if i == 0 or q.hit.node_id != orig.hit.node_id or orig.hit.node_id not in used]
    return [out[i] for i in keep], [labels[i] for i in keep], list(dict.fromkeys(warnings))
