"""`irq-client record`: run a command and record this machine's CPU usage as a run.

The main thread does three things in one loop, woken by whichever comes first: the next
sample is due (every `interval`: whole-machine CPU usage from /proc/stat deltas), the command
exited (SIGCHLD), or a SIGINT/SIGTERM arrived. Those signals are blocked and taken with
sigtimedwait, so none is lost between checks; one sent to us by a process (kill, a
supervisor) is forwarded to the command, one from the terminal (Ctrl-C reaches the whole
foreground process group) already reached it and is not sent twice.

Samples go to the server from a separate thread through a bounded buffer, so a slow or gone
server never delays sampling or the command: it warns once, keeps the samples (the oldest
are dropped past `capacity`) and sends them when the server answers again. Each sample is
stamped with the start of the interval it measured, so the server's sample-and-hold reading
(a value holds until the next sample, the last one until the stop) covers exactly the
measured time.
"""
from __future__ import annotations

import collections
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from irq_client.client import IrqClient
from irq_client.errors import ApiError, Conflict, ServerError, TransportError
from irq_client.models import Run, RunInterrupts

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
WAITED = {*STOP_SIGNALS, signal.SIGCHLD}
FROM_A_PROCESS = 0  # si_code <= 0 (SI_USER, SI_QUEUE, SI_TKILL): kill(2) and friends;
#                     the terminal's signals come from the kernel (SI_KERNEL > 0)


class CpuMeter:
    """Whole-machine CPU usage (percent) between two reads of /proc/stat's `cpu` line:
    busy = everything but idle and iowait (guest time is already inside user and nice)."""

    def __init__(self, path: str = "/proc/stat") -> None:
        self.path = path
        self._last = self._read()

    def _read(self) -> tuple[int, int]:
        with open(self.path) as f:
            fields = [int(v) for v in f.readline().split()[1:9]]
        total = sum(fields)
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return total - idle, total

    def usage(self) -> float:
        """Percent busy since the previous call (0 when no tick passed)."""
        busy, total = self._read()
        last_busy, last_total = self._last
        self._last = busy, total
        return round(100.0 * (busy - last_busy) / (total - last_total), 2) \
            if total > last_total else 0.0


class Outbox:
    """Samples waiting for the server, sent in order by one thread; see the module doc."""

    def __init__(self, client: IrqClient, run_id: int, capacity: int = 100_000,
                 retry: float = 1.0, warn: Callable[[str], None] | None = None) -> None:
        self.client, self.run_id, self.retry = client, run_id, retry
        self.warn = warn or (lambda text: print(f"irq-client: {text}", file=sys.stderr))
        self.pending: collections.deque[tuple[float, float]] = collections.deque(maxlen=capacity)
        self.dropped = 0  # lost to a full buffer
        self.refused = 0  # the server answered 4xx (kept no copy)
        self._cond = threading.Condition()
        self._closed = False  # no more samples come: send what is left, then end
        self._abandoned = False  # end now, sent or not
        self._failing = False
        self._thread = threading.Thread(target=self._send_all, name="irq-record-send",
                                        daemon=True)
        self._thread.start()

    def put(self, ts: float, usage: float) -> None:
        with self._cond:
            if len(self.pending) == self.pending.maxlen:
                self.dropped += 1
            self.pending.append((ts, usage))
            self._cond.notify()

    def close(self, timeout: float) -> int:
        """Stop taking samples; wait up to `timeout` s for the rest to be sent; how many
        are left unsent."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout)
        with self._cond:
            self._abandoned = True
            self._cond.notify()
            return len(self.pending)

    def _send_all(self) -> None:
        while True:
            with self._cond:
                while not self.pending and not self._closed:
                    self._cond.wait()
                if not self.pending or self._abandoned:
                    return
                ts, usage = self.pending[0]
            try:
                self.client.add_usage(self.run_id, usage, ts)
            except (TransportError, ServerError) as exc:
                if not self._failing:
                    self.warn(f"warning: cannot send usage ({exc}); keeping samples until the "
                              "server answers (the command keeps running)")
                    self._failing = True
                with self._cond:
                    if not self._abandoned:
                        self._cond.wait(self.retry)
                continue
            except ApiError as exc:  # refused for good (e.g. stopped elsewhere): not retried
                self.refused += 1
                if self.refused == 1:
                    self.warn(f"warning: the server refused a sample: {exc.detail}")
            if self._failing:
                self._failing = False
                self.warn(f"the server answers again; sending {len(self.pending)} kept samples")
            with self._cond:
                self.pending.popleft()


@dataclass
class Outcome:
    exit_status: int  # the command's (128 + N when a signal N ended it)
    run: Run | None  # the stopped run (None: the server never took the stop)
    interrupts: RunInterrupts | None  # during the run, when the server keeps them
    unsent: int  # samples never delivered


def _unblock_stop_signals() -> None:  # in the child, before exec
    signal.pthread_sigmask(signal.SIG_UNBLOCK, WAITED)


def record(client: IrqClient, run: Run, command: list[str] | None, interval: float,
           flush_timeout: float = 30.0, meter: CpuMeter | None = None,
           clock: Callable[[], float] = time.time) -> Outcome:
    """Run `command` (None: until SIGINT/SIGTERM) while sampling into `run`; stop the run."""
    meter = meter or CpuMeter()
    previous = signal.signal(signal.SIGCHLD, lambda *_: None)  # not ignored: stays pending
    signal.pthread_sigmask(signal.SIG_BLOCK, WAITED)
    # after the block: the sender thread inherits it, so the kernel hands these signals to
    # this thread alone (one taken by the sender's C handler would be lost to sigtimedwait,
    # and, once the handler is restored, reported as "ignored due to race condition")
    outbox = Outbox(client, run.id)
    status = 0
    try:
        last = clock()
        try:
            child = subprocess.Popen(command, preexec_fn=_unblock_stop_signals) \
                if command else None
        except OSError as exc:  # as a shell says it, and exits so
            assert command is not None  # only a command can fail to start
            status = 127 if isinstance(exc, FileNotFoundError) else 126
            outbox.warn(f"{command[0]}: {exc.strerror} (exit {status}; run {run.id} stopped)")
        else:
            status, last = _sample(child, outbox, meter, interval, clock, last)
        end = clock()
        if end - last > 0.01:
            outbox.put(last, meter.usage())
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, WAITED)
        signal.signal(signal.SIGCHLD, previous)
    unsent = outbox.close(flush_timeout)
    # stopped even when samples are left unsent: a consistent run beats an orphaned active one
    stopped = _stop(client, run.id, end, deadline=time.monotonic() + (1.0 if unsent else
                                                                      flush_timeout),
                    warn=outbox.warn)
    return Outcome(status, stopped, _interrupts(client, stopped), unsent + outbox.dropped)


def _sample(child: subprocess.Popen[bytes] | None, outbox: Outbox, meter: CpuMeter,
            interval: float, clock: Callable[[], float], last: float) -> tuple[int, float]:
    """Sample every `interval` until the command ends (or, without one, a stop signal):
    its exit status (128 + N for a signal N) and when the last interval began."""
    due = last + interval
    while True:
        info = signal.sigtimedwait(WAITED, max(0.0, due - clock()))
        if info is not None and info.si_signo in STOP_SIGNALS:
            if child is None:
                return 0, last
            if info.si_code <= FROM_A_PROCESS:
                child.send_signal(info.si_signo)
        if child is not None and child.poll() is not None:
            return (child.returncode if child.returncode >= 0 else 128 - child.returncode), last
        now = clock()
        if now >= due:
            outbox.put(last, meter.usage())
            last, due = now, now + interval


def _stop(client: IrqClient, run_id: int, end: float, deadline: float,
          warn: Callable[[str], None]) -> Run | None:
    while True:
        try:
            return client.stop_run(run_id, end_time=end)
        except Conflict:  # stopped already (a retried stop whose answer was lost)
            return client.run(run_id)
        except (TransportError, ServerError) as exc:
            if time.monotonic() >= deadline:
                warn(f"warning: could not stop run {run_id}: {exc}")
                return None
            time.sleep(1.0)


def _interrupts(client: IrqClient, run: Run | None) -> RunInterrupts | None:
    if run is None or not run.host:
        return None
    try:
        return client.run_interrupts(run.id, limit=5)
    except ApiError:  # another host than the server's, or no history: nothing to show
        return None
