"""`irq-client hosts`: a registry partition's irq-servers and how each one is."""
from __future__ import annotations

from collections.abc import Sequence

from irq_client.registry import HostStatus
from irq_client.render.text import table


def hosts_table(statuses: Sequence[HostStatus]) -> str:
    rows = [(s.entry.uid, s.entry.uri, "yes" if s.entry.authenticated else "NO",
             "yes" if s.reachable else "no", s.status or "-",
             "-" if s.sampler_fresh is None else ("fresh" if s.sampler_fresh else "stale"),
             "-" if s.irqs is None else s.irqs) for s in statuses]
    return table(["UID", "URI", "AUTH", "REACHABLE", "STATUS", "SAMPLER", "IRQS"], rows,
                 right=["IRQS"])
