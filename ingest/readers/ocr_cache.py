"""What Tesseract recognised, kept on disk so that a scan is OCR'd once: staff preview a scan, then
ingest it, and the ingest reads the preview's pages instead of running Tesseract again (a page takes
3 s or more on two busy cores).

An entry is keyed by the SHA-256 of the file's bytes and by a recipe: the engine (Tesseract's
version line and the size and time of each language model used), the language, and every setting
that changes the page image Tesseract sees (dpi, the largest side, the smallest long side, the
preparation's version). Different bytes, another engine or model, or other settings give another
key, so an entry is never reused for what it was not made from; the entry also repeats the hash
and the recipe, and a mismatch is treated as a miss. Pages are stored as they are recognised, so a
preview stopped by the time limit still spares the ingest the pages already read.

The folder is bounded (entries and bytes, `OcrCache.max_entries` / `max_bytes`): the least
recently used entries go first. Writes are atomic (a temporary file renamed), so several
processes serving one home (`kb serve --workers`, a `kb ingest` in a shell) share it safely; a
broken or unreadable entry is a miss, never an error: the page is simply OCR'd again.

Readers never read settings: the store hands the cache in with `using_ocr_cache` around a read.
"""
from __future__ import annotations

import contextvars
import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

MB = 1 << 20
FORMAT = 1  # of an entry file; bumped when its layout changes

_CACHE: contextvars.ContextVar["OcrCache | None"] = contextvars.ContextVar("kb_ocr_cache", default=None)


@contextmanager
def using_ocr_cache(cache: "OcrCache | None"):
    """OCR inside the block reads and fills `cache` (None: no cache)."""
    token = _CACHE.set(cache)
    try:
        yield cache
    finally:
        _CACHE.reset(token)


def current_cache() -> "OcrCache | None":
    return _CACHE.get()


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class OcrCache:
    """Pages recognised per (file bytes, recipe): {page number: {"lines", "confidence", "doubtful"}}."""

    def __init__(self, folder, max_entries: int = 200, max_bytes: int = 64 * MB):
        self.folder = Path(folder)
        self.max_entries = max_entries
        self.max_bytes = max_bytes

    @staticmethod
    def _name(file_sha: str, recipe: str) -> str:
        if len(file_sha) != 64 or any(c not in "0123456789abcdef" for c in file_sha):
            raise ValueError(f"not a SHA-256 in hex: {file_sha!r}")
        return f"{file_sha}-{hashlib.sha256(recipe.encode('utf-8')).hexdigest()[:16]}.json"

    def _path(self, file_sha: str, recipe: str) -> Path:
        return self.folder / self._name(file_sha, recipe)

    @staticmethod
    def _load(path: Path, file_sha: str, recipe: str | None) -> dict | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if (not isinstance(data, dict) or data.get("format") != FORMAT or data.get("sha256") != file_sha
                or (recipe is not None and data.get("recipe") != recipe) or not isinstance(data.get("pages"), dict)):
            return None
        return data

    def latest(self, file_sha: str) -> dict[int, dict]:
        """The pages most recently recognised from these bytes, whatever the recipe: what staff are shown
        beside the page images of a preview (never reused for reading: `pages` checks the recipe)."""
        if not self.folder.exists():
            return {}
        found = []
        for path in self.folder.glob(f"{file_sha}-*.json"):
            try:
                found.append((path.stat().st_mtime_ns, path))
            except OSError:
                continue
        for _, path in sorted(found, reverse=True):
            data = self._load(path, file_sha, None)
            if data is not None:
                return self._pages(data)
        return {}

    @staticmethod
    def _pages(data: dict) -> dict[int, dict]:
        out = {}
        for number, page in data["pages"].items():
            if isinstance(page, dict) and isinstance(page.get("lines"), list) and str(number).isdigit():
                out[int(number)] = page
        return dict(sorted(out.items()))

    def pages(self, file_sha: str, recipe: str) -> dict[int, dict]:
        """The pages stored for these bytes and this recipe ({} when none, or the entry is unusable)."""
        path = self._path(file_sha, recipe)
        data = self._load(path, file_sha, recipe)
        if data is None:
            return {}
        try:
            os.utime(path)  # recently used: evicted last
        except OSError:
            pass
        return self._pages(data)

    def put(self, file_sha: str, recipe: str, pages: dict[int, dict]) -> None:
        """Store the pages recognised so far (the whole entry rewritten); a disk error is ignored: the
        cache only saves time, and the next read OCRs again."""
        if self.max_entries <= 0 or self.max_bytes <= 0:
            return
        entry = {"format": FORMAT, "sha256": file_sha, "recipe": recipe,
                 "pages": {str(n): p for n, p in sorted(pages.items())}}
        data = json.dumps(entry, ensure_ascii=False).encode("utf-8")
        if len(data) > self.max_bytes:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, self._path(file_sha, recipe))
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            self._trim()
        except OSError:
            pass

    def _trim(self) -> None:
        """Drop the least recently used entries until both bounds hold."""
        entries = []
        for p in self.entries():
            try:
                st = p.stat()
            except OSError:
                continue
            entries.append((st.st_mtime_ns, st.st_size, p))
        entries.sort(reverse=True)  # newest first
        total = 0
        for i, (_, size, p) in enumerate(entries):
            total += size
            if i >= self.max_entries or total > self.max_bytes:
                p.unlink(missing_ok=True)

    def entries(self) -> list[Path]:
        """The entry files (not another process's file being written, .tmp-*)."""
        return sorted(p for p in self.folder.glob("*.json") if not p.name.startswith(".")) if self.folder.exists() else []
