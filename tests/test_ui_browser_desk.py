"""In Chromium against `kb serve` over đề mục 32.1: the app as its users live in it.

Results where the eye is (desktop and phone), Vietnamese throughout (no Gradio English default
visible, <html lang="vi">, staff errors inline and cleared on logout), the drafter's formal
citation, and a bare "Điều 5" listing every document that has one. Helpers and the `browser`
fixture come from test_ui_browser.
"""
from __future__ import annotations

import re

import pytest

from conftest import UI_ACCOUNTS
from test_ui_browser import TIMEOUT_MS, ask, field, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
QUESTIONS = [
    "Ai quy định việc tổ chức Ngày Việt Nam ở nước ngoài?",
    "Thông tin chính thức về Việt Nam được cung cấp bằng những hình thức nào?",
    "Người phát ngôn của cơ quan hành chính nhà nước có trách nhiệm gì?",
]
GRADIO_ENGLISH = ["Drop File Here", "Click to Upload", "Error", "Use via API", "Submit", "Clear"]


def open_page(browser, ui_server, viewport):
    context = browser.new_context(viewport=viewport, locale="vi-VN", is_mobile=viewport is PHONE,
                                  has_touch=viewport is PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    pg.goto(ui_server.url, wait_until="load")
    pg.locator("#kb-chat").wait_for()
    return context, pg


def in_viewport(pg, locator) -> bool:
    box = locator.bounding_box()
    vh = pg.viewport_size["height"]
    return box is not None and -2 <= box["y"] < vh - 40  # its top (sub-pixel), and a line of it, is on screen


def is_focused(pg, selector: str) -> bool:
    return pg.evaluate(f"document.activeElement === document.querySelector({selector!r})")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_clause_panel_is_brought_into_view_after_a_chip_click(browser, ui_server, viewport):
    context, pg = open_page(browser, ui_server, viewport)
    try:
        for q in QUESTIONS:
            turn = ask(pg, q)
        chip = turn.locator(".kb-chip").first
        chip.scroll_into_view_if_needed()
        chip.click()  # opens in place; on a phone its button opens the clause drawer
        if viewport is PHONE:
            turn.locator("details.kb-cite[open] .kb-open").first.click()
        panel = pg.locator("#kb-clause .kb-clause[data-node]")
        panel.wait_for()
        pg.wait_for_function("document.activeElement && document.activeElement.matches('#kb-clause .kb-clause')")
        pg.wait_for_timeout(1200)  # still in view once the layout has settled
        assert in_viewport(pg, panel), (panel.bounding_box(), pg.viewport_size)
        assert re.sub(r"^\[\d+\]\s*", "", chip.locator(".kb-chip-cite").inner_text()).strip() in panel.inner_text()
        # the answer area announces itself to screen readers
        assert pg.locator('#kb-chat [aria-live="polite"], #kb-chat[aria-live="polite"]').count() >= 1
        if viewport is PHONE:  # tap targets
            for sel in (".kb-chip", ".kb-copy", ".kb-fb"):
                h = pg.locator(sel).first.bounding_box()["height"]
                assert h >= 40, (sel, h)
        # the answer screenshots (screen, not full page) are taken by test_ui_browser_chat.py
    finally:
        context.close()


def test_catalogue_opens_the_tree_in_view_on_a_phone(browser, ui_server):
    context, pg = open_page(browser, ui_server, PHONE)
    try:
        pg.get_by_role("tab", name="Tra cứu").click()
        link = pg.locator("#kb-catalogue .kb-doclink", has_text="Nghị định 72/2015/NĐ-CP")
        link.scroll_into_view_if_needed()
        link.click()
        tree = pg.locator('#kb-tree .kb-tree[data-key="72/2015/NĐ-CP"]')
        tree.wait_for()
        pg.wait_for_function("document.activeElement && document.activeElement.matches('#kb-tree .kb-tree')")
        pg.wait_for_timeout(1200)  # the page's last look at the layout (events.js) is after 1 s
        assert in_viewport(pg, tree), (tree.bounding_box(), pg.evaluate("window.scrollY"))
        # the documents table of the Văn bản tab scrolls inside itself, not the page
        pg.get_by_role("tab", name="Văn bản").click()
        pg.locator("#kb-docs table").wait_for()
        assert pg.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
        shot(pg, "screenshot-phone-documents.png")
    finally:
        context.close()


def visible_english(pg) -> list[str]:
    text = pg.evaluate("document.body.innerText")
    return [w for w in GRADIO_ENGLISH if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]


def test_vietnamese_throughout_and_staff_errors_inline(browser, ui_server):
    context, pg = open_page(browser, ui_server, DESKTOP)
    try:
        assert pg.evaluate("document.documentElement.lang") == "vi"
        assert pg.locator("footer").count() == 0  # Gradio's footer ("API", "Gradio") is not for people
        assert visible_english(pg) == []
        login(pg, "phapche", UI_ACCOUNTS["phapche"][1])
        pg.locator("#kb-upload").wait_for()
        assert "Kéo thả tệp vào đây" in pg.locator("#kb-upload").inner_text()
        assert visible_english(pg) == []
        # a refused action is said next to its button, in Vietnamese, with no toast over the page
        pg.locator("#kb-remove-btn").click()
        msg = pg.locator("#kb-remove-msg .kb-action-error")
        msg.wait_for()
        assert "Chọn văn bản cần gỡ" in msg.inner_text()
        assert pg.locator(".toast-body, [data-testid='toast-body']").count() == 0
        assert visible_english(pg) == []
        assert pg.evaluate("document.documentElement.lang") == "vi"
        shot(pg, "screenshot-desktop-documents.png")
        pg.locator("#kb-logout-btn").click()
        pg.locator("#kb-login-btn").wait_for()
        assert pg.locator("#kb-remove-msg .kb-action-error").count() == 0  # cleared on logout
    finally:
        context.close()


def test_formal_citation_is_copied_and_a_bare_article_lists_documents(browser, ui_server):
    context, pg = open_page(browser, ui_server, DESKTOP)
    try:
        pg.get_by_role("tab", name="Tra cứu").click()
        field(pg, "kb-ref").fill("k3 đ7 nđ72/2015")
        pg.locator("#kb-lookup-btn").click()
        found = pg.locator("#kb-lookup-result .kb-found")
        found.wait_for()
        formal = found.locator(".kb-copy-formal")
        payload = formal.get_attribute("data-copy")
        assert re.fullmatch(r"khoản 3 Điều 7 Nghị định số 72/2015/NĐ-CP ngày 07/9/2015 của Chính phủ", payload), payload
        formal.click()
        pg.wait_for_function("window.kbLastCopied !== undefined")
        assert pg.evaluate("window.kbLastCopied") == payload
        # the short form with the quote is still there
        assert found.locator(".kb-copy").first.get_attribute("data-copy").endswith(
            "» (Khoản 3 Điều 7 Nghị định 72/2015/NĐ-CP)")
        field(pg, "kb-ref").fill("Điều 5")
        pg.locator("#kb-lookup-btn").click()
        choices = pg.locator("#kb-lookup-result .kb-ambiguous .kb-choices .kb-suggest")
        choices.first.wait_for()
        names = [c.inner_text() for c in choices.all()]
        assert len(names) >= 2 and all(n.startswith("Điều 5 ") for n in names), names
        assert any("72/2015/NĐ-CP" in n for n in names)
        shot(pg, "screenshot-desktop-lookup.png")
        target = next(n for n in names if "72/2015/NĐ-CP" in n)
        choices.filter(has_text=target).first.click()
        pg.locator("#kb-lookup-result .kb-found", has_text=target).wait_for()
    finally:
        context.close()
