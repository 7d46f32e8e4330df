"""Lexical index: BM25 (bm25s) over NFC-normalised, Vietnamese word-segmented text (pyvi).

Segmented tokens are computed once per node and kept in the registry, so rebuilding the index
(after every ingest, or when it lags the registry's generation) costs seconds, not minutes.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np

from core.vocab import nfc

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


class LexicalIndex:
    """A bm25s index over registry nodes, stamped with the registry generation it matches."""

    def __init__(self, path: Path):
        self.path = path
        self.bm25 = None
        self.node_ids: list[str] = []
        self.generation = -1
        self.df: dict[str, int] | None = None  # None: not loaded, or an index written before df existed

    def load(self) -> bool:
        meta = self.path / "meta.json"
        if not meta.is_file():
            return False
        import bm25s

        info = json.loads(meta.read_text())
        has_index = (self.path / "bm25").is_dir()  # an empty corpus writes no bm25 files
        self.bm25 = bm25s.BM25.load(str(self.path / "bm25")) if has_index else None
        self.node_ids = info["node_ids"]
        self.generation = info["generation"]
        self.df = info.get("df")
        return True

    def build(self, rows, generation: int) -> None:
        """rows: iterable of (node_id, space-joined tokens). Written to a temp dir, then swapped in."""
        import bm25s

        ids, corpus = [], []
        df: dict[str, int] = {}
        for node_id, toks in rows:
            ids.append(node_id)
            words = toks.split()
            corpus.append(words)
            for w in set(words):
                df[w] = df.get(w, 0) + 1
        tmp = self.path.with_name(self.path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        bm25 = bm25s.BM25(k1=1.2, b=0.75)
        if corpus:
            bm25.index(corpus, show_progress=False)
            bm25.save(str(tmp / "bm25"))
        (tmp / "meta.json").write_text(json.dumps({"generation": generation, "node_ids": ids, "df": df}))
        old = self.path.with_name(self.path.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.path.exists():
            os.replace(self.path, old)
        os.replace(tmp, self.path)
        shutil.rmtree(old, ignore_errors=True)
        self.bm25 = bm25 if corpus else None
        self.node_ids, self.generation, self.df = ids, generation, df

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        if self.bm25 is None or not self.node_ids:
            return np.zeros(0, dtype=np.float32)
        vocab = self.bm25.vocab_dict
        toks = [t for t in query_tokens if t in vocab]
        if not toks:
            return np.zeros(len(self.node_ids), dtype=np.float32)
        return self.bm25.get_scores(toks)

    def idf(self, word: str) -> float:
        """Inverse document frequency; a word the corpus never uses weighs the most."""
        n = max(len(self.node_ids), 1)
        return float(np.log(1.0 + n / (self.df.get(word, 0) + 0.5)))
