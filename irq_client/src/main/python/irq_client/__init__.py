"""irq_client: typed Python client of irq-server, and the irq-client command."""
__version__ = "0.1.0"  # first: the modules below read it (User-Agent)
from irq_client.client import IrqClient
from irq_client.registry import HostStatus, RegistryClient
from irq_client.errors import (ApiError, BadRequest, Conflict, Forbidden, IrqClientError,
                               NotFound, ServerError, TooManyRequests, TransportError,
                               Unauthorized)
from irq_client.models import (Affinity, Cpu, CpuUsage, CpuWindow, Current, Health, History,
                               InterruptWindow, Irq, IrqList, IrqRate, IrqWindow, MemoryPoint,
                               OtherRow, PartitionSummary, RegistryEntry, RegistryState, Run,
                               RunInterrupts, RunList, Sampler, SoftirqRate,
                               SoftirqWindow, Span, SpaceAverage, StoragePoint, Token,
                               UsageRecorded)

__all__ = [
    "Affinity", "ApiError", "BadRequest", "Conflict", "Cpu", "CpuUsage", "CpuWindow", "Current",
    "Forbidden", "Health", "History", "HostStatus", "InterruptWindow", "Irq", "IrqClient", "IrqClientError",
    "IrqList", "IrqRate", "IrqWindow", "MemoryPoint", "NotFound", "OtherRow",
    "PartitionSummary", "RegistryClient", "RegistryEntry", "RegistryState", "Run",
    "RunInterrupts", "RunList", "Sampler", "ServerError", "SoftirqRate", "SoftirqWindow", "Span",
    "SpaceAverage", "StoragePoint", "Token", "TooManyRequests", "TransportError", "Unauthorized",
    "UsageRecorded",
]
