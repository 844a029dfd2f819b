"""Typed results of the procfs layer and the host service.

Every result is a frozen dataclass; counters are ints (or a numpy integer matrix for the
per-IRQ per-CPU table, which is the one hot structure), never strings.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class InterruptRow:
    """One row of /proc/interrupts, without its counts (they live in `Interrupts.counts`)."""

    name: str  # label before the colon: "24", "NMI", "IPI0"
    irq: int | None  # IRQ number for numbered rows, None for named rows (NMI, LOC, ERR...)
    chip: str | None = None  # irq chip name as printed ("IR-PCI-MSI", "GICv3", "-")
    hwirq: int | None = None  # hardware IRQ number inside the chip's domain
    trigger: str | None = None  # flow or trigger as printed, lower-cased ("edge", "fasteoi", "level")
    actions: tuple[str, ...] = ()  # handler names ("eth0-TxRx-0", "ehci_hcd:usb1")
    description: str | None = None  # named rows' text ("Local timer interrupts")
    per_cpu: bool = True  # False for rows carrying one global count (ERR, MIS) or none (FIQ)
    global_count: int | None = None  # the single count of a row that is not per CPU


@dataclass(frozen=True, eq=False)
class Interrupts:
    """Parsed /proc/interrupts: CPU ids from the header, rows in file order, counts matrix."""

    cpus: tuple[int, ...]  # CPU ids named by the header (online CPUs; gaps where offline)
    rows: tuple[InterruptRow, ...]  # every row, numbered and named, in file order
    counts: np.ndarray  # uint64 matrix [row, cpu column]; zeros for rows that are not per CPU

    def row_counts(self, index: int) -> list[int]:
        """Per-CPU counts of row `index` as Python ints, aligned with `cpus`."""
        return self.counts[index].tolist()

    def row_total(self, index: int) -> int:
        """Total count of row `index` (its global count for ERR/MIS-like rows)."""
        row = self.rows[index]
        if not row.per_cpu:
            return row.global_count or 0
        return int(self.counts[index].sum())

    def irq_index(self) -> dict[int, int]:
        """Map IRQ number -> row index for numbered rows."""
        return {row.irq: i for i, row in enumerate(self.rows) if row.irq is not None}


@dataclass(frozen=True)
class IrqSettings:
    """What /proc/irq/N and /sys/kernel/irq/N say about one IRQ; absent files are None."""

    irq: int  # IRQ number
    smp_affinity: str | None = None  # mask as the kernel prints it ("00000000,00000003")
    smp_affinity_list: tuple[int, ...] | None = None  # CPUs of smp_affinity
    effective_affinity_list: tuple[int, ...] | None = None  # CPUs the IRQ is really routed to
    affinity_hint: tuple[int, ...] | None = None  # driver's hint (empty when the driver gives none)
    node: int | None = None  # NUMA node of the device (-1 = none)
    chip_name: str | None = None  # /sys/kernel/irq/N/chip_name
    hwirq: int | None = None  # /sys/kernel/irq/N/hwirq
    trigger: str | None = None  # /sys/kernel/irq/N/type ("edge", "level")
    actions: tuple[str, ...] | None = None  # /sys/kernel/irq/N/actions
    per_cpu_count: tuple[int, ...] | None = None  # /sys/kernel/irq/N/per_cpu_count
    managed: bool | None = None  # kernel-managed affinity (debugfs flag); None when unknown


@dataclass(frozen=True)
class CpuInfo:
    """One CPU from /sys/devices/system/cpu and the NUMA node lists."""

    cpu: int  # logical CPU id
    online: bool  # currently online
    node: int | None = None  # NUMA node, None when the tree has no node information
    package: int | None = None  # physical_package_id
    core: int | None = None  # core_id inside the package
    cache_cpus: tuple[int, ...] = ()  # CPUs sharing this CPU's last-level cache
    isolated: bool = False  # listed in /sys/devices/system/cpu/isolated
    nohz_full: bool = False  # listed in /sys/devices/system/cpu/nohz_full
    banned: tuple[str, ...] = ()  # why no IRQ belongs here (procfs.host_policy.BAN_REASONS)


@dataclass(frozen=True)
class Topology:
    """CPU topology of the host."""

    cpus: tuple[CpuInfo, ...]  # every present (or possible) CPU, sorted by id

    @property
    def online(self) -> frozenset[int]:
        """Ids of online CPUs."""
        return frozenset(c.cpu for c in self.cpus if c.online)

    @property
    def banned(self) -> frozenset[int]:
        """Ids of CPUs that some policy keeps IRQs off."""
        return frozenset(c.cpu for c in self.cpus if c.banned)

    @property
    def known(self) -> frozenset[int]:
        """Ids of every CPU the host has, online or not."""
        return frozenset(c.cpu for c in self.cpus)

    @property
    def nr_cpu_ids(self) -> int:
        """Width of the kernel's CPU masks: highest CPU id + 1."""
        return max((c.cpu for c in self.cpus), default=0) + 1


USER_HZ = 100  # /proc/stat and /proc/<pid>/stat ticks per second
CPU_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest",
              "guest_nice")  # the columns of a /proc/stat cpu line, in order (proc(5))


@dataclass(frozen=True)
class CpuTime:
    """One /proc/stat cpu line, in USER_HZ ticks."""

    cpu: int | None  # CPU id; None for the all-CPU "cpu" line
    ticks: tuple[int, ...]  # one per CPU_FIELDS; fields an old kernel lacks are 0

    @property
    def irq_ticks(self) -> int:  # time servicing hard interrupts
        return self.ticks[5]

    @property
    def softirq_ticks(self) -> int:  # time servicing softirqs
        return self.ticks[6]


@dataclass(frozen=True)
class Stat:
    """What the server uses of /proc/stat."""

    cpu_times: tuple[CpuTime, ...]  # one per cpuN line
    intr_total: int | None  # first number of the "intr" line: interrupts since boot
    softirq_total: int | None  # first number of the "softirq" line
    boot_time: int | None = None  # "btime": boot instant, epoch seconds
    total: CpuTime | None = None  # the all-CPU "cpu" line


@dataclass(frozen=True)
class Memory:
    """/proc/meminfo as `free` reports it, in bytes."""

    total: int  # MemTotal
    free: int  # MemFree
    available: int  # MemAvailable (estimated on kernels before 3.14: see available_estimated)
    buffers: int
    cached: int  # Cached
    swap_total: int
    swap_free: int
    available_estimated: bool = False  # the kernel did not report MemAvailable

    @property
    def used(self) -> int:  # as free(1) computes it
        return self.total - self.available

    @property
    def swap_used(self) -> int:
        return self.swap_total - self.swap_free


@dataclass(frozen=True)
class Mount:
    """One line of /proc/mounts."""

    device: str
    mount_point: str
    fstype: str
    options: str = ""


@dataclass(frozen=True)
class FsUsage:
    """A mounted filesystem's space, in bytes, as df(1) reports it."""

    mount_point: str
    device: str
    fstype: str
    size: int  # f_blocks x f_frsize
    used: int  # (f_blocks - f_bfree) x f_frsize
    available: int  # f_bavail x f_frsize: what unprivileged users can still write


@dataclass(frozen=True)
class Softirqs:
    """/proc/softirqs: per-CPU counts of each softirq kind."""

    cpus: tuple[int, ...]  # CPU ids from the header (possible CPUs)
    counts: dict[str, tuple[int, ...]] = field(default_factory=dict)  # kind -> per-CPU counts


@dataclass(frozen=True)
class AffinityState:
    """Affinity of one IRQ as read back from the host."""

    irq: int  # IRQ number
    mask: str  # smp_affinity as the kernel prints it
    cpus: tuple[int, ...]  # CPUs in the mask
    effective: tuple[int, ...] | None  # effective_affinity_list, None when the kernel lacks it
    managed: bool | None  # kernel-managed affinity, None when unknown


@dataclass(frozen=True, eq=False)
class Snapshot:
    """Every counter of a host at one instant, keyed by row and CPU id."""

    ts: float  # epoch seconds (UTC) when the counters were read
    boot_id: str  # kernel boot id ("" when the tree has none); counters restart with it
    cpus: tuple[int, ...]  # CPU id of each column
    keys: tuple[str, ...]  # row keys: "24" (IRQ 24), "stat:irq", "softirq:NET_RX"
    values: np.ndarray  # uint64 [key, cpu] cumulative since boot, unwrapped past 32-bit wraps


@dataclass(frozen=True, eq=False)
class Window:
    """Counts between two instants, in the layout (keys x cpus) of the later one."""

    start: float  # epoch seconds actually covered from
    end: float  # epoch seconds actually covered to
    cpus: tuple[int, ...]  # CPU id of each column
    keys: tuple[str, ...]  # row keys, as in Snapshot
    counts: np.ndarray  # uint64 [key, cpu] events in (start, end]
    partial: bool = False  # True when history could not cover the requested start
    levels: dict[str, int] = field(default_factory=dict)  # memory/filesystem rows: KiB x s
    # integrated over (start, end] (empty when the window has no stored start)
    thread_ticks: dict[int, int] = field(default_factory=dict)  # IRQ -> its handler thread's
    # utime + stime in (start, end], USER_HZ ticks (hosts whose handlers all run in threads)
