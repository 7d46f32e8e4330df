"""Accounts for the web UI: a TOML users file with bcrypt hashes, roles, and login sessions.

Independent of `kb` and of gradio, so `python -m ui.auth hash` works on any machine with bcrypt.

Users file (settings.users_file, env KB_USERS_FILE), one table per account:

    [users.phapche]
    name = "Nguyễn Thị B"
    role = "legal_staff"          # or "official"
    password_hash = "$2b$12$…"    # from: python -m ui.auth hash

Roles: "legal_staff" may upload, replace and remove documents; "official" reads only.
Anonymous visitors (when allowed) read only. No account is ever defined in code.
"""
from __future__ import annotations

import argparse
import getpass
import sys
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import bcrypt

from core.errors import KbError

LEGAL_STAFF = "legal_staff"
OFFICIAL = "official"
ROLES = (LEGAL_STAFF, OFFICIAL)
ROLE_LABELS = {LEGAL_STAFF: "cán bộ pháp chế", OFFICIAL: "cán bộ (chỉ đọc)"}

SESSION_TTL_S = 8 * 3600
MAX_FAILURES = 5  # per user name within FAILURE_WINDOW_S, then locked for LOCKOUT_S
FAILURE_WINDOW_S = 15 * 60
LOCKOUT_S = 5 * 60
MIN_PASSWORD_LEN = 8
# Checked against when the user name is unknown, so both cases cost one bcrypt verification.
# (A hash of a random, discarded string: no password matches it.)
_DUMMY_HASH = "$2b$12$qG92KGFWNiMnp7UTs0e6xubAsJ30KY0lKmACxi6xLP9Sz0.rugPem"


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


@dataclass(frozen=True)
class Session:
    """Who is logged in, held server-side (gr.State) — never trusted from the browser."""

    username: str
    role: str
    name: str
    logged_in_at: float

    def expired(self, now: float | None = None) -> bool:
        return (now or time.time()) - self.logged_in_at > SESSION_TTL_S


def load_users(path: str | Path) -> dict[str, User]:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UsersFileError(f"{path}: không có tệp tài khoản (KB_USERS_FILE)") from exc
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


class Authenticator:
    """Checks passwords against the users file (re-read when it changes) and throttles guessing."""

    def __init__(self, users_file: str | Path | None):
        self.users_file = Path(users_file) if users_file else None
        self._users: dict[str, User] = {}
        self._mtime: float | None = None
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self.error: str = ""
        self.users()

    @property
    def configured(self) -> bool:
        return self.users_file is not None

    def users(self) -> dict[str, User]:
        if self.users_file is None:
            return {}
        with self._lock:
            try:
                mtime = self.users_file.stat().st_mtime
            except OSError:
                self._users, self._mtime = {}, None
                self.error = f"{self.users_file}: không có tệp tài khoản (KB_USERS_FILE)"
                return {}
            if mtime != self._mtime:
                try:
                    self._users = load_users(self.users_file)
                    self.error = ""
                except UsersFileError as exc:
                    self._users, self.error = {}, str(exc)
                self._mtime = mtime
            return dict(self._users)

    def user(self, username: str) -> User | None:
        return self.users().get(username or "")

    def locked_for(self, username: str, now: float | None = None) -> float:
        """Seconds until `username` may try again (0 when not locked)."""
        now = now or time.time()
        with self._lock:
            recent = [t for t in self._failures.get(username, []) if now - t < FAILURE_WINDOW_S]
            self._failures[username] = recent
            if len(recent) >= MAX_FAILURES:
                return max(0.0, recent[-1] + LOCKOUT_S - now)
            return 0.0

    def authenticate(self, username: str, password: str) -> User | None:
        username = (username or "").strip()
        if self.locked_for(username) > 0:
            return None
        user = self.user(username)
        ok = verify_password(password, user.password_hash if user else _DUMMY_HASH)
        if user and ok:
            with self._lock:
                self._failures.pop(username, None)
            return user
        with self._lock:
            self._failures.setdefault(username, []).append(time.time())
        return None

    def check(self, username: str, password: str) -> bool:
        """For Gradio's `auth=` (used only when anonymous reading is switched off)."""
        return self.authenticate(username, password) is not None


def start_session(user: User) -> Session:
    return Session(username=user.username, role=user.role, name=user.display, logged_in_at=time.time())


def active(session: Session | None) -> Session | None:
    return session if isinstance(session, Session) and not session.expired() else None


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
