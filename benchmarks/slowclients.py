#!/usr/bin/env python3
"""Slow clients against a real irq-server, on loopback, bounded in time.

A default irq-server (gevent worker, 2 workers, sampler running) serves a simulated 64-CPU x
500-IRQ host. While 256 connections trickle a request's headers (one line every 3 s) and 16
trickle a chunked POST body (one byte every 3 s), from 16 loopback addresses (127.0.0.2-17:
16 hosts), each reconnecting as soon as the server lets it go, a prober (127.0.0.1) asks
GET /healthz and GET /interrupts/cpu/0 in turn every 100 ms for --seconds (30), each on a
fresh connection with a 2 s timeout (a failure: a timeout, a refused connection or a
non-200). Then the same against `--worker-class gthread`, the worker of the version before
(a shorter run: it does not answer), side by side; and ours again while one address opens
1200 slow connections (more than a worker's share for one source: the rest get 503).

Targets (ours): p99 <= 100 ms, 0 failures, 0 missed samples. Last line: one JSON object with
`p99_ms`, `failures`, `probes` and `missed_samples` (ours), the gthread figures and the
one-address run beside.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import SERVER_SRC, free_port, samples_between, stop_group, wait_http
from slow_clients import SlowClients, probe  # testsupport/, shared with the slow-client test

HEADERS, BODIES, EVERY = 256, 16, 3.0
SOURCES = tuple(f"127.0.0.{k}" for k in range(2, 18))  # 16 hosts
ONE_SOURCE = 1200  # slow connections from one address, in the last run


def serve(work: Path, worker_class: str) -> tuple[subprocess.Popen, int, Path]:
    port, data = free_port(), work / f"data-{worker_class}"
    log = open(work / f"server-{worker_class}.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "irq_server", "--simulate", "64:2:500", "--bind",
         f"127.0.0.1:{port}", "--data-dir", str(data), "--worker-class", worker_class,
         "--log-level", "warning"], stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(SERVER_SRC)}, start_new_session=True)
    wait_http(f"http://127.0.0.1:{port}/healthz")
    return proc, port, data


def attack(work: Path, worker_class: str, seconds: float, headers: int = HEADERS,
           bodies: int = BODIES, sources: tuple[str, ...] = SOURCES) -> dict:
    proc, port, data = serve(work, worker_class)
    try:
        time.sleep(3)  # a few samples first
        slow = SlowClients("127.0.0.1", port, headers, bodies, EVERY, sources=sources).start()
        time.sleep(2 * EVERY)  # every slow connection opened and trickling
        t0 = time.time()
        latencies, failures = probe(f"http://127.0.0.1:{port}", seconds, every=0.1)
        latencies = [1000 * s for s in latencies]
        t1 = time.time()
        stats = slow.stop()
        stored = samples_between(data, t0, t1)
    finally:
        stop_group(proc)
    latencies.sort()
    expected = int(t1 - t0) - 1  # 1 s interval; the edges may each miss one
    figures = {"worker_class": worker_class, "sources": len(sources),
               "probes": len(latencies), "failures": failures,
               "p50_ms": round(statistics.median(latencies), 1),
               "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))], 1),
               "max_ms": round(latencies[-1], 1),
               "missed_samples": max(0, expected - stored), "samples_stored": stored,
               "slow_connections_opened": stats.connects,
               "slow_connections_let_go": stats.cut,
               "answered_slow": dict(stats.answered)}
    print(f"{worker_class}: {figures}", file=sys.stderr, flush=True)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="probing time (ours)")
    parser.add_argument("--baseline-seconds", type=float, default=12.0,
                        help="probing time against gthread (0: skip it)")
    parser.add_argument("--one-source-seconds", type=float, default=15.0,
                        help="probing time while one address opens 1200 (0: skip it)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="irq-slowclients-"))
    ours = attack(work, "gevent", args.seconds)
    result = {"host": "64 CPUs x 500 IRQs", "workers": 2,
              "slow_header_connections": HEADERS, "slow_body_connections": BODIES,
              "trickle_every_s": EVERY, **{k: ours[k] for k in (
                  "p99_ms", "failures", "probes", "missed_samples", "p50_ms", "max_ms",
                  "slow_connections_opened", "slow_connections_let_go")}}
    if args.baseline_seconds > 0:
        gthread = attack(work, "gthread", args.baseline_seconds)
        result["gthread"] = {k: gthread[k] for k in ("p99_ms", "failures", "probes",
                                                     "missed_samples")}
    if args.one_source_seconds > 0:
        one = attack(work, "gevent", args.one_source_seconds, ONE_SOURCE, 0, ("127.0.0.99",))
        result["one_source"] = {"slow_connections": ONE_SOURCE, **{k: one[k] for k in (
            "p99_ms", "failures", "probes", "missed_samples")},
            "answered_503": sum(n for status, n in one["answered_slow"].items()
                                if " 503 " in status)}
    result["targets_met"] = (result["p99_ms"] <= 100 and result["failures"] == 0
                             and result["missed_samples"] == 0)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
