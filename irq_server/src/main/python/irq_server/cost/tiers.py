"""Each IRQ's cost in a window, from the best tier the host offers:

- thread: the IRQ's handler thread's CPU time over the window (kernels that run every
  handler in a thread: procfs.irq_threads), to a USER_HZ tick (the range says what a tick
  either way does to the cost; under one tick the cost is not known), plus its primary
  handler's: each CPU's hardirq time shared by count among the threaded IRQs that fired there;
- estimate: the cost per interrupt fitted over history (cost.history_fit) x the window's
  interrupts, with a range of two standard errors either side;
- none: the host accounts no IRQ time (/proc/stat irq and softirq stay 0), no fit exists
  yet, or history cannot separate the IRQ from its neighbours: counts are all there is.

Also what no IRQ explains: per CPU, its irq + softirq time minus the IRQs' time found above
(timers, RCU, softirqs no IRQ raised).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from irq_server.cost.history_fit import Estimate, cpu_seconds
from irq_server.types import USER_HZ, Window

THREAD, ESTIMATE, NONE = "thread", "estimate", "none"
SOURCES = (THREAD, ESTIMATE, NONE)  # what an IRQ's cost_source may be, best first


@dataclass(frozen=True)
class IrqCost:
    source: str  # THREAD, ESTIMATE or NONE
    cpu_seconds: float | None  # over the window
    cost_us: float | None  # per interrupt, microseconds
    range_us: tuple[float, float] | None = None  # estimates: two standard errors either side


@dataclass(frozen=True)
class WindowCosts:
    irqs: list[IrqCost]  # aligned with the window's IRQ rows
    base_seconds: list[float]  # per CPU: irq + softirq time no estimated IRQ explains
    accounted: tuple[str, ...]  # /proc/stat fields holding IRQ time ("irq", "softirq")
    windows: int  # history windows behind the estimates (0: none)
    unidentified: tuple[int, ...]  # IRQs history cannot separate from their neighbours
    note: str  # the tier, in a sentence


def window_costs(window: Window, rows: list[int], estimate: Estimate | None) -> WindowCosts:
    """Costs of the IRQ rows `rows` of `window` (see the module docstring)."""
    irq_time = cpu_seconds(window, "irq")
    soft_time = cpu_seconds(window, "softirq")
    accounted = tuple(f for f, t in (("irq", irq_time), ("softirq", soft_time)) if t.sum() > 0)
    if estimate is not None and estimate.accounted:
        accounted = tuple(sorted(set(accounted) | set(estimate.accounted)))
    matrix = window.counts[rows].astype(np.float64)  # [IRQ, CPU]
    totals = matrix.sum(axis=1).tolist()
    threaded = np.array([int(window.keys[r]) in window.thread_ticks for r in rows], dtype=bool)
    # a threaded IRQ's primary handler runs in hardirq: each CPU's irq time, shared by count
    # among the threaded IRQs that fired there
    on_cpu = matrix[threaded].sum(axis=0)
    primary = np.where(threaded[:, None], matrix * np.divide(
        irq_time, on_cpu, out=np.zeros_like(irq_time), where=on_cpu > 0), 0.0)
    fitted_cost = np.zeros(len(rows))  # seconds per interrupt of the estimated IRQs, else 0
    costs: list[IrqCost] = []
    unidentified = []
    for k, (r, count) in enumerate(zip(rows, totals)):
        key = window.keys[r]
        ticks = window.thread_ticks.get(int(key))
        fitted = estimate.costs.get(key, ()) if estimate and accounted else ()
        if ticks is not None:
            costs.append(_thread_cost(ticks, count, float(primary[k].sum())))
        elif fitted is None:  # fitted, but history cannot separate it: no cost known
            costs.append(IrqCost(NONE, None, None))
            unidentified.append(int(key))
        elif fitted:
            cost, error = fitted
            fitted_cost[k] = cost
            costs.append(IrqCost(ESTIMATE, round(cost * count, 6), round(1e6 * cost, 4),
                                 (round(1e6 * max(cost - 2 * error, 0.0), 4),
                                  round(1e6 * (cost + 2 * error), 4))))
        else:
            costs.append(IrqCost(NONE, None, None))
    explained = fitted_cost @ matrix + primary.sum(axis=0)
    base = np.maximum(irq_time + soft_time - explained, 0.0)
    return WindowCosts(irqs=costs, base_seconds=[round(float(b), 6) for b in base],
                       accounted=accounted, windows=estimate.windows if estimate else 0,
                       unidentified=tuple(unidentified),
                       note=_note(costs, accounted, estimate, unidentified))


def _thread_cost(ticks: int, count: float, primary: float) -> IrqCost:
    """Its thread's time plus its primary handler's (`primary` seconds of hardirq). The
    thread's is known to a tick or so (utime and stime are counted in ticks): the range says
    how far that leaves its cost per interrupt; under one tick, it is not known at all."""
    seconds = ticks / USER_HZ + primary
    if not count:
        return IrqCost(THREAD, round(seconds, 6), None)
    per = 1e6 / USER_HZ / count  # one tick, per interrupt, in microseconds
    at = 1e6 * primary / count
    return IrqCost(THREAD, round(seconds, 6), round(ticks * per + at, 4) if ticks else None,
                   (round(max(ticks - 1, 0) * per + at, 4), round((ticks + 1) * per + at, 4)))


def _note(costs: list[IrqCost], accounted: tuple[str, ...], estimate: Estimate | None,
          unidentified: list[int]) -> str:
    sources = {c.source for c in costs}
    if THREAD in sources:
        return ("every IRQ handler runs in a thread (threadirqs): an IRQ's cost is its "
                "thread's CPU time")
    if not accounted:
        return ("this host accounts no IRQ time (/proc/stat irq and softirq stay 0): only "
                "counts are known")
    if estimate is None or not estimate.windows:
        return ("no cost estimate yet: the sampler fits one every 30 s once history holds "
                "windows in which the IRQs' counts varied")
    text = (f"costs estimated from {estimate.windows} windows of history (the IRQ time the "
            "kernel accounts per CPU, fitted over each queue family's interrupts)")
    if accounted == ("softirq",):
        text += ("; this kernel accounts softirq time only (its irq field stays 0): costs "
                 "cover softirq work (NET_RX, BLOCK, ...), hardirq handlers count as free")
    elif accounted == ("irq",):
        text += "; this kernel accounts hardirq time only: softirq work counts as free"
    if unidentified:
        text += (f"; {len(unidentified)} IRQ(s) cannot be separated from their neighbours "
                 "or their CPU's own load yet (no cost: they need to share CPUs differently, "
                 "or to vary)")
    return text
