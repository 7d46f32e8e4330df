"""The drafter's desk and the staff's replacement, without a browser: the DOCX export, the
comparison and selection HTML, a new conversation, and the chat's first paint and streaming.
Texts are SYNTHETIC unless they come from the fake service's canned clause."""
from __future__ import annotations

import html
import io
import threading

import pytest
from docx import Document

from ingest.compare import compare_documents
from ingest.model import Article, Clause, LegalDocument
from qa.types import Answer
from ui import render
from ui.export import ExportItem, clauses_docx

EVIL = '<script>alert("x")</script>'


def test_docx_holds_exactly_each_text_then_its_citation():
    items = [ExportItem("1. Khoản thử nghiệm thứ nhất.\na) Điểm thử nghiệm a;\nb) Điểm thử nghiệm b.",
                        "khoản 1 Điều 2 Nghị định số 998/2099/NĐ-CP ngày 07/9/2099 của Chính phủ thử nghiệm"),
             ExportItem("Điều mẫu chỉ có một đoạn.", "Điều 3 Nghị định số 998/2099/NĐ-CP")]
    doc = Document(io.BytesIO(clauses_docx(items)))
    paragraphs = [(p.text, p.style.name) for p in doc.paragraphs]
    assert paragraphs == [
        ("1. Khoản thử nghiệm thứ nhất.", "Normal"), ("a) Điểm thử nghiệm a;", "Normal"),
        ("b) Điểm thử nghiệm b.", "Normal"), (items[0].citation, "KbCitation"),
        ("Điều mẫu chỉ có một đoạn.", "Normal"), (items[1].citation, "KbCitation")]
    assert doc.styles["KbCitation"].font.italic and doc.core_properties.title == "Bản trích điều khoản"


def _doc(*texts) -> LegalDocument:
    return LegalDocument(number="998/2099/NĐ-CP", doc_type="Nghị định", title="Thử nghiệm", units=[
        Article(number=str(i + 1), title=f"Điều mẫu {i + 1}", clauses=[Clause("1", t)]) for i, t in enumerate(texts)])


def test_comparison_html_shows_changes_and_escapes_text():
    diff = compare_documents(_doc("1. Tổ chức mỗi năm một lần.", "1. Sẽ bị bỏ."),
                             _doc(f"1. Tổ chức mỗi năm hai lần {EVIL}."))
    out = render.render_comparison([diff], {"998/2099/NĐ-CP": "Nghị định 998/2099/NĐ-CP"})
    assert "<script>" not in out and html.escape(EVIL) in out
    assert "Bản mới sẽ thay thế Nghị định 998/2099/NĐ-CP" in out
    assert "0 điều thêm mới · 1 điều bị bỏ · 1 điều sửa đổi · 0 điều đánh số lại · 0 điều giữ nguyên" in out
    assert '<del title="Bị bỏ">một</del>' in out and '<ins title="Thêm mới">hai</ins>' in out
    assert 'data-status="removed"' in out and "1. Sẽ bị bỏ." in out
    assert render.render_comparison([]) == ""


def test_comparison_cuts_long_unchanged_text():
    same = "Văn bản thử nghiệm không đổi. " * 40
    diff = compare_documents(_doc(same + "cũ"), _doc(same + "mới"))
    out = render.render_comparison([diff])
    shown = out.split('class="kb-verbatim kb-diff">', 1)[1].split("</div>", 1)[0]
    assert shown.startswith("… ") and shown.count("Văn bản thử nghiệm không đổi.") < 10
    assert "<del" in shown and "<ins" in shown
    assert out.count("Văn bản thử nghiệm không đổi.") > 80  # the whole texts stay one click away


def test_picks_list_and_collect_buttons():
    assert "Chưa chọn đoạn nào" in render.render_picks([])
    out = render.render_picks([EVIL, "Khoản 1 Điều 2 Nghị định 998/2099/NĐ-CP"])
    assert "<script>" not in out and out.count('data-action="uncollect"') == 2 and 'data-index="1"' in out


@pytest.fixture
def app(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from test_ui_api import FakeKB

    from core.settings import load_settings
    from ui.app import App

    return App(load_settings(env={}, home=str(tmp_path / "home")), FakeKB())


def test_new_conversation_resets_the_filters(app):
    chat, turns, clause, doc_filter, as_of = app.clear_chat()
    assert turns == [] and clause == render.CLAUSE_PLACEHOLDER
    assert doc_filter["value"] == [] and as_of == ""


def test_the_question_is_shown_before_the_service_answers_and_tokens_stream(app):
    started = threading.Event()
    base = app.kb.ask

    def slow_stream(question, as_of=None, mode="extractive", documents=None, previous=None):
        started.set()
        for piece in ("Theo ", "khoản 2 ", "Điều 14"):
            yield piece
        yield base(question, as_of, mode, documents)

    app.kb.ask_stream = slow_stream
    frames = app.ask_chat("Câu hỏi thử nghiệm?", "", "extractive", None, [], None, None)
    first, turns, box = next(frames)
    assert not started.is_set()  # painted before retrieval even starts
    assert "Câu hỏi thử nghiệm?" in first and "Đang trả lời…" in first and box == ""
    rest = [f[0] for f in frames]
    pending = [f for f in rest if "Đang trả lời" in f]
    assert any("Theo khoản 2" in f and "Điều 14" not in f for f in pending)  # tokens appear as they come
    assert "Đang trả lời" not in rest[-1] and isinstance(turns[-1]["answer"], Answer)


def test_comparison_html_reads_an_insertion_as_one_added_and_one_renumbered_run():
    """SYNTHETIC articles: a new Điều 2 shifts Điều 2–3 to 3–4; the page says so in one line."""
    def doc(*texts):
        return LegalDocument(number="998/2099/NĐ-CP", units=[
            Article(number=str(i + 1), title="Điều mẫu", clauses=[Clause("1", t)]) for i, t in enumerate(texts)])

    diff = compare_documents(doc("1. Nội dung mẫu một.", "1. Nội dung mẫu hai.", "1. Nội dung mẫu ba."),
                             doc("1. Nội dung mẫu một.", "1. Điều chèn thêm hoàn toàn khác.", "1. Nội dung mẫu hai.",
                                 "1. Nội dung mẫu ba."))
    out = render.render_comparison([diff])
    assert "1 điều thêm mới · 0 điều bị bỏ · 0 điều sửa đổi · 2 điều đánh số lại · 1 điều giữ nguyên" in out
    assert out.count('data-status="renumbered"') == 1 and "Điều 2–3 cũ thành Điều 3–4" in out
    assert out.count('data-status="added"') == 1 and 'data-status="changed"' not in out
