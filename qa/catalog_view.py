"""The document list users see: loaded documents beside catalogue entries (ready / missing)."""
from __future__ import annotations

from ingest.catalog import RELATION_LABELS, Catalog
from ingest.identity import document_name


def relation_lines(catalog: Catalog, key: str, names: dict[str, str], loaded: set[str] | None = None) -> list[str]:
    out = []
    for rel, target in catalog.relations_of(key):
        label = RELATION_LABELS.get(rel, rel)
        missing = " (chưa có văn bản)" if loaded is not None and target not in loaded else ""
        out.append(f"{label} {names.get(target, target)}{missing}")
    return out


def document_list(loaded: list[dict], catalog: Catalog, dense_by_doc: dict[str, int] | None = None) -> list[dict]:
    """`kb docs --json`: every loaded document, then catalogue entries with no text (missing)."""
    names = {d["key"]: document_name(d["number"], d["doc_type"], d["title"]) for d in loaded}
    for e in catalog.entries:
        names.setdefault(e.key, document_name(e.number, e.doc_type, e.title))
    out = []
    keys = set()
    loaded_keys = {d["key"] for d in loaded}
    for d in loaded:
        keys.add(d["key"])
        entry = catalog.entry(d["key"])
        out.append({
            "key": d["key"],
            "number": d["number"],
            "title": d["title"],
            "type": d["doc_type"],
            "name": names[d["key"]],
            "articles": d["articles"],
            "nodes": d["nodes"],
            "dense_nodes": (dense_by_doc or {}).get(d["key"], 0),
            "status": "ready",
            "legal_status": d.get("status") or "",
            "source_kind": d.get("source_kind", ""),
            "issuer": d.get("issuer", ""),
            "issued_on": d.get("issued_on", ""),
            "effective_from": d.get("effective_from", ""),
            "in_catalog": entry is not None,
            "relations": relation_lines(catalog, d["key"], names, loaded_keys),
            "note": (entry.status_note if entry else "") or (
                "Nguồn thứ cấp (bài tư vấn), không phải văn bản chính thức" if d.get("source_kind") == "secondary" else ""),
        })
    for e in catalog.entries:
        if e.key in keys:
            continue
        out.append({
            "key": e.key,
            "number": e.number,
            "title": e.title,
            "type": e.doc_type,
            "name": names[e.key],
            "articles": 0,
            "nodes": 0,
            "dense_nodes": 0,
            "status": "missing",
            "legal_status": e.status,
            "source_kind": "",
            "issuer": e.issuer,
            "issued_on": e.issued_on or (str(e.issued_year) if e.issued_year else ""),
            "effective_from": e.effective_from,
            "in_catalog": True,
            "relations": relation_lines(catalog, e.key, names, loaded_keys),
            "note": "Chưa có văn bản — cán bộ pháp chế cần bổ sung tệp chính thức",
            "text_source": e.text,
        })
    return out
