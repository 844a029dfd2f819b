"""What an interrupt costs, estimated from history: pure (arrays in, a fit out).

Each window of history gives, per CPU, the time it spent in hardirq + softirq (/proc/stat)
and how many interrupts of each IRQ it took. The model: that time is the sum, over the IRQs'
groups, of cost per interrupt x interrupts, plus the CPU's own base load x the window's
length (timers, RCU, softirqs no IRQ raised). One cost per group: a queue family ("eth0-TxRx-"
is one) shares one, which needs far fewer windows than one per IRQ; an IRQ outside any
family is its own group. Costs and base loads are fitted non-negative (scipy's NNLS) by least
squares over every (window, CPU) pair whose CPU was not saturated (past `SATURATED` of its
time the kernel defers softirqs to ksoftirqd and the fields stop growing with the load).

Every move of an IRQ is an experiment: it puts the IRQ's interrupts beside other ones. A
group whose counts never varied differently from its neighbours' (or from a CPU's base) on
any CPU cannot be separated from them: its column lies in the null space of the problem, and
`Fit.identifiable` says so instead of guessing. Standard errors come from the residual
variance and the pseudo-inverse of the normal matrix.

The normal equations are built window by window (never the (windows x CPUs) x (groups + CPUs)
matrix), so a 256-CPU host with two hours of history fits in milliseconds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

SATURATED = 0.85  # a CPU busier than this in irq + softirq over a window is left out
_NULL = 1e-10  # eigenvalues below this (x the largest) span the null space
_IN_NULL = 1e-4  # a group whose column has more weight than this in the null space is unknown


@dataclass(frozen=True)
class Observation:
    """One window of history."""

    seconds: float  # its length
    counts: np.ndarray  # [IRQ, CPU] interrupts in it
    busy: np.ndarray  # [CPU] hardirq + softirq seconds in it


@dataclass(frozen=True)
class Fit:
    """Cost per interrupt of each group, and each CPU's base load."""

    cost: np.ndarray  # [group] seconds per interrupt (0 where not identifiable)
    error: np.ndarray  # [group] standard error of cost, seconds (inf where not identifiable)
    identifiable: np.ndarray  # [group] bool: the history separates it from the rest
    base: np.ndarray  # [CPU] seconds of irq + softirq per second that no IRQ explains
    windows: int  # observations that had a usable CPU
    rows: int  # (window, CPU) pairs fitted

    def cost_of(self, groups: np.ndarray) -> np.ndarray:
        """Per IRQ (`groups`: IRQ -> group), cost per interrupt."""
        return self.cost[groups]


def fit(observations: list[Observation], groups: np.ndarray, n_groups: int) -> Fit | None:
    """Fit costs of `n_groups` groups (`groups`: IRQ index -> group) and per-CPU base loads;
    None without a usable (window, CPU) pair."""
    if not observations:
        return None
    n_cpus = observations[0].busy.shape[0]
    n = n_groups + n_cpus
    normal = np.zeros((n, n))
    rhs = np.zeros(n)
    yy = 0.0
    rows = windows = 0
    onehot = np.zeros((n_groups, groups.shape[0]))
    onehot[groups, np.arange(groups.shape[0])] = 1.0
    for obs in observations:
        if obs.seconds <= 0:
            continue
        keep = obs.busy < SATURATED * obs.seconds
        if not keep.any():
            continue
        per_group = (onehot @ obs.counts.astype(np.float64)) * keep  # [group, CPU]
        busy = np.where(keep, obs.busy, 0.0)
        normal[:n_groups, :n_groups] += per_group @ per_group.T
        cross = per_group * obs.seconds  # [group, CPU]: group column x base column
        normal[:n_groups, n_groups:] += cross
        normal[n_groups:, :n_groups] += cross.T
        normal[n_groups + np.arange(n_cpus), n_groups + np.arange(n_cpus)] += (
            keep * obs.seconds ** 2)
        rhs[:n_groups] += per_group @ busy
        rhs[n_groups:] += busy * obs.seconds
        yy += float(busy @ busy)
        rows += int(keep.sum())
        windows += 1
    if not rows:
        return None
    scale = np.sqrt(np.maximum(np.diag(normal), 1e-300))
    scaled = normal / np.outer(scale, scale)
    values, vectors = np.linalg.eigh(scaled)
    top = max(values.max(), 1e-300)
    live = values > _NULL * top
    # ||R x - d||^2 = x'Mx - 2 v'x + const with R = sqrt(L) Q', d = R^+' v: NNLS on n x n
    r = np.sqrt(values[live])[:, None] * vectors[:, live].T
    d = (vectors[:, live].T @ (rhs / scale)) / np.sqrt(values[live])
    solution, _ = nnls(r, d, maxiter=50 * n)
    x = solution / scale
    unknown = (vectors[:, ~live] ** 2).sum(axis=1) > _IN_NULL
    unknown &= np.diag(normal) > 0
    rss = max(yy - 2 * rhs @ x + x @ normal @ x, 0.0)
    rank = int(live.sum())
    variance = rss / max(rows - rank, 1)
    pinv = (vectors[:, live] / values[live]) @ vectors[:, live].T
    error = np.sqrt(np.maximum(np.diag(pinv), 0.0) * variance) / scale
    never = np.diag(normal)[:n_groups] == 0  # no interrupt of the group in any kept window
    identifiable = ~(unknown[:n_groups] | never)
    cost = np.where(identifiable, x[:n_groups], 0.0)
    return Fit(cost=cost, error=np.where(identifiable, error[:n_groups], np.inf),
               identifiable=identifiable, base=x[n_groups:], windows=windows, rows=rows)
