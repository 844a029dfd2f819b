"""GET /interrupts, /interrupts/cpu/<cpu>, /interrupts/irqs: counts over a time window;
GET /history: what the store keeps."""
from __future__ import annotations

import numpy as np

from irq_server.api.blueprint import Blueprint, json_response, path_param
from irq_server.api.builders import irq_rates, irq_rows, per_cpu, row_rates, span, window_of
from irq_server.api.schemas.windows import (CpuWindowSchema, HistorySchema, IrqWindowListSchema,
                                            IrqWindowQuery, SoftirqWindowListSchema, WindowQuery,
                                            WindowSchema)
from irq_server.api.state import state
from irq_server.api.timefmt import iso
from irq_server.api.window_cache import window_route
from irq_server.cost.history_fit import cpu_seconds
from irq_server.cost.tiers import SOURCES, IrqCost, WindowCosts, window_costs
from irq_server.errors import NotFound
from irq_server.history.snapshot import SOFTIRQ_PREFIX
from irq_server.history.tiers import format_tiers
from irq_server.history.window import Windows
from irq_server.procfs import format_cpu_list

blp = Blueprint("interrupts", __name__, description="Interrupt counts over time windows")
CPU_PARAM = path_param("cpu", "CPU id")


@window_route(blp, "/interrupts", WindowQuery, WindowSchema)
def interrupts(args):
    """Interrupts per CPU over a window (all numbered IRQs)."""
    window = window_of(args)
    counts = per_cpu(window)
    total = sum(counts)
    return json_response({
        "num_interrupts_per_cpu": counts,
        "percent_interrupts_per_cpu": [round(100.0 * v / total, 3) if total else 0.0
                                       for v in counts],
        "num_interrupts_all_cpus": total, "num_cpus": len(window.cpus),
        "cpus": list(window.cpus), **span(window),
        "irq_seconds_per_cpu": _seconds(window, "irq"),
        "softirq_seconds_per_cpu": _seconds(window, "softirq")})


def _seconds(window, field: str) -> list[float]:
    return [round(s, 3) for s in cpu_seconds(window, field).tolist()]


@window_route(blp, "/interrupts/cpu/<cpu>", WindowQuery, CpuWindowSchema, parameters=CPU_PARAM)
def interrupts_cpu(args, cpu):
    """Interrupts of one CPU over a window."""
    window = window_of(args)
    if not (cpu.isascii() and cpu.isdigit()) or int(cpu) not in window.cpus:
        raise NotFound(f"CPU {cpu} is not on this host (CPUs "
                       f"{format_cpu_list(window.cpus)})", field="cpu")
    counts = per_cpu(window)
    total = sum(counts)
    count = counts[window.cpus.index(int(cpu))]
    return json_response({
        "cpu_num": int(cpu), "num_interrupts": count,
        "percent_interrupts": round(100.0 * count / total, 3) if total else 0.0,
        "num_interrupts_all_cpus": total, "num_cpus": len(window.cpus), **span(window)})


@window_route(blp, "/interrupts/irqs", IrqWindowQuery, IrqWindowListSchema)
def interrupts_irqs(args):
    """Per-IRQ per-CPU counts, rates and CPU time over a window: what a balancer needs
    (`top`: only the busiest, for a view of a large host). Each IRQ's cost says which tier
    measured it: `thread` (its handler thread's CPU time), `estimate` (fitted over history,
    with a range) or `none` (counts only); `cost` says it for the host."""
    window = window_of(args)
    rows = irq_rows(window)
    costs = window_costs(window, rows, state().estimates.get())
    picked = list(range(len(rows)))
    if args.get("top") and rows:
        totals = window.counts[rows].sum(axis=1)
        picked = np.argsort(-totals.astype(np.float64), kind="stable")[:args["top"]].tolist()
    irqs = irq_rates(window, [rows[i] for i in picked])
    for entry, i in zip(irqs, picked):
        entry.update(cost_json(costs.irqs[i]))
    return json_response({**span(window), "cpus": list(window.cpus), "irqs": irqs,
                          "cost": host_cost_json(costs)})


def cost_json(cost: IrqCost) -> dict:
    return {"cpu_seconds": cost.cpu_seconds, "cost_us_per_interrupt": cost.cost_us,
            "cost_source": cost.source,
            "cost_us_range": list(cost.range_us) if cost.range_us else None}


def host_cost_json(costs: WindowCosts) -> dict:
    sources = [c.source for c in costs.irqs]
    return {"sources": {s: sources.count(s) for s in SOURCES},
            "accounted": list(costs.accounted), "estimate_windows": costs.windows,
            "unidentified": list(costs.unidentified),
            "base_seconds_per_cpu": costs.base_seconds, "note": costs.note}


@window_route(blp, "/softirqs", WindowQuery, SoftirqWindowListSchema)
def softirqs(args):
    """Per-softirq per-CPU counts and rates over a window (/proc/softirqs, as sampled)."""
    window = window_of(args)
    rows = [i for i, key in enumerate(window.keys) if key.startswith(SOFTIRQ_PREFIX)]
    softirqs = row_rates(window, rows, "name", "num_softirqs_per_cpu", "num_softirqs")
    for entry in softirqs:
        entry["name"] = entry["name"][len(SOFTIRQ_PREFIX):]
    return json_response({**span(window), "cpus": list(window.cpus), "softirqs": softirqs})


@blp.route("/history")
@blp.response(200, HistorySchema)
def history():
    """Retention tiers, oldest and newest sample, sample count and store size."""
    return json_response(history_state())


def history_state() -> dict:
    windows: Windows = state().windows
    store = windows.store
    stats = store.stats() if store.exists() else {"samples": 0, "oldest": None, "newest": None,
                                                 "store_bytes": 0}
    return {"tiers": format_tiers(store.tiers), "interval_seconds": windows.interval,
            "samples": stats["samples"], "oldest": iso(stats["oldest"]),
            "newest": iso(stats["newest"]), "store_bytes": stats["store_bytes"]}
