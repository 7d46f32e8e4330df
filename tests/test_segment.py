"""ingest.segment: the same words as pyvi's own tokenizer, computed faster and on several cores.

The index and every question are segmented by ingest.segment; a difference from pyvi would make
a stored index disagree with the one it replaced and lose matches silently, so it is compared
case by case and over a whole đề mục. Texts below are synthetic (written for these tests), not law.
"""
from __future__ import annotations

import os
import re
import sqlite3
import threading

import pytest
from pyvi import ViTokenizer

from core.vocab import nfc
from ingest.lexical import lexical_token_text, tokens_from_words
from ingest.segment import PARALLEL_FROM, SegmenterPool, segment
from ingest.store import lower_thread_priority

SYNTHETIC_TEXTS = [
    # lower-case prose: the index's own input (lexical_words lower-cases first)
    "cơ quan chủ trì phối hợp với các đơn vị liên quan thực hiện nhiệm vụ thông tin đối ngoại",
    # capitalised words, titles and upper case: the istitle/isupper features and the join rule
    "Ủy ban nhân dân tỉnh An Bình giao Sở Văn hóa và Thể thao THỰC HIỆN kế hoạch",
    # numbers, dates and decimals: digits are never joined to a word
    "trước ngày 15 tháng 12 năm 2026, chậm nhất 07 ngày làm việc; tỷ lệ 1,5 và 2.000.000 đồng",
    # punctuation and pyvi's special tokens ("...", "->", "==>", ">>")
    "a) báo cáo... b) tổng hợp -> gửi ==> lưu >> hết (xem khoản 2, điểm c); \"trích\" 'dẫn'",
    # an e-mail address, a web address and abbreviations ("Tp.", "TS.")
    "liên hệ thu.ky@vi-du.gov.vn hoặc https://vi-du.gov.vn/trang?a=1 tại Tp. Mới, TS. Nguyễn",
    # one syllable, one bigram, a trigram
    "tỉnh", "thông tin", "ủy ban nhân dân",
    # no syllable at all: returned unchanged
    "", "   ", "...",
    # new lines and tabs between words
    "điều 1.\nphạm vi\tđiều chỉnh\n\nkhoản 2",
    # text written without diacritics
    "trach nhiem cua uy ban nhan dan tinh ve thong tin doi ngoai",
]


@pytest.mark.parametrize("text", SYNTHETIC_TEXTS)
def test_segment_matches_pyvi(text):
    assert segment(text) == ViTokenizer.tokenize(text)


@pytest.mark.parametrize("text", SYNTHETIC_TEXTS)
def test_segment_matches_pyvi_lower_cased(text):
    low = nfc(text).lower()
    assert segment(low) == ViTokenizer.tokenize(low)


def _pyvi_token_text(text: str) -> str:
    """lexical_token_text as it was computed with pyvi's tokenizer itself."""
    return " ".join(tokens_from_words(re.findall(r"[\w]+", ViTokenizer.tokenize(nfc(text).lower()))))


def test_pool_returns_each_text_in_order():
    texts = [f"{SYNTHETIC_TEXTS[i % 5]} số {i}" for i in range(PARALLEL_FROM + 37)]
    pool = SegmenterPool(workers=2)
    try:
        assert pool.map(lexical_token_text, texts) == [_pyvi_token_text(t) for t in texts]
    finally:
        pool.close()


def worker_niceness(_text: str) -> int:
    """Run in a pool worker (by name): the worker's own niceness."""
    return os.getpriority(os.PRIO_PROCESS, 0)


def test_pool_workers_run_at_the_asking_threads_niceness():
    """The app's staff ingest runs at nice 10 so questions come first: its segmenting workers too."""
    texts = ["x"] * PARALLEL_FROM
    pool = SegmenterPool(workers=2)
    seen = {}

    def ask():
        lower_thread_priority()
        seen["low"] = set(pool.map(worker_niceness, texts))

    try:
        base = os.getpriority(os.PRIO_PROCESS, 0)
        thread = threading.Thread(target=ask)
        thread.start()
        thread.join()
        assert seen["low"] == {max(base, 10)}
        # asked again from a thread at the process's own niceness: new workers, not the niced ones
        assert set(pool.map(worker_niceness, texts)) == {base}
        # the app's ingest asks for nice 10 whatever its thread's (questions first)
        assert set(pool.map(worker_niceness, texts, niceness=10)) == {max(base, 10)}
    finally:
        pool.close()


def test_small_batches_stay_in_process():
    pool = SegmenterPool(workers=2)
    assert pool.map(lexical_token_text, SYNTHETIC_TEXTS) == [_pyvi_token_text(t) for t in SYNTHETIC_TEXTS]
    assert pool._pool is None  # no worker started for a handful of texts


def test_stored_tokens_of_a_whole_demuc_are_pyvis(home_32_1):
    """Every node of đề mục 32.1 (ingested through the pool: some of its files exceed PARALLEL_FROM
    nodes) carries exactly the tokens pyvi's own tokenizer gives."""
    db = sqlite3.connect(home_32_1 / "registry.sqlite3")
    try:
        rows = db.execute("SELECT embed_text, lex_tokens FROM nodes").fetchall()
    finally:
        db.close()
    assert len(rows) > PARALLEL_FROM
    differ = [text[:60] for text, tokens in rows if tokens != _pyvi_token_text(text)]
    assert differ == []
