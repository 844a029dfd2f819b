"""The audit log under concurrent writers: two workers, several clients writing one IRQ at
once; each entry's `old` is the entry before's `new`, and every answered write is there."""
import threading

import requests
from live_server import wait_for

from irq_server import sim as simhost


def test_concurrent_writes_to_one_irq_chain_in_the_audit_log(start_server):
    server = start_server("--simulate", "16:1:100", "--interval", "1", "--workers", "2")
    wait_for(lambda: requests.get(server.url + "/readyz", timeout=5).status_code == 200)
    sim = simhost.SimHost(server.data_dir / "simhost")
    irq = next(i for i in sim.irqs if not i.managed and i.action.startswith("eth")).irq
    answered, errors = [], []

    def writer(k):
        session = requests.Session()
        for n in range(25):
            cpu = (k * 25 + n) % 16
            r = session.put(f"{server.url}/irqs/{irq}/cpu_affinity", timeout=10,
                            json={"cpu_affinity_list": str(cpu), "reason": f"w{k}-{n}"},
                            headers={"Authorization": f"Bearer {server.admin_token}"})
            (answered if r.status_code == 200 else errors).append((r.json(), f"w{k}-{n}"))

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    log = requests.get(server.url + "/affinity/changes", timeout=5).json()["changes"]
    changed = {why for body, why in answered if body["changed"]}
    assert {c["reason"] for c in log} == changed and len(log) == len(changed)
    for before, after in zip(log, log[1:]):
        assert after["old"] == before["new"], (before, after)
    assert all(c["old"] != c["new"] for c in log)
