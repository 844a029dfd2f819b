"""IRQ handler threads: the `irq/<N>-<name>` kernel threads and the CPU time they used.

On a kernel booted with `threadirqs` (or a PREEMPT_RT kernel, which forces it) every IRQ's
handler runs in such a thread, and the softirq work the handler raises runs there too: the
thread's utime + stime (/proc/<pid>/stat, fields 14 and 15, USER_HZ ticks; readable without
privileges) is what the IRQ cost. Without forced threading only drivers that ask for a
threaded handler have one, holding only part of the work: `forced_threading` tells the two
kinds of kernel apart, and only the first gives IRQ costs.
"""
from __future__ import annotations

import re

from irq_server.procfs.hostfs import HostFS

_COMM = re.compile(r"irq/(\d+)-")
_MAX_IRQ = 1 << 20  # beyond any IRQ number a kernel hands out
_MAX_TICKS = 1 << 62  # beyond any thread's CPU time (and within a snapshot's uint64 cells)
PF_KTHREAD = 0x00200000  # in stat's flags field (9): the process is a kernel thread


def forced_threading(fs: HostFS) -> bool:
    """Whether every IRQ handler runs in a thread: `threadirqs` on the kernel's command line,
    or a PREEMPT_RT kernel (/sys/kernel/realtime is 1)."""
    try:
        cmdline = fs.read_small("proc/cmdline", 8192) or ""
        realtime = (fs.read_small("sys/kernel/realtime", 16) or "").strip()
    except OSError:
        return False
    return "threadirqs" in cmdline.split() or realtime == "1"


def thread_ticks(stat: str) -> int | None:
    """utime + stime of a kernel thread's /proc/<pid>/stat line; None when it is not one (any
    process may name itself "irq/24-eth0": only the kernel's own threads count). The name in
    parentheses may hold spaces and parentheses: fields are counted after the last ')'."""
    fields = stat.rpartition(")")[2].split()
    numbers = fields[6:7] + fields[11:13]  # flags, utime, stime
    if len(fields) < 13 or not all(f.isascii() and f.isdigit() for f in numbers):
        return None
    if not int(fields[6]) & PF_KTHREAD:
        return None
    ticks = int(fields[11]) + int(fields[12])
    return ticks if ticks < _MAX_TICKS else None


class IrqThreads:
    """The IRQ threads of one host and their CPU time. A process's comm is read once, when
    its pid is first seen (kernel threads keep their pid and name for as long as they run);
    each call lists /proc and reads the stat of the IRQ threads only."""

    def __init__(self, fs: HostFS):
        self.fs = fs
        self._irq_of: dict[str, int | None] = {}  # pid -> IRQ number, None: not an IRQ thread
        self._forced: bool | None = None

    @property
    def forced(self) -> bool:
        """forced_threading of the host, read once (it changes only with a reboot)."""
        if self._forced is None:
            self._forced = forced_threading(self.fs)
        return self._forced

    def ticks(self) -> dict[int, int]:
        """IRQ number -> utime + stime ticks of its threads (a shared IRQ has one per
        handler: summed); {} unless every handler is threaded (`forced`)."""
        if not self.forced:
            return {}
        try:
            pids = [n for n in self.fs.listdir("proc") if n.isascii() and n.isdigit()]
        except OSError:
            return {}
        self._irq_of = {pid: self._irq_of[pid] if pid in self._irq_of else self._find(pid)
                        for pid in pids}
        found: dict[int, int] = {}
        for pid, irq in self._irq_of.items():
            if irq is None:
                continue
            try:
                stat = self.fs.read_small(f"proc/{pid}/stat", 4096)
            except OSError:  # the thread ended (its IRQ was freed)
                continue
            ticks = thread_ticks(stat) if stat else None
            if ticks is not None:
                found[irq] = min(found.get(irq, 0) + ticks, _MAX_TICKS)
        return found

    def _find(self, pid: str) -> int | None:
        try:
            comm = self.fs.read_small(f"proc/{pid}/comm", 64)
        except OSError:
            return None
        match = _COMM.match(comm or "")
        irq = int(match.group(1)) if match and match.group(1).isascii() else None
        return irq if irq is not None and irq < _MAX_IRQ else None
