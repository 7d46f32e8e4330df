"""The recognised text of a scan beside its page images, in the staff preview: staff read each
page's text against the picture of the page before they ingest it (a misread number or date
is caught here, not in an answer). Pure: the preview items in, escaped HTML out."""
from __future__ import annotations

import base64

from ui import render

MAX_PAGES = 20  # pages drawn in the preview; a longer scan names the rest


def page_images(kb, path: str, pages: list[dict]) -> dict[int, str]:
    """{page number: data URI} of the first MAX_PAGES pages (none when the service cannot draw them)."""
    draw = getattr(kb, "scan_page_image", None)
    out = {}
    for p in pages[:MAX_PAGES]:
        try:
            data = draw(path, p["number"]) if draw else None
        except Exception:  # a page that cannot be drawn is shown as text only
            data = None
        if data:
            out[p["number"]] = "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
    return out


def render_scan(item: dict) -> str:
    """One previewed file's scanned pages: the page image, then the text OCR recognised on it."""
    pages = item.get("scan_pages") or []
    if not pages:
        return ""
    images = item.get("scan_images") or {}
    rows = []
    for p in pages[:MAX_PAGES]:
        n = p["number"]
        conf = p.get("confidence")
        said = (f"độ tin cậy {conf:.0f}/100" if conf is not None else "không nhận ra chữ nào")
        if p.get("low"):
            said += " — kiểm tra kỹ trang này với bản giấy"
        image = images.get(n) or images.get(str(n))
        picture = (f'<img src="{image}" alt="Ảnh quét trang {n}" loading="lazy">' if image
                   else '<div class="kb-empty">Không hiện được ảnh trang này.</div>')
        low = " kb-scan-low" if p.get("low") else ""
        rows.append(f'<div class="kb-scan-page{low}"><figure>{picture}<figcaption>Trang {n}: {render.esc(said)}'
                    f'</figcaption></figure><pre class="kb-scan-text" aria-label="Chữ nhận dạng ở trang {n}">'
                    f'{render.esc(chr(10).join(p.get("lines") or []))}</pre></div>')
    more = (f'<div class="kb-note">Đang hiện {MAX_PAGES}/{len(pages)} trang.</div>' if len(pages) > MAX_PAGES else "")
    return (f'<details class="kb-scan" open><summary>Chữ nhận dạng (OCR) bên cạnh ảnh từng trang — '
            f'{render.esc(item.get("file", ""))}</summary>{"".join(rows)}{more}</details>')


def render_scans(previews: list[dict]) -> str:
    """Every previewed file's scanned pages, once per file."""
    seen, out = set(), []
    for item in previews:
        key = item.get("path") or item.get("file")
        if key in seen or not item.get("scan_pages"):
            continue
        seen.add(key)
        out.append(render_scan(item))
    return "".join(out)
