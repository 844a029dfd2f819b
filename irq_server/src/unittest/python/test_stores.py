"""Every SQLite store of the data dir: schema versions that migrate forward without losing a
row (data dirs made here from the DDL of earlier versions), a newer schema refused, corrupt
files moved aside for fresh ones."""
import sqlite3

import pytest
from irq_server.auth.users import UserStore
from irq_server.errors import StoreCorrupt, StoreUnavailable
from irq_server.history.sampler import Sampler
from irq_server.history.store import HistoryStore
from irq_server.registry.store import RegistryStore
from irq_server.runs.store import RunStore
from server_fixtures import Clock, damage
from werkzeug.security import generate_password_hash

# the registry's file as the version before the review (26b5fe6) made it: stats has `since`
REGISTRY_26B5FE6 = """
CREATE TABLE entries (
    partition TEXT NOT NULL, uid TEXT NOT NULL, uri TEXT NOT NULL,
    connection_type INTEGER NOT NULL, data_type TEXT NOT NULL, published REAL NOT NULL,
    PRIMARY KEY (partition, uid));
CREATE INDEX entries_by_time ON entries (published);
CREATE INDEX entries_for_lookup ON entries (partition, data_type, published, uid);
CREATE TABLE stats (
    process TEXT NOT NULL, kind TEXT NOT NULL, calls INTEGER NOT NULL, seconds REAL NOT NULL,
    since REAL NOT NULL, PRIMARY KEY (process, kind));
"""
# users.sqlite3 as the tracker's first version made it
USERS_V0 = """
CREATE TABLE users (
    name TEXT PRIMARY KEY, scope TEXT NOT NULL, password_hash TEXT NOT NULL,
    created REAL NOT NULL);
CREATE TABLE login_failures (
    name TEXT PRIMARY KEY, failures INTEGER NOT NULL, last REAL NOT NULL);
"""
NOW = 1_800_000_000.0


def old_file(path, ddl, *rows):
    db = sqlite3.connect(path)
    db.executescript(ddl)
    for sql, params in rows:
        db.execute(sql, params)
    db.commit()
    db.close()


def version(path):
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


def test_a_registry_of_the_version_before_the_review_migrates_and_keeps_everything(tmp_path):
    old_file(tmp_path / "registry.sqlite3", REGISTRY_26B5FE6,
             ("INSERT INTO entries VALUES ('daq', 'DRO-1', 'tcp://10.0.0.1:5000', 0, 'TPSet', ?)",
              (NOW,)),
             ("INSERT INTO stats VALUES ('old:1:1', 'publish', 41, 0.5, ?)", (NOW - 99,)),
             ("INSERT INTO stats VALUES ('old:1:1', 'lookup', 7, 0.25, ?)", (NOW - 99,)))
    store = RegistryStore(tmp_path, clock=Clock(NOW + 1))
    found = store.lookup("daq", "DRO", "TPSet")  # the landed main answered 500 here
    assert [(e.uid, e.uri, e.authenticated) for e in found] == [
        ("DRO-1", "tcp://10.0.0.1:5000", False)]
    store.publish("daq", [{"uid": "DRO-2", "uri": "tcp://10.0.0.2:5000", "connection_type": 0,
                           "data_type": "TPSet"}], authenticated=True)
    stats = store.stats()
    assert stats["publish"].calls == 42 and stats["lookup"].calls == 8  # old counts kept
    assert [e.authenticated for e in store.lookup("daq", "", "TPSet")] == [False, True]
    assert version(tmp_path / "registry.sqlite3") == 2


def test_users_of_the_first_version_keep_their_passwords_and_get_keys(tmp_path):
    old_file(tmp_path / "users.sqlite3", USERS_V0,
             ("INSERT INTO users VALUES ('alice', 'write', ?, ?)",
              (generate_password_hash("correct horse"), NOW - 50)),
             ("INSERT INTO login_failures VALUES ('alice', 2, ?)", (NOW - 10,)))
    users = UserStore(tmp_path, clock=Clock(NOW))
    alice = users.authenticate("alice", "correct horse", "10.0.0.9")
    assert (alice.name, alice.scope, alice.created) == ("alice", "write", NOW - 50)
    assert len(alice.key) == 32
    users.add("bob", "another secret")
    assert users.get("alice").key != users.get("bob").key
    assert version(tmp_path / "users.sqlite3") == 2


def test_runs_and_history_of_files_made_before_versions_are_kept(tmp_path, sim):
    runs = RunStore(tmp_path, clock=Clock(NOW))
    run = runs.create("user:alice", "build", None, 50.0, start_time=NOW - 10)
    runs.add_usage(run.id, "user:alice", 80.0, NOW - 5)
    history = HistoryStore(tmp_path)
    clock = Clock(NOW)
    sampler = Sampler(sim.fs, history, clock)
    for _ in range(3):
        sampler.sample_once()
        sim.advance(1)
        clock.now += 1
    for name in ("runs.sqlite3", "history.sqlite3"):  # as files without a version were
        db = sqlite3.connect(tmp_path / name)
        db.execute("PRAGMA user_version = 0")
        db.execute("DROP INDEX IF EXISTS snapshots_base")  # history before 2e012da lacked it
        db.commit()
        db.close()
    again = RunStore(tmp_path, clock=Clock(NOW))
    assert again.get(run.id, "user:alice").samples == 1
    reread = HistoryStore(tmp_path)
    assert [s.ts for s in (reread.oldest(), reread.latest())] == [NOW, NOW + 2]
    Sampler(sim.fs, reread, clock).sample_once()  # the writer migrates it
    assert version(tmp_path / "history.sqlite3") == 1 and version(tmp_path / "runs.sqlite3") == 1
    indexes = sqlite3.connect(tmp_path / "history.sqlite3").execute(
        "SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    assert ("snapshots_base",) in indexes


def test_a_store_of_a_newer_version_is_refused_not_guessed(tmp_path):
    UserStore(tmp_path).add("alice", "correct horse")
    db = sqlite3.connect(tmp_path / "users.sqlite3")
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    with pytest.raises(StoreUnavailable, match="newer irq-server"):
        UserStore(tmp_path).get("alice")
    assert version(tmp_path / "users.sqlite3") == 99  # left as it was


def test_a_corrupt_store_is_moved_aside_and_a_fresh_one_used(tmp_path, caplog):
    store = RunStore(tmp_path, clock=Clock(NOW))
    for k in range(300):  # a few pages of rows
        store.create("user:alice", f"run {k}", "x" * 200, 50.0)
    store.db.close()
    damage(tmp_path / "runs.sqlite3")
    fresh = RunStore(tmp_path, clock=Clock(NOW))
    with pytest.raises(StoreCorrupt):
        for k in range(1, 301):
            fresh.get(k, "user:alice")
    aside = list(tmp_path.glob("runs.sqlite3.corrupt-*"))
    assert len(aside) == 1 and "CORRUPT FILE" in caplog.text
    assert fresh.create("user:alice", "after", None, 50.0).id == 1  # a fresh store
    assert fresh.list("user:alice", 1, 10)[1] == 1


def test_check_at_start_finds_damage_no_query_has_touched_yet(tmp_path):
    users = UserStore(tmp_path)
    for k in range(200):
        users.db.connection().execute(
            "INSERT INTO users (name, scope, password_hash, created, key) VALUES (?, ?, ?, ?, ?)",
            (f"user{k}", "read", "x" * 300, NOW, f"k{k}"))
    users.db.close()
    damage(tmp_path / "users.sqlite3")
    UserStore(tmp_path).db.check()
    assert len(list(tmp_path.glob("users.sqlite3.corrupt-*"))) == 1
    assert UserStore(tmp_path).list() == []
    sound = UserStore(tmp_path)
    sound.add("alice", "correct horse")
    sound.db.check()  # a sound file stays
    assert [u.name for u in UserStore(tmp_path).list()] == ["alice"]


def test_a_garbage_history_is_moved_aside_by_the_sampler_which_records_again(tmp_path, sim,
                                                                             caplog):
    (tmp_path / "history.sqlite3").write_bytes(b"\x00garbage" * 5000)
    readers = HistoryStore(tmp_path, readonly=True)
    with pytest.raises(StoreCorrupt):
        readers.latest()
    assert not list(tmp_path.glob("*.corrupt-*"))  # readers never move it
    clock = Clock(NOW)
    Sampler(sim.fs, HistoryStore(tmp_path), clock).sample_once()
    assert len(list(tmp_path.glob("history.sqlite3.corrupt-*"))) == 1
    assert caplog.text.count("CORRUPT FILE") == 1
    assert readers.latest().ts == NOW  # readers see the new file


def test_a_history_damaged_while_the_sampler_writes_is_moved_aside_once_a_reader_sees_it(
        tmp_path, sim):
    """The sampler's open connection keeps writing past a damaged header; a reader that
    cannot read the file marks it, and the sampler checks it at its next sample."""
    clock = Clock(NOW)
    sampler = Sampler(sim.fs, HistoryStore(tmp_path), clock)
    for _ in range(3):
        sampler.sample_once()
        clock.now += 1
    db = sqlite3.connect(tmp_path / "history.sqlite3")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the header is read from the file itself
    db.close()
    with open(tmp_path / "history.sqlite3", "r+b") as f:
        f.write(b"\x00" * 16)  # "SQLite format 3\0" gone
    readers = HistoryStore(tmp_path, readonly=True)
    with pytest.raises(StoreCorrupt):
        readers.latest()
    assert (tmp_path / "history.sqlite3.suspect").exists()
    clock.now += 1
    sampler.sample_once()
    assert len(list(tmp_path.glob("history.sqlite3.corrupt-*Z"))) == 1  # with its -wal, -shm
    assert not (tmp_path / "history.sqlite3.suspect").exists()
    assert readers.latest().ts == clock.now  # recording again, in a fresh file
