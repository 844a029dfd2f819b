"""GET /affinity/changes: the audit log of affinity writes."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from irq_server.api.schemas.windows import WindowQuery, period_field
from irq_server.audit.store import MAX_LISTED


class ChangesQuery(WindowQuery):
    """A window as for /interrupts, but `period_seconds` defaults to 7 days."""

    period_seconds = period_field("7 days")
    limit = fields.Integer(validate=validate.Range(min=1, max=MAX_LISTED), metadata={
        "description": f"at most this many changes, the newest (default and most {MAX_LISTED})"})


class MaskSchema(Schema):
    cpu_affinity = fields.String(metadata={"description": "smp_affinity mask"})
    cpu_affinity_list = fields.List(fields.Integer())


class ChangeSchema(Schema):
    id = fields.Integer(metadata={"description": "increasing with every change this log keeps"})
    time = fields.String(metadata={"description": "when the write happened (ISO 8601 UTC)"})
    timestamp = fields.Float(metadata={"description": "the same, in epoch seconds"})
    irq = fields.Integer()
    old = fields.Nested(MaskSchema, metadata={"description": "the IRQ's affinity before"})
    new = fields.Nested(MaskSchema, metadata={"description": "what the kernel held after"})
    who = fields.String(metadata={"description": "token:<name>, user:<name>, or - (no token)"})
    reason = fields.String(allow_none=True, metadata={"description": "what the caller sent"})


class ChangeListSchema(Schema):
    start = fields.String(metadata={"description": "window start (ISO 8601 UTC)"})
    end = fields.String(metadata={"description": "window end (ISO 8601 UTC)"})
    changes = fields.List(fields.Nested(ChangeSchema), metadata={"description": "oldest first"})
    truncated = fields.Boolean(metadata={"description": "more changes fell in the window than "
                                                        "`limit`: the oldest were left out"})
