"""The tracker's routes: POST /api/v1/auth (login), and runs under /api/v1/test."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from irq_client.models.base import Json, Model, instant, ints, obj, required_instant
from irq_client.models.windows import IrqRate, Span


@dataclass(frozen=True)
class Token(Model):
    token: str  # JWT: IrqClient.login sets it as the client's bearer token
    scope: str  # "read" or "write"
    expires_at: datetime  # when it stops working (UTC)

    @classmethod
    def from_json(cls, raw: Json) -> Token:
        d = obj(raw)
        return cls(token=str(d["token"]), scope=str(d["scope"]),
                   expires_at=required_instant(d["expires_at"]), raw=raw)


@dataclass(frozen=True)
class Run(Model):
    id: int  # run id
    name: str  # what the run is called
    description: str | None  # free text (record: the command line)
    threshold: float  # CPU percent
    host: str | None  # hostname the run measured
    active: bool  # not stopped yet
    start_time: datetime  # UTC
    end_time: datetime | None  # None while active
    duration: float  # seconds (to now while active)
    time_above_threshold: float  # seconds with usage above the threshold (sample-and-hold)
    samples: int  # usage samples recorded

    @classmethod
    def from_json(cls, raw: Json) -> Run:
        d = obj(raw)
        return cls(id=int(d["id"]), name=str(d["name"]), description=d["description"],
                   threshold=float(d["threshold"]), host=d["host"], active=bool(d["active"]),
                   start_time=required_instant(d["start_time"]),
                   end_time=instant(d["end_time"]), duration=float(d["duration"]),
                   time_above_threshold=float(d["time_above_threshold"]),
                   samples=int(d["samples"]), raw=raw)


@dataclass(frozen=True)
class RunList(Model):
    runs: tuple[Run, ...]  # newest first
    page: int  # 1-based page number
    per_page: int  # runs per page
    total: int  # the caller's runs in all

    @classmethod
    def from_json(cls, raw: Json) -> RunList:
        d = obj(raw)
        return cls(runs=tuple(Run.from_json(r) for r in d["runs"]), page=int(d["page"]),
                   per_page=int(d["per_page"]), total=int(d["total"]), raw=raw)


@dataclass(frozen=True)
class UsageRecorded(Model):
    id: int  # run id
    above_threshold: bool  # this sample is above the run's threshold
    time_above_threshold: float  # the run's seconds above it so far

    @classmethod
    def from_json(cls, raw: Json) -> UsageRecorded:
        d = obj(raw)
        return cls(id=int(d["id"]), above_threshold=bool(d["above_threshold"]),
                   time_above_threshold=float(d["time_above_threshold"]), raw=raw)


@dataclass(frozen=True)
class RunInterrupts(Model):
    span: Span  # the run's time, as history covers it
    id: int  # run id
    host: str  # the server's host (the run's)
    cpus: tuple[int, ...]  # CPU ids
    num_interrupts_per_cpu: tuple[int, ...]  # during the run
    num_interrupts_all_cpus: int  # their sum
    num_irqs: int  # IRQs that fired during the run
    irqs: tuple[IrqRate, ...]  # the busiest first

    @classmethod
    def from_json(cls, raw: Json) -> RunInterrupts:
        d = obj(raw)
        return cls(span=Span.from_json(raw), id=int(d["id"]), host=str(d["host"]),
                   cpus=ints(d["cpus"]), num_interrupts_per_cpu=ints(d["num_interrupts_per_cpu"]),
                   num_interrupts_all_cpus=int(d["num_interrupts_all_cpus"]),
                   num_irqs=int(d["num_irqs"]), irqs=tuple(IrqRate.from_json(i) for i in d["irqs"]),
                   raw=raw)
