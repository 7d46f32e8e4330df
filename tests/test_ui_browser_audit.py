"""Staff pages in Chromium (Playwright): “Nhật ký” (legal staff see the audit log and filter it;
anonymous visitors and officials never get it); a staff action clears what an earlier one said as soon
as it starts; a scan is previewed page image beside recognised text, and ingested without a second OCR.

Runs `kb serve` over an empty home (these pages need no documents), so it starts in seconds instead
of waiting for the đề mục 32.1 home the other browser modules share. Its `tesseract` is the real
one behind a wrapper on PATH that counts each recognition (tests/test_ocr_cache.py). Set
KB_SCREENSHOT_DIR to keep screenshots (docs/screenshot-desktop-audit.png, -scan-preview.png).
"""
from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from kb.bench_common import clean_env
from conftest import REPO, UI_ACCOUNTS, serve_for_test, stop_process, write_users_file
from test_ocr_cache import count, counting_tesseract
from ui.audit import read_jsonl

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("ui-audit")
    home, users = root / "home", write_users_file(root / "users.toml")
    env = clean_env()
    env.update(KB_USERS_FILE=str(users), KB_EMBEDDING="fake", GRADIO_ANALYTICS_ENABLED="False",
               ANONYMIZED_TELEMETRY="False")
    calls = None
    if shutil.which("tesseract"):
        with pytest.MonkeyPatch.context() as mp:  # the wrapper, and the PATH it sets, for the server only
            calls = counting_tesseract(root / "bin", mp)
            env["PATH"] = os.environ["PATH"]
    log = root / "serve.log"
    proc, url = serve_for_test(home, env, log, timeout=180)
    yield url, home, calls
    stop_process(proc, 20)


@pytest.fixture
def page(browser, empty_server):
    url = empty_server[0]
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    pg.requested = []
    pg.on("request", lambda r: pg.requested.append(r.url))
    pg.goto(url, wait_until="load")
    pg.locator("#kb-chat").wait_for()
    yield pg
    outside = {u for u in pg.requested if urlparse(u).hostname not in ("127.0.0.1", "localhost", None)}
    context.close()
    assert not outside, f"requests leaving localhost: {outside}"


def shot(locator, name: str) -> None:
    """A screenshot of one part of the page (KB_SCREENSHOT_DIR)."""
    target = os.environ.get("KB_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        locator.scroll_into_view_if_needed()
        locator.screenshot(path=str(Path(target) / name))


def field(pg, elem_id: str):
    return pg.locator(f"#{elem_id} textarea, #{elem_id} input").first


def login(pg, user: str, password: str) -> None:
    pg.get_by_role("tab", name="Văn bản").click()
    field(pg, "kb-user").fill(user)
    field(pg, "kb-pass").fill(password)
    pg.locator("#kb-login-btn").click()


def test_the_log_on_a_phone_fits_the_screen(browser, empty_server):
    """On a 390 px phone: the log opens, its table scrolls inside its own box (the page never scrolls
    sideways), and its controls are 44 px targets (docs/screenshot-phone-audit.png)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN", is_mobile=True,
                                  has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        pg = context.new_page()
        pg.goto(empty_server[0], wait_until="load")
        pg.locator("#kb-chat").wait_for()
        login(pg, "phapche", UI_ACCOUNTS["phapche"][1])
        pg.locator("#kb-manage").wait_for()
        pg.locator("#kb-audit").get_by_text("Nhật ký", exact=True).first.click()
        table = pg.locator("#kb-audit-table table.kb-audit")
        table.wait_for()
        assert "phapche" in table.inner_text()
        assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        box = pg.locator("#kb-audit-table").bounding_box()
        assert box["x"] >= -1 and box["x"] + box["width"] <= 391, box
        for control in ("#kb-audit-btn", "#kb-audit-csv-btn"):
            assert pg.locator(control).bounding_box()["height"] >= 44, control
        shot(pg.locator("#kb-audit"), "screenshot-phone-audit.png")
    finally:
        context.close()


def test_anonymous_and_officials_never_see_the_log(page):
    page.get_by_role("tab", name="Văn bản").click()
    page.locator("#kb-login-btn").wait_for()
    assert page.locator("#kb-audit").count() == 0 and page.get_by_text("Xem nhật ký").count() == 0
    login(page, "canbo", UI_ACCOUNTS["canbo"][1])
    page.locator("#kb-logout-btn").wait_for()
    page.locator("#kb-session", has_text="chỉ đọc").wait_for()
    assert page.locator("#kb-audit").count() == 0 and page.get_by_text("Xem nhật ký").count() == 0


def test_legal_staff_read_and_filter_the_log(page, empty_server):
    home = empty_server[1]
    login(page, "phapche", "synthetic-wrong-password")  # a refused attempt, to be found in the log
    page.locator("#kb-login-msg", has_text="không đúng").wait_for()
    field(page, "kb-pass").fill(UI_ACCOUNTS["phapche"][1])
    page.locator("#kb-login-btn").click()
    page.locator("#kb-manage").wait_for()
    # the login's refusal message went when the next login started (and the login itself says nothing)
    page.wait_for_function("!document.querySelector('#kb-login-msg').innerText.trim()")

    page.locator("#kb-audit").get_by_text("Nhật ký", exact=True).first.click()  # opening it shows the log
    table = page.locator("#kb-audit-table table.kb-audit")
    table.wait_for()
    text = table.inner_text()
    assert "Đăng nhập không thành công" in text and "sai tên đăng nhập hoặc mật khẩu" in text
    assert "phapche" in text and "login_failed" not in text  # the page says it in words, not codes
    shot(page.locator("#kb-audit"), "screenshot-desktop-audit.png")

    before = page.locator("#kb-audit-table .kb-meta").inner_text()
    page.locator("#kb-audit-refused input").check()
    page.locator("#kb-audit-btn").click()
    page.wait_for_function("(b) => { const m = document.querySelector('#kb-audit-table .kb-meta');"
                           " return m && m.innerText !== b; }", arg=before)
    rows = page.locator("#kb-audit-table tbody tr")
    assert rows.count() >= 1
    assert all("kb-audit-refused" in (rows.nth(i).get_attribute("class") or "") for i in range(rows.count()))

    page.locator("#kb-audit-csv-btn").click()
    page.locator("#kb-audit-msg", has_text="Tệp CSV gồm").wait_for()
    link = page.locator('#kb-audit-file a[href*="nhat-ky-kiem-toan.csv"]').first
    link.wait_for()
    with page.expect_download() as download:
        link.click()
    saved = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    exported = list(csv.DictReader(io.StringIO(saved)))
    assert exported and {r["Mã thao tác"] for r in exported} >= {"login_failed"}
    assert all(r["Mã kết quả"] in ("refused", "error") or r["Mã thao tác"] in ("denied", "login_failed")
               for r in exported)
    assert any(r["action"] == "audit_export" and r["user"] == "phapche" for r in read_jsonl(home / "audit.jsonl"))

    # a stale message goes the moment the next action starts: the removal's refusal, then a preview
    page.locator("#kb-remove-btn").click()
    page.locator("#kb-remove-msg", has_text="Chọn văn bản cần gỡ").wait_for()
    page.locator("#kb-preview-btn").click()
    page.locator("#kb-preview", has_text="Chọn ít nhất một tệp").wait_for()
    assert page.locator("#kb-remove-msg").inner_text().strip() == ""
    assert page.locator("#kb-audit-msg").inner_text().strip() == ""

    page.locator("#kb-logout-btn").click()
    page.locator("#kb-login-btn").wait_for()
    assert page.locator("#kb-audit-table table").count() == 0  # nothing of the log stays on the page


def test_a_scan_is_previewed_beside_its_text_and_ingested_without_a_second_ocr(page, empty_server, tmp_path):
    from conftest import DEMUC_32_1, require_shared
    from kb.synthetic_scan import article_lines, header_lines, render_pages, source_document, write_image_pdf

    calls = empty_server[2]
    if calls is None:
        pytest.skip("tesseract not installed (apt-get install tesseract-ocr tesseract-ocr-vie)")
    require_shared(DEMUC_32_1)
    doc = source_document()
    units = {u.number: u for u in doc.units}
    scan = write_image_pdf(tmp_path / "synthetic_scan_72_2015_dieu_22.pdf",
                           [next(render_pages(header_lines(doc) + article_lines(units["22"])))])
    before = count(calls)
    login(page, "phapche", UI_ACCOUNTS["phapche"][1])
    page.locator("#kb-manage").wait_for()
    page.locator("#kb-upload input[type=file]").set_input_files(str(scan))
    page.locator("#kb-upload", has_text=scan.name).wait_for()
    page.locator("#kb-preview-btn").click()
    shown = page.locator("#kb-preview .kb-scan-page").first
    shown.wait_for(timeout=240_000)  # one page through Tesseract on shared cores
    assert shown.locator("img[alt='Ảnh quét trang 1']").evaluate("i => i.complete && i.naturalWidth > 0")
    text = shown.locator(".kb-scan-text").inner_text()
    assert "Điều 22" in text and "Trang 1: độ tin cậy" in shown.inner_text()
    assert count(calls) - before == 1
    shot(page.locator("#kb-preview"), "screenshot-desktop-scan-preview.png")

    page.locator("#kb-ingest-btn").click()
    page.locator("#kb-ingest-report", has_text="Nạp xong").wait_for(timeout=240_000)
    page.locator("#kb-docs", has_text="72/2015/NĐ-CP").wait_for()
    assert count(calls) - before == 1, "the ingest ran Tesseract again instead of reusing the preview's page"
