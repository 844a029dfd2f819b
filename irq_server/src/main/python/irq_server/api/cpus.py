"""GET /cpus: topology."""
from __future__ import annotations

from dataclasses import asdict

from flask import current_app

from irq_server.api.blueprint import Blueprint, json_response
from irq_server.api.schemas import CpuListSchema

blp = Blueprint("cpus", __name__, description="CPU topology")


@blp.route("/cpus")
@blp.response(200, CpuListSchema)
def cpus():
    """Every CPU: online state, NUMA node, package, core, cache siblings, isolation."""
    topo = current_app.extensions["irq_host"].topology()
    return json_response({"cpus": [asdict(c) for c in topo.cpus]})
