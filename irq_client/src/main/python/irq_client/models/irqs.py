"""GET /irqs, /irqs/<irq> and /irqs/<irq>/cpu_affinity (GET and PUT)."""
from __future__ import annotations

from dataclasses import dataclass

from irq_client.models.base import (Json, Model, bool_or_none, int_or_none, ints, ints_or_none, obj,
                                    strs)


@dataclass(frozen=True)
class Irq(Model):
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
    def from_json(cls, raw: Json) -> Irq:
        d = obj(raw)
        return cls(irq=int(d["irq_num"]), irq_type=d["irq_type"],
                   device_name=str(d["device_name"]), cpu_affinity=d["cpu_affinity"],
                   num_interrupts_per_cpu=ints(d["num_interrupts_per_cpu"]),
                   total=int(d["total"]), chip=d["chip"], hwirq=int_or_none(d["hwirq"]),
                   trigger=d["trigger"], actions=strs(d["actions"]),
                   node=int_or_none(d["node"]),
                   cpu_affinity_list=ints_or_none(d["cpu_affinity_list"]),
                   effective_affinity_list=ints_or_none(d["effective_affinity_list"]),
                   affinity_hint=ints_or_none(d["affinity_hint"]),
                   managed=bool_or_none(d["managed"]), raw=raw)


@dataclass(frozen=True)
class OtherRow(Model):
    name: str  # "NMI", "LOC", "ERR", "IPI0"
    description: str | None  # the kernel's text
    num_interrupts_per_cpu: tuple[int, ...] | None  # None for global rows (ERR, MIS)
    total: int  # sum, or the global count

    @classmethod
    def from_json(cls, raw: Json) -> OtherRow:
        d = obj(raw)
        return cls(name=str(d["name"]), description=d["description"],
                   num_interrupts_per_cpu=ints_or_none(d["num_interrupts_per_cpu"]),
                   total=int(d["total"]), raw=raw)


@dataclass(frozen=True)
class IrqList(Model):
    cpus: tuple[int, ...]  # CPU id of each count column
    irqs: tuple[Irq, ...]  # numbered IRQs
    other: tuple[OtherRow, ...]  # NMI/LOC/ERR-like rows
    num_interrupts_per_cpu: tuple[int, ...]  # totals of the numbered IRQs per CPU
    num_interrupts_all_cpus: int  # their sum

    @classmethod
    def from_json(cls, raw: Json) -> IrqList:
        d = obj(raw)
        totals = obj(d["totals"])
        return cls(cpus=ints(d["cpus"]), irqs=tuple(Irq.from_json(i) for i in d["irqs"]),
                   other=tuple(OtherRow.from_json(o) for o in d["other"]),
                   num_interrupts_per_cpu=ints(totals["num_interrupts_per_cpu"]),
                   num_interrupts_all_cpus=int(totals["num_interrupts_all_cpus"]), raw=raw)


@dataclass(frozen=True)
class Affinity(Model):
    irq: int  # IRQ number
    cpu_affinity: str  # mask as the kernel prints it
    cpu_affinity_list: tuple[int, ...]  # CPUs of the mask
    effective_affinity_list: tuple[int, ...] | None  # CPUs it is delivered to
    managed: bool | None  # kernel-managed
    changed: bool | None = None  # on set: whether a write happened (absent from a GET)

    @classmethod
    def from_json(cls, raw: Json) -> Affinity:
        d = obj(raw)
        return cls(irq=int(d["irq_num"]), cpu_affinity=str(d["cpu_affinity"]),
                   cpu_affinity_list=ints(d["cpu_affinity_list"]),
                   effective_affinity_list=ints_or_none(d["effective_affinity_list"]),
                   managed=bool_or_none(d["managed"]), changed=bool_or_none(d.get("changed")),
                   raw=raw)
