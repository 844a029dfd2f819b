"""The Performance-API routes: /cpu, /memory, /storage, their averages, /current."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from irq_server.api.schemas.windows import WindowQuery

ROOT = "/"


class UsageQuery(WindowQuery):
    """A window as for /interrupts, but `period_seconds` defaults to a week (604800)."""


class SeriesQuery(UsageQuery):
    points = fields.Integer(load_default=500, validate=validate.Range(min=1, max=10000),
                            metadata={"description": "at most this many points (default 500), "
                                                     "evenly spread over the window"})


class CpuQuery(SeriesQuery):
    per_cpu = fields.Boolean(load_default=False,
                             metadata={"description": "also each CPU's usage"})


class MountQuery(UsageQuery):
    mount = fields.String(load_default=ROOT, validate=validate.Length(min=1, max=4096),
                          metadata={"description": "mount point (default /)"})


class StorageQuery(SeriesQuery, MountQuery):
    all = fields.Boolean(load_default=False,
                         metadata={"description": "every filesystem, keyed by mount point"})


class CpuPointSchema(Schema):
    usage = fields.Float(metadata={"description": "percent busy: 100 - idle - iowait"})
    taken_at = fields.String(metadata={"description": "end of the interval (ISO 8601 UTC)"})
    user = fields.Float(metadata={"description": "percent of the interval, as top's us"})
    nice = fields.Float()
    system = fields.Float()
    idle = fields.Float()
    iowait = fields.Float()
    irq = fields.Float()
    softirq = fields.Float()
    steal = fields.Float()
    guest = fields.Float(metadata={"description": "already inside user (as in /proc/stat)"})
    guest_nice = fields.Float(metadata={"description": "already inside nice"})
    per_cpu = fields.List(fields.Dict(), metadata={"description": "with per_cpu=1: "
                                                                  "{cpu, usage, user, ...}"})


class MemoryPointSchema(Schema):
    used_space = fields.Integer(metadata={"description": "bytes: total - available (free(1))"})
    free_space = fields.Integer(metadata={"description": "bytes: MemAvailable"})
    taken_at = fields.String()
    total = fields.Integer()
    buffers = fields.Integer()
    cached = fields.Integer()
    swap_used = fields.Integer()


class StoragePointSchema(Schema):
    used_space = fields.Integer(metadata={"description": "bytes used, as df counts"})
    free_space = fields.Integer(metadata={"description": "bytes available, as df counts"})
    taken_at = fields.String()
    size = fields.Integer()


class CpuAverageSchema(Schema):
    cpu_avg_usage = fields.Float(allow_none=True)
    start = fields.String(allow_none=True)
    end = fields.String(allow_none=True)


class MemoryAverageSchema(Schema):
    memory_avg_used_space = fields.Integer(allow_none=True)
    memory_avg_free_space = fields.Integer(allow_none=True)
    start = fields.String(allow_none=True)
    end = fields.String(allow_none=True)


class StorageAverageSchema(Schema):
    disk_avg_used_space = fields.Integer(allow_none=True)
    disk_avg_free_space = fields.Integer(allow_none=True)
    mount = fields.String()
    start = fields.String(allow_none=True)
    end = fields.String(allow_none=True)


class CurrentSchema(Schema):
    cpu_usage = fields.Float(allow_none=True, metadata={
        "description": "percent over the last sampling interval (null without history)"})
    used_mem = fields.Integer(allow_none=True)
    free_mem = fields.Integer(allow_none=True)
    used_disk = fields.Integer(allow_none=True, metadata={"description": "root filesystem"})
    free_disk = fields.Integer(allow_none=True)
    taken_at = fields.String()
    cpu = fields.Dict(allow_none=True, metadata={"description": "the CPU breakdown"})
    memory = fields.Dict(allow_none=True, metadata={"description": "MemTotal, ... in bytes"})
    filesystems = fields.Dict(metadata={"description": "mount point -> size, used, available"})
