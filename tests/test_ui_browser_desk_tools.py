"""The official's four tools in Chromium, desktop and phone: each result in view, the exports open.

`kb serve` over a lexical-only home (đề mục 32.1 and the founding article, `kb ingest --no-embed`:
the desk reads the registry and its index; the trace falls back to lexical retrieval), so this module
needs no embedding model. Set KB_SCREENSHOT_DIR=docs to refresh the screenshots docs/UI.md shows.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from kb.bench_common import clean_env
from conftest import DEMUC_32_1, REPO, SEED_DIR, require_shared, run_kb, serve_for_test, stop_process
from test_ui_browser import TIMEOUT_MS, choose, field

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]
DRAFT = REPO / "kb" / "data" / "desk" / "synthetic_du_thao_quyet_dinh.txt"  # SYNTHETIC draft citing 32.1
LETTER = SEED_DIR / "tvpl-cong-van-3837-btttt-ttdn-2024.txt"  # the founding article's account (secondary)


@pytest.fixture(scope="module")
def desk_server(tmp_path_factory):
    require_shared(DEMUC_32_1)
    root = tmp_path_factory.mktemp("desk-ui")
    home = root / "home"
    run_kb("ingest", "--no-embed", str(DEMUC_32_1), str(SEED_DIR), home=home, check=True)
    env = clean_env()
    env.update(GRADIO_ANALYTICS_ENABLED="False", ANONYMIZED_TELEMETRY="False", KB_BACKGROUND_EMBED="0")
    proc, url = serve_for_test(home, env, root / "serve.log")
    yield url
    stop_process(proc, 20)


@contextmanager
def desk_page(browser, url, viewport):
    """The app's page in a fresh browser context of `viewport`, closed afterwards whatever happens."""
    context = browser.new_context(viewport=viewport, locale="vi-VN", is_mobile=viewport is PHONE,
                                  has_touch=viewport is PHONE, accept_downloads=True)
    try:
        context.set_default_timeout(TIMEOUT_MS)
        pg = context.new_page()
        pg.goto(url, wait_until="load")
        pg.locator("#kb-chat").wait_for()
        yield pg
    finally:
        context.close()


def in_view(pg, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and -2 <= box["y"] < pg.viewport_size["height"] - 40


def view_shot(pg, name: str, top: str = "") -> None:
    """The viewport as the user sees it (KB_SCREENSHOT_DIR set), `top` (a selector) scrolled to its top."""
    if top:
        pg.locator(top).evaluate("e => e.scrollIntoView({block: 'start'})")
    target = os.environ.get("KB_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(Path(target) / name))


def shown(pg, locator, viewport, tool: str, top: str) -> None:
    """The result scrolled to lies within the viewport; its screenshot is what docs/UI.md shows."""
    locator.scroll_into_view_if_needed()
    assert in_view(pg, locator)
    view_shot(pg, f"screenshot-{'phone' if viewport is PHONE else 'desktop'}-desk-{tool}.png", top)


def download(pg, elem_id: str) -> bytes:
    button = pg.locator(f"#{elem_id}")
    button.scroll_into_view_if_needed()
    with pg.expect_download() as info:
        button.click()
    return Path(info.value.path()).read_bytes()


def show_desk(pg, body: str, as_of: str, year: str) -> None:
    pg.get_by_role("tab", name="Bàn làm việc").click()
    choose(pg, "kb-desk-body", body)
    field(pg, "kb-desk-as-of").fill(as_of)
    field(pg, "kb-desk-year").fill(year)
    pg.locator("#kb-desk-btn").click()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_duties_of_a_body_in_view_and_the_checklists_open(browser, desk_server, viewport):
    from docx import Document
    from openpyxl import load_workbook

    with desk_page(browser, desk_server, viewport) as pg:
        show_desk(pg, "Ủy ban nhân dân cấp tỉnh", "01/06/2025", "2025")
        cell = pg.locator("#kb-desk-duties td", has_text="Khoản 4 Điều 7 Luật Báo chí").first
        cell.wait_for()
        shown(pg, cell, viewport, "duties", "#kb-desk-btn")
        doc = Document(io.BytesIO(download(pg, "kb-desk-docx")))
        assert any("khoản 4 điều 7 luật báo chí" in cell.text.lower()
                   for table in doc.tables for row in table.rows for cell in row.cells)
        book = load_workbook(io.BytesIO(download(pg, "kb-desk-xlsx")))
        cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value]
        assert any("khoản 4 điều 7 luật báo chí" in c.lower() for c in cells)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_deadlines_in_view_and_the_calendar_opens(browser, desk_server, viewport):
    from icalendar import Calendar

    with desk_page(browser, desk_server, viewport) as pg:
        show_desk(pg, "báo chí", "01/01/2027", "2027")
        limit = pg.locator("#kb-desk-deadlines li", has_text="Thông tư 19/2016/TT-BTTTT").first
        limit.wait_for()
        shown(pg, limit, viewport, "deadlines", "#kb-desk-deadlines")
        cal = Calendar.from_ical(download(pg, "kb-desk-ics"))
        events = [e for e in cal.walk("VEVENT")]
        assert events and all(e.get("dtstart").dt.year == 2027 for e in events)
        assert any("Thông tư 19/2016/TT-BTTTT" in str(e.get("description", "")) + str(e.get("summary", ""))
                   for e in events)


def run_draft(pg, path: Path, date: str, button: str) -> None:
    """The text pasted as an official would (the upload reads the same: tests/test_desk_basis.py)."""
    pg.get_by_role("tab", name="Kiểm tra căn cứ").click()
    field(pg, "kb-desk-text").fill(path.read_text(encoding="utf-8"))
    field(pg, "kb-desk-date").fill(date)
    pg.locator(f"#{button}").click()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_basis_check_report_in_view(browser, desk_server, viewport):
    with desk_page(browser, desk_server, viewport) as pg:
        run_draft(pg, DRAFT, "01/12/2026", "kb-desk-check")
        report = pg.locator("#kb-desk-report", has_text="Điều 99")
        report.wait_for(timeout=3 * TIMEOUT_MS)  # every citation resolved: minutes on a loaded 2-core machine
        assert "Nghị định 72/2015/NĐ-CP không có Điều 99" in report.inner_text()
        shown(pg, report.get_by_text("không có Điều 99").first, viewport, "basis", "#kb-desk-check")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_trace_of_a_letter_in_view(browser, desk_server, viewport):
    with desk_page(browser, desk_server, viewport) as pg:
        run_draft(pg, LETTER, "01/12/2024", "kb-desk-trace")
        report = pg.locator("#kb-desk-report", has_text="Mục (3)")
        report.wait_for(timeout=3 * TIMEOUT_MS)  # each task retrieved and scored
        text = report.inner_text()
        assert "8 nhiệm vụ" in text and "Công văn 1578/BTTTT-TTĐN" in text
        shown(pg, report.get_by_text("Mục (3)").first, viewport, "trace", "#kb-desk-trace")
