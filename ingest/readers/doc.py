"""Word 97–2003 (.doc) -> text lines, through antiword (Debian package `antiword`).

antiword reads the Word binary itself (piece table, fast-saved files, Unicode text, tables) and
writes UTF-8 with one paragraph per line (-w 0). Chosen over catdoc (same age, but guesses the
paragraph structure less faithfully and prints blank lines between every paragraph) and over an
OLE reader from PyPI (olefile only opens the container: the Word text structures would be ours to
parse and maintain). Files that are not really Word binaries but carry the .doc name, as web
sites and mail clients produce them, are read by what they are: a .docx (zip) by the DOCX reader,
a Word "web page" by the HTML reader; an RTF is refused with what to do.
"""
from __future__ import annotations

import os
import shutil
import subprocess

from ingest.model import ReaderError

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
INSTALL_HINT = "apt-get install antiword"
TIMEOUT_S = 60


def antiword_binary() -> str | None:
    return shutil.which("antiword")


def sniff_doc(head: bytes) -> str:
    """What a file named .doc really is: "ole", "docx", "rtf", "html" or "unknown"."""
    if head.startswith(OLE_MAGIC):
        return "ole"
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(b"{\\rtf"):
        return "rtf"
    if start.startswith((b"<html", b"<!doctype html", b"<?xml", b"mime-version")) or b"<html" in start[:2048]:
        return "html"
    return "unknown"


def read_doc_text(path) -> str:
    """The text of a Word 97–2003 binary, one paragraph per line. ReaderError (naming the file) otherwise."""
    binary = antiword_binary()
    if binary is None:
        raise ReaderError(str(path), f"tệp Word .doc cần chương trình antiword để đọc mà máy chưa cài; "
                                     f"cài: {INSTALL_HINT} (hoặc mở bằng Word và lưu thành .docx)")
    # antiword looks for its mapping files under $HOME/.antiword before /usr/share/antiword
    env = {**os.environ, "HOME": os.environ.get("HOME", "/nonexistent")}
    try:
        done = subprocess.run([binary, "-m", "UTF-8.txt", "-w", "0", str(path)], capture_output=True,
                              timeout=TIMEOUT_S, env=env, check=False)
    except subprocess.TimeoutExpired:
        raise ReaderError(str(path), f"đọc tệp Word .doc quá {TIMEOUT_S} giây (antiword) — tệp có thể hỏng") from None
    message = done.stderr.decode("utf-8", "replace").strip()
    if done.returncode != 0 or not done.stdout.strip():
        detail = _explain(message)
        raise ReaderError(str(path), f"không đọc được tệp Word .doc ({detail}); mở bằng Word và lưu thành .docx "
                                     "hoặc PDF rồi nạp lại")
    return done.stdout.decode("utf-8", "replace")


def _explain(message: str) -> str:
    """antiword's English message in a word staff can act on."""
    low = message.lower()
    if "not a word document" in low:
        return "tệp không phải văn bản Word hoặc đã hỏng"
    if "encrypted" in low or "password" in low:
        return "tệp được bảo vệ bằng mật khẩu"
    if "too small" in low or "too old" in low:
        return "định dạng Word quá cũ hoặc tệp bị cắt cụt"
    return f"antiword: {message}" if message else "tệp không có nội dung văn bản"
