"""/proc/irq/N, /sys/kernel/irq/N, topology, /proc/stat, /proc/softirqs, boot_id."""
import pytest
from irq_server.procfs import (
    HostFS,
    list_irqs,
    parse_softirqs,
    parse_stat,
    read_boot_id,
    read_irq_settings,
    read_softirqs,
    read_stat,
    read_topology,
)
from server_fixtures import FIXTURES

STATS = {  # machine: (cpuN lines, intr total); from the captures' own text
    "android-mt6589-4cpu-1online": (1, 416903), "csci442-x86-fglrx-8cpu": (8, 168559808),
    "firecracker-kvm-2cpu": (2, 379885), "kvm-pcimsix-1cpu": (1, 113119),
    "sep4020-arm9-1cpu": (1, 31431), "sos-coreos-hyperv-2cpu": (2, 1164323),
    "zte-router-armv7-gic-2cpu": (2, 997320), "zynq-armv7-gic-2cpu": (2, 493726112),
}
SOFTIRQS = {  # machine: CPU columns (possible CPUs, may exceed the online ones)
    "android-mt6589-4cpu-1online": 4, "csci442-x86-fglrx-8cpu": 16, "firecracker-kvm-2cpu": 2,
    "kvm-pcimsix-1cpu": 1, "sos-coreos-hyperv-2cpu": 2, "zte-router-armv7-gic-2cpu": 2,
    "zynq-armv7-gic-2cpu": 2,
}


def write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.mark.parametrize("machine", sorted(STATS))
def test_stat_captures(machine):
    stat = read_stat(HostFS(FIXTURES / machine))
    assert (len(stat.cpu_times), stat.intr_total) == STATS[machine]
    assert all(t.irq_ticks >= 0 and t.softirq_ticks >= 0 for t in stat.cpu_times)


def test_stat_old_kernel_short_cpu_lines_count_as_zero():
    stat = parse_stat("cpu  1 2 3 4\ncpu0 1 2 3 4\nintr 7 0\n")
    assert stat.cpu_times[0].irq_ticks == 0 and stat.intr_total == 7


@pytest.mark.parametrize("machine", sorted(SOFTIRQS))
def test_softirqs_captures_list_possible_cpus(machine):
    soft = read_softirqs(HostFS(FIXTURES / machine))
    assert len(soft.cpus) == SOFTIRQS[machine]
    assert "TIMER" in soft.counts and all(len(v) == len(soft.cpus) for v in soft.counts.values())


def test_softirqs_empty_is_an_error():
    with pytest.raises(ValueError):
        parse_softirqs("")


def test_irq_dir_all_files(tmp_path):
    for name, text in {"smp_affinity": "00000000,0000000c\n", "smp_affinity_list": "2-3\n",
                       "effective_affinity": "00000000,00000004\n",
                       "effective_affinity_list": "2\n", "affinity_hint": "00000000,00000000\n",
                       "node": "1\n"}.items():
        write(tmp_path, f"proc/irq/42/{name}", text)
    for name, text in {"chip_name": "IR-PCI-MSI\n", "hwirq": "524288\n", "type": "edge\n",
                       "actions": "eth0-TxRx-0\n", "per_cpu_count": "5,0,7,0\n"}.items():
        write(tmp_path, f"sys/kernel/irq/42/{name}", text)
    write(tmp_path, "sys/kernel/debug/irq/irqs/42", "flags: 0x1\n  IRQD_AFFINITY_MANAGED\n")
    s = read_irq_settings(HostFS(tmp_path), 42)
    assert s.smp_affinity == "00000000,0000000c" and s.smp_affinity_list == (2, 3)
    assert s.effective_affinity_list == (2,) and s.affinity_hint == () and s.node == 1
    assert (s.chip_name, s.hwirq, s.trigger, s.actions) == (
        "IR-PCI-MSI", 524288, "edge", ("eth0-TxRx-0",))
    assert s.per_cpu_count == (5, 0, 7, 0) and s.managed is True
    assert list_irqs(HostFS(tmp_path)) == [42]


def test_irq_dir_missing_files_are_absent_fields(tmp_path):
    write(tmp_path, "proc/irq/7/smp_affinity", "1\n")  # a 2.6-era kernel: nothing else
    s = read_irq_settings(HostFS(tmp_path), 7)
    assert s.smp_affinity_list == (0,)
    assert (s.effective_affinity_list, s.affinity_hint, s.node, s.chip_name, s.managed) == (
        None, None, None, None, None)


def test_effective_affinity_mask_used_when_list_file_is_missing(tmp_path):
    write(tmp_path, "proc/irq/7/smp_affinity", "f\n")
    write(tmp_path, "proc/irq/7/effective_affinity", "4\n")
    assert read_irq_settings(HostFS(tmp_path), 7).effective_affinity_list == (2,)


def test_topology_from_sysfs(tmp_path):
    cpu = "sys/devices/system/cpu"
    write(tmp_path, f"{cpu}/present", "0-3\n")
    write(tmp_path, f"{cpu}/online", "0-2\n")
    write(tmp_path, f"{cpu}/isolated", "2\n")
    write(tmp_path, f"{cpu}/nohz_full", "2\n")
    write(tmp_path, "sys/devices/system/node/node0/cpulist", "0-1\n")
    write(tmp_path, "sys/devices/system/node/node1/cpulist", "2-3\n")
    for c in range(4):
        write(tmp_path, f"{cpu}/cpu{c}/topology/physical_package_id", f"{c // 2}\n")
        write(tmp_path, f"{cpu}/cpu{c}/topology/core_id", f"{c % 2}\n")
        write(tmp_path, f"{cpu}/cpu{c}/cache/index0/level", "1\n")
        write(tmp_path, f"{cpu}/cpu{c}/cache/index0/shared_cpu_list", f"{c}\n")
        write(tmp_path, f"{cpu}/cpu{c}/cache/index3/level", "3\n")
        write(tmp_path, f"{cpu}/cpu{c}/cache/index3/shared_cpu_list",
              "0-1\n" if c < 2 else "2-3\n")
    topo = read_topology(HostFS(tmp_path))
    assert [c.cpu for c in topo.cpus] == [0, 1, 2, 3]
    assert topo.online == {0, 1, 2} and topo.known == {0, 1, 2, 3} and topo.nr_cpu_ids == 4
    c2 = topo.cpus[2]
    assert (c2.node, c2.package, c2.core, c2.cache_cpus, c2.isolated, c2.nohz_full) == (
        1, 1, 0, (2, 3), True, True)


def test_topology_of_bare_capture_is_empty():
    assert read_topology(HostFS(FIXTURES / "firecracker-kvm-2cpu")).cpus == ()


def test_boot_id(tmp_path):
    assert read_boot_id(HostFS(tmp_path)) is None
    write(tmp_path, "proc/sys/kernel/random/boot_id", "abc-123\n")
    assert read_boot_id(HostFS(tmp_path)) == "abc-123"
