"""Exact lookup of a referenced unit: "k3 đ7 nđ 72/2015" -> the verbatim text of Khoản 3 Điều 7."""
from __future__ import annotations

from core.vocab import NOT_IN_BASE, format_iso
from ingest.identity import citation_string, document_name, formal_citation, unit_label
from ingest.registry import Registry
from qa.amended import describe, relations_for, today, unit_status, units_in_force
from qa.references import DocDescriptor, match_documents, parse_reference, suggest_documents
from qa.retrieval import hit_from_row
from qa.types import LookupResult
from qa.validity import UnitFacts, Wording
from qa.validity_facts import ValidityFacts


def _range(numbers: list[str]) -> str:
    return f"{numbers[0]}–{numbers[-1]}" if len(numbers) > 1 else (numbers[0] if numbers else "")


def _documents_with_article(registry: Registry, loaded: list[DocDescriptor], ref) -> list[str]:
    """A bare "Điều 5": one citation per loaded document that has that article (clause/point kept)."""
    out = []
    for d in loaded:
        if any(u.kind == "dieu" and u.number.lower() == ref.article.lower() for u in registry.units(d.key)):
            out.append(citation_string(document_name(d.number, d.doc_type, d.title), "dieu", ref.article,
                                       ref.clause, ref.point))
    return out


def _amendment_notes(res: LookupResult, status, as_of: str | None, later_wording: bool = False) -> LookupResult:
    """The changes made to the unit found, and which text `res.text` is (`later_wording`: the current
    wording of a unit changed after `as_of`, said by the caller in its own note)."""
    res.as_of, res.notes, res.amended_by, res.repealed = as_of or "", status.lines, status.amended_by, status.repealed
    if not status.lines:
        return res
    if status.repealed:
        res.notes.append(f"Tại ngày {format_iso(as_of or today())} {res.citation} không còn hiệu lực; "
                         "nội dung dưới đây là nội dung trước khi bị bãi bỏ.")
    elif status.applied:
        res.notes.append(f"Nội dung dưới đây là nội dung có hiệu lực tại ngày {format_iso(as_of)}, "
                         "đã áp dụng các sửa đổi nói trên.")
    elif as_of and not status.phapdien:
        res.notes.append(f"Nội dung dưới đây là nội dung có hiệu lực tại ngày {format_iso(as_of)} (chưa sửa đổi).")
    elif as_of is None and not status.phapdien:
        res.notes.append("Nội dung dưới đây là nội dung ban hành ban đầu; chọn ngày áp dụng (--as-of) để xem "
                         "nội dung có hiệu lực tại một ngày.")
    if status.phapdien and not later_wording:
        res.notes.append("Nội dung dưới đây là nội dung trong Bộ pháp điển, đã cập nhật các sửa đổi được ghi chú; "
                         "nội dung trước khi sửa đổi không có trong cơ sở dữ liệu.")
    return res


def lookup_reference(registry: Registry, loaded: list[DocDescriptor], catalogued: list[DocDescriptor],
                     reference: str, as_of: str | None = None, suggest: bool = True,
                     facts: ValidityFacts | None = None) -> LookupResult:
    """suggest=False: no "did you mean" list on a miss (the answer stage follows references and
    never shows one; at the scale of the whole Pháp điển it is the costly part). loaded: documents with text in the registry; catalogued: every catalogue entry (to tell
    "not in the base yet" from "no such document"). as_of (ISO date): the text in force on that
    date, with the amendments whose amending document is in the base applied (qa.amended); None:
    the text as enacted. Either way the changes made to the unit are listed in `notes`. facts: with it, the
    unit's hiệu lực on `as_of` (today when None) and, for a unit whose stored wording took effect after
    `as_of` (the earlier one not in the base), a note that says so first (qa.validity)."""
    ref = parse_reference(reference or "")
    if not (ref.number or ref.name or ref.doc_type):
        if ref.article:
            having = _documents_with_article(registry, loaded, ref)
            if having:
                return LookupResult(status="ambiguous", article=ref.article, message=(
                    f"{len(having)} văn bản có {unit_label('dieu', ref.article)}; chọn văn bản cần xem."),
                    suggestions=having)
        return LookupResult(status="not_found", message=(
            "Không nhận ra văn bản trong tham chiếu. Ví dụ: “khoản 3 Điều 7 Nghị định 72/2015/NĐ-CP”, "
            "“Điều 41 Luật Báo chí”."), suggestions=[d.key for d in suggest_documents(reference, loaded)] if suggest else [])
    cands = match_documents(ref, loaded)
    if not cands:
        missing = match_documents(ref, catalogued)
        if missing:
            names = ", ".join(document_name(d.number, d.doc_type, d.title) for d in missing)
            return LookupResult(status="not_found", message=(
                f"{names} có trong danh mục nhưng {NOT_IN_BASE}; "
                "cán bộ pháp chế cần bổ sung tệp chính thức."), suggestions=[d.key for d in missing])
        return LookupResult(status="not_found", message=f"Không tìm thấy văn bản cho “{reference}”.",
                            suggestions=[document_name(d.number, d.doc_type, d.title)
                                         for d in suggest_documents(reference, loaded)] if suggest else [])
    if len(cands) > 1:
        return LookupResult(status="ambiguous", message=(
            f"“{reference}” khớp nhiều văn bản; hãy ghi rõ số hiệu."),
            suggestions=[citation_string(document_name(d.number, d.doc_type, d.title), "dieu", ref.article,
                                         ref.clause, ref.point) for d in cands])
    doc = cands[0]
    name = document_name(doc.number, doc.doc_type, doc.title)
    units = registry.units(doc.key)
    nodes = registry.nodes_of(doc.key)
    base = LookupResult(status="found", document=doc.number or name)
    rels = relations_for(registry, doc)
    loaded_keys = {d.key for d in loaded}
    applied = []
    if rels and as_of:
        units, _, applied = units_in_force(units, rels, loaded_keys, as_of)

    def noted(res: LookupResult, unit=None) -> LookupResult:
        res.as_of = as_of or ""
        facts_of = None
        if unit is not None and unit.kind == "dieu":
            res.article_title = unit.title
            facts_of = UnitFacts(res.article, res.clause, res.point, label=res.citation,
                                 effective_from=unit.effective_from or (row.effective_from if row else ""),
                                 note=unit.amendment_note)
        wording = facts.wording(doc.key, facts_of, as_of) if facts is not None and facts_of else Wording()
        if facts is not None:
            status = facts.status(doc.key, facts_of, as_of)
            res.validity = status.to_dict() if status else {}
        if rels:
            res = _amendment_notes(res, unit_status(rels, loaded_keys, name, res.article, res.clause, res.point,
                                                    as_of, applied), as_of, wording.current_only)
        if wording.current_only:
            res.current_wording = True
            res.notes.insert(0, wording.note)
        return res

    def pending(message: str, article: str, clause: str = "") -> str:
        """A unit not in the text (yet): say which document adds it, and from when."""
        adds = [describe(a, citation_string(name, "dieu", a.article, a.clause, a.point), a.amending_key in loaded_keys,
                         as_of or today()) for a in rels
                if a.action in ("add", "amend") and a.article.lower() == article.lower() and a.clause == clause
                and not a.point]
        return " ".join([message, *[f"{x}." for x in adds]])
    row = registry.document(doc.key)

    def formal(citation: str) -> str:
        return formal_citation(citation, name, doc.number, doc.doc_type, row.issued_on if row else "",
                               row.issuer if row else "")
    wanted, kind = (ref.article, "dieu") if ref.article else (ref.section, "section")
    if not wanted:
        base.citation = name
        base.formal_citation = formal(name)
        base.text = "\n\n".join(
            f"{'Điều ' + u.number + '. ' if u.kind == 'dieu' else ''}{u.title}\n{u.full_text}".strip() for u in units)
        base.as_of = as_of or ""
        base.notes = [describe(a, citation_string(name, "dieu", a.article, a.clause, a.point) if a.article else name,
                               a.amending_key in loaded_keys, as_of or today()) for a in rels]
        if facts is not None:
            status = facts.status(doc.key, None, as_of)
            base.validity = status.to_dict() if status else {}
        return base
    unit = next((u for u in units if u.number.lower() == wanted.lower() and u.kind == kind), None)
    if unit is None:
        nums = [u.number for u in units if u.kind == kind]
        label = unit_label(kind, wanted)
        return LookupResult(status="not_found", document=base.document,
                            message=pending(f"{name} không có {label}" + (
                                f" (có {unit_label(kind, _range(nums))})." if nums else "."), wanted),
                            suggestions=[citation_string(name, kind, n) for n in nums[:5]])
    base.article = unit.number
    unit_nodes = [n for n in nodes if n.meta.article == unit.number and n.meta.unit_kind == unit.kind]
    if not ref.clause and not ref.point:
        base.citation = citation_string(name, unit.kind, unit.number)
        base.formal_citation = formal(base.citation)
        base.text = unit.full_text
        base.hits = [hit_from_row(n) for n in unit_nodes]
        return noted(base, unit)
    clause = next((c for c in unit.clauses if c.number == ref.clause), None) if ref.clause else (
        next((c for c in unit.clauses if c.number == ""), None))
    if clause is None:
        nums = [c.number for c in unit.clauses if c.number]
        what = f"Khoản {ref.clause}" if ref.clause else f"điểm {ref.point} ngoài khoản"
        return LookupResult(status="not_found", document=base.document, article=unit.number,
                            message=pending(f"Điều {unit.number} {name} không có {what}" + (
                                f" (có khoản {_range(nums)})." if nums else "."), unit.number, ref.clause),
                            suggestions=[citation_string(name, unit.kind, unit.number, n) for n in nums[:5]])
    base.clause = clause.number
    clause_nodes = [n for n in unit_nodes if n.meta.clause == clause.number]
    base.hits = [hit_from_row(n) for n in clause_nodes]
    if not ref.point:
        base.citation = citation_string(name, unit.kind, unit.number, clause.number)
        base.formal_citation = formal(base.citation)
        base.text = clause.full_text
        return noted(base, unit)
    point = next((p for p in clause.points if p.label == ref.point), None)
    if point is None:
        labels = [p.label for p in clause.points]
        return LookupResult(status="not_found", document=base.document, article=unit.number, clause=clause.number,
                            message=f"{citation_string(name, unit.kind, unit.number, clause.number)} không có điểm {ref.point}"
                                    + (f" (có điểm {', '.join(labels)})." if labels else " (khoản này không chia điểm)."),
                            suggestions=[citation_string(name, unit.kind, unit.number, clause.number, l) for l in labels])
    base.point = point.label
    base.citation = citation_string(name, unit.kind, unit.number, clause.number, point.label)
    base.formal_citation = formal(base.citation)
    base.text = point.text
    return noted(base, unit)
