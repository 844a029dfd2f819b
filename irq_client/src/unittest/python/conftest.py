"""Fixtures shared by the irq_client unit tests: HTTP mocked at the edge with responses."""
import pytest
import responses
from responses import registries


@pytest.fixture
def mocked():
    """Mocked HTTP; the answers registered for one URL are given in order."""
    with responses.RequestsMock(registry=registries.OrderedRegistry) as rsps:
        yield rsps
