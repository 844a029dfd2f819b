"""Usage readers on real captures: /proc/stat cpu lines, /proc/meminfo, /proc/mounts, statvfs;
and the CPU percentages top computes."""
import os

import pytest
from irq_server.history.usage import cpu_percentages
from irq_server.procfs import (
    HostFS,
    block_backed,
    parse_meminfo,
    parse_mounts,
    parse_stat,
    read_filesystems,
    read_meminfo,
    read_mounts,
    read_stat,
)
from irq_server.procfs.hostfs import STATVFS_FILE
from server_fixtures import FIXTURES

KIB = 1024
MEMINFO = {  # machine: (MemTotal kB, available kB, estimated); from the captures' own text
    "debian12-kvm-2cpu": (24684084, 24257684, False),
    "lkml-2004-2.6.9-athlon-512mb": (515244, 1844 + 6588 + 466996, True),  # free+buffers+cached
    "lkml-2001-2.4.5-x86-320mb": (320120, 70008 + 59244 + 103996, True),
}
MOUNTS = {  # machine: block-backed mount points
    "debian12-kvm-2cpu": ["/"],
    "ubuntu-2007-2.6.20-x86": ["/", "/media/data", "/media/sda1", "/media/sda2", "/media/sda3",
                               "/media/windows"],
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


@pytest.mark.parametrize("machine", sorted(MOUNTS))
def test_mount_captures_keep_only_disks_once(machine):
    mounts = read_mounts(HostFS(FIXTURES / machine))
    assert len(mounts) > len(MOUNTS[machine])  # proc, sysfs, tmpfs, ... are there
    assert [m.mount_point for m in block_backed(mounts)] == MOUNTS[machine]


def test_mounts_unescape_and_skip_images_but_keep_zfs():
    mounts = parse_mounts("/dev/sdb1 /mnt/my\\040disk ext4 rw 0 0\n"
                          "/dev/loop3 /snap/core/1 squashfs ro 0 0\n"
                          "tank/home /home zfs rw 0 0\n"
                          "server:/export /nfs nfs4 rw 0 0\n")
    assert [m.mount_point for m in block_backed(mounts)] == ["/home", "/mnt/my disk"]


def test_statvfs_answers_from_the_tree_or_the_real_call(tmp_path):
    (tmp_path / ".hostfs").mkdir()
    (tmp_path / STATVFS_FILE).write_text('{"/": [1000, 400, 500]}')
    assert HostFS(tmp_path).statvfs("/") == (1000, 400, 500)
    with pytest.raises(FileNotFoundError):
        HostFS(tmp_path).statvfs("/data")
    st = os.statvfs("/")
    size, used, available = HostFS("/").statvfs("/")
    assert size == st.f_blocks * st.f_frsize and used <= size and available <= size - used + 1


def test_filesystems_of_a_tree_without_mounts_are_none(tmp_path):
    assert read_filesystems(HostFS(tmp_path)) == []


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
