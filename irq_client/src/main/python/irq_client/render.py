"""Aligned text tables in the style of util-linux lsirq/irqtop, shared by every front-end."""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from irq_client.models import Irq, IrqList, IrqWindow, OtherRow

_LIST_RE = re.compile(r"^\d+(-\d+)?(,\d+(-\d+)?)*$")


def parse_cpu_list(text: str) -> frozenset[int]:
    """ "0-3,8" -> {0, 1, 2, 3, 8}; ValueError names what is wrong."""
    text = text.strip()
    if not _LIST_RE.match(text):
        raise ValueError(f"{text!r} is not a CPU list like 0-3,8")
    cpus = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        if int(hi or lo) < int(lo):
            raise ValueError(f"range {part!r} runs backwards")
        cpus.update(range(int(lo), int(hi or lo) + 1))
    return frozenset(cpus)


def cpu_list(cpus: Iterable[int] | None) -> str:
    """{0, 1, 2, 3, 8} -> "0-3,8"; None -> "-"."""
    if cpus is None:
        return "-"
    ordered, parts = sorted(set(cpus)), []
    for cpu in ordered:
        if parts and parts[-1][1] == cpu - 1:
            parts[-1][1] = cpu
        else:
            parts.append([cpu, cpu])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in parts) or "-"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, right: Iterable[str] = (),
          headings: bool = True) -> str:
    """Columns padded to their widest cell; `right` columns right-aligned, the last one ragged."""
    rows = [[str(c) for c in row] for row in rows]
    lines = ([list(headers)] if headings else []) + rows
    widths = [max([len(r[i]) for r in lines], default=0) for i in range(len(headers))]
    right = set(right)

    def fmt(row):
        cells = []
        for i, cell in enumerate(row):
            last = i == len(row) - 1
            if headers[i] in right:
                cells.append(cell.rjust(widths[i]))
            else:
                cells.append(cell if last else cell.ljust(widths[i]))
        return " ".join(cells).rstrip()
    return "\n".join(fmt(r) for r in lines)


def irq_name(irq: Irq) -> str:
    """What lsirq prints in NAME: chip, hwirq-flow, handlers."""
    hw = f"{irq.hwirq}-{irq.trigger}" if irq.hwirq is not None and irq.trigger else (
        irq.trigger or "")
    return "  ".join(x for x in (irq.chip or "", hw, irq.device_name) if x)


IrqRow = tuple[str, int, int | None, tuple[int, ...], str]  # label, total, delta, per-CPU, name


def irq_rows(listing: IrqList, window: IrqWindow | None = None,
             cpus: frozenset[int] | None = None) -> list[IrqRow]:
    """One row per IRQ and per-CPU other row (LOC, NMI...), counts limited to `cpus`."""
    pick = [i for i, c in enumerate(listing.cpus) if cpus is None or c in cpus]
    deltas = {}
    if window is not None:
        wpick = [i for i, c in enumerate(window.cpus) if cpus is None or c in cpus]
        deltas = {r.irq: sum(r.num_interrupts_per_cpu[i] for i in wpick) for r in window.irqs}
    rows: list[IrqRow] = []
    for irq in listing.irqs:
        per_cpu = tuple(irq.num_interrupts_per_cpu[i] for i in pick)
        rows.append((str(irq.irq), sum(per_cpu), deltas.get(irq.irq) if window else None,
                     per_cpu, irq_name(irq)))
    for other in listing.other:
        rows.append(_other_row(other, pick))
    return rows


def _other_row(other: OtherRow, pick: list[int]) -> IrqRow:
    if other.num_interrupts_per_cpu is None:
        return (other.name, other.total, None, (), other.description or "")
    per_cpu = tuple(other.num_interrupts_per_cpu[i] for i in pick)
    return (other.name, sum(per_cpu), None, per_cpu, other.description or "")


SORT_KEYS = {
    "irq": lambda r: (not r[0].isdigit(), int(r[0]) if r[0].isdigit() else 0, r[0]),
    "total": lambda r: -r[1],
    "delta": lambda r: -(r[2] or 0),
    "name": lambda r: r[4].lower(),
}


def irq_table(rows: list[IrqRow], *, sort: str, shown_cpus: Sequence[int] | None,
              with_delta: bool, threshold: int | None = None, headings: bool = True) -> str:
    """The lsirq/irqtop table: IRQ TOTAL [DELTA] [CPUn...] NAME; with a threshold, only the
    rows whose TOTAL is above it."""
    rows = sorted((r for r in rows if threshold is None or r[1] > threshold),
                  key=SORT_KEYS[sort])
    headers = ["IRQ", "TOTAL"] + (["DELTA"] if with_delta else []) + [
        f"CPU{c}" for c in shown_cpus or ()] + ["NAME"]
    body = []
    for label, total, delta, per_cpu, name in rows:
        cells = [label, total] + ([delta if delta is not None else "-"] if with_delta else [])
        if shown_cpus:
            cells += list(per_cpu) if per_cpu else ["-"] * len(shown_cpus)
        body.append(cells + [name])
    numeric = [h for h in headers if h != "NAME"]
    return table(headers, body, right=numeric, headings=headings)


def cpu_share_row(window: IrqWindow, cpus: frozenset[int] | None = None) -> str:
    """irqtop's per-CPU line: each CPU's share of the interrupts in the window."""
    pick = [(i, c) for i, c in enumerate(window.cpus) if cpus is None or c in cpus]
    per_cpu = [sum(r.num_interrupts_per_cpu[i] for r in window.irqs) for i, _ in pick]
    total = sum(per_cpu) or 1
    return "  ".join(f"cpu{c} {100.0 * v / total:5.1f}%" for (_, c), v in zip(pick, per_cpu))
