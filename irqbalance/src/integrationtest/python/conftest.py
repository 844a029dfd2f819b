"""pytest fixtures of the irqbalance integration tests: real irq-servers on loopback."""
from live_server import start_server  # noqa: F401
