"""Runs on a real gunicorn server with several workers: concurrent writers lose nothing."""
import os
import random
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
import requests
from irq_server.runs.stats import time_above
from live_server import SRC, irq_server_command

PASSWORD = "a long password"


def test_concurrent_usage_from_many_threads_is_all_counted(start_server, tmp_path):
    data = tmp_path / "data"
    subprocess.run(irq_server_command() + ["user", "add", "alice", "--password-stdin",
                                           "--data-dir", str(data)],
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(SRC)})
    server = start_server("--simulate", "4:1:20", "--workers", "3", data_dir=data)
    token = requests.post(f"{server.url}/api/v1/auth", timeout=10, json={
        "username": "alice", "password": PASSWORD}).json()["token"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    run = session.post(f"{server.url}/api/v1/test", json={"name": "load", "threshold": 50},
                       timeout=10).json()
    start = datetime.fromisoformat(run["start_time"].replace("Z", "+00:00")).timestamp()
    rng = random.Random(4)
    samples = [(start + rng.uniform(0, 20), rng.choice([10.0, 60.0, 90.0])) for _ in range(300)]

    def post(sample):
        ts, usage = sample
        answer = session.post(f"{server.url}/api/v1/test/{run['id']}/usage", timeout=10,
                              json={"cpu_usage": usage, "timestamp": ts})
        return answer.status_code

    with ThreadPoolExecutor(16) as pool:  # arrivals out of order, across the workers
        assert set(pool.map(post, samples)) == {200}
    stopped = session.post(f"{server.url}/api/v1/test/{run['id']}/stop", timeout=10,
                           json={"end_time": start + 25}).json()
    assert stopped["samples"] == 300
    assert stopped["time_above_threshold"] == pytest.approx(
        time_above(samples, 50.0, start, start + 25), abs=0.002)
