"""pytest fixtures of the irq_server integration tests."""
import os
import signal

import pytest

from live_server import RunningServer, processes_mentioning


@pytest.fixture
def start_server(tmp_path):
    servers = []

    def start(*args):
        server = RunningServer(list(args), tmp_path / f"data{len(servers)}")
        servers.append(server)
        return server
    yield start
    for server in servers:
        server.stop()
        for pid in processes_mentioning(str(server.data_dir)):
            os.kill(pid, signal.SIGKILL)
