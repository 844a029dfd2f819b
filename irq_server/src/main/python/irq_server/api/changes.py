"""GET /affinity/changes: every accepted affinity write of a window, from the audit log."""
from __future__ import annotations

from irq_server.api.blueprint import Blueprint, json_response
from irq_server.api.schemas.changes import ChangeListSchema, ChangesQuery
from irq_server.api.state import state
from irq_server.api.timefmt import EARLIEST, LATEST, iso
from irq_server.audit.store import MAX_LISTED, Change
from irq_server.errors import InvalidInput
from irq_server.procfs import parse_cpu_list

blp = Blueprint("changes", __name__, description="The audit log of affinity writes")
DEFAULT_PERIOD = 7 * 86400.0  # seconds a window without start or period covers


@blp.route("/affinity/changes")
@blp.arguments(ChangesQuery, location="query")
@blp.response(200, ChangeListSchema)
def list_changes(args):
    """Affinity writes between `start` and `end` (default: the last 7 days), oldest first:
    when, IRQ, the mask before and after, who, and the reason the caller gave."""
    start, end = _bounds(args, state().audit.clock())
    changes, truncated = state().audit.between(start, end, args.get("limit", MAX_LISTED))
    return json_response({"start": iso(start), "end": iso(end),
                          "changes": [change_json(c) for c in changes],
                          "truncated": truncated})


def _bounds(args: dict, now: float) -> tuple[float, float]:
    """The window's (start, end), within the years an answer can name (1 to 9999)."""
    period, start, end = (args.get(k) for k in ("period_seconds", "start", "end"))
    if start is None:
        end = now if end is None else end
        start = end - (period or DEFAULT_PERIOD)
    elif period is not None:
        end = start + period
    elif end is None:
        if start > now:
            raise InvalidInput("start is in the future (the window would end now)",
                               field="start")
        end = now
    return max(start, EARLIEST), min(end, LATEST)


def change_json(c: Change) -> dict:
    return {"id": c.id, "time": iso(c.time), "timestamp": round(c.time, 6), "irq": c.irq,
            "old": {"cpu_affinity": c.old_mask,
                    "cpu_affinity_list": sorted(parse_cpu_list(c.old_list))},
            "new": {"cpu_affinity": c.new_mask,
                    "cpu_affinity_list": sorted(parse_cpu_list(c.new_list))},
            "who": c.who, "reason": c.reason}
