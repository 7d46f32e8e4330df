"""Replacing always does what it says, and every version of a document is kept, listed, viewable
and restorable (issue 18, item 4). In-process over the fake embedding, then the same sequence
through the real `kb` CLI. Every document here is SYNTHETIC (made-up decree 998/2099), not law."""
from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from conftest import run_kb
from core.errors import KbError
from test_replace_versions import KEY, synthetic_decree_lines, write_txt
from ui.audit import read_audit

pytestmark = pytest.mark.registries  # each test through the registry: on SQLite and on PostgreSQL

V1_TEXT = "mỗi năm một lần"
V2_TEXT = "mỗi năm hai lần"


def synthetic_versions(tmp_path: Path) -> tuple[Path, Path]:
    """Version 1 and version 2 of the SYNTHETIC decree 998/2099, in folders of their own (as the web
    app keeps uploads: one folder per file content)."""
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    return (write_txt(tmp_path / "v1" / "nd998-synthetic.txt", synthetic_decree_lines(1)),
            write_txt(tmp_path / "v2" / "nd998-synthetic-moi.txt", synthetic_decree_lines(2)))


def stored_text(kb) -> str:
    return kb.lookup("khoản 2 Điều 2 Nghị định 998/2099/NĐ-CP").text


def in_step(kb) -> None:
    """The lexical index on disk and Chroma hold exactly the registry's current nodes."""
    from ingest.lexical import LexicalIndex

    reg = kb.store.registry
    on_disk = LexicalIndex(kb.settings.lexical_path)
    on_disk.load()
    assert on_disk.generation == reg.generation()
    assert reg.dense_diff() == ([], []) and kb.store.dense.count() == reg.counts()["nodes"] > 0


def current(kb) -> list[tuple[int, bool]]:
    return [(v.version, v.current) for v in kb.versions(KEY)]


def test_replace_after_remove_and_upload_again_stores_the_new_version(fake_kb, tmp_path):
    """The issue's sequence: v1, replace with v2, remove, v1 again, replace with v2. The last step
    used to be skipped ("Thay thế xong: 0 văn bản", v1 kept) because v2's file hash was remembered."""
    v1, v2 = synthetic_versions(tmp_path)
    kb = fake_kb()
    assert kb.ingest_files([str(v1)], user="phapche")["documents"] == 1
    assert kb.ingest_files([str(v2)], replace=[KEY], user="phapche")["documents"] == 1
    assert V2_TEXT in stored_text(kb)
    assert kb.remove_document(KEY)
    assert kb.ingest_files([str(v1)], user="phapche")["documents"] == 1
    assert V1_TEXT in stored_text(kb)
    report = kb.ingest_files([str(v2)], replace=[KEY], user="phapche")
    assert report["documents"] == 1 and report["skipped"] == [], report
    assert V2_TEXT in stored_text(kb)
    assert report["versions"] == {KEY: 2} and current(kb) == [(1, False), (2, True)]
    in_step(kb)


def test_reverting_to_a_version_seen_before_stores_it(fake_kb, tmp_path):
    """v1, v2, then v1's file again: v1 is the stored text, and its version 1 is current again (no copy)."""
    v1, v2 = synthetic_versions(tmp_path)
    kb = fake_kb(v1)
    kb.ingest_files([str(v2)], replace=[KEY])
    # without the replacement confirmed, the app says exactly why nothing changed
    refused = kb.ingest_files([str(v1)])
    assert refused["documents"] == 0 and "đã có văn bản cùng số hiệu" in refused["refused"][0]["reason"]
    assert V2_TEXT in stored_text(kb)
    report = kb.ingest_files([str(v1)], replace=[KEY])
    assert report["documents"] == 1 and V1_TEXT in stored_text(kb)
    assert current(kb) == [(1, True), (2, False)]
    in_step(kb)
    # the file that is the stored text now is skipped, and the app says why instead of “done: 0”
    from ui.render import render_ingest_report

    again = kb.ingest_files([str(v1)], replace=[KEY])
    [skip] = again["skipped"]
    assert again["documents"] == 0 and "đang là bản lưu của 998/2099/NĐ-CP (phiên bản 1)" in skip["reason"]
    shown = render_ingest_report(again, "Thay thế")
    assert "không có văn bản nào được lưu" in shown and "phiên bản 1" in shown and "xong" not in shown


def test_restore_an_old_version(fake_kb, tmp_path):
    v1, v2 = synthetic_versions(tmp_path)
    kb = fake_kb()
    kb.ingest_files([str(v1)], user="phapche-a")
    kb.ingest_files([str(v2)], replace=[KEY], user="phapche-b")
    v1.write_text("tệp đã bị sửa sau khi nạp", encoding="utf-8")  # the file of version 1 is gone
    out = kb.restore_version(KEY, 1, user="phapche-c")
    assert out.status == "ingested" and out.versions == {KEY: 1} and out.articles == 3
    assert V1_TEXT in stored_text(kb)
    assert kb.lookup("Điều 3 Nghị định 998/2099/NĐ-CP").status == "found"  # v2 dropped Điều 3
    assert current(kb) == [(1, True), (2, False)]
    in_step(kb)
    # the download gives version 1's file, byte for byte
    original = kb.original_file(KEY)
    assert original.name == "nd998-synthetic.txt" and V1_TEXT in Path(original.path).read_text(encoding="utf-8")
    # restoring the current version changes nothing and says so; an unknown one is refused
    generation = kb.store.registry.generation()
    same = kb.restore_version(KEY, 1)
    assert same.status == "unchanged" and "đang là bản lưu" in same.reason
    with pytest.raises(KbError, match="không có phiên bản 7"):
        kb.restore_version(KEY, 7)
    assert kb.store.registry.generation() == generation
    # and forward again
    assert kb.restore_version(KEY, 2).status == "ingested" and V2_TEXT in stored_text(kb)
    in_step(kb)


def test_restore_brings_a_removed_document_back(fake_kb, tmp_path):
    v1, _ = synthetic_versions(tmp_path)
    kb = fake_kb(v1)
    kb.remove_document(KEY)
    assert current(kb) == [(1, False)]  # removed: no version is current
    assert kb.restore_version(KEY, 1).status == "ingested"
    assert V1_TEXT in stored_text(kb) and KEY not in kb.store.registry.suppressed()


def test_versions_are_listed_with_who_when_which_file_and_are_viewable(fake_kb, tmp_path):
    v1, v2 = synthetic_versions(tmp_path)
    kb = fake_kb()
    kb.ingest_files([str(v1)], user="phapche-a")
    kb.ingest_files([str(v2)], replace=[KEY], user="phapche-b")
    first, second = kb.versions(KEY)
    assert (first.version, first.user, first.source_name, first.current) == (1, "phapche-a", "nd998-synthetic.txt", False)
    assert (second.version, second.user, second.source_name, second.current) == (2, "phapche-b",
                                                                                 "nd998-synthetic-moi.txt", True)
    assert first.sha256 == hashlib.sha256(v1.read_bytes()).hexdigest() and first.ingested_at <= second.ingested_at
    old = kb.version_document(KEY, 1)
    assert [u.number for u in old.units] == ["1", "2", "3"] and V1_TEXT in old.units[1].full_text
    assert kb.version_document(KEY, 9) is None


def test_corrections_are_restored_with_their_version(fake_kb, tmp_path):
    """A version is restored exactly as it was stored, staff corrections included."""
    v1, v2 = synthetic_versions(tmp_path)
    kb = fake_kb()
    kb.store.ingest([str(v1)], overrides={KEY: {"effective_from": "2099-10-22"}})
    kb.store.ingest([str(v2)], replace=[KEY], overrides={KEY: {"effective_from": "2099-11-30"}})
    assert kb.store.registry.document(KEY).effective_from == "2099-11-30"
    kb.restore_version(KEY, 1)
    assert kb.store.registry.document(KEY).effective_from == "2099-10-22"


@pytest.mark.registries("sqlite")  # registries from before migrations are SQLite files
def test_an_existing_registry_is_migrated_in_place(fake_kb, tmp_path):
    """A registry written before versions were kept: its documents become version 1 when it is
    opened, so the first replacement can be undone."""
    from core.backends import make_backends
    from core.settings import load_settings
    from qa.service import KnowledgeBase

    v1, v2 = synthetic_versions(tmp_path)
    kb = fake_kb(v1)
    path = kb.store.registry.path
    kb.store.registry.close()
    db = sqlite3.connect(path)  # back to the old shape: no versions table, no version in the document row,
    db.execute("DROP TABLE versions")  # and no migrations recorded (Alembic came later, with documents.seq)
    db.execute("DROP TABLE alembic_version")
    db.execute("ALTER TABLE documents DROP COLUMN seq")
    db.execute("DELETE FROM meta WHERE k='versions_backfilled'")
    data = json.loads(db.execute("SELECT data FROM documents WHERE key=?", (KEY,)).fetchone()[0])
    data.pop("version")
    db.execute("UPDATE documents SET data=? WHERE key=?", (json.dumps(data, ensure_ascii=False), KEY))
    db.commit()
    db.close()
    settings = load_settings(env={"KB_HOME": str(kb.settings.home), "KB_EMBEDDING": "fake"})
    kb = KnowledgeBase(settings, make_backends(settings))
    assert current(kb) == [(1, True)] and kb.versions(KEY)[0].user == ""
    kb.ingest_files([str(v2)], replace=[KEY])
    assert current(kb) == [(1, False), (2, True)]
    kb.restore_version(KEY, 1)
    assert V1_TEXT in stored_text(kb)


def test_the_default_corpus_keeps_a_replacement_staff_made(fake_kb, tmp_path):
    """At start-up (`kb ingest --default-corpus`) an unchanged corpus file does not take back a
    document staff replaced from another file: only an explicit ingest does."""
    v1, v2 = synthetic_versions(tmp_path)
    kb = fake_kb(v1)
    kb.ingest_files([str(v2)], replace=[KEY])
    [out] = kb.store.ingest([str(v1)], restore=False).outcomes
    assert out.status == "unchanged" and "được thay bằng tệp khác" in out.reason
    assert V2_TEXT in stored_text(kb)


# ------------------------------------------------------------------ the same through the real CLI

def kb_cli(home: Path, *args, check: bool = True):
    # wide enough that the versions table is not wrapped
    return run_kb(*args, home=home, env={"KB_EMBEDDING": "fake", "COLUMNS": "160"}, check=check, timeout=300)


def cli_stored_text(home: Path) -> str:
    """The stored text of the decree, read from the home's registry (no process started for it)."""
    from ingest.registry import Registry

    reg = Registry(home / "registry.sqlite3")
    try:
        return "\n".join(n.text for n in reg.nodes_of(KEY))
    finally:
        reg.close()


def test_cli_sequence_revert_versions_and_restore(tmp_path):
    home = tmp_path / "home"
    v1, v2 = synthetic_versions(tmp_path)
    kb_cli(home, "ingest", str(v1))
    kb_cli(home, "ingest", "--replace", str(v2))
    kb_cli(home, "remove", KEY)
    kb_cli(home, "ingest", str(v1))
    out = json.loads(kb_cli(home, "ingest", "--replace", "--json", str(v2)).stdout)
    assert out["documents"] == 1 and out["skipped"] == [], out
    assert V2_TEXT in cli_stored_text(home)
    # revert v2 -> v1 from the command line
    out = json.loads(kb_cli(home, "ingest", "--replace", "--json", str(v1)).stdout)
    assert out["documents"] == 1 and out["versions"] == {KEY: 1}, out
    assert V1_TEXT in cli_stored_text(home)
    listed = json.loads(kb_cli(home, "versions", KEY, "--json").stdout)
    assert [(v["version"], v["current"], v["source_name"]) for v in listed] == [
        (1, True, "nd998-synthetic.txt"), (2, False, "nd998-synthetic-moi.txt")]
    table = kb_cli(home, "versions", KEY.lower()).stdout  # the key as typed, any case
    assert "nd998-synthetic-moi.txt" in table and listed[1]["sha256"][:12] in table and "đang dùng" in table
    assert V2_TEXT in kb_cli(home, "versions", KEY, "--show", "2").stdout
    restored = kb_cli(home, "restore", KEY, "2")
    assert "Đã khôi phục phiên bản 2" in restored.stdout
    assert V2_TEXT in cli_stored_text(home)
    missing = kb_cli(home, "restore", KEY, "9", check=False)
    assert missing.returncode != 0 and "không có phiên bản 9" in missing.stderr
    log = [json.loads(line) for line in (home / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    restores = [(r["target"], r["outcome"], r["detail"]["version"], r["sha256"]) for r in log if r["action"] == "restore"]
    assert restores == [(KEY, "intent", 2, ""), (KEY, "ok", 2, hashlib.sha256(v2.read_bytes()).hexdigest()),
                        (KEY, "intent", 9, ""), (KEY, "not_found", 9, "")]
    # a restore is a change: its intent is written before it, and its outcome names that intent
    intents = [r["id"] for r in log if r["action"] == "restore" and r["outcome"] == "intent"]
    assert [r["intent"] for r in log if r["action"] == "restore" and r["outcome"] != "intent"] == intents
    assert read_audit(home / "audit.jsonl").unfinished == []
    replaced = [r for r in log if r["action"] == "replace" and r["outcome"] == "ok"]
    assert [r["detail"]["versions"] for r in replaced] == [{KEY: 2}, {KEY: 2}, {KEY: 1}]
    assert all(r["client"] == "cli" for r in log)


def test_restoring_one_document_of_a_kept_file_leaves_the_others(fake_kb, tmp_path):
    """A kept original may hold several documents, restored one at a time under the same path:
    each restore replaces only its own document there."""
    from ingest.lexical import lexical_tokens
    from ingest.nodes import build_nodes

    kb = fake_kb()
    docs = [d for n in ("998/2099/NĐ-CP", "997/2099/NĐ-CP")
            for d in kb.store.parse_file(str(write_txt(tmp_path / f"synthetic-{n[:3]}.txt",
                                                      synthetic_decree_lines(1, number=n))))]
    reg, kept = kb.store.registry, str(tmp_path / "kept" / "two-synthetic.txt")
    assert len(docs) == 2
    for d in docs:
        nodes = build_nodes(d)
        reg.replace_source(kept, "ab" * 32, 1, [d], {d.key: nodes},
                           {n.node_id: " ".join(lexical_tokens(n.embed_text)) for n in nodes}, only_docs=True)
    assert reg.keys() == {"998/2099/NĐ-CP", "997/2099/NĐ-CP"}
    assert sorted(reg.source_documents(kept)) == ["997/2099/NĐ-CP", "998/2099/NĐ-CP"]
