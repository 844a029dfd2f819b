#!/usr/bin/env python3
"""API cost under wrk (installed from Debian when missing), all on loopback, bounded in time.

A real irq-server (its default gunicorn worker, gevent, 2 workers; `--worker-class gthread`
for the 2 x 4 threads of earlier versions) serves a simulated 64-CPU x 500-IRQ host with its
sampler running; beside it, a Flask hello-world on the same gunicorn settings. In one run:
  irqs_vs_window   p50 of GET /irqs / p50 of GET /interrupts/irqs (1 connection; target <= 2)
  window_vs_hello  requests/s of GET /interrupts/cpu/0?period_seconds=10 / hello-world's
                   (32 connections; the median of 3 alternating pairs; target >= 0.5)
  missed_samples   samples the sampler should have stored during the load but did not (target 0)
Last line: one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from _common import SERVER_SRC, debian_tool, free_port, samples_between, stop_group, wait_http

WORKERS, THREADS = 2, 4  # threads: gthread only
ROUNDS = 3  # alternating window / hello-world runs behind window_vs_hello
HELLO = """from flask import Flask
app = Flask(__name__)

@app.route("/")
def hello():
    return "hello"
"""


def wrk(binary: str, url: str, connections: int, seconds: int) -> dict:
    """Requests/s and latency percentiles (ms) of one wrk run."""
    out = subprocess.run([binary, f"-t{min(2, connections)}", f"-c{connections}",
                          f"-d{seconds}s", "--latency", url], capture_output=True, text=True,
                         check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    latency = {p: _ms(v, unit) for p, v, unit in
               re.findall(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": latency["50"], "p99_ms": latency["99"],
            "non_2xx": int(errors[1]) if errors else 0}


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(command, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seconds", type=int, nargs="?", default=10, help="per wrk run")
    parser.add_argument("--worker-class", choices=("gevent", "gthread"), default="gevent")
    args = parser.parse_args()
    seconds, worker_class = args.seconds, args.worker_class
    binary = debian_tool("wrk", "wrk")
    work = Path(tempfile.mkdtemp(prefix="irq-api-bench-"))
    env = {**os.environ, "PYTHONPATH": f"{SERVER_SRC}:{work}"}
    port, hello_port = free_port(), free_port()
    server = start([sys.executable, "-m", "irq_server", "--simulate", "64:2:500", "--bind",
                    f"127.0.0.1:{port}", "--data-dir", str(work / "data"), "--workers",
                    str(WORKERS), "--threads", str(THREADS), "--worker-class", worker_class,
                    "--log-level", "warning"],
                   env, work / "server.log")
    (work / "hello.py").write_text(HELLO)
    hello = start([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{hello_port}",
                   "--workers", str(WORKERS), "--threads", str(THREADS), "--worker-class",
                   worker_class, "--log-level", "warning", "--no-control-socket", "hello:app"],
                  {**env, "PYTHONPATH": str(work)}, work / "hello.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/healthz")
        wait_http(f"http://127.0.0.1:{hello_port}/")
        time.sleep(12)  # history for 10 s windows
        result = {"host": "64 CPUs x 500 IRQs", "worker_class": worker_class,
                  "workers": WORKERS, "threads": THREADS}
        t0 = time.time()
        irqs = wrk(binary, base + "/irqs", 1, seconds)
        window_irqs = wrk(binary, base + "/interrupts/irqs?period_seconds=10", 1, seconds)
        irqs_loaded = wrk(binary, base + "/irqs", 64, seconds)
        # the ratio alternates the two, ROUNDS times each: a single pair of runs on this
        # 2-core machine gave anything from 0.16 to 0.72 for the same code
        windows, hellos = [], []
        for _ in range(ROUNDS):
            windows.append(wrk(binary, base + "/interrupts/cpu/0?period_seconds=10", 32,
                               seconds))
            hellos.append(wrk(binary, f"http://127.0.0.1:{hello_port}/", 32, seconds))
        t1 = time.time()
        ratios = sorted(w["rps"] / h["rps"] for w, h in zip(windows, hellos))
        for name, figures in (("GET /irqs", irqs), ("GET /interrupts/irqs", window_irqs),
                              ("GET /irqs, 64 connections", irqs_loaded),
                              *((f"GET /interrupts/cpu/0, 32 connections ({k + 1})", w)
                                for k, w in enumerate(windows)),
                              *((f"hello-world, 32 connections ({k + 1})", h)
                                for k, h in enumerate(hellos))):
            print(f"{name}: {figures}", file=sys.stderr, flush=True)
        expected = int((t1 - t0) / 1.0) - 1  # 1 s interval; the edges may each miss one
        stored = samples_between(work / "data", t0, t1)
        result.update({
            "irqs_p50_ms": irqs["p50_ms"], "window_irqs_p50_ms": window_irqs["p50_ms"],
            "irqs_vs_window": round(irqs["p50_ms"] / window_irqs["p50_ms"], 3),
            "irqs_rps_64_connections": irqs_loaded["rps"],
            "irqs_p50_ms_64_connections": irqs_loaded["p50_ms"],
            "window_cpu_rps": median([w["rps"] for w in windows]),
            "hello_rps": median([h["rps"] for h in hellos]),
            "window_vs_hello": round(median(ratios), 3),
            "window_vs_hello_range": [round(ratios[0], 3), round(ratios[-1], 3)],
            "non_2xx": sum(f["non_2xx"] for f in (irqs, window_irqs, irqs_loaded, *windows)),
            "samples_expected_at_least": expected, "samples_stored": stored,
            "missed_samples": max(0, expected - stored)})
        result["targets_met"] = (result["irqs_vs_window"] <= 2 and result["window_vs_hello"] >= 0.5
                                 and result["missed_samples"] == 0 and result["non_2xx"] == 0)
        print(json.dumps(result))
    finally:
        stop_group(server)
        stop_group(hello)
    return 0


if __name__ == "__main__":
    sys.exit(main())
