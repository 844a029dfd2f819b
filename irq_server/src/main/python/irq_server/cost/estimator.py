"""What an interrupt costs, estimated from history: pure (arrays in, a fit out).

Each window of history gives, per CPU, the time it spent in hardirq + softirq (/proc/stat)
and how many interrupts of each IRQ it took. The model: that time is the sum, over the IRQs'
groups, of cost per interrupt x interrupts, plus the CPU's own base load x the window's
length (timers, RCU, softirqs no IRQ raised). One cost per group: a queue family ("eth0-TxRx-"
is one) shares one, which needs far fewer windows than one per IRQ; an IRQ outside any
family is its own group. Costs and base loads are fitted non-negative (scipy's NNLS) by least
squares over every (window, CPU) pair whose CPU was not saturated, nor in the windows either
side (past `SATURATED` of its time the kernel defers softirqs to ksoftirqd and the fields stop
growing with the load; a window may hold the end of such a stretch).

Every move of an IRQ is an experiment: it puts the IRQ's interrupts beside other ones. A
group whose counts never varied differently from its neighbours' (or from a CPU's base) on
any CPU cannot be separated from them: its column lies in the null space of the problem, and
`Fit.identifiable` says so instead of guessing; so does a group whose column is all but a
mix of the others (an IRQ at a constant rate on one CPU looks like that CPU's base load:
variance inflation past _MAX_VIF), or whose standard error is over half its cost. A group
with too few interrupts to tell (_MIN_INTERRUPTS) is left out of the fit, its little time
going to its CPUs' base loads. Standard
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
_MAX_VIF = 1e3  # variance inflation past this: the column is all but a mix of the others
_MIN_INTERRUPTS = 1000  # a group with fewer in the fitted rows has too few to tell its cost
_MIN_ERROR = 1e-6  # seconds: a cost known to within a microsecond is known, however small
_ROBUST_ROUNDS = 3  # fits at most, each without the rows the one before could not explain
_OUTLIER = 5.0  # robust standard deviations: a row's residual past this is left out
_MIN_RESIDUAL = 0.03  # seconds: residuals within three ticks are the accounting's own noise


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
    None without a usable (window, CPU) pair. Rows the model cannot explain (a CPU that was
    saturated for part of a window, a window across a reboot: residuals past _OUTLIER robust
    standard deviations) are left out and the fit made again."""
    order = np.argsort(groups, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(groups[order]) != 0])
    present = groups[order][starts]
    # a CPU saturated in one window may have been for part of the one before or after
    saturated = [obs.busy >= SATURATED * obs.seconds for obs in observations]
    prepared = []
    for k, obs in enumerate(observations):
        if obs.seconds <= 0:
            continue
        keep = ~saturated[k]
        for near in (k - 1, k + 1):
            if 0 <= near < len(observations):
                keep &= ~saturated[near]
        if not keep.any():
            continue
        per_group = np.zeros((n_groups, obs.busy.shape[0]))
        per_group[present] = np.add.reduceat(obs.counts[order].astype(np.float64), starts)
        prepared.append((obs.seconds, per_group, obs.busy.astype(np.float64), keep))
    if not prepared:
        return None
    for _ in range(_ROBUST_ROUNDS):
        found = _fit_rows(prepared, n_groups)
        residuals = [busy - found.cost @ per_group - found.base * seconds
                     for seconds, per_group, busy, _ in prepared]
        kept = np.concatenate([r[keep] for r, (_, _, _, keep) in zip(residuals, prepared)])
        spread = 1.4826 * float(np.median(np.abs(kept - np.median(kept))))
        limit = max(_OUTLIER * spread, _MIN_RESIDUAL)
        dropped = 0
        for k, (r, (seconds, per_group, busy, keep)) in enumerate(zip(residuals, prepared)):
            inside = keep & (np.abs(r) <= limit)
            dropped += int(keep.sum() - inside.sum())
            prepared[k] = (seconds, per_group, busy, inside)
        if not dropped:
            break
        prepared = [p for p in prepared if p[3].any()]
        if not prepared:
            return None
    return found


def _fit_rows(prepared: list, n_groups: int) -> Fit:
    """One fit over the kept rows of `prepared` ((seconds, per-group counts, busy, keep))."""
    n_cpus = prepared[0][2].shape[0]
    n = n_groups + n_cpus
    normal = np.zeros((n, n))
    rhs = np.zeros(n)
    yy = 0.0
    rows = 0
    diagonal = n_groups + np.arange(n_cpus)
    for seconds, per_group, busy, keep in prepared:
        counts = per_group * keep
        time = np.where(keep, busy, 0.0)
        normal[:n_groups, :n_groups] += counts @ counts.T
        cross = counts * seconds  # [group, CPU]: group column x base column
        normal[:n_groups, n_groups:] += cross
        normal[n_groups:, :n_groups] += cross.T
        normal[diagonal, diagonal] += keep * seconds ** 2
        rhs[:n_groups] += counts @ time
        rhs[n_groups:] += time * seconds
        yy += float(time @ time)
        rows += int(keep.sum())
    total = sum(((per_group * keep).sum(axis=1) for _, per_group, _, keep in prepared),
                np.zeros(n_groups))
    seen = total >= _MIN_INTERRUPTS  # enough of the group's interrupts in kept windows
    # too few interrupts: left out, their (little) time goes to their CPUs' base loads
    active = np.concatenate([seen, np.diag(normal)[n_groups:] > 0])
    x, error, weak = _solve(normal, rhs, yy, rows, active)
    identifiable = seen & ~weak[:n_groups]
    cost = np.where(identifiable, x[:n_groups], 0.0)
    return Fit(cost=cost, error=np.where(identifiable, error[:n_groups], np.inf),
               identifiable=identifiable, base=x[n_groups:],
               windows=sum(1 for p in prepared if p[3].any()), rows=rows)


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
