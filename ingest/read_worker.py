"""Reading one file in a child process whose memory and time the parent can cut (issue 22, item 3).

Why a process: the readers' own checks (sizes, paragraph cap, deadlines inside their loops) bound
what they know about, but a file can still spend minutes or gigabytes where no check runs — inside
lxml, PDFium, Pillow, the structure parser — and in the web app that happens in a thread of the
server: its memory is the server's, its Python work competes for the GIL with every request, and
Python cannot interrupt a thread. A child process is cut from outside:

- memory: RLIMIT_AS (address space; `Limits.max_read_memory_bytes`, KB_MAX_READ_MEMORY_MB) set in
  the child before it reads, inherited by the `tesseract` it runs; over it, allocation fails
  (MemoryError, or a C library aborting) and the child ends;
- time: the parent waits at most `Limits.max_seconds` (KB_MAX_SECONDS_PER_FILE) plus START_GRACE_S,
  then kills the child's whole process group (the child and its tesseract); the child's own alarm
  at `max_seconds` gives the same refusal when it is in Python code, and RLIMIT_CPU stops a child
  the parent could no longer watch;
- output: the parent reads at most OUTPUT_FACTOR × the text limit from the pipe.

The result travels as JSON (never pickle: the bytes come from a process that read a hostile file).
A child that was cut gives a ReaderError naming the file and the reason; nothing is stored, and
the server's memory and the staff queue are free again at the limit. Startup costs ≈ 0.4–0.6 s
per file (a fresh interpreter importing the readers), measured in docs/BENCHMARKS.md.
"""
from __future__ import annotations

import json
import os
import resource
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

from ingest.limits import MB, Limits, ReadTimeout, time_exceeded, time_limit
from ingest.model import LegalDocument, NothingToStore, ReaderError
from ingest.readers.ocr_cache import OcrCache, using_ocr_cache
from ingest.versions import document_from_version

ROOT = Path(__file__).resolve().parent.parent  # the directory holding the `ingest` package
START_GRACE_S = 5.0  # interpreter start and the child's own clean refusal at its alarm
OUTPUT_FACTOR = 4  # JSON of the documents: the text once, plus field names and escapes
MEMORY_EXIT = 3  # the child ran out of memory even for reporting it
# -I: no PYTHON* variables, no user site, no current directory on the path (what runs is our code).
_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from ingest.read_worker import child_main; child_main()"

RESAVE = "mở bằng chương trình đã tạo ra tệp, lưu lại rồi nạp lại"
MEMORY_REASON = ("vượt quá giới hạn bộ nhớ đọc tệp ({mb} MB, thiết lập KB_MAX_READ_MEMORY_MB); tệp quá lớn hoặc "
                 "bị làm hỏng: tách văn bản thành nhiều tệp (bản quét: quét lại ở 300 dpi), hoặc " + RESAVE)


def read_bounded(path: str, limits: Limits, ocr_cache: OcrCache | None = None) -> list[LegalDocument]:
    """read_path within `limits`: in a child process (limits.read_in_subprocess, the default of
    the settings) or in this process (the time limit then interrupts only in the main thread).
    `ocr_cache`: pages OCR'd before (the staff preview) are taken from it and new ones stored, in the
    child as here (it opens the same folder: a context variable does not cross a process)."""
    if limits.read_in_subprocess:
        return read_in_child(path, limits, ocr_cache=ocr_cache)
    from ingest.readers import read_path

    try:
        with time_limit(limits.max_seconds), using_ocr_cache(ocr_cache):
            return read_path(path, limits)
    except ReadTimeout:
        raise time_exceeded(path, limits.max_seconds) from None


def _memory_refused(path: str, limits: Limits) -> ReaderError:
    return ReaderError(path, MEMORY_REASON.format(mb=limits.max_read_memory_bytes // MB))


def read_in_child(path: str, limits: Limits, report: dict | None = None,
                  ocr_cache: OcrCache | None = None) -> list[LegalDocument]:
    """read_path(path, limits) in a child process under the memory, time and output limits.
    Raises what read_path raises (ReaderError, NothingToStore), or a ReaderError saying which limit
    cut the child. `report`, when given, receives the child's peak RSS (`peak_rss_mib`; None when it
    stayed under this process's own) and its exit status (`exit`: a negative number is the signal that
    ended it), for `kb bench read`."""
    path = str(path)
    cache = ({"folder": str(ocr_cache.folder), "max_entries": ocr_cache.max_entries, "max_bytes": ocr_cache.max_bytes}
             if ocr_cache is not None else None)
    request = json.dumps({"path": path, "limits": asdict(replace(limits, read_in_subprocess=False)),
                          "ocr_cache": cache}).encode()
    env = {**os.environ, "TMPDIR": tempfile.gettempdir()}  # the server's own temp dir (ui.scratch), not /tmp
    try:
        child = subprocess.Popen([sys.executable, "-I", "-c", _BOOT, str(ROOT)], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, env=env, start_new_session=True)
    except OSError as exc:
        raise ReaderError(path, f"không khởi động được tiến trình đọc tệp ({exc.strerror or exc}); thử lại sau") from exc
    # the child's peak RSS (wait4) starts from this process's own: Linux carries the high-water mark of
    # the memory the child was forked from across exec, so only a figure above it is the child's
    inherited = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    wall = limits.max_seconds + START_GRACE_S
    cap = OUTPUT_FACTOR * limits.max_unzipped_bytes + 16 * MB
    try:
        child.stdin.write(request)
        child.stdin.close()
        out, cut = _collect(child, time.monotonic() + wall, cap)
    except BrokenPipeError:  # the child died before reading its request
        out, cut = b"", ""
    finally:
        _kill_group(child)
        peak = _reap(child)
        peak = peak if peak > inherited else 0  # 0: not known (no more than this process's own peak)
        for pipe in (child.stdin, child.stdout):
            try:
                pipe.close()
            except OSError:  # stdin's unflushed request to a dead child
                pass
    if report is not None:
        report.update(peak_rss_mib=round(peak / MB) if peak else None, exit=child.returncode)
    if cut == "time":
        raise ReaderError(path, f"vượt quá giới hạn thời gian đọc ({limits.max_seconds:g} giây, thiết lập "
                                "KB_MAX_SECONDS_PER_FILE); tiến trình đọc đã bị dừng")
    if cut == "output":
        raise _memory_refused(path, limits)
    return _result(path, limits, child.returncode, out, peak)


def _collect(child: subprocess.Popen, deadline: float, cap: int) -> tuple[bytes, str]:
    """The child's stdout until it closes; ("", "time") past the deadline, ("", "output") past cap."""
    fd, chunks, size = child.stdout.fileno(), [], 0
    # poll, not select: select() refuses descriptors past 1024, which a busy server's reach
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return b"", "time"
        if not poller.poll(int(min(left, 1.0) * 1000) + 1):
            continue
        data = os.read(fd, 1 << 20)
        if not data:
            return b"".join(chunks), ""
        size += len(data)
        if size > cap:
            return b"", "output"
        chunks.append(data)


def _kill_group(child: subprocess.Popen) -> None:
    """SIGKILL to the child's own process group (start_new_session): the child and what it runs."""
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # already gone (a zombie's group may be unreachable)


def _reap(child: subprocess.Popen) -> int:
    """Wait for the child; its peak RSS in bytes (wait4's rusage: its own, not the parent's)."""
    try:
        _, status, usage = os.wait4(child.pid, 0)
    except ChildProcessError:  # reaped elsewhere: no figure
        child.wait()
        return 0
    child.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss * 1024


# A child that died by a signal with its resident memory this close to its address-space limit
# ran out of it: C libraries (PDFium, Pillow) abort or crash when an allocation fails, where
# Python would raise MemoryError. (The address space is always a little more than the RSS.)
NEAR_LIMIT = 0.8


def _result(path: str, limits: Limits, code: int | None, out: bytes, peak: int = 0) -> list[LegalDocument]:
    try:
        reply = json.loads(out) if out else None
    except ValueError:
        reply = None
    if not isinstance(reply, dict):
        if code == MEMORY_EXIT or (code is not None and code < 0 and code != -signal.SIGXCPU
                                   and peak >= NEAR_LIMIT * limits.max_read_memory_bytes):
            raise _memory_refused(path, limits)
        if code is not None and code < 0 and -code == signal.SIGXCPU:
            raise time_exceeded(path, limits.max_seconds)
        # the signal or exit code is for the operator (stderr, the server's log), not for staff
        why = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        print(f"kb: reading child for {path} ended by {why}, peak RSS {peak // MB} MB", file=sys.stderr)
        raise ReaderError(path, f"tiến trình đọc tệp dừng bất thường, có thể do vượt quá giới hạn bộ nhớ đọc tệp "
                                f"({limits.max_read_memory_bytes // MB} MB, thiết lập KB_MAX_READ_MEMORY_MB) "
                                "hoặc tệp bị hỏng; " + RESAVE)
    if "documents" in reply:
        return [document_from_version(d) for d in reply["documents"]]
    if reply.get("memory"):
        raise _memory_refused(path, limits)
    if reply.get("kind") in ("ReaderError", "NothingToStore"):
        cls = NothingToStore if reply["kind"] == "NothingToStore" else ReaderError
        raise cls(path, reply["reason"])
    # a reader bug in the child: said like the store says one it meets in-process
    raise ReaderError(path, f"lỗi khi đọc: {reply.get('type', '?')}: {reply.get('message', '')}")


# ------------------------------------------------------------------ the child


def _set_limits(limits: Limits) -> None:
    memory = limits.max_read_memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(limits.max_seconds + START_GRACE_S) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crashed reader leaves no core of a hostile file


def child_main() -> None:
    """Read the request from stdin, the file within the limits, the reply to stdout (JSON)."""
    reply_fd = os.dup(1)
    os.dup2(2, 1)  # whatever a library prints goes to stderr, never into the reply
    request = json.loads(sys.stdin.buffer.read())
    path, limits = request["path"], Limits(**request["limits"])
    cache = OcrCache(**request["ocr_cache"]) if request.get("ocr_cache") else None
    from ingest.readers import read_path  # imported before the limit: what every reading needs

    _set_limits(limits)
    try:
        try:
            with time_limit(limits.max_seconds), using_ocr_cache(cache):
                docs = read_path(path, limits)
            reply = {"documents": [_document_data(d) for d in docs]}
        except ReadTimeout:
            reply = {"kind": "ReaderError", "reason": time_exceeded(path, limits.max_seconds).reason}
        except ReaderError as exc:
            reply = {"kind": type(exc).__name__ if isinstance(exc, NothingToStore) else "ReaderError",
                     "reason": exc.reason}
        except MemoryError:
            reply = {"memory": True}
        except Exception as exc:  # noqa: BLE001 — a reader bug: reported, the parent refuses the file
            reply = {"type": type(exc).__name__, "message": str(exc)[:2000]}
        data = json.dumps(reply, ensure_ascii=False).encode("utf-8")
        with os.fdopen(reply_fd, "wb") as out:
            out.write(data)
    except MemoryError:
        os._exit(MEMORY_EXIT)


def _document_data(doc: LegalDocument) -> dict:
    """The shape ingest.versions.document_from_version reads back."""
    document = asdict(doc)
    return {"document": {k: v for k, v in document.items() if k != "units"}, "units": document["units"]}
