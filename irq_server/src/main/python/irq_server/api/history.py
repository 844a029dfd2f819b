"""GET /interrupts, /interrupts/cpu/<cpu>, /interrupts/irqs: counts over a time window;
GET /history: what the store keeps."""
from __future__ import annotations

import numpy as np
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from irq_server.api.blueprint import Blueprint, json_response
from irq_server.api.state import state
from irq_server.api.timefmt import Instant, iso
from irq_server.api.window_cache import cached_window
from irq_server.errors import InvalidInput, NotFound
from irq_server.history.snapshot import SOFTIRQ_PREFIX
from irq_server.history.tiers import format_tiers
from irq_server.history.window import Windows
from irq_server.types import Window

blp = Blueprint("interrupts", __name__, description="Interrupt counts over time windows")


class WindowQuery(Schema):
    """A window: `start` to `end`, or `period_seconds` (default 60) ending at `end` (default
    now) or starting at `start`. Two rules the parameters cannot state one by one: not all
    three at once, and `start` not after `end` (which defaults to now)."""

    period_seconds = fields.Float(
        validate=validate.Range(min=0, min_inclusive=False, max=10 * 365 * 86400),
        metadata={"description": "window length in seconds (default 60), ending at end (default "
                                 "now) or starting at start", "exclusiveMinimum": True})
    start = Instant(metadata={"description": "window start: RFC 3339 date-time or epoch seconds"})
    end = Instant(metadata={"description": "window end (default now)"})

    @validates_schema
    def one_way(self, data, **kwargs):
        if {"period_seconds", "start", "end"} <= data.keys():
            raise ValidationError("give at most two of period_seconds, start and end",
                                  field_name="period_seconds")
        if "start" in data and "end" in data and data["end"] < data["start"]:
            raise ValidationError("end is before start", field_name="end")


class IrqWindowQuery(WindowQuery):
    top = fields.Integer(validate=validate.Range(min=1, max=100_000),
                         metadata={"description": "only the N busiest IRQs of the window, "
                                                  "busiest first (default: every IRQ, by number)"})


class SpanSchema(Schema):
    start = fields.String(metadata={"description": "start actually covered (ISO 8601 UTC)"})
    end = fields.String(metadata={"description": "end actually covered (ISO 8601 UTC)"})
    period_duration_seconds = fields.Float()
    partial = fields.Boolean(metadata={"description": "history did not reach the asked start"})


class CpuWindowSchema(SpanSchema):
    cpu_num = fields.Integer()
    num_interrupts = fields.Integer()
    percent_interrupts = fields.Float()
    num_interrupts_all_cpus = fields.Integer()
    num_cpus = fields.Integer()


class WindowSchema(SpanSchema):
    num_interrupts_per_cpu = fields.List(fields.Integer())
    percent_interrupts_per_cpu = fields.List(fields.Float())
    num_interrupts_all_cpus = fields.Integer()
    num_cpus = fields.Integer()
    cpus = fields.List(fields.Integer())


class IrqWindowSchema(Schema):
    irq_num = fields.String()
    num_interrupts_per_cpu = fields.List(fields.Integer())
    num_interrupts = fields.Integer()
    rate_per_second = fields.Float()


class IrqWindowListSchema(SpanSchema):
    cpus = fields.List(fields.Integer())
    irqs = fields.List(fields.Nested(IrqWindowSchema))


class SoftirqWindowSchema(Schema):
    name = fields.String(metadata={"description": "softirq kind: NET_RX, TIMER, BLOCK, ..."})
    num_softirqs_per_cpu = fields.List(fields.Integer(), metadata={"description": "per CPU"})
    num_softirqs = fields.Integer()
    rate_per_second = fields.Float()


class SoftirqWindowListSchema(SpanSchema):
    cpus = fields.List(fields.Integer())
    softirqs = fields.List(fields.Nested(SoftirqWindowSchema))


class HistorySchema(Schema):
    tiers = fields.String()
    interval_seconds = fields.Float()
    samples = fields.Integer()
    oldest = fields.String(allow_none=True)
    newest = fields.String(allow_none=True)
    store_bytes = fields.Integer()


def window_of(args: dict) -> Window:
    """The window a WindowQuery's arguments ask for (period default 60 s)."""
    windows: Windows = state().windows
    period, start, end = (args.get(k) for k in ("period_seconds", "start", "end"))
    if start is None:
        return windows.last(period or 60.0, end)
    if period is not None:
        end = start + period
    if end is None and start > windows.clock():
        raise InvalidInput("start is in the future (the window would end now)", field="start")
    return windows.between(start, windows.clock() if end is None else end)


def irq_rows(window: Window) -> list[int]:
    return [i for i, key in enumerate(window.keys) if key.isdigit()]


def span(window: Window) -> dict:
    return {"start": iso(window.start), "end": iso(window.end),
            "period_duration_seconds": round(window.end - window.start, 6),
            "partial": window.partial}


def _per_cpu(window: Window) -> list[int]:
    return window.counts[irq_rows(window)].sum(axis=0).tolist()


@blp.route("/interrupts")
@cached_window
@blp.arguments(WindowQuery, location="query")
@blp.response(200, WindowSchema)
def interrupts(args):
    """Interrupts per CPU over a window (all numbered IRQs)."""
    window = window_of(args)
    per_cpu = _per_cpu(window)
    total = sum(per_cpu)
    return json_response({
        "num_interrupts_per_cpu": per_cpu,
        "percent_interrupts_per_cpu": [round(100.0 * v / total, 3) if total else 0.0
                                       for v in per_cpu],
        "num_interrupts_all_cpus": total, "num_cpus": len(window.cpus),
        "cpus": list(window.cpus), **span(window)})


@blp.route("/interrupts/cpu/<cpu>", parameters=[{
    "in": "path", "name": "cpu", "description": "CPU id", "schema": {"type": "integer",
                                                                     "minimum": 0}}])
@cached_window
@blp.arguments(WindowQuery, location="query")
@blp.response(200, CpuWindowSchema)
def interrupts_cpu(args, cpu):
    """Interrupts of one CPU over a window."""
    window = window_of(args)
    if not (cpu.isascii() and cpu.isdigit()) or int(cpu) not in window.cpus:
        raise NotFound(f"CPU {cpu} is not on this host (CPUs: "
                       f"{', '.join(map(str, window.cpus))})", field="cpu")
    per_cpu = _per_cpu(window)
    total = sum(per_cpu)
    count = per_cpu[window.cpus.index(int(cpu))]
    return json_response({
        "cpu_num": int(cpu), "num_interrupts": count,
        "percent_interrupts": round(100.0 * count / total, 3) if total else 0.0,
        "num_interrupts_all_cpus": total, "num_cpus": len(window.cpus), **span(window)})


@blp.route("/interrupts/irqs")
@cached_window
@blp.arguments(IrqWindowQuery, location="query")
@blp.response(200, IrqWindowListSchema)
def interrupts_irqs(args):
    """Per-IRQ per-CPU counts and rates over a window: what a balancer needs (`top`: only
    the busiest, for a view of a large host)."""
    window = window_of(args)
    rows = irq_rows(window)
    if args.get("top") and rows:
        totals = window.counts[rows].sum(axis=1)
        rows = [rows[i] for i in np.argsort(-totals.astype(np.float64), kind="stable")
                [:args["top"]]]
    return json_response({**span(window), "cpus": list(window.cpus), "irqs": [
        {"irq_num": key, "num_interrupts_per_cpu": counts, "num_interrupts": total,
         "rate_per_second": rate} for key, counts, total, rate in row_rates(window, rows)]})


@blp.route("/softirqs")
@cached_window
@blp.arguments(WindowQuery, location="query")
@blp.response(200, SoftirqWindowListSchema)
def softirqs(args):
    """Per-softirq per-CPU counts and rates over a window (/proc/softirqs, as sampled)."""
    window = window_of(args)
    rows = [i for i, key in enumerate(window.keys) if key.startswith(SOFTIRQ_PREFIX)]
    return json_response({**span(window), "cpus": list(window.cpus), "softirqs": [
        {"name": key[len(SOFTIRQ_PREFIX):], "num_softirqs_per_cpu": counts,
         "num_softirqs": total, "rate_per_second": rate} for key, counts, total, rate in
        row_rates(window, rows)]})


def row_rates(window: Window, rows: list[int]):
    """(key, per-CPU counts, total, rate per second) of each row in `rows`."""
    duration = window.end - window.start
    counts = window.counts[rows].tolist()
    totals = window.counts[rows].sum(axis=1).tolist()
    for i, r in enumerate(rows):
        rate = round(totals[i] / duration, 3) if duration > 0 else 0.0
        yield window.keys[r], counts[i], totals[i], rate


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
