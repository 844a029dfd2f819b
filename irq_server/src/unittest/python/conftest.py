"""pytest fixtures of the irq_server unit tests (defined in server_fixtures)."""
from server_fixtures import make_client, sim  # noqa: F401
