"""Original legal documents (.txt .md .html .htm .pdf .docx .doc, scanned images) -> LegalDocument.

The file is turned into clean lines by ingest.readers.formats (OCR for scans), text in a legacy
Vietnamese encoding is converted, site boilerplate around a saved article is dropped, and
ingest.document_parser rebuilds the structure. What the readers noticed (OCR confidence, the
encoding converted) heads the document's warnings.
"""
from __future__ import annotations

from ingest.document_parser import parse_document_lines
from ingest.limits import DEFAULT_LIMITS, Limits
from ingest.model import LegalDocument, ReaderError
from ingest.readers.formats import SUPPORTED_EXTENSIONS, drop_site_boilerplate, read_lines
from ingest.readers.legacy_encoding import fix_legacy_lines
from ingest.readers.notes import collecting_notes

__all__ = ["SUPPORTED_EXTENSIONS", "read_original_file"]


def read_original_file(path, limits: Limits = DEFAULT_LIMITS) -> LegalDocument:
    """Read one original document. Raises ReaderError (Vietnamese reason, naming the file)."""
    with collecting_notes() as notes:
        lines = drop_site_boilerplate(fix_legacy_lines(read_lines(path, limits)))
    if not lines:
        raise ReaderError(str(path), "tệp không có nội dung văn bản dùng được")
    doc = parse_document_lines(lines, source_path=str(path))
    if not doc.units:
        raise ReaderError(str(path), "không tìm thấy nội dung văn bản (chỉ có phần đầu, căn cứ hoặc chữ ký)")
    doc.source_kind = "original"
    doc.warnings = notes + doc.warnings
    return doc
