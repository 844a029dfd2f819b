"""HistoryStore: cumulative snapshots in SQLite (WAL), thinned by retention tiers.

Each snapshot row holds its counters encoded (history.codec) either whole (keyframes: the
first snapshot of a day, or of a boot) or as the difference from its base: the newest snapshot
of a coarser level (tiers.ladder), so a 1 s sample differs from the sample that opened its
10 s bucket, that one from its minute's, ... and a 10-minute sample from its hour's. Small
differences encode small; smaller still, what is stored is the difference from a prediction:
the base carried forward at the rate it grew at from its own base (counters of a steady
interrupt source then cost a few bits). Reading any snapshot is at most one indexed row read
per level (bases are shared and cached), whatever its age, and a window is two such reads:
its cost does not depend on its length. A snapshot another one is based on is kept until that
one goes.

One writer (the sampler) and many readers (API workers) share the file through
db.Database: WAL keeps readers from blocking the writer, each thread gets its own
connection, errors become domain errors (StoreCorrupt, DiskFull: 503 for the windows), and
the WAL is kept to a few MB. A corrupt file is moved aside by the writer (`check()` at its
start, or whenever a write finds it) for a fresh one; readers notice the new file and drop
every cached row of the old one (`_forget`).
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from pathlib import Path

import numpy as np

from irq_server.db import Database, translated
from irq_server.history import codec
from irq_server.history.layout import remap
from irq_server.history.tiers import DEFAULT_TIERS, Tier, ladder, level
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
CREATE INDEX IF NOT EXISTS snapshots_base ON snapshots(base_id);
CREATE TABLE IF NOT EXISTS boots (
    boot_id TEXT PRIMARY KEY, first_ts REAL NOT NULL, last_ts REAL NOT NULL,
    last_id INTEGER NOT NULL);
"""
MIGRATIONS = (SCHEMA,)  # version 1: this schema (older files lacked only an index)
_COLUMNS = "id, ts, boot_id, level, base_id, layout_id, data"
# reads by time walk the ts index and stop at the first visible row; left to itself SQLite may
# pick the (level, ts) index for "level > 0" and sort every row
_BY_TIME = "snapshots INDEXED BY snapshots_ts"


class HistoryStore:
    """The history file of one data dir."""

    FILENAME = "history.sqlite3"

    def __init__(self, data_dir: str | os.PathLike, tiers: tuple[Tier, ...] = DEFAULT_TIERS,
                 readonly: bool = False):
        self.path = Path(data_dir) / self.FILENAME
        self.tiers = tiers
        self.steps = ladder(tiers)
        self.readonly = readonly
        # a new file gets 64 KiB pages: rows of 3-9 KB then pack whole into pages instead of
        # leaving a third of each 4 KiB leaf page unused
        self.db = Database(self.path, MIGRATIONS, readonly=readonly,
                           new_file_pragmas=("PRAGMA page_size=65536",), on_reopen=self._forget)
        self._lock = threading.Lock()
        self._forget()
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def _forget(self) -> None:
        """Drop everything known about the file's rows: it is a new file (ids start over)."""
        self._layouts: dict[int, tuple[tuple[int, ...], tuple[str, ...]]] = {}
        self._last: tuple[int, float, str] | None = None  # (id, ts, boot) of the newest row
        self._bases: dict[int, tuple[int, Snapshot]] = {}  # level -> newest (id, snapshot)
        self._snapshot = functools.lru_cache(maxsize=16)(self._load)
        self._growth = functools.lru_cache(maxsize=16)(self._growth_of)
        self._ready = False  # the tables exist (once true, stays true for this file)

    # ---- connections ----------------------------------------------------------------------
    def _db(self):
        return self.db.connection()

    def exists(self) -> bool:
        """The file is there with its tables: the sampler creates the file a moment before
        them, and a reader in that moment must see "no history yet", not an error. A file
        that cannot be read raises (StoreCorrupt...): that is not "no history"."""
        if not self.path.exists():
            return False
        if not self._ready:
            with self.db.translated():
                self._ready = self._db().execute(
                    "SELECT 1 FROM sqlite_master WHERE name = 'boots'").fetchone() is not None
        return self._ready

    def check(self) -> None:
        """At the writer's start: a corrupt file is moved aside (a fresh one is made)."""
        self.db.check()

    # ---- writing --------------------------------------------------------------------------
    @translated
    def append(self, snap: Snapshot) -> int:
        """Store one snapshot (newer than every stored one); returns its row id."""
        self._db()  # first: a file replaced meanwhile drops the cached rows of the old one
        last = self._newest_row()
        same_boot = last is not None and last[2] == snap.boot_id
        lvl = level(snap.ts, last[1] if same_boot else None, self.steps)
        based_on = self._base(snap.boot_id, lvl) if lvl < len(self.steps) else None
        layout_id = self._layout_id(snap.cpus, snap.keys)
        if based_on is None:
            lvl, base_id, data = len(self.steps), None, codec.encode(snap.values)
        else:
            base_id = based_on[0]
            data = codec.encode_residual(
                snap.values - self._expected(base_id, snap.ts, snap.keys, snap.cpus))
        with self.db.write() as db:
            row_id = db.execute(
                "INSERT INTO snapshots (ts, boot_id, level, base_id, layout_id, data) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (snap.ts, snap.boot_id, lvl, base_id, layout_id, data)).lastrowid
            db.execute(
                "INSERT INTO boots (boot_id, first_ts, last_ts, last_id) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(boot_id) DO UPDATE SET last_ts = excluded.last_ts, "
                "last_id = excluded.last_id", (snap.boot_id, snap.ts, snap.ts, row_id))
        self._last = (row_id, snap.ts, snap.boot_id)
        if lvl > 1:
            self._bases[lvl] = (row_id, snap)
        return row_id

    @translated
    def prune(self, now: float) -> int:
        """Drop what the tiers no longer keep at time `now`; returns rows deleted.

        Tier i keeps the snapshots of level i (the last tier: of every higher level too). A
        boot's last snapshot is kept as long as the coarsest tier keeps anything: windows that
        span a reboot need it. An expired snapshot that another is still based on is hidden
        (level 0: no read finds it by time) and deleted once nothing is based on it.
        """
        with self.db.write() as db:
            for lvl, tier in enumerate(self.tiers, start=1):
                db.execute(f"UPDATE snapshots SET level = 0 WHERE level "
                           f"{'>=' if lvl == len(self.tiers) else '='} ? AND ts < ? "
                           "AND id NOT IN (SELECT last_id FROM boots)", (lvl, now - tier.keep))
            db.execute("UPDATE snapshots SET level = 0 WHERE ts < ?",
                       (now - self.tiers[-1].keep,))
            deleted = db.execute(
                "DELETE FROM snapshots WHERE level = 0 AND NOT EXISTS "
                "(SELECT 1 FROM snapshots AS d WHERE d.base_id = snapshots.id)").rowcount
            db.execute("DELETE FROM boots WHERE last_ts < ?", (now - self.tiers[-1].keep,))
        return deleted

    def _layout_id(self, cpus: tuple[int, ...], keys: tuple[str, ...]) -> int:
        for layout_id, layout in self._layouts.items():
            if layout == (cpus, keys):
                return layout_id
        text_cpus, text_keys = json.dumps(cpus), json.dumps(keys)
        digest = hashlib.sha256((text_cpus + text_keys).encode()).hexdigest()
        with self.db.write() as db:
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

    def _base(self, boot_id: str, lvl: int) -> tuple[int, Snapshot] | None:
        """The newest snapshot of this boot of a level above `lvl`: what a snapshot of level
        `lvl` is stored as the difference from (None: store it whole)."""
        known = [b for k, b in self._bases.items() if k > lvl and b[1].boot_id == boot_id]
        if known:  # every row of a level > 1 written since start is remembered
            return max(known, key=lambda b: b[1].ts)
        row = self._db().execute(
            "SELECT id, level FROM snapshots WHERE boot_id = ? AND level > ? "
            "ORDER BY ts DESC LIMIT 1", (boot_id, lvl)).fetchone()
        if row is None:
            return None
        self._bases[row[1]] = (row[0], self._snapshot(row[0]))
        return self._bases[row[1]]

    # ---- reading --------------------------------------------------------------------------
    @translated
    def latest(self) -> Snapshot | None:
        return self._one("level > 0 ORDER BY ts DESC LIMIT 1")

    @translated
    def oldest(self) -> Snapshot | None:
        return self._one("level > 0 ORDER BY ts ASC LIMIT 1")

    @translated
    def at_or_before(self, ts: float) -> Snapshot | None:
        """The newest snapshot taken at or before `ts`."""
        return self._one("level > 0 AND ts <= ? ORDER BY ts DESC LIMIT 1", (ts,))

    @translated
    def last_of_boot(self, boot_id: str) -> Snapshot | None:
        return self._one("id = (SELECT last_id FROM boots WHERE boot_id = ?)", (boot_id,),
                         table="snapshots")

    @translated
    def boots_between(self, start: float, end: float) -> list[str]:
        """Boot ids with snapshots in (start, end), oldest first."""
        rows = self._db().execute(
            "SELECT boot_id FROM boots WHERE last_ts > ? AND first_ts < ? ORDER BY first_ts",
            (start, end)).fetchall()
        return [r[0] for r in rows]

    @translated
    def latest_ts(self) -> float | None:
        row = self._db().execute(f"SELECT ts FROM {_BY_TIME} WHERE level > 0 "
                                 "ORDER BY ts DESC LIMIT 1").fetchone()
        return row[0] if row else None

    @translated
    def stats(self) -> dict:
        db = self._db()
        count, oldest, newest = db.execute(
            "SELECT COUNT(*), MIN(ts), MAX(ts) FROM snapshots WHERE level > 0").fetchone()
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*")
                   if p.exists())
        return {"samples": count, "oldest": oldest, "newest": newest, "store_bytes": size}

    def _one(self, where: str, params: tuple = (), table: str = _BY_TIME) -> Snapshot | None:
        row = self._db().execute(f"SELECT id FROM {table} WHERE {where}", params).fetchone()
        return self._snapshot(row[0]) if row else None

    def _load(self, row_id: int) -> Snapshot:
        """Decode row `row_id` (rows never change once written, so results are cached)."""
        for held_id, held in self._bases.values():  # the writer's own bases: no decoding
            if held_id == row_id:
                return held
        row = self._db().execute(f"SELECT {_COLUMNS} FROM snapshots WHERE id = ?",
                                 (row_id,)).fetchone()
        return self._decode(row)

    def _decode(self, row) -> Snapshot:
        row_id, ts, boot_id, _, base_id, layout_id, data = row
        cpus, keys = self._layout(layout_id)
        shape, where, cells, residual = codec.decode_cells(data)
        if base_id is None:
            values = np.zeros(shape, dtype=np.uint64)
        elif residual:
            values = self._expected(base_id, ts, keys, cpus)
        else:  # stored by an older version: the plain difference from the base
            base = self._snapshot(base_id)
            values = remap(base.values, base.keys, base.cpus, keys, cpus).copy()
        values.reshape(-1)[where] += cells
        values.setflags(write=False)
        return Snapshot(ts=ts, boot_id=boot_id, cpus=cpus, keys=keys, values=values)

    def _expected(self, base_id: int, ts: float, keys: tuple[str, ...],
                  cpus: tuple[int, ...]) -> np.ndarray:
        """What a snapshot at `ts` laid out as (keys x cpus) is predicted to hold: its base's
        counters plus the base's own growth since its base, scaled to the time elapsed.
        Integer arithmetic (modulo 2**64, times in ms) so writer and readers agree exactly.
        A new array, free to change."""
        base = self._snapshot(base_id)
        values = base.values.copy()
        growth = self._growth(base_id)
        if growth is not None:
            span, where, grown = growth
            step = np.uint64(round((ts - base.ts) * 1000))
            values.reshape(-1)[where] += grown * step // np.uint64(span)
        return remap(values, base.keys, base.cpus, keys, cpus)

    def _growth_of(self, base_id: int) -> tuple[int, np.ndarray, np.ndarray] | None:
        """(ms, cells, growth) of snapshot `base_id` since its own base; None for a keyframe."""
        parent_id = self._db().execute("SELECT base_id FROM snapshots WHERE id = ?",
                                       (base_id,)).fetchone()[0]
        if parent_id is None:
            return None
        base, parent = self._snapshot(base_id), self._snapshot(parent_id)
        span = round((base.ts - parent.ts) * 1000)
        if span <= 0:
            return None
        grown = (base.values - remap(parent.values, parent.keys, parent.cpus,
                                     base.keys, base.cpus)).reshape(-1)
        where = np.flatnonzero(grown)
        return span, where, grown[where]

    def _layout(self, layout_id: int) -> tuple[tuple[int, ...], tuple[str, ...]]:
        if layout_id not in self._layouts:
            cpus, keys = self._db().execute("SELECT cpus, keys FROM layouts WHERE id = ?",
                                            (layout_id,)).fetchone()
            self._layouts[layout_id] = (tuple(json.loads(cpus)), tuple(json.loads(keys)))
        return self._layouts[layout_id]
