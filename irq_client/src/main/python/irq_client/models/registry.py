"""The registry role's routes (`irq-server registry`): /api/v1/registry/..., its health."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from irq_client.models.base import Items, Json, Model, instant, obj, strs


@dataclass(frozen=True)
class RegistryEntry(Model):
    uid: str  # what published it calls itself
    uri: str  # where it is (an irq-server's base URL for data_type "irq-server")
    connection_type: int  # the publisher's number, passed through
    data_type: str  # "irq-server" for irq-servers
    published: datetime | None = None  # last publication (UTC); absent from older registries
    expires: datetime | None = None  # when it stops being returned unless re-published
    authenticated: bool = False  # published with a write token (False: anyone could have;
    #                              also when an older registry does not say)

    @classmethod
    def from_json(cls, raw: Json) -> RegistryEntry:
        d = obj(raw)
        return cls(uid=str(d["uid"]), uri=str(d["uri"]), connection_type=int(d["connection_type"]),
                   data_type=str(d["data_type"]), published=instant(d.get("published")),
                   expires=instant(d.get("expires")),
                   authenticated=d.get("authenticated", False) is True, raw=raw)


def entry_list(raw: Json) -> Items[RegistryEntry]:
    """The entries of a lookup answer ({"partition", "entries": [...]}), keeping it."""
    return Items((RegistryEntry.from_json(e) for e in obj(raw)["entries"]), raw=raw)


@dataclass(frozen=True)
class PartitionSummary(Model):
    partition: str  # its name
    entries: int  # not purged yet, live or expired
    live: int  # within the TTL

    @classmethod
    def from_json(cls, raw: Json) -> PartitionSummary:
        d = obj(raw)
        return cls(partition=str(d["partition"]), entries=int(d["entries"]),
                   live=int(d["live"]), raw=raw)


@dataclass(frozen=True)
class RegistryState(Model):
    ttl_seconds: float  # entries live this long after their last publication
    partitions: tuple[PartitionSummary, ...]  # every partition with entries
    publish_calls: int  # publications served
    lookup_calls: int  # lookups served

    @classmethod
    def from_json(cls, raw: Json) -> RegistryState:
        d = obj(raw)
        return cls(ttl_seconds=float(d["ttl_seconds"]),
                   partitions=tuple(PartitionSummary.from_json(p) for p in d["partitions"]),
                   publish_calls=int(obj(d["publish"])["calls"]),
                   lookup_calls=int(obj(d["lookup"])["calls"]), raw=raw)


@dataclass(frozen=True)
class RegistryHealth(Model):
    status: str  # "ok", or "degraded" (see reasons)
    version: str  # server version
    role: str  # "registry"
    ttl_seconds: float  # entries live this long after their last publication
    reasons: tuple[str, ...]  # why the registry is degraded, in words
    reason: str | None  # the first cause: "disk full", "registry unreadable"

    @classmethod
    def from_json(cls, raw: Json) -> RegistryHealth:
        d = obj(raw)
        return cls(status=str(d["status"]), version=str(d["version"]), role=str(d["role"]),
                   ttl_seconds=float(d["ttl_seconds"]), reasons=strs(d["reasons"]),
                   reason=d["reason"], raw=raw)
