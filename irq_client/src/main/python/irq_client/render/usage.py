"""The host Performance API's views: `irq-client usage` and the cpu/memory/storage series."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from irq_client.models import CpuUsage, Current, MemoryPoint, SpaceAverage, StoragePoint
from irq_client.render.text import human_bytes, sparkline, table

SHOWN_SHARES = ("user", "system", "iowait", "irq", "softirq", "steal")


def usage_summary(now: Current, cpu_avg: float | None, memory_avg: SpaceAverage,
                  disks: Mapping[str, SpaceAverage], period: float) -> str:
    """irq-client usage: CPU, memory and each filesystem, now and averaged over `period`."""
    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.1f}%"
    hb = human_bytes
    lines = [f"CPU      {pct(now.cpu_usage)} now, {pct(cpu_avg)} average over {period:g} s"]
    if now.cpu:
        lines[-1] += "  (" + " ".join(f"{k} {now.cpu.shares[k]:.1f}" for k in SHOWN_SHARES
                                      if k in now.cpu.shares) + ")"
    m = now.memory
    if m:
        lines.append(f"memory   used {hb(m['used'])} of {hb(m['total'])}, {hb(m['available'])} "
                     f"available; average used {hb(memory_avg.used)}; swap used "
                     f"{hb(m['swap_used'])}")
    for mount, space in sorted(now.filesystems.items()):
        lines.append(f"{mount:<8} used {hb(space['used'])} of {hb(space['size'])}, "
                     f"{hb(space['available'])} available; average used "
                     f"{hb(disks[mount].used)}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Series:
    """A series as a table: its rows, and for each row the fraction (0..1) of the whole a bar
    shows (CPU: of 100 %; memory: of the total; storage: of the filesystem's size)."""

    headers: list[str]  # column names
    rows: list[list[object]]  # one per point
    fractions: list[float]  # bar length of each row, 0..1
    unit: str  # what the sparkline shows


def cpu_series(points: Sequence[CpuUsage], per_cpu: bool = False) -> Series:
    headers = ["TIME", "USAGE", "USER", "SYSTEM", "IOWAIT", "IRQ", "SOFTIRQ", "STEAL"]
    rows = [_row(f"{p.taken_at:%H:%M:%S}", f"{p.usage:.1f}",
                 *(f"{p.shares.get(k, 0):.1f}" for k in SHOWN_SHARES)) for p in points]
    if per_cpu and points:
        headers += [f"CPU{c.cpu}" for c in points[0].per_cpu]
        for row, p in zip(rows, points):
            row += [f"{c.usage:.1f}" for c in p.per_cpu]
    return Series(headers, rows, [p.usage / 100.0 for p in points], "% busy")


def memory_series(points: Sequence[MemoryPoint]) -> Series:
    rows = [_row(f"{p.taken_at:%H:%M:%S}", *map(human_bytes, (
        p.used, p.free, p.total, p.cached, p.swap_used))) for p in points]
    return Series(["TIME", "USED", "AVAILABLE", "TOTAL", "CACHED", "SWAP-USED"], rows,
                  [p.used / p.total if p.total else 0.0 for p in points], "memory used")


def storage_series(by_mount: Mapping[str, Sequence[StoragePoint]]) -> Series:
    points = [(mount, p) for mount, series in sorted(by_mount.items()) for p in series]
    rows = [_row(f"{p.taken_at:%H:%M:%S}", mount, *map(human_bytes, (p.used, p.free, p.size)))
            for mount, p in points]
    return Series(["TIME", "MOUNT", "USED", "AVAILABLE", "SIZE"], rows,
                  [p.used / p.size if p.size else 0.0 for _, p in points],
                  "space used")


def _row(*cells: object) -> list[object]:
    return list(cells)


BAR = 20  # characters of a full bar


def series_text(series: Series, terminal: bool) -> str:
    """The table; on a terminal with a bar per row and a sparkline of the whole series."""
    if not series.rows:
        return "no samples in this window yet"
    headers, rows = list(series.headers), [list(r) for r in series.rows]
    if terminal:
        headers.append("")
        for row, fraction in zip(rows, series.fractions):
            row.append("#" * round(BAR * min(1.0, max(0.0, fraction))))
    text = table(headers, rows, right=[h for h in headers[1:] if h not in ("MOUNT", "")])
    if terminal:
        text += (f"\n{sparkline(series.fractions, 0.0, 1.0)}  {series.unit}, "
                 f"{len(series.fractions)} points")
    return text
