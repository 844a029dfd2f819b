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
`Fit.identifiable` says so instead of guessing; so does a group whose column is all but a
mix of the others (an IRQ at a constant rate on one CPU looks like that CPU's base load:
variance inflation past _MAX_VIF) or whose standard error is over half its cost. Those are
dropped and the rest fitted again, their time going to their CPUs' base loads. Standard
errors come from the residual variance and the inverse of the normal matrix.

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
_MAX_VIF = 1e4  # variance inflation past this: the column is all but a mix of the others
_MIN_ERROR = 1e-6  # seconds: a cost known to within a microsecond is known, however small
_REFITS = 4  # fits at most, each without the groups the one before could not separate


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
    seen = np.diag(normal)[:n_groups] > 0  # the group had interrupts in some kept window
    active = np.concatenate([seen, np.diag(normal)[n_groups:] > 0])
    for _ in range(_REFITS):
        x, error, weak = _solve(normal, rhs, yy, rows, active)
        weak[n_groups:] = False  # a CPU's base stays: it takes what the dropped groups did
        if not weak.any():
            break
        active &= ~weak  # fitted again without them: their time goes to their CPUs' base
    identifiable = active[:n_groups] & seen & ~weak[:n_groups]
    cost = np.where(identifiable, x[:n_groups], 0.0)
    return Fit(cost=cost, error=np.where(identifiable, error[:n_groups], np.inf),
               identifiable=identifiable, base=x[n_groups:], windows=windows, rows=rows)


def _solve(normal: np.ndarray, rhs: np.ndarray, yy: float, rows: int,
           active: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NNLS over the `active` columns: (solution, standard errors, columns too weak to
    trust: in the null space, nearly a combination of the others (variance inflation past
    _MAX_VIF), or with an error past half their value and _MIN_ERROR)."""
    n = normal.shape[0]
    x, error, weak = np.zeros(n), np.full(n, np.inf), np.zeros(n, dtype=bool)
    idx = np.flatnonzero(active)
    if not idx.size:
        return x, error, weak
    sub = normal[np.ix_(idx, idx)]
    scale = np.sqrt(np.diag(sub))
    scaled = sub / np.outer(scale, scale)  # unit diagonal: the inverse's diagonal is the VIF
    values, vectors = np.linalg.eigh(scaled)
    live = values > _NULL * max(values.max(), 1e-300)
    # ||R x - d||^2 = x'Mx - 2 v'x + const with R = sqrt(L) Q', d = R^+' v: NNLS on n x n
    r = np.sqrt(values[live])[:, None] * vectors[:, live].T
    d = (vectors[:, live].T @ (rhs[idx] / scale)) / np.sqrt(values[live])
    solution, _ = nnls(r, d, maxiter=50 * idx.size)
    x[idx] = solution / scale
    rss = max(yy - 2 * rhs @ x + x @ normal @ x, 0.0)
    variance = rss / max(rows - int(live.sum()), 1)
    vif = np.maximum(np.einsum("ij,j,ij->i", vectors[:, live], 1 / values[live],
                               vectors[:, live]), 0.0)
    error[idx] = np.sqrt(vif * variance) / scale
    in_null = (vectors[:, ~live] ** 2).sum(axis=1) > _IN_NULL
    noisy = error[idx] > np.maximum(0.5 * x[idx], _MIN_ERROR)
    weak[idx] = in_null | (vif > _MAX_VIF) | noisy
    return x, error, weak
