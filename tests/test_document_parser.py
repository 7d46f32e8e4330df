"""Table-driven tests of ingest.document_parser: one case per structural feature.

All inputs are SYNTHETIC (numbers like 999/2099, made-up agencies and content), not law text.
Each case is (lines, expected) where expected maps an attribute path of the parsed
LegalDocument ("units.1.clauses.0.text", "units.#" for a length) to its value.
"""
from __future__ import annotations

import pytest

from ingest.document_parser import parse_document_lines

# A minimal header + preamble that cases can prepend when they test the body.
DECREE_HEAD = [
    "CHÍNH PHỦ",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Số: 999/2099/NĐ-CP",
    "Hà Nội, ngày 07 tháng 9 năm 2099",
    "NGHỊ ĐỊNH",
    "VỀ THỬ NGHIỆM MẪU",
    "Căn cứ Luật Thử nghiệm mẫu ngày 01 tháng 01 năm 2098;",
]
LETTER_HEAD = [
    "BỘ THỬ NGHIỆM",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Số: 9999/BTN-TNM",
    "Hà Nội, ngày 16 tháng 9 năm 2099",
    "V/v hướng dẫn thử nghiệm mẫu",
    "Kính gửi:",
    "- Các đơn vị thử nghiệm.",
]


def get(obj, path: str):
    """Follow "units.1.clauses.0.text"; a final "#" gives the length."""
    for part in path.split("."):
        if part == "#":
            return len(obj)
        obj = obj[int(part)] if part.lstrip("-").isdigit() else getattr(obj, part)
    return obj


CASES = [
    # motto: the national motto (here merged with the issuer, as a PDF extracts two columns) is
    # header, not issuer text and not body
    pytest.param(
        ["CHÍNH PHỦ CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", *DECREE_HEAD[3:],
         "Điều 1. Phạm vi", "Nội dung thử nghiệm."],
        {"issuer": "Chính phủ", "number": "999/2099/NĐ-CP", "units.#": 1, "units.0.number": "1"},
        id="motto-merged-with-issuer",
    ),
    # motto: the Party's motto; the issuer is the left column ("BAN CHẤP HÀNH TRUNG ƯƠNG", "*")
    pytest.param(
        ["BAN CHẤP HÀNH TRUNG ƯƠNG", "*", "ĐẢNG CỘNG SẢN VIỆT NAM", "Số 999-NQ/TW", "Hà Nội, ngày 1 tháng 2 năm 2099",
         "NGHỊ QUYẾT", "VỀ THỬ NGHIỆM MẪU", "I. MỤC TIÊU", "1. Thử nghiệm đủ các dạng tệp."],
        {"issuer": "Ban Chấp hành Trung ương", "doc_type": "Nghị quyết", "title": "Về thử nghiệm mẫu",
         "units.0.number": "I"},
        id="party-motto",
    ),
    # issuer: a ministry name wrapped over two lines after "VÀ" is joined and normalised
    pytest.param(
        ["BỘ THÔNG TIN VÀ", "TRUYỀN THÔNG", *LETTER_HEAD[1:], "(1) Việc thứ nhất."],
        {"issuer": "Bộ Thông tin và Truyền thông"},
        id="issuer-wrapped",
    ),
    # issuer: of two upper-case bodies the lower one issues (the upper one is its parent)
    pytest.param(
        ["BỘ THỬ NGHIỆM", "CỤC MẪU", *LETTER_HEAD[1:], "(1) Việc thứ nhất."],
        {"issuer": "CỤC MẪU"},
        id="issuer-parent-body",
    ),
    # issuer: named by the type line "KẾT LUẬN CỦA BỘ CHÍNH TRỊ"
    pytest.param(
        ["ĐẢNG CỘNG SẢN VIỆT NAM", "Số 999-KL/TW", "KẾT LUẬN CỦA BỘ CHÍNH TRỊ", "về thử nghiệm mẫu",
         "I. KẾT QUẢ", "1. Đã thử nghiệm."],
        {"issuer": "Bộ Chính trị", "doc_type": "Kết luận", "title": "Về thử nghiệm mẫu"},
        id="issuer-from-type-line",
    ),
    # number: "Số: …" with a colon, "Số …" without, and a Luật's "Luật số: …"
    pytest.param([*DECREE_HEAD, "Điều 1. A", "B."], {"number": "999/2099/NĐ-CP", "doc_type": "Nghị định"},
                 id="number-colon"),
    pytest.param(["ĐẢNG CỘNG SẢN VIỆT NAM", "Số 999-KL/TW", "I. A", "1. B."], {"number": "999-KL/TW",
                 "doc_type": "Kết luận"}, id="number-no-colon-kl"),
    pytest.param(["QUỐC HỘI", "Luật số: 99/2099/QH99", "LUẬT", "THỬ NGHIỆM MẪU", "Điều 1. A", "B."],
                 {"number": "99/2099/QH99", "doc_type": "Luật", "title": "Thử nghiệm mẫu", "issuer": "Quốc hội"},
                 id="number-luat"),
    # place and date, also when a PDF merged them with the number line
    pytest.param([*DECREE_HEAD, "Điều 1. A", "B."], {"place": "Hà Nội", "issued_on": "2099-09-07"}, id="place-date"),
    pytest.param(["CHÍNH PHỦ", "Số: 999/2099/NĐ-CP TP. Hồ Chí Minh, ngày 1 tháng 12 năm 2099", "NGHỊ ĐỊNH",
                  "VỀ MẪU", "Điều 1. A", "B."],
                 {"place": "TP. Hồ Chí Minh", "issued_on": "2099-12-01", "number": "999/2099/NĐ-CP"},
                 id="place-date-merged-with-number"),
    # type + title: upper-case title put in sentence case, proper nouns kept
    pytest.param(["CHÍNH PHỦ", "Số: 999/2099/NĐ-CP", "NGHỊ ĐỊNH", "VỀ THỬ NGHIỆM THÔNG TIN VỚI CHÍNH PHỦ VIỆT NAM",
                  "Điều 1. A", "B."],
                 {"doc_type": "Nghị định", "title": "Về thử nghiệm thông tin với Chính phủ Việt Nam"}, id="type-title"),
    # type + title: Công văn from its number pattern, title from the "V/v" subject line
    pytest.param([*LETTER_HEAD, "(1) Việc thứ nhất."],
                 {"doc_type": "Công văn", "title": "Hướng dẫn thử nghiệm mẫu", "number": "9999/BTN-TNM"},
                 id="cong-van-type-and-subject"),
    # type from number: Nghị quyết of the Government, Thông tư with a type line
    pytest.param(["CHÍNH PHỦ", "Số: 99/NQ-CP", "I. A", "1. B."], {"doc_type": "Nghị quyết"}, id="type-nq-cp"),
    pytest.param(["BỘ THỬ NGHIỆM", "Số: 99/2099/TT-BTN", "THÔNG TƯ", "Hướng dẫn thử nghiệm", "Điều 1. A", "B."],
                 {"doc_type": "Thông tư", "title": "Hướng dẫn thử nghiệm"}, id="type-thong-tu"),
    # Quyết định: the authority line above "Căn cứ" is preamble, not part of the title
    pytest.param(["BỘ THỬ NGHIỆM", "Số: 99/QĐ-BTN", "QUYẾT ĐỊNH", "Về việc ban hành Quy chế mẫu",
                  "BỘ TRƯỞNG BỘ THỬ NGHIỆM", "Căn cứ Nghị định mẫu;", "QUYẾT ĐỊNH:", "Điều 1. A", "B."],
                 {"title": "Về việc ban hành Quy chế mẫu", "doc_type": "Quyết định",
                  "preamble": "BỘ TRƯỞNG BỘ THỬ NGHIỆM\nCăn cứ Nghị định mẫu;\nQUYẾT ĐỊNH:"},
                 id="quyet-dinh-authority-line"),
    # Căn cứ preamble, "Theo đề nghị" and the enacting formula; none of it becomes a unit
    pytest.param([*DECREE_HEAD, "Căn cứ Luật Mẫu khác;", "Theo đề nghị của Bộ trưởng Bộ Thử nghiệm;",
                  "Chính phủ ban hành Nghị định về thử nghiệm mẫu.", "Điều 1. A", "B."],
                 {"preamble": "Căn cứ Luật Thử nghiệm mẫu ngày 01 tháng 01 năm 2098;\nCăn cứ Luật Mẫu khác;\n"
                              "Theo đề nghị của Bộ trưởng Bộ Thử nghiệm;\n"
                              "Chính phủ ban hành Nghị định về thử nghiệm mẫu.",
                  "units.#": 1},
                 id="preamble"),
    # Phần with its title on the next line
    pytest.param([*DECREE_HEAD, "Phần thứ nhất", "NHỮNG QUY ĐỊNH CHUNG", "Điều 1. A", "B."],
                 {"units.0.part": "Phần thứ nhất. NHỮNG QUY ĐỊNH CHUNG"}, id="phan"),
    # Chương: title on the next line, upper-case inline form, and Mục reset by a new Chương
    pytest.param([*DECREE_HEAD, "Chương I", "QUY ĐỊNH CHUNG", "Mục 1. MỤC MẪU", "Điều 1. A", "B.",
                  "CHƯƠNG II. THÔNG TIN MẪU", "Điều 2. C", "D."],
                 {"units.0.chapter": "Chương I. QUY ĐỊNH CHUNG", "units.0.section": "Mục 1. MỤC MẪU",
                  "units.1.chapter": "Chương II. THÔNG TIN MẪU", "units.1.section": ""},
                 id="chuong-and-muc"),
    # a sentence starting "Chương II của …" is text, not a heading
    pytest.param([*DECREE_HEAD, "Điều 1. A", "Chương II của Luật mẫu được áp dụng.", "Điều 2. C", "D."],
                 {"units.0.intro": "Chương II của Luật mẫu được áp dụng.", "units.1.chapter": ""},
                 id="chuong-in-sentence"),
    # Điều heading variants: "Điều 7 :", upper-case "ĐIỀU 8.", title on the next line, "Điều 9a"
    pytest.param([*DECREE_HEAD, "Điều 7 : Cung cấp thông tin mẫu", "Nội dung.", "ĐIỀU 8. PHẠM VI MẪU", "Nội dung.",
                  "Điều 9", "Đối tượng áp dụng", "Nội dung.", "Điều 9a. Điều bổ sung", "Nội dung."],
                 {"units.0.number": "7", "units.0.title": "Cung cấp thông tin mẫu", "units.1.number": "8",
                  "units.1.title": "PHẠM VI MẪU", "units.2.title": "Đối tượng áp dụng", "units.2.intro": "Nội dung.",
                  "units.3.number": "9a"},
                 id="dieu-variants"),
    # "Điều 5 của …" at the start of a line is a sentence, not a heading
    pytest.param([*DECREE_HEAD, "Điều 1. A", "1. Theo quy định tại", "Điều 5 của Nghị định mẫu."],
                 {"units.#": 1, "units.0.clauses.0.text": "1. Theo quy định tại\nĐiều 5 của Nghị định mẫu."},
                 id="dieu-in-sentence"),
    # khoản: verbatim text with the marker, continuation lines kept in the clause
    pytest.param([*DECREE_HEAD, "Điều 1. A", "Mở đầu điều.", "1. Khoản một;", "tiếp theo khoản một.", "2. Khoản hai."],
                 {"units.0.intro": "Mở đầu điều.", "units.0.clauses.0.text": "1. Khoản một;\ntiếp theo khoản một.",
                  "units.0.clauses.1.number": "2", "units.0.clauses.1.text": "2. Khoản hai."},
                 id="khoan"),
    # điểm a) … đ) … e): đ comes after d
    pytest.param([*DECREE_HEAD, "Điều 1. A", "1. Gồm:", "a) một;", "b) hai;", "c) ba;", "d) bốn;", "đ) năm;", "e) sáu."],
                 {"units.0.clauses.0.points.#": 6, "units.0.clauses.0.points.4.label": "đ",
                  "units.0.clauses.0.points.4.text": "đ) năm;", "units.0.clauses.0.points.5.label": "e"},
                 id="diem-with-dd"),
    # sequence: a "2." inside khoản 3 (a quoted list) and a date "1. 1. 2099" are not new khoản
    pytest.param([*DECREE_HEAD, "Điều 1. A", "1. Một.", "2. Hai.", "3. Sửa đổi như sau:", "1. Nội dung trích dẫn.",
                  "2. Nội dung trích dẫn tiếp.", "4. Bốn, từ 1. 1. 2099."],
                 {"units.0.clauses.#": 4,
                  "units.0.clauses.2.text": "3. Sửa đổi như sau:\n1. Nội dung trích dẫn.\n2. Nội dung trích dẫn tiếp.",
                  "units.0.clauses.3.text": "4. Bốn, từ 1. 1. 2099.", "warnings": []},
                 id="khoan-sequence"),
    # Công văn: (1)/(2) sections become units, "-" bullets continue their section, intro is "Mở đầu"
    pytest.param([*LETTER_HEAD, "Thực hiện kế hoạch mẫu, Bộ Thử nghiệm đề nghị các đơn vị làm như sau:",
                  "(1) Chuẩn bị dữ liệu mẫu, với trọng tâm:", "- Một tệp cho mỗi định dạng", "- Kiểm tra dấu.",
                  "(2) Chạy thử trình đọc."],
                 {"units.#": 3, "units.0.title": "Mở đầu", "units.0.number": "",
                  "units.1.number": "(1)", "units.1.kind": "section", "units.1.title": "Chuẩn bị dữ liệu mẫu, với trọng tâm",
                  "units.1.intro": "(1) Chuẩn bị dữ liệu mẫu, với trọng tâm:\n- Một tệp cho mỗi định dạng\n- Kiểm tra dấu.",
                  "units.2.number": "(2)"},
                 id="cong-van-paren-sections"),
    # Công văn numbered "1." with "a)" below: units, then clauses
    pytest.param([*LETTER_HEAD, "1. Về dữ liệu", "a) Chuẩn bị tệp mẫu.", "b) Kiểm tra tệp mẫu.", "2. Về báo cáo",
                  "a) Gửi báo cáo."],
                 {"units.#": 2, "units.0.number": "1", "units.0.title": "Về dữ liệu", "units.0.clauses.1.number": "b",
                  "units.1.clauses.0.text": "a) Gửi báo cáo."},
                 id="cong-van-arabic-sections"),
    # Kết luận: I. -> units, 1. -> clauses (restarting in each unit), a) -> points
    pytest.param(["ĐẢNG CỘNG SẢN VIỆT NAM", "Số 999-KL/TW", "I. TÌNH HÌNH", "1. Kết quả:", "a) Một;", "b) Hai.",
                  "2. Hạn chế.", "II. NHIỆM VỤ", "1. Tiếp tục.", "- Gạch đầu dòng."],
                 {"units.0.number": "I", "units.0.title": "TÌNH HÌNH", "units.0.intro": "",
                  "units.0.clauses.0.points.1.text": "b) Hai.", "units.1.number": "II",
                  "units.1.clauses.0.text": "1. Tiếp tục.\n- Gạch đầu dòng."},
                 id="ket-luan-sections"),
    # signature: "./." ends the body; names and titles after it are signature, not the last clause
    pytest.param([*DECREE_HEAD, "Điều 1. A", "1. Khoản cuối./.", "THỦ TƯỚNG", "Nguyễn Văn Mẫu"],
                 {"units.0.clauses.0.text": "1. Khoản cuối./.", "signature": "THỦ TƯỚNG\nNguyễn Văn Mẫu"},
                 id="signature-after-end-mark"),
    pytest.param([*LETTER_HEAD, "(1) Việc một.", "(2) Việc hai.", "Nơi nhận:", "- Như trên;", "KT. BỘ TRƯỞNG",
                  "THỨ TRƯỞNG", "Trần Thị Mẫu"],
                 {"units.1.intro": "(2) Việc hai.", "signature": "Nơi nhận:\n- Như trên;\nKT. BỘ TRƯỞNG\nTHỨ TRƯỞNG\nTrần Thị Mẫu"},
                 id="signature-noi-nhan"),
    # signature in the middle: a Quyết định signs, then attaches a Quy chế with its own Chương
    pytest.param([*DECREE_HEAD, "Điều 1. Ban hành quy chế mẫu.", "Điều 2. Hiệu lực.", "TM. CHÍNH PHỦ", "THỦ TƯỚNG",
                  "Chương I", "QUY CHẾ MẪU", "Điều 1. Phạm vi", "Nội dung."],
                 {"units.#": 3, "units.1.intro": "", "signature": "TM. CHÍNH PHỦ\nTHỦ TƯỚNG",
                  "units.2.chapter": "Chương I. QUY CHẾ MẪU"},
                 id="signature-before-attachment"),
    # effective date: "dd tháng mm năm yyyy", "dd/mm/yyyy", and "kể từ ngày ký" (= issued date)
    pytest.param([*DECREE_HEAD, "Điều 1. Hiệu lực", "Nghị định này có hiệu lực thi hành kể từ ngày 22 tháng 10 năm 2099."],
                 {"effective_from": "2099-10-22"}, id="effective-words"),
    pytest.param([*DECREE_HEAD, "Điều 1. Hiệu lực", "Văn bản mẫu khác có hiệu lực từ ngày 01/01/2000.",
                  "Nghị định này có hiệu lực từ ngày 15/11/2099."],
                 {"effective_from": "2099-11-15"}, id="effective-slashes-prefers-own"),
    pytest.param([*DECREE_HEAD, "Điều 1. Hiệu lực", "Nghị định này có hiệu lực thi hành kể từ ngày ký."],
                 {"effective_from": "2099-09-07"}, id="effective-on-signing"),
    # Mở đầu only for substantive text: a decree's header and preamble never make one
    pytest.param([*DECREE_HEAD, "Điều 1. A", "B."], {"units.0.number": "1", "units.#": 1}, id="no-mo-dau"),
    # an excerpt starting at "Điều 1": no header, and the heading is not taken for a headline
    pytest.param(["Điều 1. Phạm vi", "Nội dung mẫu."], {"title": "", "units.0.number": "1", "units.0.title": "Phạm vi"},
                 id="excerpt-without-header"),
    # a web article: its headline is the title, bylines are dropped, the first sentences are "Mở đầu"
    pytest.param(["Hướng dẫn thử nghiệm mẫu năm 2099", "Tham vấn bởi Chuyên viên Mẫu", "01/01/2099 10:00 AM",
                  "Hướng dẫn thử nghiệm mẫu năm 2099",
                  "Tại văn bản mẫu, cơ quan thử nghiệm hướng dẫn các đơn vị một số nhiệm vụ sau:",
                  "(1) Nhiệm vụ một.", "(2) Nhiệm vụ hai."],
                 {"title": "Hướng dẫn thử nghiệm mẫu năm 2099", "units.#": 3,
                  "units.0.intro": "Tại văn bản mẫu, cơ quan thử nghiệm hướng dẫn các đơn vị một số nhiệm vụ sau:"},
                 id="web-article-headline"),
    # stray lines above the header (a note, a site caption) are skipped with a warning
    pytest.param(["# ghi chú của người nhập liệu, không thuộc văn bản", "Trang lưu trữ văn bản", *DECREE_HEAD,
                  "Điều 1. A", "B."],
                 {"number": "999/2099/NĐ-CP", "issuer": "Chính phủ", "units.#": 1,
                  "warnings": ["Bỏ qua 2 dòng đứng trước phần đầu văn bản (không phải nội dung): "
                               "“# ghi chú của người nhập liệu, không thuộc văn bản” …"]},
                 id="lines-before-header"),
    # warnings: no number
    pytest.param(["NGHỊ ĐỊNH", "VỀ MẪU", "Điều 1. A", "B."],
                 {"warnings": ["Không tìm thấy số hiệu văn bản (dòng “Số: …”) — cần kiểm tra, nhập tay nếu cần"]},
                 id="warn-no-number"),
    # warnings: article numbers out of sequence and duplicated
    pytest.param([*DECREE_HEAD, "Điều 1. A", "B.", "Điều 3. C", "D.", "Điều 3. E", "F."],
                 {"warnings": ["Số điều không liên tục: Điều 3 đứng sau Điều 1", "Điều 3 xuất hiện hai lần — cần kiểm tra"]},
                 id="warn-article-sequence"),
    # warnings: a khoản gap ("4." after "2.") is kept in khoản 2 and reported
    pytest.param([*DECREE_HEAD, "Điều 1. A", "1. Một.", "2. Hai.", "4. Bốn."],
                 {"units.0.clauses.#": 2, "units.0.clauses.1.text": "2. Hai.\n4. Bốn.",
                  "warnings": ["Điều 1: dòng “4.” sau khoản 2 (thiếu khoản 3?) — được giữ trong khoản 2, cần kiểm tra"]},
                 id="warn-khoan-gap"),
    # warnings: a section gap in a document without Điều
    pytest.param([*LETTER_HEAD, "(1) Một.", "(3) Ba."],
                 {"units.#": 1, "warnings": ["Đánh số không liên tục: “(3)” sau mục số 1 — dòng được giữ làm nội dung "
                                             "của mục trước, cần kiểm tra"]},
                 id="warn-section-gap"),
    # warnings: no Điều and no sections; the text is kept as "Mở đầu" rather than lost
    pytest.param([*LETTER_HEAD, "Đề nghị các đơn vị thử nghiệm báo cáo kết quả trước ngày 30/6/2099."],
                 {"units.#": 1, "units.0.title": "Mở đầu",
                  "units.0.intro": "Đề nghị các đơn vị thử nghiệm báo cáo kết quả trước ngày 30/6/2099.",
                  "warnings": ["Không tìm thấy Điều hay mục đánh số (I., 1., (1) …) — toàn văn được giữ làm phần Mở đầu"]},
                 id="warn-no-units"),
]


@pytest.mark.parametrize("lines, expected", CASES)
def test_parse_document_lines(lines, expected):
    doc = parse_document_lines(lines, source_path="mau.txt")
    for path, value in expected.items():
        assert get(doc, path) == value, path


def test_every_line_of_the_body_is_kept_verbatim():
    """Nothing is paraphrased: each body line is found, unchanged, in exactly one unit text."""
    body = ["Điều 1. A", "Mở đầu.", "1. Khoản: có dấu “ngoặc” và số 1. 1. 2099;", "a) điểm;", "đ) không theo thứ tự;",
            "2. Hai."]
    doc = parse_document_lines([*DECREE_HEAD, *body])
    text = doc.units[0].full_text
    for line in body[1:]:
        assert text.count(line) == 1, line


def test_source_kind_and_path():
    doc = parse_document_lines([*DECREE_HEAD, "Điều 1. A", "B."], source_path="x/y.docx")
    assert (doc.source_kind, doc.source_path) == ("original", "x/y.docx")
