"""Isolation compliance: which IRQs are routed to CPUs that some policy keeps IRQs off
(isolated, nohz_full, irqbalance's ban list, outside default_smp_affinity), and whether
each can be moved. Pure: it reads what Host has already read."""
from __future__ import annotations

from dataclasses import dataclass

from irq_server.procfs.masks import format_cpu_list
from irq_server.types import Interrupts, IrqSettings

MANAGED = ("managed by the kernel: affinity writes are refused; only booting with "
           "isolcpus=managed_irq,{cpus} keeps it off these CPUs")
MOVABLE = "movable: irq-balance plan moves it off, or PUT /irqs/{irq}/cpu_affinity"


@dataclass(frozen=True)
class Violation:
    irq: int
    device: str  # its handlers
    cpus: tuple[int, ...]  # the banned CPUs it is routed to
    reasons: tuple[str, ...]  # why those CPUs are banned
    effective: tuple[int, ...]  # where it is routed (effective affinity, else its mask)
    movable: bool
    why: str


def violations(interrupts: Interrupts, settings: dict[int, IrqSettings],
               bans: dict[int, tuple[str, ...]]) -> list[Violation]:
    """Every numbered IRQ whose effective affinity touches a banned CPU (`bans`: Host.bans()),
    by IRQ number."""
    banned_list = format_cpu_list(bans)
    found = []
    for row in interrupts.rows:
        s = settings.get(row.irq) if row.irq is not None else None
        if s is None:
            continue
        routed = s.effective_affinity_list or s.smp_affinity_list or ()
        touched = tuple(sorted(set(routed) & bans.keys()))
        if not touched:
            continue
        movable = not s.managed
        found.append(Violation(
            irq=s.irq, device=", ".join(row.actions or s.actions or ()), cpus=touched,
            reasons=tuple(dict.fromkeys(r for c in touched for r in bans[c])),
            effective=tuple(routed), movable=movable,
            why=MOVABLE.format(irq=s.irq) if movable else MANAGED.format(cpus=banned_list)))
    return sorted(found, key=lambda v: v.irq)


def movable_count(found: list[Violation]) -> int:
    """How many of `found` could be moved off (the rest are kernel-managed)."""
    return sum(v.movable for v in found)
