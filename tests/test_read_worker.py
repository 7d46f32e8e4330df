"""Reading an uploaded file in a child process cut at its memory and time limits (issue 22, item 3:
ingest.read_worker), so that one hostile file can hold neither the server's memory nor the staff queue.

Every hostile file is GENERATED (kb.synthetic_hostile), small on disk, named synthetic_* and holding SYNTHETIC text
(made up for the test, never law text); each is within the limits the readers check themselves
(file size, unzipped size, paragraphs, pixels), so only the child's limits can stop it.

The probes run a stand-in for the server in a fresh process (so that its peak memory is its own):
it builds the real KnowledgeStore from settings and previews the file in a worker thread, as the
staff tab does, while its main thread ticks every 20 ms. It reports the refusal, the time to it,
the server process's own CPU time and peak-memory growth during the reading, and the longest gap
between ticks. With the reading in-process (KB_READ_IN_SUBPROCESS=false, i.e. the fix removed)
the server itself spends the CPU time and the memory, and the file reads for far longer.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from kb.synthetic_hostile import SYNTHETIC_TEXT, blank_rgba_png, long_paragraph_text, paragraphs_docx, rectangles_pdf

REPO = Path(__file__).resolve().parent.parent
HARNESS_TIMEOUT = 300  # the unfixed reads took 33–60 s; this only stops a runaway test
MAX_SERVER_GROWTH_MB = 100  # the server's own peak-memory growth while the child reads
MAX_SERVER_CPU_S = 1.5  # the server's own CPU time while the child reads (in-process: the whole read)
MAX_TICK_GAP_S = 1.0  # the longest the server's main thread was kept from running

_SERVER = r"""
import json, resource, sys, threading, time
from core.backends import make_backends
from core.settings import load_settings
from ingest.store import KnowledgeStore
import docx, lxml.etree, PIL.Image  # imported before the baseline, as a running server has them
path, env = sys.argv[1], json.loads(sys.argv[2])
store = KnowledgeStore(load_settings(env=env), make_backends(load_settings(env=env)))
out = {}
def preview():
    try:
        docs = store.parse_file(path)
        out["read"] = sum(len(u.full_text) for d in docs for u in d.units)
    except Exception as exc:  # the assertions say what it was
        out["refused"], out["kind"] = str(exc), type(exc).__name__
worker = threading.Thread(target=preview)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
cpu, start = time.process_time(), time.monotonic()
worker.start()
last, gap = time.monotonic(), 0.0
while worker.is_alive():
    time.sleep(0.02)
    now = time.monotonic()
    gap, last = max(gap, now - last), now
out["seconds"] = time.monotonic() - start
out["server_cpu_s"] = time.process_time() - cpu
out["server_growth_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
out["tick_gap_s"] = gap
print(json.dumps(out))
"""


def _preview_in_server(tmp_path: Path, path: Path, **env: str) -> dict:
    """KnowledgeStore.parse_file(path) in a worker thread of a fresh stand-in server process."""
    settings = {"KB_HOME": str(tmp_path / "home"), "KB_EMBEDDING": "fake", **env}
    try:
        done = subprocess.run([sys.executable, "-c", _SERVER, str(path), json.dumps(settings)], capture_output=True,
                              text=True, timeout=HARNESS_TIMEOUT, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    except subprocess.TimeoutExpired:
        pytest.fail(f"previewing {path.name} took more than {HARNESS_TIMEOUT} s")
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _assert_cut(out: dict, path: Path, reason: str, within_s: float) -> None:
    assert out.get("kind") == "ReaderError", out
    assert path.name in out["refused"] and reason in out["refused"], out
    assert out["seconds"] < within_s, out
    assert out["server_growth_mb"] < MAX_SERVER_GROWTH_MB, out
    assert out["server_cpu_s"] < MAX_SERVER_CPU_S, out
    assert out["tick_gap_s"] < MAX_TICK_GAP_S, out


# ------------------------------------------------------------------ probes


def test_probe22_pdf_page_rendered_in_one_long_pdfium_call_is_cut_at_the_time_limit(tmp_path):
    """A 76 KB one-page PDF without a text layer whose page draws 3 million rectangles: rendering it for OCR is one PDFium call, where no deadline can be checked (30 s and 1 GB inside the server here). Previewed by legal staff with KB_MAX_SECONDS_PER_FILE=4 (KB_MAX_READ_MEMORY_MB=3072, so that time is what cuts it). Expected: the child is stopped at the time limit (by its own alarm when it is in Python code, else killed by the parent inside the PDFium call) and the file refused (“vượt quá giới hạn thời gian đọc (4 giây …)”, naming the file) within the limit, the 5 s grace and the child's start; the server's own CPU time stays under 1.5 s, its memory grows by under 100 MB, and its main thread is never kept waiting a second."""
    path = rectangles_pdf(tmp_path / "synthetic_rectangles.pdf", 3_000_000)
    assert path.stat().st_size < 100_000
    out = _preview_in_server(tmp_path, path, KB_MAX_SECONDS_PER_FILE="4", KB_MAX_READ_MEMORY_MB="3072")
    _assert_cut(out, path, "vượt quá giới hạn thời gian đọc (4 giây", within_s=4 + 8)


def test_probe22_png_under_the_pixel_cap_is_cut_at_the_memory_limit(tmp_path):
    """A 330 KB PNG of 8900×8900 RGBA pixels: 79 million, under KB_MAX_IMAGE_MEGAPIXELS (80), so its header passes; inside the server its OCR took 33 s and 1.2 GB. Previewed with the default limits (KB_MAX_READ_MEMORY_MB=1024). Expected: refused when the child passes its address-space limit (“vượt quá giới hạn bộ nhớ đọc tệp (1024 MB, thiết lập KB_MAX_READ_MEMORY_MB)”, naming the file) in under 35 s; the server's own memory grows by under 100 MB."""
    path = blank_rgba_png(tmp_path / "synthetic_rgba_scan.png", 8900)
    assert path.stat().st_size < 1 << 20
    out = _preview_in_server(tmp_path, path)
    _assert_cut(out, path, "vượt quá giới hạn bộ nhớ đọc tệp (1024 MB, thiết lập KB_MAX_READ_MEMORY_MB)", within_s=35)


def test_probe22_zip_bomb_member_inflating_within_the_declared_sizes_is_cut_at_the_memory_limit(tmp_path):
    """A 240 KB DOCX whose word/document.xml honestly inflates to 36 MB (40,000 paragraphs; under KB_MAX_UNZIPPED_MB), read with KB_MAX_READ_MEMORY_MB=256: python-docx and the parser need more. Expected: refused for memory, naming the file and KB_MAX_READ_MEMORY_MB, before the time limit; the server's memory grows by under 100 MB."""
    path = paragraphs_docx(tmp_path / "synthetic_inflating.docx", 40_000, long_paragraph_text(900))
    with zipfile.ZipFile(path) as zf:
        assert sum(i.file_size for i in zf.infolist()) > 100 * path.stat().st_size
    out = _preview_in_server(tmp_path, path, KB_MAX_READ_MEMORY_MB="256")
    _assert_cut(out, path, "vượt quá giới hạn bộ nhớ đọc tệp (256 MB", within_s=60)


# ------------------------------------------------------------------ the worker itself


def test_a_file_read_in_the_child_is_the_file_read_in_process(tmp_path):
    """The JSON reply rebuilds exactly the documents read_path gives, with the readers' notes."""
    from dataclasses import replace

    from ingest.limits import Limits
    from ingest.read_worker import read_in_child
    from ingest.readers import read_path
    from ingest.readers.legacy_encoding import TCVN3, encode

    text = ("CHÍNH PHỦ THỬ NGHIỆM\nSố: 997/2099/NĐ-CP\nNGHỊ ĐỊNH\nVỀ THỬ NGHIỆM TỔNG HỢP\n"
            "Điều 1. Phạm vi thử nghiệm\n1. " + SYNTHETIC_TEXT + "\na) Điểm a thử nghiệm;\nb) Điểm b thử nghiệm.\n"
            "Điều 2. Hiệu lực thử nghiệm\n" + SYNTHETIC_TEXT + "\n")
    plain = tmp_path / "synthetic_decree.txt"
    plain.write_text(text, encoding="utf-8")
    legacy = tmp_path / "synthetic_tcvn3.txt"  # read with a conversion note (a warning) on the document
    legacy.write_text(encode(text, TCVN3), encoding="utf-8")
    limits = Limits(read_in_subprocess=True)
    for path in (plain, legacy):
        child = read_in_child(str(path), limits)
        assert child == read_path(str(path), replace(limits, read_in_subprocess=False))
        assert child[0].number == "997/2099/NĐ-CP" and [u.number for u in child[0].units] == ["1", "2"]
    assert any("TCVN3" in w for w in read_in_child(str(legacy), limits)[0].warnings)


def test_refusals_in_the_child_keep_their_kind_and_reason(tmp_path):
    """A refusal (ReaderError) and a skip (NothingToStore) made in the child reach the caller as such."""
    from ingest.limits import Limits
    from ingest.model import NothingToStore, ReaderError
    from ingest.read_worker import read_in_child

    limits = Limits(read_in_subprocess=True)
    binary = tmp_path / "synthetic_binary.txt"
    binary.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(ReaderError) as err:
        read_in_child(str(binary), limits)
    assert type(err.value) is ReaderError and err.value.path == str(binary)
    demuc = tmp_path / "synthetic_empty_demuc.html"  # a Pháp điển đề mục with its heading and no article
    demuc.write_text("<html><body><p>Đề mục 99.9<br>Thử nghiệm tổng hợp (synthetic)</p></body></html>",
                     encoding="utf-8")
    with pytest.raises(NothingToStore) as skipped:
        read_in_child(str(demuc), limits)
    assert "đề mục trống" in skipped.value.reason and skipped.value.path == str(demuc)


def test_a_child_stuck_where_its_alarm_cannot_reach_is_killed_with_what_it_started(tmp_path, monkeypatch):
    """A child that ignores its alarm (stuck in C code) and has started a program of its own (as the
    OCR starts tesseract): the parent kills the whole process group at the time limit."""
    import ingest.read_worker as worker
    from ingest.limits import Limits
    from ingest.model import ReaderError

    pid_file = tmp_path / "grandchild.pid"
    stuck = ("import signal, subprocess, sys, time; signal.signal(signal.SIGALRM, signal.SIG_IGN); "
             f"p = subprocess.Popen(['sleep', '600']); open({str(pid_file)!r}, 'w').write(str(p.pid)); "
             "sys.stdin.read(); time.sleep(600)")
    monkeypatch.setattr(worker, "_BOOT", stuck)
    monkeypatch.setattr(worker, "START_GRACE_S", 1.0)
    start = time.monotonic()
    with pytest.raises(ReaderError, match="vượt quá giới hạn thời gian đọc") as err:
        worker.read_in_child(str(tmp_path / "synthetic_stuck.docx"), Limits(max_seconds=1.0, read_in_subprocess=True))
    assert time.monotonic() - start < 10
    assert "synthetic_stuck.docx" in str(err.value)
    grandchild = int(pid_file.read_text())
    for _ in range(50):  # reaped by init once killed; a zombie is gone within moments
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        state = Path(f"/proc/{grandchild}/stat").read_text().split()[2]
        assert state == "Z", f"the grandchild {grandchild} still runs (state {state})"


def test_a_child_that_dies_or_floods_its_output_is_refused_naming_the_file(tmp_path, monkeypatch):
    """A child killed by a signal (a C library aborting), and one whose reply passes the output cap."""
    import signal
    from dataclasses import replace

    import ingest.read_worker as worker
    from ingest.limits import Limits
    from ingest.model import ReaderError

    path = str(tmp_path / "synthetic_odd.pdf")
    limits = Limits(max_unzipped_bytes=1000, read_in_subprocess=True)
    monkeypatch.setattr(worker, "_BOOT", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
    with pytest.raises(ReaderError, match="dừng bất thường, có thể do .*KB_MAX_READ_MEMORY_MB") as err:
        worker.read_in_child(path, limits)
    assert err.value.path == path
    # a C library that crashes when an allocation fails near the limit: the memory limit is named.
    # The child's peak counts only above this process's own (Linux carries it across exec).
    import resource

    used_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024 + 64
    cap_mb = int(used_mb / 0.85)
    monkeypatch.setattr(worker, "_BOOT", f"import os, signal; b = bytearray({used_mb} << 20); "
                                         "b[::4096] = b'x' * len(b[::4096]); os.kill(os.getpid(), signal.SIGSEGV)")
    report = {}
    with pytest.raises(ReaderError, match=rf"vượt quá giới hạn bộ nhớ đọc tệp \({cap_mb} MB"):
        worker.read_in_child(path, replace(limits, max_read_memory_bytes=cap_mb << 20), report)
    assert report["exit"] == -signal.SIGSEGV and report["peak_rss_mib"] >= used_mb
    monkeypatch.setattr(worker, "_BOOT", "import sys; sys.stdin.read(); sys.stdout.write('x' * (40 << 20))")
    with pytest.raises(ReaderError, match="KB_MAX_READ_MEMORY_MB"):
        worker.read_in_child(path, limits)


def test_the_limits_come_from_the_settings(tmp_path):
    from core.settings import load_settings
    from ingest.limits import MB, Limits

    limits = Limits.from_settings(load_settings(env={"KB_HOME": str(tmp_path)}))
    assert limits.read_in_subprocess and limits.max_read_memory_bytes == 1024 * MB
    limits = Limits.from_settings(load_settings(env={"KB_HOME": str(tmp_path), "KB_READ_IN_SUBPROCESS": "false",
                                                     "KB_MAX_READ_MEMORY_MB": "512"}))
    assert not limits.read_in_subprocess and limits.max_read_memory_bytes == 512 * MB


def test_an_ingest_the_child_is_cut_from_stores_nothing(tmp_path):
    """`kb ingest` / the staff ingest of a file whose reading child passes its memory limit: the file
    is refused with the reason, the documents stored before are untouched and nothing is added."""
    from core.backends import make_backends
    from core.settings import load_settings
    from ingest.store import KnowledgeStore

    settings = load_settings(env={"KB_HOME": str(tmp_path / "home"), "KB_EMBEDDING": "fake",
                                  "KB_MAX_READ_MEMORY_MB": "256"})
    store = KnowledgeStore(settings, make_backends(settings))
    decree = tmp_path / "synthetic_decree.txt"
    decree.write_text("CHÍNH PHỦ THỬ NGHIỆM\nSố: 996/2099/NĐ-CP\nNGHỊ ĐỊNH\nVỀ THỬ NGHIỆM TỔNG HỢP\n"
                      f"Điều 1. Phạm vi thử nghiệm\n1. {SYNTHETIC_TEXT}\n", encoding="utf-8")
    assert store.ingest([str(decree)], embed=False).outcomes[0].status == "ingested"
    before = (store.registry.keys(), sorted(p.name for p in settings.home.rglob("*") if p.is_file()))
    png = blank_rgba_png(tmp_path / "synthetic_rgba_scan.png", 8900)
    [outcome] = store.ingest([str(png)], embed=False).outcomes
    assert outcome.status == "refused" and "vượt quá giới hạn bộ nhớ đọc tệp (256 MB" in outcome.reason, outcome
    assert (store.registry.keys(), sorted(p.name for p in settings.home.rglob("*") if p.is_file())) == before


def test_a_server_holding_more_than_1024_descriptors_still_reads_through_the_child(tmp_path):
    """A busy server holds many sockets and files: the child's pipe then gets a descriptor past 1024,
    which select() refuses ("filedescriptor out of range"); the parent must wait on it all the same."""
    import resource

    from ingest.limits import Limits
    from ingest.read_worker import read_in_child

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip(f"the hard limit on open files ({hard}) is below what the test needs")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    path = tmp_path / "synthetic_decree.txt"
    path.write_text("CHÍNH PHỦ THỬ NGHIỆM\nSố: 996/2099/NĐ-CP\nNGHỊ ĐỊNH\nVỀ THỬ NGHIỆM\nĐiều 1. Thử nghiệm\n"
                    + SYNTHETIC_TEXT + "\n", encoding="utf-8")
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        docs = read_in_child(str(path), Limits(read_in_subprocess=True))
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert docs[0].number == "996/2099/NĐ-CP"
