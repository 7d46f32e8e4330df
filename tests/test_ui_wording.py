"""ui.wording: what the page says when the layers below speak to the terminal (fast, no server).

File names in these tests are SYNTHETIC (made-up uploads of a made-up decree 998/2099).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from qa.types import EmbedProgress
from ui import wording
from ui.staff import _plain_report, run_with_progress

JARGON = re.compile(r"\bLLM\b|vectơ|mã băm|Chroma|\b[A-Z]\w*(?:Error|Exception|ZipFile)\b|%")


@pytest.mark.parametrize("message, file_name, expected", [
    # the service's preview error: "<server path>: <reason (Exception)>"
    ("/srv/kb/uploads/3339d63e9ecc04f7/nd998-thu-nghiem.docx: tệp DOCX hỏng hoặc không đọc được (BadZipFile)",
     "nd998-thu-nghiem.docx", "tệp DOCX hỏng hoặc không đọc được"),
    ("lỗi khi đọc: KeyError: 'word/document.xml'", "", "lỗi khi đọc: 'word/document.xml'"),
    ("không mở được ảnh (UnidentifiedImageError: cannot identify image file '/srv/kb/uploads/a/b.png')", "",
     "không mở được ảnh"),
    ("nội dung sau giải nén quá lớn (300 MB; giới hạn 200 MB, thiết lập KB_MAX_UNZIPPED_MB)", "",
     "nội dung sau giải nén quá lớn (300 MB; giới hạn 200 MB)"),
    ("C:\\kb\\uploads\\nd998.docx: không tìm thấy điều/mục nào trong tệp", "", "nd998.docx: không tìm thấy điều/mục nào trong tệp"),
    # dates, numbers and document numbers are left alone
    ("ngày 01/07/2099, Nghị định 998/2099/NĐ-CP", "", "ngày 01/07/2099, Nghị định 998/2099/NĐ-CP"),
])
def test_plain_reason_drops_server_paths_exception_names_and_settings(message, file_name, expected):
    assert wording.plain_reason(message, file_name) == expected


def test_staff_preview_and_report_show_plain_reasons(tmp_path):
    """The two places a reader's reason reaches the staff page: the preview and the ingest report."""
    from ui.staff import StaffActions

    path = tmp_path / "uploads" / "ab12" / "nd998-thu-nghiem.docx"

    class FakeKb:
        def preview_file(self, p, overrides=None):
            return [{"error": f"{p}: tệp DOCX hỏng hoặc không đọc được (BadZipFile)"}]

    class Lock:
        def read(self):
            from contextlib import nullcontext
            return nullcontext()

    actions = StaffActions()
    actions.kb, actions.lock = FakeKb(), Lock()
    shown = actions._preview_one(path, "0" * 64)[0]["error"]
    assert str(tmp_path) not in shown and "BadZipFile" not in shown and "DOCX" in shown
    report = _plain_report({"refused": [{"path": str(path), "reason": "lỗi khi đọc: ValueError: x"}], "skipped": []})
    assert report["refused"][0]["reason"] == "lỗi khi đọc: x"


def test_search_readiness_says_nothing_when_ready_and_no_jargon_while_preparing():
    assert wording.search_readiness(EmbedProgress(nodes=1185, dense=1185)) == ""
    line = wording.search_readiness(EmbedProgress(nodes=1200, dense=300, rate=2.0, active=True))
    assert line.startswith("Đang chuẩn bị tìm theo nghĩa: 300/1.200 đoạn") and "còn khoảng 8 phút" in line
    assert "vectơ" not in line and "kb embed" not in line


@pytest.mark.parametrize("fraction, message, text, known", [
    (0.0, "Bắt đầu nạp", "Đang bắt đầu nạp…", None),
    (0.0, "Đọc nd998-thu-nghiem.docx", "Đang đọc và phân tích tệp nd998-thu-nghiem.docx…", None),
    (0.5, "Chuẩn bị tìm theo nghĩa nd998.docx: 64/128", "Đang chuẩn bị tìm theo nghĩa (64/128 đoạn)…", 0.5),
    (1.0, "Đồng bộ chỉ mục", "Đang cập nhật chỉ mục tìm kiếm…", None),
    (0.25, "Chroma: 32/128", "Đang cập nhật chỉ mục tìm kiếm (32/128 đoạn)…", 0.25),
])
def test_ingest_steps_in_words(fraction, message, text, known):
    assert wording.ingest_step(fraction, message) == (text, known)
    html = wording.render_ingest_progress(fraction, message)
    assert 'role="status"' in html and not JARGON.search(html.split("<progress")[0])
    assert ("value=" in html) == (known is not None)  # reading a file: a moving bar, never "0.0%"


def test_ingest_on_the_page_reports_steps_then_its_outputs():
    def work(progress):
        progress(0.0, desc="Bắt đầu nạp")
        progress(0.0, desc="Đọc nd998.docx")
        return ("xong", 1, 2)

    frames = list(run_with_progress(work, 3))
    assert frames[-1] == ("xong", 1, 2)
    assert all(len(f) == 3 and "kb-progress" in f[0] for f in frames[:-1]) and len(frames) >= 2


def test_a_refusal_inside_the_ingest_reaches_the_event():
    def work(progress):
        progress(0.0, desc="Bắt đầu nạp")
        raise PermissionError("từ chối")

    with pytest.raises(PermissionError):
        list(run_with_progress(work, 2))


def test_pages_say_no_llm_vector_or_hash():
    """The strings of the pages themselves (app layout, rendering, staff messages)."""
    ui = Path(wording.__file__).parent
    for name in ("app.py", "render.py", "staff.py", "static/page.js", "static/events.js"):
        shown = re.findall(r'"([^"\n]*[À-ỹ][^"\n]*)"', (ui / name).read_text(encoding="utf-8"))
        bad = [s for s in shown if re.search(r"\bLLM\b|vectơ|mã băm", s)]
        assert not bad, (name, bad)


def test_gradio_status_timers_are_hidden_where_gradio_writes_them():
    """Gradio's status overlay writes "queue: 1/1 |", "processing |" and "2.0/0.2s" into
    .progress-text; kb.css hides that element. Fails when a Gradio upgrade moves the text."""
    import gradio

    assets = Path(gradio.__file__).parent / "templates" / "frontend" / "assets"
    tracker = next(f.read_text(encoding="utf-8") for f in assets.glob("statustracker-*.js"))
    assert "`queue: ${" in tracker and "`processing |`" in tracker and "progress-text" in tracker
    css = (Path(wording.__file__).parent / "static" / "kb.css").read_text(encoding="utf-8")
    rule = re.search(r"([^{}]*\.progress-text[^{}]*)\{([^}]*)\}", css)
    assert rule and "display: none" in rule[2] and '[data-testid="status-tracker"] .progress-text' in rule[1]
