"""The simulated host: a realistic /proc + /sys tree (`tree`) and its kernel's write rules
(`kernel`). Production code reaches it only through `Host.open` and `--simulate`."""
from irq_server.sim.kernel import MARKER, SimKernelFS
from irq_server.sim.tree import COMPLETE, SimHost, SimIrq, SimSpec, create, is_complete

__all__ = ["COMPLETE", "MARKER", "SimHost", "SimIrq", "SimKernelFS", "SimSpec", "create",
           "is_complete"]
