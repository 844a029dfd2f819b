"""The pieces answers are built from, written once: a window from its query, the rows and
sums of a window, its span, and per-row counts and rates. Route modules put them together;
api/schemas/ describes what they make."""
from __future__ import annotations

from irq_server.api.state import state
from irq_server.api.timefmt import iso
from irq_server.errors import InvalidInput
from irq_server.types import Window


def window_of(args: dict, default_period: float = 60.0) -> Window:
    """The window a WindowQuery's arguments ask for (`period_seconds` default 60 s)."""
    windows = state().windows
    period, start, end = (args.get(k) for k in ("period_seconds", "start", "end"))
    if start is None:
        return windows.last(period or default_period, end)
    if period is not None:
        end = start + period
    if end is None and start > windows.clock():
        raise InvalidInput("start is in the future (the window would end now)", field="start")
    return windows.between(start, windows.clock() if end is None else end)


def irq_rows(window: Window) -> list[int]:
    """Rows of the window that are numbered IRQs (not NMI, LOC, softirqs, ...)."""
    return [i for i, key in enumerate(window.keys) if key.isdigit()]


def per_cpu(window: Window) -> list[int]:
    """Interrupts of every numbered IRQ, summed per CPU."""
    return window.counts[irq_rows(window)].sum(axis=0).tolist()


def bounds(window: Window | None) -> dict:
    """{"start", "end"} the window covers (ISO 8601 UTC; null without a window)."""
    return {"start": iso(window.start) if window else None,
            "end": iso(window.end) if window else None}


def span(window: Window) -> dict:
    """What the window covers: bounds, duration, and whether history fell short (SpanSchema)."""
    return {**bounds(window), "period_duration_seconds": round(window.end - window.start, 6),
            "partial": window.partial}


def row_rates(window: Window, rows: list[int], key: str, counts: str, total: str) -> list[dict]:
    """One object per row in `rows`: {key: its name, counts: per-CPU counts, total: their
    sum, "rate_per_second": over the window}."""
    duration = window.end - window.start
    matrix = window.counts[rows]
    return [{key: window.keys[r], counts: row, total: row_total,
             "rate_per_second": round(row_total / duration, 3) if duration > 0 else 0.0}
            for r, row, row_total in zip(rows, matrix.tolist(), matrix.sum(axis=1).tolist())]


def irq_rates(window: Window, rows: list[int]) -> list[dict]:
    """IrqWindowSchema objects of `rows`."""
    return row_rates(window, rows, "irq_num", "num_interrupts_per_cpu", "num_interrupts")
