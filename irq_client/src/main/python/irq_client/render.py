"""Aligned text tables in the style of util-linux lsirq/irqtop, shared by every front-end."""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from irq_client.models import Irq, IrqList, IrqWindow, OtherRow, Run, RunInterrupts, SoftirqWindow

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
    """Columns padded to their widest cell; `right` columns right-aligned, the last one ragged.
    Control characters in cells (a name a server or a registry entry chose: an escape
    sequence would drive the terminal) are shown as `?`."""
    rows = [[printable(str(c)) for c in row] for row in rows]
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


_CONTROL = dict.fromkeys([*range(32), 127, *range(128, 160)], "?")


def printable(text: str) -> str:
    """`text` with its control characters (ESC, BEL, CR, ...) shown as `?`."""
    return text.translate(_CONTROL)


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


def irq_rows(listing: IrqList, window: IrqWindow | None = None,
             cpus: frozenset[int] | None = None) -> list[IrqRow]:
    """One row per IRQ and per other row (LOC, NMI...), counts limited to `cpus`."""
    pick = [i for i, c in enumerate(listing.cpus) if cpus is None or c in cpus]
    deltas = {}
    if window is not None:
        wpick = [i for i, c in enumerate(window.cpus) if cpus is None or c in cpus]
        deltas = {r.irq: sum(r.num_interrupts_per_cpu[i] for i in wpick) for r in window.irqs}
    rows = []
    for irq in listing.irqs:
        per_cpu = tuple(irq.num_interrupts_per_cpu[i] for i in pick)
        rows.append(IrqRow(str(irq.irq), sum(per_cpu), deltas.get(irq.irq) if window else None,
                           per_cpu, irq_name(irq), irq.node, irq.cpu_affinity_list,
                           irq.effective_affinity_list, irq.managed))
    for other in listing.other:
        rows.append(_other_row(other, pick))
    return rows


def _other_row(other: OtherRow, pick: list[int]) -> IrqRow:
    if other.num_interrupts_per_cpu is None:
        return IrqRow(other.name, other.total, None, (), other.description or "")
    per_cpu = tuple(other.num_interrupts_per_cpu[i] for i in pick)
    return IrqRow(other.name, sum(per_cpu), None, per_cpu, other.description or "")


def _dash(value) -> object:
    return "-" if value is None else value


# -o/--output columns: name -> (right-aligned, cell of a row)
COLUMNS = {
    "IRQ": (True, lambda r: r.irq),
    "TOTAL": (True, lambda r: r.total),
    "DELTA": (True, lambda r: _dash(r.delta)),
    "NODE": (True, lambda r: _dash(r.node)),
    "AFFINITY": (False, lambda r: cpu_list(r.affinity)),
    "EFFECTIVE": (False, lambda r: cpu_list(r.effective)),
    "MANAGED": (False, lambda r: {True: "yes", False: "no", None: "-"}[r.managed]),
    "NAME": (False, lambda r: r.name),
}
DEFAULT_COLUMNS = ("IRQ", "TOTAL", "NAME")

SORT_KEYS = {
    "irq": lambda r: (not r.irq.isdigit(), int(r.irq) if r.irq.isdigit() else 0, r.irq),
    "total": lambda r: -r.total,
    "delta": lambda r: -(r.delta or 0),
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


def irq_table(rows: list[IrqRow], *, sort: str, columns: Sequence[str] = DEFAULT_COLUMNS,
              shown_cpus: Sequence[int] | None = None, threshold: int | None = None,
              headings: bool = True, pairs: bool = False) -> str:
    """The lsirq/irqtop table of `columns` (CPUn columns before NAME with `shown_cpus`); with a
    threshold, only the rows whose TOTAL is above it; `pairs` prints KEY="value" lines."""
    rows = sorted((r for r in rows if threshold is None or r.total > threshold),
                  key=SORT_KEYS[sort])
    cut = columns.index("NAME") if "NAME" in columns else len(columns)
    cpu_headers = [f"CPU{c}" for c in shown_cpus or ()]
    headers = list(columns[:cut]) + cpu_headers + list(columns[cut:])
    body = []
    for row in rows:
        cpu_cells = (list(row.per_cpu) or ["-"] * len(cpu_headers)) if cpu_headers else []
        cells = [COLUMNS[c][1](row) for c in columns]
        body.append(cells[:cut] + cpu_cells + cells[cut:])
    if pairs:
        return pair_lines(headers, body)
    right = [h for h in headers if h.startswith("CPU") or COLUMNS.get(h, (True,))[0]]
    return table(headers, body, right=right, headings=headings)


def pair_lines(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """util-linux's -P/--pairs output: KEY="value" pairs, one line per row."""
    def quote(value) -> str:
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "\n".join(" ".join(f"{h}={quote(v)}" for h, v in zip(headers, row)) for row in rows)


def softirq_table(window: SoftirqWindow, *, shown_cpus: Sequence[int] | None = None,
                  cpus: frozenset[int] | None = None, headings: bool = True,
                  pairs: bool = False) -> str:
    """lsirq -S: one row per softirq kind, counts over the window on the counted CPUs."""
    pick = [i for i, c in enumerate(window.cpus) if cpus is None or c in cpus]
    seconds = window.span.period_duration_seconds
    headers = ["SOFTIRQ", "DELTA", "RATE/S"] + [f"CPU{c}" for c in shown_cpus or ()]
    body = []
    for s in sorted(window.softirqs, key=lambda s: -s.num_softirqs):
        counted = [s.num_softirqs_per_cpu[i] for i in pick]
        rate = sum(counted) / seconds if seconds > 0 else 0.0
        body.append([s.name, sum(counted), f"{rate:.1f}"] + (counted if shown_cpus else []))
    if pairs:
        return pair_lines(headers, body)
    return table(headers, body, right=headers[1:], headings=headings)


def cpu_share_row(window: IrqWindow, cpus: frozenset[int] | None = None) -> str:
    """irqtop's per-CPU line: each CPU's share of the interrupts in the window."""
    pick = [(i, c) for i, c in enumerate(window.cpus) if cpus is None or c in cpus]
    per_cpu = [sum(r.num_interrupts_per_cpu[i] for r in window.irqs) for i, _ in pick]
    total = sum(per_cpu) or 1
    return "  ".join(f"cpu{c} {100.0 * v / total:5.1f}%" for (_, c), v in zip(pick, per_cpu))


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], low: float | None = None,
              high: float | None = None) -> str:
    """One block character per value, scaled between `low` and `high` (default: the values'
    own range)."""
    if not values:
        return ""
    low = min(values) if low is None else low
    high = max(values) if high is None else high
    span = high - low
    return "".join(SPARKS[min(len(SPARKS) - 1, int((v - low) / span * len(SPARKS)))] if span > 0
                   else SPARKS[0] for v in values)


def human_bytes(value: int | None) -> str:
    """1536 -> "1.5K", in powers of 1024 as free -h and df -h print them; None -> "-"."""
    if value is None:
        return "-"
    size = float(value)
    for unit in ("B", "K", "M", "G", "T", "P"):
        if abs(size) < 1024 or unit == "P":
            return f"{size:.0f}{unit}" if unit == "B" else f"{size:.1f}{unit}"
        size /= 1024
    return f"{size:.1f}P"


def run_summary(run: Run, interrupts: RunInterrupts | None) -> str:
    """What `irq-client record` prints at the end: the run's stats, then its busiest IRQs."""
    share = f" ({100 * run.time_above_threshold / run.duration:.0f} %)" if run.duration else ""
    lines = [f"run {run.id} ({run.name}): {run.duration:.2f} s, "
             f"{run.time_above_threshold:.2f} s above {run.threshold:g} % CPU{share}, "
             f"{run.samples} samples"]
    if interrupts is not None and interrupts.irqs:
        busiest = max(range(len(interrupts.cpus)),
                      key=lambda i: interrupts.num_interrupts_per_cpu[i])
        lines.append(f"interrupts on {interrupts.host} during the run: "
                     f"{interrupts.num_interrupts_all_cpus} from {interrupts.num_irqs} IRQs, "
                     f"busiest CPU {interrupts.cpus[busiest]} "
                     f"({interrupts.num_interrupts_per_cpu[busiest]})")
        rows = [(irq.irq, irq.num_interrupts, f"{irq.rate_per_second:.1f}",
                 cpu_list(c for c, n in zip(interrupts.cpus, irq.num_interrupts_per_cpu) if n))
                for irq in interrupts.irqs]
        lines.append(table(["IRQ", "COUNT", "RATE/s", "CPUS"], rows,
                           right=["IRQ", "COUNT", "RATE/s"]))
    return "\n".join(lines)
