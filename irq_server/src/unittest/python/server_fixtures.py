"""Shared test helpers of irq_server: capture trees, simulated hosts, a fresh app per test."""
from pathlib import Path

import pytest

from irq_server import simhost
from irq_server.api import create_app
from irq_server.tokens import TokenStore

FIXTURES = Path(__file__).parent / "fixtures"
MACHINES = sorted(p.name for p in FIXTURES.iterdir() if (p / "proc" / "interrupts").exists())


@pytest.fixture
def sim(tmp_path):
    """A small simulated host: 8 CPUs, 2 nodes, 40 IRQs (legacy, NIC queues, managed NVMe)."""
    return simhost.create(tmp_path / "sim", simhost.SimSpec(cpus=8, nodes=2, irqs=40, seed=1))


@pytest.fixture
def make_client(tmp_path):
    """Build a fresh app over `root`; returns (test client, write token, read token)."""
    def build(root, **config):
        data = tmp_path / "data"
        app = create_app({"IRQ_ROOT": str(root), "IRQ_DATA_DIR": str(data), **config})
        app.testing = True
        store = TokenStore(data)
        return app.test_client(), store.create("tester", "write"), store.create("viewer", "read")
    return build


def bearer(token):
    return {"Authorization": f"Bearer {token}"}
