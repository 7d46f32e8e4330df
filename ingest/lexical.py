"""Lexical index: BM25 (bm25s) over NFC-normalised, Vietnamese word-segmented text (pyvi).

Segmented tokens are computed once per node and kept in the registry, so rebuilding the index
(after every ingest, or when it lags the registry's generation) costs seconds, not minutes.

A second, folded index (no diacritics, lower case: "trách_nhiệm" -> "trach_nhiem") serves questions
typed without diacritics ("trach nhiem cua ubnd tinh"), which segment badly and match nothing
in the accented index.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np

from core.vocab import PHRASE_ABBREVIATIONS, fold, nfc

_TOKEN_RE = re.compile(r"[\w]+", re.UNICODE)
_segmenter = None


def _segment(text: str) -> str:
    global _segmenter
    if _segmenter is None:
        from pyvi import ViTokenizer

        _segmenter = ViTokenizer
    return _segmenter.tokenize(text)


def lexical_words(text: str) -> list[str]:
    """Word-segmented lower-case words only ("thông_tin"), for term weighting."""
    return _TOKEN_RE.findall(_segment(nfc(text).lower()))


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
    folded = " " + " ".join(_FOLDED_WORD_RE.findall(fold(text).replace("&", ""))) + " "
    for short, long in PHRASE_ABBREVIATIONS.items():
        folded = folded.replace(f" {short} ", f" {long} ")
    syllables = folded.split()
    return syllables + [f"{a}_{b}" for a, b in zip(syllables, syllables[1:])]


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

    def load(self) -> bool:
        meta = self.path / "meta.json"
        if not meta.is_file():
            return False
        import bm25s

        info = json.loads(meta.read_text())
        has_index = (self.path / "bm25").is_dir()  # an empty corpus writes no bm25 files
        self.bm25 = bm25s.BM25.load(str(self.path / "bm25")) if has_index else None
        has_folded = (self.path / "bm25_folded").is_dir()
        self.bm25_folded = bm25s.BM25.load(str(self.path / "bm25_folded")) if has_folded else None
        self.node_ids = info["node_ids"]
        self.generation = info["generation"]
        self.df = info.get("df")
        self.df_folded = info.get("df_folded")
        if self.df_folded is None and has_index:
            self.df = None  # written before the folded index existed: rebuild
        return True

    def build(self, rows, generation: int) -> None:
        """rows: iterable of (node_id, space-joined tokens). Written to a temp dir, then swapped in."""
        import bm25s

        ids, corpus, corpus_folded = [], [], []
        df: dict[str, int] = {}
        df_folded: dict[str, int] = {}
        for node_id, toks in rows:
            ids.append(node_id)
            words = toks.split()
            corpus.append(words)
            for w in set(words):
                df[w] = df.get(w, 0) + 1
            folded = folded_tokens(words)
            corpus_folded.append(folded)
            for w in set(folded):
                df_folded[w] = df_folded.get(w, 0) + 1
        tmp = self.path.with_name(self.path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        bm25 = bm25s.BM25(k1=1.2, b=0.75)
        bm25_folded = bm25s.BM25(k1=1.2, b=0.75)
        if corpus:
            bm25.index(corpus, show_progress=False)
            bm25.save(str(tmp / "bm25"))
            bm25_folded.index(corpus_folded, show_progress=False)
            bm25_folded.save(str(tmp / "bm25_folded"))
        (tmp / "meta.json").write_text(json.dumps({"generation": generation, "node_ids": ids, "df": df,
                                                   "df_folded": df_folded}))
        old = self.path.with_name(self.path.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.path.exists():
            os.replace(self.path, old)
        os.replace(tmp, self.path)
        shutil.rmtree(old, ignore_errors=True)
        self.bm25 = bm25 if corpus else None
        self.bm25_folded = bm25_folded if corpus else None
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
