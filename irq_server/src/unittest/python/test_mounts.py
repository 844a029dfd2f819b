"""/proc/mounts and statvfs: the block-backed filesystems and their space."""
import os

import pytest
from irq_server.procfs import HostFS, block_backed, parse_mounts, read_filesystems, read_mounts
from irq_server.procfs.hostfs import STATVFS_FILE
from server_fixtures import FIXTURES

MOUNTS = {  # machine: block-backed mount points
    "debian12-kvm-2cpu": ["/"],
    "ubuntu-2007-2.6.20-x86": ["/", "/media/data", "/media/sda1", "/media/sda2", "/media/sda3",
                               "/media/windows"],
}
KIB = 1024



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
