"""GET /host: who the host is and whether another balancer runs there; GET /compliance:
the IRQs routed to CPUs that the host's policy keeps IRQs off."""
from __future__ import annotations

from irq_server.api.blueprint import Blueprint, json_response
from irq_server.api.schemas.host import ComplianceSchema, HostSchema
from irq_server.api.state import state
from irq_server.api.timefmt import iso
from irq_server.compliance import Violation, movable_count, violations

blp = Blueprint("host", __name__, description="The host and its own IRQ policy")


@blp.route("/host")
@blp.response(200, HostSchema)
def host():
    """Hostname, kernel release, boot time, and the irqbalance daemon (running, its bans)."""
    h = state().host
    daemon = h.irqbalance()
    return json_response({
        "hostname": h.hostname(), "kernel_release": h.kernel_release(),
        "boot_time": iso(h.boot_time()), "simulated": h.simulated,
        "irqbalance": {"running": daemon.running, "pid": daemon.pid,
                       "banned_cpus": sorted(daemon.banned_cpus),
                       "banned_irqs": sorted(daemon.banned_irqs),
                       "config": daemon.config.path, "problems": list(daemon.config.problems)}})


@blp.route("/compliance")
@blp.response(200, ComplianceSchema)
def compliance():
    """Every IRQ whose effective affinity touches a banned CPU, and whether it can move."""
    h = state().host
    bans = h.bans()
    table = h.irq_table()
    found = violations(table.interrupts, table.settings, bans)
    movable = movable_count(found)
    return json_response({
        "banned_cpus": {str(cpu): list(why) for cpu, why in sorted(bans.items())},
        "compliant": not found, "movable_violations": movable,
        "unmovable_violations": len(found) - movable,
        "violations": [violation_json(v) for v in found]})


def violation_json(v: Violation) -> dict:
    return {"irq_num": str(v.irq), "device_name": v.device, "banned_cpus": list(v.cpus),
            "reasons": list(v.reasons), "effective_affinity_list": list(v.effective),
            "movable": v.movable, "why": v.why}
