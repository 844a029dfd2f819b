"""Simulated host: realistic tree, deterministic, kernel-like affinity writes, delivery."""
import errno

import pytest
from irq_server.errors import InvalidInput
from irq_server.host import Host
from irq_server.procfs import HostFS, read_interrupts, read_irq_settings, read_topology

from irq_server import sim as simhost


def counts_of(fs, irq):
    table = read_interrupts(fs)
    return dict(zip(table.cpus, table.row_counts(table.irq_index()[irq])))


def nic_irq(sim):
    return next(i for i in sim.irqs if i.action.startswith("eth"))


def test_tree_has_topology_names_and_managed_queues(sim):
    fs = sim.fs
    topo = read_topology(fs)
    assert len(topo.cpus) == 8 and topo.online == set(range(8))
    assert {c.node for c in topo.cpus} == {0, 1}
    assert topo.cpus[5].cache_cpus == (4, 5, 6, 7)
    actions = [i.action for i in sim.irqs]
    assert any(a.startswith("eth0-TxRx-") for a in actions)
    assert any(a.startswith("nvme0q") for a in actions)
    assert any(a.startswith("mlx5_comp") for a in actions)
    managed = [i for i in sim.irqs if i.managed]
    assert managed and all(read_irq_settings(fs, i.irq).managed for i in managed)
    table = read_interrupts(fs)
    assert len([r for r in table.rows if r.irq is not None]) == 40


def test_same_seed_same_host_other_seed_other_rates(tmp_path):
    a = simhost.create(tmp_path / "a", simhost.SimSpec(8, 2, 40, seed=3))
    b = simhost.create(tmp_path / "b", simhost.SimSpec(8, 2, 40, seed=3))
    c = simhost.create(tmp_path / "c", simhost.SimSpec(8, 2, 40, seed=4))
    for host in (a, b, c):
        host.advance(5)
    text = lambda h: (h.root / "proc/interrupts").read_text()
    assert text(a) == text(b)
    assert text(a) != text(c)


def test_interrupts_land_on_first_online_cpu_of_mask(sim):
    irq = nic_irq(sim)
    before = counts_of(sim.fs, irq.irq)
    sim.fs.write_text(f"proc/irq/{irq.irq}/smp_affinity", "30\n")  # CPUs 4-5
    sim.advance(2)
    after = counts_of(sim.fs, irq.irq)
    gained = {cpu: after[cpu] - before[cpu] for cpu in after}
    assert gained[4] == pytest.approx(irq.rate * 2, abs=1)
    assert all(v == 0 for cpu, v in gained.items() if cpu != 4)
    settings = read_irq_settings(sim.fs, irq.irq)
    assert settings.effective_affinity_list == (4,) and settings.smp_affinity_list == (4, 5)


def test_managed_irq_refuses_writes_with_eio(sim):
    managed = next(i for i in sim.irqs if i.managed)
    with pytest.raises(OSError) as err:
        sim.fs.write_text(f"proc/irq/{managed.irq}/smp_affinity", "1\n")
    assert err.value.errno == errno.EIO


@pytest.mark.parametrize("text,code", [("zz", errno.EINVAL), ("100", errno.EOVERFLOW),
                                       ("0", errno.EINVAL)])
def test_kernel_rejects_bad_masks(sim, text, code):
    with pytest.raises(OSError) as err:
        sim.fs.write_text(f"proc/irq/{nic_irq(sim).irq}/smp_affinity", text)
    assert err.value.errno == code


def test_offline_cpu_leaves_header_and_its_irqs_move(sim):
    irq = nic_irq(sim)
    sim.fs.write_text(f"proc/irq/{irq.irq}/smp_affinity", "c0\n")  # CPUs 6-7
    sim.set_online(6, False)
    assert read_interrupts(sim.fs).cpus == (0, 1, 2, 3, 4, 5, 7)
    before = counts_of(sim.fs, irq.irq)
    sim.advance(1)
    assert counts_of(sim.fs, irq.irq)[7] > before[7]
    assert 6 not in read_topology(sim.fs).online
    with pytest.raises(OSError):
        sim.fs.write_text(f"proc/irq/{irq.irq}/smp_affinity", "40\n")  # only CPU 6


def test_counters_wrap_at_32_bits(sim):
    irq = max(sim.irqs, key=lambda i: i.rate)
    seconds = (2 ** 32) / irq.rate + 10
    sim.advance(seconds)
    assert max(counts_of(sim.fs, irq.irq).values()) < 2 ** 32


def test_other_process_continues_from_the_tree(sim):
    sim.advance(3)
    again = simhost.SimHost(sim.root)
    irq = nic_irq(sim)
    start = counts_of(sim.fs, irq.irq)[0]
    again.advance(1)
    assert counts_of(sim.fs, irq.irq)[0] == pytest.approx(start + irq.rate, abs=1)


def test_host_fs_picks_simulated_kernel_rules(sim, tmp_path):
    assert isinstance(Host.tree(sim.root), simhost.SimKernelFS)
    assert type(Host.tree(tmp_path)) is HostFS


@pytest.mark.parametrize("text", ["64", "a:b:c", "0:1:1", "4:8:10", "4:1:0"])
def test_spec_parse_rejects_bad_sizes(text):
    with pytest.raises(InvalidInput) as err:
        simhost.SimSpec.parse(text)
    assert err.value.field == "simulate"


def test_large_host_256_cpus_2000_irqs(tmp_path):
    sim = simhost.create(tmp_path / "big", simhost.SimSpec(256, 4, 2000, seed=0))
    sim.advance(1)
    table = Host(sim.fs).irq_table()
    assert table.interrupts.counts.shape == (2000 + 4, 256)
    assert len(table.settings) == 2000
    assert int(table.interrupts.counts.sum()) > 0
    assert {read_irq_settings(sim.fs, i.irq).node for i in sim.irqs[-3:]} <= {0, 1, 2, 3}
