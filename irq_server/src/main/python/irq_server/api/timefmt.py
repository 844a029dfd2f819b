"""Time in and out of the API: ISO 8601 UTC strings out; ISO 8601 or epoch seconds in."""
from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import ValidationError, fields


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    text = datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


LATEST = datetime(9999, 12, 31, tzinfo=timezone.utc).timestamp()


class Instant(fields.Field):
    """Query value: "2026-11-23T01:20:00Z", "2026-11-23T01:20:00+01:00" or 1795396800.5."""

    def _deserialize(self, value, attr, data, **kwargs) -> float:
        text = str(value).strip()
        try:
            ts = float(text)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise ValidationError("not a time: give ISO 8601 (2026-11-23T01:20:00Z) or "
                                      "epoch seconds") from None
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=timezone.utc)
            ts = parsed.timestamp()
        if not 0 <= ts <= LATEST:  # also rejects nan and inf
            raise ValidationError("time out of range: epoch seconds from 0 to year 9999")
        return ts
