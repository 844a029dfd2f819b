"""Registry entries in <data-dir>/registry.sqlite3 (WAL: any number of workers; survives a
restart). An entry is live for `ttl` seconds after its last publication; expired entries
stay visible to the dump (struck out) until `keep` seconds have passed, then are purged. A
partition exists while it holds any entry, live or not yet purged.

Counts and times of publishes and lookups (/stats) are kept per process and written to the
database at most once a second, so lookups stay read-only transactions.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from irq_server.db import BUSY_PATIENCE, Database, columns, statements
from irq_server.errors import NotFound, StoreBusy
from irq_server.registry.patterns import compile_pattern

FILENAME = "registry.sqlite3"
DEFAULT_TTL = 10.0

def _v1(db) -> None:
    """The first schema. Files of the version before 0.1's review kept a `since` column in
    stats (no longer written: inserting four values into five columns failed every publish):
    the table is rebuilt without it, its counts kept."""
    for statement in statements("""
CREATE TABLE IF NOT EXISTS entries (
    partition TEXT NOT NULL, uid TEXT NOT NULL, uri TEXT NOT NULL,
    connection_type INTEGER NOT NULL, data_type TEXT NOT NULL, published REAL NOT NULL,
    PRIMARY KEY (partition, uid));
CREATE INDEX IF NOT EXISTS entries_by_time ON entries (published);
CREATE INDEX IF NOT EXISTS entries_for_lookup ON entries (partition, data_type, published, uid);
CREATE TABLE IF NOT EXISTS stats (
    process TEXT NOT NULL, kind TEXT NOT NULL, calls INTEGER NOT NULL, seconds REAL NOT NULL,
    PRIMARY KEY (process, kind))"""):
        db.execute(statement)
    if "since" in columns(db, "stats"):
        for statement in statements("""
CREATE TABLE stats_v1 (
    process TEXT NOT NULL, kind TEXT NOT NULL, calls INTEGER NOT NULL, seconds REAL NOT NULL,
    PRIMARY KEY (process, kind));
INSERT INTO stats_v1 SELECT process, kind, calls, seconds FROM stats;
DROP TABLE stats;
ALTER TABLE stats_v1 RENAME TO stats"""):
            db.execute(statement)


MIGRATIONS = (
    _v1,
    # 2: whether an entry was published with a write token (irq-balance sends its token only
    # to those); entries from before were published the old way, so: not known to be
    "ALTER TABLE entries ADD COLUMN authenticated INTEGER NOT NULL DEFAULT 0",
)


@dataclass(frozen=True)
class Entry:
    partition: str
    uid: str
    uri: str
    connection_type: int
    data_type: str
    published: float  # epoch seconds of the last publication
    authenticated: bool = False  # that publication carried a write token (not --open-publish)

    def live(self, now: float, ttl: float) -> bool:
        return now - self.published < ttl


@dataclass(frozen=True)
class Counter:
    calls: int
    seconds: float

    @property
    def average(self) -> float:
        return self.seconds / self.calls if self.calls else 0.0


class RegistryStore:
    def __init__(self, data_dir: str | Path, ttl: float = DEFAULT_TTL, clock=time.time,
                 keep: float | None = None):
        self.db = Database(Path(data_dir) / FILENAME, MIGRATIONS)
        self.ttl = ttl
        self.keep = keep if keep is not None else max(10 * ttl, 60.0)
        self.clock = clock
        self._process = f"{os.uname().nodename}:{os.getpid()}:{id(self)}"
        self._counts = {"publish": [0, 0.0], "lookup": [0, 0.0]}
        self._flushed = 0.0
        self._lock = threading.Lock()

    # ---- the old service's operations ------------------------------------------------------
    def publish(self, partition: str, connections: list[dict],
                authenticated: bool = False) -> int:
        """Insert or refresh entries (uid, uri, connection_type, data_type); how many.
        `authenticated`: the publisher showed a write token (an unauthenticated publication
        of a uid makes its entry unauthenticated, whoever published it before)."""
        started = time.perf_counter()
        now = self.clock()
        rows = [(partition, c["uid"], c["uri"], int(c["connection_type"]), c["data_type"], now,
                 int(authenticated)) for c in connections]
        with self.db.write() as db:
            db.executemany("INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT "
                           "(partition, uid) DO UPDATE SET uri = excluded.uri, connection_type "
                           "= excluded.connection_type, data_type = excluded.data_type, "
                           "published = excluded.published, authenticated = "
                           "excluded.authenticated", rows)
            db.execute("DELETE FROM entries WHERE published < ?", (now - self.keep,))
        self._count("publish", started)
        return len(rows)

    def lookup(self, partition: str, uid_regex: str, data_type: str | None) -> list[Entry]:
        """Live entries of `partition` whose uid the pattern matches anywhere (and of
        `data_type`, unless None), by uid.

        Raises:
            NotFound: no such partition.
            InvalidInput: a pattern RE2 refuses.
        """
        started = time.perf_counter()
        matches = compile_pattern(uid_regex)
        now = self.clock()
        where = "partition = ? AND published > ?"
        params: tuple = (partition, now - self.ttl)
        if data_type is not None:
            where, params = where + " AND data_type = ?", params + (data_type,)
        # uids first (plain tuples: cheap), whole rows only for the matches
        cursor = self.db.connection().cursor()
        cursor.row_factory = None
        with self.db.translated():
            uids = matches.filter([uid for (uid,) in cursor.execute(
                f"SELECT uid FROM entries WHERE {where}", params)])
        if not uids and not self.db.read("SELECT 1 FROM entries WHERE partition = ? LIMIT 1",
                                         (partition,)):
            raise NotFound(f"no partition {partition!r}", field="partition")
        found = []
        for chunk in range(0, len(uids), 500):  # SQLite takes at most 999 parameters
            part = uids[chunk:chunk + 500]
            # by primary key (the planner would walk the lookup index again), re-checked here
            found += (e for e in map(_entry, self.db.read(
                f"SELECT * FROM entries WHERE partition = ? AND uid IN "
                f"({','.join('?' * len(part))})", (partition, *part)))
                if e.live(now, self.ttl) and data_type in (None, e.data_type))
        found.sort(key=lambda e: e.uid)
        self._count("lookup", started)
        return found

    def retract(self, partition: str, uids: list[str]) -> int:
        """Remove these entries; a partition left empty is gone. The known ones are removed
        even when some are unknown (as the old service did), then NotFound names those."""
        uids = list(dict.fromkeys(uids))
        with self.db.write() as db:
            if not db.execute("SELECT 1 FROM entries WHERE partition = ? LIMIT 1",
                              (partition,)).fetchone():
                raise NotFound(f"no partition {partition!r}", field="partition")
            removed = sum(db.execute("DELETE FROM entries WHERE partition = ? AND uid = ?",
                                     (partition, uid)).rowcount for uid in uids)
        if removed < len(uids):
            raise NotFound(f"{len(uids) - removed} of the {len(uids)} connections were not in "
                           f"partition {partition!r} (the others were retracted)",
                           field="connections")
        return removed

    def retract_partition(self, partition: str) -> int:
        with self.db.write() as db:
            removed = db.execute("DELETE FROM entries WHERE partition = ?",
                                 (partition,)).rowcount
        if not removed:
            raise NotFound(f"no partition {partition!r}", field="partition")
        return removed

    # ---- views ------------------------------------------------------------------------------
    def entries(self, limit: int = -1) -> list[Entry]:
        """Entries not purged yet, live or expired, by partition and uid (the first `limit`;
        all when negative)."""
        return [_entry(r) for r in self.db.read(
            "SELECT * FROM entries ORDER BY partition, uid LIMIT ?", (limit,))]

    def count(self) -> int:
        """How many entries are not purged yet."""
        return self.db.read("SELECT count(*) FROM entries")[0][0]

    def stats(self) -> dict[str, Counter]:
        """Publish and lookup counts and times, summed over every process."""
        self._flush(force=True)
        rows = self.db.read("SELECT kind, sum(calls), sum(seconds) FROM stats GROUP BY kind")
        found = {kind: Counter(int(calls), float(seconds)) for kind, calls, seconds in rows}
        return {kind: found.get(kind, Counter(0, 0.0)) for kind in ("publish", "lookup")}

    def _count(self, kind: str, started: float) -> None:
        with self._lock:
            self._counts[kind][0] += 1
            self._counts[kind][1] += time.perf_counter() - started
        self._flush()

    def _flush(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._flushed < 1.0:
            return
        with self._lock:
            self._flushed = now
            counts = {k: tuple(v) for k, v in self._counts.items()}
        try:  # on a lookup's way: never wait for another process's writer, try later
            with self.db.write(patience=BUSY_PATIENCE if force else 0) as db:
                db.executemany("INSERT OR REPLACE INTO stats VALUES (?, ?, ?, ?)",
                               [(self._process, kind, calls, seconds)
                                for kind, (calls, seconds) in counts.items()])
        except StoreBusy:
            pass


def _entry(row) -> Entry:
    return Entry(row["partition"], row["uid"], row["uri"], row["connection_type"],
                 row["data_type"], row["published"], bool(row["authenticated"]))
