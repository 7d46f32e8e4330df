"""The registry's connection to its database: an SQLite file (embedded default) or PostgreSQL.

Through SQLAlchemy Core: one engine with a connection pool per registry, SQL kept to the subset
both engines speak (ON CONFLICT upserts, CAST, standard joins) and bound parameters rendered by
each dialect, and the schema moved forward by Alembic (ingest/registry_migrations) on the same
connections. Callers keep writing "?" placeholders; they are turned into named binds here.

Writers are serialised on both engines, so "check, then write" inside one transaction has no race:
SQLite by BEGIN IMMEDIATE (its one writer), PostgreSQL by a transaction-scoped advisory lock.
Errors: from SQLite the driver's own exception is re-raised (callers already tell "locked", "disk
full" and "not a database" apart by it); PostgreSQL that cannot be reached becomes a KbError
saying which server and what to do.
"""
from __future__ import annotations

import functools
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event, exc as sa_exc
from sqlalchemy.engine import make_url

from core.errors import KbError

MIGRATIONS = Path(__file__).resolve().parent / "registry_migrations"
# pg_advisory_xact_lock key: "kbreg" as a number; any constant the rest of the schema does not use
WRITE_LOCK_KEY = 0x6B62726567


class RegistryUnreachable(KbError):
    """The PostgreSQL server named by KB_REGISTRY_URL refused or dropped the connection."""

    exit_code = 4


def is_url(target: Path | str) -> bool:
    return isinstance(target, str) and "://" in target


def engine_url(url: str) -> sa.URL:
    """postgresql://… (what people write, what libpq takes) → SQLAlchemy's psycopg 3 dialect."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u


def shown_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


@functools.lru_cache(maxsize=512)
def _bound(sql: str) -> tuple[sa.TextClause, int]:
    """`sql` with its "?" placeholders as named binds :p0, :p1 … (no "?" occurs in a literal here)."""
    n = 0

    def name(_m):
        nonlocal n
        n += 1
        return f":p{n - 1}"

    return sa.text(re.sub(r"\?", name, sql)), sql.count("?")


def _params(values: Sequence | dict | None) -> dict:
    if values is None:
        return {}
    if isinstance(values, dict):
        return values
    return {f"p{i}": v for i, v in enumerate(values)}


class Rows(list):
    """Every row of a result as plain tuples, with the cursor methods callers use."""

    def fetchone(self):
        return self[0] if self else None

    def fetchall(self):
        return list(self)


class Conn:
    """One connection (inside a transaction or not): execute/executemany like sqlite3's."""

    def __init__(self, conn: sa.Connection, dialect: str):
        self.conn = conn
        self.dialect = dialect

    def execute(self, sql: str, params: Sequence | dict | None = None) -> Rows:
        clause, _ = _bound(sql)
        with translated(self.dialect):
            result = self.conn.execute(clause, _params(params))
            return Rows(tuple(r) for r in result) if result.returns_rows else Rows()

    def executemany(self, sql: str, seq: Iterable[Sequence]) -> None:
        batch = [_params(p) for p in seq]
        if batch:
            clause, _ = _bound(sql)
            with translated(self.dialect):
                self.conn.execute(clause, batch)


@contextmanager
def translated(dialect: str):
    """SQLAlchemy's wrapped driver errors, as the callers know them (see the module docstring)."""
    try:
        yield
    except sa_exc.DBAPIError as exc:
        orig = exc.orig
        if dialect == "sqlite" and orig is not None:
            raise orig from None
        if getattr(orig, "sqlstate", None) == "53100":  # disk_full: core.errors.is_disk_full knows it
            raise orig from None
        if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)) and exc.connection_invalidated \
                or _is_connection_error(orig):
            raise RegistryUnreachable(
                f"Không kết nối được tới cơ sở dữ liệu PostgreSQL của registry ({_reason(orig)}); chưa có gì thay "
                "đổi. Kiểm tra máy chủ PostgreSQL đang chạy và KB_REGISTRY_URL đúng, rồi thử lại.") from exc
        raise


def _is_connection_error(orig) -> bool:
    state = getattr(orig, "sqlstate", None)
    if state and state.startswith(("08", "57P")):  # connection exception, operator intervention (shutdown)
        return True
    return type(orig).__name__ == "OperationalError" and state is None  # libpq: refused before any reply


def _reason(orig) -> str:
    return (str(orig).strip().splitlines() or ["?"])[0]


class Db:
    """The registry's engine: reads on a pooled connection each, writes in one serialised transaction."""

    def __init__(self, target: Path | str):
        if is_url(target):
            url = engine_url(target)
            if not url.drivername.startswith("postgresql"):
                raise KbError(f"KB_REGISTRY_URL={shown_url(target)}: chỉ hỗ trợ postgresql://…; để trống để dùng "
                              "tệp SQLite trong thư mục dữ liệu.")
            self.dialect = "postgresql"
            self.label = shown_url(target)
            # pre_ping: a pooled connection the server dropped (restart, idle timeout) is replaced, not failed
            self.engine = sa.create_engine(url, pool_pre_ping=True, pool_size=4, max_overflow=8)
        else:
            self.dialect = "sqlite"
            self.label = str(target)
            # a connection per concurrent reader (the web app's threads, the background embedder); SQLite
            # connections are cheap, and WAL lets them all read while one writes
            self.engine = sa.create_engine(f"sqlite:///{target}", pool_size=8, max_overflow=24,
                                           connect_args={"timeout": 60, "check_same_thread": False})
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)

    @property
    def pg(self) -> bool:
        return self.dialect == "postgresql"

    def execute(self, sql: str, params: Sequence | dict | None = None) -> Rows:
        """One statement on its own (autocommitted) connection; all its rows read."""
        with translated(self.dialect), self.engine.connect() as conn:
            rows = Conn(conn, self.dialect).execute(sql, params)
            conn.commit()
            return rows

    def stream(self, sql: str, params: Sequence | dict | None = None) -> Iterator[tuple]:
        """The rows of one query as they are read (a server-side cursor on PostgreSQL): the lexical
        build reads every node without holding them all."""
        clause, _ = _bound(sql)
        with translated(self.dialect), self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=2000).execute(clause, _params(params))
            for row in result:
                yield tuple(row)

    @contextmanager
    def transaction(self) -> Iterator[Conn]:
        """One write transaction, serialised with every other writer of this registry."""
        with translated(self.dialect), self.engine.connect() as conn:
            conn.execution_options(kb_write=True)  # SQLite: this one takes the write lock (_sqlite_begin)
            with conn.begin():
                if self.pg:
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK_KEY})
                yield Conn(conn, self.dialect)

    def close(self) -> None:
        self.engine.dispose()


_WAL_SWITCH_S = 60.0  # as long as the busy timeout


def _sqlite_connect(dbapi_conn, _record):
    # The driver's own implicit transactions off: SQLAlchemy's "begin" event below starts them.
    dbapi_conn.isolation_level = None
    # Switching a new file to WAL needs it alone for a moment, and SQLite answers "database is locked"
    # at once (without its busy handler) to a second process doing the same (`kb serve --workers 2` on
    # a new home; seen in CI): tried again until the busy timeout, as any other wait on the file.
    deadline = time.monotonic() + _WAL_SWITCH_S
    while True:
        try:
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as err:
            if "locked" not in str(err).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    dbapi_conn.execute("PRAGMA synchronous=NORMAL")


def _sqlite_begin(conn):
    # Reads begin a deferred transaction (a WAL snapshot: they neither wait for nor block a writer);
    # writes take the lock at once, so two writers never both read, then both fail to upgrade.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("kb_write") else "BEGIN")


def _alembic_config(conn: sa.Connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["connection"] = conn
    return cfg


# The newest revision in registry_migrations/versions: known without loading Alembic, so opening a
# registry that is already there (every `kb` command, every worker) costs one small query.
# (tests/test_registry_backends.py checks it against the scripts.)
HEAD = "0004"


def head_revision() -> str:
    """The newest revision as Alembic reads it from the scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(db: Db) -> str | None:
    """The revision the registry's schema is at; None before migrations (or a new, empty database)."""
    with translated(db.dialect), db.engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def migrate(db: Db) -> bool:
    """Bring the schema to the newest revision (Alembic), in one serialised write transaction, so
    a registry two processes open at once is migrated once and a failed step leaves it as it was.
    A registry already there takes no write lock (opening it must not wait for an ingest)."""
    from alembic import command

    if current_revision(db) == HEAD:
        return False
    with db.transaction() as tx:
        command.upgrade(_alembic_config(tx.conn), "head")
    return True
