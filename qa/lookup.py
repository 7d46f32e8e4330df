"""Exact lookup of a referenced unit: "k3 đ7 nđ 72/2015" -> the verbatim text of Khoản 3 Điều 7."""
from __future__ import annotations

from core.vocab import NOT_IN_BASE
from ingest.identity import citation_string, document_name, formal_citation, unit_label
from ingest.registry import Registry
from qa.references import DocDescriptor, match_documents, parse_reference, suggest_documents
from qa.retrieval import hit_from_row
from qa.types import LookupResult


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


def lookup_reference(registry: Registry, loaded: list[DocDescriptor], catalogued: list[DocDescriptor],
                     reference: str) -> LookupResult:
    """loaded: documents with text in the registry; catalogued: every catalogue entry (to tell
    "not in the base yet" from "no such document")."""
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
            "“Điều 41 Luật Báo chí”."), suggestions=[d.key for d in suggest_documents(reference, loaded)])
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
                                         for d in suggest_documents(reference, loaded)])
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
        return base
    unit = next((u for u in units if u.number.lower() == wanted.lower() and u.kind == kind), None)
    if unit is None:
        nums = [u.number for u in units if u.kind == kind]
        label = unit_label(kind, wanted)
        return LookupResult(status="not_found", document=base.document,
                            message=f"{name} không có {label}" + (f" (có {unit_label(kind, _range(nums))})." if nums else "."),
                            suggestions=[citation_string(name, kind, n) for n in nums[:5]])
    base.article = unit.number
    unit_nodes = [n for n in nodes if n.meta.article == unit.number and n.meta.unit_kind == unit.kind]
    if not ref.clause and not ref.point:
        base.citation = citation_string(name, unit.kind, unit.number)
        base.formal_citation = formal(base.citation)
        base.text = unit.full_text
        base.hits = [hit_from_row(n) for n in unit_nodes]
        return base
    clause = next((c for c in unit.clauses if c.number == ref.clause), None) if ref.clause else (
        next((c for c in unit.clauses if c.number == ""), None))
    if clause is None:
        nums = [c.number for c in unit.clauses if c.number]
        what = f"Khoản {ref.clause}" if ref.clause else f"điểm {ref.point} ngoài khoản"
        return LookupResult(status="not_found", document=base.document, article=unit.number,
                            message=f"Điều {unit.number} {name} không có {what}" + (f" (có khoản {_range(nums)})." if nums else "."),
                            suggestions=[citation_string(name, unit.kind, unit.number, n) for n in nums[:5]])
    base.clause = clause.number
    clause_nodes = [n for n in unit_nodes if n.meta.clause == clause.number]
    base.hits = [hit_from_row(n) for n in clause_nodes]
    if not ref.point:
        base.citation = citation_string(name, unit.kind, unit.number, clause.number)
        base.formal_citation = formal(base.citation)
        base.text = clause.full_text
        return base
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
    return base
