"""irq-client usage (now and averages), and cpu, memory, storage (series over a window)."""
from __future__ import annotations

import argparse
from typing import TextIO

from irq_client import render
from irq_client.cli.base import Commands, show
from irq_client.cliargs import add_window_flags, positive, window_arg
from irq_client.client import IrqClient
from irq_client.window import Window


def add_parsers(commands: Commands) -> None:
    usage = commands.add("usage", cmd_usage,
                         help="CPU, memory and filesystems: now and averages",
                         epilog="example: irq-client usage --period 3600")
    usage.add_argument("--period", type=positive, default=3600.0,
                       help="averages over this many seconds (default %(default)s)")
    series = {}
    for name, what in (("cpu", "CPU usage"), ("memory", "memory used and available"),
                       ("storage", "filesystem space")):
        series[name] = parser = commands.add(
            name, cmd_series, help=f"{what} over time",
            epilog=f"example: irq-client {name} --period 3600 --points 30")
        add_window_flags(parser, default="a week")
        parser.add_argument("--points", type=int, default=60,
                            help="at most this many points (default %(default)s)")
    series["cpu"].add_argument("--per-cpu", action="store_true",
                               help="a column per CPU (usage percent)")
    series["storage"].add_argument("--mount", default="/",
                                   help="mount point (default %(default)s)")
    series["storage"].add_argument("--all", action="store_true",
                                   help="every tracked filesystem")


def cmd_usage(client: IrqClient, args: argparse.Namespace, out: TextIO) -> int:
    window = Window(period=args.period)
    now = client.current()
    cpu_avg = client.cpu_average(window)
    memory_avg = client.memory_average(window)
    disks = {m: client.storage_average(window, mount=m) for m in now.filesystems}
    return show(out, args, {
        "current": now.raw, "period_seconds": args.period, "cpu_avg_usage": cpu_avg,
        "memory_avg": {"used": memory_avg.used, "free": memory_avg.free},
        "filesystems_avg": {m: {"used": a.used, "free": a.free} for m, a in disks.items()}},
        lambda: render.usage_summary(now, cpu_avg, memory_avg, disks, args.period))


def cmd_series(client: IrqClient, args: argparse.Namespace, out: TextIO) -> int:
    """cpu, memory and storage: a table over time; on a terminal with a bar per row (of
    100 %, of the memory, of the filesystem's size) and a sparkline of the whole series."""
    window = window_arg(args)
    terminal = bool(getattr(out, "isatty", lambda: False)())
    if args.command == "cpu":
        cpu = client.cpu(window, points=args.points, per_cpu=args.per_cpu)
        return show(out, args, cpu.raw, lambda: render.series_text(
            render.cpu_series(cpu, args.per_cpu), terminal))
    if args.command == "memory":
        memory = client.memory(window, points=args.points)
        return show(out, args, memory.raw, lambda: render.series_text(
            render.memory_series(memory), terminal))
    if args.all:
        every = client.storage_all(window, points=args.points)
        return show(out, args, every.raw, lambda: render.series_text(
            render.storage_series(every), terminal))
    one = client.storage(window, points=args.points, mount=args.mount)
    return show(out, args, one.raw, lambda: render.series_text(
        render.storage_series({args.mount: one}), terminal))
