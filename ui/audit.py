"""What the UI writes down: the audit log (append-only JSONL) and answer feedback (SQLite).

Audit: one JSON object per line, UTF-8, appended under a lock and flushed at once, so a crash
loses at most the line being written; no line is ever rewritten or deleted. Every field a visitor
can fill (user name, target, detail…) is clipped to `max_field_chars`, so a request cannot grow
the log by more than a bounded line.

Feedback: one row per answer (keyed by the server-made turn id), so a later 👍/👎 click on the
same answer replaces the vote instead of appending the question and answer again.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import threading
from pathlib import Path

_LOCK = threading.Lock()
MAX_FIELD_CHARS = 500
MAX_ITEMS = 50  # of a list or dict inside a logged field


def clip(value, limit: int = MAX_FIELD_CHARS):
    """`value` with every string cut to `limit` characters (marked with …) and containers to MAX_ITEMS."""
    if isinstance(value, str):
        return value if len(value) <= limit else value[: limit - 1] + "…"
    if isinstance(value, dict):
        return {clip(str(k), limit): clip(v, limit) for k, v in list(value.items())[:MAX_ITEMS]}
    if isinstance(value, (list, tuple)):
        return [clip(v, limit) for v in list(value)[:MAX_ITEMS]]
    return value


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

    Actions: "login", "login_failed", "logout", "upload", "replace", "remove", "restore" (an earlier
    version made the stored text; detail names the version), and "denied" for a change or a staff
    view attempted without a legal-staff session (e.g. a raw API call).
    """

    def __init__(self, path: str | Path, max_field_chars: int = MAX_FIELD_CHARS):
        self.path = Path(path)
        self.max_field_chars = max_field_chars

    def record(self, action: str, *, user: str, role: str = "", outcome: str = "ok", target: str = "",
               file: str = "", sha256: str = "", client: str = "", detail: str | dict = "") -> dict:
        entry = {"ts": now_iso(), "user": user or "anonymous", "role": role, "action": action,
                 "outcome": outcome, "target": target, "file": file, "sha256": sha256, "client": client,
                 "detail": detail}
        return append_jsonl(self.path, clip(entry, self.max_field_chars))


class FeedbackLog:
    """Thumbs up/down per answer, with the question, answer, citations and time: one row per `vote` id."""

    COLUMNS = ("vote", "ts", "rating", "question", "answer", "citations", "basis", "mode", "as_of", "documents",
               "user", "changes")

    def __init__(self, path: str | Path, max_field_chars: int = MAX_FIELD_CHARS):
        self.path = Path(path)
        self.max_field_chars = max_field_chars
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:  # created on the first vote: a read-only deployment writes nothing
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS feedback(vote TEXT PRIMARY KEY, ts TEXT, rating TEXT, question TEXT, "
                "answer TEXT, citations TEXT, basis TEXT, mode TEXT, as_of TEXT, documents TEXT, user TEXT, "
                "changes INTEGER DEFAULT 0)")
        return self._db

    def record(self, *, vote: str, rating: str, question: str, answer: dict, user: str = "",
               as_of: str | None = None, documents: list[str] | None = None) -> dict:
        """Store the vote for answer `vote`; a later call with the same id replaces the rating."""
        if rating not in ("up", "down"):
            raise ValueError(f"rating must be 'up' or 'down', not {rating!r}")
        if not vote:
            raise ValueError("vote id is required (one vote per answer)")
        n = self.max_field_chars
        long_text = max(n, 20_000)  # the answer itself is ours and may quote several clauses
        entry = {"vote": clip(vote, 100), "ts": now_iso(), "rating": rating, "question": clip(question or "", n * 4),
                 "answer": clip(answer.get("answer", ""), long_text),
                 "citations": json.dumps(clip(answer.get("citations", []), n), ensure_ascii=False, default=str),
                 "basis": clip(answer.get("basis", ""), n), "mode": clip(answer.get("mode", ""), n),
                 "as_of": clip(as_of or "", n), "documents": json.dumps(clip(documents or [], n), ensure_ascii=False),
                 "user": clip(user or "anonymous", n)}
        with self._lock:
            db = self._conn()
            db.execute(
                "INSERT INTO feedback(vote, ts, rating, question, answer, citations, basis, mode, as_of, documents, "
                "user) VALUES(:vote, :ts, :rating, :question, :answer, :citations, :basis, :mode, :as_of, "
                ":documents, :user) ON CONFLICT(vote) DO UPDATE SET rating=excluded.rating, ts=excluded.ts, "
                "changes=changes + (rating != excluded.rating)", entry)
        return entry

    def rows(self) -> list[dict]:
        """Every vote, oldest first, with citations and documents decoded."""
        if not self.path.exists():
            return []
        with self._lock:
            cur = self._conn().execute(f"SELECT {', '.join(self.COLUMNS)} FROM feedback ORDER BY rowid")
            out = [dict(zip(self.COLUMNS, r)) for r in cur.fetchall()]
        for r in out:
            r["citations"], r["documents"] = json.loads(r["citations"] or "[]"), json.loads(r["documents"] or "[]")
        return out
