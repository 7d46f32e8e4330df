"""Original legal documents (.txt .md .html .htm .pdf .docx) -> LegalDocument.

The file is turned into clean lines by ingest.readers.formats, site boilerplate around a saved
article is dropped, and ingest.document_parser rebuilds the structure.
"""
from __future__ import annotations

from ingest.document_parser import parse_document_lines
from ingest.model import LegalDocument, ReaderError
from ingest.readers.formats import SUPPORTED_EXTENSIONS, drop_site_boilerplate, read_lines

__all__ = ["SUPPORTED_EXTENSIONS", "read_original_file"]


def read_original_file(path) -> LegalDocument:
    """Read one original document. Raises ReaderError (Vietnamese reason, naming the file)."""
    lines = drop_site_boilerplate(read_lines(path))
    if not lines:
        raise ReaderError(str(path), "tệp không có nội dung văn bản dùng được")
    doc = parse_document_lines(lines, source_path=str(path))
    if not doc.units:
        raise ReaderError(str(path), "không tìm thấy nội dung văn bản (chỉ có phần đầu, căn cứ hoặc chữ ký)")
    doc.source_kind = "original"
    return doc
