"""GET /host (who the host is, and whether the irqbalance daemon runs there) and GET
/compliance (IRQs routed to CPUs the host's policy bans)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from irq_client.models.base import Json, Model, instant, int_or_none, ints, obj, seq, strs


@dataclass(frozen=True)
class Irqbalance(Model):
    running: bool  # the daemon runs: it would undo affinity changes within seconds
    pid: int | None
    banned_cpus: tuple[int, ...]  # IRQBALANCE_BANNED_CPULIST (or _CPUS) it runs with
    banned_irqs: tuple[int, ...]  # its --banirq IRQs
    config: str | None  # the config file read, None when there is none
    problems: tuple[str, ...]  # values that could not be read

    @classmethod
    def from_json(cls, raw: Json) -> Irqbalance:
        d = obj(raw)
        return cls(running=bool(d["running"]), pid=int_or_none(d["pid"]),
                   banned_cpus=ints(d["banned_cpus"]), banned_irqs=ints(d["banned_irqs"]),
                   config=d["config"], problems=strs(d["problems"]), raw=raw)


@dataclass(frozen=True)
class HostInfo(Model):
    hostname: str | None
    kernel_release: str | None  # uname -r
    boot_time: datetime | None  # UTC
    simulated: bool
    irqbalance: Irqbalance

    @classmethod
    def from_json(cls, raw: Json) -> HostInfo:
        d = obj(raw)
        return cls(hostname=d["hostname"], kernel_release=d["kernel_release"],
                   boot_time=instant(d["boot_time"]), simulated=bool(d["simulated"]),
                   irqbalance=Irqbalance.from_json(d["irqbalance"]), raw=raw)


@dataclass(frozen=True)
class Violation(Model):
    irq: int
    device_name: str
    banned_cpus: tuple[int, ...]  # the banned CPUs it is routed to
    reasons: tuple[str, ...]  # why they are banned
    effective_affinity_list: tuple[int, ...]
    movable: bool  # False: kernel-managed
    why: str  # what can be done

    @classmethod
    def from_json(cls, raw: Json) -> Violation:
        d = obj(raw)
        return cls(irq=int(d["irq_num"]), device_name=str(d["device_name"]),
                   banned_cpus=ints(d["banned_cpus"]), reasons=strs(d["reasons"]),
                   effective_affinity_list=ints(d["effective_affinity_list"]),
                   movable=bool(d["movable"]), why=str(d["why"]), raw=raw)


@dataclass(frozen=True)
class Compliance(Model):
    banned_cpus: dict[int, tuple[str, ...]]  # CPU -> why IRQs are kept off it
    compliant: bool
    movable_violations: int
    unmovable_violations: int
    violations: tuple[Violation, ...]

    @classmethod
    def from_json(cls, raw: Json) -> Compliance:
        d = obj(raw)
        return cls(banned_cpus={int(k): strs(v) for k, v in obj(d["banned_cpus"]).items()},
                   compliant=bool(d["compliant"]),
                   movable_violations=int(d["movable_violations"]),
                   unmovable_violations=int(d["unmovable_violations"]),
                   violations=tuple(Violation.from_json(v) for v in seq(d["violations"])),
                   raw=raw)
