"""Accounts for the web UI: a TOML users file with bcrypt hashes, roles, and login sessions.

Independent of `kb` and of gradio, so `python -m ui.auth hash` works on any machine with bcrypt.

Users file (settings.users_file, env KB_USERS_FILE), one table per account:

    [users.phapche]
    name = "Nguyễn Thị B"
    role = "legal_staff"          # or "official"
    password_hash = "$2b$12$…"    # from: python -m ui.auth hash

Roles: "legal_staff" may upload, replace and remove documents; "official" reads only.
Anonymous visitors (when allowed) read only. No account is ever defined in code.

A session lives only as long as its account: every use of it checks the user, the role and the
password hash against the users file as it is now (re-read when its content changes), and a
session whose account was deleted, demoted or given a new password ends (all of that user's
sessions, at once).
"""
from __future__ import annotations

import argparse
import contextvars
import getpass
import hashlib
import secrets
import sys
import threading
import time
import tomllib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple, Protocol

import bcrypt

from core.errors import KbError

LEGAL_STAFF = "legal_staff"
OFFICIAL = "official"
ROLES = (LEGAL_STAFF, OFFICIAL)
ROLE_LABELS = {LEGAL_STAFF: "cán bộ pháp chế", OFFICIAL: "cán bộ (chỉ đọc)"}

# Defaults; the web app passes the values of its settings (session_ttl_s, login_*, max_*_chars).
SESSION_TTL_S = 8 * 3600
MAX_FAILURES = 5  # per (client address, user name) within FAILURE_WINDOW_S, then locked for LOCKOUT_S
MAX_CLIENT_FAILURES = 20  # per client address, whatever the user names
FAILURE_WINDOW_S = 15 * 60
LOCKOUT_S = 5 * 60
MAX_TRACKED = 10_000  # entries of the failure table and of the session table (memory bound)
MAX_USERNAME_CHARS = 100
MAX_PASSWORD_CHARS = 200
MIN_PASSWORD_LEN = 8
# The client address of the login being checked, for callers that cannot pass it (Gradio's own
# /login calls `Authenticator.check(username, password)`; ui.web sets this around that request).
LOGIN_CLIENT: contextvars.ContextVar[str] = contextvars.ContextVar("kb_login_client", default="")
# Checked against when the user name is unknown, so both cases cost one bcrypt verification.
# (A hash of a random, discarded string: no password matches it.)
_DUMMY_HASH = "$2b$12$qG92KGFWNiMnp7UTs0e6xubAsJ30KY0lKmACxi6xLP9Sz0.rugPem"
# Why a session stopped being valid (SessionStore.lookup), and what its holder is told.
EXPIRED, DELETED, ROLE_CHANGED, PASSWORD_CHANGED, UNVERIFIABLE = "expired", "deleted", "role", "password", "unavailable"
SESSION_ENDED = {
    EXPIRED: "Phiên đăng nhập đã hết hạn; hãy đăng nhập lại.",
    DELETED: "Phiên đăng nhập đã hết hiệu lực vì tài khoản không còn trong tệp tài khoản; hãy đăng nhập lại "
             "bằng tài khoản đang được cấp.",
    ROLE_CHANGED: "Phiên đăng nhập đã hết hiệu lực vì vai trò của tài khoản đã thay đổi; hãy đăng nhập lại.",
    PASSWORD_CHANGED: "Phiên đăng nhập đã hết hiệu lực vì mật khẩu của tài khoản đã được đổi; hãy đăng nhập lại "
                      "bằng mật khẩu mới.",
    # The users file is missing or broken: nobody can be verified, so nothing is allowed; the
    # session is kept (not ended) and works again once the file is repaired unchanged.
    UNVERIFIABLE: "Phiên đăng nhập tạm thời không xác minh được vì tệp tài khoản không dùng được; hãy báo quản "
                  "trị viên, rồi đăng nhập lại.",
}


class UsersFileError(KbError, ValueError):
    """The users file cannot be used; the message names the file, the account and the fix."""


def hash_password(password: str, rounds: int = 12) -> str:
    """A bcrypt hash (str) for the users file."""
    if not password:
        raise ValueError("mật khẩu rỗng")
    data = password.encode("utf-8")
    if len(data) > 72:
        raise ValueError("mật khẩu dài quá 72 byte (giới hạn của bcrypt)")
    return bcrypt.hashpw(data, bcrypt.gensalt(rounds=rounds)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw((password or "").encode("utf-8")[:72], password_hash.encode("ascii"))
    except (ValueError, TypeError):
        return False


@dataclass(frozen=True)
class User:
    username: str
    role: str
    name: str
    password_hash: str

    @property
    def display(self) -> str:
        return self.name or self.username


def credential_of(user: User) -> str:
    """A fingerprint of the account's password hash: a session remembers it (not the hash itself),
    so a new password in the users file ends the sessions opened with the old one."""
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Session:
    """Who is logged in, held server-side (gr.State) — never trusted from the browser."""

    username: str
    role: str
    name: str
    logged_in_at: float
    credential: str = ""  # credential_of(the user) at login

    def expired(self, now: float | None = None, ttl: float = SESSION_TTL_S) -> bool:
        return (now or time.time()) - self.logged_in_at > ttl


def load_users(path: str | Path) -> dict[str, User]:
    path = Path(path)
    try:
        return parse_users(path.read_bytes(), path)
    except FileNotFoundError as exc:
        raise UsersFileError(f"{path}: không có tệp tài khoản (KB_USERS_FILE)") from exc


def parse_users(content: bytes, path: Path) -> dict[str, User]:
    """The accounts of a users file's content (`path` names it in the errors)."""
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise UsersFileError(f"{path}: không phải văn bản UTF-8 ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsersFileError(f"{path}: TOML không hợp lệ: {exc}") from exc
    table = data.get("users")
    if not isinstance(table, dict):
        raise UsersFileError(f"{path}: cần các bảng [users.TÊN_ĐĂNG_NHẬP]; xem docs/users.example.toml")
    users: dict[str, User] = {}
    for username, entry in table.items():
        if not isinstance(entry, dict):
            raise UsersFileError(f"{path}: users.{username} phải là một bảng")
        role = entry.get("role", "")
        if role not in ROLES:
            raise UsersFileError(f"{path}: users.{username}: role={role!r} không hợp lệ; chọn {' hoặc '.join(ROLES)}")
        pw_hash = entry.get("password_hash", "")
        if not isinstance(pw_hash, str) or not pw_hash.startswith(("$2a$", "$2b$", "$2y$")):
            raise UsersFileError(
                f"{path}: users.{username}: password_hash phải là mã băm bcrypt; tạo bằng `python -m ui.auth hash`"
            )
        users[username] = User(username=username, role=role, name=str(entry.get("name", "")), password_hash=pw_hash)
    return users


class SharedFailures(Protocol):
    """Failed logins kept outside the process (ingest.registry.Registry implements it), so that every
    `kb serve` process and host counts against one budget of guesses."""

    def login_failures(self, key: str, since: float) -> list[float]: ...

    def add_login_failures(self, keys: list[str], now: float, forget_before: float, per_key: int,
                           max_keys: int) -> None: ...

    def clear_login_failures(self, key: str) -> None: ...

    def login_failure_keys(self, since: float) -> int: ...


def _shared_key(key: tuple) -> str:
    return "\x1f".join(key)


class Authenticator:
    """Checks passwords and sessions against the users file and throttles guessing.

    The file is read at every use and parsed again when its modification time, size or content
    hash changed (an edit within one timestamp tick keeps the size and time of a same-length
    bcrypt hash): a deleted, demoted or re-passworded account counts from the next request on.

    Failures are counted per (client address, user name) and per client address, so guessing from
    one address cannot lock the real user out from another. The table forgets entries older than
    the window and never holds more than `max_tracked` of them. It lives in this process's memory,
    or with `shared` (the registry: `kb serve` passes it) in the database every process uses.
    """

    def __init__(self, users_file: str | Path | None, *, max_failures: int = MAX_FAILURES,
                 max_client_failures: int = MAX_CLIENT_FAILURES, window_s: float = FAILURE_WINDOW_S,
                 lockout_s: float = LOCKOUT_S, max_tracked: int = MAX_TRACKED,
                 max_username_chars: int = MAX_USERNAME_CHARS, max_password_chars: int = MAX_PASSWORD_CHARS,
                 shared: SharedFailures | None = None):
        self.users_file = Path(users_file) if users_file else None
        self.max_failures, self.max_client_failures = max_failures, max_client_failures
        self.window_s, self.lockout_s, self.max_tracked = window_s, lockout_s, max_tracked
        self.max_username_chars, self.max_password_chars = max_username_chars, max_password_chars
        self._users: dict[str, User] = {}
        self._stamp: tuple | None = None  # (mtime_ns, size, sha256) of the content parsed into _users
        self.version = 0  # +1 whenever the accounts were parsed again (SessionStore re-checks then)
        # key -> failure times, oldest activity first: ("pair", client, user) or ("client", client)
        self._failures: OrderedDict[tuple, list[float]] = OrderedDict()
        self.shared = shared  # when set, the failures are counted there instead of in _failures
        self._lock = threading.Lock()
        self.error: str = ""  # server-side detail only: never shown to a visitor
        self.users()

    @property
    def configured(self) -> bool:
        return self.users_file is not None

    def _set_error(self, error: str) -> None:
        if error and error != self.error:
            print(f"kb: tệp tài khoản không dùng được: {error}", file=sys.stderr, flush=True)
        self.error = error

    def users(self) -> dict[str, User]:
        if self.users_file is None:
            return {}
        with self._lock:
            try:
                st = self.users_file.stat()
                content = self.users_file.read_bytes()
            except OSError:
                self._users, self._stamp = {}, None
                self._set_error(f"{self.users_file}: không có tệp tài khoản (KB_USERS_FILE)")
                return {}
            stamp = (st.st_mtime_ns, st.st_size, hashlib.sha256(content).hexdigest())
            if stamp != self._stamp:
                try:
                    self._users = parse_users(content, self.users_file)
                    self._set_error("")
                except UsersFileError as exc:
                    self._users = {}
                    self._set_error(str(exc))
                self._stamp = stamp
                self.version += 1
            return dict(self._users)

    def session_problem(self, session: Session, users: dict[str, User] | None = None) -> str:
        """"" while the session's account is as it was at login; else why it is not (SESSION_ENDED).
        `users`: the accounts just read by users() (re-read when not given)."""
        user = (self.users() if users is None else users).get(session.username)
        if self.error:
            return UNVERIFIABLE
        if user is None:
            return DELETED
        if user.role != session.role:
            return ROLE_CHANGED
        if credential_of(user) != session.credential:
            return PASSWORD_CHANGED
        return ""

    def user(self, username: str) -> User | None:
        return self.users().get(username or "")

    def too_long(self, username: str, password: str) -> bool:
        return len(username or "") > self.max_username_chars or len(password or "") > self.max_password_chars

    def _prune(self, now: float) -> None:
        """Forget failures older than the window (oldest activity first), then cap the table size."""
        while self._failures:
            key, times = next(iter(self._failures.items()))
            if times and now - times[-1] < self.window_s + self.lockout_s:
                break
            self._failures.popitem(last=False)
        while len(self._failures) > self.max_tracked:
            self._failures.popitem(last=False)

    def _recent(self, key: tuple, now: float) -> list[float]:
        if self.shared is not None:
            return self.shared.login_failures(_shared_key(key), now - self.window_s)
        return [t for t in self._failures.get(key, []) if now - t < self.window_s]

    def _wait(self, recent: list[float], limit: int, now: float) -> float:
        return max(0.0, recent[-1] + self.lockout_s - now) if len(recent) >= limit else 0.0

    def locked_for(self, username: str, client: str = "", now: float | None = None) -> float:
        """Seconds until this client may try `username` again (0 when not locked)."""
        now = now or time.time()
        username = (username or "")[: self.max_username_chars]
        with self._lock:
            self._prune(now)
            return max(self._wait(self._recent(("pair", client, username), now), self.max_failures, now),
                       self._wait(self._recent(("client", client), now), self.max_client_failures, now))

    def _fail(self, username: str, client: str, now: float) -> None:
        keys = [("client", client)] + ([("pair", client, username)] if username else [])
        if self.shared is not None:
            self.shared.add_login_failures([_shared_key(k) for k in keys], now,
                                           forget_before=now - self.window_s - self.lockout_s,
                                           per_key=max(self.max_failures, self.max_client_failures),
                                           max_keys=self.max_tracked)
            return
        with self._lock:
            for key in keys:
                times = self._recent(key, now)[-max(self.max_failures, self.max_client_failures):]
                self._failures.pop(key, None)
                self._failures[key] = times + [now]  # re-inserted: most recent activity last
            self._prune(now)

    def tracked(self) -> int:
        if self.shared is not None:
            return self.shared.login_failure_keys(time.time() - self.window_s - self.lockout_s)
        with self._lock:
            return len(self._failures)

    def authenticate(self, username: str, password: str, client: str = "") -> User | None:
        username = (username or "").strip()
        now = time.time()
        if self.too_long(username, password):  # refused before bcrypt and never stored whole
            self._fail("", client, now)
            return None
        if self.locked_for(username, client, now) > 0:
            return None
        user = self.user(username)
        ok = verify_password(password, user.password_hash if user else _DUMMY_HASH)
        if user and ok:
            if self.shared is not None:
                self.shared.clear_login_failures(_shared_key(("pair", client, username)))
            with self._lock:
                self._failures.pop(("pair", client, username), None)
            return user
        self._fail(username, client, now)
        return None

    def check(self, username: str, password: str) -> bool:
        """For Gradio's `auth=` (used only when anonymous reading is switched off)."""
        return self.authenticate(username, password, LOGIN_CLIENT.get()) is not None


class SharedSessions(Protocol):
    """Where every process keeps the sessions (ingest.registry.Registry: a table of the registry)."""

    def save_session(self, k: str, fields: tuple, oldest: float, max_rows: int) -> None: ...

    def session(self, k: str) -> tuple | None: ...

    def live_sessions(self) -> list[tuple]: ...

    def end_session(self, k: str, reason: str, now: float) -> bool: ...

    def delete_session(self, k: str) -> tuple | None: ...

    def live_session_count(self) -> int: ...


def _session_key(token: str) -> str:
    """What the shared table keys a session by: the token's SHA-256, never the token itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SessionLookup(NamedTuple):
    session: Session | None  # the live session of the token, or None
    reason: str  # why there is none although the token named one (a key of SESSION_ENDED), else ""
    former: Session | None = None  # the session the token named, when it ended (for the audit log)


class SessionStore:
    """Logins held server-side, keyed by a random token that lives only in an HttpOnly cookie.

    The token (secrets.token_urlsafe) is the credential: Gradio's session_hash is made by the
    browser and travels in URLs, so it identifies a page, never a person. Expired sessions are
    dropped; the table never holds more than `max_sessions` (oldest logins go first).

    With `accounts`, every lookup also checks the session against the users file as it is now:
    when the file changed, every session whose account was deleted, changed role or got a new
    password ends at once (`on_end(session, reason)` is told), whichever token is used next. An
    ended token is remembered (bounded) so its holder learns why, not just "not logged in".

    With `shared` (the registry), the sessions live in its table instead of this process's memory:
    every `kb serve` process and host knows every login, and a logout, an expiry or an account
    change ends it everywhere (each lookup reads its row: a primary-key read). Only the process
    that ends a session tells `on_end`.
    """

    def __init__(self, ttl_s: float = SESSION_TTL_S, max_sessions: int = MAX_TRACKED,
                 accounts: Authenticator | None = None, on_end: Callable[[Session, str], None] | None = None,
                 shared: SharedSessions | None = None):
        self.ttl_s, self.max_sessions = ttl_s, max_sessions
        self.accounts, self.on_end, self.shared = accounts, on_end, shared
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._ended: OrderedDict[str, tuple[str, Session]] = OrderedDict()  # token -> (reason, session)
        self._checked_version = accounts.version if accounts else 0
        self._lock = threading.Lock()

    def issue(self, user: User) -> tuple[str, Session]:
        token = secrets.token_urlsafe(32)
        session = start_session(user)
        if self.shared is not None:
            self.shared.save_session(_session_key(token), _fields(session), session.logged_in_at - self.ttl_s,
                                     self.max_sessions)
            return token, session
        with self._lock:
            self._sessions[token] = session
            self._prune(time.time())
        return token, session

    def _end(self, token: str, reason: str) -> Session:
        """Under the lock: drop the session of `token`, remembering why."""
        s = self._sessions.pop(token)
        self._ended[token] = (reason, s)
        while len(self._ended) > self.max_sessions:
            self._ended.popitem(last=False)
        return s

    def _prune(self, now: float) -> None:
        while self._sessions:
            token, s = next(iter(self._sessions.items()))
            if not s.expired(now, self.ttl_s) and len(self._sessions) <= self.max_sessions:
                break
            self._sessions.popitem(last=False)

    def _sweep(self, users: dict[str, User]) -> list[tuple[Session, str]]:
        """After the users file changed: end every session its account no longer vouches for."""
        ended = []
        with self._lock:
            if self.accounts is None or self._checked_version == self.accounts.version:
                return ended
            self._checked_version = self.accounts.version
            if self.shared is not None:
                now = time.time()
                for k, *fields in self.shared.live_sessions():
                    s = Session(*fields)
                    reason = self.accounts.session_problem(s, users)
                    if reason and reason != UNVERIFIABLE and self.shared.end_session(k, reason, now):
                        ended.append((s, reason))
                return ended
            for token, s in list(self._sessions.items()):
                reason = self.accounts.session_problem(s, users)
                if reason and reason != UNVERIFIABLE:
                    ended.append((self._end(token, reason), reason))
        return ended

    def lookup(self, token: str | None) -> SessionLookup:
        """The live session of this token, or why the session it named is no longer valid."""
        if not token:
            return SessionLookup(None, "")
        problem, users = "", {}
        if self.accounts is not None:
            users = self.accounts.users()  # re-read when the file changed (and its version bumped)
            for s, reason in self._sweep(users):
                self._notify(s, reason)
        if self.shared is not None:
            return self._lookup_shared(_session_key(token), users)
        with self._lock:
            s = self._sessions.get(token)
            if s is None:
                reason, former = self._ended.get(token, ("", None))
                return SessionLookup(None, reason, former)
            if s.expired(ttl=self.ttl_s):
                return SessionLookup(None, EXPIRED, self._end(token, EXPIRED))
            if self.accounts is not None:
                problem = self.accounts.session_problem(s, users)
            if not problem:
                return SessionLookup(s, "")
            if problem == UNVERIFIABLE:
                return SessionLookup(None, problem, s)
            self._end(token, problem)
        self._notify(s, problem)
        return SessionLookup(None, problem, s)

    def _lookup_shared(self, k: str, users: dict[str, User]) -> SessionLookup:
        row = self.shared.session(k)
        if row is None:
            return SessionLookup(None, "")
        s, ended = Session(*row[:5]), row[5]
        if ended:
            return SessionLookup(None, ended, s)
        problem = EXPIRED if s.expired(ttl=self.ttl_s) else \
            self.accounts.session_problem(s, users) if self.accounts is not None else ""
        if not problem:
            return SessionLookup(s, "")
        if problem == UNVERIFIABLE:
            return SessionLookup(None, problem, s)
        if self.shared.end_session(k, problem, time.time()) and problem != EXPIRED:
            self._notify(s, problem)
        return SessionLookup(None, problem, s)

    def _notify(self, session: Session, reason: str) -> None:
        if self.on_end is not None:
            self.on_end(session, reason)

    def get(self, token: str | None) -> Session | None:
        return self.lookup(token).session

    def revoke(self, token: str | None) -> Session | None:
        if not token:
            return None
        if self.shared is not None:
            row = self.shared.delete_session(_session_key(token))
            return Session(*row[:5]) if row is not None and not row[5] else None
        with self._lock:
            self._ended.pop(token, None)
            return self._sessions.pop(token, None)

    def __len__(self) -> int:
        return self.shared.live_session_count() if self.shared is not None else len(self._sessions)


def _fields(s: Session) -> tuple:
    return (s.username, s.role, s.name, s.logged_in_at, s.credential)


def start_session(user: User) -> Session:
    return Session(username=user.username, role=user.role, name=user.display, logged_in_at=time.time(),
                   credential=credential_of(user))


def active(session: Session | None, ttl: float = SESSION_TTL_S) -> Session | None:
    return session if isinstance(session, Session) and not session.expired(ttl=ttl) else None


def can_manage(session: Session | None) -> bool:
    """Only a live legal-staff session may upload, replace or remove documents."""
    s = active(session)
    return s is not None and s.role == LEGAL_STAFF


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ui.auth", description="Tài khoản giao diện web.")
    sub = p.add_subparsers(dest="command", required=True)
    h = sub.add_parser("hash", help="tạo mã băm bcrypt cho password_hash trong tệp tài khoản")
    h.add_argument("--stdin", action="store_true", help="đọc mật khẩu từ dòng đầu của stdin (cho script)")
    c = sub.add_parser("check", help="kiểm tra tệp tài khoản")
    c.add_argument("file")
    args = p.parse_args(argv)
    if args.command == "check":
        try:
            users = load_users(args.file)
        except UsersFileError as exc:
            print(exc, file=sys.stderr)
            return 1
        for u in users.values():
            print(f"{u.username}\t{u.role}\t{u.name}")
        return 0
    if args.stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Mật khẩu: ")
        if password != getpass.getpass("Nhập lại: "):
            print("Hai lần nhập không khớp.", file=sys.stderr)
            return 1
    if len(password) < MIN_PASSWORD_LEN:
        print(f"Mật khẩu cần ít nhất {MIN_PASSWORD_LEN} ký tự.", file=sys.stderr)
        return 1
    try:
        print(hash_password(password))
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
