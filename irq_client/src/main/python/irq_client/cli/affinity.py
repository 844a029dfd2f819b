"""irq-client affinity get|set: an IRQ's CPU affinity, read or written; irq-client changes:
the server's audit log of those writes."""
from __future__ import annotations

import argparse
from typing import TextIO

from irq_client import render
from irq_client.cli.base import Commands, show
from irq_client.cliargs import (UsageError, add_window_flags, cpu_list_arg, whole_number,
                               window_arg)
from irq_client.client import IrqClient


def add_parsers(commands: Commands) -> None:
    aff = commands.add("affinity", None, help="read or set an IRQ's CPU affinity",
                       epilog="examples:\n  irq-client affinity get 42\n"
                              "  irq-client affinity set 42 --cpus 2-3\n"
                              "  irq-client affinity set 42 0c")
    actions = commands.nested(aff, "action", metavar="{get,set}")
    get = actions.add("get", cmd_affinity, help="show the affinity")
    get.add_argument("irq", type=int)
    put = actions.add("set", cmd_affinity, help="route the IRQ to other CPUs (write token)",
                      description="Route an IRQ to other CPUs: needs a write token (--token or "
                                  "$IRQ_TOKEN). The server validates, writes only a change, "
                                  "reads back, and keeps the change in its audit log.",
                      epilog="examples:\n  irq-client affinity set 42 --cpus 2-3 --reason "
                             "'pin next to the app'\n  irq-client affinity set 42 0c")
    put.add_argument("irq", type=int, help="IRQ number (irq-client irqs lists them)")
    put.add_argument("mask", nargs="?", help="hex mask, e.g. 0c or 00000000,0000000c")
    put.add_argument("--cpus", type=cpu_list_arg, help="CPU list instead of a mask, e.g. 2-3")
    put.add_argument("--reason", help="why, kept in the server's audit log (irq-client "
                                      "changes): at most 500 printable characters")
    changes = commands.add("changes", cmd_changes, help="the audit log: who changed which "
                           "IRQ's affinity, when and why",
                           description="The server's audit log of affinity writes that changed "
                                       "a mask, oldest first, times in UTC: when, IRQ, CPUs "
                                       "before and after, who (token:<name>, user:<name>) "
                                       "and the reason the writer gave.",
                           epilog="examples:\n  irq-client changes\n"
                                  "  irq-client changes --period 3600\n"
                                  "  irq-client changes --start 2026-12-01T08:00:00Z --json")
    add_window_flags(changes, default="7 days")
    changes.add_argument("--limit", type=whole_number(1, 10_000),
                         help="only the newest N changes (1 to 10000; default all, up to 10000)")


def cmd_affinity(client: IrqClient, args: argparse.Namespace, out: TextIO) -> int:
    if args.action == "set":
        if (args.mask is None) == (args.cpus is None):
            raise UsageError("give a MASK or --cpus LIST (one of them)")
        state = client.set_affinity(args.irq, args.mask if args.mask is not None else args.cpus,
                                    reason=args.reason)
    else:
        state = client.affinity(args.irq)
    return show(out, args, state.raw, lambda: render.affinity_line(state))


def cmd_changes(client: IrqClient, args: argparse.Namespace, out: TextIO) -> int:
    found = client.changes(window_arg(args), limit=args.limit)
    return show(out, args, found.raw, lambda: render.changes_table(found))
