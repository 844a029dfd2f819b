"""Time in and out of the API: ISO 8601 UTC strings out; RFC 3339 or epoch seconds in."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from marshmallow import ValidationError, fields

EARLIEST = datetime(1, 1, 2, tzinfo=timezone.utc).timestamp()  # year 1 (a day in: offsets)
LATEST = datetime(9999, 12, 31, tzinfo=timezone.utc).timestamp()
# exactly what the OpenAPI description admits: a JSON number, or an RFC 3339 date-time
_NUMBER_RE = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?")
_DATE_TIME_RE = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
HINT = "give RFC 3339 (2026-11-23T01:20:00Z) or epoch seconds (1795396800)"


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    text = datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def parse_instant(text: str) -> float:
    """Epoch seconds of "2026-11-23T01:20:00Z", "2026-11-23T01:20:00.5+01:00" or "1795396800.5".

    Raises:
        ValueError: anything else (naive times too: their zone would be a guess).
    """
    if _NUMBER_RE.fullmatch(text):
        ts = float(text)
    else:
        match = _DATE_TIME_RE.fullmatch(text)
        if not match:
            raise ValueError(f"not a time: {HINT}")
        day, clock, fraction, offset = match.groups()
        offset = "+00:00" if offset in "Zz" else offset
        try:
            parsed = datetime.fromisoformat(f"{day}T{clock}{(fraction or '')[:7]}{offset}")
        except ValueError:
            raise ValueError(f"not a valid date or time of day: {HINT}") from None
        ts = parsed.timestamp()
    if not EARLIEST <= ts <= LATEST:
        raise ValueError("time out of range: from year 1 to year 9999")
    return ts


class Instant(fields.Field):
    """Query value: an RFC 3339 date-time with its offset, or epoch seconds."""

    def __init__(self, **kwargs):
        metadata = {"anyOf": [{"type": "string", "format": "date-time"},
                              {"type": "number", "minimum": EARLIEST, "maximum": LATEST}],
                    **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> float:
        try:
            return parse_instant(str(value))
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
