"""Staff corrections of a document's header facts: number, type, title, issuer, dates, status.

Made in the preview before storing, or on a stored document (KnowledgeStore.correct reads its file
again with them). Each is recorded per document with the value the reader gave, who made it and
when, and applied again to later versions of the document where the new file still reads what the
old one read (the reader makes the same mistake on the same kind of file).

The status is the one exception: it is staff's judgment of the law, not a reading of the file, so it
comes with its own details (from which date, on what grounds), is applied to every later version
whatever the new file says, and is the "staff" source qa.validity decides with (qa.validity_facts).
"""
from __future__ import annotations

import time

from core.errors import KbError
from core.vocab import LEGAL_STATUS, STAFF_STATUSES, format_iso, parse_date, strip_controls
from ingest.model import LegalDocument

# correction field -> LegalDocument attribute
FIELDS = {"number": "number", "type": "doc_type", "title": "title", "issuer": "issuer",
          "issued_on": "issued_on", "effective_from": "effective_from", "status": "status"}
# What a status setting carries besides its value: correction field -> key in the status record.
STATUS_DETAILS = {"status_since": "since", "status_note": "note"}
FIELD_LABELS = {"number": "Số hiệu", "type": "Loại văn bản", "title": "Trích yếu", "issuer": "Cơ quan ban hành",
                "issued_on": "Ngày ban hành", "effective_from": "Ngày có hiệu lực", "status": "Tình trạng hiệu lực",
                "status_since": "Hiệu lực từ ngày", "status_note": "Căn cứ xác định hiệu lực"}
# The statuses staff may set ("secondary" is the catalogue's to give, "" is the absence of one).
STATUSES = STAFF_STATUSES
DATE_FIELDS = ("issued_on", "effective_from", "status_since")
# Staff's status is their judgment, not a reading of the file: a new version never contradicts it.
ALWAYS_REAPPLIED = {"status"}


class CorrectionError(KbError, ValueError):
    """A correction that cannot be made; the message says which field and why. Nothing is changed."""


def check_correction(fix: dict) -> dict[str, str]:
    """The correction with its values cleaned (dates as ISO), empty fields left out; CorrectionError
    names the first field that is not valid."""
    unknown = sorted(set(fix) - set(FIELDS) - set(STATUS_DETAILS))
    if unknown:
        raise CorrectionError(f"Không sửa được trường {', '.join(unknown)}; chỉ sửa được: "
                              f"{', '.join([*FIELDS, *STATUS_DETAILS])}.")
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
            choices = ", ".join(f"{s} ({LEGAL_STATUS[s]})" for s in STATUSES)
            raise CorrectionError(f"{FIELD_LABELS[k]} “{v}” không hợp lệ; chọn một trong: {choices}.")
        out[k] = v
    details = [FIELD_LABELS[k] for k in STATUS_DETAILS if k in out]
    if details and "status" not in out:
        raise CorrectionError(f"{', '.join(details)} chỉ ghi kèm một tình trạng hiệu lực; chọn tình trạng hiệu lực.")
    return out


def apply_overrides(doc: LegalDocument, fix: dict) -> None:
    for k, attr in FIELDS.items():
        if fix.get(k) not in (None, ""):
            setattr(doc, attr, str(fix[k]).strip())


def reapply(doc: LegalDocument, stored: dict[str, dict]) -> set[str]:
    """Corrections staff made to an earlier version, applied again where the new file still reads
    what the old one read (or nothing), and the status always. Where the new file says something
    else, the file wins and the preview says so."""
    kept = set()
    for k, c in stored.items():
        attr = FIELDS.get(k)
        if not attr or not c.get("value"):
            continue
        now = getattr(doc, attr) or ""
        if now in ("", c.get("read", "")) or k in ALWAYS_REAPPLIED:
            setattr(doc, attr, c["value"])
            kept.add(k)
        elif now != c["value"]:
            doc.warnings.append(f"Không áp dụng lại sửa đổi đã lưu ({k}: “{c['value']}”) vì tệp mới ghi “{now}”; "
                                "kiểm tra lại thông tin này.")
    return kept


def clears_status(fix: dict | None) -> bool:
    """A correction that takes staff's status away (back to what the sources say): "status" given empty."""
    return fix is not None and "status" in fix and not str(fix["status"] or "").strip()


def records(doc: LegalDocument, read: dict[str, str], kept: set[str], fix: dict | None, stored: dict[str, dict],
            by: str = "") -> dict[str, dict]:
    """What differs from the reading, per field: {"read", "value", "kept", "by", "at"}, and for the
    status its "since" and "note". A correction applied again keeps who made it and when; a new one
    is `by`'s, now."""
    out, now = {}, time.time()
    for k, attr in FIELDS.items():
        value = getattr(doc, attr) or ""
        # A status staff set is recorded even when the file reads the same word: it is theirs (the
        # "staff" source, with its date and grounds), where an equal fact is no correction at all.
        if value == read[k] and not (k == "status" and value and (k in kept or (fix or {}).get(k))):
            continue
        again = k in kept and not (fix or {}).get(k)
        keys = ("by", "at", *STATUS_DETAILS.values()) if k == "status" else ("by", "at")
        if again:
            who = {x: stored[k][x] for x in keys if stored.get(k, {}).get(x)}
        else:
            who = {"by": by, "at": now}
            if k == "status":
                who |= {d: fix[f] for f, d in STATUS_DETAILS.items() if (fix or {}).get(f)}
        out[k] = {"read": read[k], "value": value, "kept": again, **who}
    return out


def shown_value(k: str, value: str) -> str:
    """A corrected value as people read it: dates dd/mm/yyyy, the status in words."""
    if k == "status":
        return LEGAL_STATUS.get(value, value) if value else "theo nguồn (bỏ xác định của cán bộ pháp chế)"
    return format_iso(value) if k in DATE_FIELDS else value


def describe(corrected: dict[str, str]) -> str:
    """“Cơ quan ban hành “…”; Tình trạng hiệu lực “Hết hiệu lực toàn bộ””: what a correction changed."""
    return "; ".join(f"{FIELD_LABELS.get(k, k)} “{shown_value(k, v)}”" for k, v in corrected.items())
