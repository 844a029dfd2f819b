"""pytest fixtures of the irq_server integration tests."""
from live_server import start_server  # noqa: F401
