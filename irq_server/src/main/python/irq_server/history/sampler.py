"""Sampler(fs, store, clock): takes a snapshot every interval and stores it.

Framework-free and single-threaded; irq-server runs exactly one in its own process (gunicorn
workers fork and would not inherit a thread). SIGTERM finishes the write in flight, then
exits; SQLite's WAL makes a kill -9 lose at most that one sample.

It never gives up: a sample that cannot be stored (a full disk, the host tree unreadable) is
logged once, when the trouble starts, and once when it ends; it keeps trying every interval
and resumes by itself. A corrupt history file is moved aside by the store (loudly), and the
sampler records into a fresh one: when its own writes find it so, at its start, and when a
reader (an API worker) did (the store's `.suspect` mark).
"""
from __future__ import annotations

import logging
import math
import threading
import time

from irq_server.errors import IrqServerError, StoreCorrupt, host_error
from irq_server.history.snapshot import read_snapshot, unwrap
from irq_server.history.store import HistoryStore
from irq_server.procfs import HostFS
from irq_server.procfs.irq_threads import IrqThreads
from irq_server.types import Snapshot

log = logging.getLogger(__name__)
PRUNE_EVERY = 60  # samples between retention passes


class Sampler:
    def __init__(self, fs: HostFS, store: HistoryStore, clock=time.time, after=None):
        self.fs = fs
        self.store = store
        self.clock = clock
        self.after = after  # called after each stored sample (the cost fit: cost.history_fit)
        self.threads = IrqThreads(fs)  # found once, read every sample
        self._previous: Snapshot | None = None
        self._previous_raw: Snapshot | None = None  # the raw read _previous was made from
        self._started = False
        self._count = 0
        self._failing: str | None = None  # why the last sample failed (None: it did not)

    def start(self) -> None:
        """Check the store (a corrupt one is moved aside) and continue from its newest."""
        self.store.check()
        try:
            self._previous = self.store.latest()
        except StoreCorrupt:  # damage quick_check did not see: the store moved it aside
            self._previous = None
        self._started = True

    def sample_once(self) -> Snapshot:
        """Read, unwrap against the previous sample, store; prune now and then."""
        if not self._started:
            self.start()
        elif self.store.db.suspected():  # a reader found it corrupt: look at it whole
            log.warning("a reader found %s unreadable: checking it", self.store.path.name)
            self.store.check()
        try:
            raw = read_snapshot(self.fs, self.clock(), self.threads)
        except OSError as exc:
            raise host_error(exc) from exc
        snap = unwrap(self._previous, raw, self._previous_raw)
        if self._previous is not None and snap.ts <= self._previous.ts:
            log.warning("clock went backwards (%.3f <= %.3f); sample skipped", snap.ts,
                        self._previous.ts)
            return self._previous
        try:
            self.store.append(snap)
        except StoreCorrupt:  # moved aside by the store: this sample opens the fresh one
            self.store.append(snap)
        self._previous, self._previous_raw = snap, raw
        self._count += 1
        if self._count % PRUNE_EVERY == 0:
            self.store.prune(snap.ts)
        if self.after is not None:
            try:
                self.after()
            except Exception:  # the sample is stored: what follows must not look like it failed
                log.exception("after sampling")
        return snap

    def run(self, interval: float, stop: threading.Event) -> None:
        """Sample on interval boundaries until `stop` is set."""
        log.info("sampling %s every %ss into %s", self.fs.root, interval, self.store.path)
        while not stop.is_set():
            try:
                self.sample_once()
                self._recovered()
            except Exception as exc:  # a bad read must not kill the history: log and go on
                self._failed(exc)
            now = self.clock()
            stop.wait(max(0.0, (math.floor(now / interval) + 1) * interval - now))
        log.info("sampler stopped after %d samples", self._count)

    def _failed(self, exc: Exception) -> None:
        why = exc.detail if isinstance(exc, IrqServerError) else f"{type(exc).__name__}: {exc}"
        if why != self._failing:
            log.error("sample not stored: %s; retrying every interval", why,
                      exc_info=not isinstance(exc, IrqServerError))
        self._failing = why

    def _recovered(self) -> None:
        if self._failing is not None:
            log.warning("sampling again (the last failure was: %s)", self._failing)
            self._failing = None
