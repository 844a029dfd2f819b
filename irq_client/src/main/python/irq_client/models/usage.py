"""The host Performance API's routes: GET /cpu, /memory, /storage (series), their *_average
twins, and /current."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from irq_client.models.base import (Items, ItemsBy, Json, Model, instant, int_or_none, obj,
                                    required_instant, seq)

CPU_SHARES = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest",
              "guest_nice")  # percent of the interval, as top's %Cpu line


@dataclass(frozen=True)
class CpuUsage(Model):
    usage: float  # percent busy: 100 - idle - iowait
    shares: dict[str, float]  # CPU_SHARES name -> percent (those the answer carries)
    taken_at: datetime | None = None  # end of the interval (series points only)
    cpu: int | None = None  # the CPU (per-CPU entries only)
    per_cpu: tuple[CpuUsage, ...] = ()  # with per_cpu=True only

    @classmethod
    def from_json(cls, raw: Json) -> CpuUsage:
        d = obj(raw)
        return cls(usage=float(d["usage"]),
                   shares={k: float(d[k]) for k in CPU_SHARES if k in d},
                   taken_at=instant(d.get("taken_at")), cpu=int_or_none(d.get("cpu")),
                   per_cpu=tuple(CpuUsage.from_json(c) for c in d.get("per_cpu", ())),
                   raw=raw)


@dataclass(frozen=True)
class MemoryPoint(Model):
    taken_at: datetime  # end of the interval averaged
    used: int  # bytes: total - available (free(1))
    free: int  # bytes available (MemAvailable)
    total: int  # bytes
    buffers: int  # bytes
    cached: int  # bytes
    swap_used: int  # bytes

    @classmethod
    def from_json(cls, raw: Json) -> MemoryPoint:
        d = obj(raw)
        return cls(taken_at=required_instant(d["taken_at"]), used=int(d["used_space"]),
                   free=int(d["free_space"]), total=int(d["total"]), buffers=int(d["buffers"]),
                   cached=int(d["cached"]), swap_used=int(d["swap_used"]), raw=raw)


@dataclass(frozen=True)
class StoragePoint(Model):
    taken_at: datetime  # end of the interval averaged
    used: int  # bytes used, as df counts
    free: int  # bytes available to unprivileged users
    size: int  # bytes

    @classmethod
    def from_json(cls, raw: Json) -> StoragePoint:
        d = obj(raw)
        return cls(taken_at=required_instant(d["taken_at"]), used=int(d["used_space"]),
                   free=int(d["free_space"]), size=int(d["size"]), raw=raw)


@dataclass(frozen=True)
class SpaceAverage(Model):
    used: int | None  # average bytes used over the window (None: no history yet)
    free: int | None  # average bytes free/available
    start: datetime | None  # window covered (None: no history yet)
    end: datetime | None
    mount: str | None = None  # filesystem averages only: its mount point

    @classmethod
    def from_json(cls, raw: Json, prefix: str) -> SpaceAverage:
        """From /memory_average (prefix "memory_avg") or /storage_average ("disk_avg")."""
        d = obj(raw)
        return cls(used=int_or_none(d[f"{prefix}_used_space"]),
                   free=int_or_none(d[f"{prefix}_free_space"]), start=instant(d["start"]),
                   end=instant(d["end"]), mount=d.get("mount"), raw=raw)


@dataclass(frozen=True)
class Current(Model):
    cpu_usage: float | None  # percent over the last sampling interval (None: no history)
    used_mem: int | None  # bytes
    free_mem: int | None  # bytes available
    used_disk: int | None  # bytes, root filesystem
    free_disk: int | None  # bytes available, root filesystem
    taken_at: datetime  # when the server answered
    cpu: CpuUsage | None  # the breakdown (None: no history)
    memory: dict[str, int] | None  # total, free, available, used, buffers, cached, swap_total,
    #                                swap_used (bytes); None when /proc/meminfo is unreadable
    filesystems: dict[str, dict[str, int]]  # mount point -> {"size", "used", "available"}

    @classmethod
    def from_json(cls, raw: Json) -> Current:
        d = obj(raw)
        memory: dict[str, Any] | None = d["memory"]
        return cls(cpu_usage=None if d["cpu_usage"] is None else float(d["cpu_usage"]),
                   used_mem=int_or_none(d["used_mem"]), free_mem=int_or_none(d["free_mem"]),
                   used_disk=int_or_none(d["used_disk"]), free_disk=int_or_none(d["free_disk"]),
                   taken_at=required_instant(d["taken_at"]),
                   cpu=CpuUsage.from_json(d["cpu"]) if d["cpu"] is not None else None,
                   memory=None if memory is None else {
                       k: v if isinstance(v, bool) else int(v) for k, v in obj(memory).items()},
                   filesystems={str(m): {k: int(v) for k, v in obj(space).items()}
                                for m, space in obj(d["filesystems"]).items()},
                   raw=raw)


def cpu_series(raw: Json) -> Items[CpuUsage]:
    return Items((CpuUsage.from_json(p) for p in seq(raw)), raw=raw)


def memory_series(raw: Json) -> Items[MemoryPoint]:
    return Items((MemoryPoint.from_json(p) for p in seq(raw)), raw=raw)


def storage_series(raw: Json) -> Items[StoragePoint]:
    return Items((StoragePoint.from_json(p) for p in seq(raw)), raw=raw)


def storage_by_mount(raw: Json) -> ItemsBy[StoragePoint]:
    """GET /storage?all=true: mount point -> series."""
    return ItemsBy({str(mount): storage_series(series) for mount, series in obj(raw).items()},
                   raw=raw)
