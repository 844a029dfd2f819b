"""The windowed routes: GET /interrupts, /interrupts/cpu/<cpu>, /interrupts/irqs, /softirqs,
and /history (what the windows can cover)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from irq_client.models.base import (Json, Model, float_or_none, floats, instant, ints, obj,
                                    required_instant, strs)


@dataclass(frozen=True)
class Span(Model):
    start: datetime  # instant actually covered from (UTC)
    end: datetime  # instant actually covered to
    period_duration_seconds: float  # end - start
    partial: bool  # history did not reach the asked start

    @classmethod
    def from_json(cls, raw: Json) -> Span:
        """From an answer that carries the span's fields beside its own."""
        d = obj(raw)
        return cls(start=required_instant(d["start"]), end=required_instant(d["end"]),
                   period_duration_seconds=float(d["period_duration_seconds"]),
                   partial=bool(d["partial"]), raw=raw)


@dataclass(frozen=True)
class InterruptWindow(Model):
    span: Span  # the window covered
    cpus: tuple[int, ...]  # CPU ids
    num_interrupts_per_cpu: tuple[int, ...]  # interrupts per CPU in the window
    percent_interrupts_per_cpu: tuple[float, ...]  # share of each CPU
    num_interrupts_all_cpus: int  # sum
    irq_seconds_per_cpu: tuple[float, ...] = ()  # hardirq time per CPU (/proc/stat irq)
    softirq_seconds_per_cpu: tuple[float, ...] = ()  # softirq time per CPU; () from an
    #                                                  older server

    @classmethod
    def from_json(cls, raw: Json) -> InterruptWindow:
        d = obj(raw)
        return cls(span=Span.from_json(raw), cpus=ints(d["cpus"]),
                   num_interrupts_per_cpu=ints(d["num_interrupts_per_cpu"]),
                   percent_interrupts_per_cpu=tuple(float(p) for p in
                                                    d["percent_interrupts_per_cpu"]),
                   num_interrupts_all_cpus=int(d["num_interrupts_all_cpus"]),
                   irq_seconds_per_cpu=floats(d.get("irq_seconds_per_cpu") or ()),
                   softirq_seconds_per_cpu=floats(d.get("softirq_seconds_per_cpu") or ()),
                   raw=raw)


@dataclass(frozen=True)
class CpuWindow(Model):
    span: Span  # the window covered
    cpu: int  # CPU id (cpu_num on the wire)
    num_interrupts: int  # interrupts on this CPU in the window
    percent_interrupts: float  # its share of all CPUs
    num_interrupts_all_cpus: int  # all CPUs
    num_cpus: int  # CPUs on the host

    @classmethod
    def from_json(cls, raw: Json) -> CpuWindow:
        d = obj(raw)
        return cls(span=Span.from_json(raw), cpu=int(d["cpu_num"]),
                   num_interrupts=int(d["num_interrupts"]),
                   percent_interrupts=float(d["percent_interrupts"]),
                   num_interrupts_all_cpus=int(d["num_interrupts_all_cpus"]),
                   num_cpus=int(d["num_cpus"]), raw=raw)


@dataclass(frozen=True)
class IrqRate(Model):
    irq: int  # IRQ number
    num_interrupts_per_cpu: tuple[int, ...]  # in the window, aligned with IrqWindow.cpus
    num_interrupts: int  # sum
    rate_per_second: float  # num_interrupts / window length
    cpu_seconds: float | None = None  # CPU time it took over the window (None: not known)
    cost_us_per_interrupt: float | None = None  # CPU time per interrupt, microseconds
    cost_source: str = "none"  # "thread" (measured), "estimate" (fitted), "none"
    cost_us_range: tuple[float, float] | None = None  # estimates: two standard errors

    @classmethod
    def from_json(cls, raw: Json) -> IrqRate:
        d = obj(raw)
        span = d.get("cost_us_range")
        return cls(irq=int(d["irq_num"]), num_interrupts_per_cpu=ints(d["num_interrupts_per_cpu"]),
                   num_interrupts=int(d["num_interrupts"]),
                   rate_per_second=float(d["rate_per_second"]),
                   cpu_seconds=float_or_none(d.get("cpu_seconds")),
                   cost_us_per_interrupt=float_or_none(d.get("cost_us_per_interrupt")),
                   cost_source=str(d.get("cost_source") or "none"),
                   cost_us_range=(float(span[0]), float(span[1])) if span else None, raw=raw)


@dataclass(frozen=True)
class HostCost(Model):
    """How a window's costs were found (GET /interrupts/irqs `cost`)."""

    sources: dict[str, int]  # cost source -> IRQs it covers
    accounted: tuple[str, ...]  # /proc/stat fields holding IRQ time: "irq", "softirq"
    estimate_windows: int  # history windows behind the estimates
    unidentified: tuple[int, ...]  # IRQs history cannot separate from their neighbours
    base_seconds_per_cpu: tuple[float, ...]  # irq + softirq time no estimated IRQ explains
    note: str  # in a sentence

    @classmethod
    def from_json(cls, raw: Json) -> HostCost:
        d = obj(raw)
        return cls(sources={str(k): int(v) for k, v in obj(d.get("sources") or {}).items()},
                   accounted=strs(d.get("accounted") or ()),
                   estimate_windows=int(d.get("estimate_windows") or 0),
                   unidentified=ints(d.get("unidentified") or ()),
                   base_seconds_per_cpu=floats(d.get("base_seconds_per_cpu") or ()),
                   note=str(d.get("note") or ""), raw=raw)


NO_COST = HostCost(sources={}, accounted=(), estimate_windows=0, unidentified=(),
                   base_seconds_per_cpu=(), note="the server reports no IRQ costs")


@dataclass(frozen=True)
class IrqWindow(Model):
    span: Span  # the window covered
    cpus: tuple[int, ...]  # CPU ids
    irqs: tuple[IrqRate, ...]  # every numbered IRQ
    cost: HostCost = NO_COST  # how the IRQs' costs were found (NO_COST: an older server)

    @classmethod
    def from_json(cls, raw: Json) -> IrqWindow:
        d = obj(raw)
        return cls(span=Span.from_json(raw), cpus=ints(d["cpus"]),
                   irqs=tuple(IrqRate.from_json(i) for i in d["irqs"]),
                   cost=HostCost.from_json(d["cost"]) if d.get("cost") else NO_COST, raw=raw)


@dataclass(frozen=True)
class SoftirqRate(Model):
    name: str  # softirq kind: "NET_RX", "TIMER", ...
    num_softirqs_per_cpu: tuple[int, ...]  # per CPU over the window, aligned with cpus
    num_softirqs: int  # all CPUs over the window
    rate_per_second: float  # num_softirqs / window length

    @classmethod
    def from_json(cls, raw: Json) -> SoftirqRate:
        d = obj(raw)
        return cls(name=str(d["name"]), num_softirqs_per_cpu=ints(d["num_softirqs_per_cpu"]),
                   num_softirqs=int(d["num_softirqs"]),
                   rate_per_second=float(d["rate_per_second"]), raw=raw)


@dataclass(frozen=True)
class SoftirqWindow(Model):
    span: Span  # the window covered
    cpus: tuple[int, ...]  # CPU ids
    softirqs: tuple[SoftirqRate, ...]  # every softirq kind

    @classmethod
    def from_json(cls, raw: Json) -> SoftirqWindow:
        d = obj(raw)
        return cls(span=Span.from_json(raw), cpus=ints(d["cpus"]),
                   softirqs=tuple(SoftirqRate.from_json(s) for s in d["softirqs"]), raw=raw)


@dataclass(frozen=True)
class History(Model):
    tiers: str  # retention, "1s:1h,10s:1d,..."
    interval_seconds: float  # sampling interval
    samples: int  # stored samples
    oldest: datetime | None  # oldest sample (None: none yet)
    newest: datetime | None  # newest sample
    store_bytes: int  # size on disk

    @classmethod
    def from_json(cls, raw: Json) -> History:
        d = obj(raw)
        return cls(tiers=str(d["tiers"]), interval_seconds=float(d["interval_seconds"]),
                   samples=int(d["samples"]), oldest=instant(d["oldest"]),
                   newest=instant(d["newest"]), store_bytes=int(d["store_bytes"]), raw=raw)
