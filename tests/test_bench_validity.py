"""`kb bench validity` counts what qa.validity decides: a SYNTHETIC Pháp điển đề mục (tests/test_validity_asof.py)
whose Điều 2 is given an end date in its note, and an empty đề mục, counted on three dates."""
from __future__ import annotations

from ingest.catalog import Catalog
from kb.bench_validity import count_files, validity_table
from test_validity_asof import SYNTHETIC_DEMUC

ENDED = SYNTHETIC_DEMUC.replace("(Điều 2 Nghị định số 997/2097/NĐ-CP, có hiệu lực thi hành kể từ ngày 01/03/2097)",
                                "(Điều 2 Nghị định số 997/2097/NĐ-CP, có hiệu lực thi hành kể từ ngày 01/03/2097, "
                                "có hiệu lực thi hành đến hết ngày 31/12/2099.)")
EMPTY = "<h3>Đề mục 99.8<br />Thử nghiệm tổng hợp (loại bỏ)</h3><div class='_content'></div>"


def test_counts_by_status_and_source_on_a_date(tmp_path):
    assert ENDED != SYNTHETIC_DEMUC
    demuc, empty = tmp_path / "synthetic_demuc_99_9.html", tmp_path / "synthetic_demuc_99_8.html"
    demuc.write_text(ENDED, encoding="utf-8")
    empty.write_text(EMPTY, encoding="utf-8")
    early, mid, late = (count_files([demuc, empty], Catalog(), day) for day in ("2097-01-01", "2099-06-01", "2100-01-01"))
    assert (mid["files"], mid["empty_files"], mid["documents"], mid["articles"]) == (2, 1, 1, 2)
    assert early["article_status"] == {"not_yet": 2} and early["sources"]["article:dates"] == 2
    assert mid["article_status"] == {"in_force": 2} and mid["doc_status"] == {"in_force": 1}
    assert late["article_status"] == {"in_force": 1, "expired": 1}
    assert late["out_of_force"] == ["Điều 2 Nghị định 997/2097/NĐ-CP"]
    assert mid["with_end_date"] == ["Điều 2 Nghị định 997/2097/NĐ-CP (đến 2099-12-31)"]
    assert mid["unknown_reasons"] == {}
    late.update(corpus="synthetic", seconds=0.0)
    table = validity_table([late], "2100-01-01")
    assert "| synthetic | điều | 2 | 1 (50.0 %) | 0 (0.0 %) | 1 (50.0 %) |" in table and "01/01/2100" in table
