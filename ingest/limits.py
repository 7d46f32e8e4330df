"""Resource limits for reading one file, handed to the readers as a value (readers never read settings).

Each limit is checked where the input enters: the file size before any byte is read, a DOCX's
decompressed size from the zip directory before parsing, the nodes of a document before
segmentation and embedding, and the reading time per file. A file over a limit is refused with
a ReaderError naming the file, the limit and the setting that raises it; nothing is stored.
"""
from __future__ import annotations

import os
import signal
import threading
import time
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass

from ingest.model import ReaderError

MB = 1 << 20


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 50 * MB
    max_unzipped_bytes: int = 50 * MB
    max_nodes: int = 5000
    max_seconds: float = 600.0  # a 40-page scan OCRs in 2–5 minutes on 2 busy cores

    @classmethod
    def from_settings(cls, settings) -> "Limits":
        return cls(max_file_bytes=settings.max_file_mb * MB, max_unzipped_bytes=settings.max_unzipped_mb * MB,
                   max_nodes=settings.max_nodes_per_document, max_seconds=settings.max_seconds_per_file)


DEFAULT_LIMITS = Limits()


def _mb(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB else f"{n} byte"


def check_file_size(path, limits: Limits) -> None:
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise ReaderError(str(path), f"không mở được tệp ({exc.strerror or exc})") from exc
    if size > limits.max_file_bytes:
        raise ReaderError(str(path), f"tệp quá lớn ({_mb(size)}; giới hạn {_mb(limits.max_file_bytes)}, "
                                     "thiết lập KB_MAX_FILE_MB)")


def check_unzipped_size(path, limits: Limits) -> None:
    """A DOCX is a zip: its declared member sizes bound what parsing it would inflate (zipfile never
    reads past a member's declared size), so a zip bomb is refused before anything is decompressed."""
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ReaderError(str(path), f"tệp DOCX hỏng hoặc không đọc được ({type(exc).__name__})") from exc
    if total > limits.max_unzipped_bytes:
        raise ReaderError(str(path), f"nội dung sau giải nén quá lớn ({_mb(total)}; giới hạn "
                                     f"{_mb(limits.max_unzipped_bytes)}, thiết lập KB_MAX_UNZIPPED_MB)")


def check_text_size(path, size: int, limits: Limits) -> None:
    """Text extracted from a compressed container (PDF streams): same bound as a DOCX's."""
    if size > limits.max_unzipped_bytes:
        raise ReaderError(str(path), f"văn bản trích ra quá lớn (hơn {_mb(limits.max_unzipped_bytes)}, "
                                     "thiết lập KB_MAX_UNZIPPED_MB)")


def check_nodes(path, doc_key: str, count: int, limits: Limits) -> None:
    if count > limits.max_nodes:
        raise ReaderError(str(path), f"văn bản {doc_key or '(không tên)'} có {count} nút (khoản/điểm), quá giới hạn "
                                     f"{limits.max_nodes} (thiết lập KB_MAX_NODES)")


def time_exceeded(path, seconds: float) -> ReaderError:
    return ReaderError(str(path), f"đọc tệp quá {seconds:g} giây (thiết lập KB_MAX_SECONDS_PER_FILE)")


class ReadTimeout(BaseException):
    """Raised by the alarm inside a reader. A BaseException so that a reader's `except Exception`
    (which turns parser errors into "tệp hỏng") does not mistake it for a damaged file."""


@contextmanager
def time_limit(seconds: float):
    """Interrupt the block after `seconds` (SIGALRM; only possible in the main thread, i.e. the CLI).

    Elsewhere (the web UI's worker threads) this does nothing and the caller checks the elapsed
    time between stages instead: reading is then bounded by the size limits alone."""
    usable = (seconds > 0 and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread()
              and signal.getitimer(signal.ITIMER_REAL)[0] == 0)  # never clobber someone else's timer
    if not usable:
        yield
        return

    def on_alarm(signum, frame):
        raise ReadTimeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Deadline:
    """Elapsed-time check between the stages of one file (read, nodes, segmentation)."""

    def __init__(self, path, seconds: float):
        self.path, self.seconds, self.start = path, seconds, time.monotonic()

    def check(self) -> None:
        if self.seconds > 0 and time.monotonic() - self.start > self.seconds:
            raise time_exceeded(self.path, self.seconds)
