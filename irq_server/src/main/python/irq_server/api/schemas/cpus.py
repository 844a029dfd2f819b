"""GET /cpus."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from irq_server.procfs.host_policy import BAN_REASONS


class CpuSchema(Schema):
    cpu = fields.Integer()
    online = fields.Boolean()
    node = fields.Integer(allow_none=True)
    package = fields.Integer(allow_none=True)
    core = fields.Integer(allow_none=True)
    cache_cpus = fields.List(fields.Integer())
    isolated = fields.Boolean()
    nohz_full = fields.Boolean()
    banned = fields.List(fields.String(validate=validate.OneOf(BAN_REASONS)), metadata={
        "description": "why no IRQ belongs on this CPU (empty: none): isolated, nohz_full, "
                       "irqbalance-config (IRQBALANCE_BANNED_CPULIST/_CPUS in "
                       "/etc/sysconfig/irqbalance or /etc/default/irqbalance), "
                       "default_smp_affinity (outside /proc/irq/default_smp_affinity)"})


class CpuListSchema(Schema):
    cpus = fields.List(fields.Nested(CpuSchema))
