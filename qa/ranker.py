"""The one score over the named features of `qa.features`, with the model as data.

`qa/models/ranker.json` holds the model (LightGBM LambdaMART trees as LightGBM's own text, or a
linear model's weights and standardisation), the plan's two gaps and the basis model, all written
by `kb train` (kb/train.py) from labelled questions, with the cross-validated figures they were
chosen by. Both kinds were fitted in the same grouped folds (docs/BENCHMARKS.md): LambdaMART ranked
the gold unit first more often on every answer-level set, so it is the one shipped; the linear model
stays as the baseline and for the ablation table. Either explains a score as per-feature
contributions (w·x for the linear model, TreeSHAP for the trees): an answer's `why`.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.features import FEATURES

MODEL_PATH = Path(__file__).parent / "models" / "ranker.json"

# What the basis model reads of a ranked list (one row per question).
BASIS_FEATURES: tuple[str, ...] = (
    "lead_score",     # the lead's learned score
    "margin",         # lead score minus the runner-up's
    "lead_coverage",  # the lead's IDF-weighted coverage of the question
    "best_coverage",  # the best coverage among the top three
    "lead_bigrams",   # the lead's share of the question's adjacent syllable pairs
    "dense_top",      # the best dense cosine (0 without dense search)
    "no_dense",       # dense search was unavailable or empty
    "unaccented",     # typed without diacritics
    "named_document", # the lead is of a document the question names
    "unknown_words",  # share of the question's words the corpus never uses ("kết hôn" asked of press law)
    "unknown_folded", # the same for a question typed without diacritics (its own scale: a weight of its own)
)


def _columns(features: tuple[str, ...], X: np.ndarray) -> np.ndarray:
    """A model's columns of a FEATURES matrix (a model may use a subset: ablations)."""
    return X[:, [FEATURES.index(f) for f in features]]


def _top_contributions(features: tuple[str, ...], x: np.ndarray, contrib: np.ndarray, top: int) -> list[dict]:
    """The features that moved a score most, with their values, largest first (an answer's `why`)."""
    order = np.argsort(-np.abs(contrib))[:top]
    return [{"feature": features[i], "value": round(float(x[i]), 3), "contribution": round(float(contrib[i]), 3)}
            for i in order if abs(contrib[i]) > 1e-3]


@dataclass(frozen=True)
class BasisModel:
    """P(the lead answers) = σ(bias + w·z); found / weak / none by two thresholds chosen on
    cross-validated predictions (kb/train.py)."""

    weights: tuple[float, ...]
    bias: float
    found_at: float
    none_below: float
    # The share of the question's words the corpus never uses above which nothing here answers it.
    unknown_none: float = 1.0

    def probability(self, z: np.ndarray) -> float:
        s = self.bias + float(np.dot(self.weights, z))
        return 1.0 / (1.0 + math.exp(-max(min(s, 40.0), -40.0)))

    def basis(self, p: float, unknown_words: float = 0.0) -> str:
        if unknown_words >= self.unknown_none:
            return "none"
        return "found" if p >= self.found_at else "none" if p < self.none_below else "weak"


@dataclass(frozen=True)
class LinearRanker:
    features: tuple[str, ...]
    weights: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    # The plan: a runner-up answers with the lead when its score is within `answer_gap` of it, is
    # quoted as context within `context_gap` (both in score units, learned with the weights).
    answer_gap: float = 1.0
    context_gap: float = 2.0
    basis_model: BasisModel | None = None
    info: dict = field(default_factory=dict)

    def score(self, X: np.ndarray) -> np.ndarray:
        if X.size == 0:
            return np.zeros(len(X))
        return ((_columns(self.features, X) - self.mean) / self.scale) @ self.weights

    def contributions(self, row: np.ndarray, top: int = 5) -> list[dict]:
        """The features that moved this candidate's score most, with their values (an answer's `why`)."""
        x = _columns(self.features, row.reshape(1, -1))[0]
        return _top_contributions(self.features, x, (x - self.mean) / self.scale * self.weights, top)

    def to_json(self) -> dict:
        out = {"features": list(self.features), "weights": [round(float(w), 6) for w in self.weights],
               "mean": [round(float(m), 6) for m in self.mean], "scale": [round(float(s), 6) for s in self.scale],
               "answer_gap": self.answer_gap, "context_gap": self.context_gap, "info": self.info}
        if self.basis_model is not None:
            out["basis"] = _basis_json(self.basis_model)
        return out

    @classmethod
    def from_json(cls, data: dict) -> "LinearRanker":
        known = [f for f in data["features"] if f in FEATURES]  # a feature since removed weighs nothing
        keep = [data["features"].index(f) for f in known]
        basis = _basis_from(data)
        return cls(tuple(known), np.array([data["weights"][i] for i in keep], dtype=np.float64),
                   np.array([data["mean"][i] for i in keep], dtype=np.float64),
                   np.array([data["scale"][i] for i in keep], dtype=np.float64),
                   float(data.get("answer_gap", 1.0)), float(data.get("context_gap", 2.0)), basis,
                   dict(data.get("info", {})))

    @classmethod
    def load(cls, path: str | Path = MODEL_PATH) -> "LinearRanker":
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))

    def save(self, path: str | Path = MODEL_PATH) -> None:
        _write_atomically(Path(path), self.to_json())


@dataclass(frozen=True)
class TreeRanker:
    """LightGBM LambdaMART over FEATURES (the booster kept as LightGBM's text model)."""

    features: tuple[str, ...]
    model_text: str
    answer_gap: float = 1.0
    context_gap: float = 2.0
    basis_model: BasisModel | None = None
    info: dict = field(default_factory=dict)

    @property
    def booster(self):
        b = self.__dict__.get("_booster")
        if b is None:
            import lightgbm as lgb  # only where a tree model is used

            b = lgb.Booster(model_str=self.model_text)
            object.__setattr__(self, "_booster", b)
        return b

    def score(self, X: np.ndarray) -> np.ndarray:
        if X.size == 0:
            return np.zeros(len(X))
        return self.booster.predict(_columns(self.features, X), num_threads=1)

    def contributions(self, row: np.ndarray, top: int = 5) -> list[dict]:
        x = _columns(self.features, row.reshape(1, -1))
        contrib = self.booster.predict(x, pred_contrib=True, num_threads=1)[0][:-1]  # last: the expected value
        return _top_contributions(self.features, x[0], contrib, top)

    def to_json(self) -> dict:
        out = {"kind": "lambdamart", "features": list(self.features), "model": self.model_text,
               "answer_gap": self.answer_gap, "context_gap": self.context_gap, "info": self.info}
        if self.basis_model is not None:
            out["basis"] = _basis_json(self.basis_model)
        return out

    def save(self, path: str | Path = MODEL_PATH) -> None:
        _write_atomically(Path(path), self.to_json())


def _write_atomically(path: Path, data: dict) -> None:
    """The model file replaced in one step: a `kb` process starting meanwhile reads the old or the new
    model, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _basis_json(b: BasisModel) -> dict:
    return {"features": list(BASIS_FEATURES), "weights": [round(w, 6) for w in b.weights], "bias": round(b.bias, 6),
            "found_at": b.found_at, "none_below": b.none_below, "unknown_none": b.unknown_none}


def _basis_from(data: dict) -> BasisModel | None:
    if "basis" not in data:
        return None
    b = data["basis"]
    weights = dict(zip(b["features"], b["weights"]))
    return BasisModel(tuple(float(weights.get(f, 0.0)) for f in BASIS_FEATURES), float(b["bias"]),
                      float(b["found_at"]), float(b["none_below"]), float(b.get("unknown_none", 1.0)))


Ranker = LinearRanker | TreeRanker


def load_ranker(path: str | Path = MODEL_PATH) -> Ranker:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if data.get("kind") == "lambdamart":
        return TreeRanker(tuple(data["features"]), data["model"], float(data.get("answer_gap", 1.0)),
                          float(data.get("context_gap", 2.0)), _basis_from(data), dict(data.get("info", {})))
    return LinearRanker.from_json(data)


_DEFAULT: Ranker | None = None


def default_ranker() -> Ranker:
    """The shipped model, read once."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_ranker()
    return _DEFAULT
