"""The irq-client parser, its global flags, and main(): a handler's errors become exit codes."""
from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

from irq_client import __version__
from irq_client.cli import affinity, host, hosts, interrupts, irqs, runs, top, usage
from irq_client.cli.base import Commands, Failure
from irq_client.cliargs import UsageError, positive, server_url
from irq_client.client import DEFAULT_URL, IrqClient
from irq_client.errors import ApiError, TransportError

EPILOG = """examples:
  irq-client irqs -s total                         lsirq-style table, busiest first
  irq-client irqs -s delta --period 10 -C 0-3 --per-cpu
  irq-client irqs -o irq,total,node,effective,name -P
  irq-client irqs -S                               softirqs per CPU
  irq-client irq 42
  irq-client cpus
  irq-client host                                  is the irqbalance daemon running here?
  irq-client compliance                            IRQs on isolated/banned CPUs (exit 1: movable)
  irq-client interrupts --period 10 --cpu 3        CPU 3 over the last 10 s
  irq-client interrupts --start 2026-11-23T08:00:00Z --end 2026-11-23T09:00:00Z --per-irq
  irq-client affinity get 42
  irq-client affinity set 42 --cpus 2-3            needs a write token (--token or $IRQ_TOKEN)
  irq-client affinity set 42 0c
  irq-client top -d 2 --iterations 5
  irq-client usage --period 3600                   CPU, memory and disks now and over an hour
  irq-client cpu --period 600 --points 20          CPU usage over time (also memory, storage)
  irq-client irqs --json | jq '.totals'
  irq-client record --user alice -- make -j8       the machine's CPU use while make runs
  irq-client runs --user alice                     alice's runs; runs show ID, runs stop ID
  irq-client hosts --registry http://reg:5100 --partition rack1   a partition's servers

--server, --token, --timeout and --json go before or after the command.
environment: IRQ_SERVER_URL (default http://127.0.0.1:5000), IRQ_TOKEN, IRQ_PASSWORD (record)
exit codes: 0 ok, 1 API error, 2 usage, 3 server unreachable (record: the command's own)
"""

GROUPS = (irqs, interrupts, affinity, host, usage, runs, hosts, top)  # in help's order


def connection_flags() -> argparse.ArgumentParser:
    """--server, --token, --timeout and -J/--json, accepted before or after the command: the
    defaults are SUPPRESS so a later parser never overwrites what an earlier one read."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--server", default=argparse.SUPPRESS,
                   help="irq-server URL with its scheme (default $IRQ_SERVER_URL or "
                        "http://127.0.0.1:5000)")
    p.add_argument("--token", default=argparse.SUPPRESS, help="bearer token (default $IRQ_TOKEN)")
    p.add_argument("--timeout", type=positive, default=argparse.SUPPRESS,
                   help="seconds per request (default 5)")
    p.add_argument("-J", "--json", action="store_true", default=argparse.SUPPRESS,
                   help="print the server's JSON")
    return p


def build_parser() -> argparse.ArgumentParser:
    common = [connection_flags()]
    p = argparse.ArgumentParser(prog="irq-client", description="Read a host's interrupts from "
                                "irq-server and change IRQ affinity.", epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                parents=common)
    p.add_argument("--version", action="version", version=f"irq-client {__version__}")
    commands = Commands(p.add_subparsers(dest="command", required=True, metavar="COMMAND"),
                        common)
    for group in GROUPS:
        group.add_parsers(commands)
    return p


GLOBAL_DEFAULTS = (("server", None), ("token", None), ("timeout", 5.0), ("json", False))


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    for name, default in GLOBAL_DEFAULTS:
        if not hasattr(args, name):
            setattr(args, name, default)
    url = None
    try:
        url = server_url(args.server or os.environ.get("IRQ_SERVER_URL"))
        client = IrqClient(url, token=args.token, timeout=args.timeout)
        code: int = args.handler(client, args, out)
        return code
    except ApiError as exc:  # the server answered with a problem: its detail
        report_api_error(exc)
        return 1
    except (UsageError, Failure, TransportError) as exc:  # one line; exit 2, 1 or 3
        print(f"irq-client: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 3 if isinstance(exc, TransportError) else 1
    except (KeyError, TypeError, ValueError) as exc:  # a 200 answer of another shape
        print(f"irq-client: the answer of {url or DEFAULT_URL} is not irq-server's "
              f"({type(exc).__name__}: {exc}); is it an irq-server, and of this version?",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C in top: a clean exit
        return 0
    except BrokenPipeError:  # `irq-client irqs | head`: the reader left, nothing to report
        sys.stdout = open(os.devnull, "w")
        return 0


def report_api_error(exc: ApiError) -> None:
    """The server's problem on stderr: status, title, detail, then each field's messages
    (those that only repeat the detail left out)."""
    print(f"irq-client: {exc.status} {exc.title}: {exc.detail}", file=sys.stderr)
    for field, messages in exc.errors.items():
        text = " ".join(messages) if isinstance(messages, list) else str(messages)
        if text != exc.detail:
            print(f"  {field}: {text}", file=sys.stderr)
