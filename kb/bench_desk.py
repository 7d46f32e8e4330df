"""`kb bench desk-basis`: the basis check (qa.desk.basis_check) against kb/data/basis_check_gold.jsonl.

Each gold line names a SYNTHETIC draft in kb/data/desk/, the date it is checked on (none: the draft's
own), the passage, the citation as written and the expected verdict (and, where given, whether its form
is right, and words its reasons must hold: the amending or repealing provision, the date). The drafts
cite real documents of đề mục 32.1, so the check runs on a home holding it (`kb bench qa` builds
.kb-bench/qa-32.1; `kb --home …` chooses another). Every case must be right.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from kb.bench_common import BENCH_HOME

DATA = Path(__file__).parent / "data"
GOLD = DATA / "basis_check_gold.jsonl"
DRAFTS = DATA / "desk"


def load_gold(path: Path = GOLD) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _said(c) -> str:
    return " ".join([*c.reasons, *c.amended_by, *c.replaced_by, c.suggested, *c.form_issues])


def score_gold(kb, gold: list[dict], drafts: Path = DRAFTS) -> tuple[list[dict], dict[str, float]]:
    """One row per gold case (found, verdict, form and words as expected), and seconds per draft."""
    from qa.desk.draft import read_draft_file

    reports, seconds = {}, {}
    for g in gold:
        key = (g["draft"], g.get("date"))
        if key not in reports:
            draft = read_draft_file(str(drafts / g["draft"]), kb.settings.desk_max_chars)
            t0 = time.perf_counter()
            reports[key] = kb.check_basis(draft, as_of=g.get("date"))
            seconds[g["draft"] + (f" @ {g['date']}" if g.get("date") else "")] = time.perf_counter() - t0
    rows = []
    for g in gold:
        report = reports[(g["draft"], g.get("date"))]
        found = [c for p in report.passages if p.label == g["passage"] for c in p.citations if c.written == g["written"]]
        c = found[0] if len(found) == 1 else None
        row = {"id": g["id"], "expected": g["verdict"], "got": c.verdict if c else ("—" if not found else "several"),
               "form_expected": g.get("form", ""), "form_got": c.form if c else ""}
        row["verdict_ok"] = bool(c) and c.verdict == g["verdict"]
        row["form_ok"] = "form" not in g or (bool(c) and c.form == g["form"])
        row["words_ok"] = bool(c) and all(w in _said(c) for w in g.get("contains", []))
        row["ok"] = row["verdict_ok"] and row["form_ok"] and row["words_ok"]
        rows.append(row)
    return rows, seconds


def desk_table(rows: list[dict], seconds: dict[str, float]) -> str:
    by: dict[str, list[dict]] = {}
    for r in rows:
        by.setdefault(r["expected"], []).append(r)
    lines = ["| expected verdict | cases | verdict right | form right (where given) | reasons name the source |",
             "|---|---|---|---|---|"]
    for verdict, rs in by.items():
        forms = [r for r in rs if r["form_expected"]]
        lines.append(f"| {verdict} | {len(rs)} | {sum(r['verdict_ok'] for r in rs)} | "
                     f"{sum(r['form_ok'] for r in forms)}/{len(forms)} | {sum(r['words_ok'] for r in rs)} |")
    right = sum(r["ok"] for r in rows)
    lines.append(f"| **all** | {len(rows)} | {sum(r['verdict_ok'] for r in rows)} | "
                 f"{sum(r['form_ok'] for r in rows if r['form_expected'])}/{sum(bool(r['form_expected']) for r in rows)} | "
                 f"{sum(r['words_ok'] for r in rows)} |")
    wrong = [r for r in rows if not r["ok"]]
    out = "\n".join(lines) + f"\n\n{right}/{len(rows)} cases right."
    if wrong:
        out += "\n\nWrong: " + "; ".join(f"{r['id']} expected {r['expected']}/{r['form_expected'] or '-'}, "
                                         f"got {r['got']}/{r['form_got'] or '-'}" for r in wrong)
    out += "\n\nSeconds per draft (one check, all its citations): " + ", ".join(
        f"{name} {s:.2f}" for name, s in seconds.items())
    return out


def run_desk_basis_bench(bench_section, home: str | None) -> tuple[str, bool]:
    """The section text, and whether every case was right."""
    from core.backends import make_backends
    from core.settings import load_settings
    from qa.service import KnowledgeBase

    path = Path(home) if home else BENCH_HOME / "qa-32.1"
    if not (path / "registry.sqlite3").is_file():
        raise SystemExit(f"Không thấy cơ sở dữ liệu ở {path}: chạy `kb bench qa` (tạo .kb-bench/qa-32.1) hoặc "
                         "chọn một thư mục có đề mục 32.1 bằng `kb --home THƯ_MỤC bench desk-basis`.")
    settings = load_settings(home=str(path))
    kb = KnowledgeBase(settings, make_backends(settings))
    gold = load_gold()
    rows, seconds = score_gold(kb, gold)
    body = (f"{len(gold)} citation forms in {len({g['draft'] for g in gold})} synthetic drafts "
            f"(`kb/data/basis_check_gold.jsonl`, drafts in `kb/data/desk/`) citing real documents of đề mục 32.1; "
            f"home `{path.name}`.\n\n" + desk_table(rows, seconds))
    return bench_section("Desk: basis check", "kb bench desk-basis", body), all(r["ok"] for r in rows)
