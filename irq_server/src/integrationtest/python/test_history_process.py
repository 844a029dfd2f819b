"""History with real processes: one sampler per server, kill -9 safety, restart continuity."""
import os
import random
import signal
import sqlite3
import subprocess
import time

import numpy as np
import pytest
import requests
from irq_server.history.store import HistoryStore
from live_server import SRC, irq_server_command, processes_mentioning, wait_for

from irq_server import sim as simhost


def helpers_of(data_dir, role):
    """PIDs of the `role` helpers ("sampler", "simulate") of the server on `data_dir`."""
    found = []
    for pid in processes_mentioning(str(data_dir)):
        try:
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ")
        except OSError:  # it ended meanwhile
            continue
        if f" {role} ".encode() in cmdline:
            found.append(pid)
    return found


def samplers_of(data_dir):
    return helpers_of(data_dir, "sampler")


def test_one_sampler_whatever_the_workers_and_restart_keeps_history(start_server):
    server = start_server("--simulate", "16:1:100", "--interval", "0.5", "--workers", "3")
    wait_for(lambda: len(processes_mentioning(str(server.data_dir))) == 6)
    assert len(samplers_of(server.data_dir)) == 1
    first = wait_for(lambda: (h := requests.get(server.url + "/history", timeout=5).json())
                     ["samples"] >= 4 and h)
    server.stop(signal.SIGTERM)
    wait_for(lambda: not processes_mentioning(str(server.data_dir)))
    again = start_server("--simulate", "16:1:100", "--interval", "0.5",
                         "--data-dir", str(server.data_dir))
    later = wait_for(lambda: (h := requests.get(again.url + "/history", timeout=5).json())
                     ["samples"] > first["samples"] and h)
    assert later["oldest"] == first["oldest"]


def test_served_window_matches_simulated_rates(start_server):
    server = start_server("--simulate", "16:1:100", "--interval", "1")
    wait_for(lambda: requests.get(server.url + "/history", timeout=5).json()["samples"] >= 6)
    body = requests.get(server.url + "/interrupts?period_seconds=4", timeout=5).json()
    sim = simhost.SimHost(server.data_dir / "simhost")
    on_cpu0 = sum(i.rate for i in sim.irqs if i.initial_cpu in (None, 0))
    # the simulator advances in whole 1 s steps: the window holds its whole steps
    steps = round(body["num_interrupts_per_cpu"][0] / on_cpu0)
    assert body["num_interrupts_per_cpu"][0] == pytest.approx(steps * on_cpu0, rel=0.01)
    assert abs(steps - body["period_duration_seconds"]) <= 1.01
    managed_cpu3 = sum(i.rate for i in sim.irqs if i.initial_cpu == 3)
    assert body["num_interrupts_per_cpu"][3] == pytest.approx(steps * managed_cpu3, rel=0.01)


def test_kill_9_during_writes_never_corrupts_the_store(tmp_path):
    sim = simhost.create(tmp_path / "sim", simhost.SimSpec(64, 2, 500, seed=5))
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    command = irq_server_command() + ["sampler", "--root", str(sim.root), "--data-dir",
                                      str(data), "--interval", "0.01", "--log-level", "warning"]
    rng = random.Random(7)
    first = None
    for _ in range(8):
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        if first is None:  # a cold start may take longer than the kill delay: wait for a sample
            store = HistoryStore(data, readonly=True)
            first = wait_for(lambda: store.exists() and store.oldest())
        time.sleep(rng.uniform(0.3, 0.8))
        sim.advance(1)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    db = sqlite3.connect(data / HistoryStore.FILENAME)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store = HistoryStore(data, readonly=True)
    assert store.stats()["samples"] >= 8
    again = store.oldest()
    assert again.ts == first.ts and np.array_equal(again.values, first.values)
    for (ts,) in db.execute("SELECT ts FROM snapshots"):
        assert store.at_or_before(ts).ts == ts  # every stored sample still decodes


def test_sampler_command_stops_on_sigterm(tmp_path):
    sim = simhost.create(tmp_path / "sim", simhost.SimSpec(4, 1, 12))
    proc = subprocess.Popen(irq_server_command() + ["sampler", "--root", str(sim.root),
                                                    "--data-dir", str(tmp_path / "d"),
                                                    "--interval", "0.1"],
                            env={**os.environ, "PYTHONPATH": str(SRC)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for(lambda: (tmp_path / "d" / HistoryStore.FILENAME).exists())
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    assert b"sampler stopped" in proc.stderr.read()




def stored_times(data_dir):
    if not (data_dir / HistoryStore.FILENAME).exists():
        return set()
    db = sqlite3.connect(f"file:{data_dir / HistoryStore.FILENAME}?mode=ro", uri=True)
    try:
        return {ts for (ts,) in db.execute("SELECT ts FROM snapshots")}
    except sqlite3.OperationalError:  # created, but its tables not yet
        return set()
    finally:
        db.close()


KILLS = 12  # each at a random moment of the sampling cycle (~3 s each: the suite's budget)


def test_sampler_killed_again_and_again_is_restarted_and_loses_nothing_stored(start_server):
    server = start_server("--simulate", "16:1:100", "--interval", "0.2")
    rng = random.Random(11)
    wait_for(lambda: stored_times(server.data_dir))
    for kill in range(KILLS):
        pid = wait_for(lambda: samplers_of(server.data_dir))[0]
        time.sleep(rng.uniform(0.0, 0.4))  # a random moment of the sampling cycle
        before = stored_times(server.data_dir)
        os.kill(pid, signal.SIGKILL)
        killed_at = time.time()
        # a new sampler takes over and history resumes after the kill
        wait_for(lambda: max(stored_times(server.data_dir)) > killed_at, timeout=20)
        assert before <= stored_times(server.data_dir), f"kill {kill} lost stored samples"
        time.sleep(1.0)  # past HEALTHY_AFTER: a restart is not a crash loop
    assert len(samplers_of(server.data_dir)) == 1
    db = sqlite3.connect(server.data_dir / HistoryStore.FILENAME)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    health = requests.get(server.url + "/readyz", timeout=5)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert server.output().count("sampler restarted") == KILLS
    # gunicorn reaps every child; the supervisor still reads how each one ended
    assert server.output().count("(killed by SIGKILL (signal 9))") == KILLS


def test_history_stale_is_degraded_and_readyz_503_then_recovers(start_server):
    server = start_server("--simulate", "4:1:12", "--interval", "0.2")
    wait_for(lambda: requests.get(server.url + "/readyz", timeout=5).status_code == 200)
    sampler = wait_for(lambda: samplers_of(server.data_dir))[0]
    os.kill(sampler, signal.SIGSTOP)  # hung, not dead: the supervisor cannot tell
    try:
        body = wait_for(lambda: (r := requests.get(server.url + "/readyz", timeout=5))
                        .status_code == 503 and r.json())
        assert body["status"] == "degraded" and "no sample for" in body["reasons"][0]
        health = requests.get(server.url + "/healthz", timeout=5)
        assert health.status_code == 200 and health.json()["status"] == "degraded"
        assert requests.get(server.url + "/irqs", timeout=5).status_code == 200
        window = requests.get(server.url + "/interrupts?period_seconds=1", timeout=5)
        assert window.status_code == 200  # ends at a live read once the history is stale
    finally:
        os.kill(sampler, signal.SIGCONT)
    wait_for(lambda: requests.get(server.url + "/readyz", timeout=5).status_code == 200)


def test_killed_simulator_is_restarted_and_counters_move_again(start_server):
    server = start_server("--simulate", "4:1:12", "--interval", "0.2")
    simulator = wait_for(lambda: helpers_of(server.data_dir, "simulate"))[0]
    os.kill(simulator, signal.SIGKILL)
    again = wait_for(lambda: [p for p in helpers_of(server.data_dir, "simulate") if p != simulator])
    assert len(again) == 1
    total = lambda: requests.get(server.url + "/irqs", timeout=5).json()["totals"][  # noqa: E731
        "num_interrupts_all_cpus"]
    first = total()
    wait_for(lambda: total() > first)
    assert "simulator restarted" in server.output()
