"""/proc/stat: per-CPU times, the interrupt total, and the CPU percentages top computes."""

import pytest
from irq_server.history.usage import cpu_percentages
from irq_server.procfs import HostFS, parse_stat, read_stat
from server_fixtures import FIXTURES

STATS = {  # machine: (cpuN lines, intr total); from the captures' own text
    "android-mt6589-4cpu-1online": (1, 416903), "csci442-x86-fglrx-8cpu": (8, 168559808),
    "firecracker-kvm-2cpu": (2, 379885), "kvm-pcimsix-1cpu": (1, 113119),
    "sep4020-arm9-1cpu": (1, 31431), "sos-coreos-hyperv-2cpu": (2, 1164323),
    "zte-router-armv7-gic-2cpu": (2, 997320), "zynq-armv7-gic-2cpu": (2, 493726112),
}



@pytest.mark.parametrize("machine", sorted(STATS))


def test_stat_captures(machine):
    stat = read_stat(HostFS(FIXTURES / machine))
    assert (len(stat.cpu_times), stat.intr_total) == STATS[machine]
    assert all(t.irq_ticks >= 0 and t.softirq_ticks >= 0 for t in stat.cpu_times)


def test_stat_old_kernel_short_cpu_lines_count_as_zero():
    stat = parse_stat("cpu  1 2 3 4\ncpu0 1 2 3 4\nintr 7 0\n")
    assert stat.cpu_times[0].irq_ticks == 0 and stat.intr_total == 7


def test_stat_reads_all_ten_fields_and_the_total_line():
    stat = read_stat(HostFS(FIXTURES / "debian12-kvm-2cpu"))
    assert stat.total.cpu is None and len(stat.total.ticks) == 10
    assert [t.cpu for t in stat.cpu_times] == [0, 1]
    sums = [sum(t.ticks[i] for t in stat.cpu_times) for i in range(10)]
    assert all(abs(s - total) <= 2 for s, total in zip(sums, stat.total.ticks))
    old = parse_stat("cpu  4 3 2 1\ncpu0 4 3 2 1\n")  # 2.4 kernel: four fields
    assert old.cpu_times[0].ticks == (4, 3, 2, 1, 0, 0, 0, 0, 0, 0)


def test_cpu_percent_is_tops_from_a_pair_of_stat_lines():
    before = parse_stat("cpu  100 0 50 800 50 0 0 0 0 0\n").total.ticks
    after = parse_stat("cpu  240 0 100 1500 100 10 10 30 40 0\n").total.ticks
    shares = cpu_percentages([b - a for a, b in zip(before, after)])
    # 140 user (40 of it guest, not counted twice) + 50 sys + 700 idle + 50 wa + 10 + 10 + 30
    total = 140 + 50 + 700 + 50 + 10 + 10 + 30
    assert shares["usage"] == round(100 - 100 * (700 + 50) / total, 2) == 24.24
    assert shares["steal"] == round(100 * 30 / total, 2) and shares["guest"] == 4.04
    assert cpu_percentages([0] * 10) is None
