"""Replacing a document with a new version: the comparison staff see first, the corrections they
made to the first version applied again, and the original file kept for download. In-process over
the fake embedding. Every document here is SYNTHETIC (made-up decree), not law."""
from __future__ import annotations

from pathlib import Path

import pytest

from ingest.store import file_sha256

pytestmark = pytest.mark.registries  # each test through the registry: on SQLite and on PostgreSQL

KEY = "998/2099/NĐ-CP"


def synthetic_decree_lines(version: int = 1, number: str = "998/2099/NĐ-CP", effective: str | None = None) -> list[str]:
    """A made-up decree as a TXT file's lines; version 2 changes Điều 2, drops Điều 3, adds Điều 4."""
    lines = [
        "CHÍNH PHỦ THỬ NGHIỆM",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        f"Số: {number}",
        "Hà Nội, ngày 07 tháng 9 năm 2099",
        "NGHỊ ĐỊNH",
        "VỀ NGÀY THỬ NGHIỆM MẪU",
        "Điều 1. Phạm vi điều chỉnh",
        "Nghị định mẫu này chỉ dùng để kiểm thử, không có giá trị pháp lý.",
        "Điều 2. Tổ chức ngày thử nghiệm",
        "1. Bộ Mẫu chủ trì tổ chức ngày thử nghiệm.",
        "2. Ngày thử nghiệm được tổ chức mỗi năm " + ("một lần." if version == 1 else "hai lần."),
    ]
    if version == 1:
        lines += ["Điều 3. Báo cáo", "Bộ Mẫu báo cáo kết quả hằng năm."]
    else:
        lines += ["Điều 4. Kinh phí", "Kinh phí thử nghiệm do ngân sách mẫu bảo đảm."]
    if effective:
        lines += ["Điều 5. Hiệu lực thi hành", f"Nghị định mẫu này có hiệu lực thi hành kể từ ngày {effective}."]
    return lines


def write_txt(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_compare_file_shows_the_changes_and_stores_nothing(fake_kb, tmp_path):
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    v1 = write_txt(tmp_path / "v1" / "nd998-thu-nghiem.txt", synthetic_decree_lines(1))
    v2 = write_txt(tmp_path / "v2" / "nd998-thu-nghiem-moi.txt", synthetic_decree_lines(2))
    kb = fake_kb(v1)
    generation = kb.store.registry.generation()
    [diff] = kb.compare_file(str(v2))
    assert (diff.old_key, diff.new_key) == (KEY, KEY)
    assert [a.label for a in diff.changed] == ["Điều 2"]
    assert [a.label for a in diff.removed] == ["Điều 3"] and [a.label for a in diff.added] == ["Điều 4"]
    assert ("del", "một") in diff.changed[0].spans and ("ins", "hai") in diff.changed[0].spans
    assert kb.store.registry.generation() == generation  # nothing stored
    assert "một lần" in kb.lookup("khoản 2 Điều 2 Nghị định 998/2099/NĐ-CP").text
    # a new document is compared with nothing; a chosen replacement with a different number is compared with it
    other = write_txt(tmp_path / "nd997.txt", synthetic_decree_lines(2, number="997/2099/NĐ-CP"))
    assert kb.compare_file(str(other)) == []
    [diff] = kb.compare_file(str(other), replace=KEY)
    assert (diff.old_key, diff.new_key) == (KEY, "997/2099/NĐ-CP")
    assert [(f.name, f.old, f.new) for f in diff.fields] == [("number", KEY, "997/2099/NĐ-CP")]


def test_corrections_are_kept_when_the_document_is_replaced(fake_kb, tmp_path):
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    v1 = write_txt(tmp_path / "v1" / "nd998.txt", synthetic_decree_lines(1))
    kb = fake_kb()
    fix = {KEY: {"effective_from": "2099-10-22", "issuer": "Chính phủ thử nghiệm"}}
    assert kb.store.ingest([str(v1)], overrides=fix).documents == 1
    row = kb.store.registry.document(KEY)
    assert (row.effective_from, row.issuer) == ("2099-10-22", "Chính phủ thử nghiệm")
    # version 2 of the same document (another file): the preview and the stored document get them again
    v2 = write_txt(tmp_path / "v2" / "nd998-moi.txt", synthetic_decree_lines(2))
    [p] = kb.preview_file(str(v2))
    assert p["effective_from"] == "2099-10-22" and p["kept_corrections"] == fix[KEY]
    report = kb.store.ingest([str(v2)], replace=[KEY])
    assert report.documents == 1, report.to_dict()
    row = kb.store.registry.document(KEY)
    assert (row.effective_from, row.issuer) == ("2099-10-22", "Chính phủ thử nghiệm")
    assert kb.clause(kb.lookup("khoản 2 Điều 2 Nghị định 998/2099/NĐ-CP").hits[0].node_id).effective_from == "2099-10-22"


def test_a_correction_does_not_override_what_a_new_version_states(fake_kb, tmp_path):
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    v1 = write_txt(tmp_path / "v1" / "nd998.txt", synthetic_decree_lines(1))
    kb = fake_kb()
    kb.store.ingest([str(v1)], overrides={KEY: {"effective_from": "2099-10-22"}})
    v2 = write_txt(tmp_path / "v2" / "nd998.txt", synthetic_decree_lines(2, effective="01 tháng 12 năm 2099"))
    [p] = kb.preview_file(str(v2))
    assert p["effective_from"] == "2099-12-01" and p["kept_corrections"] == {}
    assert any("Không áp dụng lại sửa đổi đã lưu" in w for w in p["warnings"])


def test_a_corrected_number_is_kept_too(fake_kb, tmp_path):
    """The reader got the number wrong (here: the file says 996); staff corrected it to 998. The new
    version says 996 again: it still replaces 998, not a new 996."""
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    v1 = write_txt(tmp_path / "v1" / "nd.txt", synthetic_decree_lines(1, number="996/2099/NĐ-CP"))
    kb = fake_kb()
    kb.store.ingest([str(v1)], overrides={"996/2099/NĐ-CP": {"number": KEY}})
    assert {d.key for d in kb.documents() if d.ready} >= {KEY}
    v2 = write_txt(tmp_path / "v2" / "nd.txt", synthetic_decree_lines(2, number="996/2099/NĐ-CP"))
    [p] = kb.preview_file(str(v2))
    assert p["key"] == KEY and p["kept_corrections"] == {"number": KEY}
    [diff] = kb.compare_file(str(v2))
    assert diff.old_key == KEY and [a.label for a in diff.changed] == ["Điều 2"]


def test_the_original_file_is_kept_byte_for_byte(fake_kb, tmp_path):
    v1 = write_txt(tmp_path / "nd998.txt", synthetic_decree_lines(1))
    sha = file_sha256(str(v1))
    kb = fake_kb(v1)
    v1.write_text("tệp đã bị sửa sau khi nạp", encoding="utf-8")  # the source changes afterwards
    original = kb.original_file(KEY)
    assert original is not None and original.name == "nd998.txt"
    assert file_sha256(original.path) == sha and original.size == Path(original.path).stat().st_size
    assert kb.original_file("không-có") is None


def test_a_phapdien_document_has_no_single_original(fake_kb, tmp_path):
    from test_ingest_store import write_synthetic

    kb = fake_kb(write_synthetic(tmp_path / "synthetic_demuc.html"))
    assert kb.original_file("999/2099/NĐ-CP") is None
