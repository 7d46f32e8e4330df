"""One error family. Every error a user can cause or fix is a KbError whose message says, in
Vietnamese, what is wrong and what to do; the CLI and the UI catch KbError once and show it."""
from __future__ import annotations

import errno
import sqlite3


class KbError(Exception):
    """Base of every expected failure (bad setting, bad file, unreachable backend…)."""

    exit_code = 1


class SettingsError(KbError, ValueError):
    """A setting has a value we cannot use; the message says which and what is valid."""

    exit_code = 2


class BackendError(KbError):
    """A backend (embedding model, Chroma, LLM server) cannot be used as configured."""


class DenseUnavailable(BackendError):
    """Dense search cannot be used right now (Chroma or the embedding server does not answer).
    Questions fall back to lexical search and say so; ingests store the registry and leave the
    vectors pending (the next sync, `kb embed` or the background embedder completes them)."""


class DiskFull(KbError):
    """The disk holding the home filled up during a write. The transaction that hit it was rolled
    back, so what was stored before is intact; the message says where space is needed."""

    exit_code = 3


class RegistryUnusable(KbError):
    """The registry (the source of truth) is damaged, or gone while the indexes derived from it
    still hold nodes: nothing is served from it; the message names the file and how to restore it."""

    exit_code = 4


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC/EDQUOT from a write, SQLite's SQLITE_FULL ("database or disk is full"), or PostgreSQL's
    disk_full (SQLSTATE 53100, the server's disk: the registry on KB_REGISTRY_URL)."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    if getattr(exc, "sqlstate", None) == "53100":
        return True
    return isinstance(exc, sqlite3.OperationalError) and "full" in str(exc).lower()
