"""In Chromium against `kb serve` over đề mục 32.1: every tab, as a visitor and as legal staff, on a
desktop and on a phone (one page load each), read the way its users read it.

- Words: every visible string (and every label a screen reader reads) is Vietnamese; an ASCII word
  must be a Vietnamese syllable written without marks or one of ALLOWED_ASCII (formats, units).
- WCAG AA: axe-core (axe-playwright-python) finds no serious or critical violation; the computed
  colours of every visible text, placeholder and focus ring reach 4.5:1 (3:1 for large text and
  rings); on the phone every control is at least 44 x 44 px and summaries keep their ▶ marker.
- Keyboard: a skip link is the first Tab stop; arrow keys, Home and End move between tabs.
- A found lookup result is announced (a live region); staff see a too-large upload and a damaged
  DOCX explained in Vietnamese, without Gradio's English toast, a server path or an exception name.

Files uploaded here are SYNTHETIC (a made-up, damaged decree 998/2099); nothing is ingested.
"""
from __future__ import annotations

import re
import zipfile

import pytest

from conftest import UI_ACCOUNTS
from test_ui_browser import TIMEOUT_MS, ask, field, login

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
QUESTION = "Ai quy định việc tổ chức Ngày Việt Nam ở nước ngoài?"
# ASCII words people may read that are not Vietnamese syllables: file formats (also as extensions),
# units, the date format, "internet" as the law writes it, and the test accounts' names (conftest).
ALLOWED_ASCII = ({"PDF", "DOCX", "DOC", "HTML", "HTM", "TXT", "CSV", "Word", "LibreOffice", "MB", "KB", "B", "dd", "mm", "yyyy",
                  "internet", "Internet"} | {f.lower() for f in ("PDF", "DOCX", "DOC", "HTML", "HTM", "TXT")}
                 | set(UI_ACCOUNTS))
# Vietnamese syllables written without diacritics (what is left of a Vietnamese word in plain ASCII).
VI_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
    r"(?:uye|uya|uyu|uoi|uou|uay|oai|oay|oeo|ieu|yeu|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|ua|ue|ui|uo|uu|uy|ye|[aeiouy])"
    r"(?:ng|nh|ch|[cmnpt])?", re.I)
ENGLISH = ["Error", "Warning", "queue", "processing", "Use via API", "Built with", "Drop File", "Click to Upload",
           "exceed", "LLM", "vectơ", "mã băm", "corpus"]

# Visible text nodes and the labels screen readers read, of the open tab and the page around it.
STRINGS_JS = """() => {
  const shown = (el) => el && el.getClientRects().length > 0 && !el.closest('[aria-hidden="true"]')
    && getComputedStyle(el).visibility !== "hidden";
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.nodeValue.trim();
    if (t && n.parentElement && !n.parentElement.closest("script, style") && shown(n.parentElement)) out.push(t);
  }
  for (const el of document.querySelectorAll("[aria-label], [title], [placeholder], [alt], [aria-valuetext]")) {
    if (!shown(el)) continue;
    for (const a of ["aria-label", "title", "placeholder", "alt", "aria-valuetext"]) {
      const v = el.getAttribute(a);
      if (v && v.trim()) out.push(v.trim());
    }
  }
  return out;
}"""

# Contrast of every visible text (and placeholder) against the colours actually behind it.
CONTRAST_JS = """() => {
  const rgba = (c) => { const m = /rgba?\\(([^)]+)\\)/.exec(c || ""); if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, bottom) => { const a = top[3]; return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1); };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const behind = (el) => {  // the background under el, its translucent layers composed; null over an image
    const layers = [];
    for (let a = el; a; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.backgroundImage && cs.backgroundImage !== "none") return null;
      const c = rgba(cs.backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    return layers.reverse().reduce((acc, c) => over(c, acc), [255, 255, 255, 1]);
  };
  const opacity = (el) => { let o = 1; for (let a = el; a; a = a.parentElement) o *= Number(getComputedStyle(a).opacity); return o; };
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden"
    && !el.closest('[aria-hidden="true"], .visually-hidden, .sr-only, [disabled], .disabled, [aria-disabled="true"]');
  const bad = [];
  const check = (el, colour, what) => {
    const bg = behind(el); const fg = rgba(colour);
    if (!bg || !fg) return;
    fg[3] *= opacity(el);
    const cs = getComputedStyle(el); const size = parseFloat(cs.fontSize); const bold = Number(cs.fontWeight) >= 700;
    const need = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5;
    const r = ratio(over(fg, bg), bg);
    if (r < need - 0.005) bad.push(`${r.toFixed(2)}:1 < ${need} ${what} «${(el.innerText || el.placeholder || "").trim().slice(0, 40)}» `
      + `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${String(el.className).slice(0, 40)}`);
  };
  for (const el of document.querySelectorAll("body *")) {
    if (!shown(el) || el.closest("script, style, svg")) continue;
    const text = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.nodeValue.trim());
    if (text) check(el, getComputedStyle(el).color, "chữ");
    if ((el.tagName === "INPUT" || el.tagName === "TEXTAREA") && el.placeholder && !el.value)
      check(el, getComputedStyle(el, "::placeholder").color, "chữ gợi ý");
  }
  return bad;
}"""

# The focus indicator of the focused element: its outline, else its box-shadow ring, against the page.
FOCUS_RING_JS = """() => {
  const el = document.activeElement;
  const cs = getComputedStyle(el);
  const rgba = (c) => { const m = /rgba?\\(([^)]+)\\)/.exec(c || ""); if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2]]; };
  const ring = cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0 ? cs.outlineColor
    : (cs.boxShadow !== "none" ? cs.boxShadow : null);
  let bg = [255, 255, 255];
  for (let a = el.parentElement; a; a = a.parentElement) {
    const c = /rgba?\\(([^)]+)\\)/.exec(getComputedStyle(a).backgroundColor);
    if (c && (c[1].split(/[\\s,\\/]+/).length < 4 || Number(c[1].split(/[\\s,\\/]+/)[3]) > 0.99)) { bg = rgba(c[0]); break; }
  }
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const fg = ring && rgba(ring);
  if (!fg) return {ratio: 0, what: el.outerHTML.slice(0, 80)};
  const [x, y] = [lum(fg), lum(bg)].sort((p, q) => q - p);
  return {ratio: (x + 0.05) / (y + 0.05), what: el.outerHTML.slice(0, 80)};
}"""

# Controls smaller than 44 x 44 px (a checkbox or radio counts with its label).
SMALL_TARGETS_JS = """() => {
  const sel = 'button, a[href], [role="tab"], summary, input, textarea, select, [role="button"]';
  const out = [];
  for (const el of document.querySelectorAll(sel)) {
    if (!el.getClientRects().length || el.closest('[aria-hidden="true"], .visually-hidden')) continue;
    if (el.matches("input[type=file]") || getComputedStyle(el).visibility === "hidden") continue;
    const target = el.matches("input[type=checkbox], input[type=radio]") && el.closest("label") || el;
    const box = target.getBoundingClientRect();
    if (box.width < 43.5 || box.height < 43.5)
      out.push(`${Math.round(box.width)}x${Math.round(box.height)} ${target.tagName.toLowerCase()}${target.id ? "#" + target.id : ""} `
        + `«${(target.innerText || target.getAttribute("aria-label") || "").trim().slice(0, 30)}»`);
  }
  return out;
}"""


def open_page(browser, ui_server, viewport):
    phone = viewport is PHONE
    context = browser.new_context(viewport=viewport, locale="vi-VN", is_mobile=phone, has_touch=phone)
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    pg.goto(ui_server.url, wait_until="load")
    pg.locator("#kb-chat").wait_for()
    return context, pg


def not_vietnamese(strings: list[str]) -> list[str]:
    """ASCII words that are neither a Vietnamese syllable nor allowed; words with a digit (document
    numbers such as 72/2015/NĐ-CP, sizes, dates) are left out first."""
    found = []
    for s in strings:
        for word in re.findall(r"[^\W\d_]+", re.sub(r"\S*\d\S*", " ", s)):
            if (word.isascii() and word not in ALLOWED_ASCII and not VI_SYLLABLE.fullmatch(word)
                    and not re.fullmatch(r"[a-zđ]|[IVXLC]+", word)):  # a point "a)", a chapter "Chương II"
                found.append(f"{word!r} in {s[:80]!r}")
    return sorted(set(found))


class Audit:
    """Everything wrong on the page as seen so far, reported at once at the end."""

    def __init__(self, pg, phone: bool):
        self.pg, self.phone, self.problems = pg, phone, []

    def look(self, where: str) -> None:
        from axe_playwright_python.sync_playwright import Axe

        pg = self.pg
        pg.wait_for_timeout(300)  # Gradio's last layout pass after a value lands
        strings = pg.evaluate(STRINGS_JS)
        self.problems += [f"{where}: tiếng Anh/ký hiệu {w}" for w in not_vietnamese(strings)]
        text = "\n".join(strings)
        self.problems += [f"{where}: «{e}» hiện trên trang" for e in ENGLISH if re.search(rf"(?<!\w){e}(?!\w)", text)]
        for v in Axe().run(pg).response["violations"]:
            if v["impact"] in ("serious", "critical"):
                self.problems.append(f"{where}: axe {v['id']} ({v['impact']}): "
                                     + "; ".join(str(n["target"]) for n in v["nodes"][:5]))
        self.problems += [f"{where}: tương phản {c}" for c in pg.evaluate(CONTRAST_JS)]
        if self.phone:
            self.problems += [f"{where}: nút nhỏ hơn 44 px: {t}" for t in pg.evaluate(SMALL_TARGETS_JS)]

    def ring(self, where: str) -> None:
        got = self.pg.evaluate(FOCUS_RING_JS)
        if got["ratio"] < 3:
            self.problems.append(f"{where}: vòng tiêu điểm {got['ratio']:.2f}:1 < 3 ({got['what']})")


def selected_tab(pg) -> str:
    return pg.locator('[role="tablist"] [role="tab"][aria-selected="true"]').inner_text().strip()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_tab_in_vietnamese_at_wcag_aa(browser, ui_server, viewport, tmp_path):
    phone = viewport is PHONE
    context, pg = open_page(browser, ui_server, viewport)
    audit = Audit(pg, phone)
    try:
        # skip link: the first Tab stop, shown when focused; the next is the open tab; it lands in the tab
        pg.keyboard.press("Tab")
        assert pg.evaluate("document.activeElement.className") == "kb-skip"
        assert pg.locator(".kb-skip").bounding_box()["y"] >= 0
        audit.ring("liên kết bỏ qua")
        pg.keyboard.press("Tab")
        assert pg.evaluate("document.activeElement.getAttribute('aria-selected')") == "true"
        audit.ring("thẻ đang mở")
        pg.keyboard.press("Shift+Tab")
        pg.keyboard.press("Enter")
        assert pg.evaluate("document.activeElement.getAttribute('role')") == "tabpanel"
        field(pg, "kb-question").focus()
        audit.ring("ô câu hỏi")
        turn = ask(pg, QUESTION)
        assert "Chế độ" not in turn.inner_text()
        audit.look("Hỏi đáp")

        # the tab strip: one Tab stop (the open tab), arrow keys move and open
        tabs = pg.locator('[role="tablist"] [role="tab"]')
        stops = [t.get_attribute("tabindex") for t in tabs.all()]
        assert len(stops) >= 3 and stops == ["0"] + ["-1"] * (len(stops) - 1), stops
        tabs.first.focus()
        pg.keyboard.press("ArrowRight")
        pg.wait_for_function("document.activeElement.getAttribute('aria-selected') === 'true'"
                             " && document.activeElement.innerText.trim() === 'Tra cứu'")
        assert [t.get_attribute("tabindex") for t in tabs.all()] == ["-1", "0"] + ["-1"] * (len(stops) - 2)

        # Tra cứu: a found result is in a live region, said when it arrives
        field(pg, "kb-ref").fill("khoản 3 Điều 7 Nghị định 72/2015/NĐ-CP")
        pg.locator("#kb-lookup-btn").click()
        found = pg.locator("#kb-lookup-result .kb-found")
        found.wait_for()
        live = found.locator('xpath=ancestor::*[@aria-live="polite" or @role="status"][1]')
        assert live.count() == 1 and "Khoản 3 Điều 7" in live.inner_text()
        link = pg.locator("#kb-catalogue .kb-doclink", has_text="Nghị định 72/2015/NĐ-CP")
        link.scroll_into_view_if_needed()
        link.click()
        summary = pg.locator("#kb-tree summary").first
        summary.wait_for()
        marker = summary.evaluate("s => [getComputedStyle(s).display, getComputedStyle(s).listStyleType]")
        assert marker[0] == "list-item" and marker[1] != "none", marker  # ▶ / ▼ stays on the phone too
        audit.look("Tra cứu")

        pg.locator('[role="tab"][aria-selected="true"]').focus()
        pg.keyboard.press("End")
        pg.wait_for_function("document.activeElement.innerText.trim() === 'Văn bản'")
        assert selected_tab(pg) == "Văn bản"
        pg.locator("#kb-login-btn").wait_for()
        audit.look("Văn bản (khách)")
        pg.locator('[role="tab"][aria-selected="true"]').focus()
        pg.keyboard.press("Home")
        pg.wait_for_function("document.activeElement.innerText.trim() === 'Hỏi đáp'")
        assert selected_tab(pg) == "Hỏi đáp"

        login(pg, "phapche", UI_ACCOUNTS["phapche"][1])
        pg.locator("#kb-upload").wait_for()
        audit.look("Văn bản (cán bộ pháp chế)")
        if not phone:
            staff_messages_in_vietnamese(pg, ui_server, tmp_path)
            audit.look("Văn bản (cán bộ pháp chế, thông báo)")
        assert not audit.problems, "\n".join(audit.problems)
    finally:
        context.close()


def staff_messages_in_vietnamese(pg, ui_server, tmp_path) -> None:
    """A file over the upload limit and a damaged DOCX: said under the upload box, in Vietnamese."""
    limit_mb = 20  # KB_MAX_UPLOAD_MB's default, which the test server uses
    pg.locator("#kb-upload input[type=file]").set_input_files(files=[{
        "name": "nd998-2099-thu-nghiem-qua-lon.pdf", "mimeType": "application/pdf",
        "buffer": b"%PDF-1.4\n" + b"0" * ((limit_mb + 1) * 1024 * 1024)}])
    note = pg.locator("#kb-upload .kb-upload-note")
    note.wait_for()
    assert f"lớn hơn giới hạn {limit_mb} MB" in note.inner_text() and note.get_attribute("role") == "alert"
    pg.wait_for_timeout(500)
    assert pg.locator(".toast-wrap .toast-body, .toast-wrap [data-testid='toast-body']").count() == 0
    assert "Lỗi" not in pg.locator("#kb-upload").inner_text()  # the box is not left in Gradio's error state

    damaged = tmp_path / "nd998-2099-thu-nghiem-hong.docx"  # SYNTHETIC: a zip without any Word part
    with zipfile.ZipFile(damaged, "w") as z:
        z.writestr("ghi-chu.txt", "Tệp thử nghiệm, không phải DOCX.")
    pg.locator("#kb-upload input[type=file]").set_input_files(str(damaged))
    pg.locator("#kb-upload", has_text=damaged.name).wait_for()
    assert pg.locator("#kb-upload .kb-upload-note").count() == 0  # a good pick clears the refusal
    pg.locator("#kb-preview-btn").click()
    shown = pg.locator("#kb-preview .kb-error")
    shown.wait_for()
    text = shown.inner_text()
    assert "DOCX bị hỏng hoặc không phải DOCX" in text, text
    assert str(ui_server.home) not in text and "/uploads/" not in text and "BadZipFile" not in text, text
