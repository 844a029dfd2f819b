"""Reads the live /proc of the machine running the tests (read-only)."""
from pathlib import Path

from irq_server.host import Host
from irq_server.procfs import HostFS, read_interrupts, read_topology
from server_fixtures import naive_irq_totals


def independent_totals():
    return naive_irq_totals(Path("/proc/interrupts").read_text())


def test_live_interrupts_totals_match_independent_read():
    before = independent_totals()
    table = read_interrupts(HostFS("/"))
    after = independent_totals()
    numbered = [i for i, r in enumerate(table.rows) if r.irq is not None]
    ours = table.counts[numbered].sum(axis=0).tolist()
    assert len(ours) == len(before)
    assert all(b <= o <= a for b, o, a in zip(before, ours, after))


def test_live_topology_and_irq_table():
    topo = read_topology(HostFS("/"))
    assert topo.online and topo.online <= topo.known
    table = Host(HostFS("/")).irq_table()
    assert table.settings, "this machine has /proc/irq/N directories"
    for settings in table.settings.values():
        assert settings.smp_affinity_list is None or set(settings.smp_affinity_list) <= topo.known
