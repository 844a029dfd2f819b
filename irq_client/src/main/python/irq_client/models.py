"""The client's own wire types: frozen dataclasses built from the server's JSON.

Counts are ints, instants are timezone-aware datetimes, CPU lists are tuples of ints.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _cpus(values) -> tuple[int, ...] | None:
    return tuple(int(v) for v in values) if values is not None else None


@dataclass(frozen=True)
class Sampler:
    last_sample: datetime | None  # newest stored sample (UTC)
    interval_seconds: float  # sampling interval
    stale: bool  # no sample for over 3 intervals


@dataclass(frozen=True)
class Health:
    status: str  # "ok", or "degraded" (see reasons)
    version: str  # server version
    simulated: bool  # serving a simulated host
    sampler: Sampler  # history sampler state
    reasons: tuple[str, ...] = ()  # why the server is degraded, in words
    reason: str | None = None  # the first cause: "disk full", "history unreadable", ...

    @classmethod
    def from_json(cls, d: dict) -> "Health":
        s = d.get("sampler") or {}
        return cls(status=d["status"], version=d["version"], simulated=bool(d.get("simulated")),
                   reasons=tuple(d.get("reasons") or ()), reason=d.get("reason"),
                   sampler=Sampler(last_sample=_time(s.get("last_sample")),
                                   interval_seconds=float(s.get("interval_seconds", 0)),
                                   stale=bool(s.get("stale", True))))


@dataclass(frozen=True)
class Cpu:
    cpu: int  # logical CPU id
    online: bool  # currently online
    node: int | None  # NUMA node
    package: int | None  # physical package
    core: int | None  # core id inside the package
    cache_cpus: tuple[int, ...]  # CPUs sharing the last-level cache
    isolated: bool  # in the isolated list
    nohz_full: bool  # in the nohz_full list

    @classmethod
    def from_json(cls, d: dict) -> "Cpu":
        return cls(cpu=int(d["cpu"]), online=bool(d["online"]), node=d.get("node"),
                   package=d.get("package"), core=d.get("core"),
                   cache_cpus=_cpus(d.get("cache_cpus") or ()), isolated=bool(d.get("isolated")),
                   nohz_full=bool(d.get("nohz_full")))


@dataclass(frozen=True)
class Irq:
    irq: int  # IRQ number (irq_num on the wire)
    irq_type: str | None  # chip-flow, e.g. "IR-PCI-MSI-edge"
    device_name: str  # actions joined by ", "
    cpu_affinity: str | None  # smp_affinity mask as the kernel prints it
    num_interrupts_per_cpu: tuple[int, ...]  # since boot, aligned with IrqList.cpus
    total: int  # sum of the above
    chip: str | None  # irq chip
    hwirq: int | None  # hardware IRQ number in the chip's domain
    trigger: str | None  # "edge", "level", "fasteoi"
    actions: tuple[str, ...]  # handler names
    node: int | None  # NUMA node of the device
    cpu_affinity_list: tuple[int, ...] | None  # CPUs of the mask
    effective_affinity_list: tuple[int, ...] | None  # CPUs it is really delivered to
    affinity_hint: tuple[int, ...] | None  # the driver's hint
    managed: bool | None  # kernel-managed (cannot be moved); None when unknown

    @classmethod
    def from_json(cls, d: dict) -> "Irq":
        return cls(irq=int(d["irq_num"]), irq_type=d.get("irq_type"),
                   device_name=d.get("device_name") or "", cpu_affinity=d.get("cpu_affinity"),
                   num_interrupts_per_cpu=_cpus(d.get("num_interrupts_per_cpu") or ()),
                   total=int(d.get("total", 0)), chip=d.get("chip"), hwirq=d.get("hwirq"),
                   trigger=d.get("trigger"), actions=tuple(d.get("actions") or ()),
                   node=d.get("node"), cpu_affinity_list=_cpus(d.get("cpu_affinity_list")),
                   effective_affinity_list=_cpus(d.get("effective_affinity_list")),
                   affinity_hint=_cpus(d.get("affinity_hint")), managed=d.get("managed"))


@dataclass(frozen=True)
class OtherRow:
    name: str  # "NMI", "LOC", "ERR", "IPI0"
    description: str | None  # the kernel's text
    num_interrupts_per_cpu: tuple[int, ...] | None  # None for global rows (ERR, MIS)
    total: int  # sum, or the global count

    @classmethod
    def from_json(cls, d: dict) -> "OtherRow":
        return cls(name=d["name"], description=d.get("description"),
                   num_interrupts_per_cpu=_cpus(d.get("num_interrupts_per_cpu")),
                   total=int(d.get("total", 0)))


@dataclass(frozen=True)
class IrqList:
    cpus: tuple[int, ...]  # CPU id of each count column
    irqs: tuple[Irq, ...]  # numbered IRQs
    other: tuple[OtherRow, ...]  # NMI/LOC/ERR-like rows
    num_interrupts_per_cpu: tuple[int, ...]  # totals of the numbered IRQs per CPU
    num_interrupts_all_cpus: int  # their sum

    @classmethod
    def from_json(cls, d: dict) -> "IrqList":
        totals = d.get("totals") or {}
        return cls(cpus=_cpus(d["cpus"]), irqs=tuple(Irq.from_json(i) for i in d["irqs"]),
                   other=tuple(OtherRow.from_json(o) for o in d.get("other") or ()),
                   num_interrupts_per_cpu=_cpus(totals.get("num_interrupts_per_cpu") or ()),
                   num_interrupts_all_cpus=int(totals.get("num_interrupts_all_cpus", 0)))


@dataclass(frozen=True)
class Affinity:
    irq: int  # IRQ number
    cpu_affinity: str  # mask as the kernel prints it
    cpu_affinity_list: tuple[int, ...]  # CPUs of the mask
    effective_affinity_list: tuple[int, ...] | None  # CPUs it is delivered to
    managed: bool | None  # kernel-managed
    changed: bool | None = None  # on set: whether a write happened (None on get)

    @classmethod
    def from_json(cls, d: dict) -> "Affinity":
        return cls(irq=int(d["irq_num"]), cpu_affinity=d["cpu_affinity"],
                   cpu_affinity_list=_cpus(d["cpu_affinity_list"]),
                   effective_affinity_list=_cpus(d.get("effective_affinity_list")),
                   managed=d.get("managed"), changed=d.get("changed"))


@dataclass(frozen=True)
class Span:
    start: datetime  # instant actually covered from (UTC)
    end: datetime  # instant actually covered to
    period_duration_seconds: float  # end - start
    partial: bool  # history did not reach the asked start

    @classmethod
    def from_json(cls, d: dict) -> "Span":
        return cls(start=_time(d["start"]), end=_time(d["end"]),
                   period_duration_seconds=float(d["period_duration_seconds"]),
                   partial=bool(d.get("partial")))


@dataclass(frozen=True)
class InterruptWindow:
    span: Span  # the window covered
    cpus: tuple[int, ...]  # CPU ids
    num_interrupts_per_cpu: tuple[int, ...]  # interrupts per CPU in the window
    percent_interrupts_per_cpu: tuple[float, ...]  # share of each CPU
    num_interrupts_all_cpus: int  # sum

    @classmethod
    def from_json(cls, d: dict) -> "InterruptWindow":
        return cls(span=Span.from_json(d), cpus=_cpus(d["cpus"]),
                   num_interrupts_per_cpu=_cpus(d["num_interrupts_per_cpu"]),
                   percent_interrupts_per_cpu=tuple(float(p) for p in
                                                    d["percent_interrupts_per_cpu"]),
                   num_interrupts_all_cpus=int(d["num_interrupts_all_cpus"]))


@dataclass(frozen=True)
class CpuWindow:
    span: Span  # the window covered
    cpu: int  # CPU id (cpu_num on the wire)
    num_interrupts: int  # interrupts on this CPU in the window
    percent_interrupts: float  # its share of all CPUs
    num_interrupts_all_cpus: int  # all CPUs
    num_cpus: int  # CPUs on the host

    @classmethod
    def from_json(cls, d: dict) -> "CpuWindow":
        return cls(span=Span.from_json(d), cpu=int(d["cpu_num"]),
                   num_interrupts=int(d["num_interrupts"]),
                   percent_interrupts=float(d["percent_interrupts"]),
                   num_interrupts_all_cpus=int(d["num_interrupts_all_cpus"]),
                   num_cpus=int(d["num_cpus"]))


@dataclass(frozen=True)
class IrqRate:
    irq: int  # IRQ number
    num_interrupts_per_cpu: tuple[int, ...]  # in the window, aligned with IrqWindow.cpus
    num_interrupts: int  # sum
    rate_per_second: float  # num_interrupts / window length

    @classmethod
    def from_json(cls, d: dict) -> "IrqRate":
        return cls(irq=int(d["irq_num"]), num_interrupts_per_cpu=_cpus(d["num_interrupts_per_cpu"]),
                   num_interrupts=int(d["num_interrupts"]),
                   rate_per_second=float(d["rate_per_second"]))


@dataclass(frozen=True)
class IrqWindow:
    span: Span  # the window covered
    cpus: tuple[int, ...]  # CPU ids
    irqs: tuple[IrqRate, ...]  # every numbered IRQ

    @classmethod
    def from_json(cls, d: dict) -> "IrqWindow":
        return cls(span=Span.from_json(d), cpus=_cpus(d["cpus"]),
                   irqs=tuple(IrqRate.from_json(i) for i in d["irqs"]))


@dataclass(frozen=True)
class SoftirqRate:
    name: str  # softirq kind: "NET_RX", "TIMER", ...
    num_softirqs_per_cpu: tuple[int, ...]  # per CPU over the window, aligned with cpus
    num_softirqs: int  # all CPUs over the window
    rate_per_second: float  # num_softirqs / window length

    @classmethod
    def from_json(cls, d: dict) -> "SoftirqRate":
        return cls(name=d["name"], num_softirqs_per_cpu=_cpus(d["num_softirqs_per_cpu"]),
                   num_softirqs=int(d["num_softirqs"]),
                   rate_per_second=float(d["rate_per_second"]))


@dataclass(frozen=True)
class SoftirqWindow:
    span: Span  # the window covered
    cpus: tuple[int, ...]  # CPU ids
    softirqs: tuple[SoftirqRate, ...]  # every softirq kind

    @classmethod
    def from_json(cls, d: dict) -> "SoftirqWindow":
        return cls(span=Span.from_json(d), cpus=_cpus(d["cpus"]),
                   softirqs=tuple(SoftirqRate.from_json(s) for s in d["softirqs"]))


@dataclass(frozen=True)
class History:
    tiers: str  # retention, "1s:1h,10s:1d,..."
    interval_seconds: float  # sampling interval
    samples: int  # stored samples
    oldest: datetime | None  # oldest sample
    newest: datetime | None  # newest sample
    store_bytes: int  # size on disk

    @classmethod
    def from_json(cls, d: dict) -> "History":
        return cls(tiers=d["tiers"], interval_seconds=float(d["interval_seconds"]),
                   samples=int(d["samples"]), oldest=_time(d.get("oldest")),
                   newest=_time(d.get("newest")), store_bytes=int(d["store_bytes"]))



CPU_SHARES = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest",
              "guest_nice")  # percent of the interval, as top's %Cpu line


@dataclass(frozen=True)
class CpuUsage:
    usage: float  # percent busy: 100 - idle - iowait
    shares: dict  # CPU_SHARES name -> percent
    taken_at: datetime | None = None  # end of the interval (series points)
    cpu: int | None = None  # the CPU, for per-CPU entries
    per_cpu: tuple["CpuUsage", ...] = ()  # with per_cpu=True

    @classmethod
    def from_json(cls, d: dict) -> "CpuUsage":
        return cls(usage=float(d["usage"]),
                   shares={k: float(d[k]) for k in CPU_SHARES if k in d},
                   taken_at=_time(d.get("taken_at")), cpu=d.get("cpu"),
                   per_cpu=tuple(CpuUsage.from_json(c) for c in d.get("per_cpu") or ()))


@dataclass(frozen=True)
class MemoryPoint:
    taken_at: datetime  # end of the interval averaged
    used: int  # bytes: total - available (free(1))
    free: int  # bytes available (MemAvailable)
    total: int
    buffers: int
    cached: int
    swap_used: int

    @classmethod
    def from_json(cls, d: dict) -> "MemoryPoint":
        return cls(taken_at=_time(d["taken_at"]), used=int(d["used_space"]),
                   free=int(d["free_space"]), total=int(d["total"]), buffers=int(d["buffers"]),
                   cached=int(d["cached"]), swap_used=int(d["swap_used"]))


@dataclass(frozen=True)
class StoragePoint:
    taken_at: datetime  # end of the interval averaged
    used: int  # bytes used, as df counts
    free: int  # bytes available to unprivileged users
    size: int

    @classmethod
    def from_json(cls, d: dict) -> "StoragePoint":
        return cls(taken_at=_time(d["taken_at"]), used=int(d["used_space"]),
                   free=int(d["free_space"]), size=int(d["size"]))


@dataclass(frozen=True)
class SpaceAverage:
    used: int | None  # average bytes used over the window (None: no history yet)
    free: int | None  # average bytes free/available
    start: datetime | None
    end: datetime | None
    mount: str | None = None  # filesystem averages: its mount point

    @classmethod
    def from_json(cls, d: dict, prefix: str) -> "SpaceAverage":
        """From /memory_average (prefix "memory_avg") or /storage_average ("disk_avg")."""
        return cls(used=d[f"{prefix}_used_space"], free=d[f"{prefix}_free_space"],
                   start=_time(d.get("start")), end=_time(d.get("end")), mount=d.get("mount"))


@dataclass(frozen=True)
class Current:
    cpu_usage: float | None  # percent over the last sampling interval (None: no history)
    used_mem: int | None
    free_mem: int | None
    used_disk: int | None  # root filesystem
    free_disk: int | None
    taken_at: datetime
    cpu: CpuUsage | None  # the breakdown
    memory: dict  # total, free, available, used, buffers, cached, swap_total, swap_used
    filesystems: dict  # mount point -> {"size", "used", "available"}

    @classmethod
    def from_json(cls, d: dict) -> "Current":
        return cls(cpu_usage=d.get("cpu_usage"), used_mem=d.get("used_mem"),
                   free_mem=d.get("free_mem"), used_disk=d.get("used_disk"),
                   free_disk=d.get("free_disk"), taken_at=_time(d["taken_at"]),
                   cpu=CpuUsage.from_json(d["cpu"]) if d.get("cpu") else None,
                   memory=dict(d.get("memory") or {}), filesystems=dict(d.get("filesystems") or {}))


@dataclass(frozen=True)
class Token:
    token: str  # JWT: IrqClient.login sets it as the client's bearer token
    scope: str  # "read" or "write"
    expires_at: datetime  # when it stops working (UTC)

    @classmethod
    def from_json(cls, d: dict) -> "Token":
        return cls(token=d["token"], scope=d["scope"], expires_at=_time(d["expires_at"]))


@dataclass(frozen=True)
class Run:
    id: int  # run id
    name: str
    description: str | None
    threshold: float  # CPU percent
    host: str | None  # hostname the run measured
    active: bool  # not stopped yet
    start_time: datetime
    end_time: datetime | None  # None while active
    duration: float  # seconds (to now while active)
    time_above_threshold: float  # seconds with usage above the threshold (sample-and-hold)
    samples: int  # usage samples recorded

    @classmethod
    def from_json(cls, d: dict) -> "Run":
        return cls(id=int(d["id"]), name=d["name"], description=d.get("description"),
                   threshold=float(d["threshold"]), host=d.get("host"), active=bool(d["active"]),
                   start_time=_time(d["start_time"]), end_time=_time(d.get("end_time")),
                   duration=float(d["duration"]),
                   time_above_threshold=float(d["time_above_threshold"]),
                   samples=int(d["samples"]))


@dataclass(frozen=True)
class RunList:
    runs: tuple[Run, ...]  # newest first
    page: int
    per_page: int
    total: int  # the caller's runs in all

    @classmethod
    def from_json(cls, d: dict) -> "RunList":
        return cls(runs=tuple(Run.from_json(r) for r in d["runs"]), page=int(d["page"]),
                   per_page=int(d["per_page"]), total=int(d["total"]))


@dataclass(frozen=True)
class UsageRecorded:
    id: int  # run id
    above_threshold: bool  # this sample is above the run's threshold
    time_above_threshold: float  # the run's seconds above it so far

    @classmethod
    def from_json(cls, d: dict) -> "UsageRecorded":
        return cls(id=int(d["id"]), above_threshold=bool(d["above_threshold"]),
                   time_above_threshold=float(d["time_above_threshold"]))


@dataclass(frozen=True)
class RunInterrupts:
    span: Span  # the run's time, as history covers it
    id: int  # run id
    host: str  # the server's host (the run's)
    cpus: tuple[int, ...]  # CPU ids
    num_interrupts_per_cpu: tuple[int, ...]  # during the run
    num_interrupts_all_cpus: int
    num_irqs: int  # IRQs that fired during the run
    irqs: tuple[IrqRate, ...]  # the busiest first

    @classmethod
    def from_json(cls, d: dict) -> "RunInterrupts":
        return cls(span=Span.from_json(d), id=int(d["id"]), host=d["host"],
                   cpus=_cpus(d["cpus"]), num_interrupts_per_cpu=_cpus(d["num_interrupts_per_cpu"]),
                   num_interrupts_all_cpus=int(d["num_interrupts_all_cpus"]),
                   num_irqs=int(d["num_irqs"]), irqs=tuple(IrqRate.from_json(i) for i in d["irqs"]))


@dataclass(frozen=True)
class RegistryEntry:
    uid: str  # what published it calls itself
    uri: str  # where it is (an irq-server's base URL for data_type "irq-server")
    connection_type: int
    data_type: str  # "irq-server" for irq-servers
    published: datetime | None  # last publication (UTC); None from the old lookup route
    expires: datetime | None  # when it stops being returned unless re-published
    authenticated: bool = False  # published with a write token (False: anyone could have)

    @classmethod
    def from_json(cls, d: dict) -> "RegistryEntry":
        return cls(uid=d["uid"], uri=d["uri"], connection_type=int(d["connection_type"]),
                   data_type=d["data_type"], published=_time(d.get("published")),
                   expires=_time(d.get("expires")),
                   authenticated=d.get("authenticated") is True)


@dataclass(frozen=True)
class PartitionSummary:
    partition: str
    entries: int  # not purged yet, live or expired
    live: int  # within the TTL


@dataclass(frozen=True)
class RegistryState:
    ttl_seconds: float  # entries live this long after their last publication
    partitions: tuple[PartitionSummary, ...]
    publish_calls: int
    lookup_calls: int

    @classmethod
    def from_json(cls, d: dict) -> "RegistryState":
        return cls(ttl_seconds=float(d["ttl_seconds"]),
                   partitions=tuple(PartitionSummary(p["partition"], int(p["entries"]),
                                                     int(p["live"])) for p in d["partitions"]),
                   publish_calls=int(d["publish"]["calls"]),
                   lookup_calls=int(d["lookup"]["calls"]))
