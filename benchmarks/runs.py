#!/usr/bin/env python3
"""What recording a run costs, on loopback, against a real irq-server (gunicorn, sampler on,
serving this machine's /proc read-only). In one run, side by side:
  wrapped_vs_bare      time a fixed CPU-bound command measures for its own work under
                       `irq-client record` (0.5 s and 0.1 s sampling) / alone; medians of 9
                       rounds in shuffled order (target <= 1.02: monitoring must not hurt it)
  record_cpu_percent   irq-client record's own CPU use (one CPU = 100) while recording,
                       at 0.5 s and 0.1 s sampling (--no-command, so no child is counted)
  usage_post_ms        p50 of POST /api/v1/test/<id>/usage, beside GET /healthz's p50
  stats_big_vs_small   p50 of GET /api/v1/test/<id> for a run of 20,000 samples / one of 10
                       (the running total keeps it O(1): target <= 1.5)
Last line: one JSON object.
"""
from __future__ import annotations

import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import SERVER_SRC, TOP, free_port, median_ms, wait_http

CLIENT_SRC = TOP / "irq_client" / "src" / "main" / "python"
ENV = {**os.environ, "PYTHONPATH": f"{SERVER_SRC}:{CLIENT_SRC}", "IRQ_PASSWORD": "bench-password"}
sys.path.insert(0, str(CLIENT_SRC))
ROUNDS = 9
# ~1.5 s of one CPU; prints its own elapsed time, so start-up on either side is not counted
WORK = ("import time\nt = time.perf_counter()\ns = 0\nfor i in range(25_000_000): s += i\n"
        "print(time.perf_counter() - t)")


def timed(command: list[str]) -> float:
    """The seconds the work took, as the command itself measured them."""
    done = subprocess.run(command, env=ENV, check=True, capture_output=True, text=True)
    return float(done.stdout.strip().splitlines()[-1])


def record_cpu(url: str, interval: float, seconds: float) -> float:
    """CPU percent of `irq-client record --no-command` alone over `seconds`."""
    proc = subprocess.Popen([sys.executable, "-m", "irq_client", "record", "--server", url,
                             "--user", "bench", "--interval", str(interval), "--no-command"],
                            env=ENV, stderr=subprocess.DEVNULL)
    time.sleep(1.5)  # past the interpreter's start-up and the login's KDF on the server
    with open(f"/proc/{proc.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    before = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    time.sleep(seconds)
    with open(f"/proc/{proc.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    after = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    proc.send_signal(signal.SIGINT)
    proc.wait(60)
    return round(100 * (after - before) / seconds, 2)


def main() -> int:
    from irq_client import IrqClient
    data = Path(tempfile.mkdtemp(prefix="irq-bench-runs-"))
    subprocess.run([sys.executable, "-m", "irq_server", "user", "add", "bench",
                    "--password-stdin", "--data-dir", str(data)], input="bench-password\n",
                   text=True, env=ENV, check=True, capture_output=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "irq_server", "--bind", f"127.0.0.1:{port}",
                               "--data-dir", str(data), "--log-level", "warning"], env=ENV,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        wait_http(url + "/healthz")
        bare_cmd = [sys.executable, "-c", WORK]
        rec = [sys.executable, "-m", "irq_client", "record", "--server", url, "--user", "bench"]
        walls = {"bare": [], "0.5": [], "0.1": []}
        order = random.Random(0)
        for i in range(ROUNDS):  # each round runs the three in a shuffled order
            print(f"  round {i + 1}/{ROUNDS}", file=sys.stderr, flush=True)
            for kind in order.sample(sorted(walls), 3):
                wrap = [] if kind == "bare" else rec + ["--interval", kind, "--"]
                walls[kind].append(timed(wrap + bare_cmd))
        result = {"bare_s": round(statistics.median(walls["bare"]), 3)}
        for interval in ("0.5", "0.1"):
            wrapped = statistics.median(walls[interval])
            result[f"wrapped_s_{interval}"] = round(wrapped, 3)
            result[f"wrapped_vs_bare_{interval}"] = round(wrapped / result["bare_s"], 3)
        client = IrqClient(url)
        client.login("bench", "bench-password")
        for interval in (0.5, 0.1):
            result[f"record_cpu_percent_{interval}"] = record_cpu(url, interval, 10)
        small = client.create_run("small")
        for i in range(10):
            client.add_usage(small.id, 50.0 + i, timestamp=time.time() - 100 + i)
        big = client.create_run("big", start_time=time.time() - 30_000)
        result["usage_post_ms"] = median_ms(lambda: client.add_usage(big.id, 60.0), 200)
        result["healthz_ms"] = median_ms(client.health, 200)
        print("  filling a run with 20,000 samples ...", file=sys.stderr, flush=True)
        from irq_server.runs.store import RunStore
        store = RunStore(data)
        owner = "user:bench"
        t0 = time.time() - 25_000
        for i in range(20_000 - 201):
            store.add_usage(big.id, owner, 40.0 + (i % 30), t0 + i)
        result["stats_small_ms"] = median_ms(lambda: client.run(small.id), 200)
        result["stats_big_ms"] = median_ms(lambda: client.run(big.id), 200)
        result["stats_big_vs_small"] = round(result["stats_big_ms"] / result["stats_small_ms"], 3)
        result["big_run_samples"] = client.run(big.id).samples
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
