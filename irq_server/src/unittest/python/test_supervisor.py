"""Supervisor: helpers that die are restarted, with a back-off that grows only in a crash loop."""
import logging

from irq_server.service import supervisor
from irq_server.service.supervisor import Helper, Supervisor


class FakeProc:
    pid_counter = 100

    def __init__(self, argv):
        FakeProc.pid_counter += 1
        self.pid, self.argv, self.returncode = FakeProc.pid_counter, argv, None
        self.terminated = False

    def poll(self):
        return self.returncode

    def terminate(self):
        self.terminated, self.returncode = True, -15

    def wait(self, timeout=None):
        return self.returncode


class Clock:
    now = 0.0

    def __call__(self):
        return self.now


def build(monkeypatch):
    clock, spawned, waits = Clock(), [], []
    sup = Supervisor([Helper("sampler", ["irq-server", "sampler"])],
                     spawn=lambda argv: spawned.append(FakeProc(argv)) or spawned[-1], clock=clock)
    monkeypatch.setattr(sup._stop, "wait", lambda delay: waits.append(delay) or False)
    return sup, clock, spawned, waits


def test_a_dead_helper_is_restarted_and_logged(monkeypatch, caplog):
    sup, clock, spawned, waits = build(monkeypatch)
    sup._start(sup.helpers[0])
    clock.now = 50.0
    spawned[-1].returncode = -9
    with caplog.at_level(logging.WARNING):
        sup.check()
    assert len(spawned) == 2 and spawned[1].argv == ["irq-server", "sampler"]
    assert waits == [supervisor.FIRST_DELAY] and sup.helpers[0].restarts == 1
    assert "sampler (pid 101) died after 50.0 s (killed by SIGKILL (signal 9))" in caplog.text
    assert "sampler restarted (pid 102, restart 1)" in caplog.text
    sup.check()  # alive: nothing happens
    assert len(spawned) == 2


def test_back_off_doubles_in_a_crash_loop_and_resets_after_a_good_run(monkeypatch):
    sup, clock, spawned, waits = build(monkeypatch)
    sup._start(sup.helpers[0])
    for _ in range(10):  # dies at once, every time
        spawned[-1].returncode = 1
        sup.check()
    assert waits[:4] == [0.4, 0.8, 1.6, 3.2] and waits[-1] == supervisor.MAX_DELAY
    clock.now += 5  # this one ran well before dying
    spawned[-1].returncode = 1
    sup.check()
    assert waits[-1] == supervisor.FIRST_DELAY


def test_stop_terminates_helpers_and_restarts_nothing(monkeypatch):
    sup, clock, spawned, waits = build(monkeypatch)
    sup._start(sup.helpers[0])
    sup.stop()
    assert spawned[0].terminated
    monkeypatch.undo()
    sup.check()  # the stop event is set: a dead helper is not started again
    assert len(spawned) == 1


def test_a_helper_that_refuses_to_run_backs_off_however_long_it_took(monkeypatch, caplog):
    sup, clock, spawned, waits = build(monkeypatch)
    sup._start(sup.helpers[0])
    for _ in range(4):  # its data dir is another sampler's: exit 2, after a slow start
        clock.now += 1.5
        spawned[-1].returncode = supervisor.REFUSED
        sup.check()
    assert waits == [0.4, 0.8, 1.6, 3.2]
    assert "(exit status 2)" in caplog.text


def test_under_gunicorn_the_owner_reaps_and_the_watch_only_reads(monkeypatch):
    """gunicorn's waitpid(-1) would take a helper's exit status: the arbiter calls reap()
    first, and check() from the watch thread never waits on a process itself."""
    sup, clock, spawned, waits = build(monkeypatch)
    sup._reaped_by_owner = True
    sup._start(sup.helpers[0])
    polled = []
    spawned[-1].poll = lambda: polled.append(1) or -9
    sup.check()
    assert polled == [] and len(spawned) == 1  # returncode unknown until reaped
    spawned[-1].returncode = None
    spawned[-1].poll = lambda: setattr(spawned[-1], "returncode", -9) or -9
    sup.reap()
    sup.check()
    assert len(spawned) == 2
