"""/proc/meminfo: memory as free(1) reports it."""
from __future__ import annotations

import re

from irq_server.procfs.hostfs import HostFS
from irq_server.types import Memory

_LINE = re.compile(r"^([A-Za-z0-9_()]+):\s+(\d+)(?:\s+kB)?\s*$")


def read_meminfo(fs: HostFS) -> Memory:
    text = fs.read_text("proc/meminfo")
    if "MemAvailable:" in text:  # the common case: no estimate, no second file
        return parse_meminfo(text)
    min_free = fs.read_optional("proc/sys/vm/min_free_kbytes")
    return parse_meminfo(text, int(min_free) if min_free and min_free.isdigit() else 0)


def parse_meminfo(text: str, min_free_kib: int = 0) -> Memory:
    """Parse /proc/meminfo ("Key:   123 kB" lines; 2.4 kernels put a byte table first, which
    is skipped). Kernels before 3.14 have no MemAvailable: it is then estimated as the kernel
    does since (and as procps' free does on those kernels): free memory above the low
    watermark (5/4 of vm.min_free_kbytes) plus the reclaimable part of the page cache and of
    reclaimable slab; on kernels too old to split the page cache (no Active(file), before
    2.6.28), MemFree + Buffers + Cached, what their free printed as "-/+ buffers/cache"."""
    kib: dict[str, int] = {}
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if match:
            kib[match[1]] = int(match[2])
    if "MemTotal" not in kib:
        raise ValueError("no MemTotal line: not a /proc/meminfo")
    free, buffers, cached = kib.get("MemFree", 0), kib.get("Buffers", 0), kib.get("Cached", 0)
    available, estimated = kib.get("MemAvailable"), False
    if available is None:
        estimated = True
        if "Active(file)" in kib or "Inactive(file)" in kib:
            low = min_free_kib * 5 // 4
            page_cache = kib.get("Active(file)", 0) + kib.get("Inactive(file)", 0)
            slab = kib.get("SReclaimable", 0)
            available = max(0, free - low + page_cache - min(page_cache // 2, low)
                            + slab - min(slab // 2, low))
        else:
            available = free + buffers + cached
    return Memory(total=kib["MemTotal"] * 1024, free=free * 1024, available=available * 1024,
                  buffers=buffers * 1024, cached=cached * 1024,
                  swap_total=kib.get("SwapTotal", 0) * 1024,
                  swap_free=kib.get("SwapFree", 0) * 1024, available_estimated=estimated)
