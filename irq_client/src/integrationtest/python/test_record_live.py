"""`irq-client record` and the tracker routes against a real irq-server (gunicorn) serving
this machine's own /proc (read only: runs and their interrupts, no affinity change)."""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from live_server import SRC, RunningServer, irq_server_command, processes_mentioning, wait_for

from irq_client import IrqClient

CLIENT_SRC = Path(__file__).resolve().parents[2] / "main" / "python"
PASSWORD = "s3cret-password"
BUSY = ("import multiprocessing as m, os, time\n"
        "def spin(_):\n    t = time.time()\n    while time.time() - t < 3: pass\n"
        "with m.Pool(os.cpu_count()) as p: p.map(spin, range(os.cpu_count()))")


def add_user(data_dir, name="alice", scope="read"):
    subprocess.run(irq_server_command() + ["user", "add", name, "--password-stdin",
                                           "--data-dir", str(data_dir)],
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(SRC)})


def record_command(server_url, *args):
    script = Path(sys.executable).with_name("irq-client")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "irq_client"]
    env = {**os.environ, "PYTHONPATH": str(CLIENT_SRC), "IRQ_PASSWORD": PASSWORD}
    env.pop("IRQ_TOKEN", None)
    return command + ["record", "--server", server_url, "--user", "alice", *args], env


def record(server_url, *args, timeout=60):
    command, env = record_command(server_url, *args)
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)


def logged_in(url):
    client = IrqClient(url)
    client.login("alice", PASSWORD)
    return client


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("tracker") / "data"
    add_user(data)
    running = RunningServer(["--interval", "0.5"], data)
    yield running
    running.stop()


def test_record_exits_with_the_commands_status_and_leaves_a_stopped_run(server):
    done = record(server.url, "--", "sh", "-c", "echo to-stdout; exit 3")
    assert done.returncode == 3, done.stderr
    assert done.stdout == "to-stdout\n"  # the command's own output, untouched
    run = logged_in(server.url).runs().runs[0]
    assert (run.name, run.description, run.active) == ("sh", "sh -c 'echo to-stdout; exit 3'",
                                                       False)
    assert run.host == socket.gethostname()
    assert f"run {run.id} (sh)" in done.stderr


@pytest.mark.parametrize("command, status", [("/nonexistent/cmd", 127), ("README.md", 126)])
def test_a_command_that_cannot_run_exits_as_a_shell_and_stops_its_run(server, command, status):
    if command == "README.md":
        command = str(Path(__file__).resolve().parents[4] / "README.md")  # not executable
    done = record(server.url, "--", command)
    assert done.returncode == status, done.stderr
    assert "Traceback" not in done.stderr
    assert f"exit {status}; run" in done.stderr
    run = logged_in(server.url).runs().runs[0]
    assert run.name == Path(command).name and not run.active


def test_a_busy_loop_is_above_the_threshold_for_about_its_duration(server):
    done = record(server.url, "--threshold", "50", "--interval", "0.25", "--",
                  sys.executable, "-c", BUSY)
    assert done.returncode == 0, done.stderr
    run = logged_in(server.url).runs().runs[0]
    assert 3.0 <= run.duration < 6.0
    assert run.time_above_threshold >= 0.85 * run.duration, run
    assert run.samples >= 10
    # the server serves this host: the busiest IRQs during the run are printed
    assert f"interrupts on {socket.gethostname()} during the run" in done.stderr
    interrupts = logged_in(server.url).run_interrupts(run.id)
    assert interrupts.num_interrupts_all_cpus > 0
    # the window's ends are the stored samples nearest the run's (the sampler runs every 0.5 s)
    assert interrupts.span.period_duration_seconds == pytest.approx(run.duration, abs=0.55)


def test_sigint_to_record_stops_the_command_and_the_run(server):
    command, env = record_command(server.url, "--", "sleep", "30")
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    client = logged_in(server.url)
    run = wait_for(lambda: next((r for r in client.runs().runs if r.active), None))
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    child = int(wait_for(lambda: children.read_text().split())[0])
    time.sleep(0.6)  # a sample or two
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 128 + signal.SIGINT, stderr
    assert not Path(f"/proc/{child}").exists()  # the command got the signal and is gone
    stopped = client.run(run.id)
    assert not stopped.active and stopped.duration < 10 and stopped.samples >= 1


def test_killing_the_server_mid_run_loses_neither_runs_nor_samples(start_server, tmp_path):
    data = tmp_path / "killed"
    add_user(data)
    first = start_server("--interval", "0.5", data_dir=data)
    earlier = logged_in(first.url).create_run("before the kill")
    command, env = record_command(first.url, "--interval", "0.25", "--", "sleep", "6")
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    client = logged_in(first.url)
    run = wait_for(lambda: next((r for r in client.runs().runs if r.name == "sleep"), None))
    time.sleep(1.0)
    first.proc.kill()  # kill -9: no clean shutdown
    for pid in processes_mentioning(str(data)):
        os.kill(pid, signal.SIGKILL)
    first.proc.wait()
    time.sleep(2.0)
    second = start_server("--interval", "0.5", data_dir=data, port=first.port)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert stderr.count("cannot send usage") == 1  # warned once
    again = logged_in(second.url)
    stopped = again.run(run.id)
    assert not stopped.active
    assert 6.0 <= stopped.duration < 9.0
    # every 0.25 s sample was kept through the outage and delivered (a little slack)
    assert stopped.samples >= 0.9 * stopped.duration / 0.25, stopped
    assert again.run(earlier.id).name == "before the kill"


def test_the_older_dialect_exactly_as_its_shipped_client_speaks_it(server):
    """The tracker's shipped client: HEAD to probe, then create (expects 201), usage with
    {"usage"} and no timestamp, stop with no body (expects 200), stats by GET."""
    base = server.url + "/v1/api/testrun"
    requests.head(base, timeout=1)  # only a refused connection would stop that client
    token = requests.post(server.url + "/v1/api/auth", timeout=5,
                          json={"username": "alice", "password": PASSWORD}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    created = requests.post(base, json={"name": "suite", "description": "tests",
                                        "threshold": 2}, headers=headers, timeout=5)
    assert created.status_code == 201
    run_id = created.json()["id"]
    for usage in (1.0, 5.0, 7.5):
        posted = requests.post(f"{base}/{run_id}/usage", json={"usage": usage},
                               headers=headers, timeout=5)
        assert posted.status_code == 201
        time.sleep(0.2)
    assert requests.post(f"{base}/{run_id}/stop", headers=headers, timeout=5).status_code == 200
    stats = requests.get(f"{base}/{run_id}", headers=headers, timeout=5)
    assert stats.status_code == 200
    body = stats.json()
    assert body["active"] is False and body["id"] == run_id
    # 1 % is below 2 %; 5 and 7.5 are above, held 0.2 s and until the stop
    assert 0.3 <= body["time_above_threshold"] <= body["duration"] - 0.15


def runs_command(server_url, *args):
    command, env = record_command(server_url)
    command = command[:command.index("record")] + ["runs", "--server", server_url,
                                                   "--user", "alice", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def test_runs_lists_shows_and_stops_the_users_runs(server):
    active = logged_in(server.url).create_run("left running", host=socket.gethostname())
    listed = runs_command(server.url)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[0].split()[:3] == ["ID", "NAME", "HOST"]
    assert listed.stdout.splitlines()[1].split()[:2] == [str(active.id), "left"]
    shown = runs_command(server.url, "show", str(active.id))
    assert shown.returncode == 0 and "active:      yes" in shown.stdout
    stopped = runs_command(server.url, "stop", str(active.id))
    assert stopped.returncode == 0 and stopped.stdout.startswith(f"run {active.id} stopped")
    assert not logged_in(server.url).run(active.id).active
    again = runs_command(server.url, "stop", str(active.id))
    assert again.returncode == 1 and f"run {active.id}:" in again.stderr
    unknown = runs_command(server.url, "show", "987654")
    assert unknown.returncode == 1 and "no run 987654 on" in unknown.stderr
