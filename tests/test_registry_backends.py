"""The registry on its two backends: an SQLite file (the embedded default) and PostgreSQL
(KB_REGISTRY_URL), both real (kb/pg_local.py starts the server). The decree is SYNTHETIC
(tests/test_replace_versions.py)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO
from test_replace_versions import KEY, synthetic_decree_lines, write_txt

pytestmark = pytest.mark.registries


def test_a_new_registry_is_at_the_newest_migration(registry_target):
    import sqlalchemy as sa

    from ingest import registry_db
    from ingest.registry import Registry

    reg = Registry(registry_target)
    try:
        assert registry_db.current_revision(reg.db) == registry_db.head_revision() == registry_db.HEAD
        tables = set(sa.inspect(reg.db.engine).get_table_names())
        assert {"sources", "documents", "units", "nodes", "amendments", "versions", "corrections", "meta",
                "alembic_version"} <= tables
        assert not registry_db.migrate(reg.db)  # opening it again migrates nothing
    finally:
        reg.close()


def test_a_file_is_replaced_in_one_transaction(fake_kb, tmp_path, monkeypatch):
    """A failure after the old rows were deleted (here: while storing the amendment relations)
    rolls the whole replacement back: the old version is still there, whole, and nothing moved."""
    from ingest.registry import Registry

    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    v1 = write_txt(tmp_path / "v1" / "nd998-synthetic.txt", synthetic_decree_lines(1))
    v2 = write_txt(tmp_path / "v2" / "nd998-synthetic-moi.txt", synthetic_decree_lines(2))
    kb = fake_kb(v1)
    reg = kb.store.registry
    before = ([n.text for n in reg.nodes_of(KEY)], reg.units(KEY), reg.versions(KEY), reg.generation(), reg.sources())

    calls = []

    def broken(*args, **kw):
        calls.append(args[1])
        raise RuntimeError("synthetic failure in the middle of the transaction")

    monkeypatch.setattr(Registry, "_insert_amendments", staticmethod(broken))
    try:
        kb.ingest_files([str(v2)], replace=[KEY])
    except RuntimeError:
        pass  # raised or reported: either way nothing of it may be stored
    assert calls == [KEY]  # it failed inside the transaction, after the old rows were deleted
    after = ([n.text for n in reg.nodes_of(KEY)], reg.units(KEY), reg.versions(KEY), reg.generation(), reg.sources())
    assert after == before and any("một lần" in t for t in before[0])


def test_the_document_list_keeps_the_order_documents_were_stored_in(fake_kb, tmp_path):
    b = write_txt(tmp_path / "nd998-synthetic.txt", synthetic_decree_lines(1))
    a = write_txt(tmp_path / "nd997-synthetic.txt", synthetic_decree_lines(1, number="997/2099/NĐ-CP"))
    kb = fake_kb(b)
    kb.ingest_files([str(a)])
    listed = lambda: [d.key for d in kb.store.registry.documents()]  # noqa: E731
    assert listed() == [KEY, "997/2099/NĐ-CP"]
    kb.ingest_files([str(b)])  # unchanged: skipped, stays where it is
    assert listed() == [KEY, "997/2099/NĐ-CP"]
    (tmp_path / "v2").mkdir()
    kb.ingest_files([str(write_txt(tmp_path / "v2" / "nd998-synthetic-moi.txt", synthetic_decree_lines(2)))],
                    replace=[KEY])
    assert listed() == ["997/2099/NĐ-CP", KEY]  # stored again: listed last, as SQLite's rowid had it


WRITER = textwrap.dedent("""
    import sys, time
    from ingest.registry import Registry

    target, me, other, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    reg = Registry(target)
    for i in range(rounds):
        with reg.transaction() as db:  # read, then write: a lost update unless writers are serialised
            row = db.execute("SELECT v FROM meta WHERE k='counter'").fetchone()
            n = int(row[0]) if row else 0
            time.sleep(0.002)
            db.execute("INSERT INTO meta(k, v) VALUES('counter', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
                       (str(n + 1),))
        reg.record_usage({me: 1})
    reg.set_meta(me + "-done", "1")
    deadline = time.time() + 120
    while reg.get_meta(other + "-done") is None:  # the other process's commit, seen from this one
        if time.time() > deadline:
            sys.exit("never saw " + other)
        time.sleep(0.05)
    print(reg.usage().get(other, 0))
""")


def test_two_processes_writing_see_each_others_commits(registry_target):
    """Two processes write the same registry at once (the several-hosts case on PostgreSQL): every
    read-modify-write counts (writers serialised), and each reads what the other committed."""
    from ingest.registry import Registry

    Registry(registry_target).close()  # created (migrated) before the race; migrating under it is its own test
    rounds = 40
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(registry_target), me, other, str(rounds)],
                              cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for me, other in (("a", "b"), ("b", "a"))]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert [int(o.strip()) for o, _ in outs] == [rounds, rounds]  # each saw all of the other's usage
    reg = Registry(registry_target)
    try:
        assert reg.get_meta("counter") == str(2 * rounds)
        assert reg.usage() == {"a": rounds, "b": rounds}
    finally:
        reg.close()


MIGRATE = textwrap.dedent("""
    import sys
    from ingest.registry import Registry
    Registry(sys.argv[1]).close()
""")


def test_two_processes_opening_a_new_registry_migrate_it_once(registry_target):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    procs = [subprocess.Popen([sys.executable, "-c", MIGRATE, str(registry_target)], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    from ingest import registry_db
    from ingest.registry import Registry

    reg = Registry(registry_target)
    try:
        assert registry_db.current_revision(reg.db) == registry_db.head_revision()
    finally:
        reg.close()


@pytest.mark.registries("postgresql")
def test_a_server_that_cannot_be_reached_is_reported_in_vietnamese(pg_server, tmp_path):
    """KB_REGISTRY_URL naming a server that is not there: a KbError saying which server (without
    its password) and what to check; no traceback, nothing created."""
    from core.errors import KbError
    from ingest.registry import Registry

    url = f"postgresql://kb:bi-mat@/khong_co?host={tmp_path}&port=1"
    with pytest.raises(KbError) as err:
        Registry(url)
    text = str(err.value)
    assert "Không kết nối được tới cơ sở dữ liệu PostgreSQL" in text and "KB_REGISTRY_URL" in text
    assert "bi-mat" not in text


def test_the_setting_takes_only_postgresql_urls():
    from core.errors import SettingsError
    from core.settings import load_settings

    assert load_settings(env={"KB_REGISTRY_URL": "postgresql://kb@db.example/kb"}).registry_target == \
        "postgresql://kb@db.example/kb"
    assert load_settings(env={}).registry_target.name == "registry.sqlite3"
    with pytest.raises(SettingsError, match="KB_REGISTRY_URL"):
        load_settings(env={"KB_REGISTRY_URL": "mysql://kb@db.example/kb"})


# ------------------------------------------------------------------ one budget of login guesses

def _authenticators(registry_target, users_file, n: int = 2, **kw):
    """n Authenticators over n separate Registry connections: what n `kb serve` processes hold."""
    from ingest.registry import Registry
    from ui.auth import Authenticator

    regs = [Registry(registry_target) for _ in range(n)]
    return regs, [Authenticator(users_file, shared=r, **kw) for r in regs]


def test_processes_share_one_budget_of_login_guesses(registry_target, tmp_path):
    from conftest import UI_ACCOUNTS, write_users_file

    users = write_users_file(tmp_path / "users.toml")
    right = UI_ACCOUNTS["phapche"][1]
    regs, (a, b) = _authenticators(registry_target, users, max_failures=4, max_client_failures=100)
    try:
        for auth in (a, b, a):  # three wrong guesses spread over two processes
            assert auth.authenticate("phapche", "sai-mat-khau", client="10.0.0.9") is None
        assert a.locked_for("phapche", "10.0.0.9") == b.locked_for("phapche", "10.0.0.9") == 0
        assert b.authenticate("phapche", "sai-mat-khau", client="10.0.0.9") is None  # the fourth, elsewhere
        assert a.locked_for("phapche", "10.0.0.9") > 0 and b.locked_for("phapche", "10.0.0.9") > 0
        assert a.authenticate("phapche", right, client="10.0.0.9") is None  # locked in every process
        assert b.authenticate("phapche", right, client="10.0.0.7") is not None  # another address is not
        assert a.tracked() == b.tracked() == 2  # (client .9) and (.9, phapche): one table for both
    finally:
        for r in regs:
            r.close()


def test_a_right_password_clears_the_pair_everywhere_and_the_table_stays_bounded(registry_target, tmp_path):
    from conftest import UI_ACCOUNTS, write_users_file

    users = write_users_file(tmp_path / "users.toml")
    right = UI_ACCOUNTS["canbo"][1]
    regs, (a, b) = _authenticators(registry_target, users, max_failures=3, max_client_failures=100, max_tracked=10)
    try:
        for _ in range(2):
            a.authenticate("canbo", "sai", client="10.0.0.1")
        assert b.authenticate("canbo", right, client="10.0.0.1") is not None
        assert regs[0].login_failures("pair\x1f10.0.0.1\x1fcanbo", 0) == []  # cleared, seen from the other
        for i in range(30):  # an attacker rotating addresses and names
            b.authenticate(f"ten-{i}", "sai", client=f"10.1.0.{i}")
        assert a.tracked() <= 10 and b.tracked() <= 10
    finally:
        for r in regs:
            r.close()


def test_kb_config_shows_the_registry_url_without_its_password(tmp_path):
    from conftest import run_kb

    proc = run_kb("config", home=tmp_path / "home", env={"KB_REGISTRY_URL": "postgresql://kb:bi-mat-9@db.example/kb"},
                  check=True, timeout=120)
    assert "postgresql://kb:***@db.example/kb" in proc.stdout and "bi-mat-9" not in proc.stdout


def _dump(target) -> dict[str, list]:
    """Every row of every registry table, sorted (what "no data lost" compares)."""
    from ingest.registry import Registry

    reg = Registry(target)
    try:
        tables = ["sources", "documents", "units", "nodes", "dense_state", "embed_cache", "suppressed", "meta", "usage",
                  "corrections", "amendments", "versions"]
        out = {}
        for t in tables:
            cols = [c for c in (r[1] for r in reg.db.execute(f"PRAGMA table_info({t})")) if c != "seq"]
            quoted = ", ".join(f'"{c}"' for c in cols)
            out[t] = sorted(map(repr, reg.db.execute(f"SELECT {quoted} FROM {t}")))
        out["listed"] = [d.key for d in reg.documents()]
        return out
    finally:
        reg.close()


@pytest.mark.registries("sqlite")  # a registry file as a8d7b07 (before migrations) left it
def test_a_registry_file_from_before_migrations_keeps_every_row(fake_kb, tmp_path):
    import sqlite3

    from ingest import registry_db
    from ingest.registry import Registry

    (tmp_path / "v2").mkdir()
    kb = fake_kb(write_txt(tmp_path / "nd998-synthetic.txt", synthetic_decree_lines(1)),
                 write_txt(tmp_path / "nd997-synthetic.txt", synthetic_decree_lines(1, number="997/2099/NĐ-CP")))
    kb.ingest_files([str(write_txt(tmp_path / "v2" / "nd998-synthetic-moi.txt", synthetic_decree_lines(2)))],
                    replace=[KEY], user="phapche")
    kb.store.registry.record_usage({KEY: 3})
    path = kb.store.registry.path
    kb.store.registry.close()
    before = _dump(path)
    db = sqlite3.connect(path)  # the shape before migrations: no alembic_version, documents.seq, login_failures
    db.execute("DROP TABLE alembic_version")
    db.execute("DROP TABLE login_failures")
    db.execute("ALTER TABLE documents DROP COLUMN seq")
    db.commit()
    db.close()
    reg = Registry(path)
    try:
        assert registry_db.current_revision(reg.db) == registry_db.head_revision()
    finally:
        reg.close()
    assert _dump(path) == before  # every row kept, the list in the same order


def test_the_kb_commands_run_on_either_registry(registry_url, tmp_path):
    """`kb ingest`, `kb docs`, `kb lookup`, `kb remove` as an operator runs them, with KB_REGISTRY_URL
    set (PostgreSQL) or not (the SQLite file in the home)."""
    import json

    from conftest import run_kb

    env = {"KB_EMBEDDING": "fake", **({"KB_REGISTRY_URL": registry_url} if registry_url else {})}
    home = tmp_path / "home"
    src = write_txt(tmp_path / "nd998-synthetic.txt", synthetic_decree_lines(1))
    run_kb("ingest", str(src), home=home, env=env, check=True, timeout=300)
    def docs() -> dict:  # the stored documents (the catalogue's entries not ingested are listed too)
        listed = json.loads(run_kb("docs", "--json", home=home, env=env, check=True, timeout=300).stdout)
        return {d["key"]: d for d in listed if d.get("nodes")}

    assert list(docs()) == [KEY]
    look = json.loads(run_kb("lookup", "khoản 2 Điều 2 Nghị định 998/2099/NĐ-CP", "--json", home=home, env=env,
                             check=True, timeout=300).stdout)
    assert look["status"] == "found" and "một lần" in look["text"]
    assert (home / "registry.sqlite3").exists() == (registry_url is None)  # PostgreSQL: no file in the home
    run_kb("remove", KEY, home=home, env=env, check=True, timeout=300)
    assert docs() == {}


def _rows(target) -> dict[str, list]:
    """Every row of every copied table, as comparable text, on either backend; and the listed order."""
    from ingest.registry import Registry
    from ingest.registry_copy import TABLES, table_columns

    reg = Registry(target)
    try:
        out = {}
        for t in TABLES:
            cols = [c for c in table_columns(reg, t) if c != "seq"]
            rows = reg.db.execute(f"SELECT {', '.join(chr(34) + c + chr(34) for c in cols)} FROM {t}")
            out[t] = sorted(repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in r)) for r in rows)
        out["listed"] = [d.key for d in reg.documents()]
        return out
    finally:
        reg.close()


@pytest.mark.registries("postgresql")
def test_kb_copy_registry_moves_the_sqlite_file_into_an_empty_postgresql(registry_url, tmp_path):
    """The move to several hosts: `kb copy-registry --to URL` copies every row (versions, corrections,
    relations, cached vectors, the generation) into PostgreSQL; the base answers the same from it; a
    second copy into the now full database is refused, changing nothing."""
    import json

    from conftest import run_kb

    home = tmp_path / "home"
    env = {"KB_EMBEDDING": "fake"}
    (tmp_path / "v2").mkdir()
    run_kb("ingest", str(write_txt(tmp_path / "nd998-synthetic.txt", synthetic_decree_lines(1))),
           str(write_txt(tmp_path / "nd997-synthetic.txt", synthetic_decree_lines(1, number="997/2099/NĐ-CP"))),
           home=home, env=env, check=True, timeout=300)
    run_kb("ingest", "--replace", str(write_txt(tmp_path / "v2" / "nd998-synthetic-moi.txt", synthetic_decree_lines(2))),
           home=home, env=env, check=True, timeout=300)
    before = _rows(home / "registry.sqlite3")
    assert before["versions"] and before["embed_cache"] and before["nodes"]
    out = run_kb("copy-registry", "--to", registry_url, home=home, env=env, check=True, timeout=300).stdout
    assert "Đã sao chép" in out and "2 văn bản" in out
    assert _rows(registry_url) == before
    pg_env = {**env, "KB_REGISTRY_URL": registry_url}
    look = json.loads(run_kb("lookup", "khoản 2 Điều 2 Nghị định 998/2099/NĐ-CP", "--json", home=tmp_path / "other",
                             env=pg_env, check=True, timeout=300).stdout)
    assert look["status"] == "found" and "hai lần" in look["text"]  # another home, the same registry
    again = run_kb("copy-registry", "--to", registry_url, home=home, env=env, timeout=300)
    assert again.returncode != 0 and "đã có dữ liệu" in again.stderr
    assert _rows(registry_url) == before


def test_nodes_mentioning_without_a_limit_and_the_desk_index_work_on_either_registry(fake_kb, tmp_path):
    """The basis check asks for every node mentioning some words (limit -1: PostgreSQL refuses LIMIT -1), and
    the desk's index lives in the home (a PostgreSQL registry has no folder to put it beside)."""
    v1 = write_txt(tmp_path / "nd998-synthetic.txt", synthetic_decree_lines(1))
    kb = fake_kb(v1)
    reg = kb.store.registry
    every = reg.nodes_mentioning("", ("một lần",), limit=-1)
    assert every and len(every) == len(reg.nodes_mentioning("", ("một lần",), limit=10_000))
    assert len(reg.nodes_mentioning("", ("một lần",), limit=1)) == 1
    kb.refresh_desk_index()
    assert kb.settings.desk_index_path.is_file()


def test_a_login_made_through_one_process_holds_in_the_others(registry_target, tmp_path):
    """Two `kb serve` processes (two SessionStores over two registry connections): a session issued by one
    is live in the other, a logout in one ends it in both, an account change ends it everywhere (told
    once), and the table keeps the token's hash, never the token."""
    import hashlib
    import time

    from conftest import UI_ACCOUNTS, write_users_file
    from ui.auth import DELETED, EXPIRED, SessionStore

    users = write_users_file(tmp_path / "users.toml")
    regs, (auth_a, auth_b) = _authenticators(registry_target, users)
    ended: list[tuple[str, str]] = []
    a, b = (SessionStore(3600, 50, accounts=auth, shared=reg, on_end=lambda s, r: ended.append((s.username, r)))
            for auth, reg in zip((auth_a, auth_b), regs))
    try:
        token, session = a.issue(auth_a.user("phapche"))
        assert b.get(token) == session and len(a) == len(b) == 1
        keys = [r[0] for r in regs[0].live_sessions()]
        assert keys == [hashlib.sha256(token.encode()).hexdigest()] and token not in keys
        assert b.revoke(token) == session
        assert a.get(token) is None and b.lookup(token).reason == ""  # logged out everywhere

        staff, _ = b.issue(auth_b.user("phapche"))
        reader, _ = a.issue(auth_a.user("canbo"))
        # the users file changes (phapche removed): each process sees it; the session ends once, everywhere
        content = users.read_text(encoding="utf-8")
        start = content.index("[users.phapche]")
        rest = content.find("[users.", start + 1)
        users.write_text(content[:start] + (content[rest:] if rest >= 0 else ""), encoding="utf-8")
        time.sleep(0.05)
        assert a.lookup(staff).reason == DELETED and b.lookup(staff).reason == DELETED
        assert ended == [("phapche", DELETED)]
        assert b.get(reader) is not None  # other accounts' sessions go on

        # expiry: a session older than the ttl is refused by every process
        short = SessionStore(0.01, 50, accounts=auth_b, shared=regs[1])
        old, _ = short.issue(auth_b.user("canbo"))
        time.sleep(0.05)
        assert short.lookup(old).reason == EXPIRED
    finally:
        for r in regs:
            r.close()
