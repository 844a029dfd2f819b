"""Reading every counter of a host into a Snapshot, and unwrapping 32-bit counters.

The kernel's per-CPU IRQ and softirq counters are 32-bit and wrap; snapshots hold them
unwrapped (uint64, monotonic within a boot) so a window is a plain subtraction. Unwrapping
compares each cell with the previous snapshot of the same boot; the sampler takes one every
second or so, far less than the ~4 billion interrupts a wrap needs.

Beside the interrupts, a snapshot holds the host's usage: /proc/stat CPU time per CPU (rows
"stat:user", "stat:idle", ...: 64-bit ticks, never wrap) and, in the HOST column, memory and
filesystem space (rows "mem:available", "fs:used:/data", ...), and on a host whose IRQ handlers
all run in threads, each IRQ's thread CPU time (rows "thread:<N>", USER_HZ ticks, counters that
never wrap). Memory and filesystems are levels, not counters:
they are stored as their integral over time (KiB x seconds since the boot's first sample), so a
window's difference divided by its length is their exact average over it, however thinly a
tier keeps samples.
"""
from __future__ import annotations

import numpy as np

from irq_server.history.layout import remap
from irq_server.procfs import (HostFS, read_boot_id, read_filesystems, read_interrupts,
                               read_meminfo, read_softirqs, read_stat)
from irq_server.procfs.irq_threads import IrqThreads
from irq_server.types import CPU_FIELDS, Snapshot

WRAP = 1 << 32
HOST = -1  # the column of host-wide values (memory, filesystems): not a CPU
STAT_PREFIX = "stat:"
STAT_KEYS = tuple(STAT_PREFIX + f for f in CPU_FIELDS)  # /proc/stat ticks per CPU
SOFTIRQ_PREFIX = "softirq:"  # row keys of /proc/softirqs kinds: "softirq:NET_RX"
MEM_PREFIX = "mem:"
MEM_FIELDS = ("total", "free", "available", "buffers", "cached", "swap_total", "swap_free")
FS_PREFIX = "fs:"  # "fs:<field>:<mount point>"
FS_FIELDS = ("size", "used", "available")
LEVEL_PREFIXES = (MEM_PREFIX, FS_PREFIX)  # rows stored as integrals (KiB x s) in HOST
THREAD_PREFIX = "thread:"  # "thread:<IRQ>": its handler thread's utime + stime, in HOST


def fs_key(field: str, mount_point: str) -> str:
    return f"{FS_PREFIX}{field}:{mount_point}"


def read_snapshot(fs: HostFS, ts: float, threads: IrqThreads | None = None) -> Snapshot:
    """Raw counters now: every numbered IRQ per CPU, /proc/stat ticks, softirqs; memory and
    filesystem levels in KiB in the HOST column (unwrap turns them into integrals), and the
    IRQ threads' ticks there too when `threads` finds them."""
    interrupts = read_interrupts(fs)
    numbered = [i for i, row in enumerate(interrupts.rows) if row.irq is not None]
    keys = [interrupts.rows[i].name for i in numbered]
    stat = _optional(read_stat, fs)
    softirqs = _optional(read_softirqs, fs)
    host_rows = _levels(fs)  # HOST column rows: levels, then the IRQ threads' ticks
    host_rows.update({f"{THREAD_PREFIX}{irq}": ticks
                      for irq, ticks in sorted((threads.ticks() if threads else {}).items())})
    every_cpu = set(interrupts.cpus) | ({HOST} if host_rows else set())
    if stat:
        every_cpu.update(t.cpu for t in stat.cpu_times)
    if softirqs:
        every_cpu.update(softirqs.cpus)
    cpus = tuple(sorted(every_cpu))
    extra = (list(STAT_KEYS) if stat else []) + (
        [SOFTIRQ_PREFIX + name for name in softirqs.counts] if softirqs else []) + list(host_rows)
    values = np.zeros((len(keys) + len(extra), len(cpus)), dtype=np.uint64)
    column = {cpu: j for j, cpu in enumerate(cpus)}
    values[:len(keys)][:, [column[c] for c in interrupts.cpus]] = interrupts.counts[numbered]
    row = len(keys)
    if stat:
        for t in stat.cpu_times:
            values[row:row + len(STAT_KEYS), column[t.cpu]] = t.ticks
        row += len(STAT_KEYS)
    if softirqs:
        cols = [column[c] for c in softirqs.cpus]
        for counts in softirqs.counts.values():
            values[row, cols[:len(counts)]] = counts
            row += 1
    for value in host_rows.values():
        values[row, column[HOST]] = value
        row += 1
    return Snapshot(ts=ts, boot_id=read_boot_id(fs) or "", cpus=cpus, keys=tuple(keys + extra),
                    values=values)


def _optional(reader, fs: HostFS):
    try:
        return reader(fs)
    except (FileNotFoundError, ValueError):
        return None


def _levels(fs: HostFS) -> dict[str, int]:
    """Memory and filesystem space now, in KiB, by row key."""
    levels = {}
    memory = _optional(read_meminfo, fs)
    if memory:
        levels.update({MEM_PREFIX + f: getattr(memory, f) // 1024 for f in MEM_FIELDS})
    for usage in read_filesystems(fs):
        levels.update({fs_key(f, usage.mount_point): getattr(usage, f) // 1024
                       for f in FS_FIELDS})
    return levels


def unwrap(previous: Snapshot | None, raw: Snapshot,
           previous_raw: Snapshot | None = None) -> Snapshot:
    """`raw` with 32-bit wraps since `previous` (same boot) added back, and its levels (HOST
    column) integrated: previous integral + level x seconds since `previous`.

    A cell whose raw value went down wrapped if it was in the upper half before; otherwise
    the counter restarted (an IRQ freed and allocated again, a handler thread replaced, an
    iowait that went back) and counts from zero. `previous_raw`, the raw read `previous` was
    made from, is what the new values are compared with (the sampler keeps it): without it,
    the raw value is taken to be the unwrapped one (32-bit counters: modulo 2^32), which no
    longer holds for a cell that restarted earlier in the boot.
    """
    levels = [i for i, k in enumerate(raw.keys) if k.startswith(LEVEL_PREFIXES)]
    if previous is None or previous.boot_id != raw.boot_id:
        values = raw.values.copy()
        values[levels] = 0
        return Snapshot(ts=raw.ts, boot_id=raw.boot_id, cpus=raw.cpus, keys=raw.keys,
                        values=values)
    before = remap(previous.values, previous.keys, previous.cpus, raw.keys, raw.cpus)
    wraps = np.array([not k.startswith((STAT_PREFIX, THREAD_PREFIX) + LEVEL_PREFIXES)
                      for k in raw.keys])[:, None]
    if previous_raw is not None and previous_raw.boot_id == raw.boot_id:
        before_raw = remap(previous_raw.values, previous_raw.keys, previous_raw.cpus, raw.keys,
                           raw.cpus)
    else:
        before_raw = np.where(wraps, before % WRAP, before)
    grew = raw.values >= before_raw
    wrapped = ~grew & wraps & (before_raw >= WRAP // 2)
    values = before + np.where(grew, raw.values - before_raw,
                               np.where(wrapped, raw.values + WRAP - before_raw, raw.values))
    seconds = max(raw.ts - previous.ts, 0.0)
    values[levels] = before[levels] + np.rint(raw.values[levels] * seconds).astype(np.uint64)
    return Snapshot(ts=raw.ts, boot_id=raw.boot_id, cpus=raw.cpus, keys=raw.keys, values=values)
