"""/proc/sys/kernel/random/boot_id."""
from irq_server.procfs import HostFS, read_boot_id
from server_fixtures import write_file


def test_boot_id(tmp_path):
    assert read_boot_id(HostFS(tmp_path)) is None
    write_file(tmp_path, "proc/sys/kernel/random/boot_id", "abc-123\n")
    assert read_boot_id(HostFS(tmp_path)) == "abc-123"
