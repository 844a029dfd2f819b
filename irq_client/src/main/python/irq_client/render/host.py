"""irq-client host and compliance: the host, its irqbalance daemon, and the IRQs on CPUs its
policy bans."""
from __future__ import annotations

from irq_client.models import Compliance, HostInfo
from irq_client.render.text import cpu_list, dash, fields, table, yes_no


def host_text(host: HostInfo) -> str:
    daemon = host.irqbalance
    lines = fields([
        ("hostname", dash(host.hostname)), ("kernel", dash(host.kernel_release)),
        ("booted", f"{host.boot_time:%Y-%m-%d %H:%M:%S} UTC" if host.boot_time else "-"),
        ("simulated", yes_no(host.simulated)),
        ("irqbalance", f"running (pid {daemon.pid})" if daemon.running else "not running"),
        ("banned CPUs", cpu_list(daemon.banned_cpus) or "-"),
        ("banned IRQs", ",".join(map(str, daemon.banned_irqs)) or "-"),
        ("config", dash(daemon.config))])
    for problem in daemon.problems:
        lines += f"\nwarning: {problem}"
    return lines


def compliance_text(report: Compliance) -> str:
    if not report.banned_cpus:
        return "no CPU is banned (isolated, nohz_full, irqbalance config, default_smp_affinity)"
    bans = "; ".join(f"{cpu}: {', '.join(why)}" for cpu, why in sorted(report.banned_cpus.items()))
    head = f"banned CPUs: {bans}"
    if report.compliant:
        return f"{head}\ncompliant: no IRQ is routed to a banned CPU"
    rows = [[v.irq, cpu_list(v.banned_cpus), ",".join(v.reasons), yes_no(v.movable),
             v.device_name or "-"] for v in report.violations]
    body = table(["IRQ", "ON", "BANNED-BY", "MOVABLE", "NAME"], rows, right=["IRQ"])
    notes = sorted({v.why for v in report.violations if not v.movable})
    tail = (f"{report.movable_violations} movable, {report.unmovable_violations} kernel-managed"
            + "".join(f"\nmanaged: {n}" for n in notes))
    return f"{head}\n{body}\n{tail}"
