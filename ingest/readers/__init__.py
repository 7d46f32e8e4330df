"""Readers: pure functions from a file to LegalDocument objects. `read_path` picks one by format."""
from __future__ import annotations

import errno
import os
from pathlib import Path

from core.vocab import INGEST_EXTENSIONS
from ingest.identity import fallback_key, has_identity
from ingest.limits import DEFAULT_LIMITS, Limits, check_file_size
from ingest.model import LegalDocument, NothingToStore, ReaderError

SUPPORTED_SUFFIXES = INGEST_EXTENSIONS
# Provenance notes that sit beside documents, not documents themselves.
NOT_DOCUMENTS = {"source.md", "readme.md", "index.tsv", "catalog.toml"}
LINK_LOOP = "liên kết tượng trưng tạo vòng lặp (trỏ về chính nó hoặc thư mục cha)"
LINK_DIR = "liên kết tượng trưng tới thư mục: không duyệt theo (nạp trực tiếp thư mục đích nếu cần)"


def _link_problem(p: Path) -> str:
    """Why a symlink cannot be followed ("" when it can, or is no symlink)."""
    if not p.is_symlink():
        return ""
    try:
        p.resolve(strict=True)
    except RuntimeError:  # Python < 3.13 reports a loop this way
        return LINK_LOOP
    except OSError as exc:
        return LINK_LOOP if exc.errno == errno.ELOOP else "liên kết tượng trưng trỏ tới tệp không tồn tại"
    return ""


def _dir_link_problem(link: Path) -> str:
    here = link.parent.resolve()
    return LINK_LOOP if link.resolve() in (here, *here.parents) else LINK_DIR


def expand_paths(paths) -> tuple[list[str], list[tuple[str, str]]]:
    """Files to read (folders walked, sorted), and (path, reason) for what is skipped or missing.

    Symlinked folders are not walked into (os.walk followlinks=False), so a link back to a parent
    cannot loop; they, and looping or dangling file links, are reported as skipped with the reason."""
    files, skipped = [], []
    for p in paths:
        p = Path(p)
        problem = _link_problem(p)
        if problem:
            skipped.append((str(p), problem))
        elif p.is_dir():
            for root, dirs, names in os.walk(p, followlinks=False):
                for d in sorted(dirs):
                    link = Path(root) / d
                    if not d.startswith(".") and link.is_symlink():
                        skipped.append((str(link), _link_problem(link) or _dir_link_problem(link)))
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (Path(root) / d).is_symlink())
                for name in sorted(names):
                    f = Path(root) / name
                    if name.startswith("."):
                        continue
                    problem = _link_problem(f)
                    if problem:
                        skipped.append((str(f), problem))
                    elif name.lower() in NOT_DOCUMENTS:
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


_SNIFF_BYTES = 65536


def _is_empty_demuc(head: str) -> bool:
    from ingest.readers.phapdien import is_empty_demuc

    return is_empty_demuc(head)


def _sniff(path: str) -> str:
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    return head.decode("utf-8", errors="ignore")


def read_path(path: str, limits: Limits = DEFAULT_LIMITS) -> list[LegalDocument]:
    """Detect the format and read. Raises ReaderError naming the file and the reason."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ReaderError(path, f"định dạng {suffix or '(không đuôi)'} không hỗ trợ; hỗ trợ: {', '.join(SUPPORTED_SUFFIXES)}")
    check_file_size(path, limits)
    if os.path.getsize(path) == 0:
        raise ReaderError(path, "tệp rỗng")
    head = _sniff(path) if suffix in (".html", ".htm") else ""
    if "class='pDieu'" in head:
        from ingest.readers.phapdien import read_phapdien_file

        docs = read_phapdien_file(path)
    elif head and os.path.getsize(path) <= _SNIFF_BYTES and _is_empty_demuc(head):  # read whole: surely no article
        raise NothingToStore(path, "đề mục trống: tệp chỉ có tiêu đề đề mục, không có điều nào (bỏ qua)")
    elif suffix == ".json":
        from ingest.readers.benchmark import read_benchmark_file

        docs = read_benchmark_file(path)
    else:
        from ingest.readers.original import read_original_file

        docs = [read_original_file(path, limits)]
    for doc in docs:
        if not has_identity(doc.number, doc.title):
            doc.fallback_key = fallback_key(Path(path).name, _content(doc))
    return docs


def _content(doc: LegalDocument) -> str:
    return "\n".join(f"{u.kind} {u.number} {u.title}\n{u.full_text}" for u in doc.units)
