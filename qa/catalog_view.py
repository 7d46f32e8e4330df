"""The document list users see: loaded documents beside catalogue entries (ready / missing)."""
from __future__ import annotations

from ingest.catalog import RELATION_LABELS, Catalog
from ingest.identity import document_name
from ingest.registry import DocumentRow
from qa.succession import changes_made_by
from qa.types import DocumentSummary


def relation_lines(catalog: Catalog, key: str, names: dict[str, str], loaded: set[str] | None = None) -> list[str]:
    out = []
    for rel, target in catalog.relations_of(key):
        label = RELATION_LABELS.get(rel, rel)
        missing = " (chưa có văn bản)" if loaded is not None and target not in loaded else ""
        out.append(f"{label} {names.get(target, target)}{missing}")
    # a body renamed, merged or abolished by this document, or functions it moved ([[succession]])
    return out + [f"Thay đổi cơ quan: {line}" for line in changes_made_by(key, catalog)]


def document_list(loaded: list[DocumentRow], catalog: Catalog) -> list[DocumentSummary]:
    """Every loaded document, then catalogue entries with no text (missing)."""
    names = {d.key: document_name(d.number, d.doc_type, d.title) for d in loaded}
    for e in catalog.entries:
        names.setdefault(e.key, document_name(e.number, e.doc_type, e.title))
    out = []
    loaded_keys = {d.key for d in loaded}
    for d in loaded:
        entry = catalog.entry(d.key)
        out.append(DocumentSummary(
            key=d.key, number=d.number, title=d.title, type=d.doc_type, name=names[d.key], status="ready",
            articles=d.articles, nodes=d.nodes, dense_nodes=d.dense_nodes, legal_status=d.status or "",
            source_kind=d.source_kind, issuer=d.issuer, issued_on=d.issued_on, effective_from=d.effective_from,
            in_catalog=entry is not None, relations=relation_lines(catalog, d.key, names, loaded_keys),
            note=(entry.status_note if entry else "") or (
                "Nguồn thứ cấp (bài tư vấn), không phải văn bản chính thức" if d.source_kind == "secondary" else ""),
        ))
    for e in catalog.entries:
        if e.key in loaded_keys:
            continue
        out.append(DocumentSummary(
            key=e.key, number=e.number, title=e.title, type=e.doc_type, name=names[e.key], status="missing",
            legal_status=e.status, issuer=e.issuer,
            issued_on=e.issued_on or (str(e.issued_year) if e.issued_year else ""),
            effective_from=e.effective_from, in_catalog=True,
            relations=relation_lines(catalog, e.key, names, loaded_keys),
            note="Chưa có văn bản — cán bộ pháp chế cần bổ sung tệp chính thức"
                 + (f" · {e.status_note}" if e.status_note else ""), text_source=e.text,
        ))
    return out
