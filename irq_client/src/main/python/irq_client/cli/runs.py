"""irq-client record (run a command, sampling the machine's CPU usage into a run) and runs
(list the caller's runs, show one, stop one)."""
from __future__ import annotations

import argparse
import getpass
import json
import os
import shlex
import socket
import sys
import time
from collections.abc import Callable
from typing import TextIO

from irq_client import record, render
from irq_client.cli.base import Commands, Failure, show
from irq_client.cliargs import UsageError, positive
from irq_client.client import IrqClient
from irq_client.errors import ApiError, Conflict, Forbidden, NotFound
from irq_client.models import Run, RunInterrupts

RECORD_EPILOG = """examples:
  irq-client record --user alice -- make -j8
  irq-client record --threshold 80 --name fio -- fio job.fio
  irq-client record --no-command                 until Ctrl-C

What is recorded is the whole machine's CPU usage (from /proc/stat every --interval, as top's
%Cpu line counts it), not the command's own: other work on the machine counts too. The
command runs with this terminal's stdin/stdout/stderr; irq-client exits with its exit status
(128+N when signal N ended it). SIGINT/SIGTERM sent to irq-client are passed on to it. If the
server goes away the samples are kept and sent when it is back. The run's stats, and the
busiest IRQs during it when the server serves this machine, are printed on stderr at the end
(with -J, the run's JSON, on stderr too: stdout stays the command's).
"""

RUNS_EPILOG = """examples:
  irq-client runs --user alice                   alice's runs, newest first
  irq-client runs --page 2 --per-page 50
  irq-client runs show 7                         one run, and its busiest IRQs when known
  irq-client runs stop 7                         stop a run (an interrupted record's)

Runs belong to whoever made them: give the same --user (or token) as `record` did.
"""


def user_flag() -> argparse.ArgumentParser:
    """--user, taken before or after `show`/`stop` (SUPPRESS: a later parser keeps it)."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--user", default=argparse.SUPPRESS,
                   help="log in as this user (password: $IRQ_PASSWORD or a prompt); "
                        "default: the --token/$IRQ_TOKEN token")
    return p


def add_parsers(commands: Commands) -> None:
    rec = commands.add("record", cmd_record,
                       help="run a command, recording the whole machine's CPU usage (and "
                            "interrupts) meanwhile as a run", epilog=RECORD_EPILOG)
    rec.add_argument("--name", help="run name (default: the command's name)")
    rec.add_argument("--description", help="default: the whole command line")
    rec.add_argument("--threshold", type=float, default=50.0,
                     help="CPU percent of the whole machine; the run counts the time above it "
                          "(default %(default)s)")
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

    with_user = Commands(commands.sub, commands.parents + [user_flag()])
    runs = with_user.add("runs", cmd_runs, help="your runs (what record made): list them, "
                         "show or stop one", epilog=RUNS_EPILOG)
    runs.add_argument("--page", type=int, default=1, help="page (default %(default)s)")
    runs.add_argument("--per-page", type=int, default=20,
                      help="runs per page, at most 100 (default %(default)s)")
    actions = with_user.nested(runs, "action", required=False, metavar="{show,stop}")
    for name, handler, what in (("show", cmd_show, "one run in detail"),
                                ("stop", cmd_stop, "stop an active run now")):
        action = actions.add(name, handler, help=what)
        action.add_argument("run_id", type=int, metavar="ID")


def login(client: IrqClient, user: str | None, command: str) -> None:
    """Log in as `user` when given (password: $IRQ_PASSWORD or a prompt); else the client's
    token must be set. UsageError when neither can be."""
    if user:
        password = os.environ.get("IRQ_PASSWORD")
        if password is None:
            if not sys.stdin.isatty():
                raise UsageError("--user needs a password: set IRQ_PASSWORD or run on a "
                                 "terminal to be asked")
            password = getpass.getpass(f"password for {user}: ")
        client.login(user, password)
    elif not client.token:
        raise UsageError(f"{command} needs a token: --user NAME (logs in), --token or $IRQ_TOKEN")


def cmd_record(client: IrqClient, args: argparse.Namespace, out: TextIO) -> int:
    command = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if args.no_command == bool(command):
        raise UsageError("give a command after -- (irq-client record -- make), or "
                         "--no-command to record until Ctrl-C")
    login(client, args.user, "record")
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
        if args.json:  # the stopped run as the server answered the stop
            json.dump({"run": outcome.run.raw}, sys.stderr, indent=2)
            sys.stderr.write("\n")
        else:
            print(render.run_summary(outcome.run, outcome.interrupts), file=sys.stderr)
    return outcome.exit_status


def cmd_runs(client: IrqClient, args: argparse.Namespace, out: TextIO) -> int:
    login(client, getattr(args, "user", None), "runs")
    listing = client.runs(page=args.page, per_page=args.per_page)
    return show(out, args, listing.raw, lambda: render.runs_table(
        listing.runs, listing.total, listing.page, listing.per_page))


def cmd_show(client: IrqClient, args: argparse.Namespace, out: TextIO) -> int:
    login(client, getattr(args, "user", None), "runs show")
    run = _one(client, args.run_id, lambda: client.run(args.run_id))
    if args.json:
        return show(out, args, run.raw, str)
    return show(out, args, run.raw, lambda: render.run_detail(run, _interrupts(client, run)))


def cmd_stop(client: IrqClient, args: argparse.Namespace, out: TextIO) -> int:
    login(client, getattr(args, "user", None), "runs stop")
    run = _one(client, args.run_id, lambda: client.stop_run(args.run_id))
    return show(out, args, run.raw, lambda: f"run {run.id} stopped\n" + render.run_detail(run))


def _one(client: IrqClient, run_id: int, ask: Callable[[], Run]) -> Run:
    """`ask()`'s run; Failure naming the id when there is no such run of the caller's."""
    try:
        return ask()
    except NotFound:
        raise Failure(f"no run {run_id} on {client.base_url} (irq-client runs lists "
                      "yours)") from None
    except Forbidden:
        raise Failure(f"run {run_id} is another user's") from None
    except Conflict as exc:
        raise Failure(f"run {run_id}: {exc.detail}") from None


def _interrupts(client: IrqClient, run: Run) -> RunInterrupts | None:
    """The run's busiest IRQs, when the server keeps its host's (else None)."""
    if not run.host:
        return None
    try:
        return client.run_interrupts(run.id, limit=5)
    except ApiError:  # another host than the server's, or no history: nothing to show
        return None
