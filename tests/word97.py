"""A minimal Word 97–2003 (.doc) writer for tests: no tool here can produce one (no LibreOffice, no
pure-Python .doc writer on PyPI), so the tests build the binary themselves from the published
formats — [MS-CFB] for the OLE container and [MS-DOC] for the Word part. The tests check the
result with an independent reader (catdoc) as well as with ours.

What is written: the text as one piece (or, for a hostile file, many pieces over the same bytes), UTF-16 or "compressed" (8-bit Windows-1252, as Word
stores text that fits it), in a piece table in the "1Table" stream pointed to by the FIB's fcClx, the FIB fields a reader needs (wIdent, nFib, fWhichTblStm, ccpText), and
empty style/formatting tables. Both streams are padded to 4096 bytes so the container needs no
mini stream. Paragraphs end with "\\r", as Word stores them.
"""
from __future__ import annotations

import struct
from pathlib import Path

SECTOR = 512
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _fib(ccp_text: int, fc_clx: int, lcb_clx: int, fc_min: int, fc_mac: int) -> bytes:
    base = bytearray(32)
    struct.pack_into("<HHHHH", base, 0, 0xA5EC, 0x00C1, 0, 0x0409, 0)  # wIdent, nFib (Word 97), unused, lid, pnNext
    # flags: fWhichTblStm (the table stream is "1Table") and fExtChar (Unicode-capable)
    struct.pack_into("<H", base, 0x0A, 0x0200 | 0x1000)
    struct.pack_into("<HI", base, 0x0C, 0x00BF, 0)  # nFibBack, lKey
    struct.pack_into("<II", base, 0x18, fc_min, fc_mac)  # the older readers' fcMin/fcMac (Word 97 writes them)
    rg_w = bytearray(28)
    rg_lw = bytearray(88)
    struct.pack_into("<I", rg_lw, 0, fc_mac)  # cbMac
    struct.pack_into("<I", rg_lw, 12, ccp_text)  # ccpText
    rg_fclcb = bytearray(0x5D * 8)
    struct.pack_into("<II", rg_fclcb, 33 * 8, fc_clx, lcb_clx)  # fcClx / lcbClx
    return (bytes(base) + struct.pack("<H", 14) + bytes(rg_w) + struct.pack("<H", 22) + bytes(rg_lw)
            + struct.pack("<H", 0x5D) + bytes(rg_fclcb) + struct.pack("<H", 0))


def word_document_streams(text: str, compressed: bool = False, nfib: int = 0x00C1,
                          flags: int = 0, repeat: int = 1) -> tuple[bytes, bytes]:
    """(WordDocument, 1Table) for `text` (paragraphs separated by "\\n"). `repeat` > 1 makes a
    hostile file: a piece table of `repeat` pieces that all point at the same bytes (and a ccpText
    that declares them all), as a crafted file expands a small stream to any length."""
    body = text.replace("\r\n", "\n").replace("\n", "\r")
    if not body.endswith("\r"):
        body += "\r"
    encoded = body.encode("cp1252") if compressed else body.encode("utf-16-le")
    fib_size = len(_fib(0, 0, 0, 0, 0))
    fc_text = 0x800 if fib_size <= 0x800 else fib_size  # text after the FIB, as Word lays it out
    ccp = len(body) * repeat
    # Clx: one Pcdt holding a PlcPcd: the character positions, then one descriptor per piece
    # bit 30 of fc: compressed, stored at fc / 2
    fc = (fc_text * 2) | 0x40000000 if compressed else fc_text
    plc = (struct.pack(f"<{repeat + 1}I", *(k * len(body) for k in range(repeat + 1)))
           + struct.pack("<HIH", 0, fc, 0) * repeat)
    clx = b"\x02" + struct.pack("<I", len(plc)) + plc
    table = clx.ljust(max(4096, len(clx)), b"\0")
    fc_mac = fc_text + len(encoded)
    fib = bytearray(_fib(ccp, 0, len(clx), fc_text, fc_mac))
    struct.pack_into("<H", fib, 2, nfib)
    struct.pack_into("<H", fib, 0x0A, _u16(fib, 0x0A) | flags)
    word = bytearray(bytes(fib).ljust(fc_text, b"\0") + encoded)
    word = bytes(word).ljust(max(4096, len(word)), b"\0")
    return word, table


def _dir_entry(name: str, kind: int, start: int, size: int, left=NOSTREAM, right=NOSTREAM, child=NOSTREAM) -> bytes:
    raw = (name + "\0").encode("utf-16-le") if name else b""
    entry = bytearray(128)
    entry[:len(raw)] = raw
    struct.pack_into("<HBB", entry, 64, len(raw), kind, 1)  # name length, object type, colour black
    struct.pack_into("<III", entry, 68, left, right, child)
    struct.pack_into("<II", entry, 116, start, size)
    return bytes(entry)


def compound_file(streams: dict[str, bytes]) -> bytes:
    """An OLE compound file (version 3) holding `streams` (each ≥ 4096 bytes: no mini stream)."""
    names = sorted(streams, key=lambda n: (len(n), n.upper()))  # the CFB ordering of sibling names
    sectors: list[bytes] = []
    starts = {}
    fat: list[int] = []
    for name in names:
        data = streams[name]
        assert len(data) >= 4096, "short streams would need a mini stream"
        data = data.ljust(-(-len(data) // SECTOR) * SECTOR, b"\0")
        starts[name] = len(sectors)
        count = len(data) // SECTOR
        for k in range(count):
            sectors.append(data[k * SECTOR:(k + 1) * SECTOR])
            fat.append(len(sectors) if k < count - 1 else ENDOFCHAIN)
    # directory: root, then the streams as a right-leaning chain of siblings (a valid, if unbalanced, tree)
    entries = [_dir_entry("Root Entry", 5, ENDOFCHAIN, 0, child=1)]
    for i, name in enumerate(names):
        right = i + 2 if i + 1 < len(names) else NOSTREAM
        entries.append(_dir_entry(name, 2, starts[name], len(streams[name]), right=right))
    entries += [_dir_entry("", 0, 0, 0)] * (-len(entries) % 4)  # free entries fill the sector
    directory = b"".join(entries)
    directory = directory.ljust(-(-len(directory) // SECTOR) * SECTOR, b"\0")
    dir_start = len(sectors)
    n_dir = len(directory) // SECTOR
    for k in range(n_dir):
        sectors.append(directory[k * SECTOR:(k + 1) * SECTOR])
        fat.append(len(sectors) if k < n_dir - 1 else ENDOFCHAIN)
    fat_start = len(sectors)
    n_fat = 1  # FAT sectors (128 entries each) at the end, listed in the header's DIFAT (109 at most)
    while len(fat) + n_fat > n_fat * (SECTOR // 4):
        n_fat += 1
    assert n_fat <= 109, "a larger file would need DIFAT sectors"
    fat += [FATSECT] * n_fat
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat).ljust(n_fat * SECTOR, b"\xff")
    sectors += [fat_bytes[k * SECTOR:(k + 1) * SECTOR] for k in range(n_fat)]
    header = bytearray(SECTOR)
    header[:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)  # minor, major, byte order, sector shifts
    struct.pack_into("<IIIIIIII", header, 40, 0, n_fat, dir_start, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN)
    difat = [fat_start + k for k in range(n_fat)] + [FREESECT] * (109 - n_fat)
    struct.pack_into("<109I", header, 76, *difat)
    return bytes(header) + b"".join(sectors)


def _u16(data, at: int) -> int:
    return struct.unpack_from("<H", data, at)[0]


def write_doc(path, text: str, compressed: bool = False, nfib: int = 0x00C1, flags: int = 0,
              streams: dict[str, bytes] | None = None, repeat: int = 1) -> Path:
    """A .doc holding `text`; `nfib`/`flags` to imitate Word 6/95 or an encrypted file; `streams`
    to replace the container's streams altogether (an OLE file that is not a Word document);
    `repeat`: see word_document_streams."""
    word, table = word_document_streams(text, compressed, nfib, flags, repeat)
    Path(path).write_bytes(compound_file(streams or {"WordDocument": word, "1Table": table}))
    return Path(path)
