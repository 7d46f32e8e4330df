"""Staff corrections of a document's header facts: number, type, title, issuer, dates, status.

Made in the preview before storing, or on a stored document (KnowledgeStore.correct reads its file
again with them). Each is recorded per document with the value the reader gave, who made it and
when, and applied again to later versions of the document where the new file still reads what the
old one read (the reader makes the same mistake on the same kind of file).
"""
from __future__ import annotations

import time

from core.errors import KbError
from core.vocab import parse_date, strip_controls
from ingest.model import LegalDocument

# correction field -> LegalDocument attribute
FIELDS = {"number": "number", "type": "doc_type", "title": "title", "issuer": "issuer",
          "issued_on": "issued_on", "effective_from": "effective_from", "status": "status"}
FIELD_LABELS = {"number": "Số hiệu", "type": "Loại văn bản", "title": "Trích yếu", "issuer": "Cơ quan ban hành",
                "issued_on": "Ngày ban hành", "effective_from": "Ngày có hiệu lực", "status": "Tình trạng hiệu lực"}
# The statuses staff may set ("secondary" is the catalogue's to give, "" is the absence of one).
STATUSES = ("in_force", "amended", "not_yet", "expired", "replaced")
DATE_FIELDS = ("issued_on", "effective_from")


class CorrectionError(KbError, ValueError):
    """A correction that cannot be made; the message says which field and why. Nothing is changed."""


def check_correction(fix: dict) -> dict[str, str]:
    """The correction with its values cleaned (dates as ISO), empty fields left out; CorrectionError
    names the first field that is not valid."""
    unknown = sorted(set(fix) - set(FIELDS))
    if unknown:
        raise CorrectionError(f"Không sửa được trường {', '.join(unknown)}; chỉ sửa được: {', '.join(FIELDS)}.")
    out = {}
    for k, v in fix.items():
        v = " ".join(strip_controls(str(v if v is not None else "")).split())
        if not v:
            continue
        if k in DATE_FIELDS:
            try:
                v = parse_date(v) or ""
            except ValueError as exc:
                raise CorrectionError(f"{FIELD_LABELS[k]}: {exc}") from None
        if k == "status" and v not in STATUSES:
            raise CorrectionError(f"{FIELD_LABELS[k]} “{v}” không hợp lệ; chọn một trong: {', '.join(STATUSES)}.")
        out[k] = v
    return out


def apply_overrides(doc: LegalDocument, fix: dict) -> None:
    for k, attr in FIELDS.items():
        if fix.get(k) not in (None, ""):
            setattr(doc, attr, str(fix[k]).strip())


def reapply(doc: LegalDocument, stored: dict[str, dict]) -> set[str]:
    """Corrections staff made to an earlier version, applied again where the new file still reads
    what the old one read (or nothing). Where the new file says something else, the file wins and
    the preview says so."""
    kept = set()
    for k, c in stored.items():
        attr = FIELDS.get(k)
        if not attr or not c.get("value"):
            continue
        now = getattr(doc, attr) or ""
        if now in ("", c.get("read", "")):
            setattr(doc, attr, c["value"])
            kept.add(k)
        elif now != c["value"]:
            doc.warnings.append(f"Không áp dụng lại sửa đổi đã lưu ({k}: “{c['value']}”) vì tệp mới ghi “{now}”; "
                                "kiểm tra lại thông tin này.")
    return kept


def records(doc: LegalDocument, read: dict[str, str], kept: set[str], fix: dict | None, stored: dict[str, dict],
            by: str = "") -> dict[str, dict]:
    """What differs from the reading, per field: {"read", "value", "kept", "by", "at"}. A correction
    applied again keeps who made it and when; a new one is `by`'s, now."""
    out, now = {}, time.time()
    for k, attr in FIELDS.items():
        value = getattr(doc, attr) or ""
        if value == read[k]:
            continue
        again = k in kept and not (fix or {}).get(k)
        who = {x: stored[k][x] for x in ("by", "at") if x in stored.get(k, {})} if again else {"by": by, "at": now}
        out[k] = {"read": read[k], "value": value, "kept": again, **who}
    return out
