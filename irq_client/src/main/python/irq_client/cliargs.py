"""Command-line pieces shared by `irq-client` and `irq-balance` (and free for any other
front-end of irq_client): argparse types, flag groups, and the checks argparse cannot make.

    UsageError           a mistake in the command line argparse cannot see: exit 2
    positive             type: a number > 0
    cpu_list_arg         type: "0-3,8" -> frozenset({0, 1, 2, 3, 8})
    columns_arg          type: irq-client's -o LIST
    server_url           a URL given on the command line, checked for its scheme
    add_window_flags     --period/--start/--end; window_arg turns them into a Window
    add_registry_flags   --registry/--partition/--match/--trust-open-registry;
                         registry_hosts asks the registry they name
"""
from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from urllib.parse import urlsplit

from irq_client import render
from irq_client.models import Items, RegistryEntry
from irq_client.registry import RegistryClient
from irq_client.window import Window


class UsageError(Exception):
    """A command line argparse accepted but that cannot be carried out as given (exit 2)."""


def positive(text: str) -> float:
    """argparse type: a finite number greater than 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a finite number greater than 0, not {text}")
    return value


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """argparse type: a whole number from `low` to `high`."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number from {low} to {high}, "
                                             f"not {text}")
        return value
    return parse


def cpu_list_arg(text: str) -> frozenset[int]:
    """argparse type: a CPU list like 0-3,8."""
    try:
        return render.parse_cpu_list(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def columns_arg(text: str) -> tuple[str, ...]:
    """argparse type: irq-client's -o/--output column list (+LIST adds to the defaults)."""
    try:
        return render.parse_columns(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def server_url(text: str | None) -> str | None:
    """The server URL as given, after checking it is an http(s) URL with a host and a valid
    port (UsageError saying what is wrong otherwise)."""
    if text is None:
        return None
    if "://" not in text:
        raise UsageError(f"server URL {text!r} has no scheme: use http://{text} "
                         f"(or https://{text} for a TLS server)")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises ValueError for a port past 65535 or not a number)
    except ValueError as exc:
        raise UsageError(f"server URL {text!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"server URL {text!r} must be http:// or https:// and name a host")
    return text


def add_window_flags(parser: argparse.ArgumentParser, default: str = "60 s") -> None:
    """--period, --start and --end: a window of history (see irq_client.window.Window)."""
    parser.add_argument("--period", type=positive,
                        help=f"window length in seconds (default {default}), ending at --end "
                             "or now")
    parser.add_argument("--start", help="window start: RFC 3339 (2026-11-23T08:00:00Z) or "
                                        "epoch seconds")
    parser.add_argument("--end", help="window end (default now)")


def window_arg(args: argparse.Namespace) -> Window:
    """The Window of add_window_flags' flags; UsageError when Window refuses them."""
    try:
        return Window(period=args.period, start=args.start, end=args.end)
    except ValueError as exc:
        raise UsageError(f"--period, --start, --end: {exc}") from None


def add_registry_flags(parser: argparse.ArgumentParser) -> None:
    """--registry/--partition/--match: find irq-servers through a registry."""
    parser.add_argument("--registry", default=os.environ.get("IRQ_REGISTRY_URL"),
                        metavar="URL", help="registry URL (default $IRQ_REGISTRY_URL)")
    parser.add_argument("--partition", help="registry partition holding the hosts")
    parser.add_argument("--match", default="", metavar="REGEX",
                        help="only hosts whose uid this RE2 pattern matches (anywhere)")
    parser.add_argument("--trust-open-registry", action="store_true",
                        help="also use (and send --token to) hosts published without a write "
                             "token (by default skipped: with an --open-publish registry, "
                             "anyone could have placed them)")


def registry_hosts(args: argparse.Namespace, timeout: float) -> Items[RegistryEntry]:
    """The live irq-servers of args.partition in args.registry (UsageError when unset)."""
    if not args.registry or not args.partition:
        missing = [flag for flag, value in (("--registry URL (or $IRQ_REGISTRY_URL)",
                                             args.registry), ("--partition NAME", args.partition))
                   if not value]
        raise UsageError(f"give {' and '.join(missing)}: the registry's hosts are those of "
                         "one partition")
    registry = RegistryClient(server_url(args.registry), token=args.token, timeout=timeout)
    return registry.hosts(args.partition, args.match)
