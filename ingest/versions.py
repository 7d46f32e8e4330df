"""Document versions: what the registry keeps of every version of a document it stored.

A version is the document as stored (header facts and units) with the file it came from. Its
identity is its CONTENT plus the file's bytes, never the path it was read from: storing the same
file again with the same result makes that version current again instead of adding a copy, and
any other result is a new version. Pure functions; the registry (ingest.registry) stores them.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields

from ingest.model import Article, Clause, LegalDocument, Point

# Documents read whole from one file of their own (a staff upload, a secondary source): they have
# versions. A Pháp điển document is assembled from many đề mục files, and a benchmark data set
# holds thousands of documents: neither has one file per version to go back to.
VERSIONED_KINDS = ("original", "secondary")
# Facts about one reading, not content: the same file read again may differ in them.
_NOT_CONTENT = ("source_path", "warnings", "corrections", "read_key", "fallback_key", "key", "version")


@dataclass(frozen=True)
class VersionRow:
    """One stored version of a document (`data` only when asked for: it holds the whole text)."""

    doc_key: str
    version: int
    ingested_at: float
    user: str
    sha256: str  # of the file read
    source_name: str  # the file's name
    source_path: str  # where it was read from (a key in the registry; the file may be gone)
    size: int
    content_sha: str
    current: bool = False
    data: dict | None = None

    def to_dict(self) -> dict:
        out = asdict(self)
        out.pop("data")
        return out


def version_data(stored: dict, units: list[dict]) -> dict:
    """What a version keeps: the document's stored row (header facts as the registry holds them,
    with the staff corrections and the reader's warnings) and its units (as `asdict` gives them)."""
    return {"document": {k: v for k, v in stored.items() if k != "version"}, "units": units}


def content_sha(data: dict) -> str:
    """SHA-256 of a version's content (facts and text), blind to how it was read."""
    facts = {k: v for k, v in data["document"].items() if k not in _NOT_CONTENT}
    blob = json.dumps({"document": facts, "units": data["units"]}, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def unit_from_data(data: dict) -> Article:
    data = dict(data)
    clauses = [Clause(number=c["number"], text=c["text"], points=[Point(**p) for p in c["points"]])
               for c in data.pop("clauses")]
    return Article(**data, clauses=clauses)


def document_from_version(data: dict) -> LegalDocument:
    """The LegalDocument a version holds, as it was stored."""
    names = {f.name for f in fields(LegalDocument)} - {"units"}
    doc = LegalDocument(**{k: v for k, v in data["document"].items() if k in names})
    doc.units = [unit_from_data(u) for u in data["units"]]
    return doc
