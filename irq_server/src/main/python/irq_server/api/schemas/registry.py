"""The connection registry: its old bodies (unknown keys ignored) and the typed twins."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from irq_server.registry import IRQ_SERVER, server_url_problem

NAME = validate.Length(min=1, max=256)
PARTITION_RE = r"^(?!\.\.?$)[^/\x00-\x1f\x7f]*$"  # a path segment
PARTITION = [NAME, validate.Regexp(PARTITION_RE, error=(
    "a partition name is a path segment: no '/', no control characters, not '.' or '..'"))]


class OldBody(Schema):
    """A body of the published API: keys it does not know (newer clients add "capacity")
    are ignored, as the old service ignored them."""

    class Meta:
        unknown = EXCLUDE


class ConnectionSchema(OldBody):
    uid = fields.String(required=True, validate=NAME)
    uri = fields.String(required=True, validate=validate.Length(min=1, max=2048),
                        metadata={"description": "where it is; for data_type irq-server an "
                                                 "http(s) base URL with a host"})
    connection_type = fields.Integer(required=True, strict=True,
                                     validate=validate.Range(min=-2**31, max=2**31 - 1))
    data_type = fields.String(required=True, validate=NAME)

    @validates_schema
    def server_uri(self, data, **kwargs):
        if data.get("data_type") == IRQ_SERVER and "uri" in data:
            problem = server_url_problem(data["uri"])
            if problem:
                raise ValidationError(problem, field_name="uri")


class KnownNested(fields.Nested):
    """A Nested field that remembers the items it has already accepted. Registry clients
    re-publish the same entries every few seconds, and checking 250 of them through
    marshmallow took ~7 ms of a worker (the lookups it serves meanwhile wait: their p99). An
    item seen before, with the same keys, values and value types, is answered from memory;
    a new or a bad one goes through the schema, so every rule stays the schema's."""

    MEMORY = 20_000  # items remembered per process (each at most a few KB)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._known: dict[tuple, dict] = {}

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        try:
            key = tuple(sorted((k, type(v), v) for k, v in value.items()))
            found = self._known.get(key)
        except (AttributeError, TypeError):  # not a flat dict: the schema says why
            return super()._deserialize(value, attr, data, partial=partial, **kwargs)
        if found is None:
            found = super()._deserialize(value, attr, data, partial=partial, **kwargs)
            if len(self._known) >= self.MEMORY:
                self._known.clear()
            self._known[key] = found
        return dict(found)


class PublishSchema(OldBody):
    partition = fields.String(required=True, validate=PARTITION)
    connections = fields.List(KnownNested(ConnectionSchema), required=True,
                              validate=validate.Length(min=1, max=1000))


class LookupSchema(OldBody):
    uid_regex = fields.String(required=True, validate=validate.Length(max=1024),
                              metadata={"description": "RE2 pattern, matched anywhere in uid"})
    data_type = fields.String(required=True, validate=NAME)


class RetractedSchema(OldBody):
    connection_id = fields.String(required=True, validate=NAME)
    data_type = fields.String(validate=NAME)


class RetractSchema(OldBody):
    partition = fields.String(required=True, validate=PARTITION)
    connections = fields.List(fields.Nested(RetractedSchema), required=True,
                              validate=validate.Length(min=1, max=1000))


class PartitionSchema(OldBody):
    partition = fields.String(required=True, validate=PARTITION)


class FoundSchema(Schema):
    """An entry as the old lookup answers it: exactly these four keys, in this order."""

    uid = fields.String()
    uri = fields.String()
    connection_type = fields.Integer()
    data_type = fields.String()


class EntrySchema(FoundSchema):
    published = fields.String(metadata={"description": "last publication (ISO 8601 UTC)"})
    expires = fields.String(metadata={"description": "when it stops being returned"})
    authenticated = fields.Boolean(metadata={
        "description": "its last publication showed a write token (false: anyone who can "
                       "reach an --open-publish registry could have placed it)"})


class EntryListSchema(Schema):
    partition = fields.String()
    entries = fields.List(fields.Nested(EntrySchema))


class TypedLookupQuery(Schema):
    uid_regex = fields.String(load_default="", validate=validate.Length(max=1024),
                              metadata={"description": "RE2 pattern, matched anywhere in uid "
                                                       "(default: every uid)"})
    data_type = fields.String(validate=NAME, metadata={"description": "default: any"})


class TypedPublishSchema(Schema):
    connections = fields.List(KnownNested(ConnectionSchema), required=True,
                              validate=validate.Length(min=1, max=1000))


class TypedRetractSchema(Schema):
    uids = fields.List(fields.String(validate=NAME), required=True,
                       validate=validate.Length(min=1, max=1000))


class CountSchema(Schema):
    partition = fields.String()
    count = fields.Integer(metadata={"description": "entries published or retracted"})


class PartitionSummarySchema(Schema):
    partition = fields.String()
    entries = fields.Integer(metadata={"description": "entries not purged yet"})
    live = fields.Integer(metadata={"description": "entries within the TTL"})


class CounterSchema(Schema):
    calls = fields.Integer()
    average_seconds = fields.Float()


class RegistrySchema(Schema):
    ttl_seconds = fields.Float()
    partitions = fields.List(fields.Nested(PartitionSummarySchema))
    publish = fields.Nested(CounterSchema)
    lookup = fields.Nested(CounterSchema)


class TargetGroupSchema(Schema):
    targets = fields.List(fields.String(), metadata={"description": "host:port"})
    labels = fields.Dict(keys=fields.String(), values=fields.String(),
                         metadata={"description": "partition, uid, __scheme__"})


class RegistryHealthSchema(Schema):
    status = fields.String(metadata={"enum": ["ok", "degraded"]})
    reason = fields.String(allow_none=True, metadata={
        "description": "the first cause while degraded: disk full, registry unreadable"})
    reasons = fields.List(fields.String(), metadata={"description": "why it is degraded"})
    version = fields.String()
    role = fields.String(metadata={"enum": ["registry"]})
    ttl_seconds = fields.Float()
