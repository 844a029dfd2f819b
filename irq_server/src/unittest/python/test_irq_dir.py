"""/proc/irq/N and /sys/kernel/irq/N: one IRQ's settings."""
from irq_server.procfs import HostFS, list_irqs, read_irq_settings
from server_fixtures import write_file


def test_irq_dir_all_files(tmp_path):
    for name, text in {"smp_affinity": "00000000,0000000c\n", "smp_affinity_list": "2-3\n",
                       "effective_affinity": "00000000,00000004\n",
                       "effective_affinity_list": "2\n", "affinity_hint": "00000000,00000000\n",
                       "node": "1\n"}.items():
        write_file(tmp_path, f"proc/irq/42/{name}", text)
    for name, text in {"chip_name": "IR-PCI-MSI\n", "hwirq": "524288\n", "type": "edge\n",
                       "actions": "eth0-TxRx-0\n", "per_cpu_count": "5,0,7,0\n"}.items():
        write_file(tmp_path, f"sys/kernel/irq/42/{name}", text)
    write_file(tmp_path, "sys/kernel/debug/irq/irqs/42", "flags: 0x1\n  IRQD_AFFINITY_MANAGED\n")
    s = read_irq_settings(HostFS(tmp_path), 42)
    assert s.smp_affinity == "00000000,0000000c" and s.smp_affinity_list == (2, 3)
    assert s.effective_affinity_list == (2,) and s.affinity_hint == () and s.node == 1
    assert (s.chip_name, s.hwirq, s.trigger, s.actions) == (
        "IR-PCI-MSI", 524288, "edge", ("eth0-TxRx-0",))
    assert s.per_cpu_count == (5, 0, 7, 0) and s.managed is True
    assert list_irqs(HostFS(tmp_path)) == [42]


def test_irq_dir_missing_files_are_absent_fields(tmp_path):
    write_file(tmp_path, "proc/irq/7/smp_affinity", "1\n")  # a 2.6-era kernel: nothing else
    s = read_irq_settings(HostFS(tmp_path), 7)
    assert s.smp_affinity_list == (0,)
    assert (s.effective_affinity_list, s.affinity_hint, s.node, s.chip_name, s.managed) == (
        None, None, None, None, None)


def test_effective_affinity_mask_used_when_list_file_is_missing(tmp_path):
    write_file(tmp_path, "proc/irq/7/smp_affinity", "f\n")
    write_file(tmp_path, "proc/irq/7/effective_affinity", "4\n")
    assert read_irq_settings(HostFS(tmp_path), 7).effective_affinity_list == (2,)
