"""The lexical index by segments: after every kind of change an ingest makes (nodes added, texts
changed under the same id, nodes removed, many small segments merged, a base mostly removed and
merged whole), every node's score equals to the bit what bm25s gives when it indexes the live nodes
from scratch (a full rebuild), and so do the document frequencies, in memory and after a reload.
Synthetic tokens only."""
from __future__ import annotations

import random

import numpy as np
import pytest

import ingest.lexical as lexical
from ingest.lexical import LexicalIndex, folded_tokens
from test_lexical_stream import SYLLABLES, reference, synthetic_rows


def rows_with_hashes(rows):
    return [(nid, toks, f"h{hash(toks) & 0xFFFFFFFF:x}") for nid, toks in rows]


class FakeRegistry:
    """What LexicalIndex.update reads of the registry: each node's text hash, and the tokens of some."""

    def __init__(self, rows):
        self.rows = {nid: (toks, h) for nid, toks, h in rows_with_hashes(rows)}

    def signatures(self):
        return iter([(nid, h) for nid, (_, h) in self.rows.items()])

    def rows_of(self, ids):
        return iter([(nid, *self.rows[nid]) for nid in ids if nid in self.rows])

    def set(self, nid, toks):
        self.rows[nid] = rows_with_hashes([(nid, toks)])[0][1:]


QUERIES = [["trách", "nhiệm"], ["ủy", "ban", "nhân", "dân", "tỉnh"], ["trách_nhiệm", "ủy", "ủy"], ["đất_đai", "đất"],
           ["không_có", "trong", "kho"], ["2015", "72", "nghị_định"], ["báo"], ["hộ", "kinh", "doanh", "thuế"]]


def assert_equals_a_rebuild(index: LexicalIndex, registry: FakeRegistry) -> None:
    live = list(registry.rows.items())
    if not live:  # bm25s cannot index nothing; a full rebuild of nothing scores nothing
        assert index.n_live == 0 and index.df == {} and len(index.scores(["tỉnh"])) == 0
        return
    corpus = [toks.split() for _, (toks, _) in live]
    ref, ref_folded = reference(corpus), reference([folded_tokens(c) for c in corpus])
    position = index.positions()
    assert set(position) == set(registry.rows) and index.n_live == len(live)
    rng = random.Random(5)
    queries = QUERIES + [[rng.choice(SYLLABLES) for _ in range(rng.randint(1, 7))] for _ in range(30)]
    for q, folded in [(q, False) for q in queries] + [(folded_tokens(q), True) for q in queries]:
        r = ref_folded if folded else ref
        in_vocab = [t for t in q if t in r.vocab_dict]
        expected = r.get_scores(in_vocab) if in_vocab else np.zeros(len(live), dtype=np.float32)
        got = index.scores(q, folded)
        for i, (nid, _) in enumerate(live):
            assert got[position[nid]] == expected[i], (q, nid)  # to the bit, not approximately
        assert not got[[i for i in range(len(index.node_ids)) if i not in set(position.values())]].any()
    df: dict[str, int] = {}
    for c in corpus:
        for w in set(c):
            df[w] = df.get(w, 0) + 1
    assert index.df == df and set(index.df_folded) == set(ref_folded.vocab_dict) - {""}


def step(index: LexicalIndex, registry: FakeRegistry, generation: int) -> str:
    outcome = index.update(registry.signatures(), registry.rows_of, generation)
    assert_equals_a_rebuild(index, registry)
    again = LexicalIndex(index.path)
    assert again.load() and again.generation == generation
    assert_equals_a_rebuild(again, registry)  # what another process (or host) loads from the manifest
    return outcome


def test_every_change_scores_as_a_full_rebuild(tmp_path, monkeypatch):
    monkeypatch.setattr(lexical, "MAX_SEGMENTS", 3)
    registry = FakeRegistry(synthetic_rows(200))
    index = LexicalIndex(tmp_path / "lexical")
    index.build(iter(rows_with_hashes(synthetic_rows(200))), generation=1)
    assert_equals_a_rebuild(index, registry)
    # nothing changed: only the generation is stamped, no segment written
    assert step(index, registry, 2) == "updated" and len(index.segments) == 1
    assert index.update(registry.signatures(), registry.rows_of, 2) == "unchanged"
    # a new document's nodes: one small segment beside the base
    extra = synthetic_rows(260, seed=11)[200:]
    for nid, toks in extra:
        registry.set(nid.replace("node", "new"), toks)
    assert step(index, registry, 3) == "updated" and len(index.segments) == 2 and len(index.segments[1].node_ids) == 60
    # a corrected text under the same ids (a replacement keeps stable node ids): old positions removed,
    # the new texts in a new segment
    for i in range(0, 40, 3):
        registry.set(f"node-{i}", "trách_nhiệm trách nhiệm ủy ban tỉnh tỉnh")
    assert step(index, registry, 4) == "updated" and len(index.segments) == 3
    # a document removed: only marks
    for i in range(100, 130):
        del registry.rows[f"node-{i}"]
    assert step(index, registry, 5) == "updated" and len(index.segments) == 3
    # one more segment than MAX_SEGMENTS: those after the base merged into one (the base untouched)
    base = index.segments[0].name
    registry.set("new-x", "đất_đai đất đai thuế")
    assert step(index, registry, 6) == "updated"
    assert len(index.segments) == 2 and index.segments[0].name == base
    # most of the base removed (more than a quarter of all positions): a full merge is due, done beside
    # the serving (ingest.store's merge thread does these steps): a snapshot merged without the lock ...
    for i in range(0, 190):
        registry.rows.pop(f"node-{i}", None)
    assert step(index, registry, 7) == "updated" and index.merge_due()
    snapshot = LexicalIndex(index.path)
    assert snapshot.load()
    merged = snapshot.merged_segment()
    # ... while an ingest adds a segment and removes nodes the merge holds ...
    registry.set("new-y", "ủy ban nhân dân tỉnh báo chí")
    for i in range(190, 195):
        del registry.rows[f"node-{i}"]
    assert step(index, registry, 8) == "updated"
    # ... then published under the lock: the merged segment first, the later one after it, the nodes
    # removed meanwhile marked in it
    current = LexicalIndex(index.path)
    assert current.load() and current.adopt_merge(snapshot, merged)
    assert [s.name for s in current.segments] == [merged.name, index.segments[-1].name]
    assert current.generation == 8 and not current.merge_due()
    assert_equals_a_rebuild(current, registry)
    index = LexicalIndex(index.path)
    assert index.load()
    assert_equals_a_rebuild(index, registry)
    # a merge whose segments were replaced meanwhile (a rebuild came first) is dropped
    stale = index.merged_segment()
    rebuilt = LexicalIndex(index.path)
    rebuilt.build(iter([(nid, *v) for nid, v in registry.rows.items()]), generation=8)
    assert not rebuilt.adopt_merge(index, stale) and not (index.path / stale.name).exists()
    index = rebuilt
    assert len(index.segments) == 1 and len(index.node_ids) == index.n_live == len(registry.rows)
    # every node gone, then back: an empty index scores nothing, and is filled again
    kept = dict(registry.rows)
    registry.rows.clear()
    assert step(index, registry, 9) == "updated" and index.n_live == 0 and len(index.scores(["tỉnh"])) == 0
    registry.rows.update(kept)
    assert step(index, registry, 10) == "updated"
    # the directory holds the manifest and the segments it names, nothing of the replaced ones
    names = {p.name for p in index.path.iterdir()}
    assert names == {"manifest.json"} | {s.name for s in index.segments}


def test_a_change_of_most_of_a_large_base_is_a_rebuild(tmp_path, monkeypatch):
    monkeypatch.setattr(lexical, "_GRACE_NODES", 10)
    registry = FakeRegistry(synthetic_rows(100))
    index = LexicalIndex(tmp_path / "lexical")
    index.build(iter([]), generation=1)
    assert index.update(registry.signatures(), registry.rows_of, 2) == "too_many"
    assert index.generation == 1 and index.n_live == 0  # nothing written: the caller rebuilds


def test_an_index_of_the_earlier_format_is_not_loaded_and_its_files_go(tmp_path):
    path = tmp_path / "lexical"
    (path / "bm25").mkdir(parents=True)
    (path / "meta.json").write_text('{"generation": 4, "node_ids": ["a"]}')
    index = LexicalIndex(path)
    assert not index.load() and LexicalIndex.stored_nodes(path) == 0
    index.build(iter(rows_with_hashes(synthetic_rows(5))), generation=5)
    assert {p.name for p in path.iterdir()} == {"manifest.json", index.segments[0].name}
    assert LexicalIndex.stored_nodes(path) == 5


@pytest.mark.parametrize("tokens", [[], ["không_có_đâu"]])
def test_a_query_of_unknown_words_scores_zero_everywhere(tmp_path, tokens):
    index = LexicalIndex(tmp_path / "lexical")
    index.build(iter(rows_with_hashes(synthetic_rows(20))), generation=1)
    got = index.scores(tokens)
    assert len(got) == 20 and not got.any()


def _six_decrees_one_by_one(kb, tmp_path, first: int, clause: str) -> list[str]:
    """Six synthetic decrees ingested one by one (a segment each); their numbers."""
    from test_ingest_hardening import synthetic_decree

    numbers = [f"{first + i}/2099/NĐ-CP" for i in range(6)]
    for i, number in enumerate(numbers):
        kb.store.ingest([str(synthetic_decree(tmp_path / f"synthetic_{i}.txt", number=number,
                                              clause=clause.format(i=i)))])
    return numbers


def test_the_store_merges_beside_ingests_and_keeps_answering(fake_kb, tmp_path, monkeypatch):
    """Through the store: synthetic decrees ingested one by one add a segment each; removing most of
    them crosses the removed-share threshold, and the merge thread leaves one segment, the same nodes,
    the same search results."""
    import threading

    monkeypatch.setattr(lexical, "MAX_SEGMENTS", 50)  # only the full merge is looked at here
    kb = fake_kb()
    numbers = _six_decrees_one_by_one(kb, tmp_path, 610, "Trạm thử nghiệm số {i} chăm sóc chim cánh cụt.")
    assert len(kb.store.lexical().segments) == 6
    for number in numbers[:4]:
        kb.remove_document(number)
    for thread in [t for t in threading.enumerate() if t.name == "kb-lexical-merge"]:
        thread.join(timeout=60)
    index = kb.store.lexical()
    assert len(index.segments) == 1 and not index.merge_due()
    assert set(index.positions()) == {n.node_id for k in numbers[4:] for n in kb.store.registry.nodes_of(k)}
    answer = kb.ask("Trạm thử nghiệm số 5 chăm sóc chim cánh cụt là ai?")
    assert answer.citations and answer.citations[0].citation.endswith(numbers[5])
    on_disk = LexicalIndex(index.path)
    assert on_disk.load() and [s.name for s in on_disk.segments] == [s.name for s in index.segments]


def test_removals_made_while_the_merge_runs_are_merged_away_too(fake_kb, tmp_path, monkeypatch):
    """The race CI met: the merge thread snapshots the index, and two more documents are removed while it
    builds the merged segment (no second thread starts while it runs). The merged index it publishes is
    then due again; the same thread merges once more, so no quarter of dead positions is left behind."""
    import threading

    monkeypatch.setattr(lexical, "MAX_SEGMENTS", 50)
    kb = fake_kb()
    numbers = _six_decrees_one_by_one(kb, tmp_path, 630, "Trạm quan sát số {i} đếm chim cánh cụt.")
    removals_done, first_merge_started = threading.Event(), threading.Event()
    real_merged_segment = LexicalIndex.merged_segment
    calls = []

    def merged_segment_after_more_removals(self):
        calls.append(len(self.node_ids))
        if len(calls) == 1:
            first_merge_started.set()
            assert removals_done.wait(timeout=60)
        return real_merged_segment(self)

    monkeypatch.setattr(LexicalIndex, "merged_segment", merged_segment_after_more_removals)
    for number in numbers[:2]:  # 2 of 6 removed: a third of the positions, the merge starts
        kb.remove_document(number)
    assert first_merge_started.wait(timeout=60)
    for number in numbers[2:4]:  # removed while the first merge builds its segment
        kb.remove_document(number)
    removals_done.set()
    for thread in [t for t in threading.enumerate() if t.name == "kb-lexical-merge"]:
        thread.join(timeout=60)
    index = kb.store.lexical()
    assert len(calls) == 2  # the same thread merged again
    assert len(index.segments) == 1 and not index.merge_due() and len(index.node_ids) == index.n_live
    assert set(index.positions()) == {n.node_id for k in numbers[4:] for n in kb.store.registry.nodes_of(k)}
