"""In Chromium against `kb serve` over đề mục 32.1: the Hỏi đáp tab as officials live in it (issue 20).

After three questions (the third a follow-up), on a desktop and a phone: the latest answer's first
clause chip is on the first screen below its question, the question box is on screen (phone),
opening a clause leaves the conversation where it was (± 10 px); a reload keeps the conversation,
the past ones are listed and can be forgotten; "Sao chép câu trả lời" gives every citation in
formal form, and as a Word file; a ?q= link asks the same question. Helpers come from test_ui_browser(_desk).
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest

from test_ui_browser import ask, field
from test_ui_browser_desk import DESKTOP, PHONE, in_viewport, open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUESTIONS = [
    "Ai quy định việc tổ chức Ngày Việt Nam ở nước ngoài?",
    "Ủy ban nhân dân cấp tỉnh phải làm gì trong công tác thông tin đối ngoại?",
    "Còn cấp xã thì sao?",  # read with the previous question (qa.question.continues_previous)
]
SCROLL_TOLERANCE_PX = 10
# answered "Căn cứ yếu" on đề mục 32.1 (no clause says what a foreign journalist needs for "hoạt động đối
# ngoại"): listed with the nearest clauses and "Có phải bạn muốn hỏi: …" from their articles' titles
UNSURE_QUESTION = "Hoạt động đối ngoại của nhà báo nước ngoài cần gì?"


def screen_shot(pg, name: str) -> None:
    """What the reader sees (the screen, not the whole page: the panel and the question row are sticky),
    kept when KB_SCREENSHOT_DIR is set (docs/UI.md's pictures)."""
    target = os.environ.get("KB_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(Path(target) / name))


def forget_history(pg) -> None:
    """"Xoá lịch sử" clicked, and its message shown."""
    pg.locator("#kb-forget").click()
    pg.locator("#kb-forget-msg", has_text="Đã xoá lịch sử").wait_for()


def assert_empty_after_reload(pg) -> None:
    """A reload brings no conversation back."""
    pg.reload(wait_until="load")
    pg.locator("#kb-chat .kb-empty").wait_for()
    pg.wait_for_timeout(1000)
    assert pg.locator("#kb-chat .kb-turn").count() == 0


def chip_citation(chip) -> str:
    """"Khoản 1 Điều 14 Nghị định 72/2015/NĐ-CP" from a chip's first part ("[1] … · …")."""
    return re.sub(r"^\[\d+\]\s*", "", chip.locator(".kb-chip-cite").inner_text()).split(" · ")[0].strip()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_three_questions_chips_in_view_and_a_clause_opens_without_moving_the_page(browser, ui_server, viewport):
    phone = viewport is PHONE
    context, pg = open_page(browser, ui_server, viewport)
    try:
        for q in QUESTIONS:
            turn = ask(pg, q)
        vh = viewport["height"]
        pg.wait_for_timeout(500)  # Gradio's last layout pass
        # the follow-up is said by its question
        assert "(tiếp theo câu hỏi: " + QUESTIONS[1] + ")" in turn.locator(".kb-continues").inner_text()
        # the latest answer's first chip: on the first screen, below its question, above the question box
        question = turn.locator(".kb-q").bounding_box()
        chip = turn.locator(".kb-chip").first
        box = chip.bounding_box()
        ask_row = pg.locator("#kb-ask-row").bounding_box()
        assert -2 <= question["y"] < box["y"], (question, box)
        assert box["y"] + box["height"] <= min(vh, ask_row["y"]) + 1, (box, ask_row, vh)
        # quotes are one click away, not all open; each chip is one line
        assert turn.locator("details.kb-cite[open]").count() == 0
        assert all(s.bounding_box()["height"] < 60 for s in turn.locator("summary.kb-chip").all())
        # the question box is on screen without scrolling (sticky at the bottom)
        q_box = field(pg, "kb-question").bounding_box()
        assert 0 <= q_box["y"] and q_box["y"] + q_box["height"] <= vh, q_box
        # opening a clause: the quote opens in place, the panel (desktop) or the drawer (phone) shows the
        # clause, and the conversation stays where it was
        before, turn_top = pg.evaluate("window.scrollY"), turn.bounding_box()["y"]
        citation = chip_citation(chip)
        chip.click()
        opened = turn.locator("details.kb-cite[open]").first
        opened.locator(".kb-quote").wait_for()
        assert abs(pg.evaluate("window.scrollY") - before) <= SCROLL_TOLERANCE_PX  # opened in place
        if phone:  # the drawer opens from the button under the quote, where the reader is now
            button = opened.locator(".kb-open")
            # in the middle of the screen, clear of the question row at the bottom (Playwright would scroll
            # the page itself to reach a button under it)
            button.evaluate("b => b.scrollIntoView({block: 'center'})")
            before, turn_top = pg.evaluate("window.scrollY"), turn.bounding_box()["y"]
            button.click()
        panel = pg.locator("#kb-clause .kb-clause[data-node]")
        panel.wait_for()
        pg.wait_for_function("document.activeElement && document.activeElement.matches('#kb-clause .kb-clause')")
        pg.wait_for_timeout(1200)  # the layout has settled
        assert abs(pg.evaluate("window.scrollY") - before) <= SCROLL_TOLERANCE_PX
        assert abs(turn.bounding_box()["y"] - turn_top) <= SCROLL_TOLERANCE_PX
        assert in_viewport(pg, panel) and citation in panel.inner_text()
        screen_shot(pg, f"screenshot-{'phone' if phone else 'desktop'}-answer.png")
        if phone:  # the drawer closes and gives the focus back
            pg.locator("#kb-clause .kb-drawer-close").click()
            assert not panel.is_visible()
            assert pg.evaluate("document.activeElement.matches('.kb-open')")
    finally:
        context.close()


def test_a_conversation_lasts_copies_with_every_citation_and_has_a_link(browser, ui_server):
    context, pg = open_page(browser, ui_server, DESKTOP)
    try:
        turn = ask(pg, QUESTIONS[0])
        # "Sao chép câu trả lời": the answer, then every citation of it in formal form
        turn.locator(".kb-copy-answer").click()
        pg.wait_for_function("window.kbLastCopied !== undefined")
        copied = pg.evaluate("window.kbLastCopied")
        chips = turn.locator("summary.kb-chip").all()
        assert copied.startswith(f"Hỏi: {QUESTIONS[0]}") and chips
        listed = copied.split("\nCăn cứ:\n", 1)[1].split("\n")
        assert len(listed) == len(chips)
        for chip in chips:
            n = int(chip.get_attribute("data-cite"))
            unit, number = re.match(r"(.*?) ((?:Nghị định|Luật|Thông tư|Quyết định|Nghị quyết|Chỉ thị)\s.*)$",
                                    chip_citation(chip)).groups()
            line = listed[n]
            formal_unit = re.sub(r"\b(Điểm|Khoản)\b", lambda m: m[1].lower(), unit)  # "khoản 1 Điều 14"
            assert line.startswith(f"{n + 1}. {formal_unit} "), (line, unit)
            assert number.split()[-1] in line and " số " in line, line  # "Nghị định số 72/2015/NĐ-CP ngày …"
        # "Tải câu trả lời (Word)": the same text as a Word file, every citation in formal form at its end
        from docx import Document

        turn.locator(".kb-answer-docx").click()
        link = pg.locator('#kb-answer-file a[href*="cau-tra-loi-kem-can-cu.docx"]').first
        link.wait_for()
        with pg.expect_download() as download:
            link.click()
        paragraphs = [p.text for p in Document(download.value.path()).paragraphs if p.text.strip()]
        assert paragraphs[0] == f"Hỏi: {QUESTIONS[0]}" and paragraphs[-len(listed):] == listed
        # a reload keeps the conversation, listed among the past ones
        pg.reload(wait_until="load")
        kept = pg.locator("#kb-chat .kb-turn")
        kept.first.wait_for()
        assert kept.count() == 1 and QUESTIONS[0] in kept.first.locator(".kb-q").inner_text()
        assert kept.first.locator("summary.kb-chip").count() == len(chips)
        pg.locator("#kb-history-box").get_by_text("Các cuộc hội thoại trước").click()
        pg.locator("#kb-conversations .kb-conv", has_text=QUESTIONS[0]).wait_for()
        # a kept answer still opens its clause
        kept.first.locator("summary.kb-chip").first.click()
        pg.locator("#kb-clause .kb-clause[data-node]").wait_for()
        # a new conversation; the first stays in the list and opens again
        pg.locator("#kb-clear").click()
        pg.locator("#kb-chat .kb-empty").wait_for()
        ask(pg, QUESTIONS[1])
        pg.locator("#kb-conversations .kb-conv").nth(1).wait_for()
        pg.locator("#kb-conversations .kb-conv", has_text=QUESTIONS[0]).click()
        pg.locator("#kb-chat .kb-turn .kb-q", has_text=QUESTIONS[0]).wait_for()
        assert pg.locator("#kb-chat .kb-turn").count() == 1
        # the link asks the same question on a fresh page
        href = turn.page.locator("#kb-chat .kb-link").first.get_attribute("href")
        other = context.new_page()
        other.goto(urljoin(ui_server.url, href), wait_until="load")
        asked = other.locator("#kb-chat .kb-turn").last
        asked.locator(".kb-a:not(.kb-pending)").wait_for()
        assert QUESTIONS[0] in asked.locator(".kb-q").inner_text() and asked.locator("summary.kb-chip").count()
        other.close()
        # "Xoá lịch sử" empties the page and the list, and a reload stays empty
        forget_history(pg)
        assert pg.locator("#kb-conversations .kb-conv").count() == 0
        assert_empty_after_reload(pg)
    finally:
        context.close()


def test_a_suggested_question_is_asked_by_a_click(browser, ui_server):
    """"Có phải bạn muốn hỏi: …" under an answer without a firm basis: each suggestion is a button,
    and a click asks it (the question box filled, a new turn answered with that question)."""
    context, pg = open_page(browser, ui_server, DESKTOP)
    try:
        turn = ask(pg, UNSURE_QUESTION)
        assert turn.locator(".kb-maybe").inner_text().startswith("Có phải bạn muốn hỏi:")
        button = turn.locator(".kb-maybe .kb-suggest").first
        suggested = button.get_attribute("data-ask")
        assert suggested and button.inner_text().strip() == suggested + "?"
        button.click()
        asked = pg.locator("#kb-chat .kb-turn").nth(1)
        asked.locator(".kb-a:not(.kb-pending)").wait_for()
        assert suggested in asked.locator(".kb-q").inner_text()
        assert asked.locator("summary.kb-chip").count() > 0  # the suggestion is answered from its article
    finally:
        context.close()


def test_two_tabs_keep_each_others_conversations(browser, ui_server):
    """Two tabs of one browser (one localStorage), each asking in turn: the tab that saves last does not
    write over the other's conversation; a reload lists both; "Xoá lịch sử" in one reaches the other."""
    context, first = open_page(browser, ui_server, DESKTOP)
    try:
        second = context.new_page()
        second.goto(ui_server.url, wait_until="load")
        second.locator("#kb-chat").wait_for()
        for pg in (first, second):
            pg.locator("#kb-history-box").get_by_text("Các cuộc hội thoại trước").click()
        ask(first, QUESTIONS[0])
        # the second tab, opened before that answer, is told of it (its list shows it)
        second.locator("#kb-conversations .kb-conv", has_text=QUESTIONS[0]).wait_for()
        ask(second, QUESTIONS[1])
        first.locator("#kb-conversations .kb-conv", has_text=QUESTIONS[1]).wait_for()
        first.reload(wait_until="load")
        first.locator("#kb-chat .kb-turn").first.wait_for()
        first.locator("#kb-history-box").get_by_text("Các cuộc hội thoại trước").click()
        for q in QUESTIONS[:2]:
            first.locator("#kb-conversations .kb-conv", has_text=q).wait_for()
        assert first.locator("#kb-conversations .kb-conv").count() == 2
        # "Xoá lịch sử" in one tab: the other's list empties too, and stays empty after its reload
        forget_history(second)
        first.locator("#kb-conversations .kb-conv-empty").wait_for()
        assert_empty_after_reload(first)
    finally:
        context.close()
