"""/proc/irq/N/ and /sys/kernel/irq/N/: per-IRQ settings. A file missing on a kernel is None.

Managed affinity (kernel-chosen, refuses writes) is only visible in debugfs
(/sys/kernel/debug/irq/irqs/N, "IRQD_AFFINITY_MANAGED"); without debugfs it is unknown.
"""
from __future__ import annotations

from irq_server.procfs.hostfs import HostFS
from irq_server.procfs.masks import parse_cpu_list, parse_mask
from irq_server.types import IrqSettings

_FILES = ("smp_affinity", "effective_affinity_list", "affinity_hint", "node")


def proc_irq_dir(irq: int) -> str:
    return f"proc/irq/{irq}"


def list_irqs(fs: HostFS) -> list[int]:
    """IRQ numbers that have a /proc/irq/N directory."""
    return sorted(int(name) for name in fs.listdir("proc/irq") if name.isdigit())


def read_irq_settings(fs: HostFS, irq: int, *, sysfs: bool = True) -> IrqSettings:
    """Read one IRQ's affinity files (and, with `sysfs`, its /sys/kernel/irq/N files)."""
    proc = {name: fs.read_optional(f"proc/irq/{irq}/{name}") for name in _FILES}
    # the mask form only when the list form is missing (kernels before 4.15 have neither)
    proc["effective_affinity"] = (None if proc["effective_affinity_list"] is not None else
                                  fs.read_optional(f"proc/irq/{irq}/effective_affinity"))
    fields = parse_irq_settings(irq, **proc)
    if sysfs:
        fields.update(parse_sys_kernel_irq(
            chip_name=fs.read_optional(f"sys/kernel/irq/{irq}/chip_name"),
            hwirq=fs.read_optional(f"sys/kernel/irq/{irq}/hwirq"),
            type_=fs.read_optional(f"sys/kernel/irq/{irq}/type"),
            actions=fs.read_optional(f"sys/kernel/irq/{irq}/actions"),
            per_cpu_count=fs.read_optional(f"sys/kernel/irq/{irq}/per_cpu_count")))
    fields["managed"] = parse_debugfs_managed(fs.read_optional(f"sys/kernel/debug/irq/irqs/{irq}"))
    return IrqSettings(irq=irq, **fields)


def parse_irq_settings(irq: int, smp_affinity: str | None, effective_affinity_list: str | None,
                       effective_affinity: str | None, affinity_hint: str | None,
                       node: str | None) -> dict:
    """Pure part of read_irq_settings for /proc/irq/N files (texts already stripped)."""
    affinity = parse_mask(smp_affinity) if smp_affinity else None
    if effective_affinity_list is not None:
        effective = parse_cpu_list(effective_affinity_list)
    elif effective_affinity:
        effective = parse_mask(effective_affinity)
    else:
        effective = None
    return {
        "smp_affinity": smp_affinity,
        "smp_affinity_list": tuple(sorted(affinity)) if affinity is not None else None,
        "effective_affinity_list": tuple(sorted(effective)) if effective is not None else None,
        "affinity_hint": tuple(sorted(parse_mask(affinity_hint))) if affinity_hint else None,
        "node": int(node) if node and node.lstrip("-").isdigit() else None,
    }


def parse_sys_kernel_irq(chip_name: str | None, hwirq: str | None, type_: str | None,
                         actions: str | None, per_cpu_count: str | None) -> dict:
    """Pure part of read_irq_settings for /sys/kernel/irq/N files."""
    return {
        "chip_name": chip_name or None,
        "hwirq": int(hwirq) if hwirq and hwirq.isdigit() else None,
        "trigger": type_ or None,
        "actions": tuple(a for a in actions.split(",") if a) if actions is not None else None,
        "per_cpu_count": (tuple(int(v) for v in per_cpu_count.split(","))
                          if per_cpu_count else None),
    }


def parse_debugfs_managed(text: str | None) -> bool | None:
    """True/False from a debugfs irq file's flags, None when debugfs is not there."""
    if text is None:
        return None
    return "AFFINITY_MANAGED" in text
