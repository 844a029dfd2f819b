"""Minimum dwell: an IRQ moved less than --min-dwell seconds ago stays where it was put
(unless it sits on a CPU it may not use), so one noisy round cannot send it back."""
from __future__ import annotations

from collections.abc import Mapping

DEFAULT_MIN_DWELL = 300.0  # seconds: five minutes of a watch loop's rounds


def held(moved_at: Mapping[int, float], now: float, min_dwell: float) -> frozenset[int]:
    """The IRQs moved (at `moved_at[irq]`, epoch seconds) less than `min_dwell` before `now`."""
    return frozenset(irq for irq, at in moved_at.items() if now - at < min_dwell)
