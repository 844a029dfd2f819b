"""irq-client top on a real pseudo-terminal of a fixed size, against a simulated 64-CPU host:
every frame fits the terminal and is drawn in place."""
import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
import requests
from live_server import wait_for

CLIENT_SRC = Path(__file__).resolve().parents[2] / "main" / "python"
ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_on_a_terminal(argv, columns, rows, timeout=60):
    """Run irq-client with stdin, stdout and stderr on a pty of `columns` x `rows`; all it
    wrote, and its exit status."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    script = Path(sys.executable).with_name("irq-client")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "irq_client"]
    env = {**os.environ, "PYTHONPATH": str(CLIENT_SRC), "TERM": "xterm"}
    for name in ("COLUMNS", "LINES", "IRQ_TOKEN"):
        env.pop(name, None)
    proc = subprocess.Popen(command + argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True)
    os.close(slave)
    output, deadline = b"", time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the terminal's other side is closed, it has exited
                    break
                if not chunk:
                    break
                output += chunk
            elif proc.poll() is not None:
                break
        return output.decode(), proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


@pytest.mark.parametrize("columns, rows", [(100, 30), (60, 16)])
def test_top_fits_a_small_terminal_of_a_64_cpu_host(start_server, columns, rows):
    server = start_server("--simulate", "64:2:300", "--interval", "0.5")
    wait_for(lambda: requests.get(server.url + "/history", timeout=5).json()["samples"] >= 3)
    text, status = run_on_a_terminal(["--server", server.url, "top", "--iterations", "2",
                                      "--delay", "0.5"], columns, rows)
    assert status == 0, text
    frames = text.split("\x1b[H")[1:]
    assert len(frames) == 2, text
    for frame in frames:
        assert "\x1b[J" in frame and "\x1b[2J" not in frame  # cleared below, not scrolled
        lines = ESCAPE.sub("", frame).rstrip("\r\n").split("\r\n")
        assert len(lines) <= rows, lines
        assert max(len(line) for line in lines) <= columns, lines
        assert lines[0].startswith("irq-client top | 64 CPUs, 300 IRQs")
        assert "not CPU usage" in lines[1] or columns < 60
        assert re.search(r"^hidden: \d+ of \d+ rows(, \d+ of 64 CPUs)?$", "\n".join(lines),
                         re.M)
        assert any(re.match(r"node \d+ cpu\d+ ", line) for line in lines)
