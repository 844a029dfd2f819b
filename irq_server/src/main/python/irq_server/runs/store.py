"""Runs and their usage samples in <data-dir>/runs.sqlite3 (WAL: any number of workers).

A run keeps a running total of its seconds above the threshold, so reading one is O(1): each
sample newer than the newest adds what the newest held (sample-and-hold, runs.stats); a
sample older than the newest, or a stop before it, makes the total be recomputed from every
sample. Every change is one transaction that also checks the run's owner and state.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from irq_server.db import Database
from irq_server.errors import Conflict, Forbidden, InvalidInput, NotFound
from irq_server.runs.stats import time_above

FILENAME = "runs.sqlite3"
FUTURE_SLACK = 60.0  # seconds a client's clock may run ahead of ours

MIGRATIONS = ("""
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, name TEXT NOT NULL,
    description TEXT, threshold REAL NOT NULL, host TEXT, start_time REAL NOT NULL,
    end_time REAL, samples INTEGER NOT NULL DEFAULT 0,
    above_seconds REAL NOT NULL DEFAULT 0,  -- up to last_ts (plus the tail once stopped)
    last_ts REAL, last_above INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS runs_by_owner ON runs (owner, start_time DESC, id DESC);
CREATE TABLE IF NOT EXISTS usage (
    run_id INTEGER NOT NULL REFERENCES runs (id), ts REAL NOT NULL, cpu_usage REAL NOT NULL);
CREATE INDEX IF NOT EXISTS usage_by_run ON usage (run_id, ts);
""",)  # version 1: the first schema (db: user_version)


@dataclass(frozen=True)
class Run:
    id: int
    owner: str  # principal: "user:<name>" or "token:<name>"
    name: str
    description: str | None
    threshold: float  # percent
    host: str | None  # hostname the run measured (None: not said)
    start_time: float
    end_time: float | None  # None while active
    samples: int
    above_seconds: float
    last_ts: float | None
    last_above: bool

    @property
    def active(self) -> bool:
        return self.end_time is None

    def duration(self, now: float) -> float:
        return (now if self.end_time is None else self.end_time) - self.start_time

    def time_above_threshold(self) -> float:
        """Seconds above the threshold so far (see runs.stats for the rule)."""
        tail = 0.0
        if self.end_time is not None and self.last_above and self.last_ts is not None:
            tail = max(0.0, self.end_time - max(self.last_ts, self.start_time))
        return self.above_seconds + tail


class RunStore:
    def __init__(self, data_dir: str | Path, clock=time.time):
        self.db = Database(Path(data_dir) / FILENAME, MIGRATIONS)
        self.clock = clock

    def create(self, owner: str, name: str, description: str | None, threshold: float,
               host: str | None = None, start_time: float | None = None) -> Run:
        start = self.clock() if start_time is None else start_time
        self._not_future(start, "start_time")
        with self.db.write() as db:
            run_id = db.execute(
                "INSERT INTO runs (owner, name, description, threshold, host, start_time) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (owner, name, description, threshold, host, start)).lastrowid
            return self._get(db, run_id)

    def get(self, run_id: int, owner: str) -> Run:
        db = self.db.connection()
        with self.db.translated():
            run = self._get(db, run_id)
        _check_owner(run, owner)
        return run

    def list(self, owner: str, page: int, per_page: int) -> tuple[list[Run], int]:
        """The owner's runs, newest first: one page of them, and how many there are."""
        rows = self.db.read("SELECT * FROM runs WHERE owner = ? ORDER BY start_time DESC, "
                            "id DESC LIMIT ? OFFSET ?", (owner, per_page, (page - 1) * per_page))
        total = self.db.read("SELECT count(*) FROM runs WHERE owner = ?", (owner,))[0][0]
        return [_run(r) for r in rows], total

    def add_usage(self, run_id: int, owner: str, cpu_usage: float,
                  ts: float | None = None) -> tuple[Run, bool]:
        """Record one sample; the run after it, and whether the sample is above the threshold.

        Raises:
            NotFound / Forbidden: no such run, or another caller's.
            Conflict: the run is stopped.
        """
        ts = self.clock() if ts is None else ts
        self._not_future(ts, "timestamp")
        with self.db.write() as db:
            run = self._open_run(db, run_id, owner, "was stopped; it takes no more usage")
            above = cpu_usage > run.threshold
            db.execute("INSERT INTO usage VALUES (?, ?, ?)", (run_id, ts, cpu_usage))
            if run.last_ts is None or ts >= run.last_ts:
                gained = (max(0.0, ts - max(run.last_ts, run.start_time))
                          if run.last_above and run.last_ts is not None else 0.0)
                db.execute("UPDATE runs SET samples = samples + 1, above_seconds = "
                           "above_seconds + ?, last_ts = ?, last_above = ? WHERE id = ?",
                           (gained, ts, above, run_id))
            else:  # an older sample than the newest: recompute from them all
                total = time_above(_samples(db, run_id), run.threshold, run.start_time,
                                   run.last_ts)
                db.execute("UPDATE runs SET samples = samples + 1, above_seconds = ? "
                           "WHERE id = ?", (total, run_id))
            return self._get(db, run_id), above

    def stop(self, run_id: int, owner: str, end_time: float | None = None) -> Run:
        end = self.clock() if end_time is None else end_time
        self._not_future(end, "end_time")
        with self.db.write() as db:
            run = self._open_run(db, run_id, owner, "is already stopped")
            if end_time is None:  # "now", for a run started up to a minute ahead: its start
                end = max(end, run.start_time)
            elif end < run.start_time:
                raise InvalidInput("end_time is before the run's start_time", field="end_time")
            if run.last_ts is not None and end < run.last_ts:  # samples past the end
                total = time_above(_samples(db, run_id), run.threshold, run.start_time, end)
                db.execute("UPDATE runs SET above_seconds = ?, last_ts = ?, last_above = 0 "
                           "WHERE id = ?", (total, end, run_id))
            db.execute("UPDATE runs SET end_time = ? WHERE id = ?", (end, run_id))
            return self._get(db, run_id)

    def _open_run(self, db, run_id: int, owner: str, stopped: str) -> Run:
        """The caller's run, still active (NotFound, Forbidden, Conflict otherwise)."""
        run = self._get(db, run_id)
        _check_owner(run, owner)
        if not run.active:
            raise Conflict(f"run {run_id} {stopped}")
        return run

    def _not_future(self, ts: float, field: str) -> None:
        if ts > self.clock() + FUTURE_SLACK:
            raise InvalidInput(f"{field} is in the future (more than {FUTURE_SLACK:g} s ahead "
                               "of the server's clock)", field=field)

    @staticmethod
    def _get(db, run_id: int) -> Run:
        row = db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise NotFound(f"no run {run_id}", field="id")
        return _run(row)


def _check_owner(run: Run, owner: str) -> None:
    if run.owner != owner:
        raise Forbidden(f"run {run.id} belongs to another user")


def _samples(db, run_id: int) -> list[tuple[float, float]]:
    return [tuple(r) for r in db.execute("SELECT ts, cpu_usage FROM usage WHERE run_id = ? "
                                         "ORDER BY ts, rowid", (run_id,))]


def _run(row) -> Run:
    return Run(id=row["id"], owner=row["owner"], name=row["name"],
               description=row["description"], threshold=row["threshold"], host=row["host"],
               start_time=row["start_time"], end_time=row["end_time"], samples=row["samples"],
               above_seconds=row["above_seconds"], last_ts=row["last_ts"],
               last_above=bool(row["last_above"]))
