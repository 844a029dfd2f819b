#!/usr/bin/env python3
"""Churn: the planner in a closed loop on noisy measurements, as `irq-balance watch` runs it.

For each scenario of balance.py (every IRQ starts on CPU 0): --rounds rounds (default 360, an
hour at --round-seconds 10). Each round measures every IRQ's rate as its true rate x (1 + u),
u uniform in [-noise, +noise] (default 10 %), independent per IRQ and round; plans with the
watch loop's defaults (--min-gain, --min-dwell: an IRQ moved less than that ago stays unless
it sits on a CPU it may not use) and applies the moves to the placement before the next round.
No server: the planner alone, deterministic (seeded).

The loop smooths its measurements across rounds as `watch` does (irqbalance.smoothing).
Printed per scenario: moves in round 1, moves per hour after round 1, the rounds that moved
anything ([round, moves], round 1 first), and the worst ratio, over every round (from the
first round's moves on), of the busiest CPU at the TRUE rates to the
optimum of the true rates (CP-SAT as in balance.py; when the optimum is not proven, the
pessimistic end: the best proven lower bound). Targets: <= 1 move per host per hour after
convergence, <= 1.05x the optimum in every round.
Usage: churn.py [--rounds N] [--noise F] [--scenarios a,b,...]. Last line: one JSON object
{scenario: {moves_per_hour, worst_vs_optimum, ...}}.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time

from _common import ensure_python_packages
from balance import SCENARIOS, exact_optimum, scenario

from irqbalance.planner import plan  # noqa: E402  (balance.py put the sources on sys.path)
from irqbalance.types import IrqLoad, Policy  # noqa: E402
from irqbalance.dwell import held  # noqa: E402
from irqbalance.smoothing import Smoother  # noqa: E402


def busiest(loads: list[IrqLoad], placement: dict[int, int]) -> float:
    load: dict[int, float] = {}
    for item in loads:
        load[placement[item.irq]] = load.get(placement[item.irq], 0.0) + item.rate
    return max(load.values())


def churn(name: str, rounds: int, noise: float, round_seconds: float, min_dwell: float,
          solver_seconds: float) -> dict:
    cpus, true, policy = scenario(name)
    rng = random.Random(f"churn-{name}")
    placement = {item.irq: 0 for item in true}
    moved_at: dict[int, float] = {}
    moves_after_first = first_moves = 0
    ratios: list[float] = []
    plan_seconds = 0.0
    smoother = Smoother()
    move_rounds: list[tuple[int, int]] = []
    for k in range(rounds):
        now = k * round_seconds
        measured = []
        for item in true:
            rate = item.rate * (1 + rng.uniform(-noise, noise))
            cpu = placement[item.irq]
            measured.append(IrqLoad(irq=item.irq, rate=rate, per_cpu={cpu: rate}, cpus=(cpu,),
                                    node=item.node, device=item.device))
        started = time.perf_counter()
        result = plan(smoother.update(measured), cpus, Policy(
            banned_cpus=policy.banned_cpus, held_irqs=held(moved_at, now, min_dwell)))
        plan_seconds += time.perf_counter() - started
        for move in result.moves:
            placement[move.irq] = move.new_cpus[0]
            moved_at[move.irq] = now
        if result.moves:
            move_rounds.append((k + 1, len(result.moves)))
        if k == 0:
            first_moves = len(result.moves)
        else:
            moves_after_first += len(result.moves)
        ratios.append(busiest(true, placement))
    reference = plan(true, cpus, policy)
    final = dict(placement)
    exact = exact_optimum(true, cpus, policy, final, solver_seconds)
    optimum = min(exact["optimum"], busiest(true, final), reference.max_after)
    best_bound = max(exact["solver_bound"], reference.lower_bound)
    yardstick = optimum if exact["optimal_proven"] or optimum <= best_bound + 0.01 \
        else best_bound
    hours = (rounds - 1) * round_seconds / 3600
    return {"moves_first_round": first_moves,
            "moves_after_first_round": moves_after_first,
            "moves_per_hour": round(moves_after_first / hours, 2) if hours else 0.0,
            "worst_vs_optimum": round(max(ratios) / yardstick, 4),
            "first_round_vs_optimum": round(ratios[0] / yardstick, 4),
            "final_vs_optimum": round(ratios[-1] / yardstick, 4),
            "optimum_proven": yardstick == optimum,
            "mean_plan_ms": round(1000 * plan_seconds / rounds, 2),
            "rounds_with_moves": move_rounds[:12]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=360, help="rounds per scenario")
    parser.add_argument("--round-seconds", type=float, default=10.0,
                        help="simulated seconds between rounds (the watch --interval)")
    parser.add_argument("--noise", type=float, default=0.10, help="measurement noise, +-")
    parser.add_argument("--min-dwell", type=float, default=None,
                        help="seconds (default: irq-balance's default)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--solver-seconds", type=float, default=30.0)
    args = parser.parse_args()
    ensure_python_packages("ortools")
    from irqbalance.dwell import DEFAULT_MIN_DWELL
    dwell = DEFAULT_MIN_DWELL if args.min_dwell is None else args.min_dwell
    result = {}
    for name in args.scenarios.split(","):
        result[name] = churn(name, args.rounds, args.noise, args.round_seconds, dwell,
                             args.solver_seconds)
        print(f"{name}: {result[name]}", file=sys.stderr, flush=True)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
