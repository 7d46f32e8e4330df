"""Resource limits for reading one file, handed to the readers as a value (readers never read settings).

Each limit is checked where the input enters: the file size before any byte is read, a DOCX's
decompressed size from the zip directory and then through a bounded inflation of every member
before parsing, text taken from a .doc or PDF as it is extracted, a DOCX's paragraphs and an
image's pixels (from its header) before they are processed, the nodes of a document before
segmentation and embedding, and the reading time per file (also inside the readers' loops). A
file over a limit is refused with a ReaderError naming the file, the limit and the setting that
raises it; nothing is stored.
"""
from __future__ import annotations

import os
import signal
import struct
import threading
import time
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass

from ingest.model import ReaderError

MB = 1 << 20
# A damaged file, said so its reader knows what to do; the exception behind it is chained
# (`raise … from exc`) for the logs, not named in the message people read.
BROKEN_DOCX = "tệp DOCX bị hỏng hoặc không phải DOCX; mở bằng Word hoặc LibreOffice, lưu lại thành .docx rồi nạp lại"
BROKEN_PDF = "tệp PDF bị hỏng hoặc không phải PDF; mở bằng trình đọc PDF, lưu hoặc in lại thành PDF rồi nạp lại"


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 50 * MB
    max_unzipped_bytes: int = 50 * MB
    max_nodes: int = 5000
    max_seconds: float = 600.0  # a 40-page scan OCRs in 2–5 minutes on 2 busy cores
    max_paragraphs: int = 50_000  # a DOCX's paragraphs (table cells included)
    max_image_pixels: int = 80_000_000  # one page image; an A3 page scanned at 600 dpi is 70 M
    max_side_px: int = 7000  # a page image's long side before OCR: larger ones are scaled down
    # Reading in a child process (ingest.read_worker): its address space, and whether to use one.
    # Off here so that a reader called directly (tests, tools) reads in-process; the settings turn it on.
    max_read_memory_bytes: int = 1024 * MB
    read_in_subprocess: bool = False

    @classmethod
    def from_settings(cls, settings) -> "Limits":
        return cls(max_file_bytes=settings.max_file_mb * MB, max_unzipped_bytes=settings.max_unzipped_mb * MB,
                   max_nodes=settings.max_nodes_per_document, max_seconds=settings.max_seconds_per_file,
                   max_paragraphs=settings.max_paragraphs, max_image_pixels=settings.max_image_megapixels * 1_000_000,
                   max_side_px=settings.ocr_max_side_px, max_read_memory_bytes=settings.max_read_memory_mb * MB,
                   read_in_subprocess=settings.read_in_subprocess)


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
    """A DOCX is a zip. Its directory's declared sizes must fit the limit, and every member must
    really inflate to its declared size: zipfile trusts the directory and inflates a member in one
    call, so a member declared as 1 KB that holds 2 GB would take 2 GB before its CRC check fails.
    Here each member is inflated 64 KB at a time and dropped, stopping at its declared size, so
    what python-docx later inflates is never more than the declared total."""
    try:
        with zipfile.ZipFile(path) as zf, open(path, "rb") as raw:
            members = zf.infolist()
            total = sum(i.file_size for i in members)
            if total > limits.max_unzipped_bytes:
                raise ReaderError(str(path), f"nội dung sau giải nén quá lớn ({_mb(total)}; giới hạn "
                                             f"{_mb(limits.max_unzipped_bytes)}, thiết lập KB_MAX_UNZIPPED_MB)")
            for info in members:
                _check_member(path, raw, info)
    except (zipfile.BadZipFile, OSError, ValueError, zlib.error, struct.error) as exc:
        raise ReaderError(str(path), BROKEN_DOCX) from exc


_CHUNK = 1 << 16


def _check_member(path, raw, info: zipfile.ZipInfo) -> None:
    """Refuse a member that is encrypted, uses a compression a DOCX never uses (bzip2 and LZMA
    inflate without an output bound in zipfile), or inflates to more or less than declared."""
    if info.flag_bits & 0x1:
        raise ReaderError(str(path), f"tệp DOCX có phần được mã hoá ({info.filename}); gỡ mật khẩu rồi nạp lại")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ReaderError(str(path), f"tệp DOCX dùng kiểu nén không hỗ trợ ở phần {info.filename}; "
                                     "mở bằng Word và lưu lại rồi nạp lại")
    raw.seek(info.header_offset)
    head = raw.read(30)
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(info.filename)
    name_len, extra_len = struct.unpack_from("<HH", head, 26)
    raw.seek(info.header_offset + 30 + name_len + extra_len)
    left, out = info.compress_size, 0
    inflate = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    while left > 0 and out <= info.file_size and not (inflate and inflate.eof):
        data = raw.read(min(_CHUNK, left))
        if not data:
            break
        left -= len(data)
        while data and out <= info.file_size:
            if inflate is None:
                out, data = out + len(data), b""
            else:
                out += len(inflate.decompress(data, _CHUNK))
                data = inflate.unconsumed_tail
    if out != info.file_size or (inflate is not None and not inflate.eof):
        raise ReaderError(str(path), f"tệp DOCX hỏng: phần {info.filename} giải nén ra "
                                     f"{'nhiều hơn' if out > info.file_size else 'khác với'} kích thước khai báo "
                                     f"trong thư mục zip ({_mb(info.file_size)}); mở bằng Word, lưu lại rồi nạp lại")


def check_text_size(path, size: int, limits: Limits) -> None:
    """Text extracted from a container (PDF streams, a .doc's pieces), checked as it grows: same
    bound as a DOCX's."""
    if size > limits.max_unzipped_bytes:
        raise ReaderError(str(path), f"văn bản trích ra quá lớn (hơn {_mb(limits.max_unzipped_bytes)}, "
                                     "thiết lập KB_MAX_UNZIPPED_MB)")


def check_nodes(path, doc_key: str, count: int, limits: Limits) -> None:
    if count > limits.max_nodes:
        raise ReaderError(str(path), f"văn bản {doc_key or '(không tên)'} có {count} nút (khoản/điểm), quá giới hạn "
                                     f"{limits.max_nodes} (thiết lập KB_MAX_NODES)")


def check_paragraphs(path, count: int, limits: Limits) -> None:
    if count > limits.max_paragraphs:
        raise ReaderError(str(path), f"tệp có {count} đoạn văn (kể cả đoạn trống), quá giới hạn "
                                     f"{limits.max_paragraphs} (thiết lập KB_MAX_PARAGRAPHS); xoá các đoạn trống "
                                     "hoặc tách văn bản thành nhiều tệp")


def check_image_pixels(path, size: tuple[int, int], limits: Limits, page: int = 1) -> None:
    """From the image header, before a pixel is decoded (a 600 KB PNG can declare 12500×12500)."""
    width, height = size
    if width * height > limits.max_image_pixels:
        raise image_too_large(path, limits, page, f"{width}×{height} điểm ảnh = {width * height / 1e6:.0f} triệu; ")


def image_too_large(path, limits: Limits, page: int = 1, size: str = "") -> ReaderError:
    return ReaderError(str(path), f"ảnh trang {page} quá lớn ({size}giới hạn {limits.max_image_pixels / 1e6:g} triệu "
                                  "điểm ảnh, thiết lập KB_MAX_IMAGE_MEGAPIXELS); quét lại ở 300 dpi rồi nạp lại")


def time_exceeded(path, seconds: float) -> ReaderError:
    return ReaderError(str(path), f"vượt quá giới hạn thời gian đọc ({seconds:g} giây, thiết lập KB_MAX_SECONDS_PER_FILE)")


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

    def check(self, at: float | None = None) -> None:
        """`at`: when the stage being checked ended (a stage that ran while the caller did other work)."""
        if self.seconds > 0 and (time.monotonic() if at is None else at) - self.start > self.seconds:
            raise time_exceeded(self.path, self.seconds)
