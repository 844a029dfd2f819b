"""Window: the time span a windowed route covers, given once and checked once.

    Window(period=60)                          the last minute (ending now)
    Window(start=t0, end=t1)                   from t0 to t1
    Window(period=600, end=t1)                 the ten minutes ending at t1
    Window(period=600, start=t0)               the ten minutes starting at t0

Instants are datetimes (naive ones are local time), epoch seconds, or RFC 3339 strings.
Every windowed IrqClient method takes `window=`: a Window, a number of seconds (the same as
Window(period=n)), or None for the server's default (the last 60 s; a week for the usage
routes).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

Instant = datetime | float | int | str


@dataclass(frozen=True)
class Window:
    """At most two of `period` (seconds, > 0), `start` and `end`; ValueError otherwise."""

    period: float | None = None  # length in seconds, ending at end (default now) or from start
    start: Instant | None = None  # from this instant
    end: Instant | None = None  # to this instant (default now)

    def __post_init__(self) -> None:
        if self.period is not None and not self.period > 0:
            raise ValueError(f"the period must be greater than 0 seconds, not {self.period}")
        if None not in (self.period, self.start, self.end):
            raise ValueError("give at most two of period, start and end")

    def query(self) -> dict[str, str | float | None]:
        """The query parameters of the window (None: left out)."""
        return {"period_seconds": self.period, "start": instant_text(self.start),
                "end": instant_text(self.end)}


WindowArg = Window | float | None  # what the client's methods accept as `window`


def window_of(value: WindowArg) -> Window:
    """`value` as a Window: a number is a period in seconds, None the server's default."""
    if isinstance(value, Window):
        return value
    return Window() if value is None else Window(period=value)


def instant_text(value: Instant | None) -> str | None:
    """An instant as the server reads it: RFC 3339 UTC, or epoch seconds as given."""
    if value is None:
        return None
    if isinstance(value, datetime):  # naive means local time, as datetime.timestamp() reads it
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return str(value)
