"""What every irq-client command shares: the one printer, the failure it may report, and the
factory that adds a subcommand with the global flags."""
from __future__ import annotations

import argparse
import json
import textwrap
from collections.abc import Callable, Sequence
from typing import TextIO

from irq_client.client import IrqClient
from irq_client.models import Json

Handler = Callable[[IrqClient, argparse.Namespace, TextIO], int]


class Failure(Exception):
    """The command could not do what was asked, for a reason it says in words (exit 1)."""


def show(out: TextIO, args: argparse.Namespace, raw: Json, text: Callable[[], str]) -> int:
    """Print a result: with --json the JSON the server answered (`raw`, from the request the
    command made), else its text view; `text` is called only then."""
    if args.json:
        json.dump(raw, out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        print(text(), file=out)
    return 0


class Commands:
    """Adds subcommands that take the global flags (`parents`) and name their handler."""

    def __init__(self, sub: argparse._SubParsersAction[argparse.ArgumentParser],
                 parents: Sequence[argparse.ArgumentParser]) -> None:
        self.sub = sub
        self.parents = list(parents)

    def add(self, name: str, handler: Handler | None, *, help: str,
            epilog: str | None = None, description: str | None = None) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = self.sub.add_parser(
            name, parents=self.parents, formatter_class=argparse.RawDescriptionHelpFormatter,
            help=help, epilog=epilog,
            description=textwrap.fill(description or help[:1].upper() + help[1:], 78))
        if handler is not None:
            parser.set_defaults(handler=handler)
        return parser

    def nested(self, parser: argparse.ArgumentParser, dest: str,
               required: bool = True, metavar: str | None = None) -> Commands:
        """Commands one level down (affinity get|set, runs show|stop)."""
        return Commands(parser.add_subparsers(dest=dest, required=required, metavar=metavar),
                        self.parents)
