"""/proc/stat: per-CPU irq and softirq time and the interrupt totals."""
from __future__ import annotations

from irq_server.procfs.hostfs import HostFS
from irq_server.types import CpuTime, Stat


def read_stat(fs: HostFS) -> Stat:
    return parse_stat(fs.read_text("proc/stat"))


def parse_stat(text: str) -> Stat:
    """Parse /proc/stat. cpuN fields: user nice system idle iowait irq softirq ... (proc(5));
    kernels before 2.6 lack irq/softirq, counted as 0."""
    times, intr, softirq, btime = [], None, None, None
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        key = parts[0]
        if key.startswith("cpu") and key[3:].isdigit():
            values = [int(v) for v in parts[1:8]] + [0] * 7
            times.append(CpuTime(cpu=int(key[3:]), irq_ticks=values[5], softirq_ticks=values[6]))
        elif key == "intr" and len(parts) > 1:
            intr = int(parts[1])
        elif key == "softirq" and len(parts) > 1:
            softirq = int(parts[1])
        elif key == "btime" and len(parts) > 1:
            btime = int(parts[1])
    return Stat(cpu_times=tuple(times), intr_total=intr, softirq_total=softirq, boot_time=btime)
