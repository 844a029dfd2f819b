"""The run numbers as pure functions, and the store's running total agreeing with them."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from irq_server.errors import Conflict, Forbidden, InvalidInput, NotFound
from irq_server.runs.stats import threshold_percent, time_above
from irq_server.runs.store import RunStore
from server_fixtures import Clock


@pytest.mark.parametrize("given_value, percent", [
    (0.5, 50.0), (0.05, 5.0), (0.999, 99.9), (0, 0.0), (1, 1.0), (2, 2.0), (50, 50.0),
    (100, 100.0)])
def test_thresholds_strictly_between_0_and_1_are_fractions(given_value, percent):
    assert threshold_percent(given_value) == pytest.approx(percent)


def test_one_sample_holds_nothing_while_active_and_until_the_end_once_stopped():
    assert time_above([(10.0, 90.0)], 50, start=0, end=10.0) == 0
    assert time_above([(10.0, 90.0)], 50, start=0, end=25.0) == 15.0
    assert time_above([(10.0, 20.0)], 50, start=0, end=25.0) == 0


def test_all_above_counts_from_the_first_sample_to_the_end():
    samples = [(t, 99.0) for t in (1.0, 1.5, 2.0, 2.5)]
    assert time_above(samples, 50, start=0.0, end=3.0) == 2.0


def test_gaps_hold_the_value_before_them():
    # above 1..2, below 2..10 (a long gap), above 10..11, then the end at 12 holds the last
    samples = [(1.0, 80.0), (2.0, 10.0), (10.0, 70.0), (11.0, 60.0)]
    assert time_above(samples, 50, start=0.0, end=12.0) == 1 + 1 + 1


def test_equal_to_the_threshold_is_not_above():
    assert time_above([(0.0, 50.0), (1.0, 50.0)], 50, start=0.0, end=2.0) == 0


def test_time_outside_the_run_is_not_counted():
    # a sample before the start holds from the start; one past the end holds nothing
    samples = [(-5.0, 90.0), (2.0, 90.0), (20.0, 90.0)]
    assert time_above(samples, 50, start=0.0, end=10.0) == 10.0


def test_order_of_arrival_does_not_matter():
    samples = [(3.0, 90.0), (1.0, 90.0), (2.0, 10.0)]
    assert time_above(samples, 50, start=0.0, end=4.0) == 1 + 1


samples_strategy = st.lists(st.tuples(st.floats(-5, 100, allow_nan=False),
                                      st.sampled_from([0.0, 25.0, 50.0, 75.0, 100.0])),
                            max_size=25)


@settings(max_examples=60, deadline=None)
@given(samples=samples_strategy, end=st.one_of(st.none(), st.floats(0, 120)))
def test_the_stores_running_total_is_the_pure_integral(tmp_path_factory, samples, end):
    """Whatever order samples arrive in and wherever the stop falls, the O(1) total kept by
    the store equals time_above over every sample."""
    clock = Clock(1000.0)
    store = RunStore(tmp_path_factory.mktemp("runs"), clock=clock)
    run = store.create("user:a", "r", None, 50.0, start_time=0.0)
    for ts, usage in samples:
        store.add_usage(run.id, "user:a", usage, ts)
    newest = max((ts for ts, _ in samples), default=0.0)
    expected_active = time_above(samples, 50.0, 0.0, newest)
    assert store.get(run.id, "user:a").time_above_threshold() == pytest.approx(expected_active)
    if end is not None:
        stopped = store.stop(run.id, "user:a", end)
        assert stopped.time_above_threshold() == pytest.approx(time_above(samples, 50.0, 0.0,
                                                                          end))
        assert stopped.duration(clock()) == end


def test_store_checks_owner_state_and_times(tmp_path):
    clock = Clock(1000.0)
    store = RunStore(tmp_path, clock=clock)
    run = store.create("user:a", "r", "d", 50.0, host="h")
    with pytest.raises(NotFound):
        store.get(run.id + 1, "user:a")
    with pytest.raises(Forbidden):
        store.add_usage(run.id, "user:b", 90.0)
    with pytest.raises(InvalidInput) as err:
        store.add_usage(run.id, "user:a", 90.0, ts=clock() + 3600)
    assert err.value.field == "timestamp"
    with pytest.raises(InvalidInput) as err:
        store.stop(run.id, "user:a", end_time=run.start_time - 1)
    assert err.value.field == "end_time"
    clock.now += 5
    stopped = store.stop(run.id, "user:a")
    assert (stopped.active, stopped.duration(clock.now + 100)) == (False, 5.0)
    with pytest.raises(Conflict):
        store.add_usage(run.id, "user:a", 90.0)
    with pytest.raises(Conflict):
        store.stop(run.id, "user:a")
    # nothing half-changed by the refused calls
    assert store.get(run.id, "user:a").samples == 0


def test_runs_survive_a_new_store_on_the_same_dir_and_list_newest_first(tmp_path):
    clock = Clock(1000.0)
    first = RunStore(tmp_path, clock=clock)
    ids = []
    for i in range(5):
        ids.append(first.create("user:a", f"r{i}", None, 50.0).id)
        clock.now += 1
    first.create("user:b", "other", None, 50.0)
    again = RunStore(tmp_path, clock=clock)
    page, total = again.list("user:a", page=1, per_page=2)
    assert total == 5 and [r.id for r in page] == ids[::-1][:2]
    page, _ = again.list("user:a", page=3, per_page=2)
    assert [r.id for r in page] == ids[:1]


def test_of_samples_at_one_instant_the_last_reported_holds():
    assert time_above([(0.0, 100.0), (0.0, 0.0)], 50, start=0.0, end=1.0) == 0
    assert time_above([(0.0, 0.0), (0.0, 100.0)], 50, start=0.0, end=1.0) == 1
