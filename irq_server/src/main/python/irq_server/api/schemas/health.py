"""GET /healthz and /readyz."""
from __future__ import annotations

from marshmallow import Schema, fields


class SamplerSchema(Schema):
    last_sample = fields.DateTime(allow_none=True, metadata={"description": "ISO 8601 UTC"})
    interval_seconds = fields.Float()
    stale = fields.Boolean(metadata={"description": "no sample for over 3 intervals (+1 s)"})
    age_seconds = fields.Float(allow_none=True,
                               metadata={"description": "seconds since the newest sample"})


class HealthSchema(Schema):
    status = fields.String(metadata={"enum": ["ok", "degraded"]})
    reason = fields.String(allow_none=True, metadata={
        "description": "the first cause while degraded: disk full, history unreadable, no "
                       "sample yet, sampler stale (null when ok)"})
    reasons = fields.List(fields.String(), metadata={"description": "why it is degraded"})
    version = fields.String()
    root = fields.String()
    simulated = fields.Boolean()
    sampler = fields.Nested(SamplerSchema)
