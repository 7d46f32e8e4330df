"""`kb eval`: article- and clause-level retrieval metrics on ALQAC JSON or the JSONL dev format."""
from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from core.errors import KbError
from core.vocab import nfc



@dataclass
class EvalQuestion:
    id: str
    question: str
    gold: list[dict]  # {"document", "article"?, "clause"?}


class EvalFileError(KbError, ValueError):
    pass


def norm_doc(text: str) -> str:
    return nfc(text or "").strip().lower()


def load_questions(path: str) -> list[EvalQuestion]:
    p = Path(path)
    if not p.is_file():
        raise EvalFileError(f"{path}: không tồn tại")
    raw = p.read_text(encoding="utf-8")
    out: list[EvalQuestion] = []
    if raw.lstrip().startswith("["):
        for i, q in enumerate(json.loads(raw)):
            if "relevant_articles" not in q:
                raise EvalFileError(f"{path}: câu {i} thiếu 'relevant_articles' (định dạng ALQAC)")
            gold = [{"document": a["law_id"], "article": str(a["article_id"])} for a in q["relevant_articles"]]
            out.append(EvalQuestion(str(q.get("question_id", i)), q["text"], gold))
        return out
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
            out.append(EvalQuestion(str(q["id"]), q["question"], q["gold"]))
        except (json.JSONDecodeError, KeyError) as exc:
            raise EvalFileError(f"{path}:{n}: dòng không hợp lệ ({exc}); cần {{'id','question','gold'}}") from exc
    return out


def _doc_ids(hit) -> set[str]:
    return {norm_doc(hit.document_number), norm_doc(hit.document), norm_doc(hit.title), norm_doc(hit.document_name)} - {""}


def _hit_matches(hit, gold: dict, clause_level: bool) -> bool:
    if norm_doc(gold["document"]) not in _doc_ids(hit):
        return False
    if gold.get("article") and str(gold["article"]) != hit.article:
        return False
    if clause_level and gold.get("clause") and str(gold["clause"]) != hit.clause:
        return False
    return True


def article_ranking(hits) -> list:
    seen, out = set(), []
    for h in hits:
        key = (h.document, h.article)
        if key not in seen:
            seen.add(key)
            out.append(h)
    return out


def evaluate(kb, questions: list[EvalQuestion], k: int = 10) -> dict:
    per, lat = [], []
    kb.retrieve("khởi động")  # load the models and indexes before timing
    for q in questions:
        t0 = time.perf_counter()
        res = kb.retrieve(q.question, k=max(k * 4, 40))
        kb.extractive(q.question, res)
        lat.append((time.perf_counter() - t0) * 1000)
        arts = article_ranking(res.hits)
        ranks = []
        for g in q.gold:
            r = next((i + 1 for i, h in enumerate(arts) if _hit_matches(h, g, False)), None)
            ranks.append(r)
        first = min((r for r in ranks if r), default=None)
        clause_hit = [any(_hit_matches(h, g, True) for h in res.hits[:5]) for g in q.gold]
        per.append({
            "id": q.id, "question": q.question, "gold": q.gold, "ranks": ranks, "first_rank": first,
            "clause_hit@5": clause_hit,
            "top": [{"citation": h.citation, "document": h.document, "article": h.article} for h in arts[:5]],
        })

    def recall(n):
        return statistics.mean(sum(1 for r in p["ranks"] if r and r <= n) / len(p["ranks"]) for p in per)

    lat_sorted = sorted(lat)
    return {
        "n": len(per),
        "recall@1": round(recall(1), 4),
        "recall@5": round(recall(5), 4),
        "recall@10": round(recall(10), 4),
        "mrr@10": round(statistics.mean((1 / p["first_rank"]) if p["first_rank"] and p["first_rank"] <= 10 else 0.0 for p in per), 4),
        "clause_recall@5": round(statistics.mean(sum(p["clause_hit@5"]) / len(p["clause_hit@5"]) for p in per), 4),
        "latency_ms_p50": round(statistics.median(lat), 1),
        "latency_ms_p95": round(lat_sorted[min(len(lat_sorted) - 1, int(0.95 * len(lat_sorted)))], 1),
        "per_question": per,
    } if per else {"n": 0}
