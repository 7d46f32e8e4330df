"""Document identity and canonical citation strings (pure functions)."""
from __future__ import annotations

import datetime as dt
import hashlib
import re

from core.vocab import fold, nfc, unit_label

__all__ = ["citation_string", "document_key", "document_name", "fallback_key", "fold", "formal_citation",
           "formal_date", "has_identity", "nfc", "unit_label"]


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


# Laws are cited by name, number and date; the issuing body (Quốc hội, Ủy ban thường vụ) is not written.
_NO_ISSUER_TYPES = ("Hiến pháp", "Luật", "Bộ luật", "Pháp lệnh")


def formal_date(iso: str) -> str:
    """"2015-09-07" -> "07/9/2015": a day below 10 and months 1 and 2 take a leading zero
    (Nghị định 30/2020/NĐ-CP on văn bản hành chính); anything unparseable -> ""."""
    try:
        d = dt.date.fromisoformat((iso or "").strip())
    except ValueError:
        return ""
    return f"{d.day:02d}/{d.month:02d}/{d.year}" if d.month < 3 else f"{d.day:02d}/{d.month}/{d.year}"


def formal_citation(citation: str, name: str, number: str, doc_type: str, issued_on: str = "",
                    issuer: str = "") -> str:
    """The form drafters write in running text, from the short citation and the document facts:
    "Khoản 3 Điều 7 Nghị định 72/2015/NĐ-CP" -> "khoản 3 Điều 7 Nghị định số 72/2015/NĐ-CP ngày
    07/9/2015 của Chính phủ". Facts that are unknown are left out, never guessed."""
    citation, name = (citation or "").strip(), (name or "").strip()
    if not name or not citation.endswith(name):
        return citation
    unit = re.sub(r"\b(Điểm|Khoản)\b", lambda m: m[1].lower(), citation[: -len(name)].strip())
    doc = name
    if number and name.endswith(number):
        doc = f"{name[: -len(number)].strip() or doc_type} số {number}".strip()
    date = formal_date(issued_on)
    if date:
        doc += f" ngày {date}"
    issuer = (issuer or "").strip()
    if issuer and not any(doc.startswith(t) for t in _NO_ISSUER_TYPES) and issuer.lower() not in doc.lower():
        doc += f" của {issuer}"
    return f"{unit} {doc}".strip()
