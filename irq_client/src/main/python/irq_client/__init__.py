"""irq_client: typed Python client of irq-server, and the irq-client command.

    from irq_client import IrqClient, Window
    client = IrqClient("http://db7:5000")
    rates = client.interrupts_irqs(window=Window(period=60))   # or window=60
"""
__version__ = "0.1.0"  # first: the modules below read it (User-Agent)
from irq_client.client import IrqClient
from irq_client.errors import (ApiError, BadRequest, Conflict, Forbidden, IrqClientError, NotFound,
                               ServerError, TooManyRequests, TransportError, Unauthorized)
from irq_client.models import (Affinity, AffinityChange, ChangeList, Cpu, CpuUsage, CpuWindow,
                               Current, Health, History, InterruptWindow, Irq, IrqList, IrqRate,
                               IrqWindow, Items, MemoryPoint, OtherRow, PartitionSummary,
                               RegistryEntry, RegistryHealth, RegistryState, Run, RunInterrupts,
                               RunList, Sampler, SoftirqRate, SoftirqWindow, SpaceAverage, Span,
                               StoragePoint, Token, UsageRecorded)
from irq_client.registry import HostStatus, RegistryClient
from irq_client.window import Window

__all__ = [
    "Affinity", "AffinityChange", "ApiError", "BadRequest", "ChangeList", "Conflict", "Cpu", "CpuUsage", "CpuWindow", "Current",
    "Forbidden", "Health", "History", "HostStatus", "InterruptWindow", "Irq", "IrqClient",
    "IrqClientError", "IrqList", "IrqRate", "IrqWindow", "Items", "MemoryPoint", "NotFound",
    "OtherRow", "PartitionSummary", "RegistryClient", "RegistryEntry", "RegistryHealth",
    "RegistryState", "Run", "RunInterrupts", "RunList", "Sampler", "ServerError", "SoftirqRate",
    "SoftirqWindow", "Span", "SpaceAverage", "StoragePoint", "Token", "TooManyRequests",
    "TransportError", "Unauthorized", "UsageRecorded", "Window",
]
