"""procfs layer: one reader/parser module per kernel file, all I/O through HostFS."""
from irq_server.procfs.boot import read_boot_id
from irq_server.procfs.cpu_topology import read_isolation, read_node_cpus, read_topology
from irq_server.procfs.hostfs import HostFS
from irq_server.procfs.interrupts import parse_interrupts, read_interrupts
from irq_server.procfs.irq_dir import list_irqs, read_irq_settings
from irq_server.procfs.masks import format_cpu_list, format_mask, parse_cpu_list, parse_mask
from irq_server.procfs.meminfo import parse_meminfo, read_meminfo
from irq_server.procfs.mounts import block_backed, parse_mounts, read_filesystems, read_mounts
from irq_server.procfs.softirqs import parse_softirqs, read_softirqs
from irq_server.procfs.stat import parse_stat, read_stat

__all__ = [
    "HostFS", "block_backed", "format_cpu_list", "format_mask", "list_irqs", "parse_cpu_list",
    "parse_interrupts", "parse_mask", "parse_meminfo", "parse_mounts", "parse_softirqs",
    "parse_stat", "read_boot_id", "read_filesystems", "read_interrupts", "read_irq_settings",
    "read_isolation", "read_meminfo", "read_mounts", "read_node_cpus", "read_softirqs",
    "read_stat", "read_topology",
]
