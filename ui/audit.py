"""Append-only JSONL journals written by the UI: the audit log and answer feedback.

One JSON object per line, UTF-8, appended under a lock and flushed at once, so a crash loses at
most the line being written. Nothing here ever rewrites or deletes a line.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
from pathlib import Path

_LOCK = threading.Lock()


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def append_jsonl(path: str | Path, record: dict) -> dict:
    path = Path(path)
    line = json.dumps(record, ensure_ascii=False, default=str)
    with _LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    return record


def read_jsonl(path: str | Path) -> list[dict]:
    path = Path(path)
    if not path.exists():
        return []
    return [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]


class AuditLog:
    """Who did what to the document collection, when, with which file (sha256), and the outcome.

    Actions: "login", "login_failed", "logout", "upload", "replace", "remove", and "denied" for a
    change attempted without a legal-staff session (e.g. a raw API call).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def record(self, action: str, *, user: str, role: str = "", outcome: str = "ok", target: str = "",
               file: str = "", sha256: str = "", client: str = "", detail: str | dict = "") -> dict:
        entry = {"ts": now_iso(), "user": user or "anonymous", "role": role, "action": action,
                 "outcome": outcome, "target": target, "file": file, "sha256": sha256, "client": client,
                 "detail": detail}
        return append_jsonl(self.path, entry)


class FeedbackLog:
    """Thumbs up/down per answer, with the question, answer, citations and time."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def record(self, *, rating: str, question: str, answer: dict, user: str = "", as_of: str | None = None,
               documents: list[str] | None = None) -> dict:
        if rating not in ("up", "down"):
            raise ValueError(f"rating must be 'up' or 'down', not {rating!r}")
        entry = {"ts": now_iso(), "rating": rating, "question": question, "answer": answer.get("answer", ""),
                 "citations": answer.get("citations", []), "basis": answer.get("basis", ""),
                 "mode": answer.get("mode", ""), "as_of": as_of or "", "documents": documents or [],
                 "user": user or "anonymous"}
        return append_jsonl(self.path, entry)
