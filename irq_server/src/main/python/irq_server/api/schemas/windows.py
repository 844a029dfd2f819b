"""Windows of counters: GET /interrupts, /interrupts/cpu/<cpu>, /interrupts/irqs,
/softirqs, and GET /history."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from irq_server.api.timefmt import Instant
from irq_server.cost.tiers import SOURCES


def period_field(default: str) -> fields.Float:
    """`period_seconds` of a window query whose default length is `default` ("60", "7 days")."""
    return fields.Float(
        validate=validate.Range(min=0, min_inclusive=False, max=10 * 365 * 86400),
        metadata={"description": f"window length in seconds (default {default}), ending at end "
                                 "(default now) or starting at start", "exclusiveMinimum": True})


class WindowQuery(Schema):
    """A window: `start` to `end`, or `period_seconds` (default 60) ending at `end` (default
    now) or starting at `start`. Two rules the parameters cannot state one by one: not all
    three at once, and `start` not after `end` (which defaults to now)."""

    period_seconds = period_field("60")
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
    irq_seconds_per_cpu = fields.List(fields.Float(), metadata={
        "description": "per CPU: seconds in hardirq handlers over the window (/proc/stat irq)"})
    softirq_seconds_per_cpu = fields.List(fields.Float(), metadata={
        "description": "per CPU: seconds in softirqs over the window (/proc/stat softirq)"})


class IrqWindowSchema(Schema):
    irq_num = fields.String()
    num_interrupts_per_cpu = fields.List(fields.Integer())
    num_interrupts = fields.Integer()
    rate_per_second = fields.Float()
    cpu_seconds = fields.Float(allow_none=True, metadata={
        "description": "CPU time the IRQ took over the window (null: not known)"})
    cost_us_per_interrupt = fields.Float(allow_none=True, metadata={
        "description": "CPU time per interrupt, microseconds (null: not known)"})
    cost_source = fields.String(validate=validate.OneOf(SOURCES), metadata={
        "description": "thread: the IRQ's handler thread's CPU time (threadirqs); estimate: "
                       "fitted over history; none: no IRQ time known, counts only"})
    cost_us_range = fields.List(fields.Float(), allow_none=True, metadata={
        "description": "[low, high] cost per interrupt, microseconds: estimates two standard "
                       "errors either side, threads a tick of CPU time either way"})


class HostCostSchema(Schema):
    sources = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "how many IRQs each cost source covers"})
    accounted = fields.List(fields.String(), metadata={
        "description": "/proc/stat fields that hold IRQ time on this host: irq, softirq"})
    estimate_windows = fields.Integer(metadata={
        "description": "history windows the estimates were fitted over"})
    unidentified = fields.List(fields.Integer(), metadata={
        "description": "IRQs history cannot separate from their neighbours: no estimate"})
    base_seconds_per_cpu = fields.List(fields.Float(), metadata={
        "description": "per CPU: irq + softirq seconds no estimated IRQ explains (timers, RCU)"})
    note = fields.String(metadata={"description": "how the costs were found, in a sentence"})


class CpuColumnsSchema(SpanSchema):
    cpus = fields.List(fields.Integer(), metadata={"description": "CPU of each per-CPU column"})


class IrqWindowListSchema(CpuColumnsSchema):
    irqs = fields.List(fields.Nested(IrqWindowSchema))
    cost = fields.Nested(HostCostSchema)


class SoftirqWindowSchema(Schema):
    name = fields.String(metadata={"description": "softirq kind: NET_RX, TIMER, BLOCK, ..."})
    num_softirqs_per_cpu = fields.List(fields.Integer(), metadata={"description": "per CPU"})
    num_softirqs = fields.Integer()
    rate_per_second = fields.Float()


class SoftirqWindowListSchema(CpuColumnsSchema):
    softirqs = fields.List(fields.Nested(SoftirqWindowSchema))


class HistorySchema(Schema):
    tiers = fields.String()
    interval_seconds = fields.Float()
    samples = fields.Integer()
    oldest = fields.String(allow_none=True)
    newest = fields.String(allow_none=True)
    store_bytes = fields.Integer()
