"""pytest fixtures of the irq_server integration tests."""
from live_server import start_server, tmpfs  # noqa: F401
