"""The watch loop's inputs: rate estimates (noise averaged away, a real change followed at once),
the dwell, where a window's rates land now."""
import random
import statistics

import pytest

from irqbalance.dwell import held
from irqbalance.measure import now_on
from irqbalance.smoothing import Smoother
from irqbalance.types import IrqLoad


def load(rate, cpu=0):
    return IrqLoad(irq=7, rate=rate, per_cpu={cpu: rate}, cpus=(cpu,))


def test_noise_is_averaged_and_where_it_lands_follows_the_newest_round():
    rng = random.Random(1)
    smoother = Smoother()
    raw, estimates = [], []
    for k in range(200):
        rate = 1000 * (1 + rng.uniform(-0.1, 0.1))
        (estimate,) = smoother.update([load(rate, cpu=k % 2)])
        raw.append(rate)
        estimates.append(estimate.rate)
        assert estimate.per_cpu == {k % 2: pytest.approx(estimate.rate)}
    assert statistics.pstdev(estimates[20:]) < statistics.pstdev(raw[20:]) / 2


def test_a_real_change_restarts_the_estimate_and_gone_irqs_are_forgotten():
    smoother = Smoother()
    smoother.update([load(1000)])
    assert smoother.update([load(5000)])[0].rate == 5000
    smoother.update([])
    assert smoother.rates == {}


def test_dwell_holds_only_recent_moves():
    assert held({1: 100.0, 2: 390.0}, now=400.0, min_dwell=300) == {2}
    assert held({1: 100.0}, now=400.0, min_dwell=0) == frozenset()


def test_a_window_from_before_a_move_counts_where_the_irq_is_now():
    assert now_on((3,), {0: 900.0, 3: 100.0}) == {3: 1000.0}  # moved to CPU 3 mid-window
    assert now_on((2, 3), {0: 800.0}) == {2: 400.0, 3: 400.0}
    assert now_on((0, 1), {0: 600.0, 1: 400.0}) == {0: 600.0, 1: 400.0}  # as measured
    assert now_on(None, {0: 5.0}) == {0: 5.0}  # a kernel without effective_affinity
