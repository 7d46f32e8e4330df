"""KnowledgeStore: ingest files into the registry, Chroma and the lexical index, kept in step.

Order for one file: parse -> nodes -> (vectors into the content-addressed cache) -> ONE registry
transaction that swaps the file's documents -> Chroma and lexical index synced from the registry.
A kill at any point leaves the registry with the old or the new version; the next run resyncs.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager

from core.backends import Backends, make_backends
from core.errors import BackendError, DenseUnavailable, DiskFull, KbError, RegistryUnusable, is_disk_full
from core.settings import Settings
from ingest.catalog import Catalog, load_catalog
from ingest.corrections import FIELDS as CORRECTION_FIELDS, STATUS_DETAILS, CorrectionError, apply_overrides, \
    check_correction, clears_status, reapply, records
from ingest.dense import DenseIndex
from ingest.lexical import LexicalIndex, lexical_token_text
from ingest.locks import ProcessLock
from ingest.limits import Deadline, Limits, check_file_size, check_nodes
from ingest.model import LegalDocument, NothingToStore, ReaderError
from ingest.nodes import ClauseNode, build_nodes
from ingest import registry_db
from ingest.read_worker import read_bounded
from ingest.segment import PendingTexts, SegmenterPool
from ingest.readers import LINK_LOOP, expand_paths
from ingest.readers.ocr_cache import MB as _MB, OcrCache
from ingest.registry import REBUILD, NodeRow, Registry, Replace, ReplaceRefused
from ingest.versions import VERSIONED_KINDS, document_from_version

Progress = Callable[[float, str], None]
# Documents read whole from one file of their own, which can be downloaded as ingested (a Pháp điển
# document is assembled from đề mục files; benchmark ones come from a data set): the ones with versions.
DOWNLOADABLE_KINDS = VERSIONED_KINDS
CommitLock = Callable[[], ContextManager]  # e.g. the web app's ReadWriteLock.write
_MERGE_PASSES = 3  # full lexical merges one background thread makes in a row while one is still due


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
    versions: dict[str, int] = field(default_factory=dict)  # document -> the version stored (ingest.versions)


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    dense_pending: int = 0
    index_note: str = ""  # a derived index not brought in step (Chroma down, disk full): what and why

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
            "index_note": self.index_note,
            "versions": {k: v for o in self.outcomes for k, v in o.versions.items()},
        }


# What a report says when the documents were stored but an index could not follow at once.
POST_COMMIT_NOTE = ("Văn bản đã lưu, chỉ mục đang cập nhật: một bước đồng bộ chỉ mục sau khi lưu gặp lỗi (chi tiết "
                    "trong nhật ký máy chủ). Chỉ mục tự dựng lại ở câu hỏi tiếp theo; phần vectơ còn thiếu được bổ "
                    "sung ở lần đồng bộ sau (hoặc chạy `kb embed`). Không cần nạp lại.")


def _failure_reason(exc: BaseException) -> str:
    """A file's failure as its report line: our own errors say what happened; others only their kind
    (the details, which may name server paths, go to the server log)."""
    if isinstance(exc, KbError):
        return str(exc)
    print(f"kb: nạp lỗi: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
    return f"máy chủ gặp lỗi khi lưu tệp này ({type(exc).__name__}); tệp này chưa được lưu, hãy nạp lại"


_LOW_PRIORITY: list = []  # one executor per process, made on first use
_LOW_PRIORITY_LOCK = threading.Lock()


BACKGROUND_NICENESS = 10  # the app's ingest work beside questions: the embedding thread, segmenting workers


def lower_thread_priority() -> None:
    """This thread (and the threads it starts) at nice 10: questions first, when the CPU is contended."""
    if hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICENESS)  # Linux: per thread
        except OSError:
            pass


def _low_priority():
    """One worker thread at nice 10 for the local embedding model (as ingest.background's thread)."""
    with _LOW_PRIORITY_LOCK:
        if not _LOW_PRIORITY:
            from concurrent.futures import ThreadPoolExecutor

            _LOW_PRIORITY.append(ThreadPoolExecutor(1, thread_name_prefix="kb-embed-low",
                                                    initializer=lower_thread_priority))
        return _LOW_PRIORITY[0]


def disk_full_message(home: Path, what: str) -> str:
    try:
        free = f"; còn trống {shutil.disk_usage(home).free / 2**20:.1f} MB"
    except OSError:
        free = ""
    return (f"Ổ đĩa chứa thư mục dữ liệu {home} đã đầy khi ghi {what}{free}. Thao tác dở dang đã được huỷ, "
            "dữ liệu đã lưu trước đó vẫn nguyên vẹn. Giải phóng dung lượng rồi thực hiện lại.")


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


OVERRIDE_FIELDS = CORRECTION_FIELDS  # the header facts staff may correct (ingest.corrections)


class _PendingTokens:
    """A file's lexical tokens by node id, once the workers are done."""

    def __init__(self, hashes: dict[str, str], known: dict[str, str], todo: list[str], pending: PendingTexts):
        self.hashes, self.known, self.todo, self.pending = hashes, known, todo, pending

    @property
    def finished_at(self) -> float:
        return self.pending.finished_at

    def __call__(self) -> dict[str, str]:
        by_hash = {**self.known, **dict(zip(self.todo, self.pending.result()))}
        return {nid: by_hash[h] for nid, h in self.hashes.items()}


@dataclass
class _Decided:
    """A file not to store: its outcome. `on_registry`: decided on what the registry held (unchanged,
    a conflict), so decided again if another file was stored in between."""
    outcome: FileOutcome
    on_registry: bool = False


@dataclass
class _Prepared:
    """A file read, parsed and split, its segmentation under way: everything its commit needs."""
    path: str
    key_path: str
    sha: str
    kept: list[LegalDocument]
    notes: list[str]
    restored: list[str]
    dropped_warnings: list[str]
    renamed: dict[str, str]
    nodes_by_doc: dict[str, list[ClauseNode]]
    all_nodes: list[ClauseNode]
    tokens: _PendingTokens
    deadline: Deadline


def _conflict_reason(conflicts: dict[str, list[str]]) -> str:
    held = "; ".join(f"{key} (đang lấy từ {', '.join(Path(p).name for p in paths)})" for key, paths in conflicts.items())
    return (f"đã có văn bản cùng số hiệu/tên từ tệp khác: {held}. Không thay thế khi chưa xác nhận: để thay thế, "
            "nạp lại với `kb ingest --replace` hoặc chọn văn bản cần thay thế trong giao diện")


class KnowledgeStore:
    def __init__(self, settings: Settings, backends: Backends | None = None):
        self.settings = settings
        self.backends = backends or make_backends(settings)
        settings.home.mkdir(parents=True, exist_ok=True)
        self.registry = Registry(settings.registry_target)
        self.catalog: Catalog = load_catalog(settings.catalog_path)
        self.limits = Limits.from_settings(settings)
        # A scan previewed is not OCR'd again when it is ingested (nor when a correction reads it again).
        self.ocr_cache = OcrCache(settings.ocr_cache_path, max_bytes=settings.ocr_cache_mb * _MB)
        self._lexical: LexicalIndex | None = None
        self._lexical_mutex = threading.Lock()
        self._lexical_merging = threading.Lock()  # held while a merge of every segment runs (one at a time)
        self._lexical_disk_lock = ProcessLock(settings.home / "locks" / "lexical.lock", "dựng lại chỉ mục từ vựng")
        self.index_note = ""  # a derived index could not be brought in step (disk full, Chroma down)
        self._embed_rate = 0.0  # nodes/s of this process's recent embedding (kb embed, background)
        self.dense = DenseIndex(self.backends, settings.collection)
        self._commit_lock: CommitLock | None = None  # set for the duration of one ingest()
        self._segmenters = SegmenterPool()  # worker processes for large files, ended after each ingest

    def close(self) -> None:
        """Release the registry's connections and the Chroma client (a store built in a long-lived
        process, a test): nothing else holds files open between calls."""
        self._segmenters.close()
        self.dense.release()
        self.registry.close()
        self._lexical = None  # its arrays are memory-mapped files: released with the last reference

    # ---- is there a base to serve?
    def check_servable(self) -> None:
        """RegistryUnusable when the registry holds no document while the lexical index or Chroma
        still holds nodes: its file was deleted, replaced or emptied. Serving it would answer every
        question from an empty base beside full indexes, and the next sync would empty them too.
        (A damaged file is refused when it is opened: ingest.registry.Registry.)"""
        if self.registry.holds_nodes() or self.registry.suppressed():
            return  # documents, or removals staff made (an emptied base they chose: indexes catch up)
        held = []
        lexical = LexicalIndex.stored_nodes(self.settings.lexical_path)
        if lexical:
            held.append(f"chỉ mục từ vựng ({lexical} đoạn)")
        if self.settings.chroma_host or self.settings.chroma_path.is_dir():  # never create an embedded one
            try:
                vectors = self.dense.count()
            except (BackendError, DenseUnavailable):
                vectors = 0  # unknown: the lexical index decides
            if vectors:
                held.append(f"Chroma ({vectors} vectơ)")
        if held and self.registry.url:
            raise RegistryUnusable(
                f"Registry PostgreSQL {registry_db.shown_url(self.registry.url)} không có văn bản nào trong khi "
                f"{' và '.join(held)} vẫn còn dữ liệu; chưa phục vụ để không trả lời từ một cơ sở rỗng. Kiểm tra "
                f"KB_REGISTRY_URL trỏ đúng cơ sở dữ liệu, khôi phục nó từ bản sao lưu (pg_restore), hoặc chạy "
                f"{REBUILD} để dựng lại.")
        if held:
            path = self.settings.registry_path
            raise RegistryUnusable(
                f"{path.name} không có văn bản nào ({path}: bị xoá, thay hoặc làm rỗng) trong khi "
                f"{' và '.join(held)} vẫn còn dữ liệu; chưa phục vụ để không trả lời từ một cơ sở rỗng. "
                f"Khôi phục {path.name} từ bản sao lưu vào thư mục dữ liệu, hoặc chạy {REBUILD} để dựng lại.")

    # ---- derived indexes

    def lexical(self, wait: bool = False) -> LexicalIndex:
        """The lexical index of the registry's current generation.

        Several processes may serve one home (`kb serve --workers`, a `kb ingest` in a shell): when
        the registry moved on, the index on disk is loaded if another process already rebuilt it,
        else rebuilt here, under a lock across processes (they share its directory). A question
        meanwhile gets the previous generation rather than waiting (`wait`: the ingest path,
        which must see its own commit). A fresh object is swapped in, never one mutated in place,
        so a search running in another thread keeps a consistent index."""
        gen = self.registry.generation()
        cur = self._lexical
        if cur is not None and cur.generation == gen:
            return cur
        usable = cur is not None
        if not self._lexical_mutex.acquire(blocking=wait or not usable):
            return cur  # another thread of this process is bringing it up to date
        try:
            if not self._lexical_disk_lock.acquire(timeout=None if (wait or not usable) else 0):
                return cur  # another process is rebuilding it
            try:
                gen = self.registry.generation()
                if self._lexical is not None and self._lexical.generation == gen:
                    return self._lexical
                fresh = LexicalIndex(self.settings.lexical_path)
                loaded = fresh.load()
                if fresh.generation != gen:
                    try:
                        # by difference with the registry: a segment of what changed (seconds on the
                        # whole Pháp điển); the whole index again when there is none or most changed
                        if not loaded or fresh.update(self.registry.lexical_signatures(),
                                                      self.registry.lexical_rows_of, gen) == "too_many":
                            fresh.build(self.registry.lexical_rows(), gen)
                    except OSError as exc:
                        if not (is_disk_full(exc) and usable):
                            raise
                        # the disk filled up writing the index: keep answering from the one we have
                        self.index_note = disk_full_message(self.settings.home, "chỉ mục từ vựng")
                        return cur
                self._lexical = fresh
                if fresh.merge_due():
                    self._start_lexical_merge()
                return fresh
            finally:
                self._lexical_disk_lock.release()
        finally:
            self._lexical_mutex.release()

    def _start_lexical_merge(self) -> None:
        """Every lexical segment merged into one on a thread of its own (once a quarter of the positions
        are removed ones): the lock is held only to publish, so ingests and questions go on meanwhile.
        Not a daemon: `kb ingest` waits for it at exit rather than leave the work to the next process."""
        if self._lexical_merging.acquire(blocking=False):
            threading.Thread(target=self._merge_lexical, name="kb-lexical-merge", daemon=False).start()

    def _merge_lexical(self) -> None:
        try:
            # removals (or a rebuild) made while a merge runs can leave the merged index due again, and
            # no second thread is started while this one holds the flag: it goes on itself, a bounded
            # number of times (each pass ends in a published, correct index)
            for _ in range(_MERGE_PASSES):
                if not self._merge_lexical_once():
                    return
        except Exception as exc:  # the index stays as it was (correct, only slower): said in the log
            print(f"kb: chưa gộp được các phân đoạn chỉ mục từ vựng: {type(exc).__name__}: {exc}", file=sys.stderr,
                  flush=True)
        finally:
            self._lexical_merging.release()

    def _merge_lexical_once(self) -> bool:
        """One full merge of the index as stored, published under the lock; False when none was due (or
        the lock was not taken)."""
        snapshot = LexicalIndex(self.settings.lexical_path)
        if not snapshot.load() or not snapshot.merge_due():
            return False
        merged = snapshot.merged_segment()
        with self._lexical_mutex:
            if not self._lexical_disk_lock.acquire(timeout=None):
                return False
            try:
                current = LexicalIndex(self.settings.lexical_path)
                if current.load() and current.adopt_merge(snapshot, merged) and self._lexical is not None \
                        and self._lexical.generation == current.generation:
                    self._lexical = current
            finally:
                self._lexical_disk_lock.release()
        return True

    # ---- reading without storing (the UI's preview)
    def _prepare(self, doc: LegalDocument, overrides: dict | None, by: str = "",
                 renamed: dict[str, str] | None = None) -> LegalDocument:
        """Catalogue labels, then staff corrections, then catalogue gaps filled: same for preview and ingest.
        `by`: who stores it, recorded with the corrections made now. `renamed` collects new key -> the
        key the correction was given for, when it changed the key (the version history follows it)."""
        self.catalog.apply_secondary(doc)
        read_key = doc.read_key = doc.key
        read = {k: getattr(doc, attr) or "" for k, attr in OVERRIDE_FIELDS.items()}
        stored = self.registry.corrections(read_key) if read_key else {}
        kept = reapply(doc, stored)
        # The UI keys corrections by the key it previewed, which stored corrections may have changed.
        fix_key = read_key if (overrides or {}).get(read_key) else doc.key
        fix = (overrides or {}).get(fix_key)
        if clears_status(fix) and "status" in kept:  # staff's status taken away: the sources decide again
            doc.status = read["status"]
            kept.discard("status")
        if fix:
            apply_overrides(doc, fix)
            if renamed is not None and doc.key != fix_key:
                renamed[doc.key] = fix_key
        doc.corrections = records(doc, read, kept, fix, stored, by)
        self.catalog.apply_metadata(doc)
        if "status" in doc.corrections:  # staff's word on the status wins over the catalogue's
            doc.status = doc.corrections["status"]["value"]
        return doc

    def parse_file(self, path: str, overrides: dict | None = None) -> list[LegalDocument]:
        """Raises ReaderError, like ingest would refuse the file (size limits, node limit)."""
        docs = [d for d in (self._prepare(doc, overrides) for doc in self._read(path)) if d.units]
        for d in docs:
            check_nodes(path, d.key, len(build_nodes(d)), self.limits)
        return docs

    # ---- correcting a stored document
    def correct(self, key: str, fix: dict, by: str = "", commit_lock: CommitLock | None = None,
                embed: bool = True) -> tuple[IngestReport, dict[str, str]]:
        """Correct the header facts of a STORED document (ingest.corrections: number, type, title, issuer,
        dates, status). The files it was read from are read again with the correction through the same
        path as an ingest (one registry transaction; its nodes, citations and indexes follow), and the
        correction is recorded with `by` and kept for later versions. Returns the ingest report and the
        fields that changed. CorrectionError, changing nothing, when the correction is not valid or the
        files are no longer as ingested."""
        row = self.registry.document(key)
        if row is None:
            raise CorrectionError(f"Không có văn bản {key} trong cơ sở dữ liệu; xem danh sách bằng `kb docs`.")
        fix = self._changes(row, fix)
        if not fix:
            raise CorrectionError(f"{key}: thông tin nhập giống thông tin đang lưu; không có gì thay đổi.")
        paths = sorted(self.registry.sources_of([key]))
        for path in paths:
            try:
                same = file_sha256(path) == self.registry.source_hash(path)
            except OSError:
                same = False
            if not same:  # reading another file would store another text under the corrected facts
                raise CorrectionError(
                    f"Không sửa được {key}: tệp nguồn {Path(path).name} không còn như khi nạp (đã bị xoá, di chuyển "
                    "hoặc sửa). Tải lại tệp văn bản ở mục nạp và sửa thông tin ở bước xem trước.")
        # restore=False: a document removed from the same file (a Pháp điển đề mục) stays removed
        report = self.ingest(paths, embed=embed, restore=False, force=True, overrides={key: fix},
                             commit_lock=commit_lock, user=by)
        return report, fix

    def _changes(self, row, fix: dict) -> dict[str, str]:
        """The fields of `fix` that change what is stored. The status is compared with staff's own
        setting (the stored word may be the catalogue's or the reader's): setting it makes it staff's,
        and it goes with its date and grounds as one statement. "status" given empty takes staff's
        setting away ("" in the result)."""
        checked = check_correction(fix)
        staff = self.registry.corrections(row.key).get("status") or {}
        out = {k: v for k, v in checked.items()
               if k in OVERRIDE_FIELDS and k != "status" and v != (getattr(row, OVERRIDE_FIELDS[k]) or "")}
        statement = ("status", *STATUS_DETAILS)
        differs = checked.get("status", staff.get("value", "")) != staff.get("value", "") or any(
            f in fix and checked.get(f, "") != staff.get(d, "") for f, d in STATUS_DETAILS.items())
        if "status" in checked and differs:
            out |= {k: checked[k] for k in statement if k in checked}
        elif clears_status(fix) and staff:
            out["status"] = ""
        return out

    def _read(self, path: str) -> list[LegalDocument]:
        """read_path within the limits, in a child process cut at the memory and time limits
        (ingest.read_worker; in-process when KB_READ_IN_SUBPROCESS=false)."""
        deadline = Deadline(path, self.limits.max_seconds)
        docs = read_bounded(path, self.limits, self.ocr_cache)
        deadline.check()
        return docs

    # ---- ingestion
    def ingest(self, paths, *, embed: bool = True, restore: bool = True, force: bool = False,
               overrides: dict | None = None, progress: Progress | None = None,
               replace: Replace = False, commit_lock: CommitLock | None = None, user: str = "") -> IngestReport:
        """`replace`: True, or the keys of the documents that may be replaced by a document from
        ANOTHER file; otherwise such a file is refused and nothing changes (a new version of the
        same file always replaces its previous version).

        `restore`: an explicit ingest (the UI, `kb ingest FILE`): a file is skipped as unchanged only
        when what it holds is what is stored now; it brings back documents removed or replaced
        since. Without it (the default corpus at start-up), an unchanged file hash is enough to skip:
        removals and replacements staff made stay.

        `commit_lock`: readers run concurrently (the web app). Reading, parsing and embedding (into
        the content-addressed vector cache) run outside it; only each registry swap and the index
        sync that follows run inside, so a question waits for that, not for the whole ingest.

        `user`: who ingests, recorded with each version stored and, as confirmed_by, with the
        amendment relations the files create (the staff preview listed them; storing after it is
        the confirmation)."""
        report = IngestReport()
        files, skipped = expand_paths(paths)
        report.outcomes += [FileOutcome(p, "skipped", r) for p, r in skipped]
        suppressed = self.registry.suppressed()
        self._commit_lock = commit_lock
        self.index_note = ""
        args = (embed, restore, force, overrides, suppressed, progress, replace, user)
        # Pipelined: while the workers segment file i, file i+1 is read and split; file i is committed
        # next, then file i+1 (files commit in order, one transaction each). Decisions made on
        # registry state before file i's commit (unchanged, or refused for a conflict) are made again
        # after it. A staff correction given with the files (overrides) is read per file: not pipelined.
        pipelined = overrides is None
        pending: _Prepared | None = None
        try:
            for i, path in enumerate(files + [None]):
                step: _Prepared | _Decided | BaseException | None = None
                if path is not None:
                    if progress:
                        progress(i / max(len(files), 1), f"Đọc {Path(path).name}")
                    try:
                        with self._write_errors(f"tệp {Path(path).name}"):
                            step = self._prepare_file(path, *args) if pipelined or pending is None else None
                    except Exception as exc:
                        step = exc
                failed_at, stored_between = None, False
                try:
                    if pending is not None:
                        failed_at = pending.path
                        with self._write_errors(f"tệp {Path(pending.path).name}"):
                            report.outcomes.append(self._store_prepared(pending, embed, progress, replace, user))
                        stored_between, pending = report.outcomes[-1].status == "ingested", None
                    if path is None:
                        break
                    failed_at = path
                    if isinstance(step, BaseException):
                        raise step
                    with self._write_errors(f"tệp {Path(path).name}"):
                        if step is None or isinstance(step, _Decided) and step.on_registry and stored_between:
                            step = self._prepare_file(path, *args)  # decided again on the registry as it is now
                    if isinstance(step, _Decided):
                        report.outcomes.append(step.outcome)
                    else:
                        pending = step
                except Exception as exc:
                    if not any(o.status == "ingested" for o in report.outcomes):
                        raise  # nothing stored by this ingest: the error (and "nothing changed") is the truth
                    # Files before this one are stored (their transactions committed): the report says
                    # so, this file's transaction was rolled back, the rest are not stored.
                    report.outcomes.append(FileOutcome(failed_at, "refused", _failure_reason(exc)))
                    rest = files[files.index(failed_at) + 1:] if failed_at in files else []
                    report.outcomes += [FileOutcome(p, "skipped", "chưa nạp vì tệp trước đó gặp lỗi; hãy nạp lại")
                                        for p in rest]
                    break
        finally:
            self._commit_lock = None
            self._segmenters.close()
        self.withdraw_originals()  # those of the documents this ingest replaced
        if any(o.status == "ingested" for o in report.outcomes):
            report.dense_pending = self._after_commit(lambda: self._sync_indexes(embed, progress, commit_lock)) or 0
        else:
            report.dense_pending = self._sync_indexes(embed, progress, commit_lock)
        report.index_note = self.index_note
        return report

    def _after_commit(self, step: Callable[[], int]) -> int | None:
        """An index step after the registry committed. The documents are stored whatever happens
        here: a failure (a full disk, Chroma gone) is said as "đã lưu, chỉ mục đang cập nhật" in the
        report, never as a failed ingest. Nothing needs a restart to repair it: the lexical index
        follows the registry's generation (the next question rebuilds it) and vectors still missing
        stay pending for the next sync, `kb embed` or the app's background embedder."""
        try:
            return step()
        except Exception as exc:
            print(f"kb: chỉ mục chưa cập nhật sau khi lưu: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            self.index_note = POST_COMMIT_NOTE
            return None

    def _sync_indexes(self, embed: bool, progress: Progress | None, commit_lock: CommitLock | None) -> int:
        """After registry swaps: the lexical index and Chroma brought in step; returns the vectors pending."""
        if progress:
            progress(1.0, "Đồng bộ chỉ mục")
        with self._write_errors("chỉ mục"):
            if commit_lock is None:
                self.lexical(wait=True)
                return self._sync_dense_or_defer(compute=embed, progress=progress)
            if embed:
                self._precompute_vectors(progress)
            with commit_lock():
                self.lexical(wait=True)
                return self._sync_dense_or_defer(compute=False, progress=progress)

    @contextmanager
    def _write_errors(self, what: str):
        """A full disk or a registry another process keeps locked: a KbError that says so (the
        transaction that failed was rolled back: what was stored before is intact)."""
        try:
            yield
        except (OSError, sqlite3.OperationalError) as exc:
            if is_disk_full(exc):
                raise DiskFull(disk_full_message(self.settings.home, what)) from exc
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc).lower():
                raise KbError(f"Cơ sở dữ liệu {self.registry.db.label} đang bị tiến trình khác ghi quá lâu "
                              f"khi lưu {what}; chưa có gì thay đổi. Hãy thử lại sau.") from exc
            raise

    def _sync_dense_or_defer(self, compute: bool, progress: Progress | None = None) -> int:
        """sync_dense; while Chroma (or the embedding server) is down the registry is what counts:
        the vectors stay pending (the next sync, `kb embed`, the app's background embedder)."""
        try:
            return self.sync_dense(compute=compute, progress=progress)
        except DenseUnavailable as exc:
            self.index_note = (f"Chưa đồng bộ được vectơ ({exc}); văn bản đã lưu và tìm được theo từ ngữ, "
                               "vectơ sẽ được bổ sung khi máy chủ hoạt động lại (hoặc chạy `kb embed`).")
            return len(self.registry.dense_diff()[0])

    def _commit_source(self, *args, **kw) -> dict[str, int]:
        """registry.replace_source (one transaction: a kill leaves the old or the new version); under a
        commit lock, the derived indexes are brought in step before readers see the new registry."""
        if self._commit_lock is None:
            return self.registry.replace_source(*args, **kw)
        with self._commit_lock():
            versions = self.registry.replace_source(*args, **kw)
            self._after_commit(self._sync_after_swap)  # committed: a failure now is an index to repair
        return versions

    def _sync_after_swap(self) -> int:
        """The derived indexes in step with a registry swap just made (the vectors are already cached:
        only Chroma upserts)."""
        self.lexical(wait=True)
        return self._sync_dense_or_defer(compute=False)

    def _precompute_vectors(self, progress: Progress | None) -> None:
        """Embed whatever the registry still lacks a vector for, outside any lock (cache only)."""
        missing, _ = self.registry.dense_diff()
        try:
            for i in range(0, len(missing), 256):
                rows = self.registry.nodes_by_id([nid for nid, _ in missing[i : i + 256]]).values()
                self._ensure_vectors([(r.text_hash, r.embed_text) for r in rows], progress, "Chroma")
        except DenseUnavailable:
            pass  # the embedding server is down: the vectors stay pending, the ingest goes on

    def _unchanged(self, key_path: str, sha: str, restore: bool) -> str | None:
        """Why the file need not be read again, or None. Its hash matching the one remembered for its
        path is not enough for an explicit ingest: what counts is whether the registry holds this
        file's content now, for every document it holds (not after another file replaced one, or
        after a removal: the user asked for this version)."""
        if self.registry.source_hash(key_path) != sha:
            return None
        keys = self.registry.source_documents(key_path)
        stored = [k for k in keys if self.registry.stored_from(k, key_path)]
        if restore and len(stored) < len(keys):
            return None
        held = ", ".join(k + (f" (phiên bản {v})" if (v := self.registry.current_version(k)) else "") for k in stored)
        reason = "không đổi: nội dung tệp này (cùng mã băm SHA-256) " + (
            f"đang là bản lưu của {held}" if held else "đã nạp trước đây")
        gone = [k for k in keys if k not in stored]
        if gone:  # the default corpus: what staff removed or replaced from another file stays so
            reason += (f"; {', '.join(gone)} đã bị gỡ hoặc được thay bằng tệp khác và giữ nguyên như vậy "
                       f"(nạp lại bằng `kb ingest --replace {key_path}`)")
        return reason

    def _prepare_file(self, path, embed, restore, force, overrides, suppressed, progress, replace,
                      user) -> "_Prepared | _Decided":
        """Read, parse and split one file, its segmentation started in the workers; or what is
        decided without storing it (unchanged, refused, skipped)."""
        try:
            key_path = str(Path(path).resolve(strict=True))
        except RuntimeError:  # a symlink loop (Python < 3.13; later versions raise OSError ELOOP)
            return _Decided(FileOutcome(path, "refused", LINK_LOOP))
        except OSError as exc:
            return _Decided(FileOutcome(path, "refused", LINK_LOOP if exc.errno == errno.ELOOP
                                        else f"không đọc được tệp ({exc.strerror})"))
        try:
            check_file_size(path, self.limits)  # before hashing: a huge file is not even read
            sha = file_sha256(path)
        except ReaderError as exc:
            return _Decided(FileOutcome(path, "refused", exc.reason))
        except OSError as exc:
            return _Decided(FileOutcome(path, "refused", f"không đọc được tệp ({exc.strerror})"))
        unchanged = None if force or overrides else self._unchanged(key_path, sha, restore)
        if unchanged:
            return _Decided(FileOutcome(path, "unchanged", unchanged, sha256=sha), on_registry=True)
        deadline = Deadline(path, self.limits.max_seconds)
        try:
            docs = self._read(path)
        except NothingToStore as exc:  # e.g. an empty Pháp điển đề mục: nothing stored, nothing refused
            return _Decided(FileOutcome(path, "skipped", exc.reason, sha256=sha))
        except ReaderError as exc:
            return _Decided(FileOutcome(path, "refused", exc.reason, sha256=sha))
        except Exception as exc:  # a reader bug must not take the batch down; the file is refused
            return _Decided(FileOutcome(path, "refused", f"lỗi khi đọc: {type(exc).__name__}: {exc}", sha256=sha))
        kept, notes, restored = [], [], []
        dropped_warnings: list[str] = []
        renamed: dict[str, str] = {}
        for doc in docs:
            self._prepare(doc, overrides, user, renamed)
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
            return _Decided(FileOutcome(path, "refused", "; ".join(notes) or "không có văn bản nào dùng được",
                                        sha256=sha))
        conflicts = self.registry.conflicts(key_path, kept, replace)
        if conflicts:  # checked before the costly steps; replace_source checks again atomically
            return _Decided(FileOutcome(path, "refused", _conflict_reason(conflicts), sha256=sha), on_registry=True)
        try:
            nodes_by_doc = {d.key: build_nodes(d) for d in kept}
            for d in kept:
                check_nodes(path, d.key, len(nodes_by_doc[d.key]), self.limits)
            deadline.check()
        except ReaderError as exc:
            return _Decided(FileOutcome(path, "refused", exc.reason, sha256=sha))
        all_nodes = [n for ns in nodes_by_doc.values() for n in ns]
        tokens = self._lexical_tokens_started(all_nodes, in_app=self._commit_lock is not None)
        return _Prepared(path, key_path, sha, kept, notes, restored, dropped_warnings, renamed, nodes_by_doc,
                         all_nodes, tokens, deadline)

    def _store_prepared(self, p: "_Prepared", embed, progress, replace, user) -> FileOutcome:
        """A prepared file's segmentation awaited, its vectors cached, then its registry swap."""
        path, sha, kept = p.path, p.sha, p.kept
        try:
            tokens = p.tokens()
            # reading + segmentation, as they ran (not the next file's reading meanwhile);
            # embedding is cached and resumable, so not timed
            p.deadline.check(at=p.tokens.finished_at)
        except ReaderError as exc:
            return FileOutcome(path, "refused", exc.reason, sha256=sha)
        if embed:
            try:
                self._ensure_vectors([(n.text_hash, n.embed_text) for n in p.all_nodes], progress, Path(path).name)
            except DenseUnavailable:
                pass  # the embedding server is down: stored without vectors, which stay pending
        try:
            versions = self._commit_source(p.key_path, sha, os.path.getsize(path), kept, p.nodes_by_doc, tokens,
                                           replace=replace, user=user, renamed=p.renamed)
        except ReplaceRefused as exc:
            return FileOutcome(path, "refused", _conflict_reason(exc.conflicts), sha256=sha)
        if p.restored:  # only once stored: a refused file changes nothing, not even a removal mark
            self.registry.unsuppress(p.restored)
        for d in kept:
            self.registry.save_corrections([d.read_key, d.key], d.corrections)
        if any(d.source_kind in DOWNLOADABLE_KINDS for d in kept):
            self._keep_original(p.key_path, sha)
        return FileOutcome(
            path, "ingested", "; ".join(p.notes), [d.key for d in kept],
            sum(len(d.units) for d in kept), len(p.all_nodes), sha,
            [w for d in kept for w in d.warnings] + p.dropped_warnings, versions,
        )

    # ---- versions: restoring one
    def restore_version(self, key: str, version: int, *, user: str = "", embed: bool = True,
                        commit_lock: CommitLock | None = None) -> FileOutcome:
        """Make version `version` of document `key` the stored text, exactly as it was stored (facts,
        corrections and all), re-indexed like a replacement. Raises KbError when there is no such
        version; status "unchanged" when it is the current one already."""
        row = self.registry.version(key, version)
        if row is None:
            known = ", ".join(str(v.version) for v in self.registry.versions(key))
            raise KbError(f"Văn bản {key} không có phiên bản {version} "
                          + (f"(các phiên bản đã lưu: {known}). " if known else "(chưa có phiên bản nào được lưu). ")
                          + f"Xem danh sách bằng `kb versions {key}` hoặc mục “Lịch sử phiên bản”; chưa có gì thay đổi.")
        if row.current:
            return FileOutcome(row.source_name, "unchanged", f"phiên bản {version} đang là bản lưu của {key}; "
                               "không có gì thay đổi", [key], sha256=row.sha256, versions={key: version})
        stored_as = row.data["document"].get("key") or key
        if stored_as != key:  # kept before a correction changed the number: restoring it would change it back
            raise KbError(f"Phiên bản {version} của {key} được lưu với số hiệu {stored_as}, trước khi số hiệu được "
                          f"sửa; khôi phục nó sẽ đổi lại số hiệu. Sửa số hiệu về {stored_as} trước (`kb correct {key} "
                          "--number …` hoặc mục “Sửa thông tin văn bản đã lưu”), rồi khôi phục; chưa có gì thay đổi.")
        doc = document_from_version(row.data)
        carried = self._carry_staff_status(doc, key)
        nodes = build_nodes(doc)
        tokens = self._lexical_tokens(nodes, in_app=commit_lock is not None)
        if embed:
            try:
                self._ensure_vectors([(n.text_hash, n.embed_text) for n in nodes], None, key)
            except DenseUnavailable:
                pass  # stored without vectors, which stay pending (as for an ingest)
        # Stored under its kept original (content-addressed): the download gives that version's
        # file, and restoring it never disturbs what the path it was first read from holds now.
        kept = self.originals_dir / row.sha256[:16] / row.source_name
        withdrawn = self.settings.withdrawn_path / row.sha256[:16] / row.source_name
        if not kept.is_file() and (withdrawn.is_file() or Path(row.source_path).is_file()):
            self._keep_original(row.source_path, row.sha256)  # kept only if it still has those bytes
        self._commit_lock = commit_lock
        try:
            with self._write_errors(f"phiên bản {version} của {key}"):
                versions = self._commit_source(str(kept), row.sha256, row.size, [doc], {key: nodes}, tokens,
                                               replace=[key], user=user, only_docs=True)
                if key in self.registry.suppressed():
                    self.registry.unsuppress([key])
                # The corrections kept for later versions become this version's: restoring the version
                # before a correction undoes it, and the next file must not get it back (all but the
                # status, carried over above).
                self.registry.save_corrections([doc.read_key, key], doc.corrections)
        finally:
            self._commit_lock = None
            self._segmenters.close()
        self.withdraw_originals()  # the version this one replaced
        self._after_commit(lambda: self._sync_indexes(embed, None, commit_lock))
        reason = f"khôi phục phiên bản {version}"
        if carried:
            reason += (f"; giữ tình trạng hiệu lực cán bộ pháp chế đang xác định (lưu thành phiên bản "
                       f"{versions.get(key, version)})")
        return FileOutcome(row.source_name, "ingested", reason, [key], len(doc.units), len(nodes), row.sha256,
                           versions=versions)

    def _carry_staff_status(self, doc: LegalDocument, key: str) -> bool:
        """A restored version gets the status staff set now, not the one it was stored with: the status
        is their judgment of the law (a repeal does not go away with an older text), the other
        corrections are readings of that version's file. Restoring then stores a version of its own
        when the statuses differ. True when it changed the version's status."""
        def statement(c: dict | None) -> tuple:  # "kept" and "read" say how a version got it, not what it is
            return tuple((c or {}).get(x) for x in ("value", "since", "note", "by", "at"))

        now = self.registry.corrections(key).get("status")
        was = doc.corrections.get("status")
        if statement(now) == statement(was):
            return False
        read = (was or {}).get("read", doc.status if was is None else "")
        if now:
            doc.corrections["status"] = {**now, "read": read, "kept": True}
            doc.status = now["value"]
        else:
            doc.corrections.pop("status", None)
            doc.status = read
            self.catalog.apply_metadata(doc)  # the catalogue's status, as storing the file gives it
        return True

    # ---- the original files, as ingested
    @property
    def originals_dir(self) -> Path:
        return self.settings.originals_path

    def _keep_original(self, path: str, sha: str) -> None:
        """Keep the bytes read, content-addressed, so the original can be downloaded even after the
        file it came from changes or moves. A file the web app already keeps under the home (its
        uploads, never rewritten) is hard-linked; any other is copied, since a link would follow an
        edit made in place."""
        dest = self.originals_dir / sha[:16] / Path(path).name
        if dest.exists():
            return
        dest.parent.mkdir(parents=True, exist_ok=True)
        withdrawn = self.settings.withdrawn_path / sha[:16] / Path(path).name
        if withdrawn.is_file():  # a removed or replaced version stored again (restored, uploaded again)
            os.replace(withdrawn, dest)
            return
        tmp = dest.with_name(dest.name + ".tmp")
        tmp.unlink(missing_ok=True)
        try:
            if not Path(path).is_relative_to(Path(self.settings.home).resolve()):
                raise OSError("copy")
            os.link(path, tmp)
        except OSError:
            shutil.copyfile(path, tmp)
        if file_sha256(str(tmp)) != sha:  # the file changed while it was being ingested: keep nothing false
            tmp.unlink(missing_ok=True)
            return
        os.replace(tmp, dest)

    def withdraw_originals(self) -> list[Path]:
        """Originals no stored document is read from any more (removed, replaced by another
        version) leave the served directory (the web app's downloads: Gradio serves any file under
        it) for settings.withdrawn_path, which nothing serves: restoring a version takes its file
        back (_keep_original). Returns where the withdrawn files now are."""
        if not self.originals_dir.is_dir():
            return []
        served = self.registry.served_originals()
        moved = []
        for folder in self.originals_dir.iterdir():
            if not folder.is_dir():
                continue
            for f in folder.iterdir():
                if f.name.endswith(".tmp") or (folder.name, f.name) in served:  # .tmp: being kept right now
                    continue
                dest = self.settings.withdrawn_path / folder.name / f.name
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(f, dest)
                moved.append(dest)
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty
        return moved

    def original_file(self, key: str) -> Path | None:
        """The file document `key` was read from, byte for byte as ingested (its SHA-256 checked), or
        None: a document assembled from several files (Pháp điển), or bytes no longer available."""
        doc = self.registry.document(key)
        source = self.registry.source_of(key) if doc and doc.source_kind in DOWNLOADABLE_KINDS else None
        if source is None:
            return None
        path, sha = source
        kept = self.originals_dir / sha[:16] / Path(path).name
        for candidate in (kept, Path(path)):
            try:
                if candidate.is_file() and file_sha256(str(candidate)) == sha:
                    if candidate != kept:  # ingested before originals were kept: keep it now, while it is intact
                        self._keep_original(str(candidate), sha)
                    return kept if kept.is_file() else candidate
            except OSError:
                continue
        return None

    def _lexical_tokens(self, nodes: list[ClauseNode], in_app: bool) -> dict[str, str]:
        return self._lexical_tokens_started(nodes, in_app)()

    def _lexical_tokens_started(self, nodes: list[ClauseNode], in_app: bool) -> "_PendingTokens":
        """Segmented tokens by node id, computed in the workers (the caller goes on meanwhile); the
        registry's reused for texts it holds already (segmentation is not free). `in_app`: readers
        run meanwhile (a commit lock), so the workers yield to questions."""
        hashes = {n.node_id: n.text_hash for n in nodes}
        known = self.registry.tokens_by_hash(list(set(hashes.values())))
        todo = list({h: n.embed_text for n in nodes if (h := hashes[n.node_id]) not in known}.items())
        return _PendingTokens(hashes, known, [h for h, _ in todo],
                              self._segmenters.submit(lexical_token_text, [t for _, t in todo],
                                                      BACKGROUND_NICENESS if in_app else 0))

    def _ensure_vectors(self, items: list[tuple[str, str]], progress: Progress | None, label: str) -> int:
        """Embed texts whose hash is not cached yet, in batches; returns how many were computed."""
        model = self.dense.model_id
        uniq = dict(items)
        have = self.registry.cached_vectors(model, list(uniq))
        todo = [(h, t) for h, t in uniq.items() if h not in have]
        bs = max(1, self.settings.embed_batch_size)
        batches = [todo[i : i + bs] for i in range(0, len(todo), bs)]
        # An embedding server (or several) answers batches in parallel; the local model runs one at a time.
        workers = self.settings.embed_concurrency if self.settings.embedding == "openai" else 1
        if workers > 1 and len(batches) > 1:
            from concurrent.futures import ThreadPoolExecutor

            pool = ThreadPoolExecutor(min(workers, len(batches)), thread_name_prefix="kb-embed")
            results = pool.map(lambda b: self.dense.embed_passages([t for _, t in b]), batches)
        else:
            # The local model in a thread of lower CPU priority (its OpenMP threads inherit it): a staff
            # ingest in `kb serve` embeds hundreds of clauses while officials ask, and their questions
            # (query embeddings at normal priority) come first. Idle, it runs as fast as before.
            pool, results = None, (_low_priority().submit(self.dense.embed_passages, [t for _, t in b]).result()
                                   for b in batches)
        try:
            for i, (batch, vecs) in enumerate(zip(batches, results)):
                if progress:
                    progress(i * bs / len(todo), f"Chuẩn bị tìm theo nghĩa {label}: {i * bs}/{len(todo)}")
                # stored from this thread only: the registry connection is not shared with the pool
                self.registry.store_vectors(model, {h: v for (h, _), v in zip(batch, vecs)})
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        return len(todo)

    def embed_order(self) -> list[tuple[str, str]]:
        """Nodes Chroma lacks, (node_id, text_hash), in the order people need them: the catalogue's
        documents and the đề mục files that hold them first, then documents by how often answers
        cited them, then the rest (registry order within each)."""
        pending = self.registry.pending_dense()
        catalogued = {e.key for e in self.catalog.entries}
        demuc = self.registry.sources_of(catalogued)
        usage = self.registry.usage()

        def rank(row) -> tuple[int, int]:
            _, _, key, src = row
            if key in catalogued or src in demuc:
                return (0, 0)
            return (1, -usage[key]) if usage.get(key) else (2, 0)

        return [(nid, h) for nid, h, _, _ in sorted(pending, key=rank)]

    def _record_embed_progress(self, done: int, seconds: float, pending: int) -> None:
        """Shared through the registry, so `kb docs` in another shell and every web worker see it."""
        if done and seconds > 0:
            rate = done / seconds
            self._embed_rate = rate if not self._embed_rate else 0.7 * self._embed_rate + 0.3 * rate
        self.registry.set_meta("embed_progress", json.dumps({
            "pending": pending, "rate": round(self._embed_rate, 3), "updated": time.time(), "pid": os.getpid()}))

    def reconcile_dense(self) -> int:
        """Chroma checked against what the registry believes it holds (dense_state): a collection that
        came back empty or behind (a Chroma server restarted on a lost or older volume) has the vectors
        it lacks marked pending again, so the next sync (the app's background embedder, `kb embed`)
        upserts them from the vector cache by set difference, with its progress in `kb docs`. Returns
        how many were marked pending; when the counts agree, that is all it costs (two counts).
        Vectors Chroma holds and the registry does not know are left: an ingest upserts before it
        records, so they may be ones about to be recorded."""
        if self.dense.count() == self.registry.dense_state_count():
            return 0
        lost = sorted(self.registry.dense_state_ids() - self.dense.ids())
        if lost:
            self.registry.mark_dense([], lost)
        return len(lost)

    def sync_dense(self, compute: bool = True, progress: Progress | None = None, limit: int | None = None,
                   priority: bool = False, record: bool = False) -> int:
        """Bring Chroma in step with the registry. Returns how many nodes still lack a vector.
        `priority`: catalogue first, then by use (embed_order); `record`: publish progress and rate."""
        model = self.dense.model_id
        if compute:
            missing, stale = self.registry.dense_diff()
            n_missing = len(missing)
        else:
            # computing nothing (`kb ingest --no-embed`, a swap under the commit lock): only nodes whose
            # vector is cached can be upserted; the others are counted, not listed (205k of them in a
            # base not yet embedded)
            stale, n_missing = self.registry.dense_stale(), self.registry.dense_missing_count()
        if stale:
            self.dense.delete(stale)
            self.registry.mark_dense([], stale)
        if not n_missing:
            if record:
                self._record_embed_progress(0, 0.0, 0)
            return 0
        if priority:
            missing = self.embed_order()
        missing_now = (missing if compute else self.registry.dense_ready(model))[:limit]
        done = 0
        for i in range(0, len(missing_now), 256 if not record else 64):
            t0 = time.perf_counter()
            chunk = missing_now[i : i + (256 if not record else 64)]
            rows: list[NodeRow] = list(self.registry.nodes_by_id([nid for nid, _ in chunk]).values())
            if compute:
                self._ensure_vectors([(r.text_hash, r.embed_text) for r in rows], progress, "Chroma")
            vectors = self.registry.cached_vectors(model, [r.text_hash for r in rows])
            ready = [r for r in rows if r.text_hash in vectors]
            self.dense.upsert(ready, vectors)
            self.registry.mark_dense([(r.node_id, r.text_hash) for r in ready], [])
            done += len(ready)
            if record:
                self._record_embed_progress(len(ready) if compute else 0, time.perf_counter() - t0,
                                            n_missing - done)
            if progress:
                progress(min(1.0, (i + len(chunk)) / len(missing_now)), f"Chroma: {done}/{n_missing}")
        return n_missing - done

    def remove(self, key: str) -> bool:
        with self._write_errors(f"việc gỡ {key}"):
            found = self.registry.remove_document(key)
            self.withdraw_originals()  # a removed document's file is no longer downloadable
            self._sync_dense_or_defer(compute=False)  # Chroma down: retrieval drops hits the registry lacks
            self.lexical(wait=True)
        return found
