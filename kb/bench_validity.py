"""`kb bench validity`: how many documents and articles have a known hiệu lực, and from which source.

Reads the Pháp điển files with the reader the ingest uses (no store is built: the whole-Pháp-điển
ingest is measured by `kb bench ingest`) and decides each status with qa.validity.status_of over the
facts the product would hold after ingesting them (qa.validity_facts.doc_facts: the file, the
catalogue corpus/catalog.toml, the Pháp điển notes as relations; no staff setting yet). A status is
"known" unless it is "không rõ"; each "không rõ" is counted by its reason, so the biggest cause shows.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from pathlib import Path

from core.vocab import VALIDITY_LABELS, VALIDITY_SOURCES
from ingest.amendments import phapdien_amendments
from ingest.catalog import Catalog, load_catalog
from ingest.identity import citation_string, document_name
from ingest.readers.phapdien import is_empty_demuc, read_phapdien_file
from kb.bench_common import DEMUC_32_1, PHAPDIEN_DIR
from qa.validity import VALUES, UnitFacts, status_of, until_of
from qa.validity_facts import doc_facts

ORDER = ("in_force", "partly_expired", "expired", "suspended", "not_yet", "unknown")
assert set(ORDER) == set(VALUES)


def count_files(paths: list[Path], catalog: Catalog, as_of: str) -> dict:
    """Statuses on `as_of` of every document (one per đề mục file it appears in) and article of `paths`."""
    docs, units = Counter(), Counter()
    sources, unknown_why, out, empty_out, until = Counter(), Counter(), [], 0, []
    keys, files, empty, no_snapshot, no_effective = set(), 0, 0, 0, 0
    for path in paths:
        files += 1
        if is_empty_demuc(path.read_text(encoding="utf-8-sig")):
            empty += 1  # a heading, no article: skipped by the ingest ("đề mục trống"), never a document
            continue
        read = read_phapdien_file(str(path))
        for d in read:
            facts = doc_facts(d.key, d, catalog.entry(d.key))
            relations = phapdien_amendments(d)
            keys.add(d.key)
            no_snapshot += not d.snapshot_on
            no_effective += not d.effective_from
            st = status_of(facts, None, as_of, relations, today=as_of)
            docs[st.value] += 1
            sources[("document", st.source)] += 1
            if st.value == "unknown":
                unknown_why[st.reason] += 1
            for u in d.units:
                label = citation_string(facts.name, "dieu", u.number)
                unit = UnitFacts(u.number, label=label, effective_from=u.effective_from, note=u.amendment_note)
                ust = status_of(facts, unit, as_of, relations, today=as_of)
                units[ust.value] += 1
                sources[("article", ust.source)] += 1
                if ust.value == "unknown":
                    unknown_why[ust.reason] += 1
                if ust.value in ("expired", "suspended"):
                    out.append(label)
                    empty_out += not u.full_text.strip()  # the Pháp điển keeps a repealed article as a heading
                if until_of(u.amendment_note):
                    until.append(f"{label} (đến {until_of(u.amendment_note)})")
    return {"files": files, "empty_files": empty, "documents": sum(docs.values()), "distinct_documents": len(keys),
            "articles": sum(units.values()), "doc_status": dict(docs), "article_status": dict(units),
            "sources": {f"{k}:{s}": n for (k, s), n in sources.items()}, "unknown_reasons": dict(unknown_why),
            "without_snapshot": no_snapshot, "without_effective_date": no_effective, "out_of_force": out,
            "out_of_force_without_text": empty_out, "with_end_date": until}


def run_validity_bench(bench_section, catalog_path: Path, as_of: str | None = None) -> str:
    as_of = as_of or dt.date.today().isoformat()
    catalog = load_catalog(catalog_path)
    rows = []
    for name, paths in (("đề mục 32.1", [DEMUC_32_1]), ("toàn bộ Bộ pháp điển", sorted(PHAPDIEN_DIR.glob("*.html")))):
        t0 = time.perf_counter()
        row = {"corpus": name, **count_files(paths, catalog, as_of), "seconds": round(time.perf_counter() - t0, 1)}
        print(json.dumps({k: v for k, v in row.items() if k not in ("with_end_date", "out_of_force")}, ensure_ascii=False),
              flush=True)
        rows.append(row)
    return bench_section("Validity coverage", "kb bench validity", validity_table(rows, as_of))


def _cells(counts: dict, total: int) -> str:
    return " | ".join(f"{counts.get(v, 0)} ({100 * counts.get(v, 0) / total:.1f} %)" if total else "0" for v in ORDER)


def validity_table(rows: list[dict], as_of: str) -> str:
    day = dt.date.fromisoformat(as_of).strftime("%d/%m/%Y")
    head = ("| corpus | level | total | " + " | ".join(VALIDITY_LABELS[v] for v in ORDER) + " |\n|---|---|---|"
            + "---|" * len(ORDER) + "\n")
    lines = []
    for r in rows:
        lines.append(f"| {r['corpus']} | văn bản | {r['documents']} | {_cells(r['doc_status'], r['documents'])} |")
        lines.append(f"| {r['corpus']} | điều | {r['articles']} | {_cells(r['article_status'], r['articles'])} |")
    notes = [f"Status on {day} (today when run), decided by `qa.validity.status_of` over what the product holds after "
             "ingesting the files (the file, `corpus/catalog.toml`, the Pháp điển notes as relations; no staff setting)."]
    for r in rows:
        src = ", ".join(f"{VALIDITY_SOURCES.get(k.split(':')[1], k)} ({k.split(':')[0]}) {n}"
                        for k, n in sorted(r["sources"].items(), key=lambda kv: -kv[1]))
        unknown = sum(r["unknown_reasons"].values())
        why = "; ".join(f"{n} × “{reason}”" for reason, n in Counter(r["unknown_reasons"]).most_common(3))
        out, until = r["out_of_force"], r["with_end_date"]
        notes.append(
            f"- {r['corpus']}: {r['files']} files ({r['empty_files']} empty đề mục, not documents), {r['documents']} "
            f"documents ({r['distinct_documents']} distinct numbers: a text codified under several đề mục counts once "
            f"per đề mục), {r['articles']} articles, read in {r['seconds']} s. Sources: {src}. Without a snapshot date: "
            f"{r['without_snapshot']} documents; without an effective date: {r['without_effective_date']}. "
            + (f"Không rõ: {unknown} — {why}. " if unknown else "Không rõ: 0. ")
            + f"Articles expired or suspended today: {len(out)}"
            + (f", {r['out_of_force_without_text']} of them a heading without text (“(được bãi bỏ)”) "
               f"({', '.join(out[:3])}{', …' if len(out) > 3 else ''})" if out else "")
            + f". Articles whose Pháp điển note gives an end date: {len(until)}"
            + (f" ({', '.join(until[:3])}{', …' if len(until) > 3 else ''})." if until else "."))
    return head + "\n".join(lines) + "\n\n" + "\n".join(notes)
