"""In Chromium against `kb serve` over đề mục 32.1: replacing a document (compared first, stored only
on confirm, cancel changes nothing), the original file and a DOCX selection to download, a
keyboard-only path from question to copied citation, and a new conversation that resets its filters.

Documents uploaded here are SYNTHETIC (a made-up decree 997/2099), removed again at the end.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from conftest import UI_ACCOUNTS
from test_ui_browser import ask, choose, field, login, page, shot, upload_file  # noqa: F401  (page: fixture)
from test_replace_versions import synthetic_decree_lines, write_txt

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KEY = "997/2099/NĐ-CP"
NAME = "Nghị định 997/2099/NĐ-CP"


def to_documents_tab(pg) -> None:
    """A fresh page (the upload widget empty), still logged in: the staff cookie stays in the context."""
    pg.reload(wait_until="load")
    pg.locator("#kb-chat").wait_for()
    pg.get_by_role("tab", name="Văn bản").click()
    pg.locator("#kb-upload").wait_for()


def preview(pg, path: Path) -> None:
    upload_file(pg, path)
    pg.locator("#kb-preview-btn").click()
    pg.locator("#kb-preview .kb-preview").wait_for()


def look_up(pg, reference: str) -> str:
    """The lookup result once it has replaced whatever the panel showed before."""
    pg.get_by_role("tab", name="Tra cứu").click()
    # The result shown so far is marked: the new one is the unmarked element (Gradio's own loading
    # overlay changes the panel too, so "the panel changed" is not enough).
    pg.evaluate("document.querySelectorAll('#kb-lookup-result .kb-lookup').forEach(e => e.dataset.stale = '1')")
    field(pg, "kb-ref").fill(reference)
    pg.locator("#kb-lookup-btn").click()
    result = pg.locator("#kb-lookup-result .kb-lookup:not([data-stale])")
    result.wait_for()
    return result.inner_text()


def test_replacement_is_compared_before_it_is_confirmed_and_cancel_keeps_the_old(page, ui_server, tmp_path):
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    v1 = write_txt(tmp_path / "v1" / "nd997-thu-nghiem.txt", synthetic_decree_lines(1, number=KEY))
    v2 = write_txt(tmp_path / "v2" / "nd997-thu-nghiem-ban-moi.txt", synthetic_decree_lines(2, number=KEY))
    login(page, "phapche", UI_ACCOUNTS["phapche"][1])
    page.locator("#kb-upload").wait_for()
    # version 1: a new document, nothing to compare
    preview(page, v1)
    assert "Văn bản mới" in page.locator("#kb-preview").inner_text()
    assert not page.locator("#kb-confirm-row").is_visible()
    page.locator("#kb-ingest-btn").click()
    page.locator("#kb-ingest-report .kb-report").wait_for()
    page.locator("#kb-docs", has_text=KEY).wait_for()
    try:
        # version 2: the comparison is shown first
        to_documents_tab(page)
        preview(page, v2)
        compare = page.locator("#kb-compare .kb-compare")
        compare.wait_for()
        text = compare.inner_text()
        assert f"Bản mới sẽ thay thế {NAME}" in text
        assert "1 điều thêm mới · 1 điều bị bỏ · 1 điều sửa đổi · 0 điều đánh số lại · 1 điều giữ nguyên" in text
        changed = compare.locator('.kb-change[data-status="changed"]')
        assert changed.get_attribute("data-unit") == "Điều 2"
        changed.locator("summary").first.click()
        assert changed.locator("del").first.inner_text() == "một"
        assert changed.locator("ins").first.inner_text() == "hai"
        assert compare.locator('.kb-change[data-status="removed"]').get_attribute("data-unit") == "Điều 3"
        assert compare.locator('.kb-change[data-status="added"]').get_attribute("data-unit") == "Điều 4"
        page.locator("#kb-confirm-row").wait_for()
        compare.scroll_into_view_if_needed()
        shot(page, "screenshot-desktop-replace.png")
        # "Nạp" alone does not replace
        page.locator("#kb-ingest-btn").click()
        page.locator("#kb-ingest-report .kb-action-error", has_text="Xác nhận thay thế").wait_for()
        # cancel: nothing changes, the panel goes
        page.locator("#kb-cancel-replace-btn").click()
        page.locator("#kb-ingest-report", has_text="không có gì thay đổi").wait_for()
        page.locator("#kb-compare .kb-compare").wait_for(state="detached")
        assert not page.locator("#kb-confirm-row").is_visible()
        assert "mỗi năm một lần" in look_up(page, f"khoản 2 Điều 2 Nghị định {KEY}")
        assert "Bộ Mẫu báo cáo kết quả hằng năm" in look_up(page, f"Điều 3 Nghị định {KEY}")
        # confirm: now it is replaced
        to_documents_tab(page)
        preview(page, v2)
        page.locator("#kb-compare .kb-compare").wait_for()
        page.locator("#kb-confirm-replace-btn").click()
        page.locator("#kb-ingest-report .kb-report", has_text="Thay thế xong").wait_for()
        assert not page.locator("#kb-confirm-row").is_visible()
        assert "mỗi năm hai lần" in look_up(page, f"khoản 2 Điều 2 Nghị định {KEY}")
        # the original file of the document is the new version, byte for byte
        page.locator("#kb-catalogue .kb-doclink", has_text=NAME).click()
        page.locator(f'#kb-tree .kb-tree[data-key="{KEY}"]').wait_for()
        original = page.locator("#kb-original")
        original.wait_for()
        assert "nd997-thu-nghiem-ban-moi.txt" in original.inner_text()
        with page.expect_download() as download:
            original.click()
        assert Path(download.value.path()).read_bytes() == v2.read_bytes()
    finally:
        page.get_by_role("tab", name="Văn bản").click()
        choose(page, "kb-remove-choice", KEY)
        page.locator("#kb-remove-confirm input").check()
        page.locator("#kb-remove-btn").click()
        page.locator("#kb-remove-msg", has_text="Đã gỡ").wait_for()


def test_a_document_read_from_a_file_offers_its_original(page):
    page.get_by_role("tab", name="Tra cứu").click()
    page.locator("#kb-catalogue .kb-doclink", has_text="Bài tư vấn").first.click()  # the seed file (secondary source)
    page.locator("#kb-tree .kb-tree").wait_for()
    page.locator("#kb-original", has_text="Tải tệp gốc").wait_for()
    # a Pháp điển document is assembled from đề mục files: no single original
    page.locator("#kb-catalogue .kb-doclink", has_text="Nghị định 72/2015/NĐ-CP").click()
    page.locator('#kb-tree .kb-tree[data-key="72/2015/NĐ-CP"]').wait_for()
    page.locator("#kb-original").wait_for(state="hidden")


def test_collected_clauses_download_as_docx(page):
    from docx import Document

    look_up(page, "k3 đ7 nđ72/2015")
    found = page.locator("#kb-lookup-result .kb-found")
    formal = found.locator(".kb-copy-formal").get_attribute("data-copy")
    text = found.locator(".kb-verbatim").inner_text()
    found.locator(".kb-collect").click()
    page.locator("#kb-picks .kb-pick", has_text="Khoản 3 Điều 7 Nghị định 72/2015/NĐ-CP").wait_for()
    page.locator("#kb-export-btn").click()
    link = page.locator('#kb-export-file a[href*="ban-trich-dieu-khoan.docx"]').first
    link.wait_for()
    with page.expect_download() as download:
        link.click()
    doc = Document(io.BytesIO(Path(download.value.path()).read_bytes()))
    paragraphs = [p.text for p in doc.paragraphs if p.text.strip()]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert paragraphs[:len(lines) + 1] == lines + [formal]
    # then its hiệu lực and the source of it (catalogue: Nghị định 72/2015/NĐ-CP is listed in force)
    assert paragraphs[len(lines) + 1].startswith("Hiệu lực: Còn hiệu lực — danh mục văn bản đã kiểm tra")


def focus_by_tab(pg, selector: str, limit: int = 120) -> None:
    """Press Tab until the element matching `selector` has the focus (keyboard only)."""
    for _ in range(limit):
        if pg.evaluate(f"!!document.activeElement && document.activeElement.matches({selector!r})"):
            return
        pg.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the focus by Tab")


def test_keyboard_only_ask_open_a_citation_and_copy_it(page):
    focus_by_tab(page, "#kb-question textarea, #kb-question input")
    page.keyboard.type("Ai quy định việc tổ chức Ngày Việt Nam ở nước ngoài?")
    page.keyboard.press("Enter")
    page.locator("#kb-chat .kb-turn .kb-a:not(.kb-pending) .kb-chip").first.wait_for()
    focus_by_tab(page, "#kb-chat .kb-chip")
    citation = re.sub(r"^\[\d+\]\s*", "", page.evaluate("document.activeElement.textContent")).strip()
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.matches('#kb-clause .kb-clause')")
    focus_by_tab(page, "#kb-clause .kb-copy", limit=10)
    page.keyboard.press("Enter")
    page.wait_for_function("window.kbLastCopied !== undefined")
    assert page.evaluate("window.kbLastCopied").endswith(f"({citation})")


def test_new_conversation_resets_the_document_filter(page):
    box = page.locator("#kb-doc-filter input").first
    box.click()
    box.fill("72/2015")
    page.locator("#kb-doc-filter [role=option]", has_text="72/2015/NĐ-CP").first.click()
    page.locator("#kb-doc-filter .token", has_text="72/2015/NĐ-CP").wait_for()
    page.keyboard.press("Escape")
    field(page, "kb-as-of").fill("22/10/2020")
    turn = ask(page, "Ai quy định việc tổ chức Ngày Việt Nam ở nước ngoài?")
    assert "chỉ trong: 72/2015/NĐ-CP" in turn.locator(".kb-filters").inner_text()
    page.locator("#kb-clear").click()
    page.locator("#kb-chat .kb-empty").wait_for()
    page.wait_for_function("document.querySelectorAll('#kb-doc-filter .token').length === 0")
    assert field(page, "kb-as-of").input_value() == ""
    turn = ask(page, "Ai quy định việc tổ chức Ngày Việt Nam ở nước ngoài?")
    assert turn.locator(".kb-filters").count() == 0
