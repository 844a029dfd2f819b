"""irq-client: the command line of irq_client.

Exit codes: 0 ok, 1 the server answered with an error, 2 usage, 3 the server cannot be reached.
"""
from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import select
import shlex
import socket
import sys
import termios
import time
import tty

from irq_client import __version__, record, render
from irq_client.client import IrqClient
from irq_client.registry import RegistryClient, survey
from irq_client.errors import ApiError, TransportError

EPILOG = """examples:
  irq-client irqs -s total                         lsirq-style table, busiest first
  irq-client irqs -s delta --period 10 -C 0-3 --per-cpu
  irq-client irqs -o irq,total,node,effective,name -P
  irq-client irqs -S                               softirqs per CPU
  irq-client irq 42
  irq-client cpus
  irq-client interrupts --period 10 --cpu 3        CPU 3 over the last 10 s
  irq-client interrupts --start 2026-11-23T08:00:00Z --end 2026-11-23T09:00:00Z --per-irq
  irq-client affinity get 42
  irq-client affinity set 42 --cpus 2-3            needs a write token (--token or $IRQ_TOKEN)
  irq-client affinity set 42 0c
  irq-client top -d 2 --iterations 5
  irq-client usage --period 3600                   CPU, memory and disks now and over an hour
  irq-client cpu --period 600 --points 20          CPU usage over time (also memory, storage)
  irq-client irqs --json | jq '.totals'
  irq-client record --user alice -- make -j8       record a command's CPU use as a run
  irq-client hosts --registry http://reg:5100 --partition rack1   a partition's servers

--server, --token, --timeout and --json go before or after the command.
environment: IRQ_SERVER_URL (default http://127.0.0.1:5000), IRQ_TOKEN, IRQ_PASSWORD (record)
exit codes: 0 ok, 1 API error, 2 usage, 3 server unreachable (record: the command's own)
"""


class UsageError(Exception):
    pass


def positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, not {text}")
    return value


def cpu_list_arg(text: str) -> frozenset[int]:
    try:
        return render.parse_cpu_list(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def columns_arg(text: str) -> tuple[str, ...]:
    try:
        return render.parse_columns(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    fmt = argparse.RawDescriptionHelpFormatter

    def command(name, **kwargs):
        return sub.add_parser(name, parents=common, formatter_class=fmt, **kwargs)

    irqs = command("irqs", help="list IRQs like lsirq",
                   epilog="examples:\n  irq-client irqs -s delta --period 10 --per-cpu\n"
                          "  irq-client irqs -o irq,total,node,effective,name -t 1000\n"
                          "  irq-client irqs -S               softirqs per CPU (lsirq -S)\n"
                          f"columns for -o: {','.join(render.COLUMNS)} (+LIST adds to the "
                          "defaults)")
    add_table_flags(irqs, default_sort="irq")
    irqs.add_argument("--period", type=positive, default=60.0,
                      help="window in seconds for DELTA and -S (default %(default)s)")
    irqs.add_argument("--delta", action="store_true", help="add a DELTA column over --period")
    irqs.add_argument("-S", "--softirq", action="store_true",
                      help="softirqs per CPU over --period instead of IRQs")

    irq = command("irq", help="one IRQ in detail", epilog="example: irq-client irq 42")
    irq.add_argument("irq", type=int)

    command("cpus", help="CPU topology table", epilog="example: irq-client cpus")

    ints = command("interrupts", help="interrupts per CPU over a window",
                   epilog="examples:\n  irq-client interrupts --period 10 --cpu 3\n"
                          "  irq-client interrupts --start 1795424400 --end 1795428000 --per-irq")
    ints.add_argument("--period", type=positive,
                      help="window length in seconds (default 60), ending at --end or now")
    ints.add_argument("--start", help="window start: RFC 3339 (2026-11-23T08:00:00Z) or epoch "
                                      "seconds")
    ints.add_argument("--end", help="window end (default now)")
    ints.add_argument("--cpu", type=int, help="only this CPU")
    ints.add_argument("--per-irq", action="store_true", help="one row per IRQ with its rate")

    aff = command("affinity", help="read or set an IRQ's CPU affinity",
                  epilog="examples:\n  irq-client affinity get 42\n"
                         "  irq-client affinity set 42 --cpus 2-3\n  irq-client affinity set 42 0c")
    aff_sub = aff.add_subparsers(dest="action", required=True, metavar="{get,set}")
    get = aff_sub.add_parser("get", help="show the affinity", parents=common)
    get.add_argument("irq", type=int)
    put = aff_sub.add_parser("set", help="route the IRQ to other CPUs (write token)",
                             parents=common)
    put.add_argument("irq", type=int)
    put.add_argument("mask", nargs="?", help="hex mask, e.g. 0c or 00000000,0000000c")
    put.add_argument("--cpus", type=cpu_list_arg, help="CPU list instead of a mask, e.g. 2-3")

    usage = command("usage", help="CPU, memory and filesystems: now and averages",
                    epilog="example: irq-client usage --period 3600")
    usage.add_argument("--period", type=positive, default=3600.0,
                       help="averages over this many seconds (default %(default)s)")
    for name, what in (("cpu", "CPU usage"), ("memory", "memory used and available"),
                       ("storage", "filesystem space")):
        series = command(name, help=f"{what} over time",
                         epilog=f"example: irq-client {name} --period 3600 --points 30")
        series.add_argument("--period", type=positive,
                            help="window in seconds (default a week), ending at --end or now")
        series.add_argument("--start", help="window start: RFC 3339 or epoch seconds")
        series.add_argument("--end", help="window end (default now)")
        series.add_argument("--points", type=int, default=60,
                            help="at most this many points (default %(default)s)")
    sub.choices["cpu"].add_argument("--per-cpu", action="store_true",
                                    help="a column per CPU (usage percent)")
    sub.choices["storage"].add_argument("--mount", default="/",
                                        help="mount point (default %(default)s)")
    sub.choices["storage"].add_argument("--all", action="store_true",
                                        help="every tracked filesystem")

    rec = command("record", help="run a command and record its CPU use (and interrupts) as a run",
                  epilog=RECORD_EPILOG)
    rec.add_argument("--name", help="run name (default: the command's name)")
    rec.add_argument("--description", help="default: the whole command line")
    rec.add_argument("--threshold", type=float, default=50.0,
                     help="CPU percent; the run counts the time above it (default %(default)s)")
    rec.add_argument("--interval", type=positive, default=0.5,
                     help="seconds between CPU samples (default %(default)s)")
    rec.add_argument("--user", help="log in as this user (password: $IRQ_PASSWORD or a "
                                    "prompt); default: the --token/$IRQ_TOKEN token")
    rec.add_argument("--no-command", action="store_true",
                     help="no command: record until Ctrl-C (SIGINT) or SIGTERM")
    rec.add_argument("--flush-timeout", type=positive, default=30.0,
                     help="seconds to wait at the end for an unreachable server to take the "
                          "kept samples (default %(default)s)")
    rec.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- COMMAND ARGS",
                     help="the command to run, after --")

    hosts = command("hosts", help="the irq-servers a registry lists in a partition, with "
                    "their health", epilog="example: irq-client hosts --registry "
                    "http://reg:5100 --partition rack1 --match '^db'")
    add_registry_flags(hosts)

    top = command("top", help="live view like irqtop",
                  epilog="example: irq-client top -d 2 --iterations 10 -s total\n"
                         "keys on a terminal: i t d n sort by IRQ, TOTAL, DELTA, NAME; q quits")
    add_table_flags(top, default_sort="delta")
    top.add_argument("-d", "--delay", type=positive, default=3.0,
                     help="seconds between refreshes (default %(default)s)")
    top.add_argument("--iterations", type=int, help="stop after N refreshes (default: forever)")
    top.add_argument("-b", "--batch", action="store_true",
                     help="print frames one after another (default when stdout is not a tty)")
    return p


RECORD_EPILOG = """examples:
  irq-client record --user alice -- make -j8
  irq-client record --threshold 80 --name fio -- fio job.fio
  irq-client record --no-command                 until Ctrl-C

The command runs with this terminal's stdin/stdout/stderr; irq-client exits with its exit
status (128+N when signal N ended it). SIGINT/SIGTERM sent to irq-client are passed on to
it. Whole-machine CPU usage is sampled from /proc/stat every --interval; if the server goes
away the samples are kept and sent when it is back. The run's stats, and the busiest IRQs
during it when the server serves this machine, are printed on stderr at the end (with -J,
the run's JSON, on stderr too: stdout stays the command's).
"""


def add_table_flags(parser: argparse.ArgumentParser, default_sort: str) -> None:
    """lsirq/irqtop's table options."""
    parser.add_argument("-s", "--sort", choices=sorted(render.SORT_KEYS), default=default_sort,
                        help="sort column (default %(default)s)")
    parser.add_argument("-o", "--output", type=columns_arg, metavar="LIST",
                        help=f"columns to show: {','.join(render.COLUMNS)}")
    parser.add_argument("-t", "--threshold", type=int,
                        help="only IRQs with more than N interrupts (default: all)")
    parser.add_argument("-C", "--cpu-list", type=cpu_list_arg,
                        help="count only these CPUs, e.g. 0-3,8")
    parser.add_argument("--per-cpu", action="store_true", help="a column per CPU")
    parser.add_argument("-n", "--noheadings", action="store_true", help="no header line")
    parser.add_argument("-P", "--pairs", action="store_true", help='KEY="value" output')


def add_registry_flags(parser: argparse.ArgumentParser) -> None:
    """--registry/--partition/--match: find irq-servers through a registry (also used by
    irq-balance)."""
    parser.add_argument("--registry", default=os.environ.get("IRQ_REGISTRY_URL"),
                        metavar="URL", help="registry URL (default $IRQ_REGISTRY_URL)")
    parser.add_argument("--partition", help="registry partition holding the hosts")
    parser.add_argument("--match", default="", metavar="REGEX",
                        help="only hosts whose uid this RE2 pattern matches (anywhere)")
    parser.add_argument("--trust-open-registry", action="store_true",
                        help="also use (and send --token to) hosts published without a write "
                             "token (by default skipped: with an --open-publish registry, "
                             "anyone could have placed them)")


def registry_hosts(args, timeout: float) -> tuple:
    """The live irq-servers of args.partition in args.registry (UsageError when unset)."""
    if not args.registry or not args.partition:
        raise UsageError("give --registry URL (or $IRQ_REGISTRY_URL) and --partition")
    registry = RegistryClient(server_url(args.registry), token=args.token, timeout=timeout)
    return registry.hosts(args.partition, args.match)


def server_url(text: str | None) -> str | None:
    """The server URL as given, after checking it names a scheme."""
    if text is not None and "://" not in text:
        raise UsageError(f"server URL {text!r} has no scheme: use http://{text} "
                         f"(or https://{text} for a TLS server)")
    return text


def main(argv: list[str] | None = None, out=None) -> int:
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    for name, default in (("server", None), ("token", None), ("timeout", 5.0), ("json", False)):
        if not hasattr(args, name):
            setattr(args, name, default)
    try:
        url = server_url(args.server or os.environ.get("IRQ_SERVER_URL"))
        client = IrqClient(url, token=args.token, timeout=args.timeout)
        return COMMANDS[args.command](client, args, out)
    except UsageError as exc:
        print(f"irq-client: {exc}", file=sys.stderr)
        return 2
    except ApiError as exc:
        print(f"irq-client: {exc.status} {exc.title}: {exc.detail}", file=sys.stderr)
        for field, messages in exc.errors.items():
            print(f"  {field}: {' '.join(messages)}", file=sys.stderr)
        return 1
    except TransportError as exc:
        print(f"irq-client: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:  # Ctrl-C in top: a clean exit
        return 0
    except BrokenPipeError:  # `irq-client irqs | head`: the reader left, nothing to report
        sys.stdout = open(os.devnull, "w")
        return 0


def emit_json(out, data) -> int:
    json.dump(data, out, indent=2)
    out.write("\n")
    return 0


def cmd_irqs(client: IrqClient, args, out) -> int:
    if args.softirq:
        if args.output:
            raise UsageError("-o/--output chooses IRQ columns; -S shows softirqs")
        if args.json:
            return emit_json(out, client.get_json("/softirqs", period_seconds=args.period))
        window = client.softirqs(period=args.period)
        shown = [c for c in window.cpus if args.cpu_list is None or c in args.cpu_list]
        print(render.softirq_table(window, shown_cpus=shown if args.per_cpu else None,
                                   cpus=args.cpu_list, headings=not args.noheadings,
                                   pairs=args.pairs), file=out)
        return 0
    if args.json:
        return emit_json(out, client.get_json("/irqs"))
    columns = table_columns(args, with_delta=args.delta)
    listing = client.irqs()
    window = client.interrupts_irqs(period=args.period) if "DELTA" in columns else None
    print(irqs_text(listing, window, args, columns), file=out)
    return 0


def table_columns(args, with_delta: bool) -> tuple[str, ...]:
    """-o's columns, else lsirq's defaults (with DELTA when asked for or sorted by)."""
    if args.output:
        return args.output
    if with_delta or args.sort == "delta":
        return ("IRQ", "TOTAL", "DELTA", "NAME")
    return render.DEFAULT_COLUMNS


def irqs_text(listing, window, args, columns) -> str:
    shown = [c for c in listing.cpus if args.cpu_list is None or c in args.cpu_list]
    rows = render.irq_rows(listing, window, args.cpu_list)
    return render.irq_table(rows, sort=args.sort, columns=columns,
                            shown_cpus=shown if args.per_cpu else None,
                            threshold=args.threshold, headings=not args.noheadings,
                            pairs=args.pairs)


def cmd_irq(client: IrqClient, args, out) -> int:
    if args.json:
        return emit_json(out, client.get_json(f"/irqs/{args.irq}"))
    irq = client.irq(args.irq)
    fields = [("IRQ", irq.irq), ("name", render.irq_name(irq)), ("total", irq.total),
              ("per CPU", " ".join(map(str, irq.num_interrupts_per_cpu))),
              ("affinity", f"{irq.cpu_affinity} (CPUs {render.cpu_list(irq.cpu_affinity_list)})"),
              ("effective", render.cpu_list(irq.effective_affinity_list)),
              ("hint", render.cpu_list(irq.affinity_hint)),
              ("node", "-" if irq.node is None else irq.node),
              ("managed", {True: "yes", False: "no", None: "unknown"}[irq.managed])]
    width = max(len(k) for k, _ in fields)
    print("\n".join(f"{k + ':':<{width + 1}} {v}" for k, v in fields), file=out)
    return 0


def cmd_cpus(client: IrqClient, args, out) -> int:
    if args.json:
        return emit_json(out, client.get_json("/cpus"))
    dash = lambda v: "-" if v is None else v  # noqa: E731
    rows = [[c.cpu, "yes" if c.online else "no", dash(c.node), dash(c.package), dash(c.core),
             render.cpu_list(c.cache_cpus), "yes" if c.isolated else "no",
             "yes" if c.nohz_full else "no"] for c in client.cpus()]
    headers = ["CPU", "ONLINE", "NODE", "PACKAGE", "CORE", "CACHE-CPUS", "ISOLATED", "NOHZ"]
    print(render.table(headers, rows, right=["CPU", "NODE", "PACKAGE", "CORE"]), file=out)
    return 0


def cmd_interrupts(client: IrqClient, args, out) -> int:
    if None not in (args.period, args.start, args.end):
        raise UsageError("give at most two of --period, --start and --end")
    window = {"period": args.period, "start": args.start, "end": args.end}
    if args.cpu is not None and not args.per_irq:
        if args.json:
            return emit_json(out, client.get_json(f"/interrupts/cpu/{args.cpu}",
                                                  **_query(window)))
        cpu = client.interrupts_cpu(args.cpu, **window)
        print(f"CPU {cpu.cpu}: {cpu.num_interrupts} interrupts, {cpu.percent_interrupts:.1f}% "
              f"of {cpu.num_interrupts_all_cpus}{_span_text(cpu.span)}", file=out)
        return 0
    if args.per_irq:
        return per_irq(client, args, window, out)
    if args.json:
        return emit_json(out, client.get_json("/interrupts", **_query(window)))
    win = client.interrupts(**window)
    rows = [[c, n, f"{p:.1f}"] for c, n, p in zip(win.cpus, win.num_interrupts_per_cpu,
                                                  win.percent_interrupts_per_cpu)]
    print(render.table(["CPU", "INTERRUPTS", "PERCENT"], rows,
                       right=["CPU", "INTERRUPTS", "PERCENT"]), file=out)
    print(f"total {win.num_interrupts_all_cpus}{_span_text(win.span)}", file=out)
    return 0


def per_irq(client: IrqClient, args, window: dict, out) -> int:
    if args.json:
        return emit_json(out, client.get_json("/interrupts/irqs", **_query(window)))
    win = client.interrupts_irqs(**window)
    names = {irq.irq: render.irq_name(irq) for irq in client.irqs().irqs}
    col = win.cpus.index(args.cpu) if args.cpu is not None and args.cpu in win.cpus else None
    if args.cpu is not None and col is None:
        raise UsageError(f"CPU {args.cpu} is not on this host (CPUs {render.cpu_list(win.cpus)})")
    rows = []
    for r in sorted(win.irqs, key=lambda r: -r.num_interrupts):
        count = r.num_interrupts if col is None else r.num_interrupts_per_cpu[col]
        rows.append([r.irq, count, f"{r.rate_per_second:.1f}", names.get(r.irq, "")])
    print(render.table(["IRQ", "INTERRUPTS", "RATE/S", "NAME"], rows,
                       right=["IRQ", "INTERRUPTS", "RATE/S"]), file=out)
    print(_span_text(win.span).strip(), file=out)
    return 0


def _query(window: dict) -> dict:
    return {"period_seconds": window["period"], "start": window["start"], "end": window["end"]}


def _span_text(span) -> str:
    note = " (history is shorter than asked)" if span.partial else ""
    return (f" from {span.start:%Y-%m-%d %H:%M:%S} to {span.end:%H:%M:%S} UTC "
            f"({span.period_duration_seconds:g} s){note}")


def cmd_affinity(client: IrqClient, args, out) -> int:
    if args.action == "set":
        if (args.mask is None) == (args.cpus is None):
            raise UsageError("give a MASK or --cpus LIST (one of them)")
        state = client.set_affinity(args.irq, args.mask if args.mask is not None else args.cpus)
    else:
        state = client.affinity(args.irq)
    if args.json:
        return emit_json(out, {"irq_num": str(state.irq), "cpu_affinity": state.cpu_affinity,
                               "cpu_affinity_list": list(state.cpu_affinity_list),
                               "effective_affinity_list": state.effective_affinity_list and
                               list(state.effective_affinity_list), "managed": state.managed,
                               **({"changed": state.changed} if state.changed is not None
                                  else {})})
    managed = {True: "yes", False: "no", None: "unknown"}[state.managed]
    changed = {True: " (changed)", False: " (unchanged)", None: ""}[state.changed]
    print(f"IRQ {state.irq}: mask {state.cpu_affinity}, CPUs "
          f"{render.cpu_list(state.cpu_affinity_list)}, effective "
          f"{render.cpu_list(state.effective_affinity_list)}, managed {managed}{changed}",
          file=out)
    return 0


SORT_BY_KEY = {"i": "irq", "t": "total", "d": "delta", "n": "name"}  # irqtop's keys


def cmd_top(client: IrqClient, args, out) -> int:
    """irqtop: refresh every --delay; deltas are the server's counts over the last --delay.
    On a terminal, i/t/d/n change the sort and q quits, as in irqtop."""
    batch = args.batch or not out.isatty()
    keys = None if batch or args.json or not sys.stdin.isatty() else sys.stdin
    with cbreak(keys):
        count = 0
        while args.iterations is None or count < args.iterations:
            if count and wait_key(keys, args.delay, args) == "q":
                break
            if args.json:  # one JSON object per refresh (JSON lines)
                out.write(json.dumps(client.get_json("/interrupts/irqs",
                                                     period_seconds=args.delay)) + "\n")
            else:
                frame = top_frame(client.irqs(), client.interrupts_irqs(period=args.delay), args)
                out.write(frame + "\n" if batch else "\x1b[H\x1b[2J" + frame + "\n")
            out.flush()
            count += 1
    return 0


def wait_key(keys, delay: float, args) -> str | None:
    """Sleep `delay` seconds; with a key stream, a sort key changes args.sort and ends the
    wait early (the next frame shows it). Returns the key read, if any."""
    if keys is None:
        time.sleep(delay)
        return None
    ready, _, _ = select.select([keys], [], [], delay)
    if not ready:
        return None
    key = os.read(keys.fileno(), 1).decode(errors="replace").lower()
    if key in SORT_BY_KEY:
        args.sort = SORT_BY_KEY[key]
    return key


@contextlib.contextmanager
def cbreak(keys):
    """Keys arrive one by one, unechoed, while top runs on a terminal; restored after."""
    if keys is None:
        yield
        return
    saved = termios.tcgetattr(keys)
    tty.setcbreak(keys)
    try:
        yield
    finally:
        termios.tcsetattr(keys, termios.TCSADRAIN, saved)


def top_frame(listing, window, args) -> str:
    delta = sum(sum(r.num_interrupts_per_cpu) for r in window.irqs)
    head = (f"irq-client top | {client_host(listing)} | total: {listing.num_interrupts_all_cpus} "
            f"delta: {delta} in {window.span.period_duration_seconds:g} s | sort: {args.sort}")
    return "\n".join([head, render.cpu_share_row(window, args.cpu_list), "",
                      irqs_text(listing, window, args, table_columns(args, with_delta=True))])


def client_host(listing) -> str:
    return f"{len(listing.cpus)} CPUs, {len(listing.irqs)} IRQs"


def cmd_usage(client: IrqClient, args, out) -> int:
    now = client.current()
    cpu_avg = client.cpu_average(args.period)
    memory_avg = client.memory_average(args.period)
    disks = {m: client.storage_average(args.period, mount=m) for m in now.filesystems}
    if args.json:
        return emit_json(out, {"current": client.get_json("/current"), "period_seconds":
                               args.period, "cpu_avg_usage": cpu_avg,
                               "memory_avg": {"used": memory_avg.used, "free": memory_avg.free},
                               "filesystems_avg": {m: {"used": a.used, "free": a.free}
                                                   for m, a in disks.items()}})
    pct = lambda v: "-" if v is None else f"{v:.1f}%"  # noqa: E731
    hb = render.human_bytes
    over = f"{args.period:g} s"
    lines = [f"CPU      {pct(now.cpu_usage)} now, {pct(cpu_avg)} average over {over}"]
    if now.cpu:
        lines[-1] += "  (" + " ".join(f"{k} {now.cpu.shares[k]:.1f}" for k in
                                      ("user", "system", "iowait", "irq", "softirq", "steal")
                                      if k in now.cpu.shares) + ")"
    m = now.memory
    if m:
        lines.append(f"memory   used {hb(m['used'])} of {hb(m['total'])}, {hb(m['available'])} "
                     f"available; average used {hb(memory_avg.used)}; swap used "
                     f"{hb(m['swap_used'])}")
    for mount, space in sorted(now.filesystems.items()):
        lines.append(f"{mount:<8} used {hb(space['used'])} of {hb(space['size'])}, "
                     f"{hb(space['available'])} available; average used "
                     f"{hb(disks[mount].used)}")
    print("\n".join(lines), file=out)
    return 0


def cmd_series(client: IrqClient, args, out) -> int:
    """cpu, memory and storage: a table over time; on a terminal with a bar per row and a
    sparkline of the whole series."""
    if None not in (args.period, args.start, args.end):
        raise UsageError("give at most two of --period, --start and --end")
    window = {"period": args.period, "start": args.start, "end": args.end}
    query = {**_query(window), "points": args.points}
    if args.command == "cpu":
        if args.json:
            return emit_json(out, client.get_json("/cpu", **query,
                                                  per_cpu="true" if args.per_cpu else None))
        points = client.cpu(**window, points=args.points, per_cpu=args.per_cpu)
        headers = ["TIME", "USAGE", "USER", "SYSTEM", "IOWAIT", "IRQ", "SOFTIRQ", "STEAL"]
        rows = [[f"{p.taken_at:%H:%M:%S}", f"{p.usage:.1f}"] +
                [f"{p.shares.get(k, 0):.1f}" for k in ("user", "system", "iowait", "irq",
                                                        "softirq", "steal")] for p in points]
        if args.per_cpu and points:
            headers += [f"CPU{c.cpu}" for c in points[0].per_cpu]
            for row, p in zip(rows, points):
                row += [f"{c.usage:.1f}" for c in p.per_cpu]
        values, high, unit = [p.usage for p in points], 100.0, "% busy"
    elif args.command == "memory":
        if args.json:
            return emit_json(out, client.get_json("/memory", **query))
        points = client.memory(**window, points=args.points)
        headers = ["TIME", "USED", "AVAILABLE", "TOTAL", "CACHED", "SWAP-USED"]
        rows = [[f"{p.taken_at:%H:%M:%S}", *map(render.human_bytes, (
            p.used, p.free, p.total, p.cached, p.swap_used))] for p in points]
        values = [p.used for p in points]
        high, unit = (points[0].total if points else None), "memory used"
    else:
        params = {**query, "all": "true"} if args.all else {**query, "mount": args.mount}
        if args.json:
            return emit_json(out, client.get_json("/storage", **params))
        series = (client.storage_all(**window, points=args.points) if args.all else
                  {args.mount: client.storage(**window, points=args.points, mount=args.mount)})
        headers = ["TIME", "MOUNT", "USED", "AVAILABLE", "SIZE"]
        rows = [[f"{p.taken_at:%H:%M:%S}", mount, *map(render.human_bytes,
                                                       (p.used, p.free, p.size))]
                for mount, points in sorted(series.items()) for p in points]
        points = [p for s in series.values() for p in s]
        values, high, unit = [p.used for p in points], None, "space used"
    if not rows:
        print("no samples in this window yet", file=out)
        return 0
    tty = getattr(out, "isatty", lambda: False)()
    if tty:
        top = high or max(values) or 1
        headers.append("")
        for row, v in zip(rows, values):
            row.append("#" * round(20 * v / top))
    print(render.table(headers, rows, right=[h for h in headers[1:] if h not in ("MOUNT", "")]),
          file=out)
    if tty:
        print(f"{render.sparkline(values, 0, high)}  {unit}, {len(values)} points", file=out)
    return 0


def cmd_record(client: IrqClient, args, out) -> int:
    command = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if args.no_command == bool(command):
        raise UsageError("give a command after -- (irq-client record -- make), or "
                         "--no-command to record until Ctrl-C")
    if args.user:
        password = os.environ.get("IRQ_PASSWORD")
        if password is None:
            if not sys.stdin.isatty():
                raise UsageError("--user needs a password: set IRQ_PASSWORD or run on a "
                                 "terminal to be asked")
            password = getpass.getpass(f"password for {args.user}: ")
        client.login(args.user, password)
    elif not client.token:
        raise UsageError("record needs a token: --user NAME (logs in), --token or $IRQ_TOKEN")
    name = args.name or (os.path.basename(command[0]) if command else "no command")
    description = args.description if args.description is not None else (
        shlex.join(command) if command else None)
    run = client.create_run(name, description, args.threshold, host=socket.gethostname(),
                            start_time=time.time())
    print(f"irq-client: run {run.id} started (threshold {run.threshold:g} % CPU, a sample "
          f"every {args.interval:g} s)", file=sys.stderr)
    outcome = record.record(client, run, command or None, args.interval, args.flush_timeout)
    if outcome.unsent:
        print(f"irq-client: warning: {outcome.unsent} samples were not delivered",
              file=sys.stderr)
    if outcome.run is not None:
        if args.json:
            json.dump({"run": client.get_json(f"/api/v1/test/{run.id}")}, sys.stderr, indent=2)
            sys.stderr.write("\n")
        else:
            print(render.run_summary(outcome.run, outcome.interrupts), file=sys.stderr)
    return outcome.exit_status


def cmd_hosts(client: IrqClient, args, out) -> int:
    statuses = survey(registry_hosts(args, args.timeout), token=args.token,
                      timeout=args.timeout, trust_open=args.trust_open_registry)
    if args.json:
        return emit_json(out, [{"uid": s.entry.uid, "uri": s.entry.uri,
                                "authenticated": s.entry.authenticated,
                                "reachable": s.reachable, "status": s.status,
                                "sampler_fresh": s.sampler_fresh, "irqs": s.irqs,
                                "error": s.error} for s in statuses])
    rows = [(s.entry.uid, s.entry.uri, "yes" if s.entry.authenticated else "NO",
             "yes" if s.reachable else "no", s.status or "-",
             "-" if s.sampler_fresh is None else ("fresh" if s.sampler_fresh else "stale"),
             "-" if s.irqs is None else s.irqs) for s in statuses]
    print(render.table(["UID", "URI", "AUTH", "REACHABLE", "STATUS", "SAMPLER", "IRQS"], rows,
                       right=["IRQS"]), file=out)
    return 0


COMMANDS = {"irqs": cmd_irqs, "irq": cmd_irq, "cpus": cmd_cpus, "interrupts": cmd_interrupts,
            "affinity": cmd_affinity, "top": cmd_top, "usage": cmd_usage, "cpu": cmd_series,
            "memory": cmd_series, "storage": cmd_series, "record": cmd_record,
            "hosts": cmd_hosts}


if __name__ == "__main__":
    sys.exit(main())
