"""The real irq-server (gunicorn + simulator) on loopback."""
import signal
from pathlib import Path

import requests
from live_server import processes_mentioning, wait_for
from server_fixtures import naive_irq_totals


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_simulated_server_moves_interrupts_after_an_authorised_write(start_server):
    server = start_server("--simulate", "16:2:100", "--interval", "0.2", "--workers", "2")
    irqs = requests.get(server.url + "/irqs", timeout=5).json()
    assert len(irqs["cpus"]) == 16 and len(irqs["irqs"]) == 100
    nic = next(i for i in irqs["irqs"] if i["device_name"].startswith("eth0-TxRx-"))
    url = f"{server.url}/irqs/{nic['irq_num']}/cpu_affinity"

    assert requests.put(url, data={"cpu_affinity_list": "5"}, timeout=5).status_code == 401
    written = requests.put(url, json={"cpu_affinity_list": "5"},
                           headers=bearer(server.admin_token), timeout=5)
    assert written.status_code == 200, written.text
    assert written.json()["effective_affinity_list"] == [5]

    def counts():
        return requests.get(f"{server.url}/irqs/{nic['irq_num']}",
                            timeout=5).json()["num_interrupts_per_cpu"]
    first = counts()
    later = wait_for(lambda: (c := counts())[5] > first[5] and c)
    assert later[0] == first[0], "CPU0 no longer receives the moved IRQ"
    assert "audit" in server.output() and f"irq={nic['irq_num']} token=admin" in server.output()


def test_simulated_server_refuses_managed_offline_and_unknown(start_server):
    server = start_server("--simulate", "8:1:40", "--interval", "0.5")
    headers = bearer(server.admin_token)
    irqs = requests.get(server.url + "/irqs", timeout=5).json()["irqs"]
    managed = next(i for i in irqs if i["managed"])
    nic = next(i for i in irqs if i["device_name"].startswith("eth"))
    refused = requests.put(f"{server.url}/irqs/{managed['irq_num']}/cpu_affinity",
                           json={"cpu_affinity_list": "1"}, headers=headers, timeout=5)
    assert refused.status_code == 409
    assert refused.headers["Content-Type"] == "application/problem+json"
    bad = requests.put(f"{server.url}/irqs/{nic['irq_num']}/cpu_affinity",
                       json={"cpu_affinity_mask": "00000000,00000f00"}, headers=headers, timeout=5)
    assert bad.status_code == 422 and "cpu_affinity_mask" in bad.json()["errors"]


def test_sigterm_stops_every_process_and_restart_keeps_the_host(start_server):
    server = start_server("--simulate", "4:1:12", "--interval", "0.2", "--workers", "3")
    # master, 3 workers, sampler, simulator (workers boot after the first one answers)
    wait_for(lambda: len(processes_mentioning(str(server.data_dir))) == 6)
    counts = requests.get(server.url + "/irqs", timeout=5).json()["totals"]
    assert server.stop(signal.SIGTERM) == 0
    wait_for(lambda: not processes_mentioning(str(server.data_dir)))
    again = start_server("--simulate", "4:1:12", "--data-dir", str(server.data_dir))
    later = requests.get(again.url + "/irqs", timeout=5).json()["totals"]
    assert later["num_interrupts_all_cpus"] >= counts["num_interrupts_all_cpus"]


def test_sigint_stops_cleanly(start_server):
    server = start_server("--simulate", "4:1:12", "--interval", "0.2")
    assert server.stop(signal.SIGINT) == 0
    wait_for(lambda: not processes_mentioning(str(server.data_dir)))


def independent_totals():
    return naive_irq_totals(Path("/proc/interrupts").read_text())


def test_real_host_totals_equal_proc_interrupts(start_server):
    server = start_server("--root", "/")
    before = independent_totals()
    served = requests.get(server.url + "/irqs", timeout=5).json()["totals"]
    after = independent_totals()
    per_cpu = served["num_interrupts_per_cpu"]
    assert len(per_cpu) == len(before)
    assert all(b <= s <= a for b, s, a in zip(before, per_cpu, after))
    assert requests.get(server.url + "/cpus", timeout=5).json()["cpus"]


def test_two_servers_on_one_machine_share_no_control_socket(start_server, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_RUNTIME_DIR": ""}
    first = start_server("--simulate", "4:1:12", env=env)
    second = start_server("--simulate", "4:1:12", env=env)
    for server in (first, second):
        assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
    assert list(home.rglob("*.ctl")) == [] and not (home / ".gunicorn").exists()


def test_large_bodies_get_413_before_being_read(start_server):
    server = start_server("--simulate", "4:1:12", "--max-body", "2048")
    url = server.url + "/irqs/24/cpu_affinity"
    headers = {**bearer(server.admin_token), "Content-Type": "application/json"}
    ten_mb = b'{"cpu_affinity_list": "1", "pad": "' + b"x" * (10 << 20) + b'"}'
    sized = requests.put(url, data=ten_mb, headers=headers, timeout=10)
    assert sized.status_code == 413
    assert sized.headers["Content-Type"] == "application/problem+json"
    assert "at most 2048" in sized.json()["detail"]
    chunked = requests.put(url, data=iter([ten_mb[:4096]] * 4), headers=headers, timeout=10)
    assert chunked.status_code == 413  # no Content-Length: the stream is capped as it is read
    assert requests.get(url, timeout=5).json()["cpu_affinity_list"] == [0, 1, 2, 3]
