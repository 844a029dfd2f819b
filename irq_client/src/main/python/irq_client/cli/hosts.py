"""irq-client hosts: the irq-servers a registry lists in a partition, and how each one is."""
from __future__ import annotations

import argparse
from typing import TextIO

from irq_client import render
from irq_client.cli.base import Commands, show
from irq_client.cliargs import add_registry_flags, registry_hosts
from irq_client.client import IrqClient
from irq_client.models import Json
from irq_client.registry import HostStatus, survey


def add_parsers(commands: Commands) -> None:
    hosts = commands.add("hosts", cmd_hosts, help="the irq-servers a registry lists in a "
                         "partition, with their health", epilog="example: irq-client hosts "
                         "--registry http://reg:5100 --partition rack1 --match '^db'")
    add_registry_flags(hosts)


def cmd_hosts(client: IrqClient, args: argparse.Namespace, out: TextIO) -> int:
    statuses = survey(registry_hosts(args, args.timeout), token=args.token,
                      timeout=args.timeout, trust_open=args.trust_open_registry)
    return show(out, args, [status_json(s) for s in statuses],
                lambda: render.hosts_table(statuses))


def status_json(s: HostStatus) -> Json:
    """What the survey found of one host (the survey's own answer: no server sent it)."""
    return {"uid": s.entry.uid, "uri": s.entry.uri, "authenticated": s.entry.authenticated,
            "reachable": s.reachable, "status": s.status, "sampler_fresh": s.sampler_fresh,
            "irqs": s.irqs, "error": s.error}
