"""Named text-cleaning steps shared by the readers (pure functions)."""
from __future__ import annotations

import html
import re

from lxml import html as lxml_html

from core.vocab import nfc, strip_controls

_BLOCK_TAGS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section", "article"}


def normalize_unicode(text: str) -> str:
    """NFC, so that composed and decomposed Vietnamese compare equal."""
    return nfc(text)


def normalize_spaces(text: str) -> str:
    """Non-breaking and odd spaces become plain spaces; runs collapse; ends trimmed; other control
    characters are dropped (vocab.strip_controls), so stored text never carries one."""
    text = text.replace("\xa0", " ").replace("\u200b", "").replace("\ufeff", "")
    return strip_controls(re.sub(r"[ \t\r\f\v]+", " ", text)).strip()


def clean_line(text: str) -> str:
    return normalize_spaces(normalize_unicode(text))


def clean_lines(lines) -> list[str]:
    """Clean each line and drop empty ones."""
    out = []
    for line in lines:
        line = clean_line(line)
        if line:
            out.append(line)
    return out


def html_fragment_to_lines(fragment: str) -> list[str]:
    """Block-level elements become lines; table cells are joined with " | "."""
    if not fragment.strip():
        return []
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    lines: list[str] = []
    buf: list[str] = []

    def flush():
        if buf:
            lines.append("".join(buf))
            buf.clear()

    def walk(el):
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("script", "style"):
            if el.tail:
                buf.append(el.tail)
            return
        block = tag in _BLOCK_TAGS
        if block:
            flush()
        if el.text:
            buf.append(el.text)
        for child in el:
            walk(child)
            if child.tag in ("td", "th"):
                buf.append(" | ")
        if block:
            flush()
        if el.tail:
            buf.append(el.tail)

    walk(root)
    flush()
    return clean_lines(html.unescape(l).rstrip(" |") for l in lines)
