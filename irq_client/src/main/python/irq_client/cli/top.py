"""irq-client top: the live view, like irqtop.

On a terminal each frame is fitted to the terminal's size (irq_client.render.top) and drawn
in place: the cursor goes home, each line clears what the last frame left after it, and the
rest of the screen is cleared; nothing scrolls. Elsewhere (a pipe, a file, -b) frames follow
one another whole.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import shutil
import sys
import termios
import time
import tty
from collections.abc import Iterator
from typing import IO, Any, TextIO

from irq_client import render
from irq_client.cli.base import Commands
from irq_client.cli.irqs import add_table_flags, check_cpus, table_columns
from irq_client.cliargs import positive
from irq_client.client import IrqClient
from irq_client.window import Window

SORT_BY_KEY = {"i": "irq", "t": "total", "d": "delta", "n": "name",  # irqtop's keys
               "c": "cputime"}  # and what the interrupts cost
HOME, CLEAR_LINE, CLEAR_BELOW = "\x1b[H", "\x1b[K", "\x1b[J"


def add_parsers(commands: Commands) -> None:
    top = commands.add("top", cmd_top, help="live view like irqtop",
                       epilog="example: irq-client top -d 2 --iterations 10 -s total\n"
                              "keys on a terminal: i t d n c sort by IRQ, TOTAL, DELTA, NAME, "
                              "CPUTIME; "
                              "q quits\n"
                              "The per-CPU figures are each CPU's share of the interrupts of "
                              "the last --delay seconds, not CPU usage.")
    add_table_flags(top, default_sort="delta")
    top.add_argument("-d", "--delay", type=positive, default=3.0,
                     help="seconds between refreshes (default %(default)s)")
    top.add_argument("--iterations", type=int, help="stop after N refreshes (default: forever)")
    top.add_argument("-b", "--batch", action="store_true",
                     help="print frames one after another (default when stdout is not a tty)")


def cmd_top(client: IrqClient, args: argparse.Namespace, out: TextIO) -> int:
    """irqtop: refresh every --delay; deltas are the server's counts over the last --delay.
    On a terminal, i/t/d/n change the sort and q quits, as in irqtop."""
    batch = args.batch or not out.isatty()
    keys = None if batch or args.json or not sys.stdin.isatty() else sys.stdin
    nodes = {} if batch or args.json else {c.cpu: c.node for c in client.cpus()}
    drawn = 0
    with cbreak(keys):
        try:
            while args.iterations is None or drawn < args.iterations:
                if drawn and wait_key(keys, args.delay, args) == "q":
                    break
                out.write(frame(client, args, batch, nodes, out))
                out.flush()
                drawn += 1
        finally:
            if drawn and not batch and not args.json:
                out.write("\n")  # the shell's prompt below the last frame, not on it
    return 0


def frame(client: IrqClient, args: argparse.Namespace, batch: bool,
          nodes: dict[int, int | None], out: TextIO) -> str:
    """One refresh, ready to write."""
    window = client.interrupts_irqs(Window(period=args.delay))
    if args.json:  # one JSON object per refresh (JSON lines)
        return json.dumps(window.raw) + "\n"
    listing = client.irqs()
    check_cpus(args.cpu_list, listing.cpus)
    shown = table_columns(args, with_delta=True)
    if not args.output and render.cost_source(window) != "none":  # what interrupts cost, too
        shown = shown[:-1] + ("COST", "CPUTIME") + shown[-1:]
    view = render.TopView(sort=args.sort, columns=shown,
                          cpus=args.cpu_list, per_cpu=args.per_cpu, threshold=args.threshold,
                          headings=not args.noheadings, pairs=args.pairs)
    if batch:
        return render.batch_frame(listing, window, view) + "\n"
    columns, rows = terminal_size(out)
    lines = render.fitted_frame(listing, window, view, nodes, columns, rows)
    return HOME + "\n".join(line + CLEAR_LINE for line in lines) + CLEAR_BELOW


def terminal_size(out: TextIO) -> tuple[int, int]:
    """Columns and rows of the terminal `out` writes to ($COLUMNS/$LINES, then 80x24, when
    it cannot say)."""
    try:
        size = os.get_terminal_size(out.fileno())
    except (AttributeError, OSError, ValueError):
        size = shutil.get_terminal_size()
    return size.columns or 80, size.lines or 24


def wait_key(keys: IO[Any] | None, delay: float, args: argparse.Namespace) -> str | None:
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
def cbreak(keys: IO[Any] | None) -> Iterator[None]:
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
