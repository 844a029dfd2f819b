"""Retention tiers: how densely history is kept at each age ("1s:1h,10s:1d,60s:7d,10m:90d")."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from irq_server.errors import InvalidInput

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION_RE = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")


@dataclass(frozen=True)
class Tier:
    """Keep one snapshot per `step` seconds for snapshots younger than `keep` seconds."""

    step: float  # seconds between kept snapshots
    keep: float  # age in seconds up to which this density is kept


DEFAULT_TIERS = (Tier(1, 3600), Tier(10, 86400), Tier(60, 7 * 86400), Tier(600, 90 * 86400))


def parse_duration(text: str) -> float:
    match = _DURATION_RE.match(text.strip())
    if not match:
        raise InvalidInput(f"{text!r} is not a duration like 10s, 5m, 1h, 7d", field="tiers")
    return float(match[1]) * _UNITS[match[2]]


def parse_tiers(text: str) -> tuple[Tier, ...]:
    """Parse "STEP:KEEP,..." and check the tiers nest (steps and keeps grow)."""
    tiers = []
    for part in text.split(","):
        step, sep, keep = part.partition(":")
        if not sep:
            raise InvalidInput(f"tier {part!r} is not STEP:KEEP, e.g. 10s:1d", field="tiers")
        tiers.append(Tier(parse_duration(step), parse_duration(keep)))
    check_tiers(tuple(tiers))
    return tuple(tiers)


def check_tiers(tiers: tuple[Tier, ...]) -> None:
    if not tiers:
        raise InvalidInput("at least one tier is needed", field="tiers")
    for finer, coarser in zip(tiers, tiers[1:]):
        if coarser.step <= finer.step or coarser.keep < finer.keep + tiers[-1].step:
            raise InvalidInput("each tier needs a longer step and a longer keep than the one "
                               "before (by at least the coarsest step)", field="tiers")


def format_tiers(tiers: tuple[Tier, ...]) -> str:
    return ",".join(f"{_fmt(t.step)}:{_fmt(t.keep)}" for t in tiers)


def _fmt(seconds: float) -> str:
    for unit in ("w", "d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{int(seconds // _UNITS[unit])}{unit}"
    return f"{seconds:g}s"


KEYFRAME_GRIDS = (3600.0, 86400.0)  # hour and day grids above the tiers' steps (see ladder)


def ladder(tiers: tuple[Tier, ...]) -> tuple[float, ...]:
    """The grids a snapshot's level is counted on: the tiers' steps, then the hour and day
    grids coarser than the coarsest step. A snapshot is stored as the difference from the
    newest one of a coarser level, so each difference spans at most one step of the next grid,
    and only the first snapshot of a day (or of a boot) is stored whole."""
    steps = tuple(t.step for t in tiers)
    return steps + tuple(g for g in KEYFRAME_GRIDS if g > steps[-1])


def level(ts: float, previous_ts: float | None, steps: tuple[float, ...]) -> int:
    """The level of a snapshot taken at `ts` after one at `previous_ts` (same boot): the
    number of the coarsest grid of `steps` whose bucket it is the first of (at least 1).

    Tier i (1-based) keeps the snapshots of level >= i; level == len(steps) is a keyframe.
    """
    if previous_ts is None:
        return len(steps)
    result = 1
    for i, step in enumerate(steps):
        if math.floor(ts / step) != math.floor(previous_ts / step):
            result = i + 1
    return result
