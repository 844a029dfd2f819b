"""The tracker: log in, runs, their usage samples and interrupts."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from irq_server.api.schemas.windows import IrqWindowSchema, SpanSchema
from irq_server.api.timefmt import Instant


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=256))
    password = fields.String(required=True, validate=validate.Length(max=4096))


class TokenSchema(Schema):
    token = fields.String(metadata={"description": "JWT (HS256): send as 'Authorization: "
                                                   "Bearer <token>'"})
    token_type = fields.String(metadata={"description": "always 'Bearer'"})
    scope = fields.String(metadata={"enum": ["read", "write"]})
    expires_at = fields.String(metadata={"description": "ISO 8601 UTC"})


class RunCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(allow_none=True, load_default=None,
                                validate=validate.Length(max=4000))
    threshold = fields.Float(load_default=50.0, validate=validate.Range(min=0, max=100),
                             metadata={"description": "CPU percent (default 50); a value "
                                       "strictly between 0 and 1 is a fraction: 0.5 means 50"})
    host = fields.String(allow_none=True, load_default=None,
                         validate=validate.Length(min=1, max=253),
                         metadata={"description": "hostname the run measures; the run's "
                                   "interrupts are served when it is this server's host"})
    start_time = Instant(metadata={"description": "when the run started (default now)"})


class RunSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    threshold = fields.Float(metadata={"description": "CPU percent"})
    host = fields.String(allow_none=True)
    active = fields.Boolean()
    start_time = fields.String(metadata={"description": "ISO 8601 UTC"})
    end_time = fields.String(allow_none=True, metadata={"description": "null while active"})
    duration = fields.Float(metadata={"description": "seconds: end - start (now - start while "
                                                     "active)"})
    time_above_threshold = fields.Float(metadata={
        "description": "seconds with usage above the threshold: each sample holds until the "
                       "next one (the newest until the end, once stopped)"})
    samples = fields.Integer(metadata={"description": "usage samples recorded"})


class RunListQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class RunListSchema(Schema):
    runs = fields.List(fields.Nested(RunSchema), metadata={"description": "newest first"})
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer(metadata={"description": "the caller's runs in all"})


class UsageSchema(Schema):
    cpu_usage = fields.Float(required=True, validate=validate.Range(min=0, max=100),
                             metadata={"description": "CPU percent, whole machine"})
    timestamp = Instant(metadata={"description": "when it was measured (default now)"})


class OldUsageSchema(Schema):
    usage = fields.Float(required=True, validate=validate.Range(min=0, max=100),
                         metadata={"description": "CPU percent, whole machine; stamped now"})


class UsageAnswerSchema(Schema):
    id = fields.Integer()
    above_threshold = fields.Boolean(metadata={"description": "this sample is above it"})
    time_above_threshold = fields.Float()


class StopSchema(Schema):
    end_time = Instant(metadata={"description": "when the run ended (default now)"})


class InterruptsQuery(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100_000),
                           metadata={"description": "busiest IRQs listed (default 20)"})


class RunInterruptsSchema(SpanSchema):
    id = fields.Integer()
    host = fields.String()
    cpus = fields.List(fields.Integer())
    num_interrupts_per_cpu = fields.List(fields.Integer())
    num_interrupts_all_cpus = fields.Integer()
    num_irqs = fields.Integer(metadata={"description": "IRQs that fired during the run"})
    irqs = fields.List(fields.Nested(IrqWindowSchema),
                       metadata={"description": "the busiest first, at most `limit`"})
