"""`kb compare` as plain text: a summary line, the header facts that differ, then each change
(ingest.compare.outline) with its word diff, "[-bị bỏ-]{+thêm mới+}" as wdiff writes it, so that
the output reads the same in a terminal, a pipe or a file."""
from __future__ import annotations

from core.vocab import format_iso
from ingest.compare import DocumentDiff, outline, word_diff

LEGEND = "[-…-]: chữ bị bỏ; {+…+}: chữ thêm mới"
_DATES = ("issued_on", "effective_from")


def marked(spans) -> str:
    """Word-diff spans as one text: "mỗi năm [-một-]{+hai+} lần"."""
    return "".join(t if op == "same" else (f"[-{t}-]" if op == "del" else f"{{+{t}+}}") for op, t in spans)


def _indented(text: str, prefix: str) -> list[str]:
    return [prefix + line for line in text.splitlines() or [""]]


def _article_body(a) -> list[str]:
    """What one article change shows under its headline."""
    if a.status == "added":
        return _indented(a.new_text, "    ")
    if a.status == "removed":
        return _indented(a.old_text, "    ")
    if a.status != "changed":
        return []
    out = []
    if a.old_title != a.new_title:
        out.append("    Tên điều: " + marked(word_diff(a.old_title, a.new_title)))
    if a.old_text != a.new_text and not a.clauses:  # the text differs only between its khoản
        out += _indented(marked(a.spans), "    ")
    for line, changes in outline(a.clauses):
        c = changes[0]
        if c.status == "renumbered":
            out.append(f"    – {line}")
            continue
        text = marked(c.spans) if c.status == "changed" else (c.new_text if c.status == "added" else c.old_text)
        out.append(f"    – {line}:")
        out += _indented(text, "      ")
    return out


def render_text(diff: DocumentDiff) -> str:
    lines = [f"So sánh: {diff.old_name or diff.old_key} → {diff.new_name or diff.new_key}",
             f"Tóm tắt: {diff.summary()}"]
    if diff.fields:
        lines.append("Thông tin nhận dạng khác nhau:")
        for f in diff.fields:
            old, new = (format_iso(f.old), format_iso(f.new)) if f.name in _DATES else (f.old, f.new)
            lines.append(f"  {f.label}: {old or '—'} → {new or '—'}")
    if diff.identical:
        lines.append("Hai bản giống nhau: cùng thông tin nhận dạng, cùng nội dung các điều.")
    elif not diff.articles:
        lines.append("Nội dung các điều không thay đổi.")
    else:
        lines.append(f"Các thay đổi ({LEGEND}):")
        for line, changes in outline(diff.articles):
            a = changes[0]
            title = f". {a.title}" if len(changes) == 1 and a.title and a.status != "renumbered" else ""
            lines.append(f"• {line[:1].upper()}{line[1:]}{title}")
            if len(changes) == 1:
                lines += _article_body(a)
    return "\n".join(lines)
