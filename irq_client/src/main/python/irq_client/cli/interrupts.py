"""irq-client interrupts: interrupts per CPU (or of one CPU, or per IRQ) over a window."""
from __future__ import annotations

import argparse
from typing import TextIO

from irq_client import render
from irq_client.cli.base import Commands, show
from irq_client.cliargs import UsageError, add_window_flags, window_arg
from irq_client.client import IrqClient
from irq_client.errors import NotFound
from irq_client.window import Window


def add_parsers(commands: Commands) -> None:
    ints = commands.add("interrupts", cmd_interrupts, help="interrupts per CPU over a window",
                        epilog="examples:\n  irq-client interrupts --period 10 --cpu 3\n"
                               "  irq-client interrupts --start 1795424400 --end 1795428000 "
                               "--per-irq")
    add_window_flags(ints)
    ints.add_argument("--cpu", type=int, help="only this CPU")
    ints.add_argument("--per-irq", action="store_true", help="one row per IRQ with its rate")


def cmd_interrupts(client: IrqClient, args: argparse.Namespace, out: TextIO) -> int:
    window = window_arg(args)
    if args.per_irq:
        return per_irq(client, args, window, out)
    if args.cpu is not None:
        try:
            cpu = client.interrupts_cpu(args.cpu, window)
        except NotFound:  # the server's answer lists every CPU one by one: say it shortly
            problem = render.unknown_cpus(frozenset({args.cpu}), client.interrupts(window).cpus)
            if problem is None:
                raise
            raise UsageError(problem) from None
        return show(out, args, cpu.raw, lambda: render.cpu_window_line(cpu))
    win = client.interrupts(window)
    return show(out, args, win.raw, lambda: render.interrupts_table(win))


def per_irq(client: IrqClient, args: argparse.Namespace, window: Window, out: TextIO) -> int:
    win = client.interrupts_irqs(window)
    if args.json:
        return show(out, args, win.raw, str)
    problem = render.unknown_cpus(None if args.cpu is None else frozenset({args.cpu}), win.cpus)
    if problem:
        raise UsageError(problem)
    names = {irq.irq: render.irq_name(irq) for irq in client.irqs().irqs}
    return show(out, args, win.raw, lambda: render.per_irq_table(win, names, args.cpu))
