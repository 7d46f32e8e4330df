"""What the UI writes down: the audit log (append-only JSONL) and answer feedback (SQLite).

Audit: one JSON object per line, UTF-8. A line is written whole by one os.write on an O_APPEND
descriptor, then fsync'd, so concurrent writers (the app, `kb` on the command line) never
interleave; no line is ever rewritten or deleted. A write the disk cut short leaves a fragment:
the next line starts on a fresh line instead of being glued to it, and the reader skips the
fragment and counts it. Every field a visitor can fill (user name, target, detail…) is clipped to
`max_field_chars`, so a request cannot grow the log by more than a bounded line.

Which failures block what: a login, a logout, a refusal or an outcome is never blocked by the log
(`record` reports a failed write on stderr and carries on); a change to the collection fails closed
(`intent` is written before the registry commit, and the change is refused when it cannot be). The
outcome names its intent, so a crash between the commit and the outcome leaves an intent no record
answers, which `read_audit` reports.

Feedback: one row per answer (keyed by the server-made turn id), so a later 👍/👎 click on the
same answer replaces the vote instead of appending the question and answer again.
"""
from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import DiskFull, KbError, is_disk_full

_LOCK = threading.Lock()
MAX_FIELD_CHARS = 500
MAX_ITEMS = 50  # of a list or dict inside a logged field
INTENT = "intent"  # the outcome of a record written before a change


class AuditUnavailable(KbError):
    """The audit log cannot be written, so the change it would record is refused (nothing changed)."""


class AuditDiskFull(AuditUnavailable, DiskFull):
    """The same, because the disk is full (exit code of DiskFull)."""


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


def _ends_mid_line(fd: int) -> bool:
    size = os.fstat(fd).st_size
    return size > 0 and os.pread(fd, 1, size - 1) != b"\n"


def append_jsonl(path: str | Path, record: dict) -> dict:
    """Append `record` as one line: a single os.write of the whole line (O_APPEND), then fsync.

    Raises OSError when the line is not on disk whole (a short write counts as ENOSPC: what the
    disk took is a fragment the reader skips)."""
    path = Path(path)
    data = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    with _LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            if _ends_mid_line(fd):  # an earlier write was cut short: never glue this line to its fragment
                data = b"\n" + data
            written = os.write(fd, data)
            if written != len(data):
                raise OSError(errno.ENOSPC, f"chỉ ghi được {written}/{len(data)} byte", str(path))
            os.fsync(fd)
        finally:
            os.close(fd)
    return record


@dataclass
class AuditReading:
    """What `read_audit` found: the records, the line numbers it skipped, the intents left unanswered."""

    path: Path
    records: list[dict] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # 1-based: lines that are not a whole JSON object
    unfinished: list[dict] = field(default_factory=list)  # intents no later record names

    def describe(self) -> list[str]:
        """The reading in Vietnamese, one line per finding."""
        out = [f"Nhật ký kiểm toán {self.path}: {len(self.records)} bản ghi."]
        if self.skipped:
            shown = ", ".join(map(str, self.skipped[:20])) + (" …" if len(self.skipped) > 20 else "")
            out.append(f"Bỏ qua {len(self.skipped)} dòng hỏng (dòng {shown}): thường do ghi dở khi ổ đĩa đầy "
                       "hoặc máy chủ dừng đột ngột; các dòng khác vẫn được đọc.")
        for r in self.unfinished:
            what = " ".join(x for x in (r.get("action", ""), r.get("target", ""), r.get("file", "")) if x)
            out.append(f"Thao tác chưa có kết quả: {r.get('ts', '')} {r.get('user', '')} {what} — đang chạy, hoặc "
                       "máy chủ dừng giữa chừng; xem `kb docs` để biết thay đổi đã được lưu hay chưa.")
        return out


def read_audit(path: str | Path) -> AuditReading:
    """Every whole record of the log; a line that is not one (a write cut short) is skipped and counted."""
    reading = AuditReading(Path(path))
    if not reading.path.exists():
        return reading
    answered: set[str] = set()
    with open(reading.path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                record = None
            if not isinstance(record, dict):
                reading.skipped.append(number)
                continue
            reading.records.append(record)
            if record.get("intent"):
                answered.add(str(record["intent"]))
    reading.unfinished = [r for r in reading.records
                          if r.get("outcome") == INTENT and str(r.get("id", "")) not in answered]
    return reading


def read_jsonl(path: str | Path) -> list[dict]:
    """The whole records of a JSONL log (see read_audit for what was skipped)."""
    return read_audit(path).records


def audit_failure(path: Path, exc: OSError) -> AuditUnavailable:
    """The refusal of a change whose intent could not be written (the message is for the operator)."""
    if is_disk_full(exc):
        try:
            free = f", còn trống {shutil.disk_usage(path.parent).free / 2**20:.1f} MB"
        except OSError:
            free = ""
        return AuditDiskFull(f"Ổ đĩa đầy: không ghi được nhật ký kiểm toán {path}{free}, nên thao tác chưa được "
                             "thực hiện; chưa có gì thay đổi. Giải phóng dung lượng rồi thực hiện lại.")
    return AuditUnavailable(f"Không ghi được nhật ký kiểm toán {path} ({exc.strerror or exc}), nên thao tác chưa "
                            "được thực hiện; chưa có gì thay đổi. Kiểm tra quyền ghi thư mục rồi thực hiện lại.")


class AuditLog:
    """Who did what to the document collection, when, with which file (sha256), and the outcome.

    Actions: "login", "login_failed", "logout", "session_ended" (the account changed under a live
    session), "upload", "replace", "remove", "restore" (an earlier version made the stored text;
    detail names the version), "correct" (a stored document's facts corrected; detail names the
    fields and the new version), and "denied" for a change or a staff view attempted without a
    legal-staff session (e.g. a raw API call). A change writes an `intent` record (outcome "intent",
    a random `id`) before it is made and its outcome record (`intent` = that id) after.
    """

    def __init__(self, path: str | Path, max_field_chars: int = MAX_FIELD_CHARS):
        self.path = Path(path)
        self.max_field_chars = max_field_chars

    def _entry(self, action: str, *, user: str, role: str = "", outcome: str = "ok", target: str = "",
               file: str = "", sha256: str = "", client: str = "", detail: str | dict = "", **extra) -> dict:
        entry = {"ts": now_iso(), "user": user or "anonymous", "role": role, "action": action,
                 "outcome": outcome, "target": target, "file": file, "sha256": sha256, "client": client,
                 "detail": detail, **{k: v for k, v in extra.items() if v}}
        return clip(entry, self.max_field_chars)

    def record(self, action: str, *, intent: str = "", **fields) -> dict | None:
        """Write one record; never raises for the disk: a login, a read or the outcome of a change
        already made must not fail because of the log. A lost record is reported on stderr whole."""
        entry = self._entry(action, intent=intent, **fields)
        try:
            return append_jsonl(self.path, entry)
        except OSError as exc:
            lost = json.dumps(entry, ensure_ascii=False, default=str)
            print(f"kb: không ghi được nhật ký kiểm toán {self.path} ({exc.strerror or exc}); bản ghi: {lost}",
                  file=sys.stderr, flush=True)
            return None

    def intent(self, action: str, **fields) -> str:
        """Before a change: its intent record, whose id the outcome record names. Raises
        AuditUnavailable (AuditDiskFull when the disk is full) when it cannot be written, and the
        caller makes no change: nothing may change the collection unrecorded."""
        intent_id = secrets.token_hex(8)
        try:
            append_jsonl(self.path, self._entry(action, outcome=INTENT, id=intent_id, **fields))
        except OSError as exc:
            raise audit_failure(self.path, exc) from exc
        return intent_id


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
