"""Host usage over a window: CPU percentages as top computes them, average memory and
filesystem space (from the integrals the snapshots hold; see history.snapshot)."""
from __future__ import annotations

from collections.abc import Sequence

from irq_server.history.snapshot import (FS_FIELDS, FS_PREFIX, MEM_FIELDS, MEM_PREFIX, STAT_KEYS,
                                         fs_key)
from irq_server.types import CPU_FIELDS, Window

_TOP_FIELDS = 8  # guest and guest_nice are already counted in user and nice


def cpu_percentages(ticks: Sequence[int]) -> dict | None:
    """top's %Cpu line from tick deltas (one per CPU_FIELDS): each field's share of the
    elapsed ticks, and usage = 100 - idle - iowait. None when no tick elapsed."""
    total = sum(int(t) for t in ticks[:_TOP_FIELDS])
    if total <= 0:
        return None
    shares = {f: round(100.0 * int(t) / total, 2) for f, t in zip(CPU_FIELDS, ticks)}
    return {"usage": round(100.0 - 100.0 * (int(ticks[3]) + int(ticks[4])) / total, 2),
            **shares}


def window_cpu(window: Window, per_cpu: bool = False) -> dict | None:
    """CPU percentages over the window for all CPUs (and each, with `per_cpu`)."""
    index = {key: i for i, key in enumerate(window.keys)}
    if not all(key in index for key in STAT_KEYS):
        return None
    ticks = window.counts[[index[key] for key in STAT_KEYS]]
    result = cpu_percentages(ticks.sum(axis=1).tolist())
    if result is not None and per_cpu:
        result["per_cpu"] = [{"cpu": cpu, **(cpu_percentages(ticks[:, j].tolist()) or {})}
                             for j, cpu in enumerate(window.cpus)]
    return result


def window_memory(window: Window) -> dict | None:
    """Average memory over the window, bytes: each MEM_FIELDS, plus used (total - available,
    as free computes it) and swap_used. None without integrals."""
    average = _averages(window, [MEM_PREFIX + f for f in MEM_FIELDS])
    if average is None:
        return None
    memory = {f: average[MEM_PREFIX + f] for f in MEM_FIELDS}
    memory["used"] = memory["total"] - memory["available"]
    memory["swap_used"] = memory["swap_total"] - memory["swap_free"]
    return memory


def window_filesystems(window: Window) -> dict[str, dict]:
    """Average size/used/available (bytes) of each filesystem over the window, by mount."""
    mounts = sorted({key.split(":", 2)[2] for key in window.levels
                     if key.startswith(FS_PREFIX)})
    result = {}
    for mount in mounts:
        average = _averages(window, [fs_key(f, mount) for f in FS_FIELDS])
        if average is not None:
            result[mount] = {f: average[fs_key(f, mount)] for f in FS_FIELDS}
    return result


def _averages(window: Window, keys: list[str]) -> dict[str, int] | None:
    """Bytes, to the KiB the levels are read and integrated in: each step of the integral is
    rounded to a whole KiB x second, so an average over few steps is off by a fraction of a
    KiB, and rounding it back to the KiB makes a constant level come back exactly (df's
    size, MemTotal) for sampling intervals of a second or more."""
    seconds = window.end - window.start
    if seconds <= 0 or not all(key in window.levels for key in keys):
        return None
    return {key: round(window.levels[key] / seconds) * 1024 for key in keys}
