"""GET /healthz and /readyz of an irq-server."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from irq_client.models.base import Json, Model, instant, obj, strs


@dataclass(frozen=True)
class Sampler(Model):
    last_sample: datetime | None  # newest stored sample (UTC); None before the first
    interval_seconds: float  # sampling interval
    stale: bool  # no sample for over 3 intervals

    @classmethod
    def from_json(cls, raw: Json) -> Sampler:
        d = obj(raw)
        return cls(last_sample=instant(d["last_sample"]),
                   interval_seconds=float(d["interval_seconds"]), stale=bool(d["stale"]),
                   raw=raw)


@dataclass(frozen=True)
class Health(Model):
    status: str  # "ok", or "degraded" (see reasons)
    version: str  # server version
    simulated: bool  # serving a simulated host
    sampler: Sampler  # history sampler state
    reasons: tuple[str, ...]  # why the server is degraded, in words
    reason: str | None  # the first cause: "disk full", "history unreadable", ...

    @classmethod
    def from_json(cls, raw: Json) -> Health:
        d = obj(raw)
        return cls(status=str(d["status"]), version=str(d["version"]),
                   simulated=bool(d["simulated"]), sampler=Sampler.from_json(d["sampler"]),
                   reasons=strs(d["reasons"]), reason=d["reason"], raw=raw)
