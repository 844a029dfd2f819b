"""Rate estimates across a watch loop's rounds: an exponentially weighted mean per IRQ, so
that one round's noise does not look like a gain worth moving for (pure, no I/O).

A round's measurement is noisy (a short window, bursty devices); the planner picks the
busiest CPU, which is the one whose noise happened to be positive, so raw rounds would
always find something to "improve". The mean follows a real change of load within a few
rounds: a rate that moves by more than `jump` of its estimate restarts the mean there.
"""
from __future__ import annotations

from dataclasses import replace

from irqbalance.types import IrqLoad

DEFAULT_WEIGHT = 0.2  # of the newest round: the mean's memory is about 1/0.2 = 5 rounds
DEFAULT_JUMP = 0.5  # a rate that changes by half its estimate is a new load, not noise


class Smoother:
    """Per-IRQ weighted means of the rates seen so far."""

    def __init__(self, weight: float = DEFAULT_WEIGHT, jump: float = DEFAULT_JUMP) -> None:
        self.weight = weight
        self.jump = jump
        self.rates: dict[int, float] = {}

    def update(self, loads: list[IrqLoad]) -> list[IrqLoad]:
        """`loads` with each rate replaced by its running estimate (where it lands now, per
        CPU, is kept from the newest round, scaled to the estimate)."""
        smoothed = []
        for irq in loads:
            old = self.rates.get(irq.irq)
            if old is None or abs(irq.rate - old) > self.jump * max(old, 1e-9):
                rate = irq.rate
            else:
                rate = old + self.weight * (irq.rate - old)
            self.rates[irq.irq] = rate
            scale = rate / irq.rate if irq.rate > 0 else 0.0
            smoothed.append(replace(irq, rate=rate, per_cpu={
                cpu: r * scale for cpu, r in irq.per_cpu.items()}))
        seen = {irq.irq for irq in loads}
        for gone in set(self.rates) - seen:
            del self.rates[gone]
        return smoothed
