"""GET /affinity/changes: the server's audit log of affinity writes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from irq_client.models.base import Items, Json, Model, ints, obj, required_instant, seq


@dataclass(frozen=True)
class AffinityChange(Model):
    id: int  # increasing with every change the server's log keeps
    time: datetime  # when the write happened
    irq: int
    old_mask: str  # smp_affinity before
    old_cpus: tuple[int, ...]
    new_mask: str  # what the kernel held after
    new_cpus: tuple[int, ...]
    who: str  # "token:<name>", "user:<name>", or "-" (an open server)
    reason: str | None  # what the caller sent with the write

    @classmethod
    def from_json(cls, raw: Json) -> AffinityChange:
        d = obj(raw)
        old, new = obj(d["old"]), obj(d["new"])
        reason = d["reason"]
        return cls(id=int(d["id"]), time=required_instant(d["time"]), irq=int(d["irq"]),
                   old_mask=str(old["cpu_affinity"]), old_cpus=ints(old["cpu_affinity_list"]),
                   new_mask=str(new["cpu_affinity"]), new_cpus=ints(new["cpu_affinity_list"]),
                   who=str(d["who"]), reason=None if reason is None else str(reason), raw=raw)


class ChangeList(Items[AffinityChange]):
    """The changes of a window, oldest first; `truncated`: the oldest were left out."""

    truncated: bool

    @classmethod
    def from_json(cls, raw: Json) -> ChangeList:
        d = obj(raw)
        found = cls((AffinityChange.from_json(c) for c in seq(d["changes"])), raw=raw)
        found.truncated = bool(d["truncated"])
        return found
