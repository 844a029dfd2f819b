"""GET /cpus: the host's CPU topology."""
from __future__ import annotations

from dataclasses import dataclass

from irq_client.models.base import Items, Json, Model, int_or_none, ints, obj, strs


@dataclass(frozen=True)
class Cpu(Model):
    cpu: int  # logical CPU id
    online: bool  # currently online
    node: int | None  # NUMA node
    package: int | None  # physical package
    core: int | None  # core id inside the package
    cache_cpus: tuple[int, ...]  # CPUs sharing the last-level cache
    isolated: bool  # in the isolated list
    nohz_full: bool  # in the nohz_full list
    banned: tuple[str, ...] = ()  # why no IRQ belongs here: isolated, nohz_full,
    #                               irqbalance-config, default_smp_affinity (older servers: absent)

    @classmethod
    def from_json(cls, raw: Json) -> Cpu:
        d = obj(raw)
        return cls(cpu=int(d["cpu"]), online=bool(d["online"]), node=int_or_none(d["node"]),
                   package=int_or_none(d["package"]), core=int_or_none(d["core"]),
                   cache_cpus=ints(d["cache_cpus"]), isolated=bool(d["isolated"]),
                   nohz_full=bool(d["nohz_full"]), banned=strs(d.get("banned", ())), raw=raw)


def cpu_list(raw: Json) -> Items[Cpu]:
    """The CPUs of a GET /cpus answer ({"cpus": [...]}), keeping the answer."""
    return Items((Cpu.from_json(c) for c in obj(raw)["cpus"]), raw=raw)
