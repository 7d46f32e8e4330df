"""What every benchmark shares: corpus paths, the machine line, a `kb` child process with its own
peak RSS, and the writer that replaces one section of docs/BENCHMARKS.md."""
from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

from core.settings import DEMUC_32_1, REPO_ROOT, SEED_DIR, SHARED_CORPUS
from ingest.registry import Registry

__all__ = ["DEMUC_32_1", "SEED_DIR"]

ALQAC_ARTICLES = SHARED_CORPUS.parent / "eval" / "alqac" / "articles.json"
ALQAC_QUESTIONS = SHARED_CORPUS.parent / "eval" / "alqac" / "dev_questions.json"
TTDN_DEV = SHARED_CORPUS.parent / "eval" / "ttdn_dev.jsonl"
TTDN_ANSWERS_DEV = SHARED_CORPUS.parent / "eval" / "ttdn_answers_dev.jsonl"
TTDN_ANSWERS_DEV2 = SHARED_CORPUS.parent / "eval" / "ttdn_answers_dev2.jsonl"
# Our own questions of the same kinds, written after tuning on the dev set to see whether the
# answer stage generalises (gold checked against the text; kb/data/README.md).
TTDN_ANSWERS_PROBE = Path(__file__).parent / "data" / "ttdn_answers_probe.jsonl"
# Our answer-level questions on đề mục 32.1 and five others (kb/data/README.md): two thirds to learn
# from, one third (the test split) scored once and never tuned on.
OURS_TRAIN = Path(__file__).parent / "data" / "answers_ours_train.jsonl"
OURS_TEST = Path(__file__).parent / "data" / "answers_ours_test.jsonl"
# The second test split (written for the fifth pass), scored once at its end: kb/data/README.md.
OURS_TEST2 = Path(__file__).parent / "data" / "answers_ours_test2.jsonl"
PHAPDIEN_DIR = SHARED_CORPUS / "phapdien"
# The đề mục beside 32.1 that our questions also ask about (the "wide" bench home).
WIDE_DEMUC = ("24a6c4d2-66f1-4e91-b25e-5526c4f71ae9.html",  # 32.2 Tiếp cận thông tin
              "3c2e5819-1141-455c-a5a6-1597ea904830.html",  # 32.3 Xuất bản
              "a1971a0f-7216-4ee2-b312-9b376f35fbd8.html",  # 23.6 Thỏa thuận quốc tế
              "34030833-66c0-4966-9dff-1f02e805d94f.html",  # 44.8 Phổ biến, giáo dục pháp luật
              "5f523176-05b6-4d4e-903d-a12faffaa759.html")  # 41.9 Quảng cáo
BENCH_HOME = REPO_ROOT / ".kb-bench"


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}"


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


_CHILD = ("import resource, sys\nfrom kb.cli import main\nrc = main(sys.argv[1:])\n"
          "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\nsys.exit(rc)")


def run_kb_child(home: Path, *args) -> tuple[float, int, str]:
    """Run `kb` in a child; returns (seconds, the child's own peak RSS in MiB, stdout)."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CHILD, "--home", str(home), *args],
                          capture_output=True, text=True, cwd=REPO_ROOT)
    dt = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"kb {' '.join(args)} failed: {proc.stderr[-2000:]}")
    m = re.search(r"MAXRSS (\d+)", proc.stderr)
    return dt, int(m.group(1)) // 1024 if m else -1, proc.stdout


def clean_env() -> dict[str, str]:
    """This process's environment without any KB_, CHROMA_ or OPENAI_ setting: a child `kb` configured
    only by what its caller adds (a developer's own settings never leak into a benchmark or a test)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("KB_", "CHROMA_", "OPENAI_"))}


def start_kb_serve(home: Path, port: int, env: dict, log: Path, *, workers: int = 0,
                   timeout: float = 300.0) -> subprocess.Popen:
    """`kb serve` on 127.0.0.1:port in a child (stdout and stderr to `log`), returned once it answers
    /config; RuntimeError with the log's tail when it exits or does not answer within `timeout` s."""
    import httpx

    cmd = [sys.executable, "-m", "kb.cli", "--home", str(home), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers:
        cmd += ["--workers", str(workers)]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"kb serve exited: {log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/config", timeout=5).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    proc.wait()
    raise RuntimeError(f"kb serve did not answer within {timeout:.0f} s: {log.read_text(errors='replace')[-3000:]}")


def proc_status_kib(pid: int | str = "self", field: str = "VmRSS") -> int | None:
    """A memory field of /proc/<pid>/status in KiB (VmRSS now, VmHWM its peak); None when the process
    or the field is gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next((int(line.split()[1]) for line in fh if line.startswith(field + ":")), None)
    except OSError:
        return None


def registry_counts(home: Path) -> dict:
    registry = Registry(home / "registry.sqlite3")
    try:
        return registry.counts()
    finally:
        registry.close()



def bench_section(title: str, command: str, body: str) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return f"<!-- bench:{title} -->\n## {title}\n\nCommand: `{command}` — {stamp}, {machine()}.\n\n{body}\n<!-- /bench:{title} -->\n"


def write_section(out: Path, title: str, text: str) -> None:
    """Replace this benchmark's section in BENCHMARKS.md, keeping the others."""
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = out.read_text(encoding="utf-8") if out.exists() else "# Benchmarks\n\nMeasured figures; regenerate with the commands shown.\n\n"
    pat = re.compile(rf"<!-- bench:{re.escape(title)} -->.*?<!-- /bench:{re.escape(title)} -->\n", re.S)
    doc = pat.sub(lambda _: text, doc) if pat.search(doc) else doc.rstrip() + "\n\n" + text
    out.write_text(doc, encoding="utf-8")


def write_synthetic_decree(path: Path, number: str, subject: str, station: str) -> Path:
    """A small decree written for a benchmark (synthetic: not law): `station` takes care of `subject`."""
    path.write_text(
        f"CHÍNH PHỦ THỬ NGHIỆM\nSố: {number}\nNGHỊ ĐỊNH\nVỀ THỬ NGHIỆM (VĂN BẢN GIẢ ĐỊNH)\n"
        f"Điều 1. Chăm sóc {subject}\n1. {station} chăm sóc {subject}.\n"
        f"2. Văn bản giả định dùng cho đo đạc, không phải văn bản pháp luật.\n"
        f"Điều 2. Báo cáo\n{station} báo cáo hằng quý về {subject}.\n", encoding="utf-8")
    return path

