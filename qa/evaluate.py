"""`kb eval`: article- and clause-level retrieval metrics on ALQAC JSON or the JSONL dev format,
and answer-level metrics (citations, basis, missing documents, verbatim quotes) on the answers JSONL."""
from __future__ import annotations

import json
import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import KbError
from core.vocab import POINT_LETTERS, aligned_fold, fold, nfc
from qa.references import parse_reference



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
    kb.retrieve("khởi động")  # load the models and indexes before timing
    return summarize_retrieval(retrieval_rows(kb, questions, k))


def retrieval_rows(kb, questions: list[EvalQuestion], k: int = 10) -> list[dict]:
    """One scored row per question: gold ranks, and whether the answer's first citation is from a
    gold article (`kb eval --cv` joins the rows of its folds)."""
    per = []
    for q in questions:
        t0 = time.perf_counter()
        res = kb.retrieve(q.question, k=max(k * 4, 40))
        ans = kb.extractive(res)
        latency = (time.perf_counter() - t0) * 1000
        arts = article_ranking(res.hits)
        ranks = []
        for g in q.gold:
            r = next((i + 1 for i, h in enumerate(arts) if _hit_matches(h, g, False)), None)
            ranks.append(r)
        first = min((r for r in ranks if r), default=None)
        clause_hit = [any(_hit_matches(h, g, True) for h in res.hits[:5]) for g in q.gold]
        lead = kb.clause(ans.citations[0].node_id) if ans.citations else None
        per.append({
            "id": q.id, "question": q.question, "gold": q.gold, "ranks": ranks, "first_rank": first,
            "clause_hit@5": clause_hit, "latency_ms": latency, "basis": ans.basis,
            "answer_first_gold": lead is not None and any(_hit_matches(lead, g, False) for g in q.gold),
            "top": [{"citation": h.citation, "document": h.document, "article": h.article} for h in arts[:5]],
        })
    return per


def summarize_retrieval(per: list[dict]) -> dict:
    if not per:
        return {"n": 0}

    def recall(n):
        return statistics.mean(sum(1 for r in p["ranks"] if r and r <= n) / len(p["ranks"]) for p in per)

    lat = [p["latency_ms"] for p in per]
    lat_sorted = sorted(lat)
    return {
        "n": len(per),
        "recall@1": round(recall(1), 4),
        "recall@5": round(recall(5), 4),
        "recall@10": round(recall(10), 4),
        "mrr@10": round(statistics.mean((1 / p["first_rank"]) if p["first_rank"] and p["first_rank"] <= 10 else 0.0 for p in per), 4),
        "clause_recall@5": round(statistics.mean(sum(p["clause_hit@5"]) / len(p["clause_hit@5"]) for p in per), 4),
        # the answer's first citation is from a gold article (what an official reads first)
        "answer_first_gold": round(statistics.mean(1.0 if p["answer_first_gold"] else 0.0 for p in per), 4),
        "latency_ms_p50": round(statistics.median(lat), 1),
        "latency_ms_p95": round(lat_sorted[min(len(lat_sorted) - 1, int(0.95 * len(lat_sorted)))], 1),
        "per_question": per,
    }


# ================================================================ answer-level evaluation

def eval_file_format(path: str) -> str:
    """Which evaluation a file asks for: "answers" (gold entries are citation strings) or "retrieval"
    (gold entries are {"document", "article"} objects, or an ALQAC JSON array)."""
    p = Path(path)
    if not p.is_file():
        raise EvalFileError(f"{path}: không tồn tại")
    raw = p.read_text(encoding="utf-8")
    if raw.lstrip().startswith("["):
        return "retrieval"  # ALQAC JSON array
    answer_keys = False
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalFileError(f"{path}:{n}: không phải JSON ({exc}); mỗi dòng cần một đối tượng JSON") from exc
        if not isinstance(q, dict):
            raise EvalFileError(f"{path}:{n}: mỗi dòng cần một đối tượng JSON {{'id','question','gold',…}}")
        gold = q.get("gold")
        if isinstance(gold, list) and gold:
            if all(isinstance(g, str) for g in gold):
                return "answers"
            if all(isinstance(g, dict) for g in gold):
                return "retrieval"
            raise EvalFileError(f"{path}:{n}: 'gold' trộn chuỗi và đối tượng; cần toàn chuỗi trích dẫn "
                                "(đánh giá câu trả lời) hoặc toàn {'document','article'} (đánh giá truy hồi)")
        answer_keys = answer_keys or bool({"kind", "first", "missing"} & set(q))
    if answer_keys:  # only unanswerable questions: still the answers format
        return "answers"
    raise EvalFileError(f"{path}: không xác định được định dạng: không dòng nào có 'gold' khác rỗng")


@dataclass
class AnswerQuestion:
    id: str
    kind: str
    question: str
    gold: list[str]  # citation strings; empty = no basis in the base (missing_doc, off_topic)
    first: list[str] = field(default_factory=list)  # empty = any gold unit may come first
    related: list[str] = field(default_factory=list)
    missing: str = ""  # number of a catalogued document without text the answer should name
    note: str = ""
    after: str = ""  # the question asked before it in the conversation (a follow-up)

    @property
    def answerable(self) -> bool:
        return bool(self.gold)


_ANSWER_KEYS = {"id": (str, int), "kind": str, "question": str, "gold": list, "first": list, "related": list,
                "missing": str, "note": str, "after": str, "audit": str}
_ANSWER_SHAPE = ('{"id", "question", "gold": ["Khoản 1 Điều 22 Nghị định 72/2015/NĐ-CP", …], '
                 '"kind"?, "first"?: […], "related"?: […], "missing"?: "<số hiệu>", "note"?}')


def load_answer_questions(path: str) -> list[AnswerQuestion]:
    """The answers JSONL; any line of another shape fails with file:line and the shape expected."""
    p = Path(path)
    if not p.is_file():
        raise EvalFileError(f"{path}: không tồn tại")
    out: list[AnswerQuestion] = []
    seen: set[str] = set()
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            q = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalFileError(f"{where}: không phải JSON ({exc}); cần {_ANSWER_SHAPE}") from exc
        if not isinstance(q, dict):
            raise EvalFileError(f"{where}: cần một đối tượng {_ANSWER_SHAPE}")
        # Unknown keys fail too: a misspelt "frist" would otherwise be scored against gold silently.
        unknown = sorted(set(q) - set(_ANSWER_KEYS))
        if unknown:
            raise EvalFileError(f"{where}: khoá không biết {unknown}; cần {_ANSWER_SHAPE}")
        for key in ("id", "question", "gold"):
            if key not in q:
                raise EvalFileError(f"{where}: thiếu '{key}'; cần {_ANSWER_SHAPE}")
        for key, kind in _ANSWER_KEYS.items():
            if key in q and (not isinstance(q[key], kind) or isinstance(q[key], bool)):
                raise EvalFileError(f"{where}: '{key}' sai kiểu ({type(q[key]).__name__}); cần {_ANSWER_SHAPE}")
        if not q["question"].strip():
            raise EvalFileError(f"{where}: 'question' rỗng")
        for key in ("gold", "first", "related"):
            for i, c in enumerate(q.get(key, [])):
                if not isinstance(c, str):
                    raise EvalFileError(f"{where}: {key}[{i}] phải là chuỗi trích dẫn như "
                                        f"“Khoản 1 Điều 22 Nghị định 72/2015/NĐ-CP”, không phải {type(c).__name__}")
                unit = parse_unit(c)
                if not (unit.number or unit.name) or not unit.article:
                    raise EvalFileError(f"{where}: {key}[{i}] “{c}” không đọc được thành Điều/Khoản/Điểm của một "
                                        "văn bản; ghi như “Khoản 1 Điều 22 Nghị định 72/2015/NĐ-CP”")
        qid = str(q["id"])
        if qid in seen:
            raise EvalFileError(f"{where}: trùng id {qid!r}")
        seen.add(qid)
        out.append(AnswerQuestion(qid, q.get("kind", ""), q["question"], list(q["gold"]), list(q.get("first", [])),
                                  list(q.get("related", [])), q.get("missing", ""), q.get("note", ""),
                                  q.get("after", "")))
    return out


# ---------------------------------------------------------------- matching cited units (pure)


@dataclass(frozen=True)
class CitedUnit:
    """A cited Điều / Khoản / Điểm of one document, in folded form for comparison."""

    number: str  # "72/2015/nd-cp" (folded, no spaces), "" when the citation names no number
    name: str  # "luat bao chi" (type + name words, folded), "" when the citation has no name
    article: str  # "" = the whole document
    clause: str
    points: frozenset[str] = frozenset()  # several for a point group "Điểm a-c"


# "Điểm a-c" / "Điểm a – c" on the folded copy; parse_reference keeps only the first letter.
_POINT_GROUP_RE = re.compile(r"(?<![a-z])diem\s*\.?\s*([a-z])(?:\s*[-–]\s*([a-z]))?(?![a-z0-9])")
_NON_ALNUM_RE = re.compile(r"[^a-z0-9]+")


def _fold_number(number: str) -> str:
    return re.sub(r"\s+", "", fold(number))


def _point_range(first: str, last: str) -> frozenset[str]:
    if first in POINT_LETTERS and last in POINT_LETTERS and POINT_LETTERS.index(first) <= POINT_LETTERS.index(last):
        return frozenset(POINT_LETTERS[POINT_LETTERS.index(first):POINT_LETTERS.index(last) + 1])
    return frozenset({first, last})


def parse_unit(citation: str) -> CitedUnit:
    """ "Điểm a-c Khoản 2 Điều 5 Nghị định 09/2017/NĐ-CP" -> CitedUnit("09/2017/nd-cp", "", "5", "2", {a,b,c})."""
    original = nfc(citation).strip()
    ref = parse_reference(original)
    points: frozenset[str] = frozenset({ref.point}) if ref.point else frozenset()
    m = _POINT_GROUP_RE.search(aligned_fold(original))
    if m:  # read letters from the original: the folded copy turns the point "đ" into "d"
        first = original[m.start(1)].lower()
        points = _point_range(first, original[m.start(2)].lower() if m.group(2) else first)
    name = _NON_ALNUM_RE.sub(" ", fold(f"{ref.doc_type} {ref.name}")).strip() if ref.name else ""
    return CitedUnit(_fold_number(ref.number), name, fold(ref.article), ref.clause, points)


def _same_document(a: CitedUnit, b: CitedUnit) -> bool:
    if a.number and b.number:
        return a.number == b.number
    return bool(a.name) and a.name == b.name  # by name only when one side has no number


def _contains(outer: CitedUnit, inner: CitedUnit) -> bool:
    """Điều ⊃ Khoản ⊃ Điểm: every level `outer` names, `inner` names the same (points: a subset)."""
    return (outer.article in ("", inner.article) and outer.clause in ("", inner.clause)
            and (not outer.points or bool(inner.points) and inner.points <= outer.points))


def units_match(a: CitedUnit, b: CitedUnit) -> bool:
    """Same unit, or one contains the other, in the same document."""
    return _same_document(a, b) and (_contains(a, b) or _contains(b, a))


def citation_matches(cited: str, gold: str) -> bool:
    return units_match(parse_unit(cited), parse_unit(gold))


# ---------------------------------------------------------------- metrics


def _rate(hits: int, n: int) -> dict:
    return {"hits": hits, "n": n, "rate": round(hits / n, 4) if n else None}


def _latency(lat: list[float]) -> dict:
    if not lat:
        return {"latency_ms_p50": None, "latency_ms_p95": None}
    s = sorted(lat)
    return {"latency_ms_p50": round(statistics.median(s), 1),
            "latency_ms_p95": round(s[min(len(s) - 1, int(0.95 * len(s)))], 1)}


def _names_document(number: str, texts: list[str]) -> bool:
    """Whether any text names the document number, folded, not as part of a longer number."""
    pattern = re.compile(r"(?<![\w/])" + r"\s*".join(map(re.escape, _fold_number(number))) + r"(?![\w/])")
    return any(pattern.search(fold(t or "")) for t in texts)


def _own_words(answer) -> str:
    """The answer text without what it quotes: a quoted clause that mentions a document does not name
    it as missing (the extractive answer quotes nodes as "> " lines)."""
    text = answer.answer or ""
    for c in answer.citations:
        if c.quote:
            text = text.replace(c.quote, " ")
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))


BASIS_VALUES = ("found", "weak", "none")
COMPLETE_KINDS = ("multi", "cross_ref")


def quote_is_verbatim(kb, citation) -> bool:
    """The quote is stored text of the unit it cites: a substring of its node, or every line of it a
    line of the cited unit as `kb lookup` gives it (a khoản split over nodes is quoted whole; an
    attachment name is dropped)."""
    node = kb.clause(citation.node_id) if citation.node_id else None
    if node is None:
        return False
    if citation.quote in node.text:
        return True
    unit = kb.lookup(citation.citation)
    return unit.status == "found" and all(line in unit.text for line in citation.quote.split("\n"))


def evaluate_answers(kb, questions: list[AnswerQuestion], mode: str = "extractive") -> dict:
    """Answer-level metrics of `kb.ask()` over the answers JSONL (rates over answerable questions).

    `kb` needs ask(question, as_of=None, mode=…) -> Answer and clause(node_id) -> ClauseHit | None.
    A citation matches a gold unit by `units_match`; "first" uses the question's `first`, else its gold.
    """
    kb.ask("khởi động", mode=mode)  # load the models and indexes before timing
    return summarize_answers(answer_rows(kb, questions, mode), mode)


def answer_rows(kb, questions: list[AnswerQuestion], mode: str = "extractive") -> list[dict]:
    """One scored row per question (what `summarize_answers` adds up; `kb eval --cv` joins folds)."""
    per = []
    for q in questions:
        t0 = time.perf_counter()
        ans = kb.ask(q.question, as_of=None, mode=mode, **({"previous": q.after} if q.after else {}))
        latency = (time.perf_counter() - t0) * 1000
        cited = [c.citation for c in ans.citations]
        units = [parse_unit(c) for c in cited]
        gold = [parse_unit(g) for g in q.gold]
        first_units = [parse_unit(g) for g in q.first] or gold
        row = {"id": q.id, "kind": q.kind, "question": q.question, "answerable": q.answerable,
               "basis": ans.basis, "gold": q.gold, "first": q.first, "missing": q.missing,
               "missing_documents": list(ans.missing_documents), "citations": [], "failed": [],
               "latency_ms": latency, "rule": ans.why.get("rule", ""), "continues": ans.continues}
        for c, u in zip(ans.citations, units):
            verbatim = quote_is_verbatim(kb, c)
            row["citations"].append({"citation": c.citation, "role": c.role, "node_id": c.node_id,
                                     "verbatim": verbatim, "matches_gold": any(units_match(u, g) for g in gold)})
        if q.answerable:
            row["first_ok"] = bool(units) and any(units_match(units[0], g) for g in first_units)
            row["cited_ok"] = any(units_match(u, g) for u in units for g in gold)
            row["complete_ok"] = all(any(units_match(u, g) for u in units) for g in gold)
            row["failed"] += [k for k in ("first", "cited", "complete") if not row[f"{k}_ok"]]
        row["wrong_found"] = ans.basis == "found" and (not q.answerable or not row["cited_ok"])
        if q.missing:
            row["missing_named"] = _names_document(q.missing, [*ans.missing_documents, _own_words(ans)])
            row["failed"] += [] if row["missing_named"] else ["missing_named"]
        row["failed"] += ["wrong_found"] * row["wrong_found"]
        row["failed"] += ["quote_not_verbatim"] * any(not c["verbatim"] for c in row["citations"])
        per.append(row)
    return per


def summarize_answers(per: list[dict], mode: str = "extractive") -> dict:
    """The answer metrics of scored rows (rates over answerable questions)."""
    basis = {b: {"answerable": 0, "unanswerable": 0} for b in BASIS_VALUES}
    for p in per:
        basis.setdefault(p["basis"], {"answerable": 0, "unanswerable": 0})
        basis[p["basis"]]["answerable" if p["answerable"] else "unanswerable"] += 1
    quotes_checked = sum(len(p["citations"]) for p in per)
    quotes_bad = sum(1 for p in per for c in p["citations"] if not c["verbatim"])
    lat = [p["latency_ms"] for p in per]
    answerable = [p for p in per if p["answerable"]]

    def count(rows, key):
        return _rate(sum(1 for p in rows if p[key]), len(rows))

    by_kind = {}
    for kind in dict.fromkeys(p["kind"] for p in per):
        rows = [p for p in answerable if p["kind"] == kind]
        by_kind[kind] = {"n": sum(1 for p in per if p["kind"] == kind), "first": count(rows, "first_ok"),
                         "cited": count(rows, "cited_ok"), "complete": count(rows, "complete_ok")}
    with_missing = [p for p in per if p["missing"]]
    return {
        "format": "answers",
        "mode": mode,
        "n": len(per),
        "answerable": len(answerable),
        "unanswerable": len(per) - len(answerable),
        "gold_first": count(answerable, "first_ok"),
        "gold_cited": count(answerable, "cited_ok"),
        "complete": {"all": count(answerable, "complete_ok"),
                     **{k: count([p for p in answerable if p["kind"] == k], "complete_ok") for k in COMPLETE_KINDS}},
        "basis": basis,
        "wrong_found": {**_rate(sum(1 for p in per if p["wrong_found"]), len(per)),
                        "answerable": sum(1 for p in answerable if p["wrong_found"]),
                        "unanswerable": sum(1 for p in per if p["wrong_found"] and not p["answerable"])},
        "missing_named": count(with_missing, "missing_named"),
        "quotes": {"checked": quotes_checked, "not_verbatim": quotes_bad},
        "by_kind": by_kind,
        **_latency(lat),
        "per_question": per,
    }


def _fmt_rate(r: dict) -> str:
    return f"{r['hits']}/{r['n']}" + (f" ({r['rate']:.0%})" if r["rate"] is not None else "")


def answer_report_rows(result: dict) -> list[tuple[str, str]]:
    """(Vietnamese label, value) rows of the answer metrics, for `kb eval` and `kb bench qa`."""
    rows = [
        ("Số câu (có căn cứ / không)", f"{result['n']} ({result['answerable']} / {result['unanswerable']})"),
        ("Trích dẫn đầu tiên đúng", _fmt_rate(result["gold_first"])),
        ("Có trích dẫn đúng", _fmt_rate(result["gold_cited"])),
        ("Đủ mọi đơn vị gold", _fmt_rate(result["complete"]["all"])),
        *[(f"Đủ mọi đơn vị gold ({k})", _fmt_rate(result["complete"][k])) for k in COMPLETE_KINDS],
        ("“found” sai", _fmt_rate(result["wrong_found"])
         + f" — có căn cứ {result['wrong_found']['answerable']}, không căn cứ {result['wrong_found']['unanswerable']}"),
        ("Nêu văn bản còn thiếu", _fmt_rate(result["missing_named"])),
        ("Trích dẫn không nguyên văn", f"{result['quotes']['not_verbatim']}/{result['quotes']['checked']}"),
        ("Độ trễ ask() p50 / p95 (ms)", f"{result['latency_ms_p50']} / {result['latency_ms_p95']}"),
    ]
    for kind, k in result["by_kind"].items():
        if k["first"]["n"]:
            rows.append((f"Loại {kind or '—'}: đầu tiên / có", f"{_fmt_rate(k['first'])} / {_fmt_rate(k['cited'])}"))
    return rows


def basis_matrix_rows(result: dict) -> list[tuple[str, int, int]]:
    """(basis, answerable count, unanswerable count) for each basis value."""
    return [(b, c["answerable"], c["unanswerable"]) for b, c in result["basis"].items()]


def answer_report_text(result: dict) -> str:
    rows = answer_report_rows(result)
    width = max(len(label) for label, _ in rows)
    lines = [f"{label:>{width}}: {value}" for label, value in rows]
    lines += ["", f"{'basis':>8} | {'có căn cứ':>9} | {'không căn cứ':>12}"]
    lines += [f"{b:>8} | {a:>9} | {u:>12}" for b, a, u in basis_matrix_rows(result)]
    failed = [f"{p['id']} ({', '.join(p['failed'])})" for p in result["per_question"] if p["failed"]]
    lines += ["", "Câu chưa đạt: " + ("; ".join(failed) if failed else "không có")]
    return "\n".join(lines)
