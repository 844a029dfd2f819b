"""Reading one host through irq_client into planner inputs (the only I/O before planning)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from irq_client import IrqClient, NotFound, Window
from irq_client.models import Irqbalance, Span
from irqbalance.types import CpuSpec, IrqLoad

_QUEUE_RE = re.compile(r"\d+(?=(@|$))")  # the queue number in "eth0-TxRx-3", "nvme0q3", "mlx5_comp3@pci"


def device_of(name: str) -> str:
    """Queue family of a handler name: "eth0-TxRx-3" -> "eth0-TxRx-", "nvme0q12" -> "nvme0q"."""
    first = name.split(",")[0].strip()
    return _QUEUE_RE.sub("", first, count=1) if _QUEUE_RE.search(first) else ""


def topology(client: IrqClient) -> list[CpuSpec]:
    return [CpuSpec(cpu=c.cpu, node=c.node, core=(c.package, c.core) if c.core is not None
                    else None, isolated=c.isolated, nohz_full=c.nohz_full, online=c.online,
                    banned_by=tuple(r for r in c.banned if r not in ("isolated", "nohz_full")))
            for c in client.cpus()]


@dataclass(frozen=True)
class Measured:
    loads: list[IrqLoad]
    span: Span  # the window covered
    settling: bool = False  # no sample follows `since` yet: nothing to measure
    base_seconds: dict[int, float] = field(default_factory=dict)  # CPU -> irq + softirq
    #                                      seconds over the window that no IRQ explains
    cost_note: str = ""  # how the server found the costs, or why it has none


def now_on(effective: tuple[int, ...] | None, per_cpu: dict[int, float]) -> dict[int, float]:
    """Where an IRQ's rate lands from now on. The window may still hold its interrupts from
    before a move (another run's apply or rollback, another tool's write): when some landed
    outside the CPUs it is delivered to now, its whole rate is put there (split evenly)."""
    if not effective or not per_cpu or set(per_cpu) <= set(effective):
        return per_cpu
    total = sum(per_cpu.values())
    return {cpu: total / len(effective) for cpu in effective}


def irqbalance(client: IrqClient) -> Irqbalance | None:
    """The host's irqbalance daemon; None from a server too old to say (no GET /host)."""
    try:
        return client.host().irqbalance
    except NotFound:
        return None


def loads(client: IrqClient, period: float, since: datetime | None = None) -> Measured:
    """Per-IRQ rates over the last `period` seconds, but from `since` on when that is later
    (the window is then shorter), with affinity, node and managed flags, what an interrupt
    costs where the server knows, and each CPU's base load."""
    listing = client.irqs()
    window = client.interrupts_irqs(Window(period=period))
    if since is not None and window.span.start < since:
        if since >= window.span.end:
            return Measured([], window.span, settling=True)
        window = client.interrupts_irqs(Window(start=since))
        if window.span.period_duration_seconds <= 0:
            return Measured([], window.span, settling=True)
    seconds = max(window.span.period_duration_seconds, 1e-9)
    meta = {irq.irq: irq for irq in listing.irqs}
    result = []
    for rate in window.irqs:
        irq = meta.get(rate.irq)
        if irq is None:  # appeared after the listing: next run will see it
            continue
        per_cpu = now_on(irq.effective_affinity_list, {
            cpu: count / seconds for cpu, count in zip(window.cpus, rate.num_interrupts_per_cpu)
            if count})
        result.append(IrqLoad(irq=irq.irq, rate=rate.num_interrupts / seconds, per_cpu=per_cpu,
                              cpus=irq.cpu_affinity_list or (), node=irq.node,
                              managed=bool(irq.managed), device=device_of(irq.device_name),
                              name=irq.device_name, cost_us=rate.cost_us_per_interrupt,
                              cost_source=rate.cost_source))
    base = dict(zip(window.cpus, window.cost.base_seconds_per_cpu))
    return Measured(result, window.span, base_seconds=base, cost_note=window.cost.note)
