"""Host: the live view of one host tree (IRQs, CPUs) and the one path that writes affinity.

Framework-free; the API calls it, tests drive it over fixture trees and the simulated host.
"""
from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, ParamSpec, TypeVar

from irq_server.errors import InvalidMask, IrqNotMovable, NotFound, affinity_write_error, host_error
from irq_server.history.snapshot import read_snapshot
from irq_server.procfs import (HostFS, format_cpu_list, format_mask, list_irqs, parse_cpu_list,
                               parse_mask, read_filesystems, read_interrupts, read_irq_settings,
                               read_isolation, read_meminfo, read_stat, read_topology)
from irq_server.procfs.host_policy import IrqbalanceDaemon, cpu_bans, find_irqbalance
from irq_server.procfs.irq_threads import IrqThreads
from irq_server.types import (AffinityState, CpuInfo, FsUsage, InterruptRow, Interrupts,
                              IrqSettings, Memory, Snapshot, Topology)

log = logging.getLogger(__name__)
audit = logging.getLogger("irq_server.audit")
SIMULATED = "simhost.json"  # at the root of a simulated host's tree (irq_server.sim)

P = ParamSpec("P")
R = TypeVar("R")


def host_errors(method: Callable[P, R]) -> Callable[P, R]:
    """An OSError reading the host tree becomes the domain error errors.host_error says."""
    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except OSError as exc:
            raise host_error(exc) from exc
    return wrapper


@dataclass(frozen=True)
class IrqTable:
    """/proc/interrupts plus each numbered IRQ's /proc/irq/N settings."""

    interrupts: Interrupts  # the parsed table
    settings: dict[int, IrqSettings]  # IRQ number -> its affinity files (absent IRQ dir: missing)


@dataclass(frozen=True)
class AffinityChange:
    """Outcome of set_affinity: what the IRQ had, and what the kernel holds after."""

    before: AffinityState  # read before writing
    after: AffinityState  # read back after writing (== before when nothing was written)
    written: bool  # False when the requested CPUs were already the mask (read-compare-write)


@dataclass(frozen=True)
class IrqView:
    """One IRQ as GET /irqs/N shows it."""

    row: InterruptRow  # its /proc/interrupts row (a zero row when it has none yet)
    counts: list[int]  # per CPU, in the order of Interrupts.cpus
    settings: IrqSettings | None  # its /proc/irq/N files; None when it has no such directory


class SettingsCache:
    """Every IRQ's /proc/irq/N settings, re-read only when they may have changed.

    They change on affinity writes and CPU hotplug, rarely otherwise, while reading them all
    costs one file read per IRQ and file. The cache is dropped when: any server process wrote
    an affinity (they all touch `marker`, and each request stats it), the online CPUs or the
    set of IRQs changed, or it is older than `max_age` seconds (writes made by other tools).
    """

    def __init__(self, fs: HostFS, marker: Path | None, max_age: float = 10.0,
                 clock=time.monotonic):
        self.fs = fs
        self.marker = marker
        self.max_age = max_age
        self.clock = clock
        self._key = None
        self._at = 0.0
        self._settings: dict[int, IrqSettings] = {}

    def version(self) -> tuple:
        """What changes when the settings may have: our writes (any process) and hotplug."""
        return self._stamp(), self.fs.read_optional("sys/devices/system/cpu/online")

    def get(self, interrupts: Interrupts) -> dict[int, IrqSettings]:
        key = (*self.version(), tuple((row.irq, row.chip is None) for row in interrupts.rows))
        if key != self._key or self.clock() - self._at > self.max_age:
            present = set(list_irqs(self.fs))
            self._settings = {row.irq: read_irq_settings(self.fs, row.irq, sysfs=row.chip is None)
                              for row in interrupts.rows if row.irq in present}
            self._key, self._at = key, self.clock()
        return self._settings

    def changed(self) -> None:
        """An affinity was written: drop this cache, and every other process's. The marker's
        mtime is the signal: setting it needs no free space (the write it follows has
        happened, even on a full disk); if even that fails, the others notice within
        `max_age`."""
        self._key = None
        if self.marker is None:
            return
        now = time.time_ns()
        try:
            try:
                os.utime(self.marker, ns=(now, now))
            except FileNotFoundError:
                os.close(os.open(self.marker, os.O_WRONLY | os.O_CREAT, 0o600))
                os.utime(self.marker, ns=(now, now))
        except OSError as exc:
            log.warning("cannot mark %s (%s): other workers see the new affinity within "
                        "%g s", self.marker, exc.strerror, self.max_age)

    def _stamp(self) -> tuple[int, int] | None:
        """Identity of the marker's last version (os.replace gives each a new inode)."""
        if self.marker is None:
            return None
        try:
            st = os.stat(self.marker)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns


class Host:
    """Reads and affinity writes against one HostFS."""

    def __init__(self, fs: HostFS, state_dir: str | os.PathLike | None = None):
        self.fs = fs
        marker = Path(state_dir) / "affinity.generation" if state_dir is not None else None
        self.settings_cache = SettingsCache(fs, marker)
        self.threads = IrqThreads(fs)
        self._lock_path = Path(state_dir) / "affinity.lock" if state_dir is not None else None
        self._writing = threading.Lock()

    @contextlib.contextmanager
    def one_writer(self) -> Iterator[None]:
        """Affinity writes one at a time, across this process's threads (greenlets under
        gevent) and every process of the data dir (flock): the mask read before a write, the
        write, its read-back and what the caller records of them are never interleaved with
        another write. A lock file that cannot be opened (a full disk may refuse the inode)
        leaves the process lock alone in force; the write goes on."""
        with self._writing:
            fd = None
            if self._lock_path is not None:
                try:
                    fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except OSError as exc:
                    log.warning("affinity writes not serialised across workers: %s", exc)
            try:
                yield
            finally:
                if fd is not None:
                    os.close(fd)  # (releases the flock)

    @classmethod
    def open(cls, root: str | os.PathLike, state_dir: str | os.PathLike | None = None) -> Host:
        """The host whose tree is at `root`; a simulated host's tree comes with its
        kernel's rules for affinity writes."""
        return cls(cls.tree(root), state_dir)

    @staticmethod
    def tree(root: str | os.PathLike) -> HostFS:
        """The HostFS for the tree at `root` (the simulated kernel's when it is simulated)."""
        if (Path(root) / SIMULATED).exists():
            from irq_server.sim.kernel import (
                SimKernelFS,  # only a simulated tree needs it
            )
            return SimKernelFS(root)
        return HostFS(root)

    @property
    def simulated(self) -> bool:
        """Whether this is a simulated host (irq-server --simulate)."""
        return self.fs.exists(SIMULATED)

    @host_errors
    def interrupts(self) -> Interrupts:
        return read_interrupts(self.fs)

    @host_errors
    def counters(self, ts: float) -> Snapshot:
        """Every counter now (raw, as the kernel prints them), stamped `ts`."""
        return read_snapshot(self.fs, ts, self.threads)

    @host_errors
    def memory(self) -> Memory | None:
        """/proc/meminfo now; None when the tree has none."""
        try:
            return read_meminfo(self.fs)
        except (FileNotFoundError, ValueError):  # no meminfo, or not one
            return None

    def filesystems(self) -> list[FsUsage]:
        """The block-backed filesystems' space now."""
        return read_filesystems(self.fs)

    def hostname(self) -> str | None:
        """The host's name (/proc/sys/kernel/hostname), None when the tree does not say."""
        return self.fs.read_optional("proc/sys/kernel/hostname") or None

    def boot_time(self) -> float | None:
        """When the host booted (/proc/stat btime), None when the tree does not say."""
        try:
            return read_stat(self.fs).boot_time
        except OSError:
            return None

    def topology(self) -> Topology:
        """CPU topology with each CPU's bans (procfs.host_policy); a tree without /sys gets
        the CPUs named by /proc/interrupts, online."""
        topo = read_topology(self.fs)
        cpus = topo.cpus or tuple(CpuInfo(cpu=c, online=True) for c in self.interrupts().cpus)
        bans = self.bans(frozenset(c.cpu for c in cpus))
        return Topology(cpus=tuple(replace(c, banned=bans.get(c.cpu, ())) for c in cpus))

    def bans(self, cpus: frozenset[int] | None = None) -> dict[int, tuple[str, ...]]:
        """CPU -> why the host's policy keeps IRQs off it (procfs.host_policy), for `cpus`
        (default: every present CPU); without reading each CPU's topology files."""
        present, isolated, nohz_full = read_isolation(self.fs)
        if cpus is None:
            cpus = present or frozenset(self.interrupts().cpus)
        return cpu_bans(self.fs, cpus, isolated, nohz_full)

    def irqbalance(self) -> IrqbalanceDaemon:
        """The irqbalance daemon, if one runs on the host, and what it bans."""
        return find_irqbalance(self.fs)

    def kernel_release(self) -> str | None:
        """`uname -r` of the host (/proc/sys/kernel/osrelease), None when the tree does not say."""
        return self.fs.read_optional("proc/sys/kernel/osrelease") or None

    @host_errors
    def irq_table(self) -> IrqTable:
        """/proc/interrupts read now, with each IRQ's settings (cached: SettingsCache)."""
        interrupts = self.interrupts()
        return IrqTable(interrupts=interrupts, settings=self.settings_cache.get(interrupts))

    @host_errors
    def irq(self, irq: int) -> IrqView:
        """One IRQ: registered IRQs that never fired have a /proc/irq/N but no row yet."""
        interrupts = self.interrupts()
        index = interrupts.irq_index().get(irq)
        has_dir = self.fs.exists(f"proc/irq/{irq}")
        if index is None and not has_dir:
            raise NotFound(f"IRQ {irq} does not exist on this host")
        settings = self.irq_settings(irq) if has_dir else None
        if index is None:
            return IrqView(InterruptRow(name=str(irq), irq=irq), [0] * len(interrupts.cpus),
                           settings)
        return IrqView(interrupts.rows[index], interrupts.row_counts(index), settings)

    @host_errors
    def irq_settings(self, irq: int) -> IrqSettings:
        if not self.fs.exists(f"proc/irq/{irq}/smp_affinity"):
            raise NotFound(f"IRQ {irq} does not exist on this host (no /proc/irq/{irq})")
        return read_irq_settings(self.fs, irq)

    def affinity(self, irq: int) -> AffinityState:
        settings = self.irq_settings(irq)
        return AffinityState(irq=irq, mask=settings.smp_affinity or "",
                             cpus=settings.smp_affinity_list or (),
                             effective=settings.effective_affinity_list,
                             managed=settings.managed)

    def set_affinity(self, irq: int, cpus: frozenset[int], field: str,
                     who: str = "-", reason: str | None = None) -> AffinityChange:
        """Route `irq` to `cpus`: validate, read-compare-write, journal (as `who`: a token's
        or user's principal, with the caller's `reason`), then read back.

        Raises:
            NotFound: no such IRQ.
            InvalidMask: empty, or naming CPUs that do not exist or are offline (`field`).
            IrqNotMovable / NoFreeVectors / AffinityBusy / HostUnavailable: the write failed.
        """
        before = self.affinity(irq)
        topo = self.topology()
        self._validate(cpus, topo, field)
        if before.managed:
            raise IrqNotMovable(f"IRQ {irq} has kernel-managed affinity; the kernel will "
                                "refuse to move it")
        if frozenset(before.cpus) == cpus:
            return AffinityChange(before=before, after=before, written=False)
        mask = format_mask(cpus, topo.nr_cpu_ids)
        try:
            self.fs.write_text(f"proc/irq/{irq}/smp_affinity", mask + "\n")
        except OSError as exc:
            self.settings_cache.changed()  # even a refused write may have changed something
            raise affinity_write_error(exc, irq, format_cpu_list(cpus)) from exc
        # first, before anything that could fail: the write has happened
        audit.info("affinity irq=%d token=%s old=%s new=%s%s", irq,
                   who if who.isprintable() else repr(who),  # (a name from before names were
                   before.mask, mask, f" reason={reason!r}" if reason else "")  # checked)
        self.settings_cache.changed()
        return AffinityChange(before=before, after=self.affinity(irq), written=True)

    @staticmethod
    def _validate(cpus: frozenset[int], topo: Topology, field: str) -> None:
        if not cpus:
            raise InvalidMask("the mask names no CPU: at least one online CPU is required",
                              field=field)
        unknown = cpus - topo.known
        if unknown:
            raise InvalidMask(f"CPU {format_cpu_list(unknown)} does not exist on this host "
                              f"(CPUs {format_cpu_list(topo.known)})", field=field)
        offline = cpus - topo.online
        if offline:
            raise InvalidMask(f"CPU {format_cpu_list(offline)} is offline "
                              f"(online: {format_cpu_list(topo.online)})", field=field)


def cpus_from_request(mask: str | None, cpu_list: str | None) -> tuple[frozenset[int], str]:
    """CPUs named by a request's mask or list, and the name of the field they came from."""
    if mask is not None:
        return parse_mask(mask, field="cpu_affinity_mask"), "cpu_affinity_mask"
    return parse_cpu_list(cpu_list or "", field="cpu_affinity_list"), "cpu_affinity_list"
