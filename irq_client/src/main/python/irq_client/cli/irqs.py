"""irq-client irqs (lsirq; -S: softirqs), irq (one IRQ) and cpus (the topology)."""
from __future__ import annotations

import argparse
import sys
from typing import TextIO

from irq_client import render
from irq_client.cli.base import Commands, show
from irq_client.cliargs import UsageError, columns_arg, cpu_list_arg, positive
from irq_client.client import IrqClient
from irq_client.models import IrqList, IrqWindow
from irq_client.window import Window


def add_parsers(commands: Commands) -> None:
    irqs = commands.add("irqs", cmd_irqs, help="list IRQs like lsirq",
                        epilog="examples:\n  irq-client irqs -s delta --period 10 --per-cpu\n"
                               "  irq-client irqs -o irq,total,node,effective,name -t 1000\n"
                               "  irq-client irqs -S               softirqs per CPU (lsirq -S)\n"
                               "  irq-client irqs -o +COST,CPUTIME -s cputime   what interrupts "
                               "cost\n"
                               f"columns for -o: {','.join(render.COLUMNS)} (+LIST adds to the "
                               "defaults)")
    add_table_flags(irqs, default_sort="irq")
    irqs.add_argument("--period", type=positive, default=60.0,
                      help="window in seconds for DELTA, COST, CPUTIME and -S (default "
                           "%(default)s)")
    irqs.add_argument("--delta", action="store_true", help="add a DELTA column over --period")
    irqs.add_argument("-S", "--softirq", action="store_true",
                      help="softirqs per CPU over --period instead of IRQs")
    irq = commands.add("irq", cmd_irq, help="one IRQ in detail",
                       epilog="example: irq-client irq 42")
    irq.add_argument("irq", type=int)
    commands.add("cpus", cmd_cpus, help="CPU topology table", epilog="example: irq-client cpus")


def add_table_flags(parser: argparse.ArgumentParser, default_sort: str) -> None:
    """lsirq/irqtop's table options (irqs and top)."""
    parser.add_argument("-s", "--sort", choices=sorted(render.SORT_KEYS), default=default_sort,
                        help="sort column (default %(default)s)")
    parser.add_argument("-o", "--output", type=columns_arg, metavar="LIST",
                        help=f"columns to show: {','.join(render.COLUMNS)}")
    parser.add_argument("-t", "--threshold", type=int,
                        help="only IRQs with more than N interrupts (default: all)")
    parser.add_argument("-C", "--cpu-list", type=cpu_list_arg,
                        help="count only these CPUs, e.g. 0-3,8 (each must be the host's)")
    parser.add_argument("--per-cpu", action="store_true", help="a column per CPU")
    parser.add_argument("-n", "--noheadings", action="store_true", help="no header line")
    parser.add_argument("-P", "--pairs", action="store_true", help='KEY="value" output')


def check_cpus(asked: frozenset[int] | None, host: tuple[int, ...]) -> None:
    """UsageError naming the host's CPUs when -C asks for one it does not have."""
    problem = render.unknown_cpus(asked, host)
    if problem:
        raise UsageError(problem)


def table_columns(args: argparse.Namespace, with_delta: bool) -> tuple[str, ...]:
    """-o's columns, else lsirq's defaults (with DELTA when asked for or sorted by)."""
    if args.output:
        columns: tuple[str, ...] = args.output
        return columns
    if with_delta or args.sort == "delta":
        return ("IRQ", "TOTAL", "DELTA", "NAME")
    return render.DEFAULT_COLUMNS


def cmd_irqs(client: IrqClient, args: argparse.Namespace, out: TextIO) -> int:
    if args.softirq:
        return softirqs(client, args, out)
    listing = client.irqs()
    if args.json:
        return show(out, args, listing.raw, str)
    check_cpus(args.cpu_list, listing.cpus)
    columns = table_columns(args, with_delta=args.delta)
    window = (client.interrupts_irqs(Window(period=args.period))
              if set(render.WINDOW_COLUMNS) & set(columns) else None)
    if window is not None and {"COST", "CPUTIME"} & set(columns) \
            and render.cost_source(window) == "none":
        print(f"irq-client: no IRQ costs from this server: {window.cost.note}", file=sys.stderr)
    return show(out, args, listing.raw, lambda: irqs_text(listing, window, args, columns))


def softirqs(client: IrqClient, args: argparse.Namespace, out: TextIO) -> int:
    if args.output:
        raise UsageError("-o/--output chooses IRQ columns; -S shows softirqs")
    window = client.softirqs(Window(period=args.period))
    if not args.json:
        check_cpus(args.cpu_list, window.cpus)
    shown = [c for c in window.cpus if args.cpu_list is None or c in args.cpu_list]
    return show(out, args, window.raw, lambda: render.softirq_table(
        window, shown_cpus=shown if args.per_cpu else None, cpus=args.cpu_list,
        headings=not args.noheadings, pairs=args.pairs))


def irqs_text(listing: IrqList, window: IrqWindow | None, args: argparse.Namespace,
              columns: tuple[str, ...]) -> str:
    shown = [c for c in listing.cpus if args.cpu_list is None or c in args.cpu_list]
    rows = render.irq_rows(listing, window, args.cpu_list)
    return render.irq_table(rows, sort=args.sort, columns=columns,
                            shown_cpus=shown if args.per_cpu else None,
                            threshold=args.threshold, headings=not args.noheadings,
                            pairs=args.pairs)


def cmd_irq(client: IrqClient, args: argparse.Namespace, out: TextIO) -> int:
    irq = client.irq(args.irq)
    return show(out, args, irq.raw, lambda: render.irq_detail(irq))


def cmd_cpus(client: IrqClient, args: argparse.Namespace, out: TextIO) -> int:
    cpus = client.cpus()
    return show(out, args, cpus.raw, lambda: render.cpus_table(cpus))
