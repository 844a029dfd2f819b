"""RegistryClient: the typed client of an `irq-server registry`, and `survey`, which asks
every irq-server of a partition how it is (for `irq-client hosts`)."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import quote

from irq_client.client import HttpClient, IrqClient
from irq_client.errors import IrqClientError
from irq_client.models import Items, Json, RegistryEntry, RegistryHealth, RegistryState
from irq_client.models.base import obj, seq
from irq_client.models.registry import entry_list

IRQ_SERVER = "irq-server"  # the data_type irq-servers publish themselves under


class RegistryClient(HttpClient):
    """Client of one registry (`irq-server registry`); see HttpClient for the arguments."""

    ROLE = "the registry"  # "cannot reach the registry at URL"

    OPERATIONS = {
        ("get", "/healthz"): "health", ("get", "/readyz"): "ready",
        ("get", "/openapi.json"): "openapi",
        ("get", "/api/v1/registry"): "state",
        ("get", "/api/v1/registry/{partition}/entries"): "entries",
        ("post", "/api/v1/registry/{partition}/entries"): "publish",
        ("post", "/api/v1/registry/{partition}/retract"): "retract",
        ("delete", "/api/v1/registry/{partition}"): "retract_partition",
        ("get", "/api/v1/registry/{partition}/prometheus"): "prometheus_targets",
    }

    def health(self) -> RegistryHealth:
        """Status, version, TTL; 200 whatever the disk does (see `reason`)."""
        return RegistryHealth.from_json(self.get_json("/healthz"))

    def ready(self) -> RegistryHealth:
        """Like health(), but a registry that cannot store or read entries answers 503."""
        return RegistryHealth.from_json(self.get_json("/readyz"))

    def openapi(self) -> dict[str, Json]:
        return obj(self.get_json("/openapi.json"))

    def state(self) -> RegistryState:
        """TTL, partitions with their entry counts, publish/lookup counts."""
        return RegistryState.from_json(self.get_json("/api/v1/registry"))

    def entries(self, partition: str, uid_regex: str = "",
                data_type: str | None = None) -> Items[RegistryEntry]:
        """Live entries whose uid `uid_regex` (RE2) matches anywhere; NotFound for an unknown
        partition, BadRequest for a pattern the server refuses."""
        return entry_list(self.get_json(f"/api/v1/registry/{_segment(partition)}/entries",
                                        uid_regex=uid_regex, data_type=data_type))

    def hosts(self, partition: str, match: str = "") -> Items[RegistryEntry]:
        """The live irq-servers of a partition (uid matching `match`)."""
        return self.entries(partition, match, IRQ_SERVER)

    def publish(self, partition: str, connections: Iterable[Mapping[str, object]]) -> int:
        """Publish or refresh entries ({"uid", "uri", "connection_type", "data_type"})."""
        return int(obj(self.post_json(f"/api/v1/registry/{_segment(partition)}/entries",
                                      {"connections": [dict(c) for c in connections]}))["count"])

    def retract(self, partition: str, uids: Iterable[str]) -> int:
        return int(obj(self.post_json(f"/api/v1/registry/{_segment(partition)}/retract",
                                      {"uids": list(uids)}))["count"])

    def retract_partition(self, partition: str) -> int:
        return int(obj(self.delete_json(f"/api/v1/registry/{_segment(partition)}"))["count"])

    def prometheus_targets(self, partition: str) -> list[dict[str, Json]]:
        """Prometheus http_sd_config target groups of the partition's live irq-servers."""
        return [obj(group) for group in seq(self.get_json(
            f"/api/v1/registry/{_segment(partition)}/prometheus"))]


@dataclass(frozen=True)
class HostStatus:
    """What `survey` found out about one registry entry."""

    entry: RegistryEntry  # the entry asked
    reachable: bool  # it answered (with anything)
    status: str | None  # "ok" / "degraded" (None when unreachable)
    sampler_fresh: bool | None  # its history is being recorded (None: not asked)
    irqs: int | None  # numbered IRQs on the host
    error: str | None  # why it could not be asked


def trusted(entries: Iterable[RegistryEntry], trust_open: bool = False,
            warn: Callable[[str], None] | None = None) -> tuple[RegistryEntry, ...]:
    """The entries a token may go to: those published with a write token. Anyone who can
    reach a registry running with --open-publish can publish any uri, and a token sent there
    is theirs; `trust_open` takes every entry anyway. `warn` hears of each one left out."""
    kept = []
    for entry in entries:
        if entry.authenticated or trust_open:
            kept.append(entry)
        elif warn is not None:
            warn(f"skipping {entry.uid} ({entry.uri}): published without a write token, so "
                 "anyone could have placed it there; --trust-open-registry uses it anyway")
    return tuple(kept)


def survey(entries: Iterable[RegistryEntry], token: str | None = None,
           timeout: float = 3.0, trust_open: bool = False) -> list[HostStatus]:
    """Ask every host at once how it is (health, sampler, IRQ count), in `entries` order.
    `token` goes only to entries published with a write token (to all with `trust_open`)."""
    def ask(entry: RegistryEntry) -> HostStatus:
        sent = token if entry.authenticated or trust_open else ""  # "": not even $IRQ_TOKEN
        client = IrqClient(entry.uri, token=sent, timeout=timeout, retries=0)
        try:
            health = client.health()
            irqs = len(client.irqs().irqs)
        except IrqClientError as exc:
            return HostStatus(entry, False, None, None, None, str(exc))
        except (KeyError, TypeError, ValueError) as exc:  # not what an irq-server answers
            return HostStatus(entry, True, None, None, None,
                              f"not an irq-server's answer ({type(exc).__name__}: {exc})")
        return HostStatus(entry, True, health.status, not health.sampler.stale, irqs, None)

    entries = list(entries)
    with ThreadPoolExecutor(max_workers=max(1, min(16, len(entries)))) as pool:
        return list(pool.map(ask, entries))


def _segment(text: str) -> str:
    return quote(text, safe="")
