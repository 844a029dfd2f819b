"""pytest fixtures of the irq_client integration tests: a real irq-server on loopback."""
from live_server import start_server  # noqa: F401
