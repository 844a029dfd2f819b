"""Helpers that start the real irq-server (gunicorn) on a free loopback port."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

SRC = Path(__file__).resolve().parents[2] / "main" / "python"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def irq_server_command():
    """The installed console script (what users run); `python -m` in an uninstalled checkout."""
    script = Path(sys.executable).with_name("irq-server")
    return [str(script)] if script.exists() else [sys.executable, "-m", "irq_server"]


def processes_mentioning(text):
    """PIDs whose command line contains `text`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if text in cmdline:
                pids.append(int(entry.name))
    return pids


class RunningServer:
    def __init__(self, args, data_dir, env=None, port=None):
        self.port = port or free_port()
        https = "--https" in args  # test-only marker: the server was given a certificate
        args = [a for a in args if a != "--https"]
        self.url = f"{'https' if https else 'http'}://127.0.0.1:{self.port}"
        self.verify = False
        self.data_dir = data_dir
        env = {**os.environ, "PYTHONPATH": str(SRC), **(env or {})}
        self.log = open(data_dir.parent / f"server-{self.port}.log", "wb")
        role = [args.pop(0)] if args[:1] == ["registry"] else []  # the subcommand goes first
        self.proc = subprocess.Popen(
            irq_server_command() + role + ["--bind", f"127.0.0.1:{self.port}", "--data-dir",
                                           str(data_dir), *args],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.wait_ready()

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"irq-server exited: {self.output()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1, verify=self.verify).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"irq-server did not answer in {timeout}s: {self.output()}")

    def output(self):
        self.log.flush()
        return (self.data_dir.parent / f"server-{self.port}.log").read_text()

    @property
    def admin_token(self):
        return (self.data_dir / "admin.token").read_text().strip()

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise
        self.log.close()
        return self.proc.returncode


def wait_for(predicate, timeout=15.0):
    """Poll `predicate` until it returns something truthy; that value, or AssertionError."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.fixture
def start_server(tmp_path):
    servers = []

    def start(*args, env=None, data_dir=None, port=None):
        """A server on `port` (default a free one) over `data_dir` (default a new one)."""
        server = RunningServer(list(args), data_dir or tmp_path / f"data{len(servers)}",
                               env=env, port=port)
        servers.append(server)
        return server
    yield start
    for server in servers:
        server.stop()
        for pid in processes_mentioning(str(server.data_dir)):
            os.kill(pid, signal.SIGKILL)


def debian_tool(binary, package):
    """Path of `binary`, installing Debian's `package` when it is missing; the test is skipped,
    saying why, only when it cannot be installed (no apt, no root, no mirror)."""
    found = shutil.which(binary) or (f"/usr/bin/{binary}" if Path(f"/usr/bin/{binary}").exists()
                                     else None)
    if found:
        return found
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    try:
        for step in (["apt-get", "update", "-qq"],
                     ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package]):
            subprocess.run(step, check=True, env=env, capture_output=True, timeout=600)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"{binary} is missing and Debian's {package} could not be installed: {exc}")
    return shutil.which(binary) or f"/usr/bin/{binary}"
