"""Readers bounded in memory and time while they read (issue 22, item 3), and control characters
kept out of stored text and of the DOCX export (item 6).

Every hostile file is GENERATED here, small on disk, named synthetic_* and holding SYNTHETIC text
(made up for the test, never law text). A hostile read runs in a child process under an address-space
cap (RLIMIT_AS) and a timeout, which reports its peak memory (ru_maxrss) and its time: with the fix
the file is refused (a KbError whose Vietnamese message names the file) or read within generous
bounds; without it the child runs out of its cap, out of time, or over the asserted bounds.
"""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import threading
import zipfile
import zlib
from pathlib import Path

import pytest

from kb.synthetic_hostile import docx_parts, paragraphs_docx
from word97 import write_doc

REPO = Path(__file__).resolve().parent.parent
SYNTHETIC_LINE = "Điều 1. Văn bản tổng hợp để kiểm thử (synthetic), không phải văn bản pháp luật."
CHILD_MEMORY = 1 << 30  # address space of the reading child (55 MB after its imports); the probes took 1.5–2.5 GB
CHILD_TIMEOUT = 120  # the unfixed probes ran 45–208 s
MAX_SECONDS = 35  # generous: the fixed readers answer in a few seconds on two busy cores
MAX_GROWTH_MB = 250  # memory the reading may add to the child's imports

_CHILD = r"""
import json, resource, sys, time
from core.errors import KbError
from ingest.limits import Limits
from ingest.readers import read_path
import docx, lxml.etree, olefile, PIL.Image  # imported before the baseline is taken
path, limits = sys.argv[1], Limits(**json.loads(sys.argv[2]))
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[3]), int(sys.argv[3])))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.monotonic()
try:
    docs = read_path(path, limits)
    out = {"read": sum(len(u.full_text) for d in docs for u in d.units)}
except KbError as exc:
    out = {"refused": str(exc), "kind": type(exc).__name__}
except MemoryError:
    out = {"crashed": "MemoryError"}
out["seconds"] = time.monotonic() - start
out["growth_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps(out))
"""


def _read_in_child(path: Path, **limits) -> dict:
    """read_path(path) in a child process under CHILD_MEMORY and CHILD_TIMEOUT."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, str(path), json.dumps(limits), str(CHILD_MEMORY)],
                              capture_output=True, text=True, timeout=CHILD_TIMEOUT, env=env, cwd=REPO)
    except subprocess.TimeoutExpired:
        pytest.fail(f"reading {path.name} took more than {CHILD_TIMEOUT} s")
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _assert_refused(out: dict, path: Path, *needles: str) -> None:
    assert "refused" in out, out
    assert out["kind"] == "ReaderError" and path.name in out["refused"], out
    for needle in needles:
        assert needle in out["refused"], out
    assert out["seconds"] < MAX_SECONDS and out["growth_mb"] < MAX_GROWTH_MB, out


# ------------------------------------------------------------------ .doc piece table


def test_probe22_doc_piece_table_rereading_bytes_is_refused_in_bounded_memory(tmp_path):
    """A 100 KB Word 97 .doc whose piece table lists the same 21,000 characters 5,000 times (ccpText declaring all 105 M). Expected: refused as soon as the pieces read more bytes than the WordDocument stream holds, naming the file; seconds and tens of MB, not 124 s and 1.5 GB."""
    path = write_doc(tmp_path / "synthetic_pieces.doc", (SYNTHETIC_LINE + "\n") * 250, repeat=5000)
    assert path.stat().st_size < 200_000
    _assert_refused(_read_in_child(path), path, "bảng mảnh văn bản", "lưu thành .docx")


def test_probe22_doc_text_over_the_limit_is_refused_while_pieces_are_read(tmp_path):
    """A .doc whose (honest) text is larger than KB_MAX_UNZIPPED_MB. Expected: refused by the text-size check as the pieces are read, naming the file and the setting."""
    from ingest.limits import Limits
    from ingest.model import ReaderError
    from ingest.readers.doc import read_doc_text

    path = write_doc(tmp_path / "synthetic_long.doc", "\n".join([SYNTHETIC_LINE] * 2000))
    limits = Limits(max_unzipped_bytes=100_000)  # the text is 164,000 characters
    with pytest.raises(ReaderError, match="KB_MAX_UNZIPPED_MB") as err:
        read_doc_text(path, limits)
    assert path.name in str(err.value)
    assert len(read_doc_text(path)) > 100_000  # under the default limit the same file reads


# ------------------------------------------------------------------ DOCX


def _docx_members() -> dict[str, bytes]:
    return docx_parts(SYNTHETIC_LINE)


def test_probe22_docx_of_200000_empty_paragraphs_is_refused_by_the_paragraph_cap(tmp_path):
    """A 40 KB DOCX of 200,000 empty paragraphs (read for 208 s against a 30 s limit). Expected: refused naming KB_MAX_PARAGRAPHS and the file, counted in the parsed XML before python-docx walks the paragraphs."""
    path = paragraphs_docx(tmp_path / "synthetic_paragraphs.docx", 200_000)
    assert path.stat().st_size < 100_000
    _assert_refused(_read_in_child(path), path, "200001 đoạn văn", "KB_MAX_PARAGRAPHS")


def test_probe22_docx_paragraph_loop_checks_the_deadline_in_a_worker_thread(tmp_path):
    """The same 200,000 paragraphs under a raised paragraph cap, read in a web-UI worker thread (where the time limit's alarm cannot interrupt). Expected: the paragraph loop itself stops at KB_MAX_SECONDS_PER_FILE, naming the file."""
    from ingest.limits import Limits
    from ingest.readers.formats import read_docx_lines

    path = paragraphs_docx(tmp_path / "synthetic_paragraphs.docx", 200_000)
    result: list = []

    def read():
        try:
            result.append(read_docx_lines(path, Limits(max_paragraphs=1_000_000, max_seconds=0.01)))
        except Exception as exc:  # noqa: BLE001 — the assertion below says what it was
            result.append(exc)

    worker = threading.Thread(target=read)
    worker.start()
    worker.join(CHILD_TIMEOUT)
    assert "KB_MAX_SECONDS_PER_FILE" in str(result[0]) and path.name in str(result[0]), result[0]


def synthetic_lying_docx(path: Path, inflated_mb: int, declared: int) -> Path:
    """A DOCX whose word/document.xml inflates to `inflated_mb` MB while the zip directory (local
    header and central directory) declares `declared` bytes. The deflate stream is one
    full-flushed block of 1 MB of spaces repeated (each block is byte-aligned and independent), so
    the file stays small and is written in milliseconds."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(b" " * (1 << 20)) + comp.flush(zlib.Z_FULL_FLUSH)
    bomb = block * inflated_mb + comp.flush()
    out, central = bytearray(), bytearray()
    for name, data in _docx_members().items():
        if name == "word/document.xml":
            raw, size, crc = bomb, declared, 0
        else:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            raw, size, crc = c.compress(data) + c.flush(), len(data), zlib.crc32(data)
        encoded = name.encode("ascii")
        fields = struct.pack("<HHHHHIII", 20, 0, 8, 0, 0, crc, len(raw), size)
        central += b"PK\x01\x02" + struct.pack("<H", 20) + fields + struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, 0,
                                                                                len(out)) + encoded
        out += b"PK\x03\x04" + fields + struct.pack("<HH", len(encoded), 0) + encoded + raw
    count = len(_docx_members())
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, count, count, len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))
    return path


def test_probe22_docx_whose_zip_directory_lies_about_sizes_is_refused_in_bounded_memory(tmp_path):
    """A DOCX of a few hundred KB whose zip directory declares word/document.xml as 100 KB while it inflates to 600 MB (the probe's reached 2.2 GB before refusal). Expected: refused while the member is inflated in 64 KB chunks, stopping at its declared size; naming the file; memory stays in the tens of MB."""
    path = synthetic_lying_docx(tmp_path / "synthetic_lying.docx", inflated_mb=600, declared=100_000)
    assert path.stat().st_size < 1 << 20
    with zipfile.ZipFile(path) as zf:  # the directory itself is within every limit
        assert sum(i.file_size for i in zf.infolist()) < 1 << 20
    _assert_refused(_read_in_child(path), path, "word/document.xml", "kích thước khai báo")


def test_a_docx_with_honest_sizes_still_reads(tmp_path):
    """The bounded inflation accepts what python-docx writes (and refuses bzip2/LZMA members)."""
    from ingest.limits import DEFAULT_LIMITS, check_unzipped_size
    from ingest.model import ReaderError
    from ingest.readers.formats import read_docx_lines

    members = _docx_members()
    path = tmp_path / "synthetic_honest.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data, compress_type=zipfile.ZIP_STORED if name.endswith(".rels") else None)
    assert read_docx_lines(path) == [SYNTHETIC_LINE]
    odd = tmp_path / "synthetic_bzip2.docx"
    with zipfile.ZipFile(odd, "w", zipfile.ZIP_BZIP2) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(ReaderError, match="kiểu nén"):
        check_unzipped_size(odd, DEFAULT_LIMITS)


# ------------------------------------------------------------------ page images


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def synthetic_blank_png(path: Path, width: int, height: int) -> Path:
    """A white greyscale PNG (a blank "scan"), written row by row: tiny on disk whatever its size."""
    comp = zlib.compressobj(9)
    row = b"\0" + b"\xff" * width  # filter type 0, then the pixels
    idat = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b""))
    return path


def test_probe22_png_declaring_12500x12500_pixels_is_refused_from_its_header(tmp_path):
    """A 180 KB PNG of 12500×12500 pixels (took 2.5 GB and 45 s of OCR). Expected: refused from its header before a pixel is decoded, naming the file, its size and KB_MAX_IMAGE_MEGAPIXELS."""
    path = synthetic_blank_png(tmp_path / "synthetic_huge.png", 12500, 12500)
    assert path.stat().st_size < 1 << 20
    _assert_refused(_read_in_child(path), path, "12500×12500", "KB_MAX_IMAGE_MEGAPIXELS")


def test_probe22_large_page_image_is_scaled_down_before_ocr(tmp_path):
    """A page image whose long side is over KB_OCR_MAX_SIDE_PX. Expected: the page handed to OCR is scaled down to it (greyscale), so OCR time and memory do not grow with the scan's size."""
    from core.settings import load_settings
    from ingest.limits import Limits
    from ingest.readers.ocr import _image_frames

    limits = Limits.from_settings(load_settings(env={"KB_HOME": str(tmp_path), "KB_OCR_MAX_SIDE_PX": "2000"}))
    assert limits.max_side_px == 2000
    path = synthetic_blank_png(tmp_path / "synthetic_large.png", 4000, 3000)
    [(number, load)] = _image_frames(path, limits)
    page = load()
    assert number == 1 and page.size == (2000, 1500) and page.mode == "L"
    small = synthetic_blank_png(tmp_path / "synthetic_small.png", 1000, 800)
    assert _image_frames(small, limits)[0][1]().size == (3000, 2400)  # small scans are still enlarged for OCR


# ------------------------------------------------------------------ control characters


def test_probe22_control_characters_never_reach_stored_text(tmp_path):
    """A text file whose lines carry C0 control characters (NUL past the binary sniff, ESC, BEL, US). Expected: the parsed units hold none of them; tabs become spaces, the words are kept."""
    from ingest.readers import read_path

    padding = "Nội dung tổng hợp để kiểm thử. " * 150  # NUL only past the first 4096 bytes (the binary sniff)
    text = (f"NGHỊ ĐỊNH\nVỀ THỬ NGHIỆM TỔNG HỢP\n{SYNTHETIC_LINE}\n{padding}\n"
            "1. Khoản\x1b[31m một\x07 có\tký tự\x08 điều khiển\x00.\n2. Khoản hai\x1f.\n")
    path = tmp_path / "synthetic_controls.txt"
    path.write_text(text, encoding="utf-8")
    [doc] = read_path(str(path))
    stored = "\n".join(u.full_text for u in doc.units) + doc.title
    controls = [c for c in stored if ord(c) < 32 and c != "\n"]
    assert not controls, controls
    assert "1. Khoản[31m một có ký tự điều khiển." in stored


def test_probe22_docx_export_survives_control_characters():
    """Stored text or a citation carrying control characters (stored before the readers stripped them, or typed in a correction). Expected: the DOCX export is produced (no English lxml error) and holds the words without the control characters."""
    import io

    from docx import Document

    from ui.export import ExportItem, clauses_docx

    data = clauses_docx([ExportItem("1. Khoản\x00 thử\x1b nghiệm\x07 tổng hợp.\n\x0c\na) Điểm\ufffe a.",
                                    "khoản 1 Điều 1 Nghị định số 998/2099/NĐ-CP\x01")])
    texts = [p.text for p in Document(io.BytesIO(data)).paragraphs]
    assert texts == ["1. Khoản thử nghiệm tổng hợp.", "a) Điểm a.", "khoản 1 Điều 1 Nghị định số 998/2099/NĐ-CP"]
