"""Sampler(fs, store, clock): takes a snapshot every interval and stores it.

Framework-free and single-threaded; irq-server runs exactly one in its own process (gunicorn
workers fork and would not inherit a thread). SIGTERM finishes the write in flight, then
exits; SQLite's WAL makes a kill -9 lose at most that one sample.
"""
from __future__ import annotations

import logging
import math
import threading
import time

from irq_server.history.snapshot import read_snapshot, unwrap
from irq_server.history.store import HistoryStore
from irq_server.procfs import HostFS
from irq_server.types import Snapshot

log = logging.getLogger(__name__)
PRUNE_EVERY = 60  # samples between retention passes


class Sampler:
    def __init__(self, fs: HostFS, store: HistoryStore, clock=time.time):
        self.fs = fs
        self.store = store
        self.clock = clock
        self._previous: Snapshot | None = store.latest()
        self._count = 0

    def sample_once(self) -> Snapshot:
        """Read, unwrap against the previous sample, store; prune now and then."""
        snap = unwrap(self._previous, read_snapshot(self.fs, self.clock()))
        if self._previous is not None and snap.ts <= self._previous.ts:
            log.warning("clock went backwards (%.3f <= %.3f); sample skipped", snap.ts,
                        self._previous.ts)
            return self._previous
        self.store.append(snap)
        self._previous = snap
        self._count += 1
        if self._count % PRUNE_EVERY == 0:
            self.store.prune(snap.ts)
        return snap

    def run(self, interval: float, stop: threading.Event) -> None:
        """Sample on interval boundaries until `stop` is set."""
        log.info("sampling %s every %ss into %s", self.fs.root, interval, self.store.path)
        while not stop.is_set():
            try:
                self.sample_once()
            except Exception:  # a bad read must not kill the history: log and go on
                log.exception("sample failed")
            now = self.clock()
            stop.wait(max(0.0, (math.floor(now / interval) + 1) * interval - now))
        log.info("sampler stopped after %d samples", self._count)
