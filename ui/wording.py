"""What the web page says, in plain Vietnamese, when the layers below speak to the command line.

Readers, the store and the service word their messages for the terminal and the logs: they name
server paths, Python exception classes, `kb embed`, "vectơ", "Chroma". Officials and legal staff
read the same facts here without them; the full text stays in the audit log and on stderr.
"""
from __future__ import annotations

import re
from pathlib import PurePath

from ui.render import esc

# A Python exception class named in a message: "(BadZipFile)", "(ValueError: …)", "KeyError: 'x'".
_EXC_NAME = r"[A-Z][A-Za-z0-9]*(?:Error|Exception|Exit|Interrupt|File|Warning)"
_EXC_IN_PARENS = re.compile(rf"\s*\((?:[\w.]+\.)?{_EXC_NAME}\b(?::[^()]*)?\)")
_EXC_PREFIX = re.compile(rf"\b(?:[\w.]+\.)?{_EXC_NAME}:\s*")
# An absolute server path (POSIX or Windows), up to the next space, quote or colon-space.
_ABS_PATH = re.compile(r"(?<![\w/.])(?:/|[A-Za-z]:\\)[^\s:\"'“”()]+")
# The setting behind a limit ("…; giới hạn 200 MB, thiết lập KB_MAX_UNZIPPED_MB"): for the administrator.
_SETTING = re.compile(r"\s*\(thiết lập KB_[A-Z0-9_]+\)|[,;]?\s*thiết lập KB_[A-Z0-9_]+")


def plain_reason(message: str, file_name: str = "") -> str:
    """`message` without server paths (each becomes its file name), without Python exception
    names, and without a leading "<file>: " when the page already shows `file_name` beside it."""
    text = _EXC_IN_PARENS.sub("", str(message or ""))
    text = _EXC_PREFIX.sub("", text)
    text = _SETTING.sub("", text)
    text = _ABS_PATH.sub(lambda m: PurePath(m.group(0).replace("\\", "/")).name, text)
    if file_name:
        text = re.sub(rf"^\s*{re.escape(file_name)}\s*:\s*", "", text)
    return re.sub(r"\s{2,}", " ", text).strip() or "không đọc được tệp"


def search_readiness(progress) -> str:
    """The Văn bản tab's line while clauses are still being prepared for search by meaning
    (qa.types.EmbedProgress); nothing once every clause is ready."""
    nodes, dense = getattr(progress, "nodes", 0), getattr(progress, "dense", 0)
    if not nodes or dense >= nodes:
        return ""
    pct = 100.0 * dense / nodes
    line = (f"Đang chuẩn bị tìm theo nghĩa: {dense:,}/{nodes:,} đoạn đã sẵn sàng ({pct:.0f}%)".replace(",", "."))
    eta = getattr(progress, "eta_s", None)
    if getattr(progress, "active", False) and eta:
        line += ", còn khoảng " + (f"{eta / 3600:.1f} giờ".replace(".", ",") if eta >= 3600
                                   else f"{max(eta / 60, 1):.0f} phút")
    return line + ". Trong lúc chờ, mọi đoạn vẫn tìm được theo từ ngữ."


def ingest_step(fraction: float | None, message: str) -> tuple[str, float | None]:
    """One progress report of an ingest as (what the page says, fraction or None when unknown).

    Reading a file reports nothing until the file is read, so that step has no fraction (the bar
    moves without a number instead of standing at 0 %)."""
    m = (message or "").strip()
    counts = re.search(r"(\d+)/(\d+)\s*$", m)
    if m.startswith("Đọc "):
        return f"Đang đọc và phân tích tệp {plain_reason(m[4:])}…", None
    if m.startswith("Chuẩn bị tìm theo nghĩa"):
        done = f" ({counts[1]}/{counts[2]} đoạn)" if counts else ""
        return f"Đang chuẩn bị tìm theo nghĩa{done}…", fraction
    if m.startswith(("Đồng bộ chỉ mục", "Chroma")):
        done = f" ({counts[1]}/{counts[2]} đoạn)" if counts else ""
        return f"Đang cập nhật chỉ mục tìm kiếm{done}…", fraction if counts else None
    if not m or m.startswith("Bắt đầu"):
        return "Đang bắt đầu nạp…", None
    return plain_reason(m).rstrip(".…") + "…", None


def render_ingest_progress(fraction: float | None, message: str) -> str:
    """The ingest's progress under its button: the step in words, and a bar (role=status, so a
    screen reader hears each step)."""
    text, known = ingest_step(fraction, message)
    bar = (f'<progress max="100" value="{round(min(max(known, 0.0), 1.0) * 100)}" aria-hidden="true"></progress>'
           if known is not None else '<progress aria-hidden="true"></progress>')
    return f'<div class="kb-progress" role="status"><span>{esc(text)}</span>{bar}</div>'
