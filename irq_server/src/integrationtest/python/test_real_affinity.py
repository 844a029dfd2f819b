"""Opt-in: moves one real IRQ of this machine through the server and restores it.

Run with IRQ_SERVER_REAL_AFFINITY_TEST=1 (as root). Never runs by default: every other test
writes only into capture copies or the simulated host.
"""
import os

import pytest
import requests
from irq_server.procfs import HostFS, list_irqs, read_irq_settings, read_topology

pytestmark = [
    pytest.mark.real_affinity,
    pytest.mark.skipif(os.environ.get("IRQ_SERVER_REAL_AFFINITY_TEST") != "1",
                       reason="changes this machine's IRQ affinity; set "
                              "IRQ_SERVER_REAL_AFFINITY_TEST=1 to run"),
]


def movable_irq(fs, online):
    """An IRQ whose mask names more than one online CPU and whose kernel takes writes."""
    for irq in list_irqs(fs):
        settings = read_irq_settings(fs, irq)
        cpus = set(settings.smp_affinity_list or ())
        if len(cpus & online) > 1 and settings.managed is not True:
            try:
                fs.write_text(f"proc/irq/{irq}/smp_affinity", settings.smp_affinity)
            except OSError:
                continue
            return irq, settings.smp_affinity, sorted(cpus & online)
    pytest.fail("no movable IRQ on this machine")


def test_real_irq_moves_and_is_restored(start_server):
    fs = HostFS("/")
    online = read_topology(fs).online
    irq, original, cpus = movable_irq(fs, online)
    server = start_server("--root", "/")
    url = f"{server.url}/irqs/{irq}/cpu_affinity"
    headers = {"Authorization": f"Bearer {server.admin_token}"}
    try:
        moved = requests.put(url, json={"cpu_affinity_list": str(cpus[-1])}, headers=headers,
                             timeout=5)
        assert moved.status_code == 200, moved.text
        assert moved.json()["cpu_affinity_list"] == [cpus[-1]]
        assert read_irq_settings(fs, irq).smp_affinity_list == (cpus[-1],)
        back = requests.put(url, json={"cpu_affinity_mask": original}, headers=headers, timeout=5)
        assert back.status_code == 200, back.text
    finally:
        fs.write_text(f"proc/irq/{irq}/smp_affinity", original)
    assert read_irq_settings(fs, irq).smp_affinity == original
