"""The balancer's planner: pure (no I/O), deterministic.

Goal: minimise the busiest CPU's load: its interrupt rate, or (irqbalance.objective) the CPU
time its interrupts take, each IRQ's rate then being its microseconds per second and `base`
each CPU's own load that no move changes (timers, RCU). Each movable IRQ gets a single-CPU
mask (what the kernel will really do), chosen among its allowed CPUs: online, not banned (isolated,
nohz_full, the host's own bans in CpuSpec.banned_by, --banned-cpus), on the IRQ's NUMA node
when it has one. Managed IRQs, --ban-irq
IRQs, IRQs with no allowed CPU and IRQs moved less than --min-dwell ago (`Policy.held_irqs`,
unless they sit on a CPU they may not use) stay put and count as fixed load.

Two candidates are built and the better kept: a longest-processing-time placement from
scratch, and a move-by-move improvement of the current placement (fewer moves, honours
--max-moves). Both are then polished by local search: moves and swaps off the busiest CPU;
when none helps, the best split of the IRQs shared by the busiest CPU and another one over
the two; when that fails too (and no move budget is set), a few rounds of levelling every
pair of CPUs, which opens new splits for the busiest. Queues of one device prefer distinct
cores. Hysteresis: unless the busiest CPU gets lighter by `min_gain`,
the plan is empty, so a balanced host is left alone and re-running never flaps.
"""
from __future__ import annotations

import bisect
import heapq
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from collections.abc import Mapping
from typing import TypeAlias

from irqbalance.types import CpuSpec, IrqLoad, Move, Plan, Policy

Cpus: TypeAlias = dict[int, CpuSpec]  # the online CPUs by id
Loads: TypeAlias = dict[int, float]  # CPU -> interrupts per second
Movable: TypeAlias = list[tuple[IrqLoad, list[int]]]  # each movable IRQ with its allowed CPUs
Placement: TypeAlias = dict[int, int]  # IRQ number -> CPU
Core: TypeAlias = tuple[int | None, int | None] | tuple[str, int]  # (package, core), or its own
Entry: TypeAlias = tuple[float, int]  # (rate or load, IRQ number or CPU), sortable

_CORE_PENALTY = 0.02  # of the mean load: how much a shared core costs a queue of the same device
_SPLIT_ITEMS = 12  # two CPUs sharing at most this many IRQs are split exactly (2^n subset sums)
_LEVEL_ROUNDS = 3  # levelling passes over all CPU pairs once the busiest CPU is stuck


COUNT, TIME = "count", "time"  # what a load is: interrupts per second, or microseconds per second


def plan(loads: Iterable[IrqLoad], topology: Iterable[CpuSpec], policy: Policy = Policy(),
         base: Mapping[int, float] | None = None, unit: str = COUNT) -> Plan:
    """Plan moves that lower the busiest CPU's load (see the module docstring); `base`: CPU ->
    load that stays whatever moves, `unit`: COUNT or TIME (how the reasons speak)."""
    cpus = {c.cpu: c for c in topology if c.online}
    ordered = [_on_online(irq, cpus) for irq in sorted(loads, key=lambda i: i.irq)]
    banned = set(policy.banned_cpus) | {c.cpu for c in cpus.values()
                                        if c.isolated or c.nohz_full or c.banned_by}
    targets = sorted(c for c in cpus if c not in banned)
    before = _measured_load(ordered, cpus)
    fixed_load, movable, fixed = _split(ordered, cpus, targets, policy)
    _add(before, base, cpus)
    _add(fixed_load, base, cpus)
    held = tuple(n for n in fixed if n in policy.held_irqs)
    fixed = [n for n in fixed if n not in policy.held_irqs]
    dwell = f"{len(held)} IRQ(s) moved less than --min-dwell ago stay put" if held else ""
    still = set(fixed)
    stuck = tuple(irq.irq for irq in ordered if irq.irq in still and set(irq.per_cpu) & banned)
    bound, why = lower_bound(fixed_load, movable, targets, cpus)
    current = {irq.irq: _landing_cpu(irq) for irq, _ in movable}
    start = _off_banned(current, fixed_load, movable, cpus)

    candidates = []
    if policy.max_moves is None:
        candidates.append(_improve(_lpt(fixed_load, movable, cpus, current), fixed_load,
                                   movable, cpus, None, current, bound))
    # from the current placement: few moves on a nearly balanced host; bounded work otherwise
    candidates.append(_improve(dict(start), fixed_load, movable, cpus, policy.max_moves,
                               current, bound, max_steps=policy.max_moves or 64))
    best = min(candidates, key=lambda placement: (
        round(_max_load(fixed_load, movable, placement, cpus), 6),
        sum(placement[i] != current[i] for i in placement)))

    result = _plan_for(best, fixed_load, movable, cpus, before, current, bound, why, fixed, unit)
    gain = result.max_before - result.max_after
    if result.moves and gain >= policy.min_gain * result.max_before:
        budget = (f"--max-moves {policy.max_moves} reached; the next round goes on"
                  if policy.max_moves is not None and len(result.moves) >= policy.max_moves
                  else "")
        return replace(result, held=held, violations_left=stuck,
                       note="; ".join(filter(None, (budget, dwell))))
    # not worth it: keep what is, except IRQs on CPUs they may not use (those always move)
    if held and gain <= 0 and result.max_before > (1 + policy.min_gain) * _free_bound(
            ordered, cpus, targets, policy, base):  # held back: better without the dwell
        note, dwell = (f"no move lowers the busiest CPU while {dwell} (--min-dwell 0 lets "
                       "them move)"), ""
    else:
        note = ("balanced: no move lowers the busiest CPU" if gain <= 0 else
                f"balanced enough: the best plan lowers the busiest CPU by only "
                f"{100 * gain / result.max_before:.1f}% (< --min-gain "
                f"{100 * policy.min_gain:g}%)")
    forced = _plan_for(start, fixed_load, movable, cpus, before, current, bound, why, fixed,
                       unit)
    if forced.moves:
        note += f"; {len(forced.moves)} IRQ(s) moved off CPUs they may not use"
    return replace(forced, held=held, violations_left=stuck,
                   note="; ".join(filter(None, (note, dwell))))


def _free_bound(loads: list[IrqLoad], cpus: Cpus, targets: list[int], policy: Policy,
                base: Mapping[int, float] | None) -> float:
    """The lower bound were no IRQ held by the dwell: what the host could reach without it."""
    fixed_load, movable, _ = _split(loads, cpus, targets, replace(policy, held_irqs=frozenset()))
    return lower_bound(_add(fixed_load, base, cpus), movable, targets, cpus)[0]


def _add(loads: Loads, base: Mapping[int, float] | None, cpus: Cpus) -> Loads:
    """`loads` with each online CPU's base load added (in place; returned)."""
    for cpu, load in (base or {}).items():
        if cpu in cpus and load > 0:
            loads[cpu] = loads.get(cpu, 0.0) + load
    return loads


def _plan_for(placement: Placement, fixed_load: Loads, movable: Movable, cpus: Cpus,
              before: Loads, current: Placement, bound: float, why: str,
              fixed: list[int], unit: str) -> Plan:
    moves = tuple(sorted((Move(irq=irq.irq, old_cpus=irq.cpus, new_cpus=(placement[irq.irq],),
                               rate=irq.rate, reason=_reason(irq, placement[irq.irq], cpus,
                                                             before, unit))
                          for irq, _ in movable if placement[irq.irq] != current[irq.irq]),
                         key=lambda m: (-m.rate, m.irq)))
    return Plan(moves=moves, load_before=before,
                load_after=_placed_load(fixed_load, movable, placement, cpus),
                lower_bound=bound, bound_reason=why, fixed=tuple(fixed))


def lower_bound(fixed_load: Loads, movable: Movable, targets: list[int],
                cpus: Cpus) -> tuple[float, str]:
    """The busiest CPU can be no lighter than any of these; returns the largest and its name."""
    candidates = [(0.0, "no load")]
    movable_total = sum(irq.rate for irq, _ in movable)
    if targets:
        spread = (movable_total + sum(fixed_load.get(c, 0.0) for c in targets)) / len(targets)
        candidates.append((spread, f"all load spread over {len(targets)} allowed CPUs"))
    by_node: defaultdict[int | None, float] = defaultdict(float)
    node_targets: defaultdict[int | None, list[int]] = defaultdict(list)
    for cpu in targets:
        node_targets[cpus[cpu].node].append(cpu)
    for irq, allowed in movable:
        node = cpus[allowed[0]].node
        if all(cpus[c].node == node for c in allowed) and len(node_targets) > 1:
            by_node[node] += irq.rate
    for node, load in by_node.items():
        members = node_targets[node]
        total = load + sum(fixed_load.get(c, 0.0) for c in members)
        candidates.append((total / len(members), f"node {node}'s local load over its "
                                                  f"{len(members)} allowed CPUs"))
    if movable:
        biggest = max(movable, key=lambda m: m[0].rate)[0]
        candidates.append((biggest.rate, f"IRQ {biggest.irq} alone"))
    if fixed_load:
        cpu = max(fixed_load, key=lambda c: (fixed_load[c], -c))
        candidates.append((fixed_load[cpu], f"CPU {cpu}'s fixed load"))
    return max(candidates, key=lambda c: c[0])


# ---- inputs ----------------------------------------------------------------------------------
def _measured_load(loads: list[IrqLoad], cpus: Cpus) -> Loads:
    load = {c: 0.0 for c in cpus}
    for irq in loads:
        for cpu, rate in irq.per_cpu.items():
            load[cpu] = load.get(cpu, 0.0) + rate
    return load


def _on_online(irq: IrqLoad, cpus: Cpus) -> IrqLoad:
    """`irq` with the interrupts it took on CPUs that are offline now put where the kernel
    sends them: the first online CPU of its mask (of all, when none of its mask is)."""
    if all(cpu in cpus for cpu in irq.per_cpu) or not cpus:
        return irq
    target = min((c for c in irq.cpus if c in cpus), default=min(cpus))
    per_cpu = {cpu: rate for cpu, rate in irq.per_cpu.items() if cpu in cpus}
    per_cpu[target] = per_cpu.get(target, 0.0) + sum(
        rate for cpu, rate in irq.per_cpu.items() if cpu not in cpus)
    return replace(irq, per_cpu=per_cpu)


def _allowed(irq: IrqLoad, targets: list[int], cpus: Cpus, policy: Policy) -> list[int]:
    if policy.numa and irq.node is not None:
        local = [c for c in targets if cpus[c].node == irq.node]
        if local:
            return local
    return targets


def _split(loads: list[IrqLoad], cpus: Cpus, targets: list[int],
           policy: Policy) -> tuple[Loads, Movable, list[int]]:
    """(fixed load per CPU, [(movable IRQ, allowed CPUs)], fixed IRQ numbers)."""
    fixed_load: dict[int, float] = defaultdict(float)
    movable: Movable = []
    fixed: list[int] = []
    allowed_by_node: dict[int | None, list[int]] = {}
    for irq in loads:
        if irq.node not in allowed_by_node:
            allowed_by_node[irq.node] = _allowed(irq, targets, cpus, policy)
        allowed = allowed_by_node[irq.node]
        stays = _landing_cpu(irq) in allowed
        dwelling = irq.irq in policy.held_irqs and stays
        idle = irq.rate <= 0 and stays  # an idle IRQ on a CPU it may not use moves off too
        if irq.managed or irq.irq in policy.banned_irqs or dwelling or idle or not allowed:
            for cpu, rate in irq.per_cpu.items():
                fixed_load[cpu] += rate
            if irq.rate > 0:
                fixed.append(irq.irq)
        else:
            movable.append((irq, allowed))
    return dict(fixed_load), movable, fixed


def _off_banned(current: Placement, fixed_load: Loads, movable: Movable,
                cpus: Cpus) -> Placement:
    """The current placement, with IRQs sitting on CPUs they may not use (banned, isolated,
    off their node) put on their least loaded allowed CPU."""
    placement = dict(current)
    load = _placed_load(fixed_load, movable, placement, cpus)
    for irq, allowed in sorted(movable, key=lambda m: (-m[0].rate, m[0].irq)):
        if placement[irq.irq] not in allowed:
            target = min(allowed, key=lambda c: (load[c], c))
            load[placement[irq.irq]] -= irq.rate
            load[target] += irq.rate
            placement[irq.irq] = target
    return placement


def _landing_cpu(irq: IrqLoad) -> int:
    """Where the IRQ's interrupts land now (its busiest CPU; the mask's first when idle)."""
    if irq.per_cpu:
        return max(irq.per_cpu, key=lambda c: (irq.per_cpu[c], -c))
    return min(irq.cpus) if irq.cpus else 0


# ---- placements: IRQ number -> CPU ------------------------------------------------------------
def _placed_load(fixed_load: Loads, movable: Movable, placement: Placement,
                 cpus: Cpus) -> Loads:
    load = {c: fixed_load.get(c, 0.0) for c in cpus}
    for irq, _ in movable:
        load[placement[irq.irq]] += irq.rate
    return load


def _max_load(fixed_load: Loads, movable: Movable, placement: Placement, cpus: Cpus) -> float:
    return max(_placed_load(fixed_load, movable, placement, cpus).values(), default=0.0)


def _core(cpu: int, cpus: Cpus) -> Core:
    core = cpus[cpu].core
    return core if core is not None else ("cpu", cpu)


def _lpt(fixed_load: Loads, movable: Movable, cpus: Cpus, current: Placement) -> Placement:
    """Biggest IRQ first, each onto its least loaded allowed CPU (lazy heaps per allowed set)."""
    load = {c: fixed_load.get(c, 0.0) for c in cpus}
    mean = (sum(load.values()) + sum(i.rate for i, _ in movable)) / max(len(cpus), 1)
    heaps: dict[tuple[int, ...], list[Entry]] = {}
    device_cores: defaultdict[str, set[Core]] = defaultdict(set)
    placement: Placement = {}
    for irq, allowed in sorted(movable, key=lambda m: (-m[0].rate, m[0].irq)):
        key = tuple(allowed)
        heap = heaps.get(key)
        if heap is None:
            heap = heaps[key] = [(load[c], c) for c in allowed]
            heapq.heapify(heap)
        cpu = _pop_best(heap, load, irq, device_cores, cpus, mean * _CORE_PENALTY, current)
        placement[irq.irq] = cpu
        load[cpu] += irq.rate
        heapq.heappush(heap, (load[cpu], cpu))
        if irq.device:
            device_cores[irq.device].add(_core(cpu, cpus))
    return placement


def _pop_best(heap: list[Entry], load: Loads, irq: IrqLoad,
              device_cores: defaultdict[str, set[Core]], cpus: Cpus, penalty: float,
              current: Placement) -> int:
    """Least loaded CPU of `heap` (entries may be stale: loads only grow), preferring a core
    without another queue of the same device, then the IRQ's current CPU."""
    seen: list[int] = []
    while heap and len(seen) < 8:
        entry_load, cpu = heapq.heappop(heap)
        if entry_load != load[cpu]:
            heapq.heappush(heap, (load[cpu], cpu))
            continue
        seen.append(cpu)
    used = device_cores.get(irq.device, set())

    def cost(cpu: int) -> tuple[float, bool, int]:
        shared = bool(irq.device) and _core(cpu, cpus) in used
        return (load[cpu] + (penalty if shared else 0.0), cpu != current[irq.irq], cpu)
    best = min(seen, key=cost)
    for cpu in seen:
        if cpu != best:
            heapq.heappush(heap, (load[cpu], cpu))
    return best


class _Placement:
    """A placement being improved: loads, and per CPU the IRQs on it grouped by allowed set,
    each group sorted by rate so the best-fitting IRQ is found by bisection."""

    def __init__(self, placement: Placement, fixed_load: Loads, movable: Movable,
                 cpus: Cpus) -> None:
        self.placement = placement
        self.load = _placed_load(fixed_load, movable, placement, cpus)
        sets: dict[tuple[int, ...], frozenset[int]] = {}  # one set per distinct allowed list
        self.by_irq = {irq.irq: (irq, sets.setdefault(tuple(allowed), frozenset(allowed)))
                       for irq, allowed in movable}
        self.groups: defaultdict[int, dict[frozenset[int], list[Entry]]] = defaultdict(dict)
        for number, cpu in placement.items():
            irq, allowed = self.by_irq[number]
            self.groups[cpu].setdefault(allowed, []).append((irq.rate, number))
        for per_cpu in self.groups.values():
            for members in per_cpu.values():
                members.sort()

    def move(self, number: int, target: int) -> None:
        irq, allowed = self.by_irq[number]
        source = self.placement[number]
        self.groups[source][allowed].remove((irq.rate, number))
        bisect.insort(self.groups[target].setdefault(allowed, []), (irq.rate, number))
        self.load[source] -= irq.rate
        self.load[target] += irq.rate
        self.placement[number] = target


def _improve(placement: Placement, fixed_load: Loads, movable: Movable, cpus: Cpus,
             max_moves: int | None, current: Placement, bound: float,
             max_steps: int | None = None) -> Placement:
    """Local search on the busiest CPU while it gets lighter (and the move budget lasts)."""
    state = _Placement(placement, fixed_load, movable, cpus)
    moved = sum(placement[i] != current[i] for i in placement)
    steps = max_steps if max_steps is not None else 4 * len(movable) + 10
    levels = _LEVEL_ROUNDS if max_moves is None else 0  # levelling moves outside the budget
    for _ in range(steps):
        busiest = max(state.load, key=lambda c: (state.load[c], -c))
        if state.load[busiest] <= bound * (1 + 1e-9):
            break  # optimal: nothing can do better
        changes = _best_step(busiest, state) or _best_split(busiest, state)
        if not changes and levels:
            levels -= 1
            changes = _level(busiest, state)
        if not changes:
            break
        extra = sum((target != current[n]) - (placement[n] != current[n]) for n, target in changes)
        if max_moves is not None and moved + extra > max_moves:
            break
        for number, target in changes:
            state.move(number, target)
        moved += extra
    return placement


def _best_step(busiest: int, state: _Placement) -> list[tuple[int, int]]:
    """The move or swap off `busiest` that most lowers max(busiest, target); [] if none does."""
    load, top = state.load, state.load[busiest]
    best: list[tuple[int, int]] = []
    best_peak = top - 1e-9
    for allowed, members in state.groups[busiest].items():
        if not members:
            continue
        target = min((c for c in allowed if c != busiest), key=lambda c: (load[c], c),
                     default=None)
        if target is None:
            continue
        ideal = (top - load[target]) / 2  # the rate that would level the two CPUs
        i = bisect.bisect_left(members, (ideal, -1))
        for rate, number in members[max(i - 1, 0):i + 1]:
            peak = max(top - rate, load[target] + rate)
            if peak < best_peak:
                best, best_peak = [(number, target)], peak
        if busiest not in allowed:  # a swap would bring theirs onto a CPU it may not use
            continue
        for rate, number in members[-8:]:  # swap one of the biggest for a smaller one there
            theirs = state.groups[target].get(allowed, [])
            j = bisect.bisect_left(theirs, (rate - ideal, -1))
            for o_rate, other in theirs[max(j - 1, 0):j + 1]:
                delta = rate - o_rate
                if delta <= 0:
                    continue
                peak = max(top - delta, load[target] + delta)
                if peak < best_peak:
                    best, best_peak = [(number, target), (other, busiest)], peak
    return best


def _best_split(busiest: int, state: _Placement) -> list[tuple[int, int]]:
    """The best way to share the IRQs that may use both the busiest CPU and another one (any
    number moving either way), over the other CPU that lowers the busiest most; [] if none."""
    top = state.load[busiest]
    partners = {c for allowed in state.groups[busiest] for c in allowed} - {busiest}
    best: list[tuple[int, int]] = []
    best_peak = top - 1e-9
    for other in sorted(partners):
        peak, changes = _split_pair(busiest, other, state)
        if peak < best_peak:
            best, best_peak = changes, peak
    return best


def _level(busiest: int, state: _Placement) -> list[tuple[int, int]]:
    """Split every pair of the CPUs the busiest one's IRQs may use as evenly as their shared
    IRQs allow (each split lowers the pair's busier CPU, so the pass ends); returns what
    moved, [] if nothing did."""
    moved: list[tuple[int, int]] = []
    cpus = sorted({c for allowed in state.groups[busiest] for c in allowed})
    for i, first in enumerate(cpus):
        for second in cpus[i + 1:]:
            peak, changes = _split_pair(first, second, state)
            if peak < max(state.load[first], state.load[second]) - 1e-9:
                for number, target in changes:
                    state.move(number, target)
                moved += changes
    return [(number, state.placement[number]) for number, _ in moved]


def _split_pair(a: int, b: int, state: _Placement) -> tuple[float, list[tuple[int, int]]]:
    """(busier CPU after, changes) of the best split over `a` and `b` of the IRQs allowed on
    both; (inf, []) when they share none or too many to enumerate."""
    shared = ([m for allowed, ms in state.groups[a].items() if b in allowed for m in ms]
              + [m for allowed, ms in state.groups[b].items() if a in allowed for m in ms])
    if not shared or len(shared) > _SPLIT_ITEMS:
        return float("inf"), []
    total = sum(rate for rate, _ in shared)
    base_a = state.load[a] - sum(rate for rate, n in shared if state.placement[n] == a)
    base_b = state.load[a] + state.load[b] - base_a - total
    # every subset's sum, the subset being the bits of its index: those go to `a`
    sums = [0.0]
    for rate, _ in shared:
        sums += [reached + rate for reached in sums]
    even = (base_b + total - base_a) / 2  # what `a` would take for a perfect split
    best = min(range(len(sums)), key=lambda k: (abs(sums[k] - even), sums[k], k))
    reached = sums[best]
    on_a = {number for k, (_, number) in enumerate(shared) if best >> k & 1}
    changes = [(n, a if n in on_a else b) for _, n in shared
               if state.placement[n] != (a if n in on_a else b)]
    return max(base_a + reached, base_b + total - reached), changes


def load_text(load: float, unit: str) -> str:
    """A CPU's load for people: "2010000/s" (COUNT), "43.1% CPU" (TIME: us/s)."""
    return f"{load / 1e4:.1f}% CPU" if unit == TIME else f"{load:.0f}/s"


def _reason(irq: IrqLoad, cpu: int, cpus: Cpus, before: Loads, unit: str) -> str:
    old = _landing_cpu(irq)
    verb = "spends" if unit == TIME else "carries"
    text = (f"CPU {old} {verb} {load_text(before.get(old, 0.0), unit)}; CPU {cpu} had "
            f"{load_text(before.get(cpu, 0.0), unit)}")
    if irq.node is not None and cpus[cpu].node == irq.node:
        text += f", on the device's node {irq.node}"
    return text
