"""GET /healthz (liveness: always 200 while the server answers) and GET /readyz (readiness:
503 while the server is degraded, for load balancers and Kubernetes probes)."""
from __future__ import annotations

from flask import current_app

from irq_server import __version__
from irq_server.api.blueprint import Blueprint, json_response
from irq_server.api.schemas import HealthSchema
from irq_server.api.timefmt import iso
from irq_server.simhost import SimKernelFS

blp = Blueprint("health", __name__, description="Liveness, readiness and version")
STALE_INTERVALS = 3  # history is stale after this many intervals without a sample (+1 s)


@blp.route("/healthz")
@blp.response(200, HealthSchema)
def healthz():
    """Server status ("ok", or "degraded" with reasons), version and sampler state."""
    return json_response(health_state())


@blp.route("/readyz")
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="degraded: see `reasons`")
def readyz():
    """The same answer as /healthz, with status 503 while the server is degraded."""
    state = health_state()
    return json_response(state, status=200 if state["status"] == "ok" else 503)


def health_state() -> dict:
    host = current_app.extensions["irq_host"]
    windows = current_app.extensions["irq_windows"]
    last = windows.store.latest_ts() if windows.store.exists() else None
    age = None if last is None else max(0.0, windows.clock() - last)
    stale = age is None or age > STALE_INTERVALS * windows.interval + 1
    reasons = []
    if stale:
        reasons.append("history is not being recorded: " + (
            "no sample yet" if age is None else f"no sample for {age:.1f} s") +
            f" (interval {windows.interval:g} s); irq-server restarts its sampler, see its log")
    return {
        "status": "degraded" if reasons else "ok",
        "reasons": reasons,
        "version": __version__,
        "root": str(host.fs.root),
        "simulated": isinstance(host.fs, SimKernelFS),
        "sampler": {"last_sample": iso(last), "interval_seconds": windows.interval,
                    "stale": stale, "age_seconds": None if age is None else round(age, 3)},
    }
