"""boot_id: a random id the kernel makes at every boot (counters restart with it)."""
from __future__ import annotations

from irq_server.procfs.hostfs import HostFS


def read_boot_id(fs: HostFS) -> str | None:
    """The host's boot id, or None when the tree has none (a bare capture)."""
    return fs.read_optional("proc/sys/kernel/random/boot_id")
