"""irq-balance: plan, apply, roll back and watch IRQ placement on one or many remote hosts.

Exit codes: 0 every host ok, 1 at least one host failed, 2 usage.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from datetime import datetime
from typing import TextIO, TypedDict

from irq_client import IrqClient, IrqClientError
from irq_client.cliargs import (UsageError, add_registry_flags, cpu_list_arg, positive,
                                registry_hosts, server_url)
from irq_client.client import DEFAULT_URL as DEFAULT_SERVER
from irq_client.registry import trusted
from irq_client.render import cpu_list
from irqbalance import __version__, measure, objective
from irqbalance.apply import ApplyError, apply_plan, rollback
from irqbalance.dwell import DEFAULT_MIN_DWELL, held
from irqbalance.journal import Journal, JournalError, default_state_dir
from irqbalance.memory import HostMemory
from irqbalance.planner import COUNT, TIME, load_text
from irqbalance.planner import plan as make_plan
from irqbalance.types import CpuSpec, IrqLoad, Plan, Policy

EPILOG = """examples:
  irq-balance plan --server http://db7:5000                  explain what would move and why
  irq-balance apply --server http://db7:5000 --token $TOKEN  move, verify, journal the old masks
  irq-balance rollback --server http://db7:5000              put the journaled masks back
  irq-balance plan --server http://a:5000 --server http://b:5000 --json
  irq-balance apply --banned-cpus 0-1 --ban-irq 24 --period 30 --max-moves 20
  irq-balance watch --server http://db7:5000 --interval 60   re-balance when it pays off
  irq-balance plan --registry http://reg:5100 --partition rack1 --match '^db'
  irq-balance plan --objective count                          balance counts, not CPU time

environment: IRQ_SERVER_URL (when no --server nor --partition; plan's default otherwise is
             http://127.0.0.1:5000, apply/watch/rollback refuse to guess),
             IRQ_TOKEN, IRQ_REGISTRY_URL
exit codes: 0 every host ok, 1 some host failed, 2 usage
"""


def fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError("must be in [0, 1), e.g. 0.05 for 5%")
    return value


def non_negative(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError("must be 0 or more seconds")
    return value


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--server", action="append", dest="servers", metavar="URL",
                        help="irq-server URL; repeat for a fleet (default, without "
                             f"--partition: $IRQ_SERVER_URL; plan only: else {DEFAULT_SERVER}; "
                             "apply, watch and rollback need a host named)")
    common.add_argument("--token", help="bearer token (default $IRQ_TOKEN): apply, rollback "
                        "and watch write, so they need a write token; plan only reads: a "
                        "read token does, or none when the servers' reads are open")
    add_registry_flags(common)
    common.add_argument("--period", type=positive, default=60.0,
                        help="measure rates over the last S seconds (default %(default)s)")
    common.add_argument("--banned-cpus", type=cpu_list_arg, default=frozenset(),
                        help="never route IRQs here (added to the host's own bans: isolated, "
                             "nohz_full, irqbalance's ban list, default_smp_affinity)")
    common.add_argument("--ban-irq", type=int, action="append", default=[], metavar="IRQ",
                        help="never move this IRQ (repeatable)")
    common.add_argument("--min-gain", type=fraction, default=0.05,
                        help="act only if the busiest CPU gets this much lighter "
                             "(default %(default)s)")
    common.add_argument("--max-moves", type=int, help="at most N moves per host and round")
    common.add_argument("--min-dwell", type=non_negative, default=DEFAULT_MIN_DWELL,
                        metavar="S", help="an IRQ moved less than S seconds ago stays, unless "
                        "it is on a CPU it may not use (default %(default)s)")
    common.add_argument("--objective", choices=objective.CHOICES, default="auto",
                        help="what to even out: time (the CPU time interrupts take: IRQ cost "
                             "x rate + each CPU's base load), count (interrupts per second), "
                             "auto (time where the host knows what its interrupts cost; "
                             "default)")
    common.add_argument("--no-numa", dest="numa", action="store_false",
                        help="allow IRQs off their device's NUMA node")
    common.add_argument("--state-dir", default=str(default_state_dir()),
                        help="where journals live (default %(default)s)")
    common.add_argument("--force", action="store_true", help="apply and watch even where the "
                        "irqbalance daemon runs (it will undo the moves)")
    common.add_argument("--timeout", type=positive, default=10.0, help="seconds per request")
    common.add_argument("--json", action="store_true", help="machine-readable output")
    parser = argparse.ArgumentParser(prog="irq-balance", epilog=EPILOG,
                                     description="Balance IRQs on remote hosts through "
                                     "irq-server: plan, apply, roll back.",
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"irq-balance {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("plan", parents=[common], help="show the plan and why")
    sub.add_parser("apply", parents=[common], help="plan, then apply and verify")
    sub.add_parser("rollback", parents=[common], help="restore the masks of the last apply")
    watch = sub.add_parser("watch", parents=[common], help="apply again every --interval")
    watch.add_argument("--interval", type=positive, default=60.0,
                       help="seconds between runs (default %(default)s)")
    watch.add_argument("--iterations", type=int, help="stop after N runs")
    return parser


class Outcome(TypedDict, total=False):
    """What one command did on one host (printed by host_text, or as JSON)."""

    server: str  # the host's irq-server URL
    ok: bool  # the command worked there
    error: str  # why not
    restored: list[int]  # rollback: the IRQs put back (the server confirmed a write)
    unchanged: list[int]  # rollback: journaled IRQs that already had their old mask
    plan: Plan  # plan, apply, watch: the plan
    written: list[int]  # apply, watch: IRQs moved
    skipped: list[int]  # apply, watch: already where the plan wants them
    journal: str | None  # apply, watch: the journal written
    warnings: list[str]  # what was asked of this host that it cannot have (unknown CPUs, IRQs)
    settling: str  # watch: why this round measured nothing (the last apply has not settled)
    objective: dict[str, str]  # plan, apply, watch: what the plan evens out: unit ("time",
    #   "count"), source of the costs, why (the report's line), load_unit: what the plan's
    #   loads and its moves' `rate` are in ("us/s": CPU microseconds a second, "/s")
    busiest: dict[str, dict[str, float]]  # "count" (/s), "time" (us/s) -> before, after: the
    #                                       busiest CPU in both units, where costs are known
    window_seconds: float  # watch: the window measured, when the last apply shortened it


def run_host(server: str, args: argparse.Namespace, memory: HostMemory | None = None) -> Outcome:
    """One host, one command; never raises (a failing host must not stop the others).
    `memory` is what a watch loop keeps of the host between rounds."""
    client = IrqClient(server, token=args.token, timeout=args.timeout)
    journal = Journal(args.state_dir, server)
    memory = memory or HostMemory()
    outcome: Outcome = {"server": server, "ok": True}
    try:
        if args.command == "rollback":
            back = rollback(client, journal)
            outcome["restored"] = back.changed
            outcome["unchanged"] = back.same
            return outcome
        daemon = measure.irqbalance(client)
        if daemon is not None and daemon.running:
            why = (f"the irqbalance daemon runs on this host (pid {daemon.pid}) and would undo "
                   "these moves within seconds: stop it first (systemctl disable --now "
                   "irqbalance)")
            if args.command in ("apply", "watch") and not args.force:
                outcome["ok"] = False
                outcome["error"] = f"{why}, or pass --force"
                return outcome
            outcome.setdefault("warnings", []).append(why)
        measured = measure.loads(client, args.period, memory.settled_at)
        if measured.settling:
            outcome["settling"] = (f"the last apply settles at {_utc(memory.settled_at)}: "
                                   "no sample after it yet, nothing measured this round")
            return outcome
        if memory.settled_at is not None and measured.span.start >= memory.settled_at \
                and measured.span.period_duration_seconds < args.period - 0.5:
            outcome["window_seconds"] = round(measured.span.period_duration_seconds, 1)
        topology = measure.topology(client)
        now = time.time()
        host_bans = frozenset(daemon.banned_irqs) if daemon is not None else frozenset()
        policy = Policy(banned_cpus=args.banned_cpus | frozenset(daemon.banned_cpus if daemon
                                                                 else ()),
                        banned_irqs=frozenset(args.ban_irq) | host_bans,
                        numa=args.numa, min_gain=args.min_gain, max_moves=args.max_moves,
                        held_irqs=held(journal.moved_since(now - args.min_dwell), now,
                                       args.min_dwell))
        loads = memory.smoother.update(measured.loads)
        warnings = unknown_bans(replace(policy, banned_cpus=args.banned_cpus,
                                        banned_irqs=frozenset(args.ban_irq)), loads, topology)
        if warnings:
            outcome.setdefault("warnings", []).extend(warnings)
        if not any(c.online and not (c.isolated or c.nohz_full or c.banned_by
                                     or c.cpu in policy.banned_cpus) for c in topology):
            outcome["ok"] = False
            outcome["error"] = ("no CPU is left to place IRQs on: every online CPU is banned "
                                "(--banned-cpus, or the host's own bans: see irq-client cpus), "
                                "isolated or nohz_full")
            return outcome
        try:
            base = objective.base_load(measured.base_seconds,
                                       measured.span.period_duration_seconds)
            chosen = objective.choose(loads, args.objective, base, measured.cost_note)
        except ValueError as exc:
            outcome["ok"] = False
            outcome["error"] = str(exc)
            return outcome
        result = make_plan(objective.weighted(loads, chosen), topology, policy,
                           base=chosen.base, unit=chosen.unit)
        outcome["plan"] = result
        outcome["objective"] = {"unit": chosen.unit, "source": chosen.source, "why": chosen.why,
                                "load_unit": objective.LOAD_UNITS[chosen.unit]}
        outcome["busiest"] = busiest(loads, result, chosen, base)
        if args.command in ("apply", "watch") and result.moves:
            applied = apply_plan(client, result, journal)
            outcome["written"] = applied.written
            outcome["skipped"] = applied.skipped
            outcome["journal"] = applied.journal
            if applied.written:
                memory.applied(client)
    except ApplyError as exc:
        outcome["ok"] = False
        outcome["error"] = (f"IRQ {exc.irq} failed: {exc.detail}; restored "
                            f"{len(exc.restored)} IRQ(s)"
                            + (f", could not restore {len(exc.unrestored)}: "
                               f"{_some(exc.unrestored)}" if exc.unrestored else ""))
    except (IrqClientError, JournalError) as exc:
        outcome["ok"] = False
        outcome["error"] = str(exc)
    except (KeyError, TypeError, ValueError) as exc:  # something that is not an irq-server
        outcome["ok"] = False
        outcome["error"] = (f"{server} answered what no irq-server would "
                            f"({type(exc).__name__}: {exc})")
    return outcome


def busiest(loads: list[IrqLoad], result: Plan, chosen: objective.Objective,
            base: dict[int, float]) -> dict[str, dict[str, float]]:
    """The busiest CPU before and after `result`, in counts and (costs known) in time
    (`base`: CPU -> its base load, us/s)."""
    figures = {chosen.unit: {"before": result.max_before, "after": result.max_after}}
    if chosen.unit == TIME:
        before, after = objective.per_cpu(loads, result.moves)
        figures[COUNT] = {"before": max(before.values(), default=0.0),
                          "after": max(after.values(), default=0.0)}
    elif any(irq.cost_us is not None for irq in loads):
        timed = objective.weighted(loads, replace(chosen, unit=TIME))
        before, after = objective.per_cpu(timed, result.moves, base)
        figures[TIME] = {"before": max(before.values(), default=0.0),
                         "after": max(after.values(), default=0.0)}
    return figures


def _some(irqs: list[int], shown: int = 12) -> str:
    """IRQ numbers for a line: the first `shown`, then how many more (--json lists all)."""
    text = ", ".join(map(str, irqs[:shown]))
    return text + (f" and {len(irqs) - shown} more" if len(irqs) > shown else "")


def _utc(instant: datetime | None) -> str:
    return instant.strftime("%H:%M:%S UTC") if instant else "?"


def unknown_bans(policy: Policy, loads: list[IrqLoad], topology: list[CpuSpec]) -> list[str]:
    """Bans naming CPUs or IRQs this host does not have (a typo, or another host's numbers)."""
    cpus = {c.cpu for c in topology}
    irqs = {irq.irq for irq in loads}
    warnings = []
    if set(policy.banned_cpus) - cpus:
        warnings.append(f"--banned-cpus: this host has no CPU "
                        f"{cpu_list(set(policy.banned_cpus) - cpus)} (CPUs {cpu_list(cpus)})")
    if set(policy.banned_irqs) - irqs:
        warnings.append(f"--ban-irq: this host has no IRQ "
                        f"{', '.join(map(str, sorted(set(policy.banned_irqs) - irqs)))}")
    return warnings


def run_all(args: argparse.Namespace,
            memory: dict[str, HostMemory] | None = None) -> list[Outcome]:
    """Every host of args.servers, concurrently; `memory` (watch) is kept per host."""
    memory = {} if memory is None else memory
    with ThreadPoolExecutor(max_workers=min(16, len(args.servers))) as pool:
        return list(pool.map(lambda s: run_host(s, args, memory.setdefault(s, HostMemory())),
                             args.servers))


def plan_json(result: Plan) -> dict[str, object]:
    return {"moves": [asdict(m) for m in result.moves],
            "load_before": {str(k): round(v, 3) for k, v in result.load_before.items()},
            "load_after": {str(k): round(v, 3) for k, v in result.load_after.items()},
            "max_before": round(result.max_before, 3), "max_after": round(result.max_after, 3),
            "lower_bound": round(result.lower_bound, 3), "bound_reason": result.bound_reason,
            "ratio_before": round(result.ratio_before, 4),
            "ratio_after": round(result.ratio_after, 4), "fixed_irqs": list(result.fixed),
            "held_irqs": list(result.held), "violations_left": list(result.violations_left),
            "note": result.note}


def host_text(outcome: Outcome) -> str:
    lines = [f"== {outcome['server']}"] + [f"warning: {w}" for w in outcome.get("warnings", [])]
    if not outcome["ok"]:
        return "\n".join(lines + [f"FAILED: {outcome['error']}"])
    if "restored" in outcome:
        restored, same = outcome["restored"], outcome.get("unchanged", [])
        if not restored and not same:
            return "\n".join(lines + ["nothing to roll back"])
        return "\n".join(lines + [f"restored {len(restored)} IRQ(s): {_some(restored)}"
                                  + (f"; {len(same)} already had their old mask" if same else "")])
    if "settling" in outcome:
        return "\n".join(lines + [f"no moves: {outcome['settling']}"])
    if "window_seconds" in outcome:
        lines.append(f"measured the {outcome['window_seconds']:g} s since the last apply "
                     "settled (shorter than --period)")
    result = outcome["plan"]
    unit = outcome["objective"]["unit"] if "objective" in outcome else COUNT
    if "objective" in outcome:
        lines.append(outcome["objective"]["why"])
    if result.moves:
        width = max(len(str(m.irq)) for m in result.moves)
        head = "CPU TIME" if unit == TIME else "RATE"
        lines.append(f"{'IRQ':>{max(width, 3)}} {head:>10} {'FROM':>8} {'TO':>4}  WHY")
        for m in result.moves:
            lines.append(f"{m.irq:>{max(width, 3)}} {load_text(m.rate, unit):>10} "
                         f"{cpu_list(m.old_cpus):>8} {m.new_cpus[0]:>4}  {m.reason}")
        if result.note:
            lines.append(f"note: {result.note}")
    else:
        lines.append(f"no moves: {result.note}")
    lines.append(f"busiest CPU: {load_text(result.max_before, unit)} now, "
                 f"{load_text(result.max_after, unit)} after; lower bound "
                 f"{load_text(result.lower_bound, unit)} ({result.bound_reason}); "
                 f"max/bound {result.ratio_before:.2f} -> {result.ratio_after:.2f}")
    other = next((u for u in outcome.get("busiest", {}) if u != unit), None)
    if other:
        figure = outcome["busiest"][other]
        lines.append(f"  in {'CPU time' if other == TIME else 'interrupts'}: busiest CPU "
                     f"{load_text(figure['before'], other)} now, "
                     f"{load_text(figure['after'], other)} after")
    if result.fixed:
        lines.append(f"fixed (managed, banned or unplaceable): {len(result.fixed)} IRQ(s)")
    if result.violations_left:
        lines.append(f"{len(result.violations_left)} IRQ(s) stay on banned CPUs (kernel-managed or "
                     f"--ban-irq; see irq-client compliance): "
                     f"{', '.join(map(str, result.violations_left))}")
    if "written" in outcome:
        lines.append(f"applied {len(outcome['written'])} move(s), verified by read-back"
                     + (f"; journal {outcome['journal']}" if outcome.get("journal") else ""))
    return "\n".join(lines)


def report(outcomes: list[Outcome], as_json: bool, out: TextIO) -> None:
    if as_json:
        data = [{**{k: v for k, v in o.items() if k != "plan"},
                 **({"plan": plan_json(o["plan"])} if "plan" in o else {})} for o in outcomes]
        json.dump(data, out, indent=2)
        out.write("\n")
        return
    out.write("\n\n".join(host_text(o) for o in outcomes) + "\n")
    if len(outcomes) > 1:
        failed = [o["server"] for o in outcomes if not o["ok"]]
        out.write(f"\n{len(outcomes) - len(failed)} of {len(outcomes)} hosts ok"
                  + (f"; failed: {', '.join(failed)}" if failed else "") + "\n")


WRITES = ("apply", "watch", "rollback")  # the commands that change the hosts they reach


def target_problem(args: argparse.Namespace, given: list[str]) -> str | None:
    """Why the hosts to act on are not named clearly enough, if they are not: a --registry
    without --partition (it would fall back to this machine), or a writing command with no
    --server, $IRQ_SERVER_URL or partition (it would change this machine's IRQs)."""
    named = args.registry is not None and args.registry != os.environ.get("IRQ_REGISTRY_URL")
    if args.registry and not args.partition and (named or not given):
        return ("--registry needs --partition NAME: the hosts are those of one partition "
                "(without it irq-balance would act on " + DEFAULT_SERVER + ")")
    if args.command in WRITES and not given and not args.partition and \
            not os.environ.get("IRQ_SERVER_URL"):
        return (f"{args.command} changes IRQ affinity: name the host (--server URL, "
                "$IRQ_SERVER_URL, or --registry URL --partition NAME); it does not default to "
                f"{DEFAULT_SERVER}")
    return None


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="irq-balance: %(message)s")
    logging.getLogger("urllib3").setLevel(logging.ERROR)  # retries are reported per host
    given = list(args.servers or [])
    problem = target_problem(args, given)
    if problem:
        print(f"irq-balance: {problem}", file=sys.stderr)
        return 2
    if not given and not args.partition:
        given = [os.environ.get("IRQ_SERVER_URL", DEFAULT_SERVER)]
    if args.max_moves is not None and args.max_moves < 1:
        print("irq-balance: --max-moves must be at least 1", file=sys.stderr)
        return 2
    try:
        for url in given:
            server_url(url)
        if args.partition:
            registry_hosts(args, args.timeout)  # usage and registry errors now
    except UsageError as exc:
        print(f"irq-balance: {exc}", file=sys.stderr)
        return 2
    except IrqClientError as exc:
        print(f"irq-balance: registry: {exc}", file=sys.stderr)
        return 1
    memory: dict[str, HostMemory] = {}
    try:
        iteration = 0
        while True:
            # a registry's hosts are looked up every round: they come and go
            try:
                found = [h.uri for h in trusted(registry_hosts(args, args.timeout),
                                                args.trust_open_registry, _warn_once)] \
                    if args.partition else []
            except IrqClientError as exc:  # the registry went away: this round fails
                print(f"irq-balance: registry: {exc}", file=sys.stderr)
                found = []
            args.servers = given + [uri for uri in found if uri not in given]
            if not args.servers:
                print(f"irq-balance: no live irq-server in partition {args.partition!r}",
                      file=sys.stderr)
                outcomes = []
            else:
                outcomes = run_all(args, memory)
                report(outcomes, args.json, out)
            out.flush()
            iteration += 1
            if args.command != "watch" or (args.iterations and iteration >= args.iterations):
                return 0 if outcomes and all(o["ok"] for o in outcomes) else 1
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0
    except BrokenPipeError:  # `irq-balance plan | head`: the reader left, nothing to report
        sys.stdout = open(os.devnull, "w")
        return 0


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    """A warning said once per run (watch repeats its rounds)."""
    if message not in _warned:
        _warned.add(message)
        print(f"irq-balance: {message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
