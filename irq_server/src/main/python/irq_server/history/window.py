"""Windows of counts between two instants, from the store and the live counters.

A window is end - start, matched by key and CPU id. Across reboots (boot_id changes) the
segments are summed: what the old boot counted after `start`, every whole boot in between,
and the new boot's counts since it started; never a negative count.

A store that cannot be read (StoreUnavailable: corrupt, full, missing) fails the windows
(503, naming the cause), while what only needs "the counters now" (`current`, `now`, and the
freshness checks) falls back to a live read.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Callable

import numpy as np

from irq_server.errors import InvalidInput, NotFound, StoreUnavailable
from irq_server.history.layout import remap
from irq_server.history.snapshot import HOST, LEVEL_PREFIXES, STAT_PREFIX, THREAD_PREFIX, unwrap
from irq_server.history.store import HistoryStore
from irq_server.types import Snapshot, Window

USAGE_PREFIXES = (STAT_PREFIX,) + LEVEL_PREFIXES
LiveReader = Callable[[], Snapshot]  # raw counters now (read_snapshot bound to a host)


def difference(later: Snapshot, earlier: Snapshot) -> np.ndarray:
    """later - earlier in later's layout; a cell that went down restarted and counts from 0."""
    before = remap(earlier.values, earlier.keys, earlier.cpus, later.keys, later.cpus)
    return np.where(later.values >= before, later.values - before, later.values)


def counts_between(store: HistoryStore | None, start: Snapshot, end: Snapshot) -> np.ndarray:
    """Counts in (start, end], summing boot segments when a reboot lies between."""
    if start.boot_id == end.boot_id:
        return difference(end, start)
    total = end.values.copy()
    first = store.last_of_boot(start.boot_id) if store else None
    if first is not None:
        total += remap(difference(first, start), first.keys, first.cpus, end.keys, end.cpus)
    for boot in store.boots_between(start.ts, end.ts) if store else ():
        if boot not in (start.boot_id, end.boot_id):
            whole = store.last_of_boot(boot)
            total += remap(whole.values, whole.keys, whole.cpus, end.keys, end.cpus)
    return total


class Windows:
    """Answers window queries for one host: history from `store`, the present from `live`."""

    def __init__(self, store: HistoryStore | None, live: LiveReader, clock=time.time,
                 interval: float = 1.0, sleep=None, boot_time: Callable[[], float] = None):
        self.store = store
        self.live = live
        self.clock = clock
        self.interval = interval
        # looked up when called: under gevent, time.sleep is patched after this module loads,
        # and the unpatched one would stop every request of the worker meanwhile
        self.sleep = sleep or (lambda seconds: time.sleep(seconds))
        self.boot_time = boot_time

    def _stored(self) -> HistoryStore | None:
        return self.store if self.store and self.store.exists() else None

    def now(self) -> Snapshot:
        """Live counters, unwrapped against the newest stored snapshot (if it can be read)."""
        try:
            stored = self._stored()
            newest = stored.latest() if stored else None
        except StoreUnavailable:
            newest = None
        return unwrap(newest, self.live())

    def current(self) -> Snapshot:
        """The counters now: the newest stored snapshot while the sampler is fresh, else a
        live read (unwrapped against the newest stored one)."""
        try:
            return self._end(self.clock())
        except StoreUnavailable:
            return self.now()

    def last(self, seconds: float, end: float | None = None) -> Window:
        """The `seconds` up to `end` (default now)."""
        if end is not None:
            end_snap = self._end(end)
            return self.between(end_snap.ts - seconds, end_snap.ts, end_snap=end_snap)
        if seconds < self.interval:  # finer than history: two live reads `seconds` apart
            first = self.live()
            self.sleep(seconds)
            second = unwrap(first, self.live())
            return self._window(first, second, second.ts - seconds)
        end = self._end(self.clock())
        return self.between(end.ts - seconds, end.ts, end_snap=end)

    def between(self, start: float, end: float, end_snap: Snapshot | None = None) -> Window:
        """From `start` to `end` (epoch seconds): the nearest snapshots at or before each."""
        if end < start:
            raise InvalidInput("end is before start", field="end")
        stored = self._stored()
        end_snap = end_snap or self._end(end)
        # samples land a few ms after their tick: a sample that late still starts the window
        start_snap = stored.at_or_before(start + 0.1 * self.interval) if stored else None
        if start_snap is None and stored:
            start_snap = stored.oldest()
        if start_snap is None or start_snap.ts > end_snap.ts:
            return self._since_boot(end_snap, start)
        return self._window(start_snap, end_snap, start)

    def series(self, start: float, end: float, points: int) -> list[Window]:
        """Up to `points` consecutive windows covering (start, end] between stored samples
        picked evenly (the usage rows only: CPU time, memory, filesystems); intervals that
        span a reboot are left out. [] without history."""
        return self._consecutive(start, end, points, _usage_rows)

    def pieces(self, start: float, end: float, count: int) -> list[Window]:
        """Up to `count` consecutive windows with every row, between stored samples picked
        evenly over the part of (start, end] that history holds (what interrupts cost is fitted
        over them: cost.history_fit); intervals that span a reboot are left out."""
        stored = self._stored()
        oldest = stored.oldest() if stored else None
        if oldest is None:
            return []
        return self._consecutive(max(start, oldest.ts), end, count, lambda snap: snap)

    def _consecutive(self, start: float, end: float, points: int,
                     rows: Callable[[Snapshot], Snapshot]) -> list[Window]:
        stored = self._stored()
        if stored is None or end <= start:
            return []
        step = (end - start) / points
        picked: list[Snapshot] = []
        for k in range(points + 1):
            snap = stored.at_or_before(start + k * step + 0.1 * self.interval)
            if snap is not None and (not picked or snap.ts > picked[-1].ts):
                picked.append(rows(snap))
        return [self._window(a, b, a.ts) for a, b in zip(picked, picked[1:])
                if a.boot_id == b.boot_id]

    def last_interval(self) -> Window | None:
        """The usage rows between the two newest stored samples (None with fewer than two,
        or a reboot between them)."""
        stored = self._stored()
        newest = stored.latest() if stored else None
        before = stored.at_or_before(newest.ts - 1e-6) if newest else None
        if before is None or before.boot_id != newest.boot_id:
            return None
        return self._window(_usage_rows(before), _usage_rows(newest), before.ts)

    def has_history(self) -> bool:
        """Some sample is stored. Raises StoreUnavailable when the store cannot be read."""
        stored = self._stored()
        return stored is not None and stored.latest_ts() is not None

    def fresh_newest(self) -> float | None:
        """Time of the newest stored sample while the sampler is fresh (windows ending now
        close there), else None (they close at a live read; so does an unreadable store)."""
        try:
            stored = self._stored()
            newest = stored.latest_ts() if stored else None
        except StoreUnavailable:
            return None
        if newest is None or self.clock() - newest > 2 * self.interval:
            return None
        return newest

    def _end(self, end: float) -> Snapshot:
        """Snapshot closing a window at `end`: the stored one at or before it (or landed up to
        a tenth of an interval after, as a window's start: a time read back from an answer,
        rounded to the millisecond, names its sample); for "now", the newest stored one
        while the sampler is fresh (under two intervals old), else a live read (no history
        yet, or the sampler stopped)."""
        stored = self._stored()
        newest = stored.latest_ts() if stored else None
        if newest is None:
            return self.now()
        end += 0.1 * self.interval
        if end >= newest:
            fresh = self.clock() - newest <= 2 * self.interval
            return stored.latest() if fresh else self.now()
        found = stored.at_or_before(end)
        if found is None:
            oldest = datetime.fromtimestamp(stored.oldest().ts, timezone.utc)
            raise NotFound(f"no history for a window ending then: history starts at "
                           f"{oldest:%Y-%m-%dT%H:%M:%SZ}", field="end")
        return found

    def _window(self, start: Snapshot, end: Snapshot, requested: float) -> Window:
        # a start stored before levels were has no integral to start from
        return _split_host(Window(start=start.ts, end=end.ts, cpus=end.cpus, keys=end.keys,
                                  counts=counts_between(self.store, start, end),
                                  partial=start.ts > requested + 0.1 * self.interval + 1e-6),
                           levels=HOST in start.cpus)

    def _since_boot(self, end: Snapshot, requested: float) -> Window:
        """No history yet: everything counted since the host booted (levels: none)."""
        booted = self.boot_time() if self.boot_time else None
        start = booted if booted is not None else end.ts
        return _split_host(Window(start=start, end=end.ts, cpus=end.cpus, keys=end.keys,
                                  counts=end.values.copy(), partial=start > requested + 1e-6),
                           levels=False)


def _usage_rows(snap: Snapshot) -> Snapshot:
    """`snap` with only its CPU-time and level rows (cheap to subtract, whatever the IRQs)."""
    rows = [i for i, key in enumerate(snap.keys) if key.startswith(USAGE_PREFIXES)]
    return Snapshot(ts=snap.ts, boot_id=snap.boot_id, cpus=snap.cpus,
                    keys=tuple(snap.keys[i] for i in rows), values=snap.values[rows])


def _split_host(window: Window, levels: bool) -> Window:
    """The window with the HOST column (memory, filesystems) moved out of counts, into
    `levels` when they are meaningful: counts then has one column per CPU."""
    if not window.cpus or window.cpus[0] != HOST:  # HOST = -1 sorts first
        return window
    host = window.counts[:, 0]
    found = {key: int(host[i]) for i, key in enumerate(window.keys)
             if levels and key.startswith(LEVEL_PREFIXES)}
    threads = {int(key[len(THREAD_PREFIX):]): int(host[i]) for i, key in enumerate(window.keys)
               if key.startswith(THREAD_PREFIX)}
    return Window(start=window.start, end=window.end, cpus=window.cpus[1:], keys=window.keys,
                  counts=window.counts[:, 1:], partial=window.partial, levels=found,
                  thread_ticks=threads)
