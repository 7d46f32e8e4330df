"""KnowledgeStore: ingest files into the registry, Chroma and the lexical index, kept in step.

Order for one file: parse -> nodes -> (vectors into the content-addressed cache) -> ONE registry
transaction that swaps the file's documents -> Chroma and lexical index synced from the registry.
A kill at any point leaves the registry with the old or the new version; the next run resyncs.
"""
from __future__ import annotations

import errno
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager

from core.backends import Backends, make_backends
from core.settings import Settings
from ingest.catalog import Catalog, load_catalog
from ingest.dense import DenseIndex
from ingest.lexical import LexicalIndex, lexical_tokens
from ingest.limits import Deadline, Limits, ReadTimeout, check_file_size, check_nodes, time_exceeded, time_limit
from ingest.model import LegalDocument, ReaderError
from ingest.nodes import ClauseNode, build_nodes
from ingest.readers import LINK_LOOP, expand_paths, read_path
from ingest.registry import NodeRow, Registry, Replace, ReplaceRefused

Progress = Callable[[float, str], None]
CommitLock = Callable[[], ContextManager]  # e.g. the web app's ReadWriteLock.write


@dataclass
class FileOutcome:
    path: str
    status: str  # "ingested" | "unchanged" | "refused" | "skipped"
    reason: str = ""
    documents: list[str] = field(default_factory=list)
    articles: int = 0
    nodes: int = 0
    sha256: str = ""  # of the file read (the audit log records it)
    warnings: list[str] = field(default_factory=list)  # of the documents ingested (OCR, encoding, structure)


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    dense_pending: int = 0

    def _sum(self, attr):
        return sum(getattr(o, attr) for o in self.outcomes if o.status == "ingested")

    @property
    def documents(self) -> int:
        return sum(len(o.documents) for o in self.outcomes if o.status == "ingested")

    @property
    def articles(self) -> int:
        return self._sum("articles")

    @property
    def nodes(self) -> int:
        return self._sum("nodes")

    @property
    def refused(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "refused"]

    @property
    def skipped(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status in ("skipped", "unchanged")]

    def to_dict(self) -> dict:
        return {
            "documents": self.documents,
            "articles": self.articles,
            "nodes": self.nodes,
            "skipped": [{"path": o.path, "reason": o.reason} for o in self.skipped],
            "refused": [{"path": o.path, "reason": o.reason} for o in self.refused],
            "warnings": [{"path": o.path, "warnings": o.warnings} for o in self.outcomes if o.warnings],
            "dense_pending": self.dense_pending,
        }


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _apply_overrides(doc: LegalDocument, fix: dict) -> None:
    mapping = {"number": "number", "type": "doc_type", "title": "title", "issuer": "issuer",
               "issued_on": "issued_on", "effective_from": "effective_from", "status": "status"}
    for k, attr in mapping.items():
        if fix.get(k) not in (None, ""):
            setattr(doc, attr, str(fix[k]).strip())


def _conflict_reason(conflicts: dict[str, list[str]]) -> str:
    held = "; ".join(f"{key} (đang lấy từ {', '.join(Path(p).name for p in paths)})" for key, paths in conflicts.items())
    return (f"đã có văn bản cùng số hiệu/tên từ tệp khác: {held}. Không thay thế khi chưa xác nhận: để thay thế, "
            "nạp lại với `kb ingest --replace` hoặc chọn văn bản cần thay thế trong giao diện")


class KnowledgeStore:
    def __init__(self, settings: Settings, backends: Backends | None = None):
        self.settings = settings
        self.backends = backends or make_backends(settings)
        settings.home.mkdir(parents=True, exist_ok=True)
        self.registry = Registry(settings.registry_path)
        self.catalog: Catalog = load_catalog(settings.catalog_path)
        self.limits = Limits.from_settings(settings)
        self._lexical: LexicalIndex | None = None
        self.dense = DenseIndex(self.backends, settings.collection)
        self._commit_lock: CommitLock | None = None  # set for the duration of one ingest()

    # ---- derived indexes

    def lexical(self) -> LexicalIndex:
        """The lexical index, rebuilt first if it lags the registry (e.g. after a crash)."""
        gen = self.registry.generation()
        if self._lexical is None:
            self._lexical = LexicalIndex(self.settings.lexical_path)
            self._lexical.load()
        if self._lexical.generation != gen or self._lexical.df is None:
            self._lexical.build(self.registry.lexical_rows(), gen)
        return self._lexical

    # ---- reading without storing (the UI's preview)
    def _prepare(self, doc: LegalDocument, overrides: dict | None) -> LegalDocument:
        """Catalogue labels, then staff corrections, then catalogue gaps filled: same for preview and ingest."""
        self.catalog.apply_secondary(doc)
        if overrides and doc.key in overrides:
            _apply_overrides(doc, overrides[doc.key])
        return self.catalog.apply_metadata(doc)

    def parse_file(self, path: str, overrides: dict | None = None) -> list[LegalDocument]:
        """Raises ReaderError, like ingest would refuse the file (size limits, node limit)."""
        docs = [d for d in (self._prepare(doc, overrides) for doc in self._read(path)) if d.units]
        for d in docs:
            check_nodes(path, d.key, len(build_nodes(d)), self.limits)
        return docs

    def _read(self, path: str) -> list[LegalDocument]:
        """read_path within the limits; the time limit interrupts only in the main thread (see time_limit)."""
        deadline = Deadline(path, self.limits.max_seconds)
        try:
            with time_limit(self.limits.max_seconds):
                docs = read_path(path, self.limits)
        except ReadTimeout:
            raise time_exceeded(path, self.limits.max_seconds) from None
        deadline.check()
        return docs

    # ---- ingestion
    def ingest(self, paths, *, embed: bool = True, restore: bool = True, force: bool = False,
               overrides: dict | None = None, progress: Progress | None = None,
               replace: Replace = False, commit_lock: CommitLock | None = None) -> IngestReport:
        """`replace`: True, or the keys of the documents that may be replaced by a document from
        ANOTHER file; otherwise such a file is refused and nothing changes (a new version of the
        same file always replaces its previous version).

        `commit_lock`: readers run concurrently (the web app). Reading, parsing and embedding (into
        the content-addressed vector cache) run outside it; only each registry swap and the index
        sync that follows run inside, so a question waits for that, not for the whole ingest."""
        report = IngestReport()
        files, skipped = expand_paths(paths)
        report.outcomes += [FileOutcome(p, "skipped", r) for p, r in skipped]
        suppressed = self.registry.suppressed()
        self._commit_lock = commit_lock
        try:
            for i, path in enumerate(files):
                if progress:
                    progress(i / max(len(files), 1), f"Đọc {Path(path).name}")
                report.outcomes.append(self._ingest_file(path, embed, restore, force, overrides, suppressed, progress,
                                                         replace))
        finally:
            self._commit_lock = None
        if progress:
            progress(1.0, "Đồng bộ chỉ mục")
        if commit_lock is None:
            self.lexical()
            report.dense_pending = self.sync_dense(compute=embed, progress=progress)
        else:
            if embed:
                self._precompute_vectors(progress)
            with commit_lock():
                self.lexical()
                report.dense_pending = self.sync_dense(compute=False, progress=progress)
        return report

    def _commit_source(self, *args, **kw) -> None:
        """registry.replace_source (one transaction: a kill leaves the old or the new version); under a
        commit lock, the derived indexes are brought in step before readers see the new registry."""
        if self._commit_lock is None:
            return self.registry.replace_source(*args, **kw)
        with self._commit_lock():
            self.registry.replace_source(*args, **kw)
            self.lexical()
            self.sync_dense(compute=False)  # the vectors are already cached: only Chroma upserts

    def _precompute_vectors(self, progress: Progress | None) -> None:
        """Embed whatever the registry still lacks a vector for, outside any lock (cache only)."""
        missing, _ = self.registry.dense_diff()
        for i in range(0, len(missing), 256):
            rows = self.registry.nodes_by_id([nid for nid, _ in missing[i : i + 256]]).values()
            self._ensure_vectors([(r.text_hash, r.embed_text) for r in rows], progress, "Chroma")

    def _ingest_file(self, path, embed, restore, force, overrides, suppressed, progress, replace) -> FileOutcome:
        try:
            key_path = str(Path(path).resolve(strict=True))
        except RuntimeError:  # a symlink loop (Python < 3.13; later versions raise OSError ELOOP)
            return FileOutcome(path, "refused", LINK_LOOP)
        except OSError as exc:
            return FileOutcome(path, "refused", LINK_LOOP if exc.errno == errno.ELOOP
                               else f"không đọc được tệp ({exc.strerror})")
        try:
            check_file_size(path, self.limits)  # before hashing: a huge file is not even read
            sha = file_sha256(path)
        except ReaderError as exc:
            return FileOutcome(path, "refused", exc.reason)
        except OSError as exc:
            return FileOutcome(path, "refused", f"không đọc được tệp ({exc.strerror})")
        if (not force and not overrides and self.registry.source_hash(key_path) == sha
                and not (restore and self.registry.missing_documents(key_path))):
            return FileOutcome(path, "unchanged", "không đổi (cùng mã băm)", sha256=sha)
        deadline = Deadline(path, self.limits.max_seconds)
        try:
            docs = self._read(path)
        except ReaderError as exc:
            return FileOutcome(path, "refused", exc.reason, sha256=sha)
        except Exception as exc:  # a reader bug must not take the batch down; the file is refused
            return FileOutcome(path, "refused", f"lỗi khi đọc: {type(exc).__name__}: {exc}", sha256=sha)
        kept, notes, restored = [], [], []
        dropped_warnings: list[str] = []
        for doc in docs:
            self._prepare(doc, overrides)
            if not doc.key:  # never store under an empty key: it would be shared by unrelated documents
                notes.append(f"{path}: văn bản không có số hiệu, tên hay tên tệp để nhận diện")
                continue
            if not doc.units:
                if doc.warnings:  # the reader's own account (e.g. Pháp điển articles without a source note)
                    dropped_warnings += doc.warnings
                else:
                    notes.append(f"{doc.key}: không tìm thấy điều/mục nào")
                continue
            if doc.key in suppressed:
                if not restore:
                    notes.append(f"{doc.key}: đã bị gỡ trước đây (nạp lại bằng `kb ingest {path}`)")
                    continue
                restored.append(doc.key)
            kept.append(doc)
        if not kept:
            return FileOutcome(path, "refused", "; ".join(notes) or "không có văn bản nào dùng được", sha256=sha)
        conflicts = self.registry.conflicts(key_path, kept, replace)
        if conflicts:  # checked before the costly steps; replace_source checks again atomically
            return FileOutcome(path, "refused", _conflict_reason(conflicts), sha256=sha)
        try:
            nodes_by_doc = {d.key: build_nodes(d) for d in kept}
            for d in kept:
                check_nodes(path, d.key, len(nodes_by_doc[d.key]), self.limits)
            deadline.check()
            all_nodes = [n for ns in nodes_by_doc.values() for n in ns]
            tokens = self._lexical_tokens(all_nodes)
            deadline.check()  # reading + segmentation; embedding is cached and resumable, so not timed
        except ReaderError as exc:
            return FileOutcome(path, "refused", exc.reason, sha256=sha)
        if embed:
            self._ensure_vectors([(n.text_hash, n.embed_text) for n in all_nodes], progress, Path(path).name)
        try:
            self._commit_source(key_path, sha, os.path.getsize(path), kept, nodes_by_doc, tokens,
                                replace=replace)
        except ReplaceRefused as exc:
            return FileOutcome(path, "refused", _conflict_reason(exc.conflicts), sha256=sha)
        if restored:  # only once stored: a refused file changes nothing, not even a removal mark
            self.registry.unsuppress(restored)
        return FileOutcome(
            path, "ingested", "; ".join(notes), [d.key for d in kept],
            sum(len(d.units) for d in kept), len(all_nodes), sha, [w for d in kept for w in d.warnings] + dropped_warnings,
        )

    def _lexical_tokens(self, nodes: list[ClauseNode]) -> dict[str, str]:
        """Segmented tokens; reuse the registry's for unchanged texts (segmentation is not free)."""
        known = self.registry.tokens_by_hash(list({n.text_hash for n in nodes}))
        return {n.node_id: known.get(n.text_hash) or " ".join(lexical_tokens(n.embed_text)) for n in nodes}

    def _ensure_vectors(self, items: list[tuple[str, str]], progress: Progress | None, label: str) -> int:
        """Embed texts whose hash is not cached yet, in batches; returns how many were computed."""
        model = self.dense.model_id
        uniq = dict(items)
        have = self.registry.cached_vectors(model, list(uniq))
        todo = [(h, t) for h, t in uniq.items() if h not in have]
        bs = max(1, self.settings.embed_batch_size)
        for i in range(0, len(todo), bs):
            batch = todo[i : i + bs]
            if progress:
                progress(i / len(todo), f"Chuẩn bị tìm theo nghĩa {label}: {i}/{len(todo)}")
            vecs = self.dense.embed_passages([t for _, t in batch])
            self.registry.store_vectors(model, {h: v for (h, _), v in zip(batch, vecs)})
        return len(todo)

    def sync_dense(self, compute: bool = True, progress: Progress | None = None, limit: int | None = None) -> int:
        """Bring Chroma in step with the registry. Returns how many nodes still lack a vector."""
        missing, stale = self.registry.dense_diff()
        if stale:
            self.dense.delete(stale)
            self.registry.mark_dense([], stale)
        if not missing:
            return 0
        missing_now = missing[:limit]
        model = self.dense.model_id
        done = 0
        for i in range(0, len(missing_now), 256):
            chunk = missing_now[i : i + 256]
            rows: list[NodeRow] = list(self.registry.nodes_by_id([nid for nid, _ in chunk]).values())
            if compute:
                self._ensure_vectors([(r.text_hash, r.embed_text) for r in rows], progress, "Chroma")
            vectors = self.registry.cached_vectors(model, [r.text_hash for r in rows])
            ready = [r for r in rows if r.text_hash in vectors]
            self.dense.upsert(ready, vectors)
            self.registry.mark_dense([(r.node_id, r.text_hash) for r in ready], [])
            done += len(ready)
            if progress:
                progress(min(1.0, (i + len(chunk)) / len(missing_now)), f"Chroma: {done}/{len(missing)}")
        return len(missing) - done

    def remove(self, key: str) -> bool:
        found = self.registry.remove_document(key)
        self.sync_dense(compute=False)
        self.lexical()
        return found
