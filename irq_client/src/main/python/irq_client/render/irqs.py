"""The lsirq-style views of IRQs and CPUs: the IRQ table and its columns, softirqs, one IRQ,
the CPU table, affinity, and the interrupt windows."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from irq_client.models import (Affinity, Cpu, CpuWindow, InterruptWindow, Irq, IrqList, IrqRate,
                               IrqWindow, OtherRow, SoftirqWindow, Span)
from irq_client.render.text import cpu_list, dash, fields, pair_lines, table, yes_no


def irq_name(irq: Irq) -> str:
    """What lsirq prints in NAME: chip, hwirq-flow, handlers."""
    hw = f"{irq.hwirq}-{irq.trigger}" if irq.hwirq is not None and irq.trigger else (
        irq.trigger or "")
    return "  ".join(x for x in (irq.chip or "", hw, irq.device_name) if x)


@dataclass(frozen=True)
class IrqRow:
    """One line of the lsirq/irqtop table."""

    irq: str  # "24", or a named row: "LOC", "NMI"
    total: int  # interrupts since boot on the counted CPUs
    delta: int | None  # interrupts over the window (None without one)
    per_cpu: tuple[int, ...]  # counts on the counted CPUs (empty for ERR-like rows)
    name: str  # chip, hwirq-flow and handlers, or the row's description
    node: int | None = None  # device's NUMA node
    affinity: tuple[int, ...] | None = None  # CPUs of smp_affinity
    effective: tuple[int, ...] | None = None  # CPUs it really lands on
    managed: bool | None = None  # kernel-managed affinity
    cost_us: float | None = None  # CPU time per interrupt over the window, microseconds
    cost_range: tuple[float, float] | None = None  # an estimate's range
    cpu_seconds: float | None = None  # CPU time over the window (on the counted CPUs)


def irq_rows(listing: IrqList, window: IrqWindow | None = None,
             cpus: frozenset[int] | None = None) -> list[IrqRow]:
    """One row per IRQ and per other row (LOC, NMI...), counts limited to `cpus`."""
    pick = [i for i, c in enumerate(listing.cpus) if cpus is None or c in cpus]
    deltas: dict[int, int] = {}
    rates: dict[int, IrqRate] = {}
    if window is not None:
        wpick = [i for i, c in enumerate(window.cpus) if cpus is None or c in cpus]
        deltas = {r.irq: sum(r.num_interrupts_per_cpu[i] for i in wpick) for r in window.irqs}
        rates = {r.irq: r for r in window.irqs}
    rows = []
    for irq in listing.irqs:
        per_cpu = tuple(irq.num_interrupts_per_cpu[i] for i in pick)
        rate = rates.get(irq.irq)
        seconds = None
        if rate is not None and rate.cpu_seconds is not None:  # the counted CPUs' part
            share = deltas[irq.irq] / rate.num_interrupts if rate.num_interrupts else 1.0
            seconds = rate.cpu_seconds * share
        rows.append(IrqRow(str(irq.irq), sum(per_cpu), deltas.get(irq.irq) if window else None,
                           per_cpu, irq_name(irq), irq.node, irq.cpu_affinity_list,
                           irq.effective_affinity_list, irq.managed,
                           rate.cost_us_per_interrupt if rate else None,
                           rate.cost_us_range if rate else None, seconds))
    for other in listing.other:
        rows.append(_other_row(other, pick))
    return rows


def _other_row(other: OtherRow, pick: list[int]) -> IrqRow:
    if other.num_interrupts_per_cpu is None:
        return IrqRow(other.name, other.total, None, (), other.description or "")
    per_cpu = tuple(other.num_interrupts_per_cpu[i] for i in pick)
    return IrqRow(other.name, sum(per_cpu), None, per_cpu, other.description or "")


# -o/--output columns: name -> (right-aligned, cell of a row)
COLUMNS: dict[str, tuple[bool, Callable[[IrqRow], object]]] = {
    "IRQ": (True, lambda r: r.irq),
    "TOTAL": (True, lambda r: r.total),
    "DELTA": (True, lambda r: dash(r.delta)),
    "NODE": (True, lambda r: dash(r.node)),
    "AFFINITY": (False, lambda r: cpu_list(r.affinity)),
    "EFFECTIVE": (False, lambda r: cpu_list(r.effective)),
    "MANAGED": (False, lambda r: yes_no(r.managed)),
    "COST": (True, lambda r: cost_text(r.cost_us, r.cost_range)),
    "CPUTIME": (True, lambda r: "-" if r.cpu_seconds is None else f"{r.cpu_seconds:.3f}s"),
    "NAME": (False, lambda r: r.name),
}
WINDOW_COLUMNS = ("DELTA", "COST", "CPUTIME")  # what needs a window of the server's history


def cost_text(cost_us: float | None, cost_range: tuple[float, float] | None = None) -> str:
    """ "31.2us" measured, "31.2us±0.4" estimated (half its range), "-" unknown."""
    if cost_us is None:
        return "-"
    text = f"{cost_us:.1f}us" if cost_us >= 0.1 else f"{cost_us:.2f}us"
    if cost_range is not None:
        text += f"±{(cost_range[1] - cost_range[0]) / 2:.1f}"
    return text
DEFAULT_COLUMNS = ("IRQ", "TOTAL", "NAME")

# -s/--sort keys: name -> key of a row (each orders its own kind of value)
SORT_KEYS: dict[str, Callable[[IrqRow], Any]] = {
    "irq": lambda r: (not r.irq.isdigit(), int(r.irq) if r.irq.isdigit() else 0, r.irq),
    "total": lambda r: -r.total,
    "delta": lambda r: -(r.delta or 0),
    "cputime": lambda r: -(r.cpu_seconds or 0.0),
    "name": lambda r: r.name.lower(),
}


def parse_columns(text: str) -> tuple[str, ...]:
    """ "irq,total,node" -> ("IRQ", "TOTAL", "NODE"); ValueError names the unknown ones.
    A leading "+" adds to the default columns, as util-linux's -o does."""
    extend = text.startswith("+")
    names = tuple(n.strip().upper() for n in text.lstrip("+").split(",") if n.strip())
    unknown = [n for n in names if n not in COLUMNS]
    if unknown or not names:
        raise ValueError(f"unknown column {', '.join(unknown) or '(none)'}; columns: "
                         f"{','.join(COLUMNS)}")
    return DEFAULT_COLUMNS[:-1] + names + DEFAULT_COLUMNS[-1:] if extend else names


def sorted_rows(rows: Sequence[IrqRow], sort: str, threshold: int | None = None) -> list[IrqRow]:
    """`rows` whose TOTAL is above `threshold` (all without one), in `sort` order."""
    return sorted((r for r in rows if threshold is None or r.total > threshold),
                  key=SORT_KEYS[sort])


def irq_table(rows: Sequence[IrqRow], *, sort: str, columns: Sequence[str] = DEFAULT_COLUMNS,
              shown_cpus: Sequence[int] | None = None, threshold: int | None = None,
              headings: bool = True, pairs: bool = False,
              cpu_index: Sequence[int] | None = None) -> str:
    """The lsirq/irqtop table of `columns` (CPUn columns before NAME with `shown_cpus`); with a
    threshold, only the rows whose TOTAL is above it; `pairs` prints KEY="value" lines.
    `cpu_index` says where each shown CPU's count sits in a row's per_cpu (default: in
    order, all of them)."""
    ordered = sorted_rows(rows, sort, threshold)
    cut = columns.index("NAME") if "NAME" in columns else len(columns)
    cpu_headers = [f"CPU{c}" for c in shown_cpus or ()]
    headers = list(columns[:cut]) + cpu_headers + list(columns[cut:])
    body = []
    for row in ordered:
        counts: list[object] = list(row.per_cpu) if cpu_index is None else \
            [row.per_cpu[i] for i in cpu_index] if row.per_cpu else []
        cpu_cells = (counts or ["-"] * len(cpu_headers)) if cpu_headers else []
        cells = [COLUMNS[c][1](row) for c in columns]
        body.append(cells[:cut] + cpu_cells + cells[cut:])
    if pairs:
        return pair_lines(headers, body)
    right = [h for h in headers if h.startswith("CPU") or COLUMNS.get(h, (True,))[0]]
    return table(headers, body, right=right, headings=headings)


def softirq_table(window: SoftirqWindow, *, shown_cpus: Sequence[int] | None = None,
                  cpus: frozenset[int] | None = None, headings: bool = True,
                  pairs: bool = False) -> str:
    """lsirq -S: one row per softirq kind, counts over the window on the counted CPUs."""
    pick = [i for i, c in enumerate(window.cpus) if cpus is None or c in cpus]
    seconds = window.span.period_duration_seconds
    headers = ["SOFTIRQ", "DELTA", "RATE/S"] + [f"CPU{c}" for c in shown_cpus or ()]
    body: list[list[object]] = []
    for s in sorted(window.softirqs, key=lambda s: -s.num_softirqs):
        counted = [s.num_softirqs_per_cpu[i] for i in pick]
        rate = sum(counted) / seconds if seconds > 0 else 0.0
        body.append([s.name, sum(counted), f"{rate:.1f}"] + (counted if shown_cpus else []))
    if pairs:
        return pair_lines(headers, body)
    return table(headers, body, right=headers[1:], headings=headings)


def irq_detail(irq: Irq) -> str:
    """irq-client irq N: one IRQ, a field a line."""
    return fields([
        ("IRQ", irq.irq), ("name", irq_name(irq)), ("total", irq.total),
        ("per CPU", " ".join(map(str, irq.num_interrupts_per_cpu))),
        ("affinity", f"{irq.cpu_affinity} (CPUs {cpu_list(irq.cpu_affinity_list)})"),
        ("effective", cpu_list(irq.effective_affinity_list)),
        ("hint", cpu_list(irq.affinity_hint)), ("node", dash(irq.node)),
        ("managed", yes_no(irq.managed, "unknown"))])


def cpus_table(cpus: Sequence[Cpu]) -> str:
    rows = [[c.cpu, yes_no(c.online), dash(c.node), dash(c.package), dash(c.core),
             cpu_list(c.cache_cpus), yes_no(c.isolated), yes_no(c.nohz_full),
             ",".join(c.banned) or "-"] for c in cpus]
    headers = ["CPU", "ONLINE", "NODE", "PACKAGE", "CORE", "CACHE-CPUS", "ISOLATED", "NOHZ",
               "BANNED"]
    return table(headers, rows, right=["CPU", "NODE", "PACKAGE", "CORE"])


def affinity_line(state: Affinity) -> str:
    changed = {True: " (changed)", False: " (unchanged)", None: ""}[state.changed]
    return (f"IRQ {state.irq}: mask {state.cpu_affinity}, CPUs "
            f"{cpu_list(state.cpu_affinity_list)}, effective "
            f"{cpu_list(state.effective_affinity_list)}, managed "
            f"{yes_no(state.managed, 'unknown')}{changed}")


def span_text(span: Span) -> str:
    """ " from 2026-11-23 08:00:00 to 08:01:00 UTC (60 s)", noting a short history."""
    note = " (history is shorter than asked)" if span.partial else ""
    return (f" from {span.start:%Y-%m-%d %H:%M:%S} to {span.end:%H:%M:%S} UTC "
            f"({span.period_duration_seconds:g} s){note}")


def interrupts_table(win: InterruptWindow) -> str:
    """irq-client interrupts: interrupts and share per CPU, then the total and the span."""
    rows = [[c, n, f"{p:.1f}"] for c, n, p in zip(win.cpus, win.num_interrupts_per_cpu,
                                                  win.percent_interrupts_per_cpu)]
    return (table(["CPU", "INTERRUPTS", "PERCENT"], rows,
                  right=["CPU", "INTERRUPTS", "PERCENT"])
            + f"\ntotal {win.num_interrupts_all_cpus}{span_text(win.span)}")


def cpu_window_line(cpu: CpuWindow) -> str:
    return (f"CPU {cpu.cpu}: {cpu.num_interrupts} interrupts, {cpu.percent_interrupts:.1f}% "
            f"of {cpu.num_interrupts_all_cpus}{span_text(cpu.span)}")


def per_irq_table(win: IrqWindow, names: Mapping[int, str], cpu: int | None = None) -> str:
    """irq-client interrupts --per-irq: one row per IRQ, busiest first (counts on `cpu`
    only when given: it must be one of the window's)."""
    col = None if cpu is None else win.cpus.index(cpu)
    rows = []
    for r in sorted(win.irqs, key=lambda r: -r.num_interrupts):
        count = r.num_interrupts if col is None else r.num_interrupts_per_cpu[col]
        rows.append([r.irq, count, f"{r.rate_per_second:.1f}", names.get(r.irq, "")])
    return (table(["IRQ", "INTERRUPTS", "RATE/S", "NAME"], rows,
                  right=["IRQ", "INTERRUPTS", "RATE/S"]) + "\n" + span_text(win.span).strip())


def cpu_shares(window: IrqWindow, cpus: frozenset[int] | None = None) -> dict[int, float]:
    """Each counted CPU's share (percent) of the interrupts of the window."""
    pick = [(i, c) for i, c in enumerate(window.cpus) if cpus is None or c in cpus]
    per_cpu = [sum(r.num_interrupts_per_cpu[i] for r in window.irqs) for i, _ in pick]
    total = sum(per_cpu) or 1
    return {c: 100.0 * v / total for (_, c), v in zip(pick, per_cpu)}


def cpu_share_row(window: IrqWindow, cpus: frozenset[int] | None = None) -> str:
    """irqtop's per-CPU line: each CPU's share of the interrupts in the window."""
    return "  ".join(f"cpu{c} {share:5.1f}%" for c, share in cpu_shares(window, cpus).items())


def unknown_cpus(asked: frozenset[int] | None, host: Sequence[int]) -> str | None:
    """The error for CPUs of `asked` the host does not have (None when all are there)."""
    missing = sorted(set(asked or ()) - set(host))
    if not missing:
        return None
    what = f"CPU {missing[0]} is" if len(missing) == 1 else f"CPUs {cpu_list(missing)} are"
    return f"{what} not on this host (CPUs {cpu_list(host)})"
