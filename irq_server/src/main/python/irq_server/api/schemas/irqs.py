"""GET /irqs, /irqs/<irq>, GET and PUT /irqs/<irq>/cpu_affinity."""
from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from irq_server.procfs.masks import LIST_PATTERN, MASK_PATTERN


def _pattern(pattern: str, description: str) -> fields.String:
    """A string field that must match `pattern` whole, documented with that pattern."""
    return fields.String(validate=validate.Regexp(re.compile(pattern.rstrip("$") + r"\Z"),
                                                  error="malformed: expected a " + description),
                         metadata={"pattern": pattern, "description": description})


MAX_LISTED_CPUS = 8192  # CPUs a list body may name (the kernel's largest NR_CPUS)
CPU_NUMBER_MAX = 2 ** 32 - 1
MAX_REASON = 500  # characters of a write's reason


class CpuListField(fields.Field):
    """A CPU list as text ('0-3,8'), or as GET answers it: [0, 1, 2, 3, 8]; loaded as text."""

    HINT = "a CPU list: '0-3,8', or a list of CPU numbers: [0, 1, 2, 3, 8]"

    def __init__(self, **kwargs):
        super().__init__(metadata={"description": self.HINT, "anyOf": [
            {"type": "string", "pattern": LIST_PATTERN},
            {"type": "array", "maxItems": MAX_LISTED_CPUS,
             "items": {"type": "integer", "minimum": 0, "maximum": CPU_NUMBER_MAX}}]}, **kwargs)
        self._text = re.compile(LIST_PATTERN.rstrip("$") + r"\Z")

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if isinstance(value, str) and self._text.match(value):
            return value
        if isinstance(value, list) and len(value) <= MAX_LISTED_CPUS and all(
                type(cpu) is int and 0 <= cpu <= CPU_NUMBER_MAX for cpu in value):
            return ",".join(map(str, value))
        raise ValidationError("malformed: expected " + self.HINT)


# what would reshape a log line or a terminal: C0 and C1 controls, zero-width and bidi
# formatting, line and paragraph separators, invisible operators, the byte-order mark,
# private use and the BMP's last noncharacters (one class: the server's check and the
# OpenAPI pattern are the same)
UNPRINTABLE = (r"\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff"
               r"\ue000-\uf8ff\ufff0-\uffff")
REASON_PATTERN = f"^[^{UNPRINTABLE}]*$"
_UNPRINTABLE = re.compile(f"[{UNPRINTABLE}]")


def printable(text: str) -> None:
    """A validator: `text` holds none of UNPRINTABLE."""
    bad = _UNPRINTABLE.search(text)
    if bad is not None:
        raise ValidationError("only printable characters are allowed, not "
                              f"U+{ord(bad.group()):04X}")


class AffinityWriteSchema(Schema):
    """Body of PUT /irqs/<irq>/cpu_affinity (JSON or form): exactly one of the two fields."""

    OPENAPI_EXTRA = {"oneOf": [{"required": ["cpu_affinity_mask"]},
                               {"required": ["cpu_affinity_list"]}]}

    cpu_affinity_mask = _pattern(
        MASK_PATTERN, "hex mask, comma-separated 32-bit words: 'f', '00000000,00000003'")
    cpu_affinity_list = CpuListField()
    reason = fields.String(validate=[validate.Length(max=MAX_REASON), printable], metadata={
        "description": "why (kept in the audit log: GET /affinity/changes), e.g. the plan and "
                       "move of irq-balance: printable characters only (no control, "
                       "zero-width, bidi, line-separator or private-use ones)",
        "maxLength": MAX_REASON, "pattern": REASON_PATTERN})

    @validates_schema
    def exactly_one(self, data, **kwargs):
        if ("cpu_affinity_mask" in data) == ("cpu_affinity_list" in data):
            raise ValidationError("give exactly one of cpu_affinity_mask or cpu_affinity_list",
                                  field_name="cpu_affinity_mask")


class IrqSchema(Schema):
    irq_num = fields.String(metadata={"description": "IRQ number as a string (2016 name)"})
    irq_type = fields.String(allow_none=True, metadata={"description": "chip-flow, e.g. IR-PCI-MSI-edge"})
    device_name = fields.String(metadata={"description": "actions joined by ', '"})
    cpu_affinity = fields.String(allow_none=True, metadata={"description": "smp_affinity mask"})
    num_interrupts_per_cpu = fields.List(fields.Integer(), metadata={"description": "aligned with cpus"})
    total = fields.Integer()
    chip = fields.String(allow_none=True)
    hwirq = fields.Integer(allow_none=True)
    trigger = fields.String(allow_none=True)
    actions = fields.List(fields.String())
    node = fields.Integer(allow_none=True, metadata={"description": "NUMA node, null for none"})
    cpu_affinity_list = fields.List(fields.Integer(), allow_none=True)
    effective_affinity_list = fields.List(fields.Integer(), allow_none=True)
    affinity_hint = fields.List(fields.Integer(), allow_none=True)
    managed = fields.Boolean(allow_none=True, metadata={"description": "null when unknown"})


class OtherRowSchema(Schema):
    name = fields.String()
    description = fields.String(allow_none=True)
    num_interrupts_per_cpu = fields.List(fields.Integer(), allow_none=True)
    total = fields.Integer()


class TotalsSchema(Schema):
    num_interrupts_all_cpus = fields.Integer()
    num_interrupts_per_cpu = fields.List(fields.Integer())


class IrqListSchema(Schema):
    totals = fields.Nested(TotalsSchema)
    cpus = fields.List(fields.Integer())
    irqs = fields.List(fields.Nested(IrqSchema))
    other = fields.List(fields.Nested(OtherRowSchema))


class AffinitySchema(Schema):
    irq_num = fields.String()
    changed = fields.Boolean(metadata={"description": "PUT only: false when the IRQ already had "
                                                      "that mask (nothing was written)"})
    cpu_affinity = fields.String()
    cpu_affinity_list = fields.List(fields.Integer())
    effective_affinity_list = fields.List(fields.Integer(), allow_none=True)
    managed = fields.Boolean(allow_none=True)
    audited = fields.Boolean(metadata={"description": "PUT only, when changed: the audit log "
                                                      "kept the change (false: its disk is full, "
                                                      "say; the journal line still has it)"})
