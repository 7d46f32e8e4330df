"""Document identity and canonical citation strings (pure functions)."""
from __future__ import annotations

import hashlib
import re

from core.vocab import fold, nfc, unit_label

__all__ = ["citation_string", "document_key", "document_name", "fallback_key", "fold", "has_identity", "nfc",
           "unit_label"]


def document_key(number: str, title: str, doc_type: str = "") -> str:
    """Stable identity: NFC upper-cased number, else "type title" case-folded."""
    if number:
        return nfc(number).strip().upper()
    name = nfc(f"{doc_type} {title}" if doc_type and not title.lower().startswith(doc_type.lower()) else title)
    return re.sub(r"\s+", " ", name).strip().lower()


def has_identity(number: str, title: str) -> bool:
    """Does the document name itself (a number or a title)? Without either, the type alone
    ("công văn") or "" would be shared by unrelated documents and one would replace the other."""
    return bool(nfc(number or "").strip() or nfc(title or "").strip())


def fallback_key(file_name: str, content: str) -> str:
    """Identity of a document with neither number nor title: its file name and a short hash of
    its text, e.g. "synthetic_cong_van.txt #3f2a9c01" (lower case, like title keys)."""
    digest = hashlib.sha256(nfc(content).encode("utf-8")).hexdigest()[:8]
    return f"{nfc(file_name).strip().lower()} #{digest}"


def document_name(number: str, doc_type: str, title: str) -> str:
    """How a lawyer names the document in a citation.

    "Nghị định 72/2015/NĐ-CP", "Luật Báo chí 103/2016/QH13", "Luật Phòng, chống ma túy",
    "Công văn 3837/BTTTT-TTĐN".
    """
    if number:
        if doc_type in ("Luật", "Bộ luật") and title and len(title) <= 60:
            short = title if title.lower().startswith(doc_type.lower()) else f"{doc_type} {title}"
            return f"{short} {number}"
        return f"{doc_type} {number}".strip()
    if doc_type and not title.lower().startswith(doc_type.lower()):
        return f"{doc_type} {title}".strip()
    return title


def citation_string(
    document: str,
    unit_kind: str = "dieu",
    unit: str = "",
    clause: str = "",
    point: str = "",
) -> str:
    """Canonical citation, most specific first: "Điểm a Khoản 3 Điều 7 Nghị định 72/2015/NĐ-CP"."""
    parts = []
    if point:
        parts.append(f"Điểm {point}")
    if clause:
        parts.append(f"Khoản {clause}")
    if unit:
        parts.append(unit_label(unit_kind, unit))
    parts.append(document)
    text = " ".join(p for p in parts if p)
    return text[0].upper() + text[1:] if text else text
