"""The document registry (SQLite file, or PostgreSQL with KB_REGISTRY_URL): the source of truth for
what is ingested.

Chroma and the lexical index are derived from it. A file's documents are replaced in ONE
transaction, so a crash leaves either the old or the new version, never half of one;
the derived indexes are brought in step afterwards (and on the next run if a crash
interrupted that), and readers only trust index entries whose text hash matches the registry.
"""
from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Collection
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from core.errors import KbError, RegistryUnusable
from ingest import registry_db
from ingest.registry_db import Db
from ingest.amendments import Amendment, document_amendments
from ingest.model import Article, LegalDocument, NodeMeta
from ingest.nodes import ClauseNode
from ingest.versions import VERSIONED_KINDS, VersionRow, content_sha, unit_from_data, version_data

# The schema lives in ingest/registry_migrations (Alembic), applied when a registry is opened.


def _upsert(table: str, cols: str, key: str) -> str:
    """INSERT … ON CONFLICT(key) DO UPDATE, in the syntax both SQLite and PostgreSQL accept (what
    SQLite's "insert or replace" did here: every other column takes the new value)."""
    names = [c.strip() for c in cols.split(",")]
    keys = {k.strip() for k in key.split(",")}
    sets = ", ".join(f"{c} = excluded.{c}" for c in names if c not in keys)
    return (f"INSERT INTO {table}({', '.join(names)}) VALUES({','.join('?' * len(names))}) "
            f"ON CONFLICT({key}) DO " + (f"UPDATE SET {sets}" if sets else "NOTHING"))


@dataclass(frozen=True)
class NodeRow:
    """A stored clause node: verbatim text, its hashes and tokens, and its typed metadata."""

    node_id: str
    text: str
    meta: NodeMeta
    text_hash: str = ""
    embed_text: str = ""
    lex_tokens: str = ""


@dataclass(frozen=True)
class DocumentRow:
    """A stored document's header facts and its size in the registry."""

    key: str
    number: str = ""
    doc_type: str = ""
    title: str = ""
    issuer: str = ""
    issued_on: str = ""
    effective_from: str = ""
    place: str = ""
    status: str = ""
    source_kind: str = ""
    source_path: str = ""
    source_url: str = ""
    snapshot_on: str = ""  # Pháp điển snapshot (LegalDocument.snapshot_on); "" in rows stored before it
    preamble: str = ""
    signature: str = ""
    warnings: tuple[str, ...] = ()
    articles: int = 0
    nodes: int = 0
    dense_nodes: int = 0

    @classmethod
    def from_data(cls, data: dict, **counts) -> "DocumentRow":
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values["warnings"] = tuple(values.get("warnings") or ())
        return cls(**values | counts)


def _doc_to_row(doc: LegalDocument) -> dict:
    data = {k: v for k, v in asdict(doc).items() if k not in ("units",)}
    data["key"] = doc.key
    return data


class ReplaceRefused(KbError):
    """Storing a file would replace documents another source file holds, without an explicit replace."""

    def __init__(self, conflicts: dict[str, list[str]]):
        self.conflicts = conflicts  # document key -> the other source files that hold it
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in conflicts.items()))


Replace = bool | Collection[str]  # True / False, or the document keys that may be replaced


def _may_replace(replace, key: str) -> bool:
    return replace is True or (not isinstance(replace, bool) and key in replace)


REBUILD = "`kb ingest --force …` với các tệp văn bản đã nạp"


def damaged_message(path: Path, reason: str) -> str:
    return (f"{path.name} bị hỏng: {reason} ({path}). Khôi phục {path.name} từ bản sao lưu vào thư mục dữ liệu, "
            f"hoặc chạy {REBUILD} để dựng lại (tệp hỏng được đổi tên và giữ lại bên cạnh).")


def damage(path: Path) -> str | None:
    """Why the registry file at `path` is not a usable SQLite database ("file is not a database",
    "database disk image is malformed" …), or None: missing, or whole. Reads every page
    (quick_check), so it is for an explicit rebuild, not for every start."""
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(str(path), timeout=60)
        try:
            rows = [r[0] for r in db.execute("PRAGMA quick_check(3)")]
        finally:
            db.close()
    except sqlite3.OperationalError:
        return None  # locked, or not readable by us: not damage
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return None if rows == ["ok"] else "; ".join(rows)


def set_aside(path: Path) -> Path:
    """Rename a damaged registry (with its WAL files) to <name>.hong-<time>, keeping it for inspection."""
    aside = path.with_name(f"{path.name}.hong-{time.strftime('%Y%m%d-%H%M%S')}")
    for suffix in ("", "-wal", "-shm"):
        part = path.with_name(path.name + suffix)
        if part.exists():
            part.replace(aside.with_name(aside.name + suffix))
    return aside


# Values bound in one WHERE … IN (…) list: under SQLite's old limit of 999 parameters.
IN_CHUNK = 500


def _in_chunks(values: list[str]):
    """`values` in pieces for one IN (…) query each: (the piece, its "?,?,…" placeholders)."""
    for i in range(0, len(values), IN_CHUNK):
        chunk = values[i : i + IN_CHUNK]
        yield chunk, ",".join("?" * len(chunk))


class Registry:
    """The registry over an SQLite file (`target` a path) or PostgreSQL (`target` a postgresql:// URL)."""

    def __init__(self, target: Path | str):
        self.url = target if registry_db.is_url(target) else None
        self.path = None if self.url else Path(target)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = Db(target)
        try:
            registry_db.migrate(self.db)
            self._backfill_versions()
        except sqlite3.OperationalError:
            self.db.close()
            raise  # locked, unwritable, disk full: reported as such by the callers
        except sqlite3.DatabaseError as exc:  # not a database, or its pages broken
            self.db.close()
            raise RegistryUnusable(damaged_message(self.path, str(exc))) from None

    @property
    def pg(self) -> bool:
        return self.db.pg

    def holds_nodes(self) -> bool:
        return self.db.execute("SELECT 1 FROM nodes LIMIT 1").fetchone() is not None

    def served_originals(self) -> set[tuple[str, str]]:
        """(sha256 prefix, file name) of the files the stored documents that have an original file
        (ingest.versions.VERSIONED_KINDS) are read from now: the originals that may be downloaded."""
        marks = ",".join("?" * len(VERSIONED_KINDS))
        rows = self.db.execute(
            "SELECT DISTINCT u.source_path, s.sha256 FROM units u JOIN documents d ON d.key = u.doc_key "
            f"JOIN sources s ON s.path = u.source_path WHERE d.source_kind IN ({marks})", VERSIONED_KINDS)
        return {(sha[:16], Path(path).name) for path, sha in rows}

    def close(self):
        self.db.close()

    @contextmanager
    def transaction(self):
        """One write transaction, serialised with every other writer (registry_db.Db.transaction);
        rolled back whole when anything in it raises."""
        with self.db.transaction() as db:
            yield db

    # ---- generation: bumps on every committed change, derived indexes record the one they match
    def generation(self) -> int:
        row = self.db.execute("SELECT v FROM meta WHERE k='generation'").fetchone()
        return int(row[0]) if row else 0

    def _bump(self, db):
        db.execute(
            "INSERT INTO meta(k, v) VALUES('generation', '1') "
            "ON CONFLICT(k) DO UPDATE SET v = CAST(CAST(meta.v AS INTEGER) + 1 AS TEXT)"
        )

    # ---- sources
    def source_hash(self, path: str) -> str | None:
        row = self.db.execute("SELECT sha256 FROM sources WHERE path=?", (path,)).fetchone()
        return row[0] if row else None

    def source_documents(self, path: str) -> list[str]:
        """The documents `path` contributed when it was last stored."""
        row = self.db.execute("SELECT doc_keys FROM sources WHERE path=?", (path,)).fetchone()
        return json.loads(row[0]) if row and row[0] else []

    def stored_from(self, key: str, path: str) -> bool:
        """Is `path` what document `key` is stored from now (its text, or for Pháp điển its part)?
        Not once another file replaced it or it was removed, whatever `path` held before."""
        return self.db.execute("SELECT 1 FROM units WHERE doc_key=? AND source_path=? LIMIT 1",
                               (key, path)).fetchone() is not None

    def sources(self) -> list[tuple[str, str, list[str]]]:
        return [(p, h, json.loads(k)) for p, h, k in self.db.execute("SELECT path, sha256, doc_keys FROM sources")]

    # ---- suppression: documents a user removed stay removed when the default corpus is re-ingested
    def suppressed(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT doc_key FROM suppressed")}

    def unsuppress(self, keys) -> None:
        with self.transaction() as db:
            db.executemany("DELETE FROM suppressed WHERE doc_key=?", [(k,) for k in keys])

    # ---- staff corrections of header facts, kept per document so a replacement file gets them again
    def corrections(self, key: str) -> dict[str, dict]:
        """{override field: {"read": value the reader gave, "value": the correction}} stored for `key`."""
        row = self.db.execute("SELECT data FROM corrections WHERE doc_key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else {}

    def save_corrections(self, keys: Collection[str], fixes: dict[str, dict]) -> None:
        """Store `fixes` under every key the document is known by (as read, and as corrected). None
        left (staff set a field back to what the file says): the stored ones go, or a later version
        would get them again."""
        keys = [k for k in dict.fromkeys(keys) if k]
        if not fixes and not any(self.corrections(k) for k in keys):
            return  # the usual case: nothing corrected, nothing to write
        data, now = json.dumps(fixes, ensure_ascii=False), time.time()
        with self.transaction() as db:
            if not fixes:
                db.executemany("DELETE FROM corrections WHERE doc_key=?", [(k,) for k in keys])
                return
            db.executemany(_upsert("corrections", "doc_key, data, updated_at", "doc_key"),
                           [(k, data, now) for k in keys])

    # ---- the original file a document was read from
    def source_of(self, key: str) -> tuple[str, str] | None:
        """(path, sha256) of the one file `key` was read from; None when it comes from several (Pháp điển)."""
        paths = [r[0] for r in self.db.execute("SELECT DISTINCT source_path FROM units WHERE doc_key=?", (key,))]
        if len(paths) != 1:
            return None
        row = self.db.execute("SELECT sha256 FROM sources WHERE path=?", (paths[0],)).fetchone()
        return (paths[0], row[0]) if row else None

    # ---- the atomic replace
    def conflicts(self, path: str, docs: list[LegalDocument], replace: Replace = False, db=None) -> dict[str, list[str]]:
        """Documents of `docs` already held by OTHER source files that storing `path` would replace
        (key -> those files), leaving out the keys `replace` allows. A new version of the same file is
        no conflict, nor is a Pháp điển document assembled from several đề mục files."""
        db = db or self.db
        out = {}
        for doc in docs:
            if _may_replace(replace, doc.key):
                continue
            others = [r[0] for r in db.execute(
                "SELECT DISTINCT source_path FROM units WHERE doc_key=? AND source_path!=? ORDER BY source_path",
                (doc.key, path))]
            if not others:
                continue
            stored = db.execute("SELECT source_kind FROM documents WHERE key=?", (doc.key,)).fetchone()
            if doc.source_kind == "phapdien" and stored and stored[0] == "phapdien":
                continue
            out[doc.key] = others
        return out

    def replace_source(self, path: str, sha256: str, size: int, docs: list[LegalDocument],
                       nodes_by_doc: dict[str, list[ClauseNode]], lex_tokens: dict[str, str],
                       replace: Replace = False, user: str = "", only_docs: bool = False,
                       renamed: dict[str, str] | None = None) -> dict[str, int]:
        """Replace everything `path` contributed with `docs`, in one transaction; returns the
        version each versioned document now has (ingest.versions), recorded in the same transaction.
        `user`: who ingests (or restores), recorded with each version and, as confirmed_by, with the
        amendment relations the documents make.

        `renamed`: new key -> the key a staff correction changed (a corrected number). The document's
        version history goes with it when `path` held it under the old key and nothing else does.

        `only_docs`: replace just `docs`, leaving what else `path` holds (a restored version: its
        kept original may hold several documents, restored one at a time).

        Raises ReplaceRefused, changing nothing, when that would replace a document another file
        holds and `replace` does not allow it (checked inside the transaction: no race)."""
        relations = {d.key: document_amendments(d) for d in docs}  # parsed before the write lock is taken
        versions: dict[str, int] = {}
        with self.transaction() as db:
            refused = self.conflicts(path, docs, replace, db)
            if refused:
                raise ReplaceRefused(refused)
            old_keys = {r[0] for r in db.execute("SELECT DISTINCT doc_key FROM units WHERE source_path=?", (path,))}
            if only_docs:
                old_keys = set()
                held = db.execute("SELECT doc_keys FROM sources WHERE path=?", (path,)).fetchone()
                others = [k for k in (json.loads(held[0]) if held else []) if k not in {d.key for d in docs}]
            else:
                others = []
                db.execute("DELETE FROM units WHERE source_path=?", (path,))
                db.execute("DELETE FROM amendments WHERE source_path=?", (path,))
                db.execute("DELETE FROM nodes WHERE source_path=?", (path,))
            now = time.time()
            for doc in docs:
                key = doc.key
                if doc.source_kind != "phapdien":
                    # A document file is the whole document: a new file with the same number replaces
                    # it everywhere, in this same transaction. (Pháp điển documents are assembled from
                    # several đề mục files, so only this file's part is replaced.)
                    db.execute("DELETE FROM units WHERE doc_key=?", (key,))
                    db.execute("DELETE FROM nodes WHERE doc_key=?", (key,))
                    db.execute("DELETE FROM documents WHERE key=?", (key,))
                    db.execute("DELETE FROM amendments WHERE origin_key=?", (key,))
                self._insert_amendments(db, key, path, relations.get(key, []), user)
                existing = db.execute("SELECT data FROM documents WHERE key=?", (key,)).fetchone()
                row = _doc_to_row(doc)
                if existing:  # same document from several files (Pháp điển đề mục): keep the earliest facts
                    old = json.loads(existing[0])
                    for k, v in row.items():
                        if not v and old.get(k):
                            row[k] = old[k]
                    if old.get("effective_from") and doc.effective_from:
                        row["effective_from"] = min(old["effective_from"], doc.effective_from)
                unit_dicts = [asdict(u) for u in doc.units]  # once: for the version kept and the units table
                if doc.source_kind in VERSIONED_KINDS:
                    self._carry_history(db, (renamed or {}).get(key, key), key, old_keys - {d.key for d in docs})
                    row["version"] = versions[key] = self._record_version(
                        db, key, version_data(row, unit_dicts), path, sha256, size, user, now)
                # seq: stored last, listed last (as SQLite's rowid did for a replaced row)
                seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM documents").fetchone()[0]
                db.execute(
                    _upsert("documents", "key, number, doc_type, title, issuer, issued_on, effective_from, status, "
                            "source_kind, source_url, data, updated_at, seq", "key"),
                    (key, row["number"], row["doc_type"], row["title"], row["issuer"], row["issued_on"],
                     row["effective_from"], row["status"], row["source_kind"], row["source_url"],
                     json.dumps(row, ensure_ascii=False), now, seq),
                )
                base = db.execute("SELECT COALESCE(MAX(ord), -1) + 1 FROM units WHERE doc_key=?", (key,)).fetchone()[0]
                # one statement per table, in order (a repeated unit number: the later one stays, as before)
                db.executemany(
                    _upsert("units", "doc_key, ord, kind, number, source_path, data", "doc_key, kind, number"),
                    [(key, base + i, unit.kind, unit.number, path, json.dumps(data, ensure_ascii=False))
                     for i, (unit, data) in enumerate(zip(doc.units, unit_dicts))])
                db.executemany(
                    _upsert("nodes", "node_id, doc_key, source_path, ord, text, embed_text, text_hash, lex_tokens, "
                            "meta", "node_id"),
                    [(n.node_id, key, path, (base << 12) + j, n.text, n.embed_text, n.text_hash,
                      lex_tokens[n.node_id], json.dumps(n.metadata.to_dict(), ensure_ascii=False))
                     for j, n in enumerate(nodes_by_doc.get(key, []))])
            # documents this file no longer contributes to and that nothing else holds
            for key in old_keys - {d.key for d in docs}:
                if not db.execute("SELECT 1 FROM units WHERE doc_key=? LIMIT 1", (key,)).fetchone():
                    db.execute("DELETE FROM documents WHERE key=?", (key,))
            db.execute(
                _upsert("sources", "path, sha256, size, ingested_at, doc_keys", "path"),
                (path, sha256, size, now, json.dumps(others + [d.key for d in docs], ensure_ascii=False)),
            )
            self._bump(db)
        return versions

    # ---- versions (ingest.versions)
    @staticmethod
    def _carry_history(db, old: str, new: str, dropped: set[str]) -> None:
        """A correction moved the document from `old` to `new`: its versions become `new`'s (the
        correction is their next one), so `kb versions` and the staff panel follow the document and
        no version is left under a key nothing holds. Only when `old` is dropped by this very file and
        no other file holds it, and `new` has no history of its own (never two histories merged)."""
        if old == new or old not in dropped:
            return
        if db.execute("SELECT 1 FROM units WHERE doc_key=? LIMIT 1", (old,)).fetchone():
            return
        if db.execute("SELECT 1 FROM versions WHERE doc_key=? LIMIT 1", (new,)).fetchone():
            return
        db.execute("UPDATE versions SET doc_key=? WHERE doc_key=?", (new, old))

    @staticmethod
    def _record_version(db, key: str, data: dict, path: str, sha256: str, size: int, user: str, now: float) -> int:
        """The version `data` read from a file with `sha256` is: an earlier one with the same content
        from the same bytes (stored again, or restored), else a new one."""
        csha = content_sha(data)
        seen = db.execute("SELECT version FROM versions WHERE doc_key=? AND content_sha=? AND sha256=? "
                          "ORDER BY version DESC LIMIT 1", (key, csha, sha256)).fetchone()
        if seen:
            return seen[0]
        n = db.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM versions WHERE doc_key=?", (key,)).fetchone()[0]
        db.execute('INSERT INTO versions(doc_key, version, ingested_at, "user", sha256, source_name, source_path, size, '
                   "content_sha, data) VALUES(?,?,?,?,?,?,?,?,?,?)",
                   (key, n, now, user, sha256, Path(path).name, path, size, csha, json.dumps(data, ensure_ascii=False)))
        return n

    def current_version(self, key: str) -> int | None:
        """The version document `key` is stored as now; None when it is not stored or has no versions."""
        row = self.db.execute("SELECT data FROM documents WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]).get("version") if row else None

    _VERSION_COLS = 'doc_key, version, ingested_at, "user", sha256, source_name, source_path, size, content_sha'

    def versions(self, key: str) -> list[VersionRow]:
        """Every version of `key`, oldest first, the current one marked (none when it was removed)."""
        current = self.current_version(key)
        return [VersionRow(*r, current=r[1] == current) for r in self.db.execute(
            f"SELECT {self._VERSION_COLS} FROM versions WHERE doc_key=? ORDER BY version", (key,))]

    def version(self, key: str, version: int) -> VersionRow | None:
        """One version of `key` with its data (the stored document), or None."""
        row = self.db.execute(f"SELECT {self._VERSION_COLS}, data FROM versions WHERE doc_key=? AND version=?",
                              (key, version)).fetchone()
        if row is None:
            return None
        return VersionRow(*row[:-1], current=row[1] == self.current_version(key), data=json.loads(row[-1]))

    def _backfill_versions(self) -> None:
        """A registry from before versions were kept: each document it holds becomes its version 1,
        once (so the first replacement can be undone). Inside one write transaction, so two
        processes opening the same old registry do it once."""
        if self.get_meta("versions_backfilled"):
            return
        with self.transaction() as db:
            if db.execute("SELECT v FROM meta WHERE k='versions_backfilled'").fetchone():
                return
            kinds = ",".join("?" * len(VERSIONED_KINDS))
            rows = db.execute(f"SELECT key, data, updated_at FROM documents WHERE source_kind IN ({kinds}) AND key NOT IN "
                              "(SELECT doc_key FROM versions)", VERSIONED_KINDS).fetchall()
            for key, raw, updated in rows:
                paths = [r[0] for r in db.execute("SELECT DISTINCT source_path FROM units WHERE doc_key=?", (key,))]
                src = db.execute("SELECT sha256, size FROM sources WHERE path=?", (paths[0],)).fetchone() \
                    if len(paths) == 1 else None
                if src is None:
                    continue  # no single file it was read from: nothing a version could name
                stored = json.loads(raw)
                units = [json.loads(u[0]) for u in db.execute("SELECT data FROM units WHERE doc_key=? ORDER BY ord",
                                                              (key,))]
                stored["version"] = self._record_version(db, key, version_data(stored, units), paths[0], src[0],
                                                         src[1] or 0, "", updated or time.time())
                db.execute("UPDATE documents SET data=? WHERE key=?", (json.dumps(stored, ensure_ascii=False), key))
            db.execute(_upsert("meta", "k, v", "k"), ("versions_backfilled", "1"))

    def remove_document(self, key: str) -> bool:
        with self.transaction() as db:
            found = db.execute("SELECT 1 FROM documents WHERE key=?", (key,)).fetchone()
            db.execute("DELETE FROM documents WHERE key=?", (key,))
            db.execute("DELETE FROM units WHERE doc_key=?", (key,))
            db.execute("DELETE FROM nodes WHERE doc_key=?", (key,))
            db.execute("DELETE FROM amendments WHERE origin_key=?", (key,))
            db.execute(_upsert("suppressed", "doc_key, at", "doc_key"), (key, time.time()))
            self._bump(db)
        return bool(found)

    @staticmethod
    def _insert_amendments(db, origin: str, path: str, found: list[Amendment], confirmed_by: str) -> None:
        db.executemany(
            "INSERT INTO amendments(target_key, article, clause, point, origin_key, source_path, ord, amending_key, "
            "data, confirmed_by) VALUES(?,?,?,?,?,?,?,?,?,?)",
            [(a.target_key, a.article, a.clause, a.point, origin, path, i, a.amending_key,
              json.dumps(a.to_dict(), ensure_ascii=False), confirmed_by) for i, a in enumerate(found)])

    # ---- reads
    def amendments(self, target_key: str | None = None) -> list[Amendment]:
        """The amendment relations of one amended document (by key), in the order they were read;
        None: every relation (those naming their target only in words are resolved by the caller)."""
        sql = "SELECT data FROM amendments" + (" WHERE target_key=?" if target_key is not None else "")
        rows = self.db.execute(sql + " ORDER BY origin_key, source_path, ord", (() if target_key is None
                                                                               else (target_key,)))
        return [Amendment(**json.loads(r[0])) for r in rows]

    def amendments_made_by(self, amending_key: str) -> list[Amendment]:
        rows = self.db.execute("SELECT data FROM amendments WHERE amending_key=? ORDER BY source_path, ord",
                               (amending_key,))
        return [Amendment(**json.loads(r[0])) for r in rows]

    def keys(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT key FROM documents")}

    def documents(self) -> list[DocumentRow]:
        dense = self.dense_counts()
        rows = self.db.execute(
            "SELECT d.key, d.data, (SELECT COUNT(*) FROM units u WHERE u.doc_key=d.key), "
            "(SELECT COUNT(*) FROM nodes n WHERE n.doc_key=d.key) FROM documents d ORDER BY d.seq, d.key"
        ).fetchall()
        return [DocumentRow.from_data(json.loads(data), articles=n_units, nodes=n_nodes, dense_nodes=dense.get(key, 0))
                for key, data, n_units, n_nodes in rows]

    def document(self, key: str) -> DocumentRow | None:
        row = self.db.execute("SELECT data FROM documents WHERE key=?", (key,)).fetchone()
        return DocumentRow.from_data(json.loads(row[0])) if row else None

    def dense_counts(self) -> dict[str, int]:
        """Per document, how many of its current nodes have a current vector in Chroma."""
        return dict(self.db.execute(
            "SELECT n.doc_key, COUNT(*) FROM dense_state d JOIN nodes n ON n.node_id=d.node_id "
            "AND n.text_hash=d.text_hash GROUP BY n.doc_key").fetchall())

    def units(self, key: str) -> list[Article]:
        rows = self.db.execute("SELECT data FROM units WHERE doc_key=? ORDER BY ord", (key,)).fetchall()
        return [unit_from_data(json.loads(r[0])) for r in rows]

    def lexical_rows(self):
        """(node_id, space-joined tokens, text hash) of every node, in a stable order: what the BM25
        index is built from."""
        return self.db.stream("SELECT node_id, lex_tokens, text_hash FROM nodes ORDER BY doc_key, ord")

    def lexical_signatures(self):
        """(node_id, text hash) of every node: what the lexical index is brought up to date against
        (the tokens are a function of the hashed text)."""
        return self.db.stream("SELECT node_id, text_hash FROM nodes")

    def lexical_rows_of(self, ids: list[str]):
        """(node_id, tokens, text hash) of these nodes (those still stored)."""
        for chunk, q in _in_chunks(ids):
            yield from self.db.execute(f"SELECT node_id, lex_tokens, text_hash FROM nodes WHERE node_id IN ({q})", chunk)

    def nodes_by_id(self, ids: list[str]) -> dict[str, NodeRow]:
        out = {}
        for chunk, q in _in_chunks(ids):
            for nid, text, th, et, meta, toks in self.db.execute(
                f"SELECT node_id, text, text_hash, embed_text, meta, lex_tokens FROM nodes WHERE node_id IN ({q})", chunk
            ):
                out[nid] = NodeRow(nid, text, NodeMeta.from_dict(json.loads(meta)), th, et, toks)
        return out

    def dense_hashes(self, ids: list[str]) -> dict[str, str]:
        """node_id -> the text hash of the vector Chroma holds for it (dense_state, written after each
        upsert): retrieval drops a vector whose hash is not the node's, without asking Chroma for
        metadata (which costs twenty times the nearest-neighbour search itself)."""
        out: dict[str, str] = {}
        for chunk, q in _in_chunks(ids):
            out.update(self.db.execute(f"SELECT node_id, text_hash FROM dense_state WHERE node_id IN ({q})", chunk))
        return out

    def nodes_of(self, key: str) -> list[NodeRow]:
        return [
            NodeRow(nid, text, NodeMeta.from_dict(json.loads(meta)), th)
            for nid, text, th, meta in self.db.execute(
                "SELECT node_id, text, text_hash, meta FROM nodes WHERE doc_key=? ORDER BY ord", (key,)
            )
        ]

    def nodes_mentioning(self, fragment: str, any_of: tuple[str, ...] = (), limit: int = 50) -> list[NodeRow]:
        """Nodes whose text holds `fragment` verbatim (a document number's "79/2010/") and, when `any_of` is
        given, one of those words too ("hết hiệu lực", "bãi bỏ"), at most `limit`: what the stored texts say
        about a document, found without reading every node into Python."""
        def like(text: str) -> str:
            return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        # SQLite's LIKE ignores the case of ASCII letters; ILIKE keeps that on PostgreSQL ("Hết hiệu lực")
        op = "ILIKE" if self.pg else "LIKE"
        words = " OR ".join(f"text {op} ? ESCAPE '\\'" for _ in any_of)
        sql = (f"SELECT node_id, text, text_hash, meta FROM nodes WHERE text {op} ? ESCAPE '\\'"
               + (f" AND ({words})" if any_of else "") + " ORDER BY doc_key, ord"
               + (" LIMIT ?" if limit >= 0 else ""))  # a negative limit: all (PostgreSQL refuses LIMIT -1)
        params = (like(fragment), *map(like, any_of)) + ((limit,) if limit >= 0 else ())
        return [NodeRow(nid, text, NodeMeta.from_dict(json.loads(meta)), th)
                for nid, text, th, meta in self.db.execute(sql, params)]

    def tokens_by_hash(self, hashes: list[str]) -> dict[str, str]:
        """Segmented tokens already computed for these text hashes (segmentation is not free)."""
        known: dict[str, str] = {}
        for chunk, q in _in_chunks(hashes):
            known.update(self.db.execute(
                f"SELECT text_hash, lex_tokens FROM nodes WHERE text_hash IN ({q})", chunk).fetchall())
        return known

    def sample_embed_texts(self, limit: int) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT embed_text FROM nodes ORDER BY node_id LIMIT ?", (limit,))]

    def counts(self) -> dict:
        q = lambda s: self.db.execute(s).fetchone()[0]  # noqa: E731
        return {
            "documents": q("SELECT COUNT(*) FROM documents"),
            "articles": q("SELECT COUNT(*) FROM units"),
            "nodes": q("SELECT COUNT(*) FROM nodes"),
            "dense": q("SELECT COUNT(*) FROM dense_state d JOIN nodes n ON n.node_id=d.node_id AND n.text_hash=d.text_hash"),
        }

    def has_dense(self) -> bool:
        return self.db.execute("SELECT 1 FROM dense_state LIMIT 1").fetchone() is not None

    # ---- embeddings cache (content-addressed, so an unchanged node is never embedded twice)
    def cached_vectors(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        out = {}
        for chunk, q in _in_chunks(hashes):
            for h, blob in self.db.execute(
                f"SELECT text_hash, vec FROM embed_cache WHERE model=? AND text_hash IN ({q})", [model, *chunk]
            ):
                out[h] = np.frombuffer(blob, dtype=np.float32)
        return out

    def store_vectors(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        with self.transaction() as db:
            db.executemany(
                _upsert("embed_cache", "model, text_hash, vec", "model, text_hash"),
                [(model, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in vectors.items()],
            )

    # ---- what Chroma holds
    def dense_diff(self) -> tuple[list[tuple[str, str]], list[str]]:
        """(nodes to upsert: (node_id, text_hash), ids to delete) to bring Chroma in step."""
        missing = self.db.execute(
            "SELECT n.node_id, n.text_hash FROM nodes n LEFT JOIN dense_state d ON d.node_id=n.node_id "
            "WHERE d.node_id IS NULL OR d.text_hash != n.text_hash ORDER BY n.doc_key, n.ord"
        ).fetchall()
        return missing, self.dense_stale()

    def dense_stale(self) -> list[str]:
        """Ids Chroma holds that the registry no longer has."""
        return [r[0] for r in self.db.execute(
            "SELECT d.node_id FROM dense_state d LEFT JOIN nodes n ON n.node_id=d.node_id WHERE n.node_id IS NULL")]

    def dense_missing_count(self) -> int:
        """How many nodes Chroma lacks (or holds stale), without listing them."""
        return int(self.db.execute(
            "SELECT COUNT(*) FROM nodes n LEFT JOIN dense_state d ON d.node_id=n.node_id "
            "WHERE d.node_id IS NULL OR d.text_hash != n.text_hash").fetchone()[0])

    def dense_ready(self, model: str) -> list[tuple[str, str]]:
        """Of the nodes Chroma lacks (or holds stale), those whose vector `model` already computed:
        what a sync that computes nothing can upsert (one query; the others' rows are never read)."""
        return self.db.execute(
            "SELECT n.node_id, n.text_hash FROM nodes n LEFT JOIN dense_state d ON d.node_id=n.node_id "
            "JOIN embed_cache e ON e.model=? AND e.text_hash=n.text_hash "
            "WHERE d.node_id IS NULL OR d.text_hash != n.text_hash ORDER BY n.doc_key, n.ord", (model,)
        ).fetchall()

    def pending_dense(self) -> list[tuple[str, str, str, str]]:
        """(node_id, text_hash, doc_key, source_path) of every node Chroma lacks (or holds stale)."""
        return self.db.execute(
            "SELECT n.node_id, n.text_hash, n.doc_key, n.source_path FROM nodes n LEFT JOIN dense_state d "
            "ON d.node_id=n.node_id WHERE d.node_id IS NULL OR d.text_hash != n.text_hash ORDER BY n.doc_key, n.ord"
        ).fetchall()

    def sources_of(self, keys: Collection[str]) -> set[str]:
        """The files (a Pháp điển đề mục, a document file) holding any unit of these documents."""
        keys = list(keys)
        out: set[str] = set()
        for chunk, q in _in_chunks(keys):
            out.update(r[0] for r in self.db.execute(f"SELECT DISTINCT source_path FROM units WHERE doc_key IN ({q})", chunk))
        return out

    # ---- what people ask about: documents cited in answers (orders the background embedding)
    def record_usage(self, hits: dict[str, int]) -> None:
        if hits:
            now = time.time()
            with self.transaction() as db:
                db.executemany("INSERT INTO usage(doc_key, hits, last) VALUES(?,?,?) ON CONFLICT(doc_key) "
                               "DO UPDATE SET hits = usage.hits + excluded.hits, last = excluded.last",
                               [(k, n, now) for k, n in hits.items()])

    def usage(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT doc_key, hits FROM usage"))

    # ---- small facts shared between processes (the background embedding's progress)
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT v FROM meta WHERE k=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute(_upsert("meta", "k, v", "k"), (key, value))

    def dense_state_count(self) -> int:
        """How many vectors the registry believes Chroma holds."""
        return self.db.execute("SELECT COUNT(*) FROM dense_state").fetchone()[0]

    def dense_state_ids(self) -> set[str]:
        return {r[0] for r in self.db.stream("SELECT node_id FROM dense_state")}

    def mark_dense(self, upserted: list[tuple[str, str]], deleted: list[str]) -> None:
        with self.transaction() as db:
            db.executemany(_upsert("dense_state", "node_id, text_hash", "node_id"), upserted)
            db.executemany("DELETE FROM dense_state WHERE node_id=?", [(d,) for d in deleted])

    # ---- failed web logins, shared by every `kb serve` process (ui.auth.Authenticator's budget of guesses)
    def login_failures(self, key: str, since: float) -> list[float]:
        """Times of the failures counted under `key` after `since`, oldest first."""
        return [r[0] for r in self.db.execute("SELECT at FROM login_failures WHERE k=? AND at>? ORDER BY at",
                                              (key, since))]

    def add_login_failures(self, keys: list[str], now: float, forget_before: float, per_key: int,
                           max_keys: int) -> None:
        """One failure at `now` under each key; then what no longer counts goes: failures at or before
        `forget_before`, all but the newest `per_key` of a key, and the keys least recently failed
        beyond `max_keys` (the table stays bounded whatever an attacker sends)."""
        with self.transaction() as db:
            db.executemany("INSERT INTO login_failures(k, at) VALUES(?,?)", [(k, now) for k in keys])
            db.execute("DELETE FROM login_failures WHERE at <= ?", (forget_before,))
            for k in keys:
                times = [r[0] for r in db.execute("SELECT at FROM login_failures WHERE k=? ORDER BY at DESC", (k,))]
                if len(times) > per_key:
                    db.execute("DELETE FROM login_failures WHERE k=? AND at < ?", (k, times[per_key - 1]))
            over = db.execute("SELECT COUNT(DISTINCT k) FROM login_failures").fetchone()[0] - max_keys
            if over > 0:
                stale = db.execute("SELECT k FROM login_failures GROUP BY k ORDER BY MAX(at), k LIMIT ?", (over,))
                db.executemany("DELETE FROM login_failures WHERE k=?", [(r[0],) for r in stale])

    def clear_login_failures(self, key: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM login_failures WHERE k=?", (key,))

    # ---- staff sessions, shared by every `kb serve` process (ui.auth.SessionStore with shared sessions)
    _SESSION_COLS = "username, role, name, logged_in_at, credential"

    def save_session(self, k: str, fields: tuple, oldest: float, max_rows: int) -> None:
        """A new session (`fields`: username, role, name, logged_in_at, credential) under key `k`; then
        what no longer counts goes: sessions logged in at or before `oldest` (expired), and all but the
        newest `max_rows`."""
        with self.transaction() as db:
            db.execute(f"INSERT INTO sessions(k, {self._SESSION_COLS}) VALUES(?,?,?,?,?,?)", (k, *fields))
            db.execute("DELETE FROM sessions WHERE logged_in_at <= ?", (oldest,))
            over = db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] - max_rows
            if over > 0:
                db.execute("DELETE FROM sessions WHERE k IN (SELECT k FROM sessions ORDER BY logged_in_at, k "
                           "LIMIT ?)", (over,))

    def session(self, k: str) -> tuple | None:
        """(username, role, name, logged_in_at, credential, ended) of the session `k`, or None."""
        return self.db.execute(f"SELECT {self._SESSION_COLS}, ended FROM sessions WHERE k=?", (k,)).fetchone()

    def live_sessions(self) -> list[tuple]:
        """(k, username, role, name, logged_in_at, credential) of every session not ended."""
        return self.db.execute(f"SELECT k, {self._SESSION_COLS} FROM sessions WHERE ended='' ORDER BY logged_in_at")

    def end_session(self, k: str, reason: str, now: float) -> bool:
        """Mark the session ended (kept, so its holder learns why); False when it was not live (another
        process ended it first: only one of them reports it)."""
        with self.transaction() as db:
            return bool(db.execute("UPDATE sessions SET ended=?, ended_at=? WHERE k=? AND ended='' RETURNING k",
                                   (reason, now, k)))

    def delete_session(self, k: str) -> tuple | None:
        """A logout: the session's row gone; returns it as `session` did (None when there was none)."""
        with self.transaction() as db:
            row = db.execute(f"SELECT {self._SESSION_COLS}, ended FROM sessions WHERE k=?", (k,)).fetchone()
            db.execute("DELETE FROM sessions WHERE k=?", (k,))
        return row

    def live_session_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM sessions WHERE ended=''").fetchone()[0]

    def login_failure_keys(self, since: float) -> int:
        """How many keys have a failure after `since` (what the in-memory table's size was)."""
        return self.db.execute("SELECT COUNT(DISTINCT k) FROM login_failures WHERE at>?", (since,)).fetchone()[0]
