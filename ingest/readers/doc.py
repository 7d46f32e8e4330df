"""Word 97–2003 (.doc) -> text, read in Python: olefile opens the OLE container and the text is
taken through the document's piece table, as [MS-DOC] describes it (FIB -> Clx -> PlcPcd).

Why not a tool from apt: antiword (2005) crashed on our generated Word 97 files in about one run
out of three (SIGSEGV, depending on address-space layout), so the same file would be read or
refused at random; catdoc wraps and re-flows text and drops the soft-hyphen character, which is
TCVN3's "ư" (byte 0xAD). Reading the piece table ourselves is short, deterministic, and keeps that
byte (and Word's optional hyphen 0x1F) for the legacy-encoding step to decide on.

Only the main document text is read (not headers, footnotes or comments). Reading is bounded as
it goes: at most ccpText characters, never more bytes than the WordDocument stream holds (pieces
of a real file never overlap, so a piece table that re-reads the same bytes is refused before it
can expand a 1 MB file to 100 M characters), and the text-size limit (KB_MAX_UNZIPPED_MB). Fields keep their
shown result and drop their instructions. Word 6.0/95 and encrypted files are refused with
what to do. Files that carry the .doc name but are something else (a .docx, a Word "web page",
an RTF) are recognised by formats.read_doc_lines before this module is called.
"""
from __future__ import annotations

import re
import struct

from ingest.limits import DEFAULT_LIMITS, Limits, check_text_size
from ingest.model import ReaderError

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
WORD_IDENT = 0xA5EC
NFIB_WORD97 = 0x00C1  # Word 97 and later; Word 6.0/95 files have 0x65–0x68
SAVE_AS_DOCX = "mở bằng Word hoặc LibreOffice và lưu thành .docx rồi nạp lại"

# Word's special characters in the text stream -> what the reader sees.
_SPECIAL = {
    "\r": "\n",  # paragraph end
    "\x07": "\n",  # table cell / row end: one line per cell, as the DOCX reader gives them
    "\x0b": "\n",  # manual line break
    "\x0c": "\n",  # page or section break
    "\x0e": "\n",  # column break
    "\x1e": "-",  # non-breaking hyphen
    "\x1f": "\xad",  # optional hyphen: kept as U+00AD (TCVN3 "ư"), dropped later if not legacy text
    "\x01": "", "\x02": "", "\x03": "", "\x04": "", "\x05": "", "\x08": "",  # pictures, notes, objects
}


def sniff_doc(head: bytes) -> str:
    """What a file named .doc really is: "ole", "docx", "rtf", "html" or "unknown"."""
    if head.startswith(OLE_MAGIC):
        return "ole"
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(b"{\\rtf"):
        return "rtf"
    if start.startswith((b"<html", b"<!doctype html", b"<?xml")) or b"<html" in start[:2048]:
        return "html"
    return "unknown"


def _u16(data: bytes, at: int) -> int:
    return struct.unpack_from("<H", data, at)[0]


def _u32(data: bytes, at: int) -> int:
    return struct.unpack_from("<I", data, at)[0]


def read_doc_text(path, limits: Limits = DEFAULT_LIMITS) -> str:
    """The main text of a Word 97–2003 binary, one paragraph (or table cell) per line."""
    import olefile

    try:
        ole = olefile.OleFileIO(str(path))
    except (OSError, ValueError, struct.error) as exc:  # olefile raises OSError for a bad container
        raise ReaderError(str(path), f"không đọc được tệp Word .doc (tệp hỏng); {SAVE_AS_DOCX}") from exc
    try:
        if not ole.exists("WordDocument"):
            raise ReaderError(str(path), "tệp .doc này không phải văn bản Word (có thể là Excel hoặc PowerPoint)")
        word = ole.openstream("WordDocument").read()
        flags = _check_fib(path, word)
        table_name = "1Table" if flags & 0x0200 else "0Table"
        if not ole.exists(table_name):
            raise ReaderError(str(path), f"không đọc được tệp Word .doc (thiếu bảng {table_name}); {SAVE_AS_DOCX}")
        table = ole.openstream(table_name).read()
        text = _piece_text(path, word, table, limits)
    except (struct.error, IndexError, OSError) as exc:  # offsets pointing outside the streams
        raise ReaderError(str(path), f"không đọc được tệp Word .doc (tệp hỏng); {SAVE_AS_DOCX}") from exc
    finally:
        ole.close()
    return _clean(text)


def _check_fib(path, word: bytes) -> int:
    ident, nfib = _u16(word, 0), _u16(word, 2)
    if ident != WORD_IDENT:
        raise ReaderError(str(path), f"không đọc được tệp Word .doc (không có dấu hiệu tệp Word); {SAVE_AS_DOCX}")
    if nfib < NFIB_WORD97:
        raise ReaderError(str(path), f"tệp Word 6.0/95 (định dạng cũ hơn Word 97) chưa đọc được; {SAVE_AS_DOCX}")
    flags = _u16(word, 0x0A)
    if flags & 0x0100:  # fEncrypted
        raise ReaderError(str(path), "tệp Word .doc được bảo vệ bằng mật khẩu; gỡ mật khẩu rồi nạp lại")
    return flags


def _piece_text(path, word: bytes, table: bytes, limits: Limits = DEFAULT_LIMITS) -> str:
    """The first ccpText characters, piece by piece (each piece UTF-16 or 8-bit Windows-1252),
    refused as soon as the pieces read more bytes than the stream holds or more text than the limit."""
    pos = 32
    pos += 2 + 2 * _u16(word, pos)  # csw, fibRgW
    cslw = _u16(word, pos)
    rg_lw = pos + 2
    ccp_text = _u32(word, rg_lw + 12)
    pos = rg_lw + 4 * cslw
    fc_lcb = pos + 2  # after cbRgFcLcb
    if _u16(word, pos) < 34:
        raise ReaderError(str(path), f"không đọc được tệp Word .doc (FIB thiếu bảng mảnh văn bản); {SAVE_AS_DOCX}")
    fc_clx, lcb_clx = _u32(word, fc_lcb + 33 * 8), _u32(word, fc_lcb + 33 * 8 + 4)
    clx = table[fc_clx:fc_clx + lcb_clx]
    i = 0
    while i < len(clx) and clx[i] == 0x01:  # Prc: formatting, skipped
        i += 3 + _u16(clx, i + 1)
    if i >= len(clx) or clx[i] != 0x02:
        raise ReaderError(str(path), f"không đọc được tệp Word .doc (không thấy bảng mảnh văn bản); {SAVE_AS_DOCX}")
    lcb = _u32(clx, i + 1)
    plc = clx[i + 5:i + 5 + lcb]
    n = (lcb - 4) // 12
    cps = [_u32(plc, 4 * k) for k in range(n + 1)]
    parts, read, chars = [], 0, 0
    for k in range(n):
        start, end = cps[k], min(cps[k + 1], ccp_text)
        if start >= end:
            break
        fc = _u32(plc, 4 * (n + 1) + 8 * k + 2)
        compressed = bool(fc & 0x40000000)  # one byte a character, at fc / 2; else UTF-16 at fc
        at = (fc & 0x3FFFFFFF) // 2 if compressed else fc & 0x3FFFFFFF
        raw = word[at:at + (end - start) * (1 if compressed else 2)]  # a slice: never past the stream
        read += len(raw)
        if read > len(word):
            raise ReaderError(str(path), "tệp Word .doc hỏng hoặc bị làm giả: bảng mảnh văn bản đọc lại cùng một "
                                         f"vùng dữ liệu nhiều lần (hơn {len(word)} byte của tệp); {SAVE_AS_DOCX}")
        chars += len(raw) if compressed else len(raw) // 2
        check_text_size(path, chars, limits)
        parts.append(raw.decode("cp1252" if compressed else "utf-16-le", errors="replace"))
    return "".join(parts)


_FIELD_MARK = re.compile("[\x13\x14\x15]")  # field begin, separator, end
_SPECIAL_TABLE = str.maketrans(_SPECIAL)


def _clean(text: str) -> str:
    """Fields keep their result (between 0x14 and 0x15), not their instructions; Word's special
    characters become line breaks or nothing. Walks the field marks only (a regex), not every
    character, so a large document is cleaned in C-speed slices."""
    out: list[str] = []
    fields: list[bool] = []  # per open field: still in its instructions?
    pos = 0
    for m in _FIELD_MARK.finditer(text):
        if not (fields and fields[-1]):
            out.append(text[pos:m.start()])
        ch, pos = m.group(), m.end()
        if ch == "\x13":
            fields.append(True)
        elif ch == "\x14":
            if fields:
                fields[-1] = False
        elif fields:
            fields.pop()
    if not (fields and fields[-1]):
        out.append(text[pos:])
    return "".join(out).translate(_SPECIAL_TABLE)
