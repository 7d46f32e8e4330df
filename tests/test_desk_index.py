"""The desk's index (qa.desk.index): rows read once when a document is stored, looked up by body.

The index must give exactly the rows reading every article in force gives (qa.desk.view.DeskView over
documents_in_force), on every date, amended articles included; it follows every change to the stored
documents (ingest, removal) and every change of the reading rules. The figures on đề mục 32.1 and on
the whole Pháp điển are `kb bench desk` (docs/BENCHMARKS.md).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import DEMUC_32_1, REPO, require_shared, run_kb
from core.bodies import DESK_CHOICES
from ingest.registry import Registry
from qa.desk import index as desk_index
from qa.desk.index import DeskIndex, deadline_from_data, deadline_to_data, duty_from_data, duty_to_data
from qa.desk.indexed_view import IndexedDeskView
from qa.desk.source import documents_in_force
from qa.desk.view import DeskView
from qa.references import DocDescriptor

FIXTURES = REPO / "tests" / "fixtures"
BASE = FIXTURES / "synthetic_desk_base_decree.txt"
AMENDING = FIXTURES / "synthetic_desk_amending_decree.txt"


def loaded_of(registry: Registry) -> list[DocDescriptor]:
    return [DocDescriptor(key=d.key, number=d.number, doc_type=d.doc_type, title=d.title) for d in registry.documents()]


def assert_same_rows(registry: Registry, index: DeskIndex, dates, bodies) -> int:
    """The indexed view and the full read agree on every body (and on every row) on every date."""
    loaded, compared = loaded_of(registry), 0
    for date in dates:
        new = IndexedDeskView(registry, loaded, date, index)
        old = DeskView(documents_in_force(registry, loaded, date), date)
        assert new.documents == old.documents, date
        assert new.duties == old.duties and new.deadlines == old.deadlines, date
        for body in bodies:
            for general in (True, False):
                assert new.duties_of(body, general) == old.duties_of(body, general), (date, body, general)
                assert new.deadlines_of(body, general) == old.deadlines_of(body, general), (date, body, general)
                compared += len(old.duties_of(body, general)) + len(old.deadlines_of(body, general))
    return compared


def test_rows_read_back_exactly(fake_kb):
    """Every row, with each kind of time limit, comes back from the index equal to the row computed."""
    kb = fake_kb(BASE, AMENDING)
    view = kb.desk("2099-07-01")
    duties, limits = view.duties, view.deadlines
    assert duties and {d.kind for d in limits} == {"fixed", "period", "relative"}
    assert [duty_from_data(duty_to_data(d)) for d in duties] == duties
    assert [deadline_from_data(deadline_to_data(d)) for d in limits] == limits


def test_indexed_view_equals_reading_every_article_amendments_included(fake_kb):
    """Before and after the amending decree takes effect (khoản replaced, words replaced, khoản
    repealed, article replaced, articles added): the amended articles are read as in force."""
    kb = fake_kb(BASE, AMENDING)
    registry = kb.store.registry
    index = DeskIndex(registry)
    assert index.refresh() == 2
    compared = assert_same_rows(registry, index, ["2098-01-01", "2098-06-01", "2099-06-30", "2099-07-01"],
                                ["province", "commune", "mic", "ministry"])
    assert compared > 0
    after = IndexedDeskView(registry, loaded_of(registry), "2099-07-01", index)
    before = IndexedDeskView(registry, loaded_of(registry), "2099-06-30", index)
    # from 01/07/2099: 05 instead of 10 working days, "hằng tháng" instead of "hằng quý", khoản 3 repealed,
    # the commune's Điều 3a added — the rows follow the text in force
    def province(view):
        return [(d.citation, d.role) for d in view.duties_of("province", False)]

    assert ("Khoản 3 Điều 2 Nghị định 994/2098/NĐ-CP", "không được") in province(before)
    assert ("Khoản 3 Điều 2 Nghị định 994/2098/NĐ-CP", "không được") not in province(after)
    units = {d.citation: d.limit for d in before.deadlines_of("province", False)}
    units_after = {d.citation: d.limit for d in after.deadlines_of("province", False)}
    assert units["Khoản 2 Điều 2 Nghị định 994/2098/NĐ-CP"].unit == "quarter"
    assert units_after["Khoản 2 Điều 2 Nghị định 994/2098/NĐ-CP"].unit == "month"
    assert units["Khoản 1 Điều 2 Nghị định 994/2098/NĐ-CP"].amount == 10
    assert units_after["Khoản 1 Điều 2 Nghị định 994/2098/NĐ-CP"].amount == 5
    assert not before.duties_of("commune", False) and after.duties_of("commune", False)


def test_the_index_follows_ingest_removal_and_rules(fake_kb, tmp_path, monkeypatch):
    kb = fake_kb(BASE)
    view = kb.desk("2099-06-30")
    assert isinstance(view, IndexedDeskView)
    index = kb._desk_index()
    assert set(index.starts()) == {"994/2098/NĐ-CP"}
    kb.ingest_files([str(AMENDING)])  # read into the index at once, before any desk query
    assert set(index.starts()) == {"994/2098/NĐ-CP", "995/2099/NĐ-CP"} and index.stale() == ([], [])
    later = kb.desk("2099-07-01")
    assert [d.citation for d in later.duties_of("commune")] and not view.duties_of("commune")
    kb.remove_document("995/2099/NĐ-CP")
    assert set(index.starts()) == {"994/2098/NĐ-CP"}
    # a change of the reading rules reads every document again
    monkeypatch.setattr(desk_index, "rules_version", lambda: "changed")
    assert index.stale() == (["994/2098/NĐ-CP"], [])
    assert index.refresh() == 1 and index.stale() == ([], [])


def test_kb_ingest_builds_the_index_and_it_equals_the_full_read_on_32_1(tmp_path):
    """On the real đề mục 32.1: `kb ingest` leaves the index up to date, and every body's rows on
    three dates are those of reading every article in force."""
    require_shared(DEMUC_32_1)
    home = tmp_path / "home"
    run_kb("ingest", str(DEMUC_32_1), "--no-embed", home=home, check=True)
    assert (home / "desk.sqlite3").is_file()
    registry = Registry(home / "registry.sqlite3")
    index = DeskIndex(registry)
    try:
        assert index.stale() == ([], [])
        compared = assert_same_rows(registry, index, ["2019-01-01", "2025-01-01", "2026-12-01"], DESK_CHOICES)
        assert compared > 500
    finally:
        index.close()
        registry.close()


def test_big_batches_are_read_by_worker_processes_alike(fake_kb, monkeypatch):
    """The spawned workers (used from _PARALLEL_FROM articles on) store the same rows as reading in one
    process: each worker reads its documents from the registry itself."""
    kb = fake_kb(BASE, AMENDING)
    registry = kb.store.registry
    serial = DeskIndex(registry, registry.path.with_name("serial.sqlite3"))
    pooled = DeskIndex(registry, registry.path.with_name("pooled.sqlite3"))
    assert serial.refresh(workers=1) == 2
    monkeypatch.setattr(desk_index, "_PARALLEL_FROM", 0)
    assert pooled.refresh(workers=2) == 2
    for kinds in (None, {"province"}, {"commune"}):
        assert pooled.articles_naming(kinds) == serial.articles_naming(kinds)
    assert pooled.starts() == serial.starts()


def test_following_reads_documents_as_the_ingest_stores_them(fake_kb):
    """`kb ingest` of many files: a nice-10 process reads what is already stored into the index while
    the ingest goes on; the refresh after it has nothing left, and the rows are a plain refresh's."""
    import time

    kb = fake_kb(BASE)
    registry = kb.store.registry
    path = registry.path.with_name("followed.sqlite3")
    with desk_index.following(registry, path, after=0):
        kb.store.ingest([str(AMENDING)])
        index = DeskIndex(registry, path)
        deadline = time.monotonic() + 120
        while index.stale() != ([], []) and time.monotonic() < deadline:  # the follower's pass
            time.sleep(0.2)
    try:
        assert index.stale() == ([], [])
        assert index.refresh() == 0  # nothing left for the refresh after the ingest
        plain = DeskIndex(registry, registry.path.with_name("plain.sqlite3"))
        assert plain.refresh(workers=1) == 2
        for kinds in (None, {"province"}, {"commune"}):
            assert index.articles_naming(kinds) == plain.articles_naming(kinds)
        assert index.starts() == plain.starts()
        plain.close()
    finally:
        index.close()


def test_a_document_stored_again_while_it_is_read_is_read_again(fake_kb, monkeypatch):
    """The signature recorded is the one seen before the reading: rows read from the older text must
    not be taken as up to date with the newer (the follower reads while the ingest stores)."""
    kb = fake_kb(BASE)
    registry = kb.store.registry
    index = DeskIndex(registry, registry.path.with_name("raced.sqlite3"))
    real_read, raced = desk_index._read_from, []

    def read_then_store_again(reg, keys):
        rows = real_read(reg, keys)
        if not raced:  # the document is stored again between its reading and its rows being kept
            raced.append(kb.store.ingest([str(BASE)], force=True))
        return rows

    monkeypatch.setattr(desk_index, "_read_from", read_then_store_again)
    assert index.refresh(workers=1) == 1 and raced
    assert index.stale() == (["994/2098/NĐ-CP"], [])  # read again at the next refresh
    monkeypatch.setattr(desk_index, "_read_from", real_read)
    assert index.refresh(workers=1) == 1 and index.stale() == ([], [])
    index.close()


def test_an_interrupted_first_refresh_keeps_what_it_read(fake_kb):
    """A new index is marked with the rules before reading: a refresh cut short (the follower told
    to stop) leaves its rows valid, and the next reads only the rest."""
    kb = fake_kb(BASE, AMENDING)
    registry = kb.store.registry
    index = DeskIndex(registry, registry.path.with_name("cut.sqlite3"))

    def stop_after_one(done, _total):
        raise desk_index._Stopped

    with pytest.raises(desk_index._Stopped):
        index.refresh(workers=1, progress=stop_after_one)
    assert len(index.stale()[0]) == 1
    assert index.refresh(workers=1) == 1 and index.stale() == ([], [])
    index.close()
