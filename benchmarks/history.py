#!/usr/bin/env python3
"""History store costs, measured side by side in one run.

1. Window cost: 7 days of 1 s samples of a 64-CPU x 500-IRQ simulated host, written straight
   into the store (only what the tiers keep), served by irq-server (gunicorn) while its own
   sampler keeps adding to it every second; median latency
   of /interrupts?period_seconds=604800 vs period_seconds=60 (target <= 1.2) and vs /healthz
   (target <= 2).
2. Store size after 30 simulated days of a 256-CPU x 2000-IRQ host (target <= 200 MB), and
   the size once the coarsest tier is full (where it stays flat).
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

from irq_server import simhost  # noqa: E402
from irq_server.history.sampler import Sampler  # noqa: E402
from irq_server.history.snapshot import read_snapshot  # noqa: E402
from irq_server.history.store import HistoryStore  # noqa: E402
from irq_server.history.tiers import DEFAULT_TIERS  # noqa: E402
from irq_server.types import Snapshot  # noqa: E402


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


def fill(store: HistoryStore, sim: simhost.SimHost, end: float, days: float) -> int:
    """Write the snapshots 1 s sampling would leave, for a host whose IRQs fire at their rates
    on their initial CPUs since `end - days`."""
    layout = read_snapshot(sim.fs, end)
    rates = np.zeros(layout.values.shape)
    column = {c: j for j, c in enumerate(layout.cpus)}
    for irq in sim.irqs:
        rates[layout.keys.index(str(irq.irq)), column[irq.initial_cpu or 0]] = irq.rate
    t0 = end - days * 86400
    times = kept_times(end, days)
    for i, ts in enumerate(times):
        values = np.floor(rates * (ts - t0)).astype(np.uint64)
        store.append(Snapshot(ts=ts, boot_id=layout.boot_id, cpus=layout.cpus,
                              keys=layout.keys, values=values))
        if i % 2000 == 0:
            print(f"  {i}/{len(times)} samples", file=sys.stderr, flush=True)
    store.prune(end)
    return len(times)


def window_cost(work: Path, repeat: int) -> dict:
    import requests
    sim = simhost.create(work / "host64", simhost.SimSpec(64, 2, 500, seed=1))
    sim.advance(7 * 86400)  # live counters consistent with the generated history
    data = work / "data64"
    print("filling 7 days of a 64x500 host ...", file=sys.stderr, flush=True)
    samples = fill(HistoryStore(data), sim, time.time(), 7)
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


def store_size(work: Path, days: float) -> dict:
    sim = simhost.create(work / "host256", simhost.SimSpec(256, 4, 2000, seed=1))
    print(f"filling {days:g} days of a 256x2000 host ...", file=sys.stderr, flush=True)
    store = HistoryStore(work / "data256")
    samples = fill(store, sim, time.time(), days)
    store._db().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = store.stats()["store_bytes"]
    full = len(kept_times(time.time(), DEFAULT_TIERS[-1].keep / 86400))
    return {"store_mb_30d": round(size / 1e6, 1), "samples_30d": samples,
            "bytes_per_sample": round(size / samples),
            "samples_when_full": full, "store_mb_when_full": round(size / samples * full / 1e6, 1)}


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
    parser.add_argument("--days", type=float, default=30, help="simulated days for the size")
    parser.add_argument("--samples", type=int, default=30, help="samples for the sampler cost")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-history-"))
    result = window_cost(work, args.repeat)
    result.update(store_size(work, args.days))
    result.update(sampler_cost(work, args.samples))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
