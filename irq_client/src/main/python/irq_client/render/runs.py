"""Runs (the tracker): `irq-client runs`, `runs show`, and record's closing summary."""
from __future__ import annotations

from collections.abc import Sequence

from irq_client.models import Run, RunInterrupts
from irq_client.render.text import cpu_list, fields, table, yes_no


def _when(run: Run) -> str:
    return f"{run.start_time:%Y-%m-%d %H:%M:%S}"


def _share(run: Run) -> str:
    return f"{100 * run.time_above_threshold / run.duration:.0f} %" if run.duration else "-"


def runs_table(runs: Sequence[Run], total: int, page: int, per_page: int) -> str:
    """irq-client runs: the caller's runs, newest first, and where this page is."""
    if not runs:
        return "no runs" if total == 0 else f"no runs on page {page} ({total} in all)"
    rows = [[r.id, r.name, r.host or "-", yes_no(r.active), _when(r), f"{r.duration:.1f}",
             f"{r.time_above_threshold:.1f}", _share(r), f"{r.threshold:g}", r.samples]
            for r in runs]
    text = table(["ID", "NAME", "HOST", "ACTIVE", "START (UTC)", "SECONDS", "ABOVE", "SHARE",
                  "THRESHOLD", "SAMPLES"], rows,
                 right=["ID", "SECONDS", "ABOVE", "SHARE", "THRESHOLD", "SAMPLES"])
    first = (page - 1) * per_page + 1
    if total > len(runs):
        text += (f"\nruns {first}-{first + len(runs) - 1} of {total}, newest first "
                 f"(--page {page + 1} for more)" if first + len(runs) - 1 < total else
                 f"\nruns {first}-{first + len(runs) - 1} of {total}, newest first")
    return text


def run_detail(run: Run, interrupts: RunInterrupts | None = None) -> str:
    """irq-client runs show ID: the run's fields, then its busiest IRQs when known."""
    text = fields([
        ("run", run.id), ("name", run.name), ("description", run.description or "-"),
        ("host", run.host or "-"), ("active", yes_no(run.active)),
        ("start", f"{run.start_time:%Y-%m-%d %H:%M:%S} UTC"),
        ("end", "-" if run.end_time is None else f"{run.end_time:%Y-%m-%d %H:%M:%S} UTC"),
        ("duration", f"{run.duration:.2f} s"),
        ("above", f"{run.time_above_threshold:.2f} s above {run.threshold:g} % CPU "
                  f"(whole machine; {_share(run)})"),
        ("samples", run.samples)])
    if interrupts is not None and interrupts.irqs:
        text += "\n" + "\n".join(_interrupt_lines(interrupts))
    return text


def run_summary(run: Run, interrupts: RunInterrupts | None) -> str:
    """What `irq-client record` prints at the end: the run's stats, then its busiest IRQs."""
    share = f" ({100 * run.time_above_threshold / run.duration:.0f} %)" if run.duration else ""
    lines = [f"run {run.id} ({run.name}): {run.duration:.2f} s, "
             f"{run.time_above_threshold:.2f} s above {run.threshold:g} % CPU{share}, "
             f"{run.samples} samples"]
    if interrupts is not None and interrupts.irqs:
        lines += _interrupt_lines(interrupts)
    return "\n".join(lines)


def _interrupt_lines(interrupts: RunInterrupts) -> list[str]:
    busiest = max(range(len(interrupts.cpus)), key=lambda i: interrupts.num_interrupts_per_cpu[i])
    rows = [(irq.irq, irq.num_interrupts, f"{irq.rate_per_second:.1f}",
             cpu_list(c for c, n in zip(interrupts.cpus, irq.num_interrupts_per_cpu) if n))
            for irq in interrupts.irqs]
    return [f"interrupts on {interrupts.host} during the run: "
            f"{interrupts.num_interrupts_all_cpus} from {interrupts.num_irqs} IRQs, "
            f"busiest CPU {interrupts.cpus[busiest]} "
            f"({interrupts.num_interrupts_per_cpu[busiest]})",
            table(["IRQ", "COUNT", "RATE/s", "CPUS"], rows, right=["IRQ", "COUNT", "RATE/s"])]
