"""What interrupts cost: the IRQ threads' CPU time (threaded hosts), the estimator fitted over
history, the tier each IRQ's cost comes from, and how the API and /metrics serve them."""
import os

import numpy as np
import pytest
from irq_server.cost.estimator import SATURATED, Observation, fit
from irq_server.cost.families import family, group_index
from irq_server.cost.history_fit import (COSTS_FILE, Estimate, EstimateFile, Fitter,
                                         fit_history, handler_names, save)
from irq_server.cost.tiers import window_costs
from irq_server.history.store import HistoryStore
from irq_server.history.window import Windows
from irq_server.procfs import HostFS
from irq_server.procfs.irq_threads import IrqThreads, forced_threading, thread_ticks
from irq_server.sim.tree import PRIMARY_US, THREAD_PID
from irq_server.types import USER_HZ, Window
from server_fixtures import Clock, run_sampled

from irq_server import sim as simhost


@pytest.fixture
def threaded(tmp_path):
    """8 CPUs, 2 nodes, 40 IRQs, every handler in a thread (threadirqs)."""
    return simhost.create(tmp_path / "threaded", simhost.SimSpec(cpus=8, nodes=2, irqs=40,
                                                                 seed=1, threaded=True))


def write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# ---- thread tier: procfs ------------------------------------------------------------------
def test_forced_threading_from_the_command_line_or_a_realtime_kernel(tmp_path):
    write(tmp_path, "proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet\n")
    assert not forced_threading(HostFS(tmp_path))
    write(tmp_path, "proc/cmdline", "root=/dev/sda1 threadirqs quiet\n")
    assert forced_threading(HostFS(tmp_path))
    write(tmp_path, "proc/cmdline", "root=/dev/sda1 nothreadirqs=1\n")  # not the word
    write(tmp_path, "sys/kernel/realtime", "1\n")
    assert forced_threading(HostFS(tmp_path))


def test_thread_ticks_count_fields_after_the_last_parenthesis():
    line = "123 (irq/9-a (b) c) S 2 0 0 0 -1 2129984 0 0 0 0 7 35 0 0 -51 0 1 0 36 0 0\n"
    assert thread_ticks(line) == 42
    assert thread_ticks("123 (irq/9-acpi) S 2 0") is None
    assert thread_ticks("123 (x) S 2 0 0 0 -1 2129984 0 0 0 0 ab 3 0") is None
    assert thread_ticks(f"1 (x) S 2 0 0 0 -1 2129984 0 0 0 0 {1 << 64} 3 0") is None
    # a user process that named itself irq/9-acpi: flags without PF_KTHREAD
    assert thread_ticks("777 (irq/9-acpi) R 1000 0 0 0 -1 4194560 0 0 0 0 2000 0 0 0") is None


def test_threads_of_a_threaded_host_are_found_by_comm_and_read_once(threaded, tmp_path):
    threaded.advance(2.0)
    reads = []

    class Counting(HostFS):
        def read_small(self, rel, limit=65536):
            reads.append(rel)
            return super().read_small(rel, limit)
    threads = IrqThreads(Counting(threaded.root))
    first = threads.ticks()
    nic = next(i for i in threaded.irqs if i.action.startswith("eth"))
    assert set(first) == {i.irq for i in threaded.irqs}
    # 2 s of its interrupts at its cost, in whole ticks (every IRQ starts on CPU 0)
    assert first[nic.irq] == int(nic.rate * 2 * nic.cost_us * 1e-6 * USER_HZ)
    assert sum(r.endswith("/comm") for r in reads) == len(threaded.irqs)
    reads.clear()
    threaded.advance(1.0)
    assert threads.ticks()[nic.irq] > first[nic.irq]
    assert not any(r.endswith("/comm") for r in reads)  # known pids: stat only


def test_an_unthreaded_kernel_has_no_thread_costs_even_with_irq_threads(sim):
    # drivers with threaded handlers have irq/N- threads on any kernel: only part of the work
    write(sim.root, "proc/4321/comm", "irq/9-acpi\n")
    write(sim.root, "proc/4321/stat", "4321 (irq/9-acpi) S 2 0 0 0 -1 2129984 0 0 0 0 0 5 0 0\n")
    assert IrqThreads(HostFS(sim.root)).ticks() == {}


def test_the_simulated_threaded_host_says_so_and_costs_move_into_threads(threaded, sim):
    assert "threadirqs" in (threaded.root / "proc/cmdline").read_text().split()
    nic = next(i for i in threaded.irqs if i.action.startswith("eth"))
    comm = (threaded.root / f"proc/{THREAD_PID + nic.irq}/comm").read_text()
    assert comm == f"irq/{nic.irq}-{nic.action}"[:15] + "\n"
    for host in (threaded, sim):
        host.advance(10.0)
    # only the primary handlers stay in hardirq: 0.5 us an interrupt; no softirq of the IRQs
    interrupts = sum(i.rate for i in threaded.irqs) * 10
    assert threaded._cpu_ticks[:, 5].sum() / USER_HZ == pytest.approx(
        PRIMARY_US * 1e-6 * interrupts, rel=0.05)
    assert threaded._cpu_ticks[:, 6].sum() < sim._cpu_ticks[:, 6].sum() / 5


def test_simulated_costs_by_device_class_leave_the_rates_as_they_were(tmp_path):
    host = simhost.create(tmp_path / "a", simhost.SimSpec(cpus=16, nodes=1, irqs=64, seed=3))
    by_kind = {}
    for irq in host.irqs:
        kind = "nic" if irq.action.startswith("eth") else "nvme" if "nvme" in irq.action else (
            "mlx5" if "mlx5" in irq.action else "legacy")
        by_kind.setdefault(kind, []).append(irq.cost_us)
    assert all(c <= 60 * 1.05 for c in by_kind["nic"])
    assert all(2 * 0.95 <= c <= 4 * 1.05 for c in by_kind["nvme"])
    assert max(by_kind["nic"]) / max(by_kind["nvme"]) >= 3
    assert max(i.rate * i.cost_us for i in host.irqs) <= 0.25e6 * 1.001  # a quarter of a CPU
    threaded = simhost.create(tmp_path / "b", simhost.SimSpec(cpus=16, nodes=1, irqs=64, seed=3,
                                                              threaded=True))
    assert [i.rate for i in host.irqs] == [i.rate for i in threaded.irqs]


def test_stat_irq_and_softirq_follow_what_the_irqs_on_each_cpu_cost(sim):
    nic = next(i for i in sim.irqs if i.action.startswith("eth") and not i.managed)
    sim.fs.write_text(f"proc/irq/{nic.irq}/smp_affinity", "20\n")  # alone on CPU 5
    sim.advance(100.0)
    ticks = sim._cpu_ticks[5]
    spent = (ticks[5] + ticks[6]) / USER_HZ  # irq + softirq seconds
    expected = nic.rate * 100 * nic.cost_us * 1e-6 + sim._base[5] * 100
    assert spent == pytest.approx(expected, rel=0.02)
    assert ticks[5] / (ticks[5] + ticks[6]) == pytest.approx(0.2 * expected / spent, abs=0.03)
    cpu0 = sim._cpu_ticks[0]  # the rest: far past what a CPU has, saturated at 90 %
    assert (cpu0[5] + cpu0[6]) / USER_HZ == pytest.approx(90.0, rel=0.01)
    assert cpu0.sum() / USER_HZ == pytest.approx(100.0, rel=0.01)


# ---- the estimator --------------------------------------------------------------------------
def observations(costs, groups, rates, placements, base, rng, seconds=10.0, noise=0.1):
    """Windows of a host whose IRQs sit at `placements[w]` (IRQ -> CPU) in window w."""
    n_cpus = len(base)
    found = []
    for placement in placements:
        counts = np.zeros((len(rates), n_cpus))
        wobble = rates * (1 + rng.uniform(-noise, noise, len(rates)))
        counts[np.arange(len(rates)), placement] = np.floor(wobble * seconds)
        busy = (costs[groups][:, None] * counts).sum(axis=0) + base * seconds
        found.append(Observation(seconds, counts, np.floor(busy * USER_HZ) / USER_HZ))
    return found


def test_fit_recovers_family_costs_and_base_loads_across_moves():
    rng = np.random.default_rng(7)
    groups = np.array([0] * 8 + [1] * 8 + [2, 3])
    costs = np.array([40e-6, 3e-6, 1e-6, 5e-6])
    rates = np.concatenate([rng.uniform(2000, 8000, 8), rng.uniform(5000, 20000, 8), [50, 80]])
    base = rng.uniform(0.001, 0.004, 4)
    placements = [rng.integers(0, 4, 18) for _ in range(6) for _ in range(10)]
    found = fit(observations(costs, groups, rates, placements, base, rng), groups, 4)
    assert found.identifiable[:2].all()
    assert found.cost[:2] == pytest.approx(costs[:2], rel=0.02)
    assert np.all(np.abs(found.cost[:2] - costs[:2]) <= 4 * found.error[:2] + 1e-7)
    assert found.base == pytest.approx(base, abs=0.002)
    assert found.windows == 60 and 120 <= found.rows <= 240  # saturated CPUs left out
    assert found.cost_of(groups)[0] == found.cost[0]


def test_fit_says_what_it_cannot_separate():
    rng = np.random.default_rng(1)
    groups = np.array([0, 1, 2])
    costs = np.array([40e-6, 3e-6, 1e-6])
    rates = np.array([5000.0, 20000.0, 100.0])
    # IRQs 0 and 1 always share CPU 0, at fixed rates: their costs and CPU 0's base are one sum
    fixed = observations(costs, groups, rates, [np.array([0, 0, 1])] * 30, np.array(
        [0.002, 0.002]), rng, noise=0.0)
    found = fit(fixed, groups, 3)
    assert not found.identifiable[:2].any() and np.isinf(found.error[:2]).all()
    assert found.cost[:2].tolist() == [0.0, 0.0]
    # one move apart, with rates that vary: both are known
    moved = fixed + observations(costs, groups, rates, [np.array([0, 1, 1])] * 30, np.array(
        [0.002, 0.002]), rng)
    again = fit(moved, groups, 3)
    assert again.identifiable[:2].all()
    assert again.cost[:2] == pytest.approx(costs[:2], rel=0.05)


def test_fit_leaves_rare_irqs_and_windows_beside_saturation_out():
    rng = np.random.default_rng(3)
    groups = np.array([0, 1, 2])
    costs = np.array([20e-6, 5e-6, 40e-6])
    rates = np.array([5000.0, 8000.0, 0.5])  # IRQ 2: a few interrupts an hour
    placements = [rng.integers(0, 3, 3) for _ in range(60)]
    windows = observations(costs, groups, rates, placements, np.full(3, 0.002), rng)
    # a CPU 0 that is saturated in window 10 and so, unseen, for part of window 11
    windows[10] = Observation(10.0, windows[10].counts, np.r_[9.0, windows[10].busy[1:]])
    windows[11] = Observation(10.0, windows[11].counts, np.r_[windows[11].busy[0] * 0.5 + 4.0,
                                                              windows[11].busy[1:]])
    found = fit(windows, groups, 3)
    assert found.identifiable.tolist() == [True, True, False]  # 300 interrupts: too few
    assert found.cost[:2] == pytest.approx(costs[:2], rel=0.02)


def test_fit_leaves_saturated_cpus_and_empty_history_out():
    assert fit([], np.array([0]), 1) is None
    counts = np.array([[1_000_000.0, 0.0]])
    full = Observation(10.0, counts, np.array([SATURATED * 10.0, 0.0]))
    assert fit([full], np.array([0]), 1).rows == 1  # CPU 1 only
    assert fit([Observation(0.0, counts, np.zeros(2))], np.array([0]), 1) is None


def test_queue_families_group_a_devices_queues():
    assert family("eth0-TxRx-13") == "eth0-TxRx-" and family("nvme0q3") == "nvme0q"
    assert family("mlx5_comp7@pci:0000:81:00.0") == "mlx5_comp@pci:0000:81:00.0"
    assert family("timer") == "" and family("") == ""
    groups, labels = group_index(["eth0-TxRx-0", "timer", "eth0-TxRx-1", "acpi", "nvme0q1"])
    assert groups.tolist() == [0, 1, 0, 2, 3] and labels[0] == "eth0-TxRx-"


# ---- history: the sampler's fit, costs.json, the tiers --------------------------------------
def sampled(sim, tmp_path, seconds, moves=()):
    """Sample `sim` for `seconds` 1-s steps; at each (second, irq, cpu) of `moves` route the
    IRQ there. Returns (store, clock)."""
    clock = Clock(1_800_000_000.0)
    store = HistoryStore(tmp_path / "data")
    oracle = {}
    plan = {}
    for at, irq, cpu in moves:
        plan.setdefault(at, []).append((irq, cpu))
    done = 0
    for at in sorted(plan) + [seconds]:
        run_sampled(sim, store, clock, at - done, oracle)
        done = at
        for irq, cpu in plan.get(at, ()):
            sim.fs.write_text(f"proc/irq/{irq}/smp_affinity", f"{1 << cpu:x}\n")
    return store, clock


def test_history_fit_learns_the_simulated_costs_from_moves(sim, tmp_path):
    # two queues of each NIC (eth0: 34 us an interrupt, eth1: 57 us) take turns on CPUs 4-7;
    # CPUs 0-3 hold the rest, saturated (left out of the fit)
    by_action = {i.action: i for i in sim.irqs}
    queues = [by_action[a] for a in ("eth0-TxRx-0", "eth0-TxRx-3", "eth1-TxRx-0", "eth1-TxRx-2")]
    moves = [(at, q.irq, 4 + (k + turn) % 4) for turn, at in enumerate((2, 12, 22))
             for k, q in enumerate(queues)]
    store, clock = sampled(sim, tmp_path, 32, moves)
    windows = Windows(store, live=None, clock=clock)
    estimate = fit_history(windows.pieces(clock.now - 3600, clock.now, 30),
                           handler_names(sim.fs), clock=clock)
    assert estimate.accounted == ("irq", "softirq") and estimate.windows >= 20
    for q in queues:
        family = [i.cost_us for i in sim.irqs if i.action[:4] == q.action[:4]]
        cost, error = estimate.costs[str(q.irq)]
        assert 1e6 * cost == pytest.approx(np.mean(family), rel=0.1)  # +-5 % per queue
        assert 0 < error < 0.1 * cost
    assert estimate.costs["0"] is None  # the timer: never anywhere but saturated CPU 0


def test_costs_json_is_written_whole_and_a_damaged_one_is_no_estimate(tmp_path, caplog):
    estimate = Estimate(fitted_at=1.0, windows=5, accounted=("softirq",),
                        costs={"24": (3e-5, 1e-6), "25": None})
    save(tmp_path, estimate)
    reader = EstimateFile(tmp_path)
    assert reader.get() == estimate
    (tmp_path / COSTS_FILE).write_text('{"fitted_at": 1, "costs": [')
    assert EstimateFile(tmp_path).get() is None and "unreadable" in caplog.text
    for bad in ('"x"', "[1]", "[NaN, 0]", "[-1e-6, 0]", "[3, 0]", '{"a": 1}'):
        (tmp_path / COSTS_FILE).write_text('{"fitted_at": 1, "windows": 2, "accounted": [], '
                                           f'"costs": {{"24": {bad}}}}}')
        assert EstimateFile(tmp_path).get() is None, bad
    (tmp_path / COSTS_FILE).unlink()
    assert EstimateFile(tmp_path).get() is None
    os.mkfifo(tmp_path / COSTS_FILE)  # would block a reader forever
    assert EstimateFile(tmp_path).get() is None and "not a regular file" in caplog.text
    (tmp_path / COSTS_FILE).unlink()
    for bad in ("[]", "5", "[" * 100_000):  # wrong shapes, nesting past the recursion limit
        (tmp_path / COSTS_FILE).write_text('{"fitted_at": 1, "windows": 1e400, '
                                           f'"accounted": [], "costs": {bad}}}')
        assert EstimateFile(tmp_path).get() is None


def test_fitter_fits_every_so_often_and_a_full_disk_keeps_the_last_estimate(sim, tmp_path,
                                                                           monkeypatch, caplog):
    store, clock = sampled(sim, tmp_path, 5)
    fitter = Fitter(Windows(store, live=None, clock=clock), lambda: handler_names(sim.fs),
                    tmp_path / "data", every=30.0, clock=clock)
    fitter.start()  # in a thread of its own: the sampler goes on
    fitter._thread.join(30)
    assert (tmp_path / "data" / COSTS_FILE).exists()
    assert fitter.maybe() is None  # not yet due
    fitter.start()
    assert not fitter._thread.is_alive()  # the same thread: none started
    before = (tmp_path / "data" / COSTS_FILE).read_bytes()

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr("irq_server.cost.history_fit.atomic_write", full)
    clock.now += 31
    assert fitter.maybe() is not None
    assert (tmp_path / "data" / COSTS_FILE).read_bytes() == before
    assert "No space left" in caplog.text


def window_of(keys, counts, cpus=(0, 1), threads=None, seconds=10.0):
    return Window(start=0.0, end=seconds, cpus=cpus, keys=tuple(keys),
                  counts=np.array(counts, dtype=np.uint64), thread_ticks=threads or {})


def test_each_irq_gets_its_cost_from_the_best_tier():
    window = window_of(["24", "25", "26", "stat:irq", "stat:softirq"],
                       [[1000, 0], [0, 500], [10, 0], [20, 10], [100, 30]], threads={26: 3})
    estimate = Estimate(fitted_at=0, windows=12, accounted=("irq", "softirq"),
                        costs={"24": (1e-3, 1e-5), "25": None})
    costs = window_costs(window, [0, 1, 2], estimate)
    thread, unknown, fitted = costs.irqs[2], costs.irqs[1], costs.irqs[0]
    # its thread's 0.03 s, and CPU 0's 0.2 s of hardirq: its primary handler (the only
    # threaded IRQ there)
    assert (thread.source, thread.cpu_seconds, thread.cost_us) == ("thread", 0.23, 23000.0)
    assert thread.range_us == (22000.0, 24000.0)  # a tick either way, over 10 interrupts
    assert (unknown.source, unknown.cost_us) == ("none", None)
    assert (fitted.source, fitted.cost_us, fitted.cpu_seconds) == ("estimate", 1000.0, 1.0)
    assert fitted.range_us == (980.0, 1020.0)
    # CPU 0: 1.2 s of irq + softirq, 1 s of it IRQ 24's, 0.2 s IRQ 26's primary handler;
    # CPU 1: 0.4 s, none explained
    assert costs.base_seconds == [pytest.approx(0.0), pytest.approx(0.4)]
    assert costs.unidentified == (25,) and "thread" in costs.note


def test_a_host_without_irq_time_or_with_softirq_time_only_says_so():
    window = window_of(["24", "stat:irq", "stat:softirq"], [[100, 0], [0, 0], [0, 0]])
    costs = window_costs(window, [0], None)
    assert costs.irqs[0].source == "none" and costs.accounted == ()
    assert "accounts no IRQ time" in costs.note
    soft = window_of(["24", "stat:irq", "stat:softirq"], [[100, 0], [0, 0], [40, 0]])
    estimate = Estimate(fitted_at=0, windows=30, accounted=("softirq",), costs={"24": (2e-3, 0)})
    costs = window_costs(soft, [0], estimate)
    assert costs.irqs[0].cost_us == 2000.0 and "softirq time only" in costs.note
    assert "no cost estimate yet" in window_costs(soft, [0], None).note


# ---- served -----------------------------------------------------------------------------------
def test_api_serves_thread_costs_cpu_times_and_the_metric(threaded, tmp_path, make_client):
    clock = Clock(1_800_000_000.0)
    store = HistoryStore(tmp_path / "data")
    run_sampled(threaded, store, clock, 12, {})
    client, _, _ = make_client(threaded.root, IRQ_CLOCK=clock)
    answer = client.get("/interrupts/irqs?period_seconds=10").get_json()
    nic = next(i for i in threaded.irqs if i.action.startswith("eth"))
    entry = next(e for e in answer["irqs"] if e["irq_num"] == str(nic.irq))
    assert entry["cost_source"] == "thread"
    low, high = entry["cost_us_range"]
    # its thread's time and its share of its CPU's primary handlers (0.5 us an interrupt)
    whole = nic.cost_us + PRIMARY_US
    assert low <= whole <= high and high - low < 0.05 * nic.cost_us  # two ticks
    assert entry["cost_us_per_interrupt"] == pytest.approx(whole, rel=0.01)
    assert entry["cpu_seconds"] == pytest.approx(nic.rate * 10 * whole * 1e-6, rel=0.01)
    assert answer["cost"]["sources"]["thread"] == len(threaded.irqs)
    assert len(answer["cost"]["base_seconds_per_cpu"]) == 8
    top = client.get("/interrupts/irqs?period_seconds=10&top=3").get_json()
    assert len(top["irqs"]) == 3 and all("cost_source" in e for e in top["irqs"])
    window = client.get("/interrupts?period_seconds=10").get_json()
    assert len(window["irq_seconds_per_cpu"]) == len(window["softirq_seconds_per_cpu"]) == 8
    assert sum(window["softirq_seconds_per_cpu"]) > 0  # the CPUs' base loads
    metrics = client.get("/metrics").get_data(as_text=True)
    line = next(l for l in metrics.splitlines()
                if l.startswith(f'irq_handler_cpu_seconds_total{{device="{nic.action}",'
                                f'irq="{nic.irq}"}}'))
    assert float(line.split()[-1]) == pytest.approx(nic.rate * 11 * nic.cost_us * 1e-6, rel=0.02)


def test_api_serves_the_samplers_estimate(sim, tmp_path, make_client):
    clock = Clock(1_800_000_000.0)
    store = HistoryStore(tmp_path / "data")
    run_sampled(sim, store, clock, 5, {})
    nic = next(i for i in sim.irqs if i.action.startswith("eth"))
    save(tmp_path / "data", Estimate(fitted_at=clock.now, windows=40, accounted=("irq", "softirq"),
                                     costs={str(nic.irq): (30e-6, 1e-6), "0": None}))
    client, _, _ = make_client(sim.root, IRQ_CLOCK=clock)
    answer = client.get("/interrupts/irqs?period_seconds=3").get_json()
    entry = next(e for e in answer["irqs"] if e["irq_num"] == str(nic.irq))
    assert entry["cost_source"] == "estimate" and entry["cost_us_per_interrupt"] == 30.0
    assert entry["cost_us_range"] == [28.0, 32.0]
    assert entry["cpu_seconds"] == pytest.approx(entry["num_interrupts"] * 30e-6, abs=1e-6)
    assert answer["cost"]["estimate_windows"] == 40 and 0 in answer["cost"]["unidentified"]


def test_a_counter_that_restarted_is_counted_from_its_new_value_on(sim, tmp_path):
    """An IRQ freed and allocated again, a handler thread replaced, an iowait that went back:
    after the drop, each sample adds what the counter grew by, not its whole value."""
    from irq_server.history.snapshot import unwrap
    from irq_server.types import Snapshot

    def raw(value, ts):
        return Snapshot(ts=ts, boot_id="b", cpus=(0,), keys=("24",),
                        values=np.array([[value]], dtype=np.uint64))
    previous = previous_raw = None
    totals = []
    for ts, value in enumerate((1000, 1010, 10, 20, 30, 40)):
        snap = unwrap(previous, raw(value, float(ts)), previous_raw)
        previous, previous_raw = snap, raw(value, float(ts))
        totals.append(int(snap.values[0, 0]))
    assert np.diff(totals).tolist() == [10, 10, 10, 10, 10]
