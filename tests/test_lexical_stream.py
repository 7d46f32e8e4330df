"""The streamed lexical build (postings gathered batch by batch, scored when asked) gives the scores
bm25s.BM25.index would from every node's token list at once: same to the bit, same df, after a reload
too. (Segments, updates and merges: tests/test_lexical_segments.py.)"""
from __future__ import annotations

import random

import numpy as np
import pytest

import ingest.lexical_segments as lexical_segments
from ingest.lexical import LexicalIndex, folded_tokens

SYLLABLES = ["trách", "nhiệm", "thông", "tin", "đối", "ngoại", "ủy", "ban", "nhân", "dân", "tỉnh", "bộ",
             "quốc", "phòng", "điều", "khoản", "báo", "chí", "hộ", "kinh", "doanh", "thuế", "đất", "đai",
             "trach", "nhiem", "dan", "tinh", "nghị", "định", "luật", "2015", "72", "ho"]


def synthetic_rows(n: int, seed: int = 7) -> list[tuple[str, str]]:
    """Segmented-looking token strings of varied length, words and their syllables, some repeated,
    one empty node, and accented/unaccented spellings that fold to the same token."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        toks = []
        for _ in range(rng.choice([0, 1, 3, 8, 20, 45]) if i else 0):
            a, b = rng.choice(SYLLABLES), rng.choice(SYLLABLES)
            toks += [f"{a}_{b}", a, b] if rng.random() < 0.4 else [a]
        rows.append((f"node-{i}", " ".join(toks)))
    return rows


def reference(corpus: list[list[str]]):
    import bm25s

    index = bm25s.BM25(k1=1.2, b=0.75)
    index.index(corpus, show_progress=False)
    return index


@pytest.mark.parametrize("batch", [1, 7, 4096])
def test_streamed_build_scores_equal_bm25s_in_memory(tmp_path, monkeypatch, batch):
    monkeypatch.setattr(lexical_segments, "_BATCH", batch)
    rows = synthetic_rows(300)
    corpus = [t.split() for _, t in rows]
    ref, ref_folded = reference(corpus), reference([folded_tokens(c) for c in corpus])

    built = LexicalIndex(tmp_path / "lexical")
    built.build(iter(rows), generation=3)  # an iterator, like the registry cursor: read once
    loaded = LexicalIndex(tmp_path / "lexical")
    assert loaded.load() and loaded.generation == 3 and loaded.node_ids == [nid for nid, _ in rows]

    rng = random.Random(1)
    queries = [[rng.choice(SYLLABLES) for _ in range(rng.randint(1, 6))] for _ in range(40)]
    queries += [["trách_nhiệm", "ủy", "ban"], ["không_có", "trong", "kho"], ["đất_đai", "đất"]]
    for q in queries:
        in_vocab = [t for t in q if t in ref.vocab_dict]
        expected = ref.get_scores(in_vocab) if in_vocab else np.zeros(len(rows), dtype=np.float32)
        for index in (built, loaded):
            assert np.array_equal(index.scores(q), expected), q
        fq = folded_tokens(q)
        in_vocab = [t for t in fq if t in ref_folded.vocab_dict]
        expected = ref_folded.get_scores(in_vocab) if in_vocab else np.zeros(len(rows), dtype=np.float32)
        for index in (built, loaded):
            assert np.array_equal(index.scores(fq, folded=True), expected), fq

    df: dict[str, int] = {}
    for c in corpus:
        for w in set(c):
            df[w] = df.get(w, 0) + 1
    assert built.df == loaded.df == df
    assert built.idf("trách") == loaded.idf("trách") and built.idf_folded("trach") > 0
    assert set(built.df) == set(ref.vocab_dict) - {""}  # bm25s adds the empty token
    assert set(built.df_folded) == set(ref_folded.vocab_dict) - {""}


def test_streamed_build_of_nothing(tmp_path):
    index = LexicalIndex(tmp_path / "lexical")
    index.build(iter([]), generation=1)
    assert index.node_ids == [] and len(index.scores(["điều"])) == 0
    again = LexicalIndex(tmp_path / "lexical")
    assert again.load() and not again.has_folded and again.df == {} and again.n_live == 0
