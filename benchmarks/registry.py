#!/usr/bin/env python3
"""The registry under load, beside a baseline, on loopback, bounded in time.

Ours: `irq-server registry` (its default gevent worker; 2 workers, or the count given as the
first argument; SQLite WAL, RE2, with --open-publish so neither side checks tokens). Baseline: the old service's semantics in
memory, in one process (a dict under a lock, Python `re`), written below and served by the
same gunicorn (1 worker x 4 threads: its state cannot be shared by more).

Each side gets 1,000 entries in one partition, then two phases of DURATION seconds:
  lookups   PUBLISHERS threads re-publish their share of the entries every PACE seconds (as
            DAQ applications do every few seconds; here the whole partition 4 times a
            second) while LOOKERS threads look up `uid_regex` patterns matching 2 % of the
            entries (20) as fast as they are answered: lookup p50/p99 (ms);
  publish   the publishers alone, as fast as they are answered: publishes/s (each 250
            entries; ours validates every entry, the baseline none).
Printed for both, and
  lookup_p99_vs_baseline   ours / baseline (target <= 2)
Last line: one JSON object.
"""
from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from _common import SERVER_SRC, free_port, stop_group, wait_http

ENTRIES, PUBLISHERS, LOOKERS, DURATION, PACE = 1000, 4, 8, 10.0, 1.0
BASELINE = '''
import re, threading, time
from flask import Flask, abort, request, jsonify
app = Flask(__name__)
partitions, lock, TTL = {}, threading.Lock(), 10.0

@app.route("/publish", methods=["POST"])
def publish():
    js = request.get_json(force=True)
    now = time.time()
    with lock:
        store = partitions.setdefault(js["partition"], {})
        for c in js["connections"]:
            store[c["uid"]] = (c["uri"], c["connection_type"], c["data_type"], now)
    return "OK"

@app.route("/getconnection/<part>", methods=["GET", "POST"])
def getconnection(part):
    js = request.get_json(force=True)
    regex, dt, now = re.compile(js["uid_regex"]), js["data_type"], time.time()
    with lock:
        if part not in partitions:
            abort(404)
        found = [(u, c) for u, c in partitions[part].items()
                 if regex.search(u) and c[2] == dt and now - c[3] < TTL]
    return jsonify([{"uid": u, "uri": c[0], "connection_type": c[1], "data_type": c[2]}
                    for u, c in found])
'''


def entries(offset: int, count: int) -> list[dict]:
    return [{"uid": f"DRO-{i:04d}-tp", "uri": f"tcp://10.0.{i // 250}.{i % 250}:5000",
             "connection_type": 0, "data_type": "TPSet"} for i in range(offset, offset + count)]


def json_session() -> requests.Session:
    """A connection as the old clients post: JSON bytes, saying so."""
    session = requests.Session()
    session.headers["Content-Type"] = "application/json"
    return session


def load(url: str) -> dict:
    """Fill, then the two phases (see the module doc)."""
    fill = json_session()
    for start in range(0, ENTRIES, 250):
        fill.post(url + "/publish", data=json.dumps({"partition": "bench", "connections":
                                                     entries(start, 250)}),
                  timeout=30).raise_for_status()
    result = phase(url, PACE, LOOKERS)
    result.update({k: v for k, v in phase(url, 0.0, 0).items() if k.startswith("publish")})
    return result


def phase(url: str, pace: float, lookers: int) -> dict:
    stop = time.monotonic() + DURATION
    latencies: list[float] = []
    published, errors = [0], [0]
    lock = threading.Lock()

    def publisher(k: int) -> None:
        session = json_session()
        share = ENTRIES // PUBLISHERS
        body = json.dumps({"partition": "bench", "connections": entries(k * share, share)})
        next_at = time.monotonic() + pace * k / PUBLISHERS
        while time.monotonic() < stop:
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at += pace
            ok = session.post(url + "/publish", data=body, timeout=30).ok
            with lock:
                published[0] += ok
                errors[0] += not ok

    def looker(k: int) -> None:
        session = json_session()
        rng = random.Random(k)
        mine = []
        while time.monotonic() < stop:
            pattern = f"DRO-0{rng.randrange(10)}[01]"  # DRO-0n0x, DRO-0n1x: 20 uids
            started = time.perf_counter()
            answer = session.post(url + "/getconnection/bench", timeout=30,
                                  data=json.dumps({"uid_regex": pattern, "data_type": "TPSet"}))
            mine.append((time.perf_counter() - started) * 1000)
            if not answer.ok or len(answer.json()) != 20:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=publisher, args=(k,)) for k in range(PUBLISHERS)] + [
        threading.Thread(target=looker, args=(k,)) for k in range(lookers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = {"publishes_per_s": round(published[0] / DURATION, 1), "errors": errors[0]}
    if latencies:
        latencies.sort()
        out.update({"lookups": len(latencies),
                    "lookup_p50_ms": round(statistics.median(latencies), 2),
                    "lookup_p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))], 2),
                    "publishes_per_s_during_lookups": out.pop("publishes_per_s")})
    return out


def serve(command: list[str], env: dict, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    wait_http(f"http://127.0.0.1:{port}/getconnection/none", timeout=60)
    return proc



def main() -> int:
    workers = sys.argv[1] if len(sys.argv) > 1 else "2"  # ours; the baseline can have only 1
    work = Path(tempfile.mkdtemp(prefix="irq-bench-registry-"))
    env = {**os.environ, "PYTHONPATH": str(SERVER_SRC)}
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    result = {"workers": int(workers)}
    port = free_port()
    print("ours ...", file=sys.stderr, flush=True)
    ours = serve([sys.executable, "-m", "irq_server", "registry", "--bind",
                  f"127.0.0.1:{port}", "--data-dir", str(work / "ours"), "--workers", workers,
                  "--threads", "4", "--open-publish", "--log-level", "error"], env, port)
    try:
        result["ours"] = load(f"http://127.0.0.1:{port}")
    finally:
        stop_group(ours)
    (work / "baseline.py").write_text(BASELINE)
    port = free_port()
    print("baseline ...", file=sys.stderr, flush=True)
    base = serve([gunicorn, "--chdir", str(work), "-w", "1", "--threads", "4", "-k", "gthread",
                  "-b", f"127.0.0.1:{port}", "--log-level", "error", "baseline:app"], env, port)
    try:
        result["baseline"] = load(f"http://127.0.0.1:{port}")
    finally:
        stop_group(base)
    for key in ("ours", "baseline"):
        print(f"{key:9s} {result[key]}", file=sys.stderr)
    result["lookup_p99_vs_baseline"] = round(result["ours"]["lookup_p99_ms"]
                                             / result["baseline"]["lookup_p99_ms"], 3)
    result["lookup_p50_vs_baseline"] = round(result["ours"]["lookup_p50_ms"]
                                             / result["baseline"]["lookup_p50_ms"], 3)
    result["publish_rate_vs_baseline"] = round(result["ours"]["publishes_per_s"]
                                               / result["baseline"]["publishes_per_s"], 3)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
