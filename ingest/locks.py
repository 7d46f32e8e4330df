"""A lock shared by every process serving one home (several `kb serve` workers, a `kb ingest` in a
shell): `fcntl.flock` on a file under `<home>/locks/`, plus a thread lock, because flock excludes
open files, not threads. The kernel drops it when a process dies, so a killed worker never leaves
it held. SQLite already serialises the registry's own transactions across processes; this guards
what lives beside it on disk (the lexical index, written to a temporary directory and swapped in).
"""
from __future__ import annotations

import errno
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from core.errors import KbError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: one process per home, the thread lock is enough
    fcntl = None


class LockTimeout(KbError):
    """Another process held the lock for longer than we may wait."""


class ProcessLock:
    """Exclusive across processes and threads; `acquire(timeout=0)` only tries."""

    def __init__(self, path: Path, what: str):
        self.path = Path(path)
        self.what = what  # Vietnamese: what the holder is doing, for the timeout message
        self._thread_lock = threading.Lock()
        self._fd: int | None = None

    def acquire(self, timeout: float | None = None) -> bool:
        """True once held; False when `timeout` passed first (None: wait as long as it takes)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._thread_lock.acquire(timeout=-1 if timeout is None else max(timeout, 0)):
            return False
        try:
            if fcntl is None:
                return True
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    self._fd = fd
                    return True
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        os.close(fd)
                        raise
                if deadline is not None and time.monotonic() >= deadline:
                    os.close(fd)
                    self._thread_lock.release()
                    return False
                time.sleep(0.05)
        except BaseException:
            if self._fd is None and self._thread_lock.locked():
                self._thread_lock.release()
            raise

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        self._thread_lock.release()

    @contextmanager
    def hold(self, timeout: float):
        """Held for the block; LockTimeout (a KbError, in Vietnamese) after `timeout` seconds."""
        if not self.acquire(timeout):
            raise LockTimeout(f"Tiến trình khác đang {self.what} quá {timeout:g} giây (khoá {self.path}); "
                              "hãy thử lại sau.")
        try:
            yield
        finally:
            self.release()
