"""kb.workers.StickyProxy's choice of worker (the real proxy runs in tests/test_workers.py)."""
from kb.workers import StickyProxy


def test_clients_are_pinned_by_cookie_spread_round_robin_and_repinned_when_their_worker_dies():
    alive = {0: True, 1: True, 2: True}
    proxy = StickyProxy(["http://a", "http://b", "http://c"], max_body=1 << 20, alive=lambda i: alive[i])
    assert [proxy._pick("") for _ in range(4)] == [(0, True), (1, True), (2, True), (0, True)]  # new clients
    assert proxy._pick("kb_worker=2; kb_session=x") == (2, False)  # pinned: nothing to tell
    for bad in ("kb_worker=7", "kb_worker=-1", "kb_worker=abc", 'kb_worker="'):  # not a worker: a new client
        i, tell = proxy._pick(bad)
        assert tell and 0 <= i < 3
    alive[2] = False
    i, tell = proxy._pick("kb_worker=2")
    assert tell and i in (0, 1)  # its worker died: pinned to a live one, told so


def test_several_workers_need_a_shared_chroma_server(tmp_path):
    from conftest import run_kb

    proc = run_kb("serve", "--workers", "2", home=tmp_path / "h", timeout=120)
    assert proc.returncode == 2 and "CHROMA_HOST" in proc.stderr and "Traceback" not in proc.stderr
