"""irq-client host (the host and its irqbalance daemon) and compliance (IRQs routed to CPUs
the host's policy bans; exit 1 when one of them could be moved off)."""
from __future__ import annotations

import argparse
from typing import TextIO

from irq_client import render
from irq_client.cli.base import Commands, show
from irq_client.client import IrqClient


def add_parsers(commands: Commands) -> None:
    commands.add("host", cmd_host, help="hostname, kernel, boot time, and whether the "
                 "irqbalance daemon runs (with its bans)", epilog="example: irq-client host")
    commands.add("compliance", cmd_compliance, help="IRQs routed to banned CPUs (isolated, "
                 "nohz_full, irqbalance config, default_smp_affinity); exit 1 when one is "
                 "movable", epilog="example: irq-client compliance || irq-balance apply ...")


def cmd_host(client: IrqClient, args: argparse.Namespace, out: TextIO) -> int:
    host = client.host()
    return show(out, args, host.raw, lambda: render.host_text(host))


def cmd_compliance(client: IrqClient, args: argparse.Namespace, out: TextIO) -> int:
    report = client.compliance()
    show(out, args, report.raw, lambda: render.compliance_text(report))
    return 1 if report.movable_violations else 0
