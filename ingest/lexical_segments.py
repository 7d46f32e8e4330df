"""Segments of the lexical index: the raw postings of a batch of nodes, written once, never changed.

A segment holds, for the nodes it was built from, each term's postings (node position in the segment,
term frequency) in compressed-column form, for the accented and the folded vocabularies, and each
node's length in tokens. It holds no score: BM25 needs the whole corpus's node count, average length
and document frequencies, which change whenever a segment is added or a node removed. The index
(ingest.lexical) scores at question time from the live statistics of all its segments together, as
Lucene does, so an ingest writes a small segment instead of rescoring every posting of the corpus.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path

import numpy as np

from core.vocab import fold

_BATCH = 4096  # rows per step of a build: bounds the Python objects alive at once


@dataclass
class Columns:
    """One vocabulary's postings: term t's are docs[indptr[t]:indptr[t+1]] (ascending) with their tfs."""

    terms: list[str]
    indptr: np.ndarray  # int64, len(terms) + 1
    docs: np.ndarray  # int32
    tfs: np.ndarray  # int32

    def __post_init__(self):
        self.vocab = {t: i for i, t in enumerate(self.terms)}

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        col = self.vocab.get(term)
        if col is None:
            return None
        start, end = int(self.indptr[col]), int(self.indptr[col + 1])
        return self.docs[start:end], self.tfs[start:end]

    def df(self) -> np.ndarray:
        return np.diff(self.indptr)

    def term_of_posting(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.terms), dtype=np.int64), np.diff(self.indptr))

    @classmethod
    def from_triples(cls, terms: list[str], docs: np.ndarray, term_ids: np.ndarray, tfs: np.ndarray) -> "Columns":
        """Postings given as (doc, term id, tf) triples sorted by doc: grouped by term, docs ascending."""
        order = np.argsort(term_ids, kind="stable")
        indptr = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(np.bincount(term_ids, minlength=len(terms)), out=indptr[1:])
        return cls(terms, indptr, docs[order].astype(np.int32), tfs[order].astype(np.int32))

    def save(self, path: Path, prefix: str) -> None:
        for name in ("indptr", "docs", "tfs"):
            np.save(path / f"{prefix}_{name}.npy", getattr(self, name))
        (path / f"{prefix}_terms.json").write_text(json.dumps(self.terms, ensure_ascii=False))

    @classmethod
    def load(cls, path: Path, prefix: str) -> "Columns":
        # memory-mapped: a question touches only its terms' postings, and processes serving one home
        # share the pages instead of each holding a copy
        arrays = [_load_array(path / f"{prefix}_{name}.npy") for name in ("indptr", "docs", "tfs")]
        return cls(json.loads((path / f"{prefix}_terms.json").read_text()), *arrays)


class _Triples:
    """(doc, term, tf) of one vocabulary, gathered batch by batch as int32 arrays (a few hundred MiB
    for the whole Pháp điển, where every node's token list at once would be GiBs of Python strings)."""

    def __init__(self):
        self.docs: list[np.ndarray] = []
        self.terms: list[np.ndarray] = []
        self.tfs: list[np.ndarray] = []

    def add(self, docs: np.ndarray, terms: np.ndarray) -> None:
        """One batch: a node index and a term id per token occurrence (int64)."""
        pairs, tf = np.unique((docs << 32) | terms, return_counts=True)
        self.docs.append((pairs >> 32).astype(np.int32))
        self.terms.append((pairs & 0xFFFFFFFF).astype(np.int64))
        self.tfs.append(tf.astype(np.int32))

    def columns(self, vocab: dict[str, int]) -> Columns:
        if not self.docs:
            return Columns(list(vocab), np.zeros(len(vocab) + 1, dtype=np.int64), np.zeros(0, np.int32),
                           np.zeros(0, np.int32))
        docs, terms, tfs = (np.concatenate(a) for a in (self.docs, self.terms, self.tfs))
        self.docs = self.terms = self.tfs = []
        return Columns.from_triples(list(vocab), docs, terms, tfs)


def _batches(rows, n: int):
    it = iter(rows)
    while batch := list(islice(it, n)):
        yield batch


@dataclass
class Segment:
    name: str
    node_ids: list[str]
    hashes: list[str]  # each node's text hash when built: what a later diff against the registry compares
    doc_len: np.ndarray  # int64 tokens per node
    accented: Columns
    folded: Columns

    @classmethod
    def build(cls, rows) -> "Segment":
        """rows: (node_id, space-joined tokens[, text hash]) read as they come (a registry cursor)."""
        ids: list[str] = []
        hashes: list[str] = []
        accented, folded = _Triples(), _Triples()
        vocab: dict[str, int] = {}
        vocab_folded: dict[str, int] = {}
        fold_of: list[int] = []  # accented term id -> folded term id; each distinct token folded once
        lengths: list[int] = []
        for batch in _batches(rows, _BATCH):
            first = len(ids)
            ids.extend(row[0] for row in batch)
            hashes.extend(row[2] if len(row) > 2 else "" for row in batch)
            split = [(row[1] or "").split() for row in batch]
            lengths.extend(map(len, split))
            words = list(chain.from_iterable(split))
            for w in [w for w in dict.fromkeys(words) if w not in vocab]:  # new terms, in order of appearance
                vocab[w] = len(vocab)
                fold_of.append(vocab_folded.setdefault(fold(w), len(vocab_folded)))
            terms = np.asarray(list(map(vocab.__getitem__, words)), dtype=np.int64)  # C-level lookups only
            docs = np.repeat(np.arange(first, len(ids), dtype=np.int64), lengths[first:])
            accented.add(docs, terms)
            folded.add(docs, np.asarray(fold_of, dtype=np.int64)[terms])
        return cls(new_name(), ids, hashes, np.asarray(lengths, dtype=np.int64),
                   accented.columns(vocab), folded.columns(vocab_folded))

    @classmethod
    def merged(cls, parts: list[tuple["Segment", np.ndarray]]) -> "Segment":
        """One segment holding the live nodes of `parts` ((segment, live mask) in order), from their
        postings: no registry read, no segmentation."""
        ids: list[str] = []
        hashes: list[str] = []
        lengths = []
        columns = {}
        for which in ("accented", "folded"):
            vocab: dict[str, int] = {}
            docs_all, terms_all, tfs_all = [], [], []
            offset = 0
            for seg, live in parts:
                cols: Columns = getattr(seg, which)
                new_pos = np.full(len(live), -1, dtype=np.int64)
                new_pos[live] = offset + np.arange(int(live.sum()))
                to_global = np.asarray([vocab.setdefault(t, len(vocab)) for t in cols.terms], dtype=np.int64)
                docs = new_pos[np.asarray(cols.docs)]
                keep = docs >= 0
                docs_all.append(docs[keep])
                terms_all.append(to_global[cols.term_of_posting()][keep])
                tfs_all.append(np.asarray(cols.tfs)[keep])
                offset += int(live.sum())
            docs = np.concatenate(docs_all) if docs_all else np.zeros(0, np.int64)
            terms = np.concatenate(terms_all) if terms_all else np.zeros(0, np.int64)
            tfs = np.concatenate(tfs_all) if tfs_all else np.zeros(0, np.int32)
            order = np.lexsort((docs, terms))  # by term, docs ascending within it
            used = np.bincount(terms, minlength=len(vocab)) > 0  # terms only removed nodes used are dropped
            remap = np.cumsum(used) - 1
            indptr = np.zeros(int(used.sum()) + 1, dtype=np.int64)
            np.cumsum(np.bincount(remap[terms], minlength=int(used.sum())), out=indptr[1:])
            names = [t for t, u in zip(vocab, used) if u]
            columns[which] = Columns(names, indptr, docs[order].astype(np.int32), tfs[order].astype(np.int32))
        for seg, live in parts:
            ids.extend(n for n, keep in zip(seg.node_ids, live) if keep)
            hashes.extend(h for h, keep in zip(seg.hashes, live) if keep)
            lengths.append(np.asarray(seg.doc_len)[live])
        doc_len = np.concatenate(lengths) if lengths else np.zeros(0, np.int64)
        return cls(new_name(), ids, hashes, doc_len.astype(np.int64), columns["accented"], columns["folded"])

    def save(self, root: Path) -> None:
        """Written to a temporary directory, then renamed: a segment directory is whole or absent."""
        tmp = root / f".{self.name}.tmp"
        tmp.mkdir(parents=True)
        (tmp / "nodes.json").write_text(json.dumps({"node_ids": self.node_ids, "hashes": self.hashes}))
        np.save(tmp / "doc_len.npy", self.doc_len)
        self.accented.save(tmp, "accented")
        self.folded.save(tmp, "folded")
        tmp.rename(root / self.name)

    @classmethod
    def load(cls, root: Path, name: str) -> "Segment":
        path = root / name
        nodes = json.loads((path / "nodes.json").read_text())
        return cls(name, nodes["node_ids"], nodes["hashes"], np.load(path / "doc_len.npy"),
                   Columns.load(path, "accented"), Columns.load(path, "folded"))


def _load_array(path: Path) -> np.ndarray:
    try:
        return np.load(path, mmap_mode="r")
    except ValueError:  # an empty array cannot be mapped
        return np.load(path)


def new_name() -> str:
    return f"seg-{secrets.token_hex(6)}"
