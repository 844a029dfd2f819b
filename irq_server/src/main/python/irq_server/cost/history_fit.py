"""The estimate tier: costs fitted over a host's history, in the sampler process, every
FIT_EVERY seconds, and kept in <data dir>/costs.json for the API workers to read.

The fit (cost.estimator) takes up to PIECES consecutive windows of the last LOOKBACK seconds
of history, each IRQ's queue family (cost.families) as its group. A CPU's time is its
/proc/stat irq + softirq ticks: on a kernel that accounts only one of the two (the other
stays 0), the costs cover only that part, and `Estimate.accounted` says which.
"""
from __future__ import annotations

import json
import logging
import os
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from irq_server.cost.estimator import Observation, fit
from irq_server.cost.families import group_index
from irq_server.datadir import atomic_write
from irq_server.history.layout import remap
from irq_server.history.snapshot import STAT_PREFIX
from irq_server.procfs import HostFS, read_interrupts
from irq_server.types import USER_HZ, Window

log = logging.getLogger(__name__)
FIT_EVERY = 30.0  # seconds between two fits
LOOKBACK = 3600.0  # seconds of history fitted
PIECES = 60  # windows it is cut into
COSTS_FILE = "costs.json"
ACCOUNTED = ("irq", "softirq")  # the /proc/stat fields that hold IRQ time


@dataclass(frozen=True)
class Estimate:
    """What the last fit found."""

    fitted_at: float  # epoch seconds
    windows: int  # history windows it used
    accounted: tuple[str, ...]  # ACCOUNTED fields that had time in them ("irq", "softirq")
    costs: dict[str, tuple[float, float] | None]  # IRQ -> (seconds per interrupt, standard
    #                                                error); None: history cannot separate it


def cpu_seconds(window: Window, field: str) -> np.ndarray:
    """Per CPU of `window`, its seconds in a /proc/stat field ("irq", "softirq"); zeros when
    the window has no such row."""
    key = STAT_PREFIX + field
    if key not in window.keys:
        return np.zeros(len(window.cpus))
    return window.counts[window.keys.index(key)].astype(np.float64) / USER_HZ


def handler_names(fs: HostFS) -> dict[str, str]:
    """IRQ -> its handler names as /proc/interrupts prints them (their families group them)."""
    return {row.name: ", ".join(row.actions) for row in read_interrupts(fs).rows
            if row.irq is not None}


def fit_history(pieces: list[Window], names: dict[str, str], clock=time.time) -> Estimate | None:
    """Fit over `pieces` (oldest first) the costs of the IRQs of the newest one; `names`: IRQ
    -> handler names (for the families). None without pieces or without accounted time."""
    if not pieces:
        return None
    last = pieces[-1]
    keys = tuple(k for k in last.keys if k.isdigit())
    stat_keys = tuple(STAT_PREFIX + f for f in ACCOUNTED)
    observations = []
    accounted = dict.fromkeys(ACCOUNTED, 0.0)
    for piece in pieces:
        counts = remap(piece.counts, piece.keys, piece.cpus, keys, last.cpus)
        time_rows = remap(piece.counts, piece.keys, piece.cpus, stat_keys, last.cpus)
        seconds = time_rows.astype(np.float64) / USER_HZ
        for field, row in zip(ACCOUNTED, seconds):
            accounted[field] += float(row.sum())
        observations.append(Observation(seconds=piece.end - piece.start, counts=counts,
                                        busy=seconds.sum(axis=0)))
    fields = tuple(f for f, total in accounted.items() if total > 0)
    groups, _ = group_index([names.get(k, "") for k in keys])
    found = fit(observations, groups, int(groups.max()) + 1) if fields and keys else None
    if found is None:
        return Estimate(fitted_at=clock(), windows=0, accounted=fields, costs={})
    cost, error = found.cost_of(groups), found.error[groups]
    known = found.identifiable[groups]
    return Estimate(fitted_at=clock(), windows=found.windows, accounted=fields,
                    costs={k: (float(cost[i]), float(error[i])) if known[i] else None
                           for i, k in enumerate(keys)})


def save(data_dir: str | os.PathLike, estimate: Estimate) -> None:
    """Write costs.json whole (a full disk keeps the previous one: said, not raised)."""
    body = {"fitted_at": estimate.fitted_at, "windows": estimate.windows,
            "accounted": list(estimate.accounted),
            "costs": {k: list(v) if v else None for k, v in estimate.costs.items()}}
    try:
        atomic_write(Path(data_dir) / COSTS_FILE, json.dumps(body).encode())
    except OSError as exc:
        log.warning("cannot write %s (%s): the API keeps the previous cost estimate",
                    COSTS_FILE, exc.strerror)


MAX_FILE = 64 << 20  # bytes: far past the costs of 100,000 IRQs


def load(path: Path) -> Estimate | None:
    """costs.json read back; None when absent, and when damaged or not a regular file of at
    most MAX_FILE bytes (said once per version). Opened without blocking and checked on the
    open file: a FIFO put there between a stat and the open cannot stop a worker."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("%s is unreadable (%s): no cost estimate", path, exc.strerror)
        return None
    try:
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE:
                raise ValueError(f"not a regular file of at most {MAX_FILE} bytes")
            raw = json.loads(f.read(MAX_FILE + 1))
        windows = int(raw["windows"])
        if not 0 <= windows <= 1_000_000:
            raise ValueError(f"windows {windows}")
        return Estimate(fitted_at=float(raw["fitted_at"]), windows=windows,
                        accounted=tuple(f for f in raw["accounted"] if f in ACCOUNTED),
                        costs={str(k): (_seconds(v[0]), _seconds(v[1])) if v else None
                               for k, v in raw["costs"].items()})
    except Exception as exc:  # whatever is in it: no estimate, never a failed request
        log.warning("%s is unreadable (%s): no cost estimate until the sampler writes it "
                    "again", path, exc)
        return None


def _seconds(value) -> float:
    """A cost or its error as the fit writes it: a finite number of seconds, 0 to 1."""
    number = float(value)
    if not 0.0 <= number <= 1.0:  # NaN too
        raise ValueError(f"{value!r} is no cost per interrupt in seconds")
    return number


class EstimateFile:
    """costs.json as the API workers see it: read again only when it was replaced."""

    def __init__(self, data_dir: str | os.PathLike):
        self.path = Path(data_dir) / COSTS_FILE
        self._stamp: tuple[int, int] | None = None
        self._estimate: Estimate | None = None

    def get(self) -> Estimate | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:  # load() never raises: a damaged file is no estimate
            self._stamp, self._estimate = stamp, load(self.path)
        return self._estimate


class Fitter:
    """Run by the sampler after its samples: fit again once FIT_EVERY seconds have passed
    (`maybe`), in a thread of its own (`start`): a fit takes about a second on a 256-CPU x
    2000-IRQ host with an hour of history, and the next sample must not wait for it."""

    def __init__(self, windows, names, data_dir: str | os.PathLike, every: float = FIT_EVERY,
                 clock=time.time):
        self.windows = windows  # history.window.Windows over the sampler's store
        self.names = names  # () -> {IRQ: handler names}
        self.data_dir = data_dir
        self.every = every
        self.clock = clock
        self._last = float("-inf")
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """`maybe` in a background thread, unless one still runs or no fit is due."""
        if (self._thread is not None and self._thread.is_alive()) or \
                self.clock() - self._last < self.every:
            return
        self._thread = threading.Thread(target=self._background, name="cost-fit", daemon=True)
        self._thread.start()

    def _background(self) -> None:
        try:
            self.maybe()
        except Exception:  # a fit that fails must not stop the next ones
            log.exception("cost fit failed; the next one is tried in %g s", self.every)

    def maybe(self) -> Estimate | None:
        now = self.clock()
        if now - self._last < self.every:
            return None
        self._last = now
        estimate = fit_history(self.windows.pieces(now - LOOKBACK, now, PIECES), self.names(),
                               clock=self.clock)
        if estimate is not None:
            save(self.data_dir, estimate)
        return estimate
