"""The simulated host's kernel: a HostFS over a simulated tree that applies the kernel's
rules to affinity writes. Managed IRQs refuse with EIO, masks with no online CPU with EINVAL,
CPUs past the host's with EOVERFLOW; effective_affinity follows the mask (first online CPU).
"""
from __future__ import annotations

import errno
import json
import os

from irq_server.errors import HostUnavailable, InvalidMask
from irq_server.host import (
    SIMULATED as MARKER,  # the simulated tree's static description
)
from irq_server.procfs import HostFS, format_cpu_list, format_mask, parse_cpu_list, parse_mask


class SimKernelFS(HostFS):
    """HostFS over a simulated tree, with the kernel's rules for affinity writes."""

    def __init__(self, root: str | os.PathLike):
        super().__init__(root)
        meta = json.loads((self.root / MARKER).read_text())
        self._managed = {i["irq"] for i in meta["irqs"] if i["managed"]}
        self._ncpus = meta["spec"]["cpus"]

    def write_atomic(self, rel: str, text: str) -> None:
        """Replace a file whole (readers never see a half-written one)."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)

    def write_text(self, rel: str, text: str) -> None:
        parts = rel.split("/")
        if len(parts) == 4 and parts[:2] == ["proc", "irq"] and parts[3] in (
                "smp_affinity", "smp_affinity_list"):
            self._kernel_affinity_write(int(parts[2]), parts[3], text)
        else:
            super().write_text(rel, text)

    def _kernel_affinity_write(self, irq: int, name: str, text: str) -> None:
        path = f"proc/irq/{irq}/{name}"
        if not self.exists(path):
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(self.path(path)))
        if irq in self._managed:
            raise OSError(errno.EIO, "Input/output error")
        try:
            cpus = (parse_mask if name == "smp_affinity" else parse_cpu_list)(text)
        except InvalidMask:
            raise OSError(errno.EINVAL, "Invalid argument") from None
        if any(c >= self._ncpus for c in cpus):
            raise OSError(errno.EOVERFLOW, "Value too large for defined data type")
        online = parse_cpu_list(self.read_text("sys/devices/system/cpu/online"))
        if not cpus & online:
            raise OSError(errno.EINVAL, "Invalid argument")
        self.write_affinity_files(irq, cpus)

    def write_affinity_files(self, irq: int, cpus: frozenset[int]) -> None:
        """What the kernel shows after a successful write; effective = first online CPU."""
        online = parse_cpu_list(self.read_text("sys/devices/system/cpu/online"))
        effective = {min(cpus & online or online)}
        base = f"proc/irq/{irq}"
        try:
            self.write_atomic(f"{base}/smp_affinity", format_mask(cpus, self._ncpus) + "\n")
            self.write_atomic(f"{base}/smp_affinity_list", format_cpu_list(cpus) + "\n")
            self.write_atomic(f"{base}/effective_affinity",
                              format_mask(effective, self._ncpus) + "\n")
            self.write_atomic(f"{base}/effective_affinity_list",
                              format_cpu_list(effective) + "\n")
        except OSError as exc:  # the tree's own disk, not the simulated kernel, said no
            raise HostUnavailable(f"the simulated host's tree cannot be written "
                                  f"({exc.strerror}): is its data dir full?") from exc
