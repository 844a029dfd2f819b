"""What a watch loop remembers of each host between its rounds: the rate estimates
(smoothing.Smoother) and when the last apply settles, so that a round never measures a
window that still holds the interrupts from before that apply."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from irq_client import IrqClient
from irqbalance.smoothing import Smoother


@dataclass
class HostMemory:
    smoother: Smoother = field(default_factory=Smoother)
    settled_at: datetime | None = None  # server time: windows start here or later

    def applied(self, client: IrqClient) -> None:
        """Note an apply that has just ended. The host's newest sample is at most one sampling
        interval older than the apply's end, so the sample one interval after the next one is
        at least an interval past the end: the IRQs have settled on their new CPUs."""
        sampler = client.health().sampler
        if sampler.last_sample is not None:
            self.settled_at = sampler.last_sample + timedelta(
                seconds=2 * sampler.interval_seconds)
