"""The client's own wire types: frozen dataclasses built from the server's JSON, one module
per resource (health, host, cpus, irqs, changes, windows, usage, runs, registry; base holds what they
share).

Counts are ints, instants are timezone-aware datetimes, CPU lists are tuples of ints.

Every model keeps the JSON it was built from in `raw` (left out of ==, hash and repr, as
docker-py's `attrs`), and a method that answers a list returns `Items`, a tuple that keeps the
whole answer in `raw` too: `irq-client --json` prints that, from the one request it made.

Strictness, one rule for every model: **a field has a default in its dataclass if and only if
the server may leave it out of an answer** (Affinity.changed: only a PUT sends it;
CpuUsage.taken_at, .cpu and .per_cpu: only some routes; RegistryEntry.published, .expires and
.authenticated: not older registries). `from_json` reads those with `d.get(name, default)` and
every other field with `d[name]`: a missing one raises KeyError, a value of the wrong shape
TypeError or ValueError, and the answer is not an irq-server's (`survey` and `irq-balance`,
which face unknown hosts, catch exactly these three). A field that may be null is typed
`X | None` and is read strictly too: null is a value the server sends, not an absence.
"""
from irq_client.models.base import Items, ItemsBy, Json, Model
from irq_client.models.changes import AffinityChange, ChangeList
from irq_client.models.cpus import Cpu
from irq_client.models.health import Health, Sampler
from irq_client.models.host import Compliance, HostInfo, Irqbalance, Violation
from irq_client.models.irqs import Affinity, Irq, IrqList, OtherRow
from irq_client.models.registry import (PartitionSummary, RegistryEntry, RegistryHealth,
                                        RegistryState)
from irq_client.models.runs import Run, RunInterrupts, RunList, Token, UsageRecorded
from irq_client.models.usage import (CPU_SHARES, CpuUsage, Current, MemoryPoint, SpaceAverage,
                                     StoragePoint)
from irq_client.models.windows import (CpuWindow, History, HostCost, InterruptWindow, IrqRate,
                                       IrqWindow, SoftirqRate, SoftirqWindow, Span)

__all__ = [
    "Affinity", "AffinityChange", "CPU_SHARES", "ChangeList", "Compliance", "Cpu", "CpuUsage", "CpuWindow", "Current", "Health",
    "History", "HostCost", "HostInfo", "InterruptWindow", "Irq", "IrqList", "IrqRate", "IrqWindow",
    "Irqbalance", "Items", "ItemsBy", "Json",
    "MemoryPoint", "Model", "OtherRow", "PartitionSummary", "RegistryEntry", "RegistryHealth",
    "RegistryState", "Run", "RunInterrupts", "RunList", "Sampler", "SoftirqRate",
    "SoftirqWindow", "Span", "SpaceAverage", "StoragePoint", "Token", "UsageRecorded",
    "Violation",
]
