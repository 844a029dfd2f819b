"""Reading every counter of a host into a Snapshot, and unwrapping 32-bit counters.

The kernel's per-CPU IRQ and softirq counters are 32-bit and wrap; snapshots hold them
unwrapped (uint64, monotonic within a boot) so a window is a plain subtraction. Unwrapping
compares each cell with the previous snapshot of the same boot; the sampler takes one every
second or so, far less than the ~4 billion interrupts a wrap needs.
"""
from __future__ import annotations

import numpy as np

from irq_server.history.layout import remap
from irq_server.procfs import HostFS, read_boot_id, read_interrupts, read_softirqs, read_stat
from irq_server.types import Snapshot

WRAP = 1 << 32
STAT_KEYS = ("stat:irq", "stat:softirq")  # /proc/stat ticks: 64-bit, never wrap
SOFTIRQ_PREFIX = "softirq:"  # row keys of /proc/softirqs kinds: "softirq:NET_RX"


def read_snapshot(fs: HostFS, ts: float) -> Snapshot:
    """Raw counters now: every numbered IRQ per CPU, /proc/stat irq/softirq ticks, softirqs."""
    interrupts = read_interrupts(fs)
    numbered = [i for i, row in enumerate(interrupts.rows) if row.irq is not None]
    keys = [interrupts.rows[i].name for i in numbered]
    try:
        stat = read_stat(fs)
    except FileNotFoundError:
        stat = None
    try:
        softirqs = read_softirqs(fs)
    except (FileNotFoundError, ValueError):
        softirqs = None
    every_cpu = set(interrupts.cpus)
    if stat:
        every_cpu.update(t.cpu for t in stat.cpu_times)
    if softirqs:
        every_cpu.update(softirqs.cpus)
    cpus = tuple(sorted(every_cpu))
    extra = (list(STAT_KEYS) if stat else []) + (
        [SOFTIRQ_PREFIX + name for name in softirqs.counts] if softirqs else [])
    values = np.zeros((len(keys) + len(extra), len(cpus)), dtype=np.uint64)
    column = {cpu: j for j, cpu in enumerate(cpus)}
    values[:len(keys)][:, [column[c] for c in interrupts.cpus]] = interrupts.counts[numbered]
    row = len(keys)
    if stat:
        for t in stat.cpu_times:
            values[row, column[t.cpu]] = t.irq_ticks
            values[row + 1, column[t.cpu]] = t.softirq_ticks
        row += 2
    if softirqs:
        cols = [column[c] for c in softirqs.cpus]
        for counts in softirqs.counts.values():
            values[row, cols[:len(counts)]] = counts
            row += 1
    return Snapshot(ts=ts, boot_id=read_boot_id(fs) or "", cpus=cpus, keys=tuple(keys + extra),
                    values=values)


def unwrap(previous: Snapshot | None, raw: Snapshot) -> Snapshot:
    """`raw` with 32-bit wraps since `previous` (same boot) added back.

    A cell whose raw value went down wrapped if it was in the upper half before; otherwise
    the counter restarted (an IRQ freed and allocated again) and counts from zero.
    """
    if previous is None or previous.boot_id != raw.boot_id:
        return raw
    before = remap(previous.values, previous.keys, previous.cpus, raw.keys, raw.cpus)
    wraps = np.array([not k.startswith("stat:") for k in raw.keys])[:, None]
    before_raw = np.where(wraps, before % WRAP, before)
    grew = raw.values >= before_raw
    wrapped = ~grew & wraps & (before_raw >= WRAP // 2)
    delta = np.where(grew, raw.values - before_raw,
                     np.where(wrapped, raw.values + WRAP - before_raw, raw.values))
    return Snapshot(ts=raw.ts, boot_id=raw.boot_id, cpus=raw.cpus, keys=raw.keys,
                    values=before + delta)
