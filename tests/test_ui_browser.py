"""End to end in Chromium (Playwright) against `kb serve` over the đề mục 32.1 home.

Every page records the URLs it requests; none may leave 127.0.0.1 / localhost (offline use).
Set KB_SCREENSHOT_DIR to keep screenshots (docs/screenshot-answer.png is made this way).
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

from conftest import UI_ACCOUNTS
from ui.audit import FeedbackLog, file_sha256, read_jsonl

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT_MS = 90_000
SYNTHETIC_DECREE = [  # SYNTHETIC test data, not law: a made-up decree with made-up content
    "CHÍNH PHỦ THỬ NGHIỆM",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Số: 999/2099/NĐ-CP",
    "Hà Nội, ngày 07 tháng 9 năm 2099",
    "NGHỊ ĐỊNH",
    "VỀ NGÀY KỲ LÂN THỬ NGHIỆM",
    "Căn cứ Luật Thử nghiệm giả định ngày 01 tháng 01 năm 2098;",
    "Chính phủ ban hành Nghị định về Ngày Kỳ Lân thử nghiệm.",
    "Chương I",
    "QUY ĐỊNH CHUNG",
    "Điều 1. Phạm vi điều chỉnh",
    "Nghị định mẫu này chỉ dùng để kiểm thử giao diện, không có giá trị pháp lý.",
    "Điều 2. Tổ chức Ngày Kỳ Lân thử nghiệm",
    "1. Bộ Thử nghiệm và Mẫu chủ trì tổ chức Ngày Kỳ Lân thử nghiệm tại các tỉnh mẫu.",
    "2. Ngày Kỳ Lân thử nghiệm được tổ chức mỗi năm một lần vào tháng Mười Ba giả định.",
    "Điều 3. Hiệu lực thi hành",
    "Nghị định mẫu này có hiệu lực thi hành kể từ ngày 22 tháng 10 năm 2099.",
]


@pytest.fixture
def page(browser, ui_server):
    """A fresh browser session (own cookies, own Gradio session) that records every request."""
    origin = ui_server.url.rstrip("/")
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    pg.requested = []
    pg.on("request", lambda r: pg.requested.append(r.url))
    pg.goto(ui_server.url, wait_until="load")
    pg.locator("#kb-chat").wait_for()
    yield pg
    outside = sorted({u for u in pg.requested
                      if urlparse(u).scheme in ("http", "https", "ws", "wss")
                      and urlparse(u).hostname not in ("127.0.0.1", "localhost")})
    context.close()
    assert pg.requested and not outside, f"requests leaving localhost: {outside}"


def field(pg, elem_id: str):
    return pg.locator(f"#{elem_id} textarea, #{elem_id} input").first


def shot(pg, name: str) -> None:
    target = os.environ.get("KB_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(Path(target) / name), full_page=True)


def ask(pg, question: str):
    before = pg.locator("#kb-chat .kb-turn").count()
    field(pg, "kb-question").fill(question)
    pg.locator("#kb-ask-btn").click()
    turn = pg.locator("#kb-chat .kb-turn").nth(before)
    turn.locator(".kb-a:not(.kb-pending)").wait_for()
    return turn


def login(pg, user: str, password: str) -> None:
    pg.get_by_role("tab", name="Văn bản").click()
    field(pg, "kb-user").fill(user)
    field(pg, "kb-pass").fill(password)
    pg.locator("#kb-login-btn").click()


def upload_file(pg, path) -> None:
    """Choose a file in the upload widget and wait until Gradio shows it. Under heavy load the
    widget has been seen to drop the first change event: one retry (a refused upload fails both)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in (1, 2):
        pg.locator("#kb-upload input[type=file]").set_input_files(str(path))
        try:
            pg.locator("#kb-upload", has_text=Path(path).name).wait_for(timeout=TIMEOUT_MS // 2)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise


def choose(pg, elem_id: str, text: str) -> None:
    """Pick an option of a gr.Dropdown by typing part of its label."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = pg.locator(f"#{elem_id} input").first
    box.click()
    box.fill(text)
    try:
        pg.locator(f"#{elem_id} [role=option]", has_text=text).first.click(timeout=15_000)
    except PlaywrightTimeout:
        # Far down a long tab the option list can open outside the viewport, where no click lands:
        # the keyboard picks the first option the typed text leaves, as a user would.
        box.press("ArrowDown")
        box.press("Enter")
    pg.wait_for_function(f"document.querySelector('#{elem_id} input').value.includes({text!r})")


def test_ask_cites_nd72_and_opens_the_clause(page, ui_server):
    turn = ask(page, "Ai quy định việc tổ chức Ngày Việt Nam ở nước ngoài?")
    chips = turn.locator(".kb-chip")
    assert chips.count() >= 1
    chip = chips.filter(has_text="Nghị định 72/2015/NĐ-CP").first
    citation = re.sub(r"^\[\d+\]\s*", "", chip.locator(".kb-chip-cite").inner_text()).strip()
    assert "Ngày Việt Nam ở nước ngoài" in turn.inner_text()
    assert "Chế độ" not in turn.inner_text()  # a verbatim answer carries no mode label (only the assistant's does)
    chip.click()
    panel = page.locator("#kb-clause .kb-clause[data-node]")
    panel.wait_for()
    text = panel.inner_text()
    assert citation in text
    assert "Nghị định 72/2015/NĐ-CP › Chương" in text and "› Điều 14" in text
    assert "Còn hiệu lực" in text and "22/10/2015" in text
    assert "Được hướng dẫn bởi Thông tư" in text
    assert "Ngày Việt Nam ở nước ngoài" in panel.locator(".kb-verbatim").first.inner_text()
    shot(page, "screenshot-answer.png")
    # copy with citation: «quote» (canonical citation)
    panel.locator(".kb-copy").first.click()
    page.wait_for_function("window.kbLastCopied !== undefined")
    copied = page.evaluate("window.kbLastCopied")
    assert copied.startswith("«") and copied.endswith(f"» ({citation})")
    assert page.evaluate("navigator.clipboard.readText()") == copied
    # thumbs up is stored with question, answer, citations and time
    turn.locator(".kb-fb-up").click()
    page.locator('#kb-chat .kb-fb-up[aria-pressed="true"]').wait_for()
    fb = FeedbackLog(ui_server.home / "feedback.sqlite3").rows()[-1]
    assert fb["rating"] == "up" and fb["question"] == "Ai quy định việc tổ chức Ngày Việt Nam ở nước ngoài?"
    assert fb["answer"] and any(c["citation"] == citation for c in fb["citations"]) and fb["ts"]
    # history: a second question keeps the first
    ask(page, "Thông tin chính thức về Việt Nam được cung cấp bằng những hình thức nào?")
    assert page.locator("#kb-chat .kb-turn").count() == 2
    # LLM mode is not selectable without an LLM endpoint
    assert page.locator('#kb-mode input[value="llm"]').is_disabled()


def test_no_basis_answer_is_plain(page):
    """Said plainly; the clauses it names as nearest are chips that open the clause, nothing is quoted."""
    turn = ask(page, "xyzzy plugh qwerty")
    a = turn.locator(".kb-a")
    assert a.get_attribute("data-basis") == "none"
    assert a.locator(":scope > .kb-para").inner_text().startswith("Không tìm thấy căn cứ trong cơ sở dữ liệu")
    assert turn.locator('.kb-chip:not([data-action="near"])').count() == 0
    assert turn.locator("details[open], .kb-a > blockquote").count() == 0


def test_vietnamese_text_uses_local_system_fonts(page):
    """No web font: the theme names system fonts with Vietnamese glyphs; Chromium really draws the
    question's diacritics with an installed font (DevTools: platform fonts used for the node)."""
    turn = ask(page, "Thông tin chính thức về Việt Nam được cung cấp bằng những hình thức nào?")
    family = page.evaluate("getComputedStyle(document.querySelector('#kb-chat')).fontFamily")
    assert "DejaVu Sans" in family and "Source Sans" not in family, family
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "#kb-chat .kb-q .kb-para"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    assert fonts and fonts[0]["familyName"] in ("DejaVu Sans", "Noto Sans", "Segoe UI", "Arial"), fonts
    assert sum(f["glyphCount"] for f in fonts) >= len("Thông tin chính thức về Việt Nam") - 6, fonts
    assert "ệ" in turn.locator(".kb-q").inner_text()
    assert not any("fonts.googleapis" in u or "fonts.gstatic" in u for u in page.requested)


def test_invalid_as_of_date_is_explained(page):
    field(page, "kb-as-of").fill("31/02/2020")
    turn = ask(page, "Ai quy định việc tổ chức Ngày Việt Nam ở nước ngoài?")
    assert "không hợp lệ" in turn.locator(".kb-error").inner_text()


def test_lookup_tree_and_catalogue(page):
    page.get_by_role("tab", name="Tra cứu").click()
    field(page, "kb-ref").fill("khoản 3 Điều 7 Nghị định 72/2015/NĐ-CP")
    page.locator("#kb-lookup-btn").click()
    found = page.locator("#kb-lookup-result .kb-found")
    found.wait_for()
    assert "Thông tin chính thức về Việt Nam được cung cấp bằng các hình thức sau đây" in found.inner_text()
    assert "Khoản 3 Điều 7 Nghị định 72/2015/NĐ-CP" in found.inner_text()
    found.locator(".kb-copy:not(.kb-copy-formal)").click()
    page.wait_for_function("window.kbLastCopied !== undefined")
    assert page.evaluate("window.kbLastCopied").endswith("» (Khoản 3 Điều 7 Nghị định 72/2015/NĐ-CP)")
    # not found, with suggestions that can be clicked
    field(page, "kb-ref").fill("Điều 7 Nghị định 999/1999/NĐ-CP")
    page.locator("#kb-lookup-btn").click()
    page.locator("#kb-lookup-result .kb-notfound").wait_for()
    # the catalogue: loaded documents open a tree; missing ones are greyed with the note
    missing = page.locator("#kb-catalogue li.kb-missing")
    if missing.count():
        assert "cán bộ pháp chế cần bổ sung" in missing.first.inner_text()
        assert missing.first.locator("button").count() == 0
    page.locator("#kb-catalogue .kb-doclink", has_text="Nghị định 72/2015/NĐ-CP").click()
    page.locator("#kb-tree .kb-unit").first.wait_for()
    assert "Nghị định 72/2015/NĐ-CP" in page.locator("#kb-tree .kb-citation").first.inner_text()
    unit7 = page.locator("#kb-tree .kb-unit", has_text="Điều 7.").first
    unit7.locator("summary").first.click()
    assert "Thông tin chính thức về Việt Nam được cung cấp bằng các hình thức sau đây" in unit7.inner_text()


def test_anonymous_cannot_manage_documents(page):
    page.get_by_role("tab", name="Văn bản").click()
    page.locator("#kb-login-btn").wait_for()
    assert "chỉ đọc" in page.locator("#kb-session").inner_text()
    for control in ("#kb-upload", "#kb-preview-btn", "#kb-ingest-btn", "#kb-remove-btn"):
        assert page.locator(control).count() == 0, control
    # the list is readable (it arrives with the page's load event: waited for, not read at once — CI
    # once read it empty before the load ended)
    page.locator("#kb-docs", has_text="72/2015/NĐ-CP").wait_for()


def test_official_cannot_manage_and_bad_password_is_audited(page, ui_server):
    login(page, "canbo", "sai-mat-khau")
    page.locator("#kb-login-msg", has_text="không đúng").wait_for()
    failures = [r for r in read_jsonl(ui_server.home / "audit.jsonl") if r["action"] == "login_failed"]
    assert failures and failures[-1]["user"] == "canbo"
    field(page, "kb-pass").fill(UI_ACCOUNTS["canbo"][1])
    page.locator("#kb-login-btn").click()
    page.locator("#kb-session", has_text="chỉ đọc").wait_for()
    page.locator("#kb-logout-btn").wait_for()
    for control in ("#kb-upload", "#kb-preview-btn", "#kb-ingest-btn", "#kb-remove-btn"):
        assert page.locator(control).count() == 0, control


def test_legal_staff_uploads_a_synthetic_decree_asks_and_removes_it(page, ui_server, tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    try:
        from synthetic_docs import write_docx
    except ImportError:  # pragma: no cover - the helper module is another engineer's
        from docx import Document

        def write_docx(path, lines):
            d = Document()
            for line in lines:
                d.add_paragraph(line)
            d.save(str(path))
            return Path(path)
    docx = write_docx(tmp_path / "nghi-dinh-999-2099-thu-nghiem.docx", SYNTHETIC_DECREE)
    login(page, "phapche", UI_ACCOUNTS["phapche"][1])
    page.locator("#kb-upload").wait_for()
    assert "cán bộ pháp chế" in page.locator("#kb-session").inner_text()
    upload_file(page, docx)
    page.locator("#kb-preview-btn").click()
    preview = page.locator("#kb-preview .kb-preview")
    preview.wait_for()
    assert "999/2099/NĐ-CP" in preview.inner_text() and "Văn bản mới" in preview.inner_text()
    assert "22/10/2099" in preview.inner_text()
    # staff correct a detected field before committing (the effective date here)
    page.locator("#kb-fix").click()
    field(page, "kb-fix-number").wait_for()
    page.wait_for_function("document.querySelector('#kb-fix-number textarea, #kb-fix-number input').value !== ''")
    field(page, "kb-fix-effective_from").fill("01/01/2020")
    page.locator("#kb-fix-btn").click()
    page.locator("#kb-preview", has_text="đã sửa thông tin").wait_for()
    assert "01/01/2020" in page.locator("#kb-preview").inner_text()
    page.locator("#kb-ingest-btn").click()
    page.locator("#kb-ingest-report .kb-report").wait_for()
    assert "1 văn bản" in page.locator("#kb-ingest-report").inner_text()
    page.locator("#kb-docs", has_text="999/2099/NĐ-CP").wait_for()
    log = read_jsonl(ui_server.home / "audit.jsonl")
    up = [r for r in log if r["action"] == "upload" and "999/2099/NĐ-CP" in r["target"]][-1]
    assert up["user"] == "phapche" and up["sha256"] == file_sha256(docx) and up["outcome"] == "ok"
    assert up["detail"]["overrides"] == {"999/2099/NĐ-CP": {"effective_from": "2020-01-01"}}
    # the new decree answers questions
    page.get_by_role("tab", name="Hỏi đáp").click()
    turn = ask(page, "Ai chủ trì tổ chức Ngày Kỳ Lân thử nghiệm?")
    turn.locator(".kb-chip", has_text="Nghị định 999/2099/NĐ-CP").first.wait_for()
    shot(page, "upload-answer.png")
    # and can be removed again
    page.get_by_role("tab", name="Văn bản").click()
    choose(page, "kb-remove-choice", "999/2099/NĐ-CP")
    page.locator("#kb-remove-confirm input").check()
    page.locator("#kb-remove-btn").click()
    page.locator("#kb-remove-msg", has_text="Đã gỡ").wait_for()
    assert "999/2099/NĐ-CP" not in page.locator("#kb-docs").inner_text()
    assert any(r["action"] == "remove" and r["target"] == "999/2099/NĐ-CP"
               for r in read_jsonl(ui_server.home / "audit.jsonl"))
