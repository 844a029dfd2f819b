"""HistoryStore: cumulative snapshots in SQLite (WAL), thinned by retention tiers.

Each snapshot row holds its counters encoded (history.codec) either whole (keyframes: the
first snapshot of each coarsest-step bucket, or of a boot) or as the difference from the
latest keyframe. Reading any snapshot is therefore one or two indexed row reads, whatever its
age, and a window is two such reads: its cost does not depend on its length. Keyframes are
the last snapshots the tiers drop, so no delta outlives its base.

One writer (the sampler) and many readers (API workers) share the file; WAL keeps readers
from blocking the writer, and each thread gets its own connection.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import sqlite3
import threading
from pathlib import Path


from irq_server.history import codec
from irq_server.history.layout import remap
from irq_server.history.tiers import DEFAULT_TIERS, Tier, level
from irq_server.types import Snapshot

SCHEMA = """
CREATE TABLE IF NOT EXISTS layouts (
    id INTEGER PRIMARY KEY, digest TEXT UNIQUE NOT NULL, cpus TEXT NOT NULL, keys TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY, ts REAL NOT NULL, boot_id TEXT NOT NULL, level INTEGER NOT NULL,
    base_id INTEGER REFERENCES snapshots(id), layout_id INTEGER NOT NULL REFERENCES layouts(id),
    data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS snapshots_ts ON snapshots(ts);
CREATE INDEX IF NOT EXISTS snapshots_level_ts ON snapshots(level, ts);
CREATE TABLE IF NOT EXISTS boots (
    boot_id TEXT PRIMARY KEY, first_ts REAL NOT NULL, last_ts REAL NOT NULL,
    last_id INTEGER NOT NULL);
"""
_COLUMNS = "id, ts, boot_id, level, base_id, layout_id, data"


class HistoryStore:
    """The history file of one data dir."""

    FILENAME = "history.sqlite3"

    def __init__(self, data_dir: str | os.PathLike, tiers: tuple[Tier, ...] = DEFAULT_TIERS,
                 readonly: bool = False):
        self.path = Path(data_dir) / self.FILENAME
        self.tiers = tiers
        self.readonly = readonly
        self._local = threading.local()
        self._layouts: dict[int, tuple[tuple[int, ...], tuple[str, ...]]] = {}
        self._last: tuple[int, float, str] | None = None  # (id, ts, boot) of the newest row
        self._keyframe: tuple[int, Snapshot] | None = None  # newest keyframe, for deltas
        self._snapshot = functools.lru_cache(maxsize=16)(self._load)
        self._ready = False  # the tables exist (once true, stays true)
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._db() as db:
                db.executescript(SCHEMA)

    # ---- connections ----------------------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            if self.readonly:
                if not self.path.exists():
                    raise FileNotFoundError(self.path)
                db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
            else:
                db = sqlite3.connect(self.path, timeout=10)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=10000")
            self._local.db = db
        return db

    def exists(self) -> bool:
        """The file is there with its tables: the sampler creates the file a moment before
        them, and a reader in that moment must see "no history yet", not an error."""
        if not self._ready and self.path.exists():
            try:
                self._ready = self._db().execute(
                    "SELECT 1 FROM sqlite_master WHERE name = 'boots'").fetchone() is not None
            except sqlite3.Error:
                return False
        return self._ready

    # ---- writing --------------------------------------------------------------------------
    def append(self, snap: Snapshot) -> int:
        """Store one snapshot (newer than every stored one); returns its row id."""
        last = self._newest_row()
        same_boot = last is not None and last[2] == snap.boot_id
        lvl = level(snap.ts, last[1] if same_boot else None, self.tiers)
        keyframe = self._latest_keyframe(snap.boot_id) if lvl < len(self.tiers) else None
        layout_id = self._layout_id(snap.cpus, snap.keys)
        if keyframe is None:
            lvl, base_id, data = len(self.tiers), None, codec.encode(snap.values)
        else:
            base_id, base = keyframe
            data = codec.encode(snap.values - remap(base.values, base.keys, base.cpus,
                                                    snap.keys, snap.cpus))
        db = self._db()
        with db:
            row_id = db.execute(
                "INSERT INTO snapshots (ts, boot_id, level, base_id, layout_id, data) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (snap.ts, snap.boot_id, lvl, base_id, layout_id, data)).lastrowid
            db.execute(
                "INSERT INTO boots (boot_id, first_ts, last_ts, last_id) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(boot_id) DO UPDATE SET last_ts = excluded.last_ts, "
                "last_id = excluded.last_id", (snap.boot_id, snap.ts, snap.ts, row_id))
        self._last = (row_id, snap.ts, snap.boot_id)
        if base_id is None:
            self._keyframe = (row_id, snap)
        return row_id

    def prune(self, now: float) -> int:
        """Drop what the tiers no longer keep at time `now`; returns rows deleted.

        A boot's last snapshot is kept as long as the coarsest tier keeps anything: windows
        that span a reboot need it.
        """
        deleted = 0
        db = self._db()
        with db:
            for lvl, tier in enumerate(self.tiers, start=1):
                deleted += db.execute(
                    "DELETE FROM snapshots WHERE level = ? AND ts < ? "
                    "AND id NOT IN (SELECT last_id FROM boots)",
                    (lvl, now - tier.keep)).rowcount
            deleted += db.execute("DELETE FROM snapshots WHERE ts < ?",
                                  (now - self.tiers[-1].keep,)).rowcount
            db.execute("DELETE FROM boots WHERE last_ts < ?", (now - self.tiers[-1].keep,))
        return deleted

    def _layout_id(self, cpus: tuple[int, ...], keys: tuple[str, ...]) -> int:
        for layout_id, layout in self._layouts.items():
            if layout == (cpus, keys):
                return layout_id
        text_cpus, text_keys = json.dumps(cpus), json.dumps(keys)
        digest = hashlib.sha256((text_cpus + text_keys).encode()).hexdigest()
        db = self._db()
        with db:
            db.execute("INSERT OR IGNORE INTO layouts (digest, cpus, keys) VALUES (?, ?, ?)",
                       (digest, text_cpus, text_keys))
        layout_id = db.execute("SELECT id FROM layouts WHERE digest = ?", (digest,)).fetchone()[0]
        self._layouts[layout_id] = (cpus, keys)
        return layout_id

    def _newest_row(self) -> tuple[int, float, str] | None:
        if self._last is None:
            row = self._db().execute(
                "SELECT id, ts, boot_id FROM snapshots ORDER BY ts DESC LIMIT 1").fetchone()
            self._last = tuple(row) if row else None
        return self._last

    def _latest_keyframe(self, boot_id: str) -> tuple[int, Snapshot] | None:
        if self._keyframe is None or self._keyframe[1].boot_id != boot_id:
            row = self._db().execute(
                "SELECT id FROM snapshots WHERE base_id IS NULL AND boot_id = ? "
                "ORDER BY ts DESC LIMIT 1", (boot_id,)).fetchone()
            self._keyframe = (row[0], self._snapshot(row[0])) if row else None
        return self._keyframe

    # ---- reading --------------------------------------------------------------------------
    def latest(self) -> Snapshot | None:
        return self._one("ORDER BY ts DESC LIMIT 1")

    def oldest(self) -> Snapshot | None:
        return self._one("ORDER BY ts ASC LIMIT 1")

    def at_or_before(self, ts: float) -> Snapshot | None:
        """The newest snapshot taken at or before `ts`."""
        return self._one("WHERE ts <= ? ORDER BY ts DESC LIMIT 1", (ts,))

    def last_of_boot(self, boot_id: str) -> Snapshot | None:
        return self._one("WHERE id = (SELECT last_id FROM boots WHERE boot_id = ?)", (boot_id,))

    def boots_between(self, start: float, end: float) -> list[str]:
        """Boot ids with snapshots in (start, end), oldest first."""
        rows = self._db().execute(
            "SELECT boot_id FROM boots WHERE last_ts > ? AND first_ts < ? ORDER BY first_ts",
            (start, end)).fetchall()
        return [r[0] for r in rows]

    def latest_ts(self) -> float | None:
        row = self._db().execute("SELECT MAX(ts) FROM snapshots").fetchone()
        return row[0] if row else None

    def stats(self) -> dict:
        db = self._db()
        count, oldest, newest = db.execute(
            "SELECT COUNT(*), MIN(ts), MAX(ts) FROM snapshots").fetchone()
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*")
                   if p.exists())
        return {"samples": count, "oldest": oldest, "newest": newest, "store_bytes": size}

    def _one(self, where: str, params: tuple = ()) -> Snapshot | None:
        row = self._db().execute(f"SELECT id FROM snapshots {where}", params).fetchone()
        return self._snapshot(row[0]) if row else None

    def _load(self, row_id: int) -> Snapshot:
        """Decode row `row_id` (rows never change once written, so results are cached)."""
        row = self._db().execute(f"SELECT {_COLUMNS} FROM snapshots WHERE id = ?",
                                 (row_id,)).fetchone()
        return self._decode(row)

    def _decode(self, row) -> Snapshot:
        row_id, ts, boot_id, _, base_id, layout_id, data = row
        cpus, keys = self._layout(layout_id)
        values = codec.decode(data)
        if base_id is not None:
            base = self._snapshot(base_id)
            values = values + remap(base.values, base.keys, base.cpus, keys, cpus)
        values.setflags(write=False)
        return Snapshot(ts=ts, boot_id=boot_id, cpus=cpus, keys=keys, values=values)

    def _layout(self, layout_id: int) -> tuple[tuple[int, ...], tuple[str, ...]]:
        if layout_id not in self._layouts:
            cpus, keys = self._db().execute("SELECT cpus, keys FROM layouts WHERE id = ?",
                                            (layout_id,)).fetchone()
            self._layouts[layout_id] = (tuple(json.loads(cpus)), tuple(json.loads(keys)))
        return self._layouts[layout_id]
