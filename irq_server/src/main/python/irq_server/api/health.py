"""GET /healthz (liveness: always 200 while the server answers) and GET /readyz (readiness:
503 while the server is degraded, for load balancers and Kubernetes probes).

Both answer the same body. Liveness never depends on the disk or the stores: a full data
dir, an unreadable history or a stalled sampler are reasons in the body, not errors.
Readiness says which: `reason` is the first cause ("disk full", "history unreadable",
"no sample yet", "sampler stale"), `reasons` every one in words.
"""
from __future__ import annotations

import os

from flask import current_app

from irq_server import __version__
from irq_server.api.blueprint import Blueprint, json_response
from irq_server.api.schemas.health import HealthSchema
from irq_server.api.state import state
from irq_server.api.timefmt import iso
from irq_server.errors import StoreUnavailable

blp = Blueprint("health", __name__, description="Liveness, readiness and version")
STALE_INTERVALS = 3  # history is stale after this many intervals without a sample (+1 s)
LOW_SPACE = 256 << 10  # bytes: with less free in the data dir, nothing can be stored reliably


@blp.route("/healthz")
@blp.response(200, HealthSchema)
def healthz():
    """Server status ("ok", or "degraded" with reasons), version and sampler state."""
    return json_response(health_state())


@blp.route("/readyz")
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="degraded: see `reason(s)`")
def readyz():
    """The same answer as /healthz, with status 503 while the server is degraded."""
    state = health_state()
    return json_response(state, status=200 if state["status"] == "ok" else 503)


def disk_reasons(data_dir: str) -> list[tuple[str, str]]:
    """("disk full", why) when the data dir's filesystem has less than LOW_SPACE free."""
    try:
        st = os.statvfs(data_dir)
    except OSError:
        return []
    free = st.f_bavail * st.f_frsize
    if free >= LOW_SPACE:
        return []
    return [("disk full", f"the data dir's filesystem has {free} bytes free: history, runs "
                          "and logins cannot be stored until space is freed (the server "
                          "resumes by itself)")]


def summary(reasons: list[tuple[str, str]]) -> dict:
    """The status fields of a health answer from (reason, words) pairs."""
    return {"status": "degraded" if reasons else "ok",
            "reason": reasons[0][0] if reasons else None,
            "reasons": [words for _, words in reasons]}


def health_state() -> dict:
    host = state().host
    windows = state().windows
    reasons = disk_reasons(current_app.config["IRQ_DATA_DIR"])
    try:
        last = windows.store.latest_ts() if windows.store.exists() else None
    except StoreUnavailable as exc:
        last = None
        reasons.append(("history unreadable", f"{exc.detail}; windows answer 503, live "
                                              "routes still work"))
    age = None if last is None else max(0.0, windows.clock() - last)
    stale = age is None or age > STALE_INTERVALS * windows.interval + 1
    if age is None:
        reasons.append(("no sample yet", "no sample yet: a starting server stores its first "
                        f"within a few intervals ({windows.interval:g} s); if this lasts, see "
                        "the sampler's log"))
    elif stale:
        reasons.append(("sampler stale", f"history is not being recorded: no sample for "
                        f"{age:.1f} s (interval {windows.interval:g} s): irq-server restarts a "
                        "sampler that dies, not one that hangs; see its log"))
    return {
        **summary(reasons),
        "version": __version__,
        "root": str(host.fs.root),
        "simulated": host.simulated,
        "sampler": {"last_sample": iso(last), "interval_seconds": windows.interval,
                    "stale": stale, "age_seconds": None if age is None else round(age, 3)},
    }
