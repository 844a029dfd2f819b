"""/proc/stat: per-CPU time by kind (user, system, idle, iowait, irq, ...) and the totals."""
from __future__ import annotations

from irq_server.procfs.hostfs import HostFS
from irq_server.types import CPU_FIELDS, CpuTime, Stat


def read_stat(fs: HostFS) -> Stat:
    return parse_stat(fs.read_text("proc/stat"))


def parse_stat(text: str) -> Stat:
    """Parse /proc/stat. cpu lines: user nice system idle iowait irq softirq steal guest
    guest_nice (proc(5)); older kernels print fewer (no steal before 2.6.11, no guest before
    2.6.24, ...): the missing ones count as 0."""
    times, total, intr, softirq, btime = [], None, None, None, None
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        key = parts[0]
        if key.startswith("cpu") and (key == "cpu" or key[3:].isdigit()):
            ticks = [int(v) for v in parts[1:1 + len(CPU_FIELDS)]]
            ticks += [0] * (len(CPU_FIELDS) - len(ticks))
            cpu_time = CpuTime(cpu=int(key[3:]) if key != "cpu" else None, ticks=tuple(ticks))
            if key == "cpu":
                total = cpu_time
            else:
                times.append(cpu_time)
        elif key == "intr" and len(parts) > 1:
            intr = int(parts[1])
        elif key == "softirq" and len(parts) > 1:
            softirq = int(parts[1])
        elif key == "btime" and len(parts) > 1:
            btime = int(parts[1])
    return Stat(cpu_times=tuple(times), intr_total=intr, softirq_total=softirq, boot_time=btime,
                total=total)
