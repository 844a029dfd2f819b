"""Every accepted affinity write in <data-dir>/changes.sqlite3 (WAL: any number of workers):
when, which IRQ, the mask before and after, who (a token's or a user's principal) and the
reason the caller sent. Bounded like the history: rows older than `keep` seconds, and the
oldest past `max_rows`, are purged as new ones arrive.

A write that happened stays a fact even when the disk is full: `record` never raises. The
journal line (`irq_server.audit` logger, written by Host.set_affinity) is then the only
record, and the answer says `audited: false`.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from irq_server.db import Database
from irq_server.errors import StoreUnavailable

FILENAME = "changes.sqlite3"
DEFAULT_KEEP = 90 * 86400.0  # seconds: the default history's longest tier
MAX_ROWS = 100_000
PURGE_EVERY = 100  # records between purges (each purge is two indexed deletes)
MAX_LISTED = 10_000  # rows one read returns at most

log = logging.getLogger(__name__)

MIGRATIONS = ("""
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, irq INTEGER NOT NULL,
    old_mask TEXT NOT NULL, new_mask TEXT NOT NULL, old_list TEXT NOT NULL,
    new_list TEXT NOT NULL, who TEXT NOT NULL, reason TEXT);
CREATE INDEX IF NOT EXISTS changes_by_time ON changes (time, id);
""",)  # version 1: the first schema (db: user_version)


@dataclass(frozen=True)
class Change:
    id: int
    time: float  # epoch seconds of the write
    irq: int
    old_mask: str
    new_mask: str
    old_list: str  # CPU lists as the kernel writes them: "0-3,8"
    new_list: str
    who: str  # "token:<name>", "user:<name>", or "-" (no token: an open server)
    reason: str | None


class AuditLog:
    """The changes of one data dir."""

    def __init__(self, data_dir: str | Path, clock=time.time, keep: float = DEFAULT_KEEP,
                 max_rows: int = MAX_ROWS):
        self.db = Database(Path(data_dir) / FILENAME, MIGRATIONS)
        self.clock = clock
        self.keep = keep
        self.max_rows = max_rows

    def record(self, irq: int, old: tuple[str, str], new: tuple[str, str], who: str,
               reason: str | None) -> bool:
        """Keep one write ((mask, list) before and after). False, logged, when the store
        cannot take it (a full disk, say): the write happened all the same."""
        try:
            with self.db.write() as db:
                row = db.execute(
                    "INSERT INTO changes (time, irq, old_mask, new_mask, old_list, new_list, "
                    "who, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (self.clock(), irq, old[0], new[0], old[1], new[1], who, reason))
                if row.lastrowid % PURGE_EVERY == 0:
                    self._purge(db, row.lastrowid)
            return True
        except StoreUnavailable as exc:
            log.error("the change of IRQ %d is not in the audit log (%s); the journal line "
                      "is its only record", irq, exc)
            return False

    def _purge(self, db, newest_id: int) -> None:
        db.execute("DELETE FROM changes WHERE time < ?", (self.clock() - self.keep,))
        db.execute("DELETE FROM changes WHERE id <= ?", (newest_id - self.max_rows,))

    def between(self, start: float, end: float, limit: int = MAX_LISTED) -> tuple[
            list[Change], bool]:
        """Changes with start <= time <= end, oldest first, at most `limit` of them (the
        newest when there are more), and whether some were left out."""
        rows = self.db.read("SELECT * FROM changes WHERE time >= ? AND time <= ? "
                            "ORDER BY time DESC, id DESC LIMIT ?", (start, end, limit + 1))
        kept = [Change(**dict(r)) for r in rows[:limit]]
        return kept[::-1], len(rows) > limit
