"""Queue families: the IRQs of one device's queues ("eth0-TxRx-0" .. "eth0-TxRx-31") share
what an interrupt costs (one driver, one kind of work), so the estimator fits one cost for
all of them."""
from __future__ import annotations

import re

import numpy as np

_QUEUE = re.compile(r"\d+(?=(@|$))")  # the queue in "eth0-TxRx-3", "nvme0q3", "mlx5_comp3@pci"


def family(name: str) -> str:
    """Queue family of a handler name ("eth0-TxRx-3" -> "eth0-TxRx-", "nvme0q12" -> "nvme0q");
    "" for a name without a queue number."""
    first = name.split(",")[0].strip()
    return _QUEUE.sub("", first, count=1) if _QUEUE.search(first) else ""


def group_index(names: list[str]) -> tuple[np.ndarray, list[str]]:
    """(IRQ index -> group, group labels): one group per family, one per IRQ outside any."""
    labels: dict[str, int] = {}
    groups = []
    for i, name in enumerate(names):
        label = family(name) or f"#{i}"
        groups.append(labels.setdefault(label, len(labels)))
    return np.array(groups, dtype=np.int64), list(labels)
