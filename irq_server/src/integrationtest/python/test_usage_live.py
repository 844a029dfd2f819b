"""Host usage from a real irq-server: this machine's /current against free(1) and df(1), and
the simulated host's series."""
import subprocess

import requests
from live_server import wait_for

TOLERANCE = 0.02  # the machine keeps running between our read and the tool's


def free_b():
    """(total, used, available) bytes from free -b's Mem line."""
    line = next(l for l in subprocess.run(["free", "-b"], capture_output=True, text=True,
                                          check=True).stdout.splitlines() if l.startswith("Mem:"))
    fields = line.split()
    return int(fields[1]), int(fields[2]), int(fields[6])


def df_root():
    """(size, used, available) bytes of / from df -B1."""
    fields = subprocess.run(["df", "-B1", "/"], capture_output=True, text=True,
                            check=True).stdout.splitlines()[1].split()
    return int(fields[1]), int(fields[2]), int(fields[3])


def close(ours, theirs, whole):
    return abs(ours - theirs) <= TOLERANCE * whole


def test_current_on_this_machine_agrees_with_free_and_df(start_server):
    server = start_server()
    url = server.url + "/current"
    body = wait_for(lambda: (lambda b: b if b["cpu_usage"] is not None else None)(
        requests.get(url, timeout=5).json()))
    total, used, available = free_b()
    assert body["memory"]["total"] == total  # MemTotal does not move
    assert close(body["used_mem"], used, total) and close(body["free_mem"], available, total)
    size, disk_used, disk_available = df_root()
    assert body["filesystems"]["/"]["size"] == size
    assert close(body["used_disk"], disk_used, size)
    assert close(body["free_disk"], disk_available, size)
    assert 0 <= body["cpu_usage"] <= 100


def test_simulated_host_has_plausible_series(start_server):
    server = start_server("--simulate", "16:1:100", "--interval", "0.5")
    wait_for(lambda: len(requests.get(server.url + "/cpu?period_seconds=60", timeout=5)
                         .json()) >= 6, timeout=30)
    points = requests.get(server.url + "/cpu?period_seconds=60", timeout=5).json()
    assert all(5 < p["usage"] < 95 for p in points)  # the simulated load, never 0 or 100
    memory = requests.get(server.url + "/memory_average?period_seconds=60", timeout=5).json()
    assert 0 < memory["memory_avg_used_space"] < 16 << 30
    storage = requests.get(server.url + "/storage?all=1&period_seconds=60", timeout=5).json()
    assert set(storage) == {"/", "/data"}
    v1 = requests.get(server.url + "/api/v1/storage_average?mount=/data", timeout=5).json()
    assert v1["disk_avg_used_space"] > 0 and v1["mount"] == "/data"
