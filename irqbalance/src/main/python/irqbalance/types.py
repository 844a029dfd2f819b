"""Planner inputs and outputs. Rates are interrupts per second (float); when the planner
balances interrupt time (irqbalance.objective) they are microseconds of CPU per second."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CpuSpec:
    """One CPU as the planner sees it."""

    cpu: int  # logical CPU id
    node: int | None = None  # NUMA node
    core: tuple[int | None, int | None] | None = None  # (package, core) it belongs to
    isolated: bool = False  # kernel isolcpus: never a target by default
    nohz_full: bool = False  # tickless CPU: never a target by default
    online: bool = True  # offline CPUs are never targets
    banned_by: tuple[str, ...] = ()  # the host's own bans (irqbalance config, default affinity...)


@dataclass(frozen=True)
class IrqLoad:
    """One IRQ's measured load and what constrains it."""

    irq: int  # IRQ number
    rate: float  # interrupts per second over the window
    per_cpu: dict[int, float] = field(default_factory=dict)  # CPU -> rate where it landed
    cpus: tuple[int, ...] = ()  # current smp_affinity CPUs
    node: int | None = None  # device's NUMA node (None: no locality)
    managed: bool = False  # kernel-managed: cannot be moved
    device: str = ""  # queue family ("eth0-TxRx"): spread its queues over distinct cores
    name: str = ""  # handler names, for reports
    cost_us: float | None = None  # CPU time per interrupt (microseconds), None: not known
    cost_source: str = "none"  # where cost_us comes from: "thread", "estimate", "none"


@dataclass(frozen=True)
class Policy:
    """What the plan may do."""

    banned_cpus: frozenset[int] = frozenset()  # never targets (isolated/nohz_full are added)
    banned_irqs: frozenset[int] = frozenset()  # never moved (their load counts as fixed)
    numa: bool = True  # keep IRQs with a node on that node's CPUs
    min_gain: float = 0.05  # move only if the busiest CPU gets this much lighter (fraction)
    max_moves: int | None = None  # at most this many moves
    held_irqs: frozenset[int] = frozenset()  # moved too recently (--min-dwell): they stay,
    #                                          unless on a CPU they may not use


@dataclass(frozen=True)
class Move:
    """One affinity change of the plan."""

    irq: int  # IRQ number
    old_cpus: tuple[int, ...]  # its smp_affinity CPUs now
    new_cpus: tuple[int, ...]  # the single CPU it will be routed to
    rate: float  # its interrupts per second
    reason: str  # why this CPU


@dataclass(frozen=True)
class Plan:
    """Moves plus the predicted per-CPU load before and after."""

    moves: tuple[Move, ...]  # what to change, biggest first
    load_before: dict[int, float]  # CPU -> rate now
    load_after: dict[int, float]  # CPU -> rate once the moves are applied
    lower_bound: float  # no placement can make the busiest CPU lighter than this
    bound_reason: str  # which constraint sets the lower bound
    fixed: tuple[int, ...] = ()  # IRQs that could not move (managed, banned, no allowed CPU)
    held: tuple[int, ...] = ()  # IRQs kept in place by --min-dwell
    violations_left: tuple[int, ...] = ()  # IRQs that stay on a CPU they may not use
    #                                        (managed, --ban-irq): the kernel keeps them there
    note: str = ""  # why the plan is empty, when it is

    @property
    def max_before(self) -> float:
        return max(self.load_before.values(), default=0.0)

    @property
    def max_after(self) -> float:
        return max(self.load_after.values(), default=0.0)

    @property
    def ratio_before(self) -> float:
        return self.max_before / self.lower_bound if self.lower_bound else 1.0

    @property
    def ratio_after(self) -> float:
        return self.max_after / self.lower_bound if self.lower_bound else 1.0
