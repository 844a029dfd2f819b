"""Supervisor: keeps irq-server's helper processes (sampler, simulator) running.

A helper that dies is started again after a back-off, as gunicorn does for its workers:
0.2 s after a helper that had run for a while, doubling (up to 30 s) while it keeps dying
within a second of starting, or refusing to run (exit status 2), so a crash loop does not
spin. Every death and restart is
logged with how it ended (its exit status, or the signal that killed it). The watch runs in
a thread of the gunicorn arbiter, which reaps every child of its process (waitpid(-1)) and
would take a helper's exit status with it: there the arbiter calls `reap()` first, from its
own thread, and the watch only reads what reap() found (`reaped_by_owner`).
"""
from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Callable

log = logging.getLogger(__name__)

FIRST_DELAY = 0.2  # seconds before restarting a helper that had run for a while
MAX_DELAY = 30.0  # back-off ceiling for a crash loop
HEALTHY_AFTER = 1.0  # a helper up this long has started well: its back-off starts over
REFUSED = 2  # the exit status of a helper that refused to run (its data dir is taken...):
             # however long it took to say so, its back-off keeps growing


@dataclass
class Helper:
    """One supervised process: its name in logs and the command line that starts it."""

    name: str  # "sampler", "simulator"
    argv: list[str]  # command line
    proc: subprocess.Popen | None = None  # the running process
    started: float = 0.0  # monotonic time of the last start
    restarts: int = 0  # restarts so far
    delay: float = FIRST_DELAY  # wait before the next restart


class Supervisor:
    """Start helpers, restart them when they die, stop them on request."""

    def __init__(self, helpers: list[Helper], spawn: Callable[[list[str]], subprocess.Popen],
                 clock: Callable[[], float] = time.monotonic, poll: float = 0.1,
                 reaped_by_owner: bool = False):
        self.helpers = helpers
        self._spawn = spawn
        self._reaped_by_owner = reaped_by_owner
        self._clock = clock
        self._poll = poll
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        for helper in self.helpers:
            self._start(helper)
        self._thread = threading.Thread(target=self._watch, name="irq-supervisor", daemon=True)
        self._thread.start()

    def check(self) -> None:
        """One pass: restart every helper that has died (and waited out its back-off)."""
        for helper in self.helpers:
            if helper.proc is None or self._returncode(helper.proc) is None:
                continue
            uptime = self._clock() - helper.started
            code = self._returncode(helper.proc)
            started_well = uptime >= HEALTHY_AFTER and code != REFUSED
            helper.delay = FIRST_DELAY if started_well else min(helper.delay * 2, MAX_DELAY)
            log.warning("%s (pid %d) died after %.1f s (%s); restarting it in %.1f s",
                        helper.name, helper.proc.pid, uptime, _exit_text(code),
                        helper.delay)
            helper.proc = None
            if self._stop.wait(helper.delay):
                return
            helper.restarts += 1
            self._start(helper)
            log.warning("%s restarted (pid %d, restart %d)", helper.name, helper.proc.pid,
                        helper.restarts)

    def reap(self) -> None:
        """Collect the exit status of every helper that has ended (the owner's thread, before
        it reaps its other children)."""
        for helper in self.helpers:
            if helper.proc is not None:
                helper.proc.poll()

    def _returncode(self, proc: subprocess.Popen) -> int | None:
        return proc.returncode if self._reaped_by_owner else proc.poll()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop watching, then SIGTERM every helper (SIGKILL after `timeout`)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        for helper in self.helpers:
            proc = helper.proc
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()

    def _start(self, helper: Helper) -> None:
        helper.proc = self._spawn(helper.argv)
        helper.started = self._clock()

    def _watch(self) -> None:
        while not self._stop.wait(self._poll):
            try:
                self.check()
            except Exception:  # the watch must outlive any one failed restart
                log.exception("supervising helpers failed; retrying")


def _exit_text(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name} (signal {-code})"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"
