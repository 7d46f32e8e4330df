"""`kb train --variants`: changes to the ranker that were tried and not shipped, each measured the way
a change must be before it ships — grouped 5-fold cross-validation on every labelled set, over three
shuffles of the folds — next to the shipped configuration in the same folds.

A variant ships only when it gains on every answer-level set; the table says why each one did not.
The features a variant adds are computed here from the cached feature matrices (kb/train.py), so the
product's feature list stays what the shipped model reads.
"""
from __future__ import annotations

import re
import time

import numpy as np

from kb.train import LAMBDAMART, MONOTONE, SET_WEIGHT, Collected, collected_rows, grouped_folds, lead_first
from qa.features import FEATURES

_ARTICLE_RE = re.compile(r"^(?:Điểm \S+ )?(?:Khoản \S+ )?")
ARTICLE_FEATURES = ("article_best_fused", "article_best_coverage", "article_best_dense_gap", "article_fused_rr",
                    "best_of_article", "article_share")
RANK_FEATURES = ("coverage_rr", "bigram_rr")
# Directions for the added features, as the law reads (MONOTONE for the shipped ones).
_EXTRA_MONOTONE = {"article_best_coverage": 1, "article_best_dense_gap": -1}


def article_features(r: Collected) -> np.ndarray:
    """Per candidate, what its article scores among the candidates: its best fused score, coverage and
    dense gap, the article's rank by best fused score (1/(1+rank)), whether the candidate is its
    article's best, and the article's share of the candidates."""
    if not len(r.citations):
        return np.zeros((0, len(ARTICLE_FEATURES)))
    col = {name: r.X[:, FEATURES.index(name)] for name in ("fused", "coverage", "dense_gap")}
    keys = [_ARTICLE_RE.sub("", c) for c in r.citations]
    best: dict[str, list[float]] = {}
    count: dict[str, int] = {}
    for i, k in enumerate(keys):
        f, c, d = col["fused"][i], col["coverage"][i], col["dense_gap"][i]
        b = best.setdefault(k, [f, c, d])
        b[0], b[1], b[2] = max(b[0], f), max(b[1], c), min(b[2], d)
        count[k] = count.get(k, 0) + 1
    rank = {k: i for i, k in enumerate(sorted(best, key=lambda k: -best[k][0]))}
    n = len(keys)
    return np.array([[best[k][0], best[k][1], best[k][2], 1.0 / (1 + rank[k]),
                      float(col["fused"][i] >= best[k][0] - 1e-12), count[k] / n] for i, k in enumerate(keys)])


def rank_features(r: Collected) -> np.ndarray:
    """1/(1+rank) of the candidate by coverage and by bigram coverage among the question's candidates."""
    out = []
    for name in ("coverage", "bigram_cov"):
        v = r.X[:, FEATURES.index(name)]
        rank = np.empty(len(v))
        rank[np.argsort(-v, kind="stable")] = np.arange(len(v))
        out.append(1.0 / (1 + rank))
    return np.column_stack(out) if len(r.citations) else np.zeros((0, len(RANK_FEATURES)))


# name -> (what it adds or drops, LightGBM parameters changed, models bagged, what it tests)
VARIANTS: dict[str, tuple[tuple[str, ...], dict, int, str]] = {
    "shipped": ((), {}, 1, "the shipped LambdaMART (400 trees of 4 leaves, monotone)"),
    "article aggregates": (("article",), {}, 1, "six features of the candidate's article among the candidates"),
    "rank features": (("rank",), {}, 1, "rank of the candidate by coverage and by bigram coverage"),
    "bagged ×5": ((), {}, 5, "the mean of five models fitted with different seeds"),
    "800 trees": ((), {"n_estimators": 800}, 1, "twice the rounds"),
    "8 leaves": ((), {"num_leaves": 8}, 1, "deeper trees"),
    "no quoted_term": (("-quoted_term",), {}, 1, "a feature the ablation found inert, dropped"),
}


def _matrix(r: Collected, adds: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    X, names = r.X, list(FEATURES)
    if "article" in adds:
        X, names = np.hstack([X, article_features(r)]), names + list(ARTICLE_FEATURES)
    if "rank" in adds:
        X, names = np.hstack([X, rank_features(r)]), names + list(RANK_FEATURES)
    keep = [i for i, n in enumerate(names) if "-" + n not in adds]
    return X[:, keep], [names[i] for i in keep]


def _fit(rows: list[Collected], mats: list[np.ndarray], names: list[str], params: dict, seed: int):
    import lightgbm as lgb

    usable = [i for i, r in enumerate(rows) if r.X.shape[0] >= 2 and r.rel.max() > 0 and r.kind != "negative"]
    sizes = [len(rows[i].rel) for i in usable]
    weights = np.repeat([SET_WEIGHT.get(rows[i].kind, 1.0) for i in usable], sizes)
    model = lgb.LGBMRanker(**(LAMBDAMART | {"random_state": seed, "monotone_constraints":
                                            [MONOTONE.get(f, _EXTRA_MONOTONE.get(f, 0)) for f in names]} | params))
    model.fit(np.concatenate([mats[i] for i in usable]), np.concatenate([rows[i].rel for i in usable]).astype(int),
              group=sizes, sample_weight=weights)
    return model


def cross_validated_first(rows: list[Collected], adds=(), params=None, bag: int = 1, seeds=(0, 1, 2),
                          k: int = 5) -> dict[str, float]:
    """Per set: the share of answerable questions whose best-scored candidate is a first unit, each
    question scored by models that never saw it, pooled over the fold shuffles `seeds`."""
    built = [_matrix(r, tuple(adds)) for r in rows]
    mats, names = [m for m, _ in built], built[0][1]
    hits: dict[str, list[int]] = {}
    for seed in seeds:
        for test in grouped_folds(rows, k, seed):
            held = set(test)
            train = [i for i in range(len(rows)) if i not in held]
            models = [_fit([rows[i] for i in train], [mats[i] for i in train], names, params or {}, seed * 10 + b)
                      for b in range(bag)]
            for i in test:
                r = rows[i]
                if r.kind == "negative" or not r.answerable:
                    continue
                s = np.mean([m.predict(mats[i]) for m in models], axis=0) if len(mats[i]) else np.zeros(0)
                h = hits.setdefault(r.set_name, [0, 0])
                h[0] += lead_first(r, s)
                h[1] += 1
    return {name: h[0] / h[1] for name, h in hits.items()}


def variants_table(rows: list[Collected] | None = None) -> str:
    rows = rows if rows is not None else collected_rows()
    results, seconds = {}, {}
    for name, (adds, params, bag, _) in VARIANTS.items():
        t0 = time.perf_counter()
        results[name] = cross_validated_first(rows, adds, params, bag)
        seconds[name] = time.perf_counter() - t0
    sets = sorted(results["shipped"])
    lines = ["| variant | what it tests | " + " | ".join(sets) + " | sets gained / lost vs shipped |",
             "|---|---|" + "---|" * len(sets) + "---|"]
    base = results["shipped"]
    for name, (_, _, _, what) in VARIANTS.items():
        r = results[name]
        gained = sum(1 for s in sets if r[s] > base[s] + 1e-9)
        lost = sum(1 for s in sets if r[s] < base[s] - 1e-9)
        lines.append(f"| {name} | {what} | " + " | ".join(f"{100 * r[s]:.1f}%" for s in sets)
                     + (" | — |" if name == "shipped" else f" | {gained} / {lost} |"))
    return ("Changes to the ranker tried and not shipped unless they gain on every set. Each cell: the share of "
            "the set's answerable questions whose best-scored candidate is a first unit (the plan's rules not "
            "applied), each question scored by models that never saw it: grouped 5-fold cross-validation, three "
            "shuffles of the folds pooled (so a set of 23 questions moves by 1.4 points a question). Seconds: "
            + ", ".join(f"{n} {seconds[n]:.0f}" for n in VARIANTS) + ".\n\n" + "\n".join(lines))
