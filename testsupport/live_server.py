"""The test support every subproject's integration tests share (and the benchmarks): the real
irq-server (gunicorn) on a free loopback port, waiting for conditions, small tmpfs disks to
fill, Debian tools installed on demand. Each build.py names this folder (TEST_SUPPORT)."""
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

TOP = Path(__file__).resolve().parents[1]
SRC = TOP / "irq_server" / "src" / "main" / "python"  # the server the tests start


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
    def __init__(self, args, data_dir, env=None, port=None, log_dir=None):
        self.port = port or free_port()
        https = "--https" in args  # test-only marker: the server was given a certificate
        args = [a for a in args if a != "--https"]
        self.url = f"{'https' if https else 'http'}://127.0.0.1:{self.port}"
        self.verify = False
        self.data_dir = data_dir
        env = {**os.environ, "PYTHONPATH": str(SRC), **(env or {})}
        self.log_path = (log_dir or data_dir.parent) / f"server-{self.port}.log"
        self.log = open(self.log_path, "wb")
        role = [args.pop(0)] if args[:1] == ["registry"] else []  # the subcommand goes first
        self.proc = subprocess.Popen(
            irq_server_command() + role + ["--bind", f"127.0.0.1:{self.port}", "--data-dir",
                                           str(data_dir), *args],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        try:
            self.wait_ready()
        except BaseException:  # never leave a server behind: its helpers would outlive us
            self.kill()
            raise

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"irq-server exited: {self.output()}")
            try:  # workers still booting: the probe waits in the listen queue, maybe > 1 s
                if requests.get(self.url + "/healthz", timeout=1, verify=self.verify).ok:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"irq-server did not answer in {timeout}s: {self.output()}")

    def output(self):
        self.log.flush()
        return self.log_path.read_text()

    @property
    def admin_token(self):
        return (self.data_dir / "admin.token").read_text().strip()

    def kill(self):
        """SIGKILL the server and every process of its data dir (helpers, workers)."""
        for pid in [self.proc.pid] + processes_mentioning(str(self.data_dir)):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(10)
        self.log.close()

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
                               env=env, port=port, log_dir=tmp_path)
        servers.append(server)
        return server
    yield start
    for server in servers:
        server.stop()
        for pid in processes_mentioning(str(server.data_dir)):
            os.kill(pid, signal.SIGKILL)


def debian_tool(binary, package):
    """Path of `binary`, installing Debian's `package` when it is missing (RuntimeError, saying
    why, when it cannot be: no apt, no root, no mirror)."""
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
        raise RuntimeError(f"{binary} is missing and Debian's {package} could not be "
                           f"installed: {exc}") from exc
    return shutil.which(binary) or f"/usr/bin/{binary}"


def workers_of(server):
    """PIDs of the gunicorn workers of a RunningServer (its arbiter's children that are not
    its helpers)."""
    found = []
    for pid in processes_mentioning(str(server.data_dir)):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == server.proc.pid and not {b"sampler", b"simulate", b"publish"} & set(cmdline):
            found.append(pid)
    return found


@pytest.fixture
def tmpfs(tmp_path):
    """A factory of small tmpfs mounts (a disk that fills): skipped, saying why, where mount
    is refused (not root, no CAP_SYS_ADMIN)."""
    mounted = []

    def mount(name, size="8m"):
        path = tmp_path / name
        path.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs",
                               str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
        mounted.append(path)
        return path
    yield mount
    for path in mounted:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill(directory):
    """Write a file into `directory` until its filesystem is full; the file."""
    ballast = Path(directory) / "ballast"
    with open(ballast, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass
    return ballast


def built_wheel(project):
    """The wheel of `project` (irq_server, irq_client, irqbalance) that `make install` built
    into dist/ and installed: what users get."""
    import zipfile
    wheels = sorted((TOP / "dist").glob(f"{project}-*.whl"))
    assert wheels, f"no {project} wheel in {TOP / 'dist'}: `make install` builds them"
    return zipfile.ZipFile(wheels[-1])
