"""`irq-client top`'s frame, fitted to a terminal.

A frame is the header, each CPU's share of the window's interrupts (grouped by NUMA node,
wrapped), and the IRQ table. On a terminal of `columns` x `rows` it never has more than
`rows` lines nor a line of more than `columns - 1` characters (the last column stays free: a
character there leaves the cursor waiting to wrap, and clearing to the end of that line
would erase it). What does not fit is left out, least busy first, and said: "hidden: 488 of
505 rows, 3 of 64 CPUs" (hidden_line). Without a terminal (batch mode) nothing is left out.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from irq_client.models import IrqList, IrqWindow
from irq_client.render.irqs import (IrqRow, cpu_share_row, cpu_shares, irq_rows, irq_table,
                                    sorted_rows)
from irq_client.render.text import clip

SHARE_LABEL = "share of interrupts per CPU (not CPU usage)"


@dataclass(frozen=True)
class TopView:
    """What the user asked top to show."""

    sort: str  # a render.SORT_KEYS key
    columns: tuple[str, ...]  # table columns
    cpus: frozenset[int] | None = None  # count only these CPUs (-C)
    per_cpu: bool = False  # a column per CPU
    threshold: int | None = None  # only IRQs with more than this many interrupts
    headings: bool = True  # the table's header line
    pairs: bool = False  # KEY="value" lines instead of a table


def cost_source(window: IrqWindow) -> str:
    """The cost source that covers most IRQs of the window ("none" without costs)."""
    known = {s: n for s, n in window.cost.sources.items() if s != "none" and n}
    return max(known, key=lambda s: known[s]) if known else "none"


def header(listing: IrqList, window: IrqWindow, sort: str) -> str:
    delta = sum(sum(r.num_interrupts_per_cpu) for r in window.irqs)
    return (f"irq-client top | {len(listing.cpus)} CPUs, {len(listing.irqs)} IRQs | "
            f"total: {listing.num_interrupts_all_cpus} delta: {delta} in "
            f"{window.span.period_duration_seconds:g} s | "
            + (f"cost: {source} | " if (source := cost_source(window)) != "none" else "")
            + f"sort: {sort}")


def batch_frame(listing: IrqList, window: IrqWindow, view: TopView) -> str:
    """The whole frame, nothing left out (output that is not a terminal)."""
    shown = [c for c in listing.cpus if view.cpus is None or c in view.cpus]
    table = irq_table(irq_rows(listing, window, view.cpus), sort=view.sort, columns=view.columns,
                      shown_cpus=shown if view.per_cpu else None, threshold=view.threshold,
                      headings=view.headings, pairs=view.pairs)
    return "\n".join([header(listing, window, view.sort),
                      f"{SHARE_LABEL}: {cpu_share_row(window, view.cpus)}", "", table])


def fitted_frame(listing: IrqList, window: IrqWindow, view: TopView,
                 nodes: Mapping[int, int | None], columns: int, rows: int) -> list[str]:
    """The frame's lines for a `columns` x `rows` terminal (see the module docstring);
    `nodes` maps CPU ids to their NUMA node."""
    width = max(1, columns - 1)
    shares = cpu_shares(window, view.cpus)
    lines = [header(listing, window, view.sort),
             f"{SHARE_LABEL}, last {window.span.period_duration_seconds:.3g} s:"]
    cpu_budget = max(1, rows // 3)
    cpu_lines, shown_cpus = _cpu_block(shares, nodes, width, cpu_budget)
    ordered = sorted_rows(irq_rows(listing, window, view.cpus), view.sort, view.threshold)
    room = rows - len(lines) - len(cpu_lines) - 1 - int(view.headings)  # 1: the hidden line
    hidden_cpus = len(shares) - len(shown_cpus)
    if room >= len(ordered) and not hidden_cpus:
        room += 1  # nothing to say hidden: its line holds one more IRQ
    kept = ordered[:max(0, room)]
    table = _fitted_table(kept, listing, view, shown_cpus, shares, width)
    lines += cpu_lines
    if len(kept) < len(ordered) or hidden_cpus:
        lines.append(hidden_line(len(ordered) - len(kept), len(ordered), hidden_cpus,
                                 len(shares)))
    lines += table.splitlines() if kept or view.headings else []
    return [clip(line, width) for line in lines[:max(1, rows)]]


def hidden_line(rows: int, of_rows: int, cpus: int, of_cpus: int) -> str:
    """What a fitted frame leaves out: "hidden: 488 of 505 rows, 3 of 64 CPUs" (rows are the
    table's: IRQs, and NMI, LOC, ... when shown; a part that hides nothing is left out)."""
    parts = [f"{n} of {total} {what}" for n, total, what in
             ((rows, of_rows, "rows"), (cpus, of_cpus, "CPUs")) if n]
    return "hidden: " + ", ".join(parts)


def _cpu_block(shares: Mapping[int, float], nodes: Mapping[int, int | None], width: int,
               budget: int) -> tuple[list[str], list[int]]:
    """Lines of CPU shares grouped by node, at most `budget` of them: the busiest CPUs when
    not all fit. Returns the lines and the CPUs shown."""
    if not shares:
        return [], []
    digits = len(str(max(shares)))
    cell = len("cpu") + digits + len(" 100.0%")
    labels = {cpu: _node_label(nodes.get(cpu)) for cpu in shares}
    prefix = max(len(label) for label in labels.values()) + 1
    per_line = max(1, (width - prefix + 1) // (cell + 1))
    busiest = sorted(shares, key=lambda c: (-shares[c], c))
    shown: list[int] = []
    for cpu in busiest:  # keep adding the next busiest while the block fits
        if _block_lines(shown + [cpu], labels, per_line) > budget:
            break
        shown.append(cpu)
    lines = []
    for label in sorted({labels[c] for c in shown}, key=_label_order):
        group = sorted(c for c in shown if labels[c] == label)
        for start in range(0, len(group), per_line):
            cells = " ".join(f"cpu{c:<{digits}} {shares[c]:5.1f}%"
                             for c in group[start:start + per_line])
            lead = label if start == 0 else ""
            lines.append(f"{lead:<{prefix}}{cells}")
    return lines, sorted(shown)


def _node_label(node: int | None) -> str:
    return "cpus" if node is None else f"node {node}"


def _label_order(label: str) -> tuple[int, str]:
    number = label.rpartition(" ")[2]
    return (int(number), label) if number.isdigit() else (-1, label)


def _block_lines(cpus: Sequence[int], labels: Mapping[int, str], per_line: int) -> int:
    counts: dict[str, int] = {}
    for cpu in cpus:
        counts[labels[cpu]] = counts.get(labels[cpu], 0) + 1
    return sum(-(-n // per_line) for n in counts.values())


def _fitted_table(kept: list[IrqRow], listing: IrqList, view: TopView,
                  shown_cpus: list[int], shares: Mapping[int, float], width: int) -> str:
    """The table of the kept rows; with --per-cpu, the columns of the busiest shown CPUs
    that leave the table within `width`."""
    counted = [c for c in listing.cpus if view.cpus is None or c in view.cpus]
    columns = sorted(shown_cpus, key=lambda c: (-shares.get(c, 0.0), c)) if view.per_cpu else []
    while True:
        shown = sorted(columns)
        text = irq_table(kept, sort=view.sort, columns=view.columns,
                         shown_cpus=shown or None, headings=view.headings, pairs=view.pairs,
                         cpu_index=[counted.index(c) for c in shown])
        if not columns or max((len(line) for line in text.splitlines()), default=0) <= width:
            return text
        columns.pop()  # the least busy CPU's column goes first
