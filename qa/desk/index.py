"""The desk's index: every stored article's duty rows and time limits, read once when it is stored.

Reading an article for its duties and time limits costs milliseconds (body mentions, subjects, time
phrases), so on the whole Pháp điển (62k articles) reading them when a body is asked took minutes.
The rows are a function of the article's stored text and its document's naming facts alone, so they
are computed when a document is stored (`kb ingest`, the staff's ingest, correction, restore: see
`refresh`) and kept in `desk.sqlite3` in the home (beside an SQLite registry; each host keeps its own when the
registry is on PostgreSQL: it is derived), with the bodies each article's rows name
indexed. A query reads the rows of the articles naming the body and of the documents in force on
its date (qa.desk.source.in_force, as before); an article whose text in force differs from the
stored one (an amendment in the base applies, a khoản repealed) is read again then, as before.

Staleness is per document (a signature of its stored row) and global (a hash of the reading rules'
source): a document stored since, or a rule changed, is read again at the next refresh.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import zlib
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Iterable

from core.bodies import KINDS
from ingest.model import Article
from ingest.registry import Registry
from qa.desk.deadlines import Deadline, document_deadlines
from qa.desk.duties import Duty, article_duties, names_any
from qa.desk.source import DeskDocument, desk_document
from qa.desk.timeparse import FixedDate, Period, Relative

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT);
CREATE TABLE IF NOT EXISTS docs(key TEXT PRIMARY KEY, signature TEXT NOT NULL, starts TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles(doc_key TEXT, pos INTEGER, kind TEXT, number TEXT, effective_from TEXT,
  data BLOB, PRIMARY KEY(doc_key, pos));
CREATE TABLE IF NOT EXISTS bodies(kind TEXT, doc_key TEXT, pos INTEGER, PRIMARY KEY(kind, doc_key, pos));
"""
ANY_ROW = "*"  # bodies.kind of every article with a row (the listing of every time limit)
# Sources whose change changes the rows: a new rule reads every document again.
_RULE_MODULES = ("qa/desk/reading.py", "qa/desk/duties.py", "qa/desk/deadlines.py", "qa/desk/timeparse.py",
                 "qa/desk/source.py", "qa/desk/index.py", "core/bodies.py", "core/vocab.py", "ingest/identity.py",
                 "ingest/structure.py")
_PARALLEL_FROM = 400  # articles to read before a second process is worth its start-up (pyvi's model)
_ANY_KIND = frozenset(KINDS)
_LIMITS = {"fixed": FixedDate, "period": Period, "relative": Relative}


def rules_version() -> str:
    root = Path(__file__).resolve().parents[2]
    h = hashlib.sha256()
    for rel in _RULE_MODULES:
        h.update((root / rel).read_bytes())
    return h.hexdigest()[:16]


# ---- rows to and from JSON (exactly: a row read back equals the row computed)
def duty_to_data(d: Duty) -> dict:
    return asdict(d)


def duty_from_data(x: dict) -> Duty:
    return Duty(**{**x, "counterparts": tuple(x["counterparts"])})


def deadline_to_data(d: Deadline) -> dict:
    return asdict(d)


def deadline_from_data(x: dict) -> Deadline:
    limit = dict(x["limit"])
    limit = _LIMITS[limit["kind"]](**limit)
    return Deadline(**{**x, "limit": limit, "bodies": tuple(x["bodies"]), "recipients": tuple(x["recipients"])})


def read_article(doc: DeskDocument, a: Article) -> tuple[list[Duty], list[Deadline]]:
    """The duty rows and time limits of one article (what the index keeps for it)."""
    # an article that cannot name any body (core.bodies.mention_filter: a superset of body_mentions) gives
    # no duty: reading it sentence by sentence would only confirm that
    duties = article_duties(doc, a) if names_any(a, _ANY_KIND) else []
    return duties, document_deadlines(replace(doc, units=(a,)), duties)


def _encode(duties: list[Duty], deadlines: list[Deadline]) -> bytes:
    data = {"duties": [duty_to_data(d) for d in duties], "deadlines": [deadline_to_data(d) for d in deadlines]}
    return zlib.compress(json.dumps(data, ensure_ascii=False).encode("utf-8"), 3)


def decode(blob: bytes) -> tuple[list[Duty], list[Deadline]]:
    data = json.loads(zlib.decompress(blob).decode("utf-8"))
    return [duty_from_data(x) for x in data["duties"]], [deadline_from_data(x) for x in data["deadlines"]]


def _read_document(doc: DeskDocument) -> list[tuple[int, str, str, str, bytes | None, tuple[str, ...]]]:
    """(pos, kind, number, effective_from, rows or None, body kinds named) of each article of `doc`."""
    out = []
    for pos, a in enumerate(doc.units):
        duties, deadlines = read_article(doc, a)
        kinds: dict[str, None] = {}
        for d in duties:
            kinds[d.body] = None
        for d in deadlines:
            kinds.update(dict.fromkeys(d.bodies))
        blob = _encode(duties, deadlines) if duties or deadlines else None
        out.append((pos, a.kind, a.number, a.effective_from, blob, tuple(kinds)))
    return out


def _read_keys(registry_target: str, keys: list[str]) -> list[tuple[str, list]]:
    """The rows of the documents `keys`, read through the registry (an SQLite file or a PostgreSQL URL,
    opened by this worker itself: a worker only reads it)."""
    registry = Registry(registry_target)
    try:
        return _read_from(registry, keys)
    finally:
        registry.close()


def _read_from(registry: Registry, keys: list[str]) -> list[tuple[str, list]]:
    out = []
    for key in keys:
        doc = registry.document(key)
        if doc is None:
            continue
        units = registry.units(key)
        if units:
            out.append((key, _read_document(desk_document(doc, units, ""))))
    return out


class DeskIndex:
    def __init__(self, registry: Registry, path: Path | None = None):
        self.registry = registry
        if path is None and registry.path is None:  # a PostgreSQL registry has no folder: the caller names one
            raise ValueError("DeskIndex needs a path when the registry is not a file (Settings.desk_index_path)")
        self.path = path or registry.path.with_name("desk.sqlite3")
        self.db = sqlite3.connect(str(self.path), timeout=60, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # ---- freshness
    def _signatures(self) -> dict[str, str]:
        """A signature of each stored document's row: it changes whenever the document is stored again
        (its units with it: the registry rewrites the row and its time on every store)."""
        rows = self.registry.db.execute("SELECT key, data, updated_at FROM documents")
        return {k: hashlib.sha1(f"{data}\x00{at}".encode("utf-8")).hexdigest() for k, data, at in rows}

    def stale(self) -> tuple[list[str], list[str]]:
        """(documents to read, documents to forget)."""
        todo, gone, _ = self._stale(rules_version())
        return todo, gone

    def _stale(self, rules: str) -> tuple[list[str], list[str], dict[str, str]]:
        """stale(), with the signatures it compared: the ones recorded for what is read next. Taken
        before the reading, a document stored again while it is read keeps an older signature than
        its rows and is read again at the next refresh (taken after, it would never be)."""
        version = self.db.execute("SELECT v FROM meta WHERE k='rules'").fetchone()
        have = dict(self.db.execute("SELECT key, signature FROM docs").fetchall())
        if version is None or version[0] != rules:
            have = {k: "" for k in have}
        now = self._signatures()
        return [k for k, s in now.items() if have.get(k) != s], [k for k in have if k not in now], now

    def _claim_if_new(self, version: str) -> None:
        """A new index is marked with the rules at once: what a refresh cut short has read stays valid
        (an index read under other rules is marked only when every document was read again)."""
        if self.db.execute("SELECT v FROM meta WHERE k='rules'").fetchone() is None \
                and self.db.execute("SELECT 1 FROM docs LIMIT 1").fetchone() is None:
            self._set_version(version)

    def refresh(self, workers: int | None = None, progress: Callable[[int, int], None] | None = None) -> int:
        """Read the documents stored or changed since the last refresh (every one when the rules changed);
        forget those removed. Returns the number of documents read."""
        version = rules_version()
        self._claim_if_new(version)
        todo, gone, signatures = self._stale(version)  # the rules' hash: read from their files once
        if gone:
            self._forget(gone)
        if not todo:
            self._set_version(version)
            return 0
        sizes = dict(self.registry.db.execute("SELECT doc_key, COUNT(*) FROM units GROUP BY doc_key").fetchall())
        articles = sum(sizes.get(k, 0) for k in todo)
        workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
        # workers open the registry themselves: its file, or its PostgreSQL URL
        path, read, done = str(self.registry.url or self.registry.path), set(), 0
        if workers > 1 and articles >= _PARALLEL_FROM:
            chunks = _chunks(todo, sizes, max(50, articles // (workers * 8)))
            # spawn: a server process holds threads and open databases a fork would copy; each worker
            # reads its documents from the registry itself, so no document crosses the pipe
            with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
                for result in pool.map(_read_keys, [path] * len(chunks), chunks):
                    self._store(result, signatures)
                    read.update(k for k, _ in result)
                    done += len(result)
                    if progress:
                        progress(done, len(todo))
        else:
            for key in todo:
                result = _read_from(self.registry, [key])
                self._store(result, signatures)
                read.update(k for k, _ in result)
                done += 1
                if progress:
                    progress(done, len(todo))
        # a document gone between the two reads, or with no article: read, nothing found
        self._mark_empty([k for k in todo if k not in read], signatures)
        self._set_version(version)
        return len(todo)

    def _store(self, result: list[tuple[str, list]], signatures: dict[str, str]) -> None:
        with self._transaction() as db:
            for key, articles in result:
                self._delete(db, key)
                starts = sorted({a[3] for a in articles})
                for pos, kind, number, eff, blob, kinds in articles:
                    if blob is None:
                        continue
                    db.execute("INSERT INTO articles VALUES(?,?,?,?,?,?)", (key, pos, kind, number, eff, blob))
                    db.executemany("INSERT OR IGNORE INTO bodies VALUES(?,?,?)",
                                   [(k, key, pos) for k in (*kinds, ANY_ROW) if k is not None])
                db.execute("INSERT OR REPLACE INTO docs VALUES(?,?,?)",
                           (key, signatures.get(key, ""), json.dumps(starts)))

    def _mark_empty(self, keys: list[str], signatures: dict[str, str]) -> None:
        if not keys:
            return
        with self._transaction() as db:
            for key in keys:
                self._delete(db, key)
                db.execute("INSERT OR REPLACE INTO docs VALUES(?,?,?)", (key, signatures.get(key, ""), "[]"))

    def _forget(self, keys: list[str]) -> None:
        with self._transaction() as db:
            for key in keys:
                self._delete(db, key)
                db.execute("DELETE FROM docs WHERE key=?", (key,))

    @staticmethod
    def _delete(db, key: str) -> None:
        db.execute("DELETE FROM articles WHERE doc_key=?", (key,))
        db.execute("DELETE FROM bodies WHERE doc_key=?", (key,))

    def _set_version(self, version: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES('rules', ?)", (version,))

    def _transaction(self):
        from contextlib import contextmanager

        @contextmanager
        def tx():
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise
            else:
                self.db.execute("COMMIT")
        return tx()

    # ---- reading
    def starts(self) -> dict[str, list[str]]:
        """Per document read, the distinct effective dates of its articles ("" for none)."""
        return {k: json.loads(s) for k, s in self.db.execute("SELECT key, starts FROM docs")}

    def articles_naming(self, kinds: Iterable[str] | None) -> dict[str, list[tuple[int, str, str, str, bytes]]]:
        """Per document, (pos, kind, number, effective_from, rows) of the articles whose rows name one of
        `kinds` (every article with a row when None), in article order."""
        wanted = [ANY_ROW] if kinds is None else sorted(kinds)
        marks = ",".join("?" * len(wanted))
        rows = self.db.execute(
            "SELECT a.doc_key, a.pos, a.kind, a.number, a.effective_from, a.data FROM articles a JOIN "
            f"(SELECT DISTINCT doc_key, pos FROM bodies WHERE kind IN ({marks})) b "
            "ON b.doc_key=a.doc_key AND b.pos=a.pos ORDER BY a.doc_key, a.pos", wanted)
        out: dict[str, list] = {}
        for key, *rest in rows:
            out.setdefault(key, []).append(tuple(rest))
        return out


def _chunks(keys: list[str], sizes: dict[str, int], size: int) -> list[list[str]]:
    """Documents grouped into chunks of about `size` articles (a big document alone)."""
    out, cur, n = [], [], 0
    for k in keys:
        cur.append(k)
        n += sizes.get(k, 0)
        if n >= size:
            out.append(cur)
            cur, n = [], 0
    if cur:
        out.append(cur)
    return out


class _Stopped(Exception):
    pass


def _follow(registry_target: str, path: str, stop) -> None:
    """The follower process (see `following`): refresh after refresh until told to stop."""
    try:
        os.nice(10)  # the ingest it follows comes first
    except OSError:
        pass
    registry = Registry(registry_target)
    index = DeskIndex(registry, Path(path))

    def check(_done: int, _total: int) -> None:  # called after each document stored: stop there
        if stop.is_set():
            raise _Stopped

    try:
        while not stop.is_set():
            try:
                index.refresh(workers=1, progress=check)
            except _Stopped:
                break
            stop.wait(2.0)
    finally:
        index.close()
        registry.close()


@contextmanager
def following(registry: Registry, path: Path | None = None, after: float = 20.0):
    """While the body runs (`kb ingest` storing file after file), a process at nice 10 reads the
    documents already stored into the desk's index, on the CPU the ingest leaves idle (it waits on
    its reading and segmenting processes); the refresh after the body then reads only the rest.
    Started only once the body has run `after` seconds: a short ingest does not pay its start-up.
    Each document's rows are recorded with the signature it had before they were read, so one
    stored again meanwhile (a Pháp điển document spans several đề mục files) is read again."""
    ctx = get_context("spawn")  # the ingest holds threads and open databases a fork would copy
    stop = ctx.Event()
    target = str(registry.url or registry.path)
    desk_path = str(path or registry.path.with_name("desk.sqlite3"))
    started: list = []

    def start() -> None:
        proc = ctx.Process(target=_follow, args=(target, desk_path, stop), daemon=True, name="kb-desk-follow")
        proc.start()
        started.append(proc)

    timer = threading.Timer(after, start)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()
        stop.set()
        for proc in started:
            proc.join(120)
            if proc.is_alive():  # SQLite rolls back a transaction cut short: the index stays consistent
                proc.terminate()
                proc.join()


def refresh_index(registry: Registry, progress: Callable[[int, int], None] | None = None,
                  workers: int | None = None, path: Path | None = None) -> int:
    """Bring the desk's index of a registry up to date (called after every change to stored documents)."""
    index = DeskIndex(registry, path)
    try:
        return index.refresh(workers=workers, progress=progress)
    finally:
        index.close()
