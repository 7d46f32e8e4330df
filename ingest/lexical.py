"""Lexical index: BM25 (bm25s) over NFC-normalised, Vietnamese word-segmented text (pyvi).

Segmented tokens are computed once per node and kept in the registry, so rebuilding the index
(after every ingest, or when it lags the registry's generation) costs seconds, not minutes.

A second, folded index (no diacritics, lower case: "trách_nhiệm" -> "trach_nhiem") serves questions
typed without diacritics ("trach nhiem cua ubnd tinh"), which segment badly and match nothing
in the accented index.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
from itertools import chain, islice
from pathlib import Path

import numpy as np

from core.vocab import fold, nfc, spell_out
from ingest.segment import segment

_TOKEN_RE = re.compile(r"[\w]+", re.UNICODE)


def lexical_words(text: str) -> list[str]:
    """Word-segmented lower-case words only ("thông_tin"), for term weighting."""
    return _TOKEN_RE.findall(segment(nfc(text).lower()))


def tokens_from_words(words: list[str]) -> list[str]:
    """Each word, plus its syllables: they keep recall when segmentation differs between a
    question and a clause."""
    out: list[str] = []
    for tok in words:
        out.append(tok)
        if "_" in tok:
            out.extend(s for s in tok.split("_") if s)
    return out


def lexical_tokens(text: str) -> list[str]:
    """Word-segmented lower-case tokens ("thông_tin", "đối_ngoại"), plus their syllables."""
    return tokens_from_words(lexical_words(text))


def lexical_token_text(text: str) -> str:
    """lexical_tokens as the registry stores them (one string): what a segmenting worker returns."""
    return " ".join(lexical_tokens(text))


_FOLDED_WORD_RE = re.compile(r"[a-z0-9]+")
_LETTER_RE = re.compile(r"[^\W\d_]", re.UNICODE)


def is_unaccented(text: str) -> bool:
    """A question typed (mostly) without diacritics: under a fifth of its words carry any."""
    words = [w for w in re.findall(r"[^\W\d_]+", nfc(text)) if len(w) > 1]
    if len(words) < 2:
        return False
    accented = sum(1 for w in words if not w.isascii())
    return accented / len(words) < 0.2


def folded_tokens(tokens: list[str]) -> list[str]:
    """Index side: each segmented token folded ("thông_tin" -> "thong_tin")."""
    return [fold(t) for t in tokens]


def folded_query_tokens(text: str) -> list[str]:
    """Query side: folded syllables with abbreviations spelt out ("ubnd" -> "uy ban nhan dan"),
    plus adjacent pairs joined as the segmenter joins words ("trach_nhiem")."""
    syllables = spell_out(" " + " ".join(_FOLDED_WORD_RE.findall(fold(text).replace("&", ""))) + " ").split()
    return syllables + [f"{a}_{b}" for a, b in zip(syllables, syllables[1:])]


_K1, _B = 1.2, 0.75
_BATCH = 4096  # registry rows per step of the build: bounds the Python objects alive at once
_CHUNK = 1 << 20  # postings scored per numpy step: bounds the float64 temporaries


def _batches(rows, n: int):
    it = iter(rows)
    while batch := list(islice(it, n)):
        yield batch


def _idf(df: int, n_docs: int) -> float:
    """bm25s's "lucene" idf, computed as it does (math.log per term), so scores match it to the bit."""
    return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))


class _Postings:
    """The (node, term, term frequency) triples of one index, gathered batch by batch.

    bm25s.BM25.index wants every node's token list at once (3.4 GiB of Python strings for the whole
    Pháp điển); the triples are the index's own nonzeros as int32 arrays, a few hundred MiB. Scores
    are then computed with bm25s's formulas (lucene idf and tf component, k1 = 1.2, b = 0.75) in the
    same float order, so the saved index is the one bm25s would have built."""

    def __init__(self):
        self.docs: list[np.ndarray] = []
        self.terms: list[np.ndarray] = []
        self.tfs: list[np.ndarray] = []

    def add(self, docs: np.ndarray, terms: np.ndarray) -> None:
        """One batch: a node index and a term id per token occurrence (int64)."""
        pairs, tf = np.unique((docs << 32) | terms, return_counts=True)
        self.docs.append((pairs >> 32).astype(np.int32))
        self.terms.append((pairs & 0xFFFFFFFF).astype(np.int32))
        self.tfs.append(tf.astype(np.int32))

    def bm25(self, vocab: dict[str, int], doc_len: np.ndarray):
        """A bm25s.BM25 over these postings (n nodes = len(doc_len)), and the df of every term."""
        import bm25s

        docs, terms, tfs = (np.concatenate(a) for a in (self.docs, self.terms, self.tfs))
        self.docs = self.terms = self.tfs = []
        n_docs, n_vocab = len(doc_len), len(vocab)
        avg_len = doc_len.mean()
        df = np.bincount(terms, minlength=n_vocab)
        idf = np.array([_idf(d, n_docs) for d in df.tolist()], dtype=np.float32)
        data = np.empty(len(terms), dtype=np.float32)
        for i in range(0, len(terms), _CHUNK):
            d, t = docs[i : i + _CHUNK], terms[i : i + _CHUNK]
            tf = tfs[i : i + _CHUNK].astype(np.float64)
            tfc = tf / (_K1 * ((1 - _B) + _B * doc_len[d] / avg_len) + tf)
            data[i : i + _CHUNK] = idf[t] * tfc
        del tfs
        order = np.argsort(terms, kind="stable")  # column-major; nodes stay ascending within a term
        indptr = np.zeros(n_vocab + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms, minlength=n_vocab), out=indptr[1:])
        del terms
        scores = {"data": data[order], "indices": docs[order], "indptr": indptr, "num_docs": n_docs}
        del order, data, docs
        vocab_dict = dict(vocab)
        vocab_dict.setdefault("", n_vocab)  # bm25s adds the empty token; queries never use it
        index = bm25s.BM25(k1=_K1, b=_B)
        index.scores, index.vocab_dict = scores, vocab_dict
        index.unique_token_ids_set = set(vocab_dict.values())
        index.nonoccurrence_array = None
        return index, dict(zip(vocab, df.tolist()))


class LexicalIndex:
    """A bm25s index over registry nodes, stamped with the registry generation it matches."""

    def __init__(self, path: Path):
        self.path = path
        self.bm25 = None
        self.node_ids: list[str] = []
        self.generation = -1
        self.df: dict[str, int] | None = None  # None: not loaded, or an index written before df existed
        self.bm25_folded = None
        self.df_folded: dict[str, int] | None = None

    @staticmethod
    def stored_nodes(path: Path) -> int:
        """How many nodes the index written at `path` holds (0 when there is none or it is unreadable)."""
        try:
            return len(json.loads((path / "meta.json").read_text()).get("node_ids") or ())
        except (OSError, ValueError, AttributeError):
            return 0

    def load(self) -> bool:
        meta = self.path / "meta.json"
        if not meta.is_file():
            return False
        import bm25s

        info = json.loads(meta.read_text())
        has_index = (self.path / "bm25").is_dir()  # an empty corpus writes no bm25 files
        # Memory-mapped: a query touches only its terms' postings, and processes serving the same home
        # share the pages instead of each holding a copy.
        self.bm25 = bm25s.BM25.load(str(self.path / "bm25"), mmap=True) if has_index else None
        has_folded = (self.path / "bm25_folded").is_dir()
        self.bm25_folded = bm25s.BM25.load(str(self.path / "bm25_folded"), mmap=True) if has_folded else None
        self.node_ids = info["node_ids"]
        self.generation = info["generation"]
        self.df = info.get("df")
        self.df_folded = info.get("df_folded")
        if self.df_folded is None and has_index:
            self.df = None  # written before the folded index existed: rebuild
        return True

    def build(self, rows, generation: int) -> None:
        """rows: iterable of (node_id, space-joined tokens), read as it goes (a cursor over the registry).
        Written to a temp dir, then swapped in. Both indexes are built from postings gathered batch by
        batch (see _Postings), so memory follows the index's size, not the corpus's token lists."""
        ids: list[str] = []
        accented, folded = _Postings(), _Postings()
        vocab: dict[str, int] = {}
        vocab_folded: dict[str, int] = {}
        fold_of: list[int] = []  # accented term id -> folded term id; each distinct token folded once
        lengths: list[int] = []
        for batch in _batches(rows, _BATCH):
            first = len(ids)
            ids.extend(node_id for node_id, _ in batch)
            split = [toks.split() for _, toks in batch]
            lengths.extend(map(len, split))
            words = list(chain.from_iterable(split))
            for w in [w for w in dict.fromkeys(words) if w not in vocab]:  # new terms, in order of appearance
                vocab[w] = len(vocab)
                fold_of.append(vocab_folded.setdefault(fold(w), len(vocab_folded)))
            term_ids = list(map(vocab.__getitem__, words))  # per token, only C-level lookups
            terms = np.asarray(term_ids, dtype=np.int64)
            docs = np.repeat(np.arange(first, len(ids), dtype=np.int64), lengths[first:])
            accented.add(docs, terms)
            folded.add(docs, np.asarray(fold_of, dtype=np.int64)[terms])
        tmp = self.path.with_name(self.path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        bm25 = bm25_folded = None
        df: dict[str, int] = {}
        df_folded: dict[str, int] = {}
        if ids:
            doc_len = np.asarray(lengths, dtype=np.int64)
            bm25, df = accented.bm25(vocab, doc_len)
            bm25.save(str(tmp / "bm25"), show_progress=False)
            bm25_folded, df_folded = folded.bm25(vocab_folded, doc_len)
            bm25_folded.save(str(tmp / "bm25_folded"), show_progress=False)
        (tmp / "meta.json").write_text(json.dumps({"generation": generation, "node_ids": ids, "df": df,
                                                   "df_folded": df_folded}))
        old = self.path.with_name(self.path.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.path.exists():
            os.replace(self.path, old)
        os.replace(tmp, self.path)
        shutil.rmtree(old, ignore_errors=True)
        self.bm25, self.bm25_folded = bm25, bm25_folded
        self.node_ids, self.generation, self.df, self.df_folded = ids, generation, df, df_folded

    def scores(self, query_tokens: list[str], folded: bool = False) -> np.ndarray:
        bm25 = self.bm25_folded if folded else self.bm25
        if bm25 is None or not self.node_ids:
            return np.zeros(0, dtype=np.float32)
        vocab = bm25.vocab_dict
        toks = [t for t in query_tokens if t in vocab]
        if not toks:
            return np.zeros(len(self.node_ids), dtype=np.float32)
        return bm25.get_scores(toks)

    def idf(self, word: str) -> float:
        """Inverse document frequency; a word the corpus never uses weighs the most."""
        n = max(len(self.node_ids), 1)
        return float(np.log(1.0 + n / (self.df.get(word, 0) + 0.5)))

    def idf_folded(self, word: str) -> float:
        n = max(len(self.node_ids), 1)
        return float(np.log(1.0 + n / ((self.df_folded or {}).get(word, 0) + 0.5)))
