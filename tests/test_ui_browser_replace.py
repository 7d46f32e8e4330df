"""In Chromium against `kb serve` over đề mục 32.1: replacing a document (compared first, stored only
on confirm, cancel changes nothing; replace after remove and upload again, then its version history),
an article looked up as of a date (title, hiệu lực and its source, amendments), the original file and a DOCX selection to download, a
keyboard-only path from question to copied citation, and a new conversation that resets its filters.

Documents uploaded here are SYNTHETIC (made-up decrees 997/2099 and 995/2099), removed again at the end.
"""
from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from conftest import UI_ACCOUNTS
from test_ui_browser import ask, choose, field, login, page, shot, upload_file  # noqa: F401  (page: fixture)
from test_replace_versions import synthetic_decree_lines, write_txt

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KEY = "997/2099/NĐ-CP"
NAME = "Nghị định 997/2099/NĐ-CP"


def view_shot(pg, locator, name: str) -> None:
    """A desktop-size screenshot of the viewport with `locator` scrolled into it (KB_SCREENSHOT_DIR set):
    one panel legible, where `shot` takes the whole long page."""
    target = os.environ.get("KB_SCREENSHOT_DIR")
    if target:
        locator.scroll_into_view_if_needed()
        Path(target).mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(Path(target) / name))


def remove_document(pg, key: str) -> None:
    pg.get_by_role("tab", name="Văn bản").click()
    choose(pg, "kb-remove-choice", key)
    pg.locator("#kb-remove-confirm input").check()
    pg.locator("#kb-remove-btn").click()
    pg.locator("#kb-remove-msg", has_text="Đã gỡ").wait_for()


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
        remove_document(page, KEY)


def ingest_report(pg, button: str) -> str:
    """Click "Nạp" or "Xác nhận thay thế" on a freshly loaded tab and return the report it gives."""
    pg.locator(button).click()
    report = pg.locator("#kb-ingest-report .kb-report")
    report.wait_for()
    return report.inner_text()


def test_replace_after_remove_and_upload_again_is_done_and_listed_in_the_history(page, ui_server, tmp_path):
    """Issue 18: v1, replace with v2, remove, v1 again, replace with v2. The last step used to report
    "Thay thế xong: 0 văn bản" and keep v1 (skipped on v2's remembered file hash)."""
    key, name = "995/2099/NĐ-CP", "Nghị định 995/2099/NĐ-CP"
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    v1 = write_txt(tmp_path / "v1" / "nd995-synthetic.txt", synthetic_decree_lines(1, number=key))
    v2 = write_txt(tmp_path / "v2" / "nd995-synthetic-moi.txt", synthetic_decree_lines(2, number=key))
    login(page, "phapche", UI_ACCOUNTS["phapche"][1])
    page.locator("#kb-upload").wait_for()
    preview(page, v1)
    assert "Nạp xong: 1 văn bản" in ingest_report(page, "#kb-ingest-btn")
    try:
        to_documents_tab(page)
        preview(page, v2)
        page.locator("#kb-compare .kb-compare").wait_for()
        assert "Thay thế xong: 1 văn bản" in ingest_report(page, "#kb-confirm-replace-btn")
        remove_document(page, key)
        to_documents_tab(page)
        preview(page, v1)
        assert "Văn bản mới" in page.locator("#kb-preview").inner_text()
        assert "Nạp xong: 1 văn bản" in ingest_report(page, "#kb-ingest-btn")
        assert "mỗi năm một lần" in look_up(page, f"khoản 2 Điều 2 Nghị định {key}")
        # the step that failed: v2 again, after its hash was seen before
        to_documents_tab(page)
        preview(page, v2)
        compare = page.locator("#kb-compare .kb-compare")
        compare.wait_for()
        assert f"Bản mới sẽ thay thế {name}" in compare.inner_text()
        report = ingest_report(page, "#kb-confirm-replace-btn")
        assert "Thay thế xong: 1 văn bản" in report and f"{key}: phiên bản 2." in report, report
        assert "không có văn bản nào được lưu" not in report and "Bỏ qua" not in report, report
        assert "mỗi năm hai lần" in look_up(page, f"khoản 2 Điều 2 Nghị định {key}")
        assert "Bộ Mẫu báo cáo" not in look_up(page, f"Điều 3 Nghị định {key}")  # v2 dropped Điều 3
        # the history lists both versions, v2 the one in use
        to_documents_tab(page)
        choose(page, "kb-history-choice", key)
        page.locator("#kb-history-btn").click()
        table = page.locator("#kb-history table.kb-versions")
        table.wait_for()
        rows = [[c.inner_text().strip() for c in r.locator("td").all()] for r in table.locator("tbody tr").all()]
        assert [(r[0], r[2], r[4], r[5]) for r in rows] == [
            ("1", "phapche", v1.name, ""), ("2", "phapche", v2.name, "Đang dùng")], rows
        assert table.locator("tr.kb-current td.kb-num").inner_text() == "2"
        view_shot(page, page.locator("#kb-history"), "screenshot-desktop-versions.png")
    finally:
        remove_document(page, key)


def test_lookup_as_of_shows_the_title_the_validity_and_its_amendments(page):
    """Điều 6 Luật Báo chí (đề mục 32.1): Pháp điển notes it amended by Luật 35/2018/QH14 from 01/01/2019."""
    page.get_by_role("tab", name="Tra cứu").click()
    field(page, "kb-lookup-as-of").fill("01/06/2020")
    look_up(page, "Điều 6 Luật 103/2016/QH13")
    found = page.locator("#kb-lookup-result .kb-found")
    assert found.locator(".kb-article-title").inner_text().startswith("Điều 6. ")
    validity = found.locator(".kb-validity").inner_text()
    assert "Hiệu lực" in validity and "—" in validity, validity  # the status, then its source
    amend = found.locator(".kb-amend").inner_text()
    assert "35/2018/QH14" in amend, amend
    view_shot(page, found, "screenshot-desktop-lookup-status.png")


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
    citation = re.sub(r"^\[\d+\]\s*", "", page.evaluate(
        "document.activeElement.querySelector('.kb-chip-cite').textContent")).strip()
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
