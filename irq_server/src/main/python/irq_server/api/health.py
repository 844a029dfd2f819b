"""GET /healthz."""
from __future__ import annotations

from flask import current_app

from irq_server import __version__
from irq_server.api.blueprint import Blueprint, json_response
from irq_server.api.timefmt import iso
from irq_server.api.schemas import HealthSchema
from irq_server.simhost import SimKernelFS

blp = Blueprint("health", __name__, description="Liveness and version")


@blp.route("/healthz")
@blp.response(200, HealthSchema)
def healthz():
    """Server status, version and sampler state."""
    host = current_app.extensions["irq_host"]
    windows = current_app.extensions["irq_windows"]
    last = windows.store.latest_ts() if windows.store.exists() else None
    stale = last is None or windows.clock() - last > 3 * windows.interval + 1
    return json_response({
        "status": "ok",
        "version": __version__,
        "root": str(host.fs.root),
        "simulated": isinstance(host.fs, SimKernelFS),
        "sampler": {"last_sample": iso(last), "interval_seconds": windows.interval,
                    "stale": stale},
    })
