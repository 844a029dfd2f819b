"""/proc/meminfo on real captures."""

import pytest
from irq_server.procfs import HostFS, parse_meminfo, read_meminfo
from server_fixtures import FIXTURES

KIB = 1024
MEMINFO = {  # machine: (MemTotal kB, available kB, estimated); from the captures' own text
    "debian12-kvm-2cpu": (24684084, 24257684, False),
    "lkml-2004-2.6.9-athlon-512mb": (515244, 1844 + 6588 + 466996, True),  # free+buffers+cached
    "lkml-2001-2.4.5-x86-320mb": (320120, 70008 + 59244 + 103996, True),
}



@pytest.mark.parametrize("machine", sorted(MEMINFO))


def test_meminfo_captures(machine):
    memory = read_meminfo(HostFS(FIXTURES / machine))
    total, available, estimated = MEMINFO[machine]
    assert memory.total == total * KIB and memory.available_estimated is estimated
    assert memory.available == available * KIB
    assert memory.used == memory.total - memory.available and memory.swap_used >= 0


def test_meminfo_without_memavailable_is_estimated_as_the_kernel_does():
    text = ("MemTotal: 1000000 kB\nMemFree: 100000 kB\nBuffers: 5000 kB\nCached: 300000 kB\n"
            "Active(file): 200000 kB\nInactive(file): 100000 kB\nSReclaimable: 40000 kB\n")
    memory = parse_meminfo(text, min_free_kib=8000)
    low = 10000  # 5/4 of min_free_kbytes
    expected = 100000 - low + 300000 - min(150000, low) + 40000 - min(20000, low)
    assert memory.available == expected * KIB and memory.available_estimated
    with pytest.raises(ValueError):
        parse_meminfo("Mem: 1 2 3\n")
