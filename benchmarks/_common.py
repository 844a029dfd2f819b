"""Helpers shared by the benchmark scripts: timing, free ports, waiting for servers."""
from __future__ import annotations

import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
SERVER_SRC = TOP / "irq_server" / "src" / "main" / "python"
sys.path[:0] = [str(SERVER_SRC), str(TOP / "testsupport")]
from live_server import debian_tool, free_port  # noqa: E402,F401  (shared with the tests)


def median_ms(fn, repeat: int) -> float:
    """Median wall time of `fn()` over `repeat` runs, in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 3)


def wait_http(url: str, timeout: float = 60) -> None:
    import requests
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(url, timeout=5).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def ensure_python_packages(*modules: str) -> None:
    """Install benchmarks/requirements.txt into this interpreter when a module is missing."""
    import importlib.util
    if all(importlib.util.find_spec(m) for m in modules):
        return
    print("installing benchmarks/requirements.txt ...", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r",
                    str(TOP / "benchmarks" / "requirements.txt")], check=True)


def stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM a server started in its own session, and its children; SIGKILL after 20 s."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def samples_between(data_dir: Path, t0: float, t1: float) -> int:
    """Samples the sampler stored in [t0, t1) (for `missed_samples`)."""
    db = sqlite3.connect(f"file:{data_dir / 'history.sqlite3'}?mode=ro", uri=True)
    try:
        return db.execute("SELECT COUNT(*) FROM snapshots WHERE ts >= ? AND ts < ?",
                          (t0, t1)).fetchone()[0]
    finally:
        db.close()
