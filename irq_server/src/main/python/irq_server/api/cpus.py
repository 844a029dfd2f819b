"""GET /cpus: topology."""
from __future__ import annotations

from dataclasses import asdict

from irq_server.api.blueprint import Blueprint, json_response
from irq_server.api.schemas.cpus import CpuListSchema
from irq_server.api.state import state

blp = Blueprint("cpus", __name__, description="CPU topology")


@blp.route("/cpus")
@blp.response(200, CpuListSchema)
def cpus():
    """Every CPU: online state, NUMA node, package, core, cache siblings, isolation."""
    topo = state().host.topology()
    return json_response({"cpus": [asdict(c) for c in topo.cpus]})
