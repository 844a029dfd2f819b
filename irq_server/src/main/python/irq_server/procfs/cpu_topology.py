"""CPU topology from /sys/devices/system/cpu and /sys/devices/system/node.

A tree without /sys (a bare /proc capture) yields no CPUs here; callers then fall back to
the CPUs named by /proc/interrupts.
"""
from __future__ import annotations

import logging

from irq_server.errors import InvalidInput
from irq_server.procfs.hostfs import HostFS
from irq_server.procfs.masks import parse_cpu_list
from irq_server.types import CpuInfo, Topology

log = logging.getLogger(__name__)
_CPU = "sys/devices/system/cpu"
_NODE = "sys/devices/system/node"


def read_topology(fs: HostFS) -> Topology:
    """Read every present CPU's online state, node, package, core and cache sharing."""
    present, isolated, nohz_full = read_isolation(fs)
    online_text = fs.read_optional(f"{_CPU}/online")
    online = parse_cpu_list(online_text) if online_text is not None else present
    nodes = read_node_cpus(fs)
    node_of = {cpu: node for node, cpus in nodes.items() for cpu in cpus}
    cpus = tuple(CpuInfo(cpu=cpu, online=cpu in online, node=node_of.get(cpu),
                         package=_int(fs, f"{_CPU}/cpu{cpu}/topology/physical_package_id"),
                         core=_int(fs, f"{_CPU}/cpu{cpu}/topology/core_id"),
                         cache_cpus=_last_level_cache(fs, cpu),
                         isolated=cpu in isolated, nohz_full=cpu in nohz_full)
                 for cpu in sorted(present))
    return Topology(cpus=cpus)


def read_isolation(fs: HostFS) -> tuple[frozenset[int], frozenset[int], frozenset[int]]:
    """(present, isolated, nohz_full) CPUs: what the bans need, without the per-CPU files."""
    present = _cpu_set(fs, "present") or _cpu_set(fs, "possible")
    if not present:
        present = frozenset(int(n[3:]) for n in fs.listdir(_CPU)
                            if n.startswith("cpu") and n[3:].isdigit())
    return present, _cpu_set(fs, "isolated"), _cpu_set(fs, "nohz_full")


def read_node_cpus(fs: HostFS) -> dict[int, frozenset[int]]:
    """NUMA node -> CPU ids, from /sys/devices/system/node/nodeN/cpulist."""
    nodes = {}
    for name in fs.listdir(_NODE):
        if name.startswith("node") and name[4:].isdigit():
            text = fs.read_optional(f"{_NODE}/{name}/cpulist")
            if text is not None:
                nodes[int(name[4:])] = parse_cpu_list(text)
    return nodes


def _cpu_set(fs: HostFS, name: str) -> frozenset[int]:
    """A CPU list file; one that is not a list ("(null)" on some kernels, garbage) names no
    CPU: a fault in the host's files is not the request's."""
    try:
        text = fs.read_optional(f"{_CPU}/{name}")
        return parse_cpu_list(text, field=name) if text else frozenset()
    except (OSError, InvalidInput) as exc:
        log.warning("%s/%s ignored: %s", _CPU, name, exc)
        return frozenset()


def _int(fs: HostFS, rel: str) -> int | None:
    text = fs.read_optional(rel)
    return int(text) if text and text.lstrip("-").isdigit() else None


def _last_level_cache(fs: HostFS, cpu: int) -> tuple[int, ...]:
    """CPUs sharing the highest-level cache of `cpu` (its L3 on most x86)."""
    best_level, best = -1, ()
    base = f"{_CPU}/cpu{cpu}/cache"
    for index in fs.listdir(base):
        level = _int(fs, f"{base}/{index}/level")
        shared = fs.read_optional(f"{base}/{index}/shared_cpu_list")
        if level is not None and shared and level > best_level:
            best_level, best = level, tuple(sorted(parse_cpu_list(shared)))
    return best
