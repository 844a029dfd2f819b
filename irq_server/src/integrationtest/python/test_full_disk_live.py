"""A data dir whose disk fills while the server runs (a tmpfs of a few MB, filled to the last
byte): liveness never depends on it, readiness says why, affinity writes still happen and
are answered and audited as such, and everything resumes once space is back."""
import os
import signal
import sqlite3

import requests
from live_server import fill, wait_for, workers_of

from irq_server import sim as simhost


def test_a_full_data_dir_takes_nothing_down_and_loses_nothing(tmpfs, start_server, tmp_path):
    disk = tmpfs("disk", size="8m")
    tree = simhost.create(tmp_path / "sim", simhost.SimSpec(cpus=8, nodes=1, irqs=40, seed=4))
    (disk / "run").mkdir()  # the workers' counter files on the same disk: the harder case
    server = start_server("--root", str(tree.root), "--interval", "0.5", "--workers", "2",
                          data_dir=disk / "data", env={"RUNTIME_DIRECTORY": str(disk / "run")})
    wait_for(lambda: requests.get(server.url + "/readyz", timeout=5).status_code == 200)
    ballast = fill(disk)

    old = workers_of(server)
    os.kill(old[0], signal.SIGKILL)  # gunicorn starts a fresh worker on the full disk
    wait_for(lambda: len(set(workers_of(server)) - set(old)) == 1)
    for _ in range(20):  # whichever worker answers
        assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
    ready = wait_for(lambda: (r := requests.get(server.url + "/readyz", timeout=5))
                     .status_code == 503 and r.json())
    assert ready["reason"] == "disk full" and "bytes free" in ready["reasons"][0]
    wait_for(lambda: "cannot allocate" in server.output())  # it counts in its own memory
    assert "SIGBUS" not in server.output()

    irq = next(i for i in tree.irqs if not i.managed and i.action.startswith("eth"))
    written = requests.put(f"{server.url}/irqs/{irq.irq}/cpu_affinity",
                           json={"cpu_affinity_list": "5"}, timeout=5,
                           headers={"Authorization": f"Bearer {server.admin_token}"})
    assert written.status_code == 200, written.text
    assert written.json()["changed"] is True and written.json()["cpu_affinity_list"] == [5]
    assert written.json()["audited"] is False  # the journal line below is its record
    assert f"affinity irq={irq.irq} token=admin" in server.output()
    for _ in range(10):  # every worker's cached listing saw the write
        listing = requests.get(server.url + "/irqs", timeout=5).json()["irqs"]
        assert next(i for i in listing if i["irq_num"] == str(irq.irq))[
            "cpu_affinity_list"] == [5]
    assert requests.get(server.url + "/irqs/24", timeout=5).status_code == 200
    wait_for(lambda: "sample not stored" in server.output())

    stored = requests.get(server.url + "/history", timeout=5).json()["newest"]
    ballast.unlink()  # space is back: the sampler resumes by itself
    wait_for(lambda: "sampling again" in server.output())
    wait_for(lambda: requests.get(server.url + "/readyz", timeout=5).status_code == 200)
    assert requests.get(server.url + "/history", timeout=5).json()["newest"] > stored
    again = requests.put(f"{server.url}/irqs/{irq.irq}/cpu_affinity",
                         json={"cpu_affinity_list": "6", "reason": "space is back"}, timeout=5,
                         headers={"Authorization": f"Bearer {server.admin_token}"})
    assert again.status_code == 200 and again.json()["audited"] is True
    logged = requests.get(server.url + "/affinity/changes", timeout=5).json()["changes"]
    assert [(c["irq"], c["reason"]) for c in logged] == [(irq.irq, "space is back")]
    server.stop()
    for name in ("history.sqlite3", "users.sqlite3", "runs.sqlite3", "changes.sqlite3"):
        db = sqlite3.connect(disk / "data" / name)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", name
        db.close()
