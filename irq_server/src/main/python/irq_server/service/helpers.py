"""The helper processes of a server, each run as `python -m irq_server <role>` and kept
running by the supervisor: the sampler (the history's only writer), the simulator (with
--simulate) and the publisher (with --publish-to). Each stops on SIGTERM/SIGINT or when its
parent goes away."""
from __future__ import annotations

import logging
import math
import os
import shutil
import signal
import threading
import time
from pathlib import Path

from irq_server import datadir
from irq_server.config import Settings
from irq_server.cost.history_fit import Fitter, handler_names
from irq_server.history.sampler import Sampler
from irq_server.history.store import HistoryStore
from irq_server.history.window import Windows
from irq_server.host import Host
from irq_server.registry.publisher import Publisher, token_from_env

log = logging.getLogger(__name__)


def prepare_simulation(settings: Settings) -> str:
    """Create (or reuse, when the size matches) the simulated tree; return its root."""
    root = Path(settings.data_dir) / "simhost"
    from irq_server import sim  # only a simulated host needs it
    spec = sim.SimSpec.parse(settings.simulate, settings.seed)
    if sim.is_complete(root, spec):
        log.info("reusing simulated host %s in %s", settings.simulate, root)
    else:
        log.info("building simulated host %s (seed %d) in %s", settings.simulate,
                 settings.seed, root)
        shutil.rmtree(root, ignore_errors=True)  # another size, or cut short by a crash
        sim.create(root, spec)
    return str(root)


def run_simulator(root: str, interval: float) -> int:
    """Advance the simulated host at `root` every `interval` seconds until SIGTERM/SIGINT or
    until the parent process goes away. Steps fall half-way between the sampler's ticks (it
    samples on interval boundaries) and each delivers one whole interval per half-way instant
    passed since the last step: a window of n intervals holds exactly n intervals' interrupts,
    however late a step wakes or long it takes (up to half an interval)."""
    from irq_server import sim
    stop = _stop_on_signals()
    host = sim.SimHost(root)
    parent = os.getppid()
    log.info("simulator advancing %s every %ss", root, interval)
    failing = None
    done = _half_past_index(time.time(), interval)
    while not stop.wait(_half_past(time.time(), interval)) and os.getppid() == parent:
        due = _half_past_index(time.time(), interval)
        if due <= done:  # woke early: that instant is still ahead
            continue
        try:
            host.advance(min(due - done, 10) * interval)
            done = due
        except OSError as exc:  # its tree's disk is full, say: said once, tried again
            if exc.strerror != failing:
                log.error("the simulated host cannot advance (%s); retrying every step",
                          exc.strerror)
            failing = exc.strerror
            continue
        if failing is not None:
            log.warning("the simulated host advances again")
            failing = None
    return 0


def _half_past_index(now: float, interval: float) -> int:
    """The half-way instant (k + 0.5) * interval nearest to `now`, as k."""
    return round(now / interval - 0.5)


def _half_past(now: float, interval: float) -> float:
    """Seconds from `now` to the next instant half an interval past an interval boundary."""
    return (math.floor(now / interval - 0.5) + 1.5) * interval - now


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def run_sampler(root: str, data_dir: str, interval: float, tiers) -> int:
    """Sample `root` into <data_dir>/history.sqlite3 until SIGTERM/SIGINT (finishing the
    sample in flight) or until the parent process goes away."""
    datadir.claim(data_dir, "sampler")  # exactly one sampler per store
    stop = _stop_on_signals()
    parent = os.getppid()
    threading.Thread(target=_watch_parent, args=(parent, stop), daemon=True).start()
    fs = Host.tree(root)
    store = HistoryStore(data_dir, tiers=tiers)
    readers = HistoryStore(data_dir, tiers=tiers, readonly=True)  # the fit's, in its thread
    fitter = Fitter(Windows(readers, live=None, interval=interval), lambda: handler_names(fs),
                    data_dir)
    sampler = Sampler(fs, store, after=fitter.start)
    sampler.run(interval, stop)
    return 0


def _watch_parent(parent: int, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        if os.getppid() != parent:
            stop.set()


def run_publisher(registry: str, partition: str, uid: str, uri: str) -> int:
    """Keep `uid` published in `registry` until SIGTERM/SIGINT or the parent goes away; then
    retract it."""
    stop = _stop_on_signals()
    threading.Thread(target=_watch_parent, args=(os.getppid(), stop), daemon=True).start()
    Publisher(registry, partition, uid, uri, token=token_from_env()).run(stop)
    return 0
