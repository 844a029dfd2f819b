"""/proc/softirqs."""

import pytest
from irq_server.procfs import HostFS, parse_softirqs, read_softirqs
from server_fixtures import FIXTURES

SOFTIRQS = {  # machine: CPU columns (possible CPUs, may exceed the online ones)
    "android-mt6589-4cpu-1online": 4, "csci442-x86-fglrx-8cpu": 16, "firecracker-kvm-2cpu": 2,
    "kvm-pcimsix-1cpu": 1, "sos-coreos-hyperv-2cpu": 2, "zte-router-armv7-gic-2cpu": 2,
    "zynq-armv7-gic-2cpu": 2,
}



@pytest.mark.parametrize("machine", sorted(SOFTIRQS))


def test_softirqs_captures_list_possible_cpus(machine):
    soft = read_softirqs(HostFS(FIXTURES / machine))
    assert len(soft.cpus) == SOFTIRQS[machine]
    assert "TIMER" in soft.counts and all(len(v) == len(soft.cpus) for v in soft.counts.values())


def test_softirqs_empty_is_an_error():
    with pytest.raises(ValueError):
        parse_softirqs("")
