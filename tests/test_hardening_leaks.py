"""Probes of issue 22, items 5 and 6: legacy encodings converted line by line (and named), and
what leaked: another browser's page state through a copied session_hash, a removed document's
original, server paths in messages, a registry lost beside a full index.

Each `test_probe22_*` reproduces the probe and states it in its docstring ("probe. Expected: …");
tests/write_security_table.py turns them into rows of docs/SECURITY.md. Every document here is
SYNTHETIC text written for these tests (made-up numbers 9xx/2099), never law text; the legacy
files are that text encoded with the project's own tables (ingest.readers.legacy_encoding).
"""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from ingest.model import ReaderError
from ingest.readers import legacy_encoding as le
from ingest.readers.original import read_original_file

# ------------------------------------------------------------------------------ synthetic text

SYNTHETIC_LEGACY = """BỘ THỬ NGHIỆM
Số: 951/2099/TT-BTN
THÔNG TƯ
QUY ĐỊNH MẪU VỀ VĂN BẢN TỔNG HỢP ĐỂ KIỂM THỬ CHUYỂN MÃ TỪNG DÒNG (SYNTHETIC)
Điều 1. Phạm vi của văn bản tổng hợp
1. Văn bản tổng hợp này chỉ dùng để kiểm thử việc chuyển mã tiếng Việt, không phải văn bản pháp luật.
2. Người kiểm thử đọc từng dòng và ghi lại mọi chữ sai dấu.
Điều 2. Trách nhiệm của nhóm kiểm thử
1. Nhóm kiểm thử lập báo cáo về các lỗi chuyển mã và gửi cho bộ phận kỹ thuật trước ngày 15 hằng tháng.
2. Báo cáo được lập thành hai bản, một bản lưu tại nhóm, một bản gửi cán bộ phụ trách."""
# Typed later in Unicode into the same file (the probe's line): only Latin-1 letters in its first
# words, so that a TCVN3 reading of them ("Thụng tin chớnh") is still made of Vietnamese syllables.
UNICODE_LINE = "Thông tin chính thức về văn bản thử nghiệm được cập nhật hằng tuần."
NUMBER = "951/2099/TT-BTN"

# Natural synthetic prose for Windows-1258: many words (là, các, báo, cáo …) hold only letters that
# Latin-1 shares, so the file read as Latin-1 already "reads" as half Vietnamese.
SYNTHETIC_1258 = """BỘ THỬ NGHIỆM
Số: 952/2099/TT-BTN
THÔNG TƯ
QUY ĐỊNH MẪU VỀ BÁO CÁO KIỂM THỬ (VĂN BẢN TỔNG HỢP, SYNTHETIC)
Điều 1. Trách nhiệm của nhóm kiểm thử
1. Nhóm kiểm thử có trách nhiệm lập báo cáo về các lỗi chuyển mã và gửi báo cáo cho bộ phận kỹ thuật trước ngày 15 hằng tháng.
2. Các tệp mẫu phải được lưu trong thư mục chung, có ghi chú “bản thử” và không dùng cho mục đích khác.
Điều 2. Cách ghi sai lệch
1. Khi phát hiện sai lệch, người kiểm thử ghi rõ tên tệp, vị trí dòng và nội dung trước và sau khi chuyển – kèm ảnh chụp màn hình nếu có…
2. Báo cáo được lập thành hai bản, một bản lưu tại nhóm, một bản gửi cán bộ phụ trách."""


def windows_1258(text: str) -> bytes:
    """What Windows writes for "ANSI" on a Vietnamese system: a precomposed letter where cp1258
    has one (à á â é ê ô …), else the base letter and a combining tone mark (cp1258 has no ạ, ố …)."""
    out = []
    for c in unicodedata.normalize("NFC", text):
        try:
            out.append(c.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        d = unicodedata.normalize("NFD", c)
        tones = "".join(m for m in d if m in le._TONE_MARKS)
        base = unicodedata.normalize("NFC", "".join(m for m in d if m not in le._TONE_MARKS))
        out.append((base + tones).encode("cp1258"))
    return b"".join(out)


def clause_texts(doc) -> dict[tuple[str, str], str]:
    return {(u.number, c.number): c.full_text for u in doc.units for c in u.clauses}


def expected_clauses(text: str) -> dict[tuple[str, str], str]:
    from ingest.document_parser import parse_document_lines

    return clause_texts(parse_document_lines(text.splitlines()))


# ------------------------------------------------------------------------------ 5. encodings


def test_probe22_mixed_tcvn3_and_unicode_lines_are_converted_one_by_one(tmp_path):
    """A UTF-8 .txt holding a TCVN3 document (pasted from .VnTime) with one line typed later in Unicode ("3. Thông tin chính thức …").
    Expected: each TCVN3 line is converted, the Unicode line is left exactly as typed (not "Thụng tin chớnh thức"); the preview's warning names TCVN3, says one line was already Unicode, and quotes the converted lines."""
    lines = SYNTHETIC_LEGACY.splitlines()
    lines = lines[:7] + ["3. Người kiểm thử ký tên vào báo cáo.", "4. " + UNICODE_LINE] + lines[7:]
    mixed = [line if UNICODE_LINE in line else le.encode(line, le.TCVN3) for line in lines]
    path = tmp_path / "synthetic_tcvn3_mixed.txt"
    path.write_text("\n".join(mixed), encoding="utf-8")
    doc = read_original_file(path)
    assert doc.number == NUMBER
    got = clause_texts(doc)
    assert got == expected_clauses("\n".join(lines))
    assert got[("1", "4")] == "4. " + UNICODE_LINE  # not "Thụng tin chớnh thức"
    note = doc.warnings[0]
    assert note.startswith("Đã chuyển mã từ TCVN3 sang Unicode") and "1 dòng khác đã là Unicode nên giữ nguyên" in note
    assert "“Điều 1. Phạm vi của văn bản tổng hợp”" in note and "Thông tin chính thức" not in note


def test_probe22_docx_runs_typed_in_unicode_under_a_vntime_style_stay_unicode(tmp_path):
    """A DOCX whose Normal style is .VnTime: TCVN3 paragraphs, and one paragraph typed in Unicode without changing the font.
    Expected: the TCVN3 runs are converted, the Unicode paragraph is kept as typed; the warning says one run was already Unicode and quotes the converted paragraphs."""
    from docx import Document

    doc = Document()
    doc.styles["Normal"].font.name = ".VnTime"
    for line in SYNTHETIC_LEGACY.splitlines():
        doc.add_paragraph(le.encode(line, le.TCVN3))
    doc.add_paragraph("3. " + UNICODE_LINE)
    path = tmp_path / "synthetic_vntime_mixed.docx"
    doc.save(str(path))
    read = read_original_file(path)
    assert read.number == NUMBER
    assert clause_texts(read) == expected_clauses(SYNTHETIC_LEGACY + "\n3. " + UNICODE_LINE)
    note = read.warnings[0]
    assert note.startswith("Đã chuyển mã từ TCVN3 sang Unicode") and "1 đoạn khác đã là Unicode" in note
    assert "“Điều 2. Trách nhiệm của nhóm kiểm thử”" in note


def test_probe22_windows_1258_file_is_detected_and_named(tmp_path):
    """A .txt written by Windows in its Vietnamese "ANSI" code page (Windows-1258: precomposed à á â …, combining marks for the rest), with “quotes”, – and …; a binary file refused.
    Expected: read and converted (cp1258 decoding, NFC), every clause as written, the warning names "Windows-1258"; the refusal of an undecodable file lists Windows-1258 among the encodings tried."""
    path = tmp_path / "synthetic_windows_1258.txt"
    data = windows_1258(SYNTHETIC_1258)
    assert data.decode("latin-1") != SYNTHETIC_1258  # really a legacy file
    path.write_bytes(data)
    doc = read_original_file(path)
    assert doc.number == "952/2099/TT-BTN"
    assert clause_texts(doc) == expected_clauses(SYNTHETIC_1258)
    assert doc.warnings[0].startswith("Đã chuyển mã từ Windows-1258 sang Unicode")
    junk = tmp_path / "synthetic_binaryish.txt"
    junk.write_bytes(bytes(range(0x80, 0x100)) * 4 + b"\n")
    with pytest.raises(ReaderError, match="Windows-1258"):
        read_original_file(junk)
