#!/usr/bin/env python3
"""History store costs, measured side by side in one run.

1. Window cost: 7 days of 1 s samples of a 64-CPU x 500-IRQ simulated host, written straight
   into the store (only what the tiers keep), served by irq-server (gunicorn) while its own
   sampler keeps adding to it every second; median latency
   of /interrupts?period_seconds=604800 vs period_seconds=60 (target <= 1.2) and vs /healthz
   (target <= 2).
2. Store size with every tier full (90 days of a 256-CPU x 2000-IRQ host written straight
   into a store, its counters Poisson arrivals around a daily cycle): with interrupts only
   (target <= 200 MB), and with the host's usage too (CPU ticks per CPU, memory,
   filesystems), then after one more hour of 1 s samples with the sampler's pruning (flat:
   the same size); the median cost of reading one snapshot at a random age with nothing
   cached (a window is two such reads).
3. Sampler cost: CPU seconds per sample on the 256 x 2000 host / the 1 s interval
   (target <= 5 %).
Last line: one JSON object with every figure.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import SERVER_SRC, free_port, median_ms, wait_http
from irq_server.history.sampler import Sampler  # noqa: E402
from irq_server.history.snapshot import HOST, LEVEL_PREFIXES, STAT_KEYS, read_snapshot  # noqa: E402
from irq_server.history.store import HistoryStore  # noqa: E402
from irq_server.history.tiers import DEFAULT_TIERS  # noqa: E402
from irq_server.types import Snapshot  # noqa: E402

from irq_server import sim as simhost  # noqa: E402


def kept_times(end: float, days: float, tiers=DEFAULT_TIERS) -> list[float]:
    """Sample instants the tiers keep at `end` out of `days` of 1 s sampling, oldest first."""
    start = end - days * 86400
    times, age_floor = set(), 0.0
    for tier in tiers:
        lo, hi = max(start, end - tier.keep), end - age_floor
        first = np.ceil(lo / tier.step) * tier.step
        times.update(np.arange(first, hi + 1e-9, tier.step).tolist())
        age_floor = tier.keep
    return sorted(t for t in times if t >= start)


class Counters:
    """Counters of a simulated host whose IRQs fire on their initial CPUs since `origin`:
    exactly rate x time (steady), or, when `realistic`, Poisson arrivals whose rate follows a
    daily cycle (+-50 %, each IRQ at its own phase), as interrupts of real devices do; then
    also its usage: each CPU's /proc/stat ticks (100 Hz, each tick charged to the state the CPU
    is in, busier where more interrupts land), memory that swings with the day, filesystems
    that fill with noise (as integrals, like the sampler stores them)."""

    def __init__(self, sim: simhost.SimHost, origin: float, realistic: bool = False,
                 usage: bool = True):
        self.layout = read_snapshot(sim.fs, origin)
        rates = np.zeros(self.layout.values.shape)
        column = {c: j for j, c in enumerate(self.layout.cpus)}
        for irq in sim.irqs:
            rates[self.layout.keys.index(str(irq.irq)), column[irq.initial_cpu or 0]] = irq.rate
        self.cells = np.flatnonzero(rates)
        self.rates = rates.reshape(-1)[self.cells]
        self.rng = np.random.default_rng(0)
        self.phase = self.rng.uniform(0, 2 * np.pi, len(self.cells))
        self.origin, self.realistic, self.usage = origin, realistic, usage
        self.ts, self.counts = origin, np.zeros(len(self.cells), dtype=np.uint64)
        keys, cpus = self.layout.keys, self.layout.cpus
        self.stat_rows = [keys.index(k) for k in STAT_KEYS if k in keys]
        self.cpu_cols = [j for j, c in enumerate(cpus) if c != HOST]
        self.level_rows = [i for i, k in enumerate(keys) if k.startswith(LEVEL_PREFIXES)]
        self.levels = self.layout.values[self.level_rows, cpus.index(HOST)].astype(float) \
            if HOST in cpus else np.zeros(0)
        self.ticks = np.zeros((len(self.stat_rows), len(self.cpu_cols)), dtype=np.uint64)
        self.integrals = np.zeros(len(self.level_rows), dtype=np.uint64)
        self.cell_col = np.unravel_index(self.cells, self.layout.values.shape)[1]

    def at(self, ts: float) -> Snapshot:
        """The snapshot at `ts` (later than the previous call's)."""
        if self.realistic:
            w = 2 * np.pi / 86400  # mean of rate x (1 + sin/2) over (self.ts, ts], times length
            expected = self.rates * ((ts - self.ts) - 0.5 / w * (
                np.cos(w * ts + self.phase) - np.cos(w * self.ts + self.phase)))
            self.counts += self.rng.poisson(expected).astype(np.uint64)
            if self.usage:
                self._usage(ts, expected)
        else:
            self.counts = np.floor(self.rates * (ts - self.origin)).astype(np.uint64)
        self.ts = ts
        values = np.zeros(self.layout.values.size, dtype=np.uint64)
        values[self.cells] = self.counts
        values = values.reshape(self.layout.values.shape)
        if self.realistic and self.usage and self.stat_rows:
            values[np.ix_(self.stat_rows, self.cpu_cols)] = self.ticks
        if self.realistic and self.usage and self.level_rows:
            values[self.level_rows, self.layout.cpus.index(HOST)] = self.integrals
        return Snapshot(ts=ts, boot_id=self.layout.boot_id, cpus=self.layout.cpus,
                        keys=self.layout.keys, values=values)

    def _usage(self, ts: float, interrupts: np.ndarray) -> None:
        seconds = ts - self.ts
        if self.stat_rows:
            per_column = np.bincount(self.cell_col, weights=interrupts,
                                     minlength=len(self.layout.cpus))[self.cpu_cols]
            load = 1.0 - np.exp(-per_column / max(seconds, 1e-9) / 50000.0)
            none = np.zeros_like(load)
            shares = np.stack([0.05 + 0.55 * load, none + 0.002, 0.02 + 0.15 * load, none,
                               none + 0.01, 0.1 * load, 0.05 * load, none, none, none])
            shares[3] = 1.0 - shares.sum(axis=0)  # CPU_FIELDS order; idle: the rest
            # each 10 ms tick is charged to the state the CPU is in then: multinomial
            ticks = self.rng.multinomial(round(100 * seconds), shares.T)
            self.ticks += ticks.T.astype(np.uint64)
        if self.level_rows:  # each level wanders by 1% around its start, with the day
            swing = 1 + 0.05 * np.sin(2 * np.pi * ts / 86400) + self.rng.normal(0, 0.01,
                                                                                len(self.levels))
            self.integrals += np.rint(self.levels * swing * seconds).astype(np.uint64)


def fill(store: HistoryStore, counters: Counters, times: list[float],
         prune_every: int = 0) -> int:
    """Write the snapshots at `times` (increasing), pruning every `prune_every` samples as the
    sampler does (0: once, at the end)."""
    for i, ts in enumerate(times):
        store.append(counters.at(ts))
        if prune_every and i % prune_every == 0:
            store.prune(ts)
        if i % 2000 == 0:
            print(f"  {i}/{len(times)} samples", file=sys.stderr, flush=True)
    store.prune(times[-1])
    return len(times)


def window_cost(work: Path, repeat: int) -> dict:
    import requests
    sim = simhost.create(work / "host64", simhost.SimSpec(64, 2, 500, seed=1))
    sim.advance(7 * 86400)  # live counters consistent with the generated history
    data = work / "data64"
    print("filling 7 days of a 64x500 host ...", file=sys.stderr, flush=True)
    end = time.time()
    samples = fill(HistoryStore(data), Counters(sim, end - 7 * 86400), kept_times(end, 7))
    port = free_port()
    log = (work / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "irq_server", "--root", str(sim.root),
                             "--data-dir", str(data), "--bind", f"127.0.0.1:{port}",
                             "--workers", "2", "--log-level", "warning"],
                            stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(SERVER_SRC)})
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/healthz")
        session = requests.Session()
        while session.get(base + "/healthz", timeout=5).json()["sampler"]["stale"]:
            time.sleep(0.2)  # the server's sampler has taken its first sample
        week = session.get(base + "/interrupts?period_seconds=604800", timeout=30).json()
        assert week["period_duration_seconds"] > 6.9 * 86400, week
        figures = {name: median_ms(lambda u=url: session.get(base + u, timeout=30).content,
                                   repeat)
                   for name, url in (("window_7d_ms", "/interrupts?period_seconds=604800"),
                                     ("window_60s_ms", "/interrupts?period_seconds=60"),
                                     ("healthz_ms", "/healthz"))}
    finally:
        proc.terminate()
        proc.wait(15)
    figures["samples_7d"] = samples
    figures["window_7d_vs_60s"] = round(figures["window_7d_ms"] / figures["window_60s_ms"], 3)
    figures["window_7d_vs_healthz"] = round(figures["window_7d_ms"] / figures["healthz_ms"], 3)
    return figures


def interrupts_only_size(work: Path) -> dict:
    """The store with every tier full when snapshots hold interrupts only (their usage rows
    all zero: as before usage was recorded)."""
    sim = simhost.create(work / "host256", simhost.SimSpec(256, 4, 2000, seed=1))
    days = DEFAULT_TIERS[-1].keep / 86400
    print(f"filling every tier ({days:g} days) of a 256x2000 host, interrupts only ...",
          file=sys.stderr, flush=True)
    store = HistoryStore(work / "irqs256")
    end = time.time()
    fill(store, Counters(sim, end - days * 86400, realistic=True, usage=False),
         kept_times(end, days))
    store._db().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"store_mb_full_interrupts_only": round(store.stats()["store_bytes"] / 1e6, 1)}


def store_size(work: Path, extra_hours: float, reads: int) -> dict:
    """Every tier filled to capacity (90 days of a 256 x 2000 host with realistic counters and
    usage), then `extra_hours` more of 1 s sampling with the sampler's pruning: the size must
    stay."""
    sim = simhost.SimHost(work / "host256")
    days = DEFAULT_TIERS[-1].keep / 86400
    print(f"filling every tier ({days:g} days) of a 256x2000 host ...", file=sys.stderr,
          flush=True)
    store = HistoryStore(work / "data256")
    end = time.time() - extra_hours * 3600
    counters = Counters(sim, end - days * 86400, realistic=True)
    samples = fill(store, counters, kept_times(end, days))
    store._db().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    full = store.stats()["store_bytes"]
    by_kind = dict(store._db().execute(
        "SELECT base_id IS NULL, SUM(LENGTH(data)) FROM snapshots GROUP BY base_id IS NULL"))
    extra = fill(store, counters, np.arange(np.floor(end) + 1, end + extra_hours * 3600, 1.0)
                 .tolist(), prune_every=60)
    store._db().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    later = store.stats()["store_bytes"]
    reader = HistoryStore(work / "data256", readonly=True)
    oldest, newest = reader.oldest().ts, reader.latest().ts
    rng = np.random.default_rng(0)
    instants = rng.uniform(oldest, newest, reads)
    read_ms = []
    for ts in instants:  # cold: a new reader each time, so no base is cached
        cold = HistoryStore(work / "data256", readonly=True)
        start = time.perf_counter()
        cold.at_or_before(ts)
        read_ms.append((time.perf_counter() - start) * 1000)
    return {"store_mb_full": round(full / 1e6, 1), "samples_full": samples,
            "bytes_per_sample": round(full / samples),
            "whole_snapshot_mb": round(by_kind.get(1, 0) / 1e6, 1),
            "difference_mb": round(by_kind.get(0, 0) / 1e6, 1),
            f"store_mb_full_plus_{extra_hours:g}h": round(later / 1e6, 1),
            "samples_added_after_full": extra,
            "cold_snapshot_read_ms_p50": round(float(np.median(read_ms)), 2),
            "cold_snapshot_read_ms_max": round(float(np.max(read_ms)), 2)}


def sampler_cost(work: Path, samples: int) -> dict:
    sim = simhost.SimHost(work / "host256")
    store = HistoryStore(work / "sampler256")
    sampler = Sampler(sim.fs, store)
    cpu = []
    for _ in range(samples):
        sim.advance(1)
        start = time.process_time()
        sampler.sample_once()
        cpu.append(time.process_time() - start)
    per_sample = float(np.median(cpu))
    return {"sampler_cpu_ms_per_sample": round(per_sample * 1000, 2),
            "sampler_cpu_fraction_at_1s": round(per_sample / 1.0, 4)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40, help="requests per latency median")
    parser.add_argument("--extra-hours", type=float, default=1,
                        help="hours of 1 s samples added once the store is full")
    parser.add_argument("--reads", type=int, default=50, help="cold snapshot reads timed")
    parser.add_argument("--samples", type=int, default=30, help="samples for the sampler cost")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-history-"))
    result = window_cost(work, args.repeat)
    result.update(interrupts_only_size(work))
    result.update(store_size(work, args.extra_hours, args.reads))
    result.update(sampler_cost(work, args.samples))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
