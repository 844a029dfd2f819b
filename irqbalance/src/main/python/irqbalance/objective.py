"""What the planner balances on a host: interrupt time when the host says what interrupts
cost, counts otherwise (pure).

`time`: an IRQ's load is its rate x its CPU time per interrupt (microseconds per second), a
CPU's load that plus its base load (the irq + softirq time no IRQ explains: timers, RCU),
so the busiest CPU is the one that spends most time in interrupts. `count`: interrupts per
second, as before. `auto` takes time when the IRQs whose cost is known (measured by their
handler threads, or estimated from history) take at least KNOWN_SHARE of the interrupts.
An IRQ without a cost weighs nothing of its own: the server counts its time in its CPU's base
load (what no known cost explains), which is where the plan sees it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from irqbalance.planner import COUNT, TIME
from irqbalance.types import IrqLoad, Move

KNOWN_SHARE = 0.9  # of the interrupts: their IRQs' costs must be known for `auto` to use time
CHOICES = ("auto", TIME, COUNT)


LOAD_UNITS = {TIME: "us/s", COUNT: "/s"}  # what a plan's loads and move rates are in


@dataclass(frozen=True)
class Objective:
    unit: str  # planner.TIME or planner.COUNT
    source: str  # the costs' source ("thread", "estimate", "mixed"); "none" for counts
    why: str  # one line for the report: "objective: time (thread)"
    base: dict[int, float] = field(default_factory=dict)  # CPU -> base load, us/s (time)


def choose(loads: list[IrqLoad], asked: str, base: Mapping[int, float],
           why_none: str = "") -> Objective:
    """The objective for `asked` ("auto", "time", "count") given what the host measured;
    `base`: CPU -> its base load in us/s (base_load). A time objective asked of a host
    without costs is refused (ValueError, with `why_none`: the server's word on it)."""
    total = sum(irq.rate for irq in loads)
    known = [irq for irq in loads if irq.cost_us is not None]
    share = sum(irq.rate for irq in known) / total if total else 0.0
    sources = {irq.cost_source for irq in known}
    source = sources.pop() if len(sources) == 1 else ("mixed" if sources else "none")
    if asked == COUNT:
        return Objective(COUNT, "none", "objective: count (--objective count)")
    if not known:
        if asked == TIME:
            raise ValueError("--objective time: this host reports no IRQ costs ("
                             + (why_none or "no threaded handlers, no accounted IRQ time, or "
                                "no estimate yet") + ")")
        return Objective(COUNT, "none", "objective: count (the host reports no IRQ costs)")
    if asked == "auto" and share < KNOWN_SHARE:
        return Objective(COUNT, "none", f"objective: count (costs known for only "
                         f"{100 * share:.0f}% of the interrupts)")
    return Objective(TIME, source, f"objective: time ({source})", dict(base))


def base_load(base_seconds: Mapping[int, float], seconds: float) -> dict[int, float]:
    """CPU -> base load in us/s, from its seconds over a window of `seconds`."""
    return {cpu: 1e6 * s / seconds for cpu, s in base_seconds.items()} if seconds > 0 else {}


def weighted(loads: list[IrqLoad], objective: Objective) -> list[IrqLoad]:
    """`loads` in the objective's unit: for time, each rate x its cost (us/s)."""
    if objective.unit == COUNT:
        return loads
    result = []
    for irq in loads:
        cost = irq.cost_us or 0.0  # no cost: its time is in its CPU's base load already
        result.append(replace(irq, rate=irq.rate * cost,
                              per_cpu={c: r * cost for c, r in irq.per_cpu.items()}))
    return result


def per_cpu(loads: list[IrqLoad], moves: tuple[Move, ...],
            base: Mapping[int, float] | None = None) -> tuple[dict[int, float], dict[int, float]]:
    """(before, after) load per CPU of `loads` (in their own unit) once `moves` are made: a
    moved IRQ's whole load lands on its new CPU. For the report's second figure."""
    before: dict[int, float] = dict(base or {})
    after: dict[int, float] = dict(base or {})
    moved = {m.irq: m.new_cpus[0] for m in moves}
    for irq in loads:
        for cpu, load in irq.per_cpu.items():
            before[cpu] = before.get(cpu, 0.0) + load
            if irq.irq not in moved:
                after[cpu] = after.get(cpu, 0.0) + load
        if irq.irq in moved:
            after[moved[irq.irq]] = after.get(moved[irq.irq], 0.0) + irq.rate
    return before, after
