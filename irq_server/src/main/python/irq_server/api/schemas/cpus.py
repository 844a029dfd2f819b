"""GET /cpus."""
from __future__ import annotations

from marshmallow import Schema, fields


class CpuSchema(Schema):
    cpu = fields.Integer()
    online = fields.Boolean()
    node = fields.Integer(allow_none=True)
    package = fields.Integer(allow_none=True)
    core = fields.Integer(allow_none=True)
    cache_cpus = fields.List(fields.Integer())
    isolated = fields.Boolean()
    nohz_full = fields.Boolean()


class CpuListSchema(Schema):
    cpus = fields.List(fields.Nested(CpuSchema))
