"""GET /host and GET /compliance."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from irq_server.procfs.host_policy import BAN_REASONS


class IrqbalanceSchema(Schema):
    running = fields.Boolean(metadata={"description": "an irqbalance daemon runs on the host: "
                                                      "it would undo affinity changes"})
    pid = fields.Integer(allow_none=True)
    banned_cpus = fields.List(fields.Integer(), metadata={
        "description": "IRQBALANCE_BANNED_CPULIST (or _CPUS) of its environment or config"})
    banned_irqs = fields.List(fields.Integer(), metadata={"description": "its --banirq IRQs"})
    config = fields.String(allow_none=True, metadata={
        "description": "the config file read (/etc/sysconfig/irqbalance, /etc/default/irqbalance)"})
    problems = fields.List(fields.String(), metadata={"description": "values it could not read"})


class HostSchema(Schema):
    hostname = fields.String(allow_none=True)
    kernel_release = fields.String(allow_none=True, metadata={"description": "uname -r"})
    boot_time = fields.DateTime(allow_none=True, metadata={"description": "ISO 8601 UTC"})
    simulated = fields.Boolean()
    irqbalance = fields.Nested(IrqbalanceSchema)


class ViolationSchema(Schema):
    irq_num = fields.String()
    device_name = fields.String()
    banned_cpus = fields.List(fields.Integer(), metadata={
        "description": "the banned CPUs it is routed to"})
    reasons = fields.List(fields.String(validate=validate.OneOf(BAN_REASONS)))
    effective_affinity_list = fields.List(fields.Integer())
    movable = fields.Boolean(metadata={"description": "false for kernel-managed IRQs"})
    why = fields.String()


class ComplianceSchema(Schema):
    banned_cpus = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                              metadata={"description": "CPU id -> why IRQs are kept off it"})
    compliant = fields.Boolean(metadata={"description": "no IRQ touches a banned CPU"})
    movable_violations = fields.Integer()
    unmovable_violations = fields.Integer()
    violations = fields.List(fields.Nested(ViolationSchema))
