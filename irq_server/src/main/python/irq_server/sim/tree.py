"""Simulated host: a realistic /proc + /sys tree for N CPUs, M NUMA nodes and K IRQs.

The tree lives on disk so that every process (API workers, the simulator loop, tests) sees
one host. `simhost.json` at the root holds the static description (devices, rates, managed
flags); counters live in the tree's /proc/interrupts. `advance(seconds)` delivers each IRQ's
interrupts to the first online CPU of its current smp_affinity (x86 effective-affinity
behaviour). Its kernel's rules for affinity writes live in `kernel.py`.

What interrupts cost: each IRQ has a CPU time per interrupt by device class (seeded, apart
from the rates' draws so rates stay as they were): NIC RX/TX queues 15-60 us per interrupt
(one cost per NIC, +-5 % per queue; NAPI polls run as NET_RX softirq, 80 % of it), mlx5
completion vectors 10-40 us, NVMe 2-4 us (half in the hardirq handler), legacy lines about
1 us (timer, i8042, rtc, acpi), 3-5 us (USB, AHCI). A device whose busiest queue would take
more than MAX_QUEUE_SHARE of a CPU costs less per interrupt, so that it takes that much (its
rates, up to 20,000/s, are those of a NIC that coalesces interrupts; at 60 us each one queue
would need more than a CPU). /proc/stat's irq and softirq fields
advance by what the IRQs on each CPU cost plus a per-CPU base (timers, RCU: 1-4 ms/s of
softirq); a CPU spends at most 90 % of its time on them (past that the kernel would defer
work to ksoftirqd: the fields saturate, and scale down together). The spec's `threaded`
flag ("16:1:64:threaded") simulates a kernel booted with `threadirqs`: /proc/cmdline says
so, every IRQ's handler runs in a kernel thread `irq/<N>-<action>` (/proc/<pid>/comm and
stat with its utime+stime), and /proc/stat's irq field keeps only a 0.5 us primary handler.
A thread's time is its interrupts' whole cost even on a saturated CPU (where /proc/stat
saturates: primary handlers first, then softirqs, then the threads' share of system time): the
rates stay fixed here, where a real host would take fewer interrupts, and cost per interrupt
stays true either way.
"""
from __future__ import annotations

import json
import math
import os
import random
import uuid
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from irq_server.errors import InvalidInput
from irq_server.procfs import format_cpu_list, format_mask, parse_cpu_list, parse_mask, parse_stat
from irq_server.procfs.hostfs import STATVFS_FILE
from irq_server.procfs.interrupts import parse_interrupts
from irq_server.sim.kernel import MARKER, SimKernelFS
from irq_server.types import CPU_FIELDS

COMPLETE = ".complete"  # written once the whole tree is there
_WRAP = 1 << 32  # the kernel's per-CPU counters are unsigned int


@dataclass(frozen=True)
class SimSpec:
    """Size of a simulated host."""

    cpus: int  # logical CPUs
    nodes: int  # NUMA nodes (CPUs split into equal contiguous blocks)
    irqs: int  # numbered IRQs
    seed: int = 0  # everything random derives from it
    threaded: bool = False  # a kernel booted with threadirqs: one kernel thread per IRQ

    @classmethod
    def parse(cls, text: str, seed: int = 0) -> "SimSpec":
        """Parse "CPUS:NODES:IRQS[:threaded]" (as given to --simulate)."""
        parts = text.split(":")
        threaded = len(parts) == 4 and parts[3] == "threaded"
        try:
            cpus, nodes, irqs = (int(p) for p in parts[:3 if threaded else None])
        except ValueError:
            raise InvalidInput("--simulate takes CPUS:NODES:IRQS[:threaded], e.g. 64:2:500, "
                               f"not {text!r}", field="simulate") from None
        if not (1 <= cpus <= 4096 and 1 <= nodes <= cpus and 1 <= irqs <= 100000):
            raise InvalidInput("--simulate needs 1 <= CPUS <= 4096, 1 <= NODES <= CPUS and "
                               "1 <= IRQS <= 100000", field="simulate")
        return cls(cpus, nodes, irqs, seed, threaded)


@dataclass(frozen=True)
class SimIrq:
    """One simulated IRQ."""

    irq: int  # IRQ number
    chip: str  # chip name as /proc/interrupts prints it
    hwirq: int  # hwirq inside the chip
    trigger: str  # flow ("edge", "fasteoi")
    action: str  # handler name ("eth0-TxRx-3")
    node: int  # device's NUMA node, -1 for none
    rate: float  # interrupts per second
    managed: bool  # kernel-managed affinity: refuses writes
    hint: int | None  # CPU of affinity_hint, None when the driver gives none
    initial_cpu: int | None  # single-CPU initial mask (managed queues), None = all CPUs
    cost_us: float = 1.0  # CPU time per interrupt, hardirq + softirq (microseconds)
    hard_share: float = 1.0  # part of it in the hardirq handler (the rest: softirq)


THREAD_PID = 20000  # IRQ N's handler thread is pid THREAD_PID + N (threaded hosts)
PRIMARY_US = 0.5  # a threaded IRQ's primary (hardirq) handler: wakes the thread
MAX_IRQ_SHARE = 0.9  # of a CPU's time in irq + softirq at most (the rest goes to ksoftirqd)
MAX_QUEUE_SHARE = 0.25  # of a CPU: what a device's busiest queue takes at most


def create(root: str | os.PathLike, spec: SimSpec) -> "SimHost":
    """Build a fresh simulated tree below `root` and return its SimHost."""
    root = Path(root)
    irqs = _design_irqs(spec)
    (root / "proc").mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text(json.dumps({"spec": asdict(spec),
                                           "irqs": [asdict(i) for i in irqs]}))
    host = SimHost(root)
    host.build()
    (root / COMPLETE).touch()  # last: a tree cut short by a crash is built again
    return host


def is_complete(root: str | os.PathLike, spec: SimSpec) -> bool:
    """Whether `root` holds a whole simulated tree of `spec` (one to reuse)."""
    root = Path(root)
    return (root / COMPLETE).exists() and SimHost(root).spec == spec


class SimHost:
    """A simulated host tree below `root` (made by `create`)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        meta = json.loads((self.root / MARKER).read_text())
        self.spec = SimSpec(**meta["spec"])
        self.irqs = [SimIrq(**i) for i in meta["irqs"]]
        self.fs = SimKernelFS(self.root)
        self._rates = np.array([i.rate for i in self.irqs])
        cost = np.array([i.cost_us for i in self.irqs]) * 1e-6  # seconds per interrupt
        share = np.array([i.hard_share for i in self.irqs])
        self._hard_cost = (np.full(len(self.irqs), PRIMARY_US * 1e-6) if self.spec.threaded
                           else cost * share)
        self._soft_cost = np.zeros(len(self.irqs)) if self.spec.threaded else cost * (1 - share)
        self._thread_cost = cost if self.spec.threaded else np.zeros(len(self.irqs))
        rng = random.Random(f"{self.spec.seed}/base")
        self._base = np.array([rng.uniform(0.001, 0.004) for _ in range(self.spec.cpus)])
        self._thread_ticks = np.zeros(len(self.irqs))  # utime + stime of each IRQ's thread
        self._carry = np.zeros(len(self.irqs))
        self._counts: np.ndarray | None = None  # [irq, cpu] cumulative, all CPUs
        self._extra_ticks = 0  # local timer ticks delivered so far (1000 Hz on every CPU)
        self._cpu_ticks: np.ndarray | None = None  # [cpu, CPU_FIELDS] /proc/stat ticks (float)
        self._boots = 0  # reboots done by this object (seeds the next boot_id)

    # ---- building -------------------------------------------------------------------------
    def build(self) -> None:
        spec = self.spec
        self._write_topology(frozenset(range(spec.cpus)))
        w = self.fs.write_atomic
        w("proc/sys/kernel/random/boot_id", _boot_id(spec.seed))
        w("proc/sys/kernel/hostname", f"sim-{spec.cpus}x{spec.nodes}x{spec.irqs}\n")
        w("proc/sys/kernel/osrelease", "6.1.0-sim\n")
        w("proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz-6.1.0-sim root=/dev/vda1 ro quiet"
          + (" threadirqs" if spec.threaded else "") + "\n")
        w("proc/irq/default_smp_affinity", format_mask(range(spec.cpus), spec.cpus) + "\n")
        for irq in self.irqs:
            self._write_irq(irq)
            if spec.threaded:
                w(f"proc/{THREAD_PID + irq.irq}/comm", thread_comm(irq) + "\n")
        self._counts = np.zeros((len(self.irqs), spec.cpus), dtype=np.int64)
        self._cpu_ticks = np.zeros((spec.cpus, len(CPU_FIELDS)))
        self._write_counters()

    def _write_irq(self, irq: SimIrq) -> None:
        spec, w = self.spec, self.fs.write_atomic
        base = f"proc/irq/{irq.irq}"
        cpus = {irq.initial_cpu} if irq.initial_cpu is not None else set(range(spec.cpus))
        self.fs.write_affinity_files(irq.irq, frozenset(cpus))
        w(f"{base}/affinity_hint",
          format_mask({irq.hint} if irq.hint is not None else (), spec.cpus) + "\n")
        w(f"{base}/node", f"{irq.node}\n")
        w(f"{base}/spurious", "count 0\nunhandled 0\nlast_unhandled 0 ms\n")
        sysdir = f"sys/kernel/irq/{irq.irq}"
        for name, value in (("chip_name", irq.chip.split("-0000")[0]), ("hwirq", irq.hwirq),
                            ("type", "edge" if irq.trigger == "edge" else "level"),
                            ("actions", irq.action), ("name", irq.trigger), ("wakeup", "disabled")):
            w(f"{sysdir}/{name}", f"{value}\n")
        flags = "IRQD_AFFINITY_SET\n    IRQD_AFFINITY_MANAGED\n" if irq.managed else "IRQD_AFFINITY_SET\n"
        w(f"sys/kernel/debug/irq/irqs/{irq.irq}",
          f"handler:  handle_{irq.trigger}_irq\ndevice:   (null)\nstatus:   0x00000000\n"
          f"istate:   0x00000000\nddepth:   0\nwdepth:   0\ndstate:   0x00000000\n    {flags}")

    def _write_topology(self, online: frozenset[int]) -> None:
        spec, w = self.spec, self.fs.write_atomic
        cpu_dir = "sys/devices/system/cpu"
        every = format_cpu_list(range(spec.cpus))
        for name, value in (("possible", every), ("present", every), ("online",
                            format_cpu_list(online)), ("offline", format_cpu_list(
                                set(range(spec.cpus)) - online)), ("isolated", ""),
                            ("kernel_max", "8191")):
            w(f"{cpu_dir}/{name}", value + "\n")
        for node in range(spec.nodes):
            members = self.node_cpus(node)
            w(f"sys/devices/system/node/node{node}/cpulist", format_cpu_list(members) + "\n")
            for cpu in members:
                top = f"{cpu_dir}/cpu{cpu}"
                w(f"{top}/online", "1\n" if cpu in online else "0\n")
                w(f"{top}/topology/physical_package_id", f"{node}\n")
                w(f"{top}/topology/core_id", f"{cpu - members[0]}\n")
                w(f"{top}/topology/thread_siblings_list", f"{cpu}\n")
                w(f"{top}/cache/index3/level", "3\n")
                w(f"{top}/cache/index3/type", "Unified\n")
                w(f"{top}/cache/index3/shared_cpu_list", format_cpu_list(members) + "\n")
        nodes = format_cpu_list(range(spec.nodes))
        w("sys/devices/system/node/online", nodes + "\n")
        w("sys/devices/system/node/possible", nodes + "\n")

    def node_cpus(self, node: int) -> list[int]:
        """CPUs of NUMA node `node` (contiguous blocks)."""
        return _node_block(self.spec, node)

    # ---- running --------------------------------------------------------------------------
    def online(self) -> frozenset[int]:
        return parse_cpu_list(self.fs.read_text("sys/devices/system/cpu/online"))

    def set_online(self, cpu: int, online: bool) -> None:
        """Hot(un)plug a CPU: /proc/interrupts stops (or starts) showing its column."""
        self._load_counts()
        cpus = set(self.online())
        (cpus.add if online else cpus.discard)(cpu)
        self._write_topology(frozenset(cpus))
        self._write_counters()

    def start_irqbalance(self, pid: int = 4242, args: tuple[str, ...] = ("--foreground",),
                         environ: dict[str, str] | None = None) -> None:
        """Fake a running irqbalance daemon: /proc/<pid>/{comm,cmdline,environ}."""
        w = self.fs.write_atomic
        w(f"proc/{pid}/environ", "".join(f"{k}={v}\0" for k, v in (environ or {}).items()))
        w(f"proc/{pid}/cmdline", "\0".join(("/usr/sbin/irqbalance", *args)) + "\0")
        w(f"proc/{pid}/comm", "irqbalance\n")

    def stop_irqbalance(self, pid: int = 4242) -> None:
        for name in ("comm", "cmdline", "environ"):
            self.fs.path(f"proc/{pid}/{name}").unlink(missing_ok=True)

    def reboot(self) -> None:
        """Restart the host: a new boot_id and every counter back to zero."""
        self._load_counts()
        self._boots += 1
        self.fs.write_atomic("proc/sys/kernel/random/boot_id",
                             _boot_id(f"{self.spec.seed}/{self._boots}"))
        self._counts[:] = 0
        self._cpu_ticks[:] = 0
        self._thread_ticks[:] = 0
        self._extra_ticks = 0
        self._write_counters()

    def advance(self, seconds: float) -> None:
        """Let `seconds` of simulated time pass: every IRQ fires at its rate on its target CPU."""
        self._load_counts()
        online = self.online()
        self._carry += self._rates * seconds
        fired = np.floor(self._carry)
        self._carry -= fired
        targets = np.array([self.target_cpu(irq.irq, online) for irq in self.irqs])
        self._counts[np.arange(len(self.irqs)), targets] += fired.astype(np.int64)
        self._counts %= _WRAP
        self._extra_ticks += int(seconds * 1000)
        self._add_cpu_time(targets, fired, seconds, online)
        self._write_counters()

    def _add_cpu_time(self, targets: np.ndarray, fired: np.ndarray, seconds: float,
                      online: frozenset[int]) -> None:
        """CPU time that follows the interrupt load: busier CPUs spend more in user and
        system (saturating well below 100%), every CPU a little in iowait; irq and softirq
        are what the IRQs on the CPU cost (module docstring), and each IRQ's thread on a
        threaded host gets its handler's time."""
        n = self.spec.cpus
        per_cpu = np.bincount(targets, weights=fired, minlength=n)
        load = 1.0 - np.exp(-per_cpu / max(seconds, 1e-9) / 50000.0)  # 0 idle .. 1 saturated
        span = max(seconds, 1e-9)
        hard = np.bincount(targets, weights=fired * self._hard_cost, minlength=n) / span
        soft = np.bincount(targets, weights=fired * self._soft_cost, minlength=n) / span
        threads = np.bincount(targets, weights=fired * self._thread_cost, minlength=n) / span
        soft += self._base
        if self.spec.threaded:  # primary handlers first (they run at once), then the rest
            hard = np.minimum(hard, MAX_IRQ_SHARE)
            soft = np.minimum(soft, MAX_IRQ_SHARE - hard)
            threads = np.minimum(threads, MAX_IRQ_SHARE - hard - soft)
        else:  # saturated: all slower alike
            room = np.minimum(1.0, MAX_IRQ_SHARE / np.maximum(hard + soft + threads, 1e-12))
            hard, soft, threads = hard * room, soft * room, threads * room
        none = np.zeros_like(load)
        busy = 1.0 - hard - soft - threads  # what is left for the rest
        shares = np.stack([(0.05 + 0.55 * load) * busy, none + 0.002 * busy,
                           (0.02 + 0.15 * load) * busy + threads, none, none + 0.01 * busy,
                           hard, soft, none, none, none], axis=1)
        shares[:, 3] = np.maximum(1.0 - shares.sum(axis=1), 0.0)  # CPU_FIELDS order; idle: the rest
        mask = np.zeros(n, dtype=bool)
        mask[list(online)] = True
        self._cpu_ticks[mask] += shares[mask] * seconds * 100  # USER_HZ
        if self.spec.threaded:  # whole: a real host would take fewer interrupts instead
            self._thread_ticks += fired * self._thread_cost * 100

    def target_cpu(self, irq: int, online: frozenset[int]) -> int:
        """CPU that receives `irq`'s interrupts: first online CPU of its mask."""
        mask = parse_mask(self.fs.read_text(f"proc/irq/{irq}/smp_affinity"))
        return min(mask & online or online)

    def _load_counts(self) -> None:
        """Counters from the tree (another process may have advanced them)."""
        if self._counts is not None:
            return
        self._cpu_ticks = np.zeros((self.spec.cpus, len(CPU_FIELDS)))
        for t in parse_stat(self.fs.read_optional("proc/stat") or "").cpu_times:
            if t.cpu < self.spec.cpus:
                self._cpu_ticks[t.cpu] = t.ticks
        table = parse_interrupts(self.fs.read_bytes("proc/interrupts"))
        self._counts = np.zeros((len(self.irqs), self.spec.cpus), dtype=np.int64)
        index = {irq.irq: i for i, irq in enumerate(self.irqs)}
        for row_index, row in enumerate(table.rows):
            if row.irq in index:
                self._counts[index[row.irq], list(table.cpus)] = table.counts[row_index]
            elif row.name == "LOC":
                self._extra_ticks = int(table.counts[row_index].max())
        if self.spec.threaded:
            for i, irq in enumerate(self.irqs):
                stat = self.fs.read_optional(f"proc/{THREAD_PID + irq.irq}/stat")
                fields = stat.rsplit(")", 1)[-1].split() if stat else []
                if len(fields) > 12:
                    self._thread_ticks[i] = int(fields[11]) + int(fields[12])

    def _write_counters(self) -> None:
        online = sorted(self.online())
        prec = len(str(max(i.irq for i in self.irqs)))
        head = " " * (prec + 8) + "".join(f"CPU{c:<8d}" for c in online) + "\n"
        columns = self._counts[:, online]
        lines = [head]
        for i, irq in enumerate(self.irqs):
            counts = "".join(f"{v:10d} " for v in columns[i].tolist())
            lines.append(f"{irq.irq:>{prec}}: {counts} {irq.chip:>8} {irq.hwirq:>{prec}}-"
                         f"{irq.trigger:<8}  {irq.action}\n")
        ticks = self._extra_ticks % _WRAP
        for name, value, text in (("NMI", 0, "Non-maskable interrupts"),
                                  ("LOC", ticks, "Local timer interrupts")):
            counts = "".join(f"{value:10d} " for _ in online)
            lines.append(f"{name:>{prec}}: {counts}  {text}\n")
        lines.append(f"{'ERR':>{prec}}: {0:10d}\n{'MIS':>{prec}}: {0:10d}\n")
        self.fs.write_atomic("proc/interrupts", "".join(lines))
        self._write_stat(online)

    def _write_stat(self, online: list[int]) -> None:
        per_cpu = self._counts.sum(axis=0)
        ticks = self._cpu_ticks.astype(np.int64)
        lines = ["cpu  " + " ".join(map(str, ticks[online].sum(axis=0).tolist())) + "\n"]
        lines += [f"cpu{c} " + " ".join(map(str, ticks[c].tolist())) + "\n" for c in online]
        lines.append(f"intr {int(per_cpu.sum())}\nsoftirq {self._extra_ticks * len(online)}\n")
        self.fs.write_atomic("proc/stat", "".join(lines))
        if self.spec.threaded:
            self._write_threads()
        self._write_memory_and_disks(self._extra_ticks / 1000)
        header = "                    " + "".join(f"CPU{c:<7d} " for c in range(self.spec.cpus))
        timer = "".join(f"{self._extra_ticks:10d} " for _ in range(self.spec.cpus))
        zero = "".join(f"{0:10d} " for _ in range(self.spec.cpus))
        self.fs.write_atomic("proc/softirqs", header.rstrip() + "\n" + "".join(
            f"{name:>12}: {timer if name == 'TIMER' else zero}\n" for name in
            ("HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED",
             "HRTIMER", "RCU")))

    def _write_threads(self) -> None:
        """/proc/<pid>/stat of every IRQ thread: all its time as stime (a kernel thread)."""
        for irq, ticks in zip(self.irqs, self._thread_ticks.astype(np.int64).tolist()):
            pid = THREAD_PID + irq.irq
            self.fs.write_atomic(f"proc/{pid}/stat", f"{pid} ({thread_comm(irq)}) S 2 0 0 0 -1 "
                                 f"2129984 0 0 0 0 0 {ticks} 0 0 -51 0 1 0 36 0 0 "
                                 "18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 0 "
                                 "50 1 0 0 0 0 0 0 0 0 0 0 0\n")

    def _write_memory_and_disks(self, uptime: float) -> None:
        """meminfo that drifts (an hourly cycle), and two filesystems that fill slowly."""
        gib = 1 << 30
        total_kib = 8 * gib * max(self.spec.nodes, 1) // 1024
        cycle = math.sin(2 * math.pi * uptime / 3600)
        available = int(total_kib * (0.55 + 0.1 * cycle))
        cached = int(total_kib * 0.25)
        fields = {"MemTotal": total_kib, "MemFree": available - cached // 2,
                  "MemAvailable": available, "Buffers": total_kib // 50, "Cached": cached,
                  "SwapCached": 0, "Active(file)": cached // 2, "Inactive(file)": cached // 2,
                  "SReclaimable": total_kib // 100, "SwapTotal": 2 * gib // 1024,
                  "SwapFree": 2 * gib // 1024 - int(4096 * (1 + cycle))}
        self.fs.write_atomic("proc/meminfo", "".join(f"{k + ':':<16}{v:>10} kB\n"
                                                     for k, v in fields.items()))
        self.fs.write_atomic("proc/mounts", "".join(f"{line}\n" for line in (
            "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0",
            "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0",
            "/dev/vda1 / ext4 rw,relatime 0 0", "tmpfs /run tmpfs rw,nosuid,nodev 0 0",
            "/dev/vdb /data xfs rw,relatime 0 0",
            "overlay /var/lib/containers/overlay overlay rw,relatime 0 0")))
        disks = {}
        for mount, size, start, per_second in (("/", 100 * gib, 0.40, 2 << 10),
                                               ("/data", 1024 * gib, 0.30, 1 << 20)):
            used = min(int(size * start + per_second * uptime), size)
            disks[mount] = [size, used, int((size - used) * 0.95)]  # 5% reserved for root
        self.fs.write_atomic(STATVFS_FILE, json.dumps(disks))


# ---- the simulated machine's devices ---------------------------------------------------------
# (irq, hwirq, action, rate per second) of the IO-APIC lines of a typical x86 server
_LEGACY = ((0, 2, "timer", 0.0), (1, 1, "i8042", 3.0), (8, 8, "rtc0", 1.0), (9, 9, "acpi", 0.5),
           (12, 12, "i8042", 2.0), (16, 16, "ehci_hcd:usb1", 20.0),
           (19, 19, "ahci[0000:00:1f.2]", 150.0))


def _design_irqs(spec: SimSpec) -> list[SimIrq]:
    """Deterministic device set: legacy IO-APIC lines, then NIC / NVMe / mlx5 queue sets."""
    rng = random.Random(spec.seed)
    costs = random.Random(f"{spec.seed}/cost")  # apart: the rates stay what they were
    irqs: list[SimIrq] = []
    nxt = 24
    for irq, hwirq, action, rate in _LEGACY[:spec.irqs]:
        irqs.append(SimIrq(irq=irq, chip="IR-IO-APIC", hwirq=hwirq,
                           trigger="edge" if hwirq < 16 else "fasteoi", action=action, node=-1,
                           rate=rate, managed=False, hint=None, initial_cpu=None,
                           cost_us=round(costs.uniform(3, 5) if hwirq >= 16 else
                                         costs.uniform(0.8, 1.2), 3)))
    device = 0
    while len(irqs) < spec.irqs:
        kind = ("nic", "nvme", "mlx5")[device % 3]
        node = device % spec.nodes
        bus = 0x10 * (device + 1)
        chip = f"IR-PCI-MSIX-0000:{bus:02x}:00.0"
        queues = min(spec.cpus + (1 if kind == "nvme" else 0), spec.irqs - len(irqs))
        node_cpus = _node_block(spec, node)
        device_cost, hard_share = {"nic": (costs.uniform(15, 60), 0.2),
                                   "nvme": (costs.uniform(2, 4), 0.5),
                                   "mlx5": (costs.uniform(10, 40), 0.2)}[kind]
        for q in range(queues):
            if kind == "nic":
                action, rate, managed = f"eth{device // 3}-TxRx-{q}", rng.uniform(500, 20000), False
            elif kind == "nvme":
                action, managed = f"nvme{device // 3}q{q}", q > 0
                rate = rng.uniform(200, 5000) if q else 5.0
            else:
                action = f"mlx5_comp{q}@pci:0000:{bus:02x}:00.0"
                rate, managed = rng.uniform(100, 8000), False
            hint = node_cpus[q % len(node_cpus)] if kind != "nvme" else None
            initial = (q - 1) % spec.cpus if managed else None
            irqs.append(SimIrq(irq=nxt, chip=chip, hwirq=q, trigger="edge", action=action,
                               node=node, rate=round(rate, 1), managed=managed, hint=hint,
                               initial_cpu=initial, hard_share=hard_share,
                               cost_us=costs.uniform(0.95, 1.05)))  # x the device's, below
            nxt += 1
        mine = irqs[-queues:] if queues else []
        busiest = max((i.rate * i.cost_us for i in mine), default=0.0)  # us/s per device us
        device_cost = min(device_cost, 1e6 * MAX_QUEUE_SHARE / busiest) if busiest else 0.0
        irqs[len(irqs) - len(mine):] = [replace(i, cost_us=round(i.cost_us * device_cost, 3))
                                        for i in mine]
        device += 1
    return irqs


def thread_comm(irq: SimIrq) -> str:
    """The name of `irq`'s handler thread, cut as the kernel cuts it (TASK_COMM_LEN 16)."""
    return f"irq/{irq.irq}-{irq.action}"[:15]


def _boot_id(seed) -> str:
    """A boot_id file's text, derived from `seed` (deterministic, like everything here)."""
    return str(uuid.UUID(int=random.Random(seed).getrandbits(128), version=4)) + "\n"


def _node_block(spec: SimSpec, node: int) -> list[int]:
    """CPUs of NUMA node `node`: equal contiguous blocks, the last node takes the rest."""
    per = spec.cpus // spec.nodes
    last = spec.cpus if node == spec.nodes - 1 else (node + 1) * per
    return list(range(node * per, last))
