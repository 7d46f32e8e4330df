"""Readers: pure functions from a file to LegalDocument objects. `read_path` picks one by format."""
from __future__ import annotations

import os
from pathlib import Path

from core.vocab import INGEST_EXTENSIONS
from ingest.model import LegalDocument, ReaderError

SUPPORTED_SUFFIXES = INGEST_EXTENSIONS
# Provenance notes that sit beside documents, not documents themselves.
NOT_DOCUMENTS = {"source.md", "readme.md", "index.tsv", "catalog.toml"}


def expand_paths(paths) -> tuple[list[str], list[tuple[str, str]]]:
    """Files to read (folders walked, sorted), and (path, reason) for what is skipped or missing."""
    files, skipped = [], []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    f = Path(root) / name
                    if name.startswith("."):
                        continue
                    if name.lower() in NOT_DOCUMENTS:
                        skipped.append((str(f), "tệp danh mục hoặc ghi chú, không phải văn bản"))
                    elif f.suffix.lower() in SUPPORTED_SUFFIXES:
                        files.append(str(f))
                    else:
                        skipped.append((str(f), f"định dạng {f.suffix or '(không đuôi)'} không hỗ trợ"))
        elif p.is_file():
            files.append(str(p))
        else:
            skipped.append((str(p), "không tồn tại"))
    return files, skipped


def _sniff(path: str) -> str:
    with open(path, "rb") as fh:
        head = fh.read(65536)
    return head.decode("utf-8", errors="ignore")


def read_path(path: str) -> list[LegalDocument]:
    """Detect the format and read. Raises ReaderError naming the file and the reason."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ReaderError(path, f"định dạng {suffix or '(không đuôi)'} không hỗ trợ; hỗ trợ: {', '.join(SUPPORTED_SUFFIXES)}")
    if os.path.getsize(path) == 0:
        raise ReaderError(path, "tệp rỗng")
    if suffix in (".html", ".htm") and "class='pDieu'" in _sniff(path):
        from ingest.readers.phapdien import read_phapdien_file

        return read_phapdien_file(path)
    if suffix == ".json":
        from ingest.readers.benchmark import read_benchmark_file

        return read_benchmark_file(path)
    from ingest.readers.original import read_original_file

    doc = read_original_file(path)
    return [doc]
