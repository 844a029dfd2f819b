"""irq_client: typed Python client of irq-server, and the irq-client command."""
from irq_client.client import IrqClient
from irq_client.errors import (ApiError, BadRequest, Conflict, Forbidden, IrqClientError,
                               NotFound, ServerError, TransportError, Unauthorized)
from irq_client.models import (Affinity, Cpu, CpuWindow, Health, History, InterruptWindow, Irq,
                               IrqList, IrqRate, IrqWindow, OtherRow, Sampler, SoftirqRate,
                               SoftirqWindow, Span)

__version__ = "0.1.0"
__all__ = [
    "Affinity", "ApiError", "BadRequest", "Conflict", "Cpu", "CpuWindow", "Forbidden", "Health",
    "History", "InterruptWindow", "Irq", "IrqClient", "IrqClientError", "IrqList", "IrqRate",
    "IrqWindow", "NotFound", "OtherRow", "Sampler", "ServerError", "SoftirqRate", "SoftirqWindow",
    "Span", "TransportError",
    "Unauthorized",
]
