"""The numbers of a run, as pure functions of its samples (no I/O).

`threshold_percent`: a threshold strictly between 0 and 1 is a fraction (the tracker's old
client sends 0.5 for 50 %); 0 and anything from 1 to 100 is a percentage (1 means 1 %).

`time_above`: sample-and-hold. Each usage sample holds from its timestamp until the next
sample's (the newest until the run's end once it is stopped); the seconds held by samples
strictly above the threshold are summed, counting only time inside [start, end]. Time before
the first sample is not counted: nothing was reported for it. Of samples with the same
timestamp, the one given last holds (it is the newer report).
"""
from __future__ import annotations

from collections.abc import Iterable


def threshold_percent(value: float) -> float:
    """The threshold as a CPU percentage (see the module's rule)."""
    return value * 100.0 if 0 < value < 1 else float(value)


def time_above(samples: Iterable[tuple[float, float]], threshold: float, start: float,
               end: float) -> float:
    """Seconds in [start, end] held by samples (timestamp, usage %) above `threshold`, given
    in the order they were reported."""
    ordered = sorted(samples, key=lambda sample: sample[0])  # stable: ties keep their order
    total = 0.0
    for i, (ts, usage) in enumerate(ordered):
        if usage <= threshold:
            continue
        until = ordered[i + 1][0] if i + 1 < len(ordered) else end
        total += max(0.0, min(until, end) - max(ts, start))
    return total
