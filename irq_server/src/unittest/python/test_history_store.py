"""History store and windows: exact counts with a fake clock, tiers, wrap, reboot, hotplug."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from irq_server.db import WAL_LIMIT
from irq_server.errors import InvalidInput, NotFound
from irq_server.history import codec
from irq_server.history.sampler import Sampler
from irq_server.history.snapshot import HOST, WRAP, read_snapshot, unwrap
from irq_server.history.store import HistoryStore
from irq_server.history.tiers import Tier, ladder, level, parse_tiers
from irq_server.history.window import Windows
from irq_server.types import Snapshot
from server_fixtures import Clock, run_sampled

from irq_server import sim as simhost

SMALL_TIERS = (Tier(1, 60), Tier(10, 300), Tier(60, 1200))


def snap(ts, keys, cpus, values, boot="b1"):
    return Snapshot(ts=ts, boot_id=boot, cpus=tuple(cpus), keys=tuple(keys),
                    values=np.array(values, dtype=np.uint64).reshape(len(keys), len(cpus)))


def cpu_columns(snapshot):
    """A raw snapshot's counters without its HOST column (windows keep that apart)."""
    return snapshot.values[:, [j for j, cpu in enumerate(snapshot.cpus) if cpu != HOST]]


def row(window, key):
    return window.counts[window.keys.index(key)].tolist()


@given(st.integers(1, 40), st.integers(1, 40), st.data())
@settings(max_examples=50, deadline=None)
def test_codec_round_trip(rows, cols, data):
    cells = data.draw(st.lists(st.tuples(st.integers(0, rows * cols - 1),
                                         st.integers(0, 2 ** 64 - 1)), max_size=60))
    matrix = np.zeros((rows, cols), dtype=np.uint64)
    for where, value in cells:
        matrix.reshape(-1)[where] = value
    assert np.array_equal(codec.decode(codec.encode(matrix)), matrix)
    shape, where, values, residual = codec.decode_cells(codec.encode_residual(matrix))
    restored = np.zeros(rows * cols, dtype=np.uint64)
    restored[where] = values
    assert residual and shape == (rows, cols)
    assert np.array_equal(restored.reshape(shape), matrix)


def test_tiers_parse_and_levels():
    assert parse_tiers("1s:1h,10s:1d") == (Tier(1, 3600), Tier(10, 86400))
    for bad in ("1s", "10s:1h,1s:1d", "1x:1h", "10s:1d,60s:1d"):
        with pytest.raises(InvalidInput):
            parse_tiers(bad)
    steps = ladder(SMALL_TIERS)
    assert steps == (1, 10, 60, 3600, 86400)  # the tiers' steps, then hour and day grids
    assert level(100.0, None, steps) == 5  # first sample: keyframe
    assert level(101.0, 100.0, steps) == 1
    assert level(110.0, 109.0, steps) == 2
    assert level(120.0, 119.0, steps) == 3
    assert level(3600.0, 3599.0, steps) == 4
    assert level(86400.0, 86399.0, steps) == 5


def test_keyframes_and_deltas_read_back_exactly(tmp_path):
    store = HistoryStore(tmp_path, tiers=SMALL_TIERS)
    rng = np.random.default_rng(0)
    values = rng.integers(0, 2 ** 40, size=(5, 3), dtype=np.uint64)
    written = []
    for i in range(130):
        values = values + rng.integers(0, 1000, size=(5, 3), dtype=np.uint64)
        written.append(snap(1000.0 + i, list("abcde"), [0, 1, 2], values))
        store.append(written[-1])
    for s in written[::7]:
        got = store.at_or_before(s.ts)
        assert got.ts == s.ts and np.array_equal(got.values, s.values)


def test_only_the_first_snapshot_of_a_day_is_whole_and_all_read_back_across_a_restart(tmp_path):
    rng = np.random.default_rng(1)
    values = rng.integers(0, 2 ** 40, size=(4, 2), dtype=np.uint64)
    store, written = HistoryStore(tmp_path, tiers=SMALL_TIERS), []
    for i in range(1600):  # 7 s apart from 2 h before midnight to past 1 am: hours and a day
        if i == 800:
            store = HistoryStore(tmp_path, tiers=SMALL_TIERS)  # the sampler restarted
        values = values + rng.integers(0, 5000, size=(4, 2), dtype=np.uint64)
        written.append(snap(10 * 86400 - 7200 + 7 * i, list("abcd"), [0, 1], values))
        store.append(written[-1])
    whole = [ts for (ts,) in store._db().execute("SELECT ts FROM snapshots WHERE base_id IS NULL")]
    assert whole == [written[0].ts, 10 * 86400 + 3]  # the first sample and the day's first
    reader = HistoryStore(tmp_path, tiers=SMALL_TIERS, readonly=True)
    for s in written:
        assert np.array_equal(reader.at_or_before(s.ts).values, s.values)


def test_steady_counters_cost_almost_nothing_and_old_plain_differences_still_read(tmp_path):
    store = HistoryStore(tmp_path, tiers=SMALL_TIERS)
    rates = np.arange(1, 201, dtype=np.uint64).reshape(40, 5) * 1000
    written = [snap(5000.0 + i, [str(k) for k in range(40)], range(5), rates * i)
               for i in range(1, 200)]
    for s in written:
        store.append(s)
    row_id, base_id, size = store._db().execute(
        "SELECT id, base_id, LENGTH(data) FROM snapshots WHERE ts = ?",
        (written[-1].ts,)).fetchone()
    plain = len(codec.encode(written[-1].values - written[-10].values))
    assert size < plain / 4  # predicted from its base's own growth: nothing left to store
    # a row as an older version wrote it: the plain difference from its base
    base = HistoryStore(tmp_path, tiers=SMALL_TIERS, readonly=True)._snapshot(base_id)
    with store._db() as db:
        db.execute("UPDATE snapshots SET data = ? WHERE id = ?",
                   (codec.encode(written[-1].values - base.values), row_id))
    reader = HistoryStore(tmp_path, tiers=SMALL_TIERS, readonly=True)
    assert np.array_equal(reader.at_or_before(written[-1].ts).values, written[-1].values)


def test_retention_keeps_one_per_step_and_bounds_the_store(tmp_path):
    store = HistoryStore(tmp_path, tiers=SMALL_TIERS)
    t0 = 6000.0
    for i in range(2000):
        store.append(snap(t0 + i, ["a"], [0], [[i]]))
        if i % 60 == 0:
            store.prune(t0 + i)
    now = t0 + 1999
    store.prune(now)
    rows = store._db().execute("SELECT id, ts, level, base_id FROM snapshots").fetchall()
    kept = sorted(ts for _, ts, lvl, _ in rows if lvl > 0)
    assert all(now - ts <= 1200 for ts in kept)
    bases = {base for *_, base in rows if base is not None}
    hidden = [row_id for row_id, _, lvl, _ in rows if lvl == 0]
    assert set(hidden) <= bases and len(hidden) <= 2  # expired, kept only as bases (hour, day)
    young = [ts for ts in kept if now - ts <= 60]
    middle = [ts for ts in kept if 60 < now - ts <= 300]
    old = [ts for ts in kept if now - ts > 300]
    assert len(young) >= 60 and all(ts % 10 == 0 for ts in middle)
    assert all(ts % 60 == 0 for ts in old)
    assert len(kept) <= 61 + 24 + 16  # bounded by the tiers, not by the 2000 samples taken
    for ts in kept:  # every survivor still decodes (no snapshot lost its base)
        assert store.at_or_before(ts).values[0, 0] == ts - t0


def windows_over(store, live_snapshot, clock=None):
    return Windows(store, live=lambda: live_snapshot, clock=clock or (lambda: live_snapshot.ts))


def test_window_longer_than_history_reports_actual_start(tmp_path):
    store = HistoryStore(tmp_path)
    for i in range(10):
        store.append(snap(100.0 + i, ["5"], [0, 1], [[10 * i, i]]))
    live = snap(110.0, ["5"], [0, 1], [[100, 10]])
    window = windows_over(store, live).last(3600)  # the sampler is fresh: ends at its sample
    assert (window.start, window.end, window.partial) == (100.0, 109.0, True)
    assert row(window, "5") == [90, 9]
    stale = windows_over(store, live, clock=lambda: 112.0).last(3600)  # sampler stopped
    assert (stale.end, row(stale, "5")) == (110.0, [100, 10])
    inside = windows_over(store, live).between(102.0, 107.0)
    assert (inside.start, inside.end, inside.partial) == (102.0, 107.0, False)
    assert row(inside, "5") == [50, 5]


def test_empty_history_counts_since_boot(tmp_path):
    live = snap(500.0, ["5"], [0], [[42]])
    windows = Windows(HistoryStore(tmp_path / "none", readonly=True), live=lambda: live,
                      clock=lambda: 500.0, boot_time=lambda: 400.0)
    window = windows.last(60)  # no sample yet: the best answer covers boot..now, and says so
    assert (window.start, window.end, row(window, "5")) == (400.0, 500.0, [42])
    late = windows.last(200)
    assert late.start == 400.0 and late.partial  # could not reach back 200 s


def test_irq_appearing_vanishing_and_cpu_hotplug_match_by_key_and_cpu(tmp_path):
    store = HistoryStore(tmp_path)
    store.append(snap(10.0, ["5", "6"], [0, 1, 2], [[1, 2, 3], [100, 100, 100]]))
    # IRQ 6 vanished, IRQ 7 appeared, CPU 1 went offline and CPU 3 came online
    live = snap(20.0, ["7", "5"], [0, 2, 3], [[9, 9, 9], [11, 13, 50]])
    window = windows_over(store, live).last(10)
    assert window.keys == ("7", "5") and window.cpus == (0, 2, 3)
    assert row(window, "5") == [10, 10, 50]
    assert row(window, "7") == [9, 9, 9]


def test_32bit_wrap_is_unwrapped_across_samples(tmp_path):
    previous = snap(1.0, ["5", "stat:irq"], [0], [[WRAP - 10], [7]])
    raw = snap(2.0, ["5", "stat:irq"], [0], [[5], [9]])
    assert unwrap(previous, raw).values.tolist() == [[WRAP + 5], [9]]
    store = HistoryStore(tmp_path)
    sampled = previous
    store.append(sampled)
    for i in range(1, 4):  # three more wraps of 2**31 steps each... exactly counted
        raw = snap(1.0 + i, ["5", "stat:irq"], [0],
                   [[(int(sampled.values[0, 0]) + 2 ** 31) % WRAP], [9]])
        sampled = unwrap(sampled, raw)
        store.append(sampled)
    window = windows_over(store, raw).between(1.0, 4.0)  # live counters are raw (wrapped)
    assert row(window, "5") == [3 * 2 ** 31]


def test_counter_restart_is_never_negative(tmp_path):
    previous = snap(1.0, ["5"], [0], [[1000]])
    restarted = unwrap(previous, snap(2.0, ["5"], [0], [[3]]))  # IRQ freed and re-requested
    assert restarted.values.tolist() == [[1003]]


def test_reboot_sums_segments(tmp_path):
    store = HistoryStore(tmp_path)
    store.append(snap(10.0, ["5"], [0], [[100]], boot="A"))
    store.append(snap(20.0, ["5"], [0], [[160]], boot="A"))  # last sample of boot A
    store.append(snap(30.0, ["5"], [0], [[5]], boot="B"))  # 5 since boot B started
    store.append(snap(40.0, ["5"], [0], [[25]], boot="B"))
    live = snap(45.0, ["5"], [0], [[30]], boot="B")
    window = windows_over(store, live).between(10.0, 45.0)
    assert row(window, "5") == [60 + 30]
    window = windows_over(store, live).between(30.0, 45.0)
    assert row(window, "5") == [25]


def test_reboot_with_a_whole_boot_in_between(tmp_path):
    store = HistoryStore(tmp_path)
    for ts, value, boot in ((10.0, 100, "A"), (20.0, 150, "A"), (30.0, 7, "B"), (40.0, 9, "B"),
                            (50.0, 4, "C")):
        store.append(snap(ts, ["5"], [0], [[value]], boot=boot))
    window = windows_over(store, snap(50.0, ["5"], [0], [[4]], boot="C")).between(10.0, 50.0)
    assert row(window, "5") == [50 + 9 + 4]


def test_end_before_start_and_end_before_history(tmp_path):
    store = HistoryStore(tmp_path)
    store.append(snap(100.0, ["5"], [0], [[1]]))
    store.append(snap(101.0, ["5"], [0], [[2]]))
    windows = windows_over(store, snap(102.0, ["5"], [0], [[3]]))
    with pytest.raises(InvalidInput) as err:
        windows.between(50.0, 40.0)
    assert err.value.field == "end"
    with pytest.raises(NotFound) as err:  # history has nothing that early: not there, 404
        windows.between(10.0, 20.0)
    assert err.value.field == "end"


# ---- the sampler on the simulated host, driven step by step --------------------------------
def test_windows_exact_inside_and_across_tiers(tmp_path):
    sim = simhost.create(tmp_path / "sim", simhost.SimSpec(8, 2, 40, seed=2))
    store = HistoryStore(tmp_path / "data", tiers=SMALL_TIERS)
    clock, oracle = Clock(1_000_000.0), {}
    run_sampled(sim, store, clock, 1500, oracle)
    store.prune(clock.now)
    live = lambda: read_snapshot(sim.fs, clock.now)  # noqa: E731
    windows = Windows(store, live=live, clock=clock)
    end = oracle[clock.now - 1]  # the newest sample closes windows that end "now"
    for seconds in (30, 59, 200, 299, 900, 1100, 1190):  # inside tiers 1, 2, 3, across them
        window = windows.last(seconds)
        start = oracle[window.start]
        expected = cpu_columns(end) - cpu_columns(start)
        assert np.array_equal(window.counts, expected), seconds
        assert window.end == clock.now - 1
        # the start snaps to the kept snapshot at or before it, within that tier's step
        if not window.partial:
            assert seconds <= window.end - window.start < seconds + 60
    assert windows.last(1190).partial  # the coarsest tier keeps 1200 s: 1190 s reaches past it


def test_sampler_continues_after_restart_and_across_reboot(tmp_path):
    sim = simhost.create(tmp_path / "sim", simhost.SimSpec(4, 1, 12, seed=3))
    store = HistoryStore(tmp_path / "data")
    clock, oracle = Clock(5000.0), {}
    run_sampled(sim, store, clock, 20, oracle)
    sim.reboot()
    sim.advance(3)
    run_sampled(sim, HistoryStore(tmp_path / "data"), clock, 10, oracle)  # a new process
    windows = Windows(HistoryStore(tmp_path / "data", readonly=True),
                      live=lambda: read_snapshot(sim.fs, clock.now), clock=clock)
    window = windows.between(5000.0, clock.now)
    before_reboot = cpu_columns(oracle[5019.0]) - cpu_columns(oracle[5000.0])
    since_reboot = cpu_columns(oracle[clock.now - 1])  # the newest sample closes the window
    assert np.array_equal(window.counts, before_reboot + since_reboot)
    assert (window.counts >= 0).all()


def test_period_shorter_than_interval_reads_live_counters_twice(tmp_path):
    sim = simhost.create(tmp_path / "sim", simhost.SimSpec(4, 1, 12, seed=3))
    clock = Clock(9000.0)

    def sleep(seconds):  # time passes on the simulated host while the request waits
        sim.advance(seconds)
        clock.now += seconds
    windows = Windows(HistoryStore(tmp_path / "none", readonly=True), clock=clock,
                      live=lambda: read_snapshot(sim.fs, clock.now), sleep=sleep, interval=1.0)
    window = windows.last(0.5)
    assert window.end - window.start == pytest.approx(0.5)
    irq = next(i for i in sim.irqs if i.action.startswith("eth"))
    assert sum(row(window, str(irq.irq))) == pytest.approx(irq.rate * 0.5, abs=1)


def test_a_file_without_its_tables_yet_is_no_history(tmp_path):
    import sqlite3
    path = tmp_path / HistoryStore.FILENAME
    sqlite3.connect(path).execute("PRAGMA journal_mode=WAL").close()  # the sampler's first moment
    reader = HistoryStore(tmp_path, readonly=True)
    assert path.exists() and reader.exists() is False
    HistoryStore(tmp_path).append(snap(100.0, ["5"], [0], [[1]]))
    assert reader.exists() is True and reader.latest_ts() == 100.0


def test_the_wal_stays_bounded_while_readers_read(tmp_path):
    """With 64 KiB pages SQLite's default checkpoint (every 1000 pages) let the WAL reach
    64 MB; it is checkpointed and truncated at a few MB instead."""
    sim = simhost.create(tmp_path / "sim", simhost.SimSpec(cpus=16, nodes=1, irqs=200, seed=3))
    clock = Clock(1_800_000_000.0)
    sampler = Sampler(sim.fs, HistoryStore(tmp_path / "d"), clock)
    reader = HistoryStore(tmp_path / "d", readonly=True)
    wal = tmp_path / "d" / "history.sqlite3-wal"
    largest = 0
    for _ in range(300):
        sampler.sample_once()
        assert reader.latest().ts == clock.now
        largest = max(largest, wal.stat().st_size)
        sim.advance(1)
        clock.now += 1
    assert largest <= 2 * WAL_LIMIT, largest


def test_a_sampler_that_cannot_sample_says_so_once_keeps_trying_and_resumes(tmp_path, caplog):
    import threading
    import time
    sim = simhost.create(tmp_path / "sim", simhost.SimSpec(cpus=4, nodes=1, irqs=12, seed=3))
    store = HistoryStore(tmp_path / "d")
    sampler = Sampler(sim.fs, store)
    interrupts = sim.root / "proc" / "interrupts"
    interrupts.rename(tmp_path / "away")

    def run_for(seconds):
        stop = threading.Event()
        thread = threading.Thread(target=sampler.run, args=(0.01, stop))
        thread.start()
        time.sleep(seconds)
        stop.set()
        thread.join()
    run_for(0.3)
    assert caplog.text.count("sample not stored") == 1 and store.stats()["samples"] == 0
    assert "the host tree has no" in caplog.text and "Traceback" not in caplog.text
    (tmp_path / "away").rename(interrupts)
    run_for(0.3)
    assert caplog.text.count("sampling again") == 1
    assert store.stats()["samples"] > 5
