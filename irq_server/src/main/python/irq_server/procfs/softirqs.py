"""/proc/softirqs: per-CPU counts of each softirq kind (columns are *possible* CPUs)."""
from __future__ import annotations

import re

from irq_server.procfs.hostfs import HostFS
from irq_server.types import Softirqs

_CPU_RE = re.compile(r"CPU(\d+)")


def read_softirqs(fs: HostFS) -> Softirqs:
    return parse_softirqs(fs.read_text("proc/softirqs"))


def parse_softirqs(text: str) -> Softirqs:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("empty /proc/softirqs")
    cpus = tuple(int(x) for x in _CPU_RE.findall(lines[0]))
    counts = {}
    for line in lines[1:]:
        name, _, rest = line.partition(":")
        values = tuple(int(v) for v in rest.split()[:len(cpus)])
        counts[name.strip()] = values
    return Softirqs(cpus=cpus, counts=counts)
