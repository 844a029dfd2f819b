"""The /interrupts routes, /history and /healthz sampler state, with a fake clock."""
import threading

import pytest
from irq_server.api.state import state
from irq_server.history.sampler import Sampler
from irq_server.history.store import HistoryStore
from server_fixtures import Clock, run_sampled

T0 = 1_800_000_000.0


@pytest.fixture
def sampled(make_client, sim, tmp_path):
    """120 s of history of the simulated host sampled every second; returns (client, sim, clock,
    snapshots by time)."""
    clock = Clock(T0)
    oracle = {}
    run_sampled(sim, HistoryStore(tmp_path / "data"), clock, 120, oracle)
    client, token, _ = make_client(sim.root, IRQ_CLOCK=clock)
    return client, sim, clock, oracle


def nic(sim):
    return next(i for i in sim.irqs if i.action.startswith("eth"))


@pytest.mark.parametrize("prefix", ["", "/api/v1"])
def test_interrupts_per_cpu_over_a_period(sampled, prefix):
    client, sim, clock, oracle = sampled
    body = client.get(f"{prefix}/interrupts?period_seconds=30").get_json()
    assert set(body) >= {"num_interrupts_per_cpu", "percent_interrupts_per_cpu",
                         "num_interrupts_all_cpus", "period_duration_seconds", "num_cpus", "cpus",
                         "start", "end"}
    assert body["period_duration_seconds"] == 30 and body["partial"] is False
    # ends at the newest sample (taken 1 s ago): two stored reads, no live parse
    assert body["start"] == "2027-01-15T08:01:29.000Z" and body["end"] == "2027-01-15T08:01:59.000Z"
    expected_cpu0 = sum(irq.rate for irq in sim.irqs if irq.initial_cpu in (None, 0))
    assert body["num_interrupts_per_cpu"][0] == pytest.approx(expected_cpu0 * 30, rel=1e-3)
    assert sum(body["num_interrupts_per_cpu"]) == body["num_interrupts_all_cpus"]
    assert sum(body["percent_interrupts_per_cpu"]) == pytest.approx(100, abs=0.01)
    assert body["num_cpus"] == 8 and body["cpus"] == list(range(8))


def test_default_period_is_60_seconds(sampled):
    client, *_ = sampled
    assert client.get("/interrupts").get_json()["period_duration_seconds"] == 60


def test_start_end_window_in_iso_or_epoch(sampled):
    client, sim, clock, oracle = sampled
    by_epoch = client.get(f"/interrupts/irqs?start={T0 + 10}&end={T0 + 40}").get_json()
    by_iso = client.get("/interrupts/irqs?start=2027-01-15T08:00:10Z"
                        "&end=2027-01-15T09:00:40%2B01:00").get_json()
    assert by_epoch == by_iso
    irq = nic(sim)
    got = next(i for i in by_epoch["irqs"] if i["irq_num"] == str(irq.irq))
    start, end = oracle[T0 + 10], oracle[T0 + 40]
    k = start.keys.index(str(irq.irq))
    cols = [end.cpus.index(c) for c in by_epoch["cpus"]]  # the snapshot's HOST column aside
    assert got["num_interrupts_per_cpu"] == (end.values[k] - start.values[k])[cols].tolist()
    assert got["num_interrupts"] == sum(got["num_interrupts_per_cpu"])
    assert got["rate_per_second"] == pytest.approx(irq.rate, rel=0.01)


def test_cpu_route(sampled):
    client, *_ = sampled
    whole = client.get("/interrupts?period_seconds=20").get_json()
    one = client.get("/interrupts/cpu/0?period_seconds=20").get_json()
    assert one["cpu_num"] == 0 and one["num_interrupts"] == whole["num_interrupts_per_cpu"][0]
    assert one["percent_interrupts"] == whole["percent_interrupts_per_cpu"][0]
    assert one["num_interrupts_all_cpus"] == whole["num_interrupts_all_cpus"]


def test_period_longer_than_history_says_so(sampled):
    client, *_ = sampled
    body = client.get("/interrupts?period_seconds=86400").get_json()
    assert body["partial"] is True and body["start"] == "2027-01-15T08:00:00.000Z"
    assert body["period_duration_seconds"] == 119


def test_empty_history_answers_from_live_counters(make_client, sim):
    sim.advance(5)
    client, _, _ = make_client(sim.root, IRQ_CLOCK=Clock(T0))
    response = client.get("/interrupts?period_seconds=60")
    assert response.status_code == 200
    assert response.get_json()["num_interrupts_all_cpus"] > 0
    health = client.get("/healthz").get_json()
    assert health["sampler"]["last_sample"] is None and health["sampler"]["stale"] is True


@pytest.mark.parametrize("query,field,status", [
    ("period_seconds=-5", "period_seconds", 422), ("period_seconds=0", "period_seconds", 422),
    ("period_seconds=abc", "period_seconds", 422), ("start=yesterday", "start", 422),
    (f"start={T0 + 50}&end={T0 + 10}", "end", 422),
    (f"period_seconds=5&start={T0}&end={T0 + 5}", "period_seconds", 422),
    ("start=1e12", "start", 422), ("start=nan", "start", 422), ("start=%2012", "start", 422),
    ("start=2027-01-15T08:00:00", "start", 422), ("start=2027-01-15", "start", 422),
    ("start=2027-02-30T08:00:00Z", "start", 422), (f"start={T0 + 3600}", "start", 400),
    ("period_seconds=inf", "period_seconds", 422), ("period_seconds=nan", "period_seconds", 422),
    (f"end={T0 - 3600}", "end", 404),
])
def test_bad_window_queries_name_the_field(sampled, query, field, status):
    client, *_ = sampled
    response = client.get(f"/interrupts?{query}")
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize("query,start,end", [
    (f"end={T0 + 100}", T0 + 40, T0 + 100),  # the default 60 s ending at end
    (f"end={T0 + 100}&period_seconds=10", T0 + 90, T0 + 100),
    (f"start={T0 + 10}&period_seconds=20", T0 + 10, T0 + 30),  # a period from start
    ("start=2027-01-15T09:00:10%2B01:00&end=2027-01-15T08:00:30Z", T0 + 10, T0 + 30),
    ("start=2027-01-15t08:00:10.000z&end=1800000030", T0 + 10, T0 + 30),
])
def test_any_two_of_period_start_end_define_the_window(sampled, query, start, end):
    client, _, _, oracle = sampled
    body = client.get(f"/interrupts?{query}").get_json()
    assert body["period_duration_seconds"] == end - start
    expected = (oracle[end].values[:40, 1:].astype(int)  # column 0 is the HOST column
                - oracle[start].values[:40, 1:].astype(int))
    assert body["num_interrupts_per_cpu"] == expected.sum(axis=0).tolist()


def test_unknown_cpu_is_404_naming_cpu(sampled):
    client, *_ = sampled
    for cpu in ("99", "x"):
        response = client.get(f"/interrupts/cpu/{cpu}")
        assert response.status_code == 404 and "cpu" in response.get_json()["errors"]


def test_history_and_healthz_report_retention(sampled):
    client, sim, clock, _ = sampled
    history = client.get("/history").get_json()
    assert history["samples"] == 120 and history["tiers"] == "1s:1h,10s:1d,1m:1w,10m:90d"
    assert history["oldest"] == "2027-01-15T08:00:00.000Z" and history["store_bytes"] > 0
    health = client.get("/healthz").get_json()
    assert health["sampler"]["stale"] is False
    assert health["sampler"]["last_sample"] == "2027-01-15T08:01:59.000Z"
    clock.now += 60  # the sampler died a minute ago: live routes still work, health says stale
    assert client.get("/healthz").get_json()["sampler"]["stale"] is True
    assert client.get("/irqs").status_code == 200


def test_readers_and_the_sampler_run_concurrently(make_client, sim, tmp_path):
    clock = Clock(T0)
    sampler = Sampler(sim.fs, HistoryStore(tmp_path / "data"), clock)
    sampler.sample_once()
    client, _, _ = make_client(sim.root, IRQ_CLOCK=clock)
    stop, errors = threading.Event(), []

    def write():
        while not stop.is_set():
            clock.now += 1
            sampler.sample_once()

    def read(path):
        app = client.application
        with app.test_client() as own:
            for _ in range(40):
                response = own.get(path)
                if response.status_code != 200:
                    errors.append((path, response.status_code, response.get_data(as_text=True)))
    writer = threading.Thread(target=write)
    readers = [threading.Thread(target=read, args=(p,)) for p in
               ("/interrupts?period_seconds=5", "/interrupts/irqs?period_seconds=30",
                "/history", "/healthz")]
    writer.start()
    for r in readers:
        r.start()
    for r in readers:
        r.join()
    stop.set()
    writer.join()
    assert errors == []
    assert HistoryStore(tmp_path / "data", readonly=True).stats()["samples"] > 1


def test_window_answers_are_reused_until_a_new_sample_lands(make_client, sim, tmp_path,
                                                            monkeypatch):
    clock = Clock(T0)
    sampler = Sampler(sim.fs, HistoryStore(tmp_path / "data"), clock)
    for _ in range(20):
        sim.advance(1)
        sampler.sample_once()
        clock.now += 1
    client, _, _ = make_client(sim.root, IRQ_CLOCK=clock)
    windows = state(client.application).windows
    computed = []
    original = windows.last
    monkeypatch.setattr(windows, "last", lambda *a: computed.append(a) or original(*a))
    first = client.get("/interrupts/irqs?period_seconds=5").get_data()
    assert client.get("/interrupts/irqs?period_seconds=5").get_data() == first
    assert len(computed) == 1  # the second answer came from the cache
    client.get("/interrupts/irqs?period_seconds=0.5")  # live reads: never cached
    client.get("/interrupts/irqs?period_seconds=0.5")
    assert len(computed) == 3
    sim.advance(1)
    sampler.sample_once()  # a new newest sample: the window moves on
    clock.now += 1
    later = client.get("/interrupts/irqs?period_seconds=5")
    assert later.get_data() != first and len(computed) == 4
    clock.now += 60  # history stale: live reads, not cached
    client.get("/interrupts/irqs?period_seconds=5")
    client.get("/interrupts/irqs?period_seconds=5")
    assert len(computed) == 6


@pytest.mark.parametrize("prefix", ["", "/api/v1"])
def test_softirqs_over_a_window(sampled, prefix):
    client, *_ = sampled
    body = client.get(f"{prefix}/softirqs?period_seconds=30").get_json()
    assert body["period_duration_seconds"] == 30 and body["cpus"] == list(range(8))
    kinds = {s["name"]: s for s in body["softirqs"]}
    assert {"HI", "TIMER", "NET_RX", "RCU"} <= kinds.keys()
    # the simulated host counts 1000 timer softirqs a second on every CPU, and nothing else
    assert kinds["TIMER"]["num_softirqs_per_cpu"] == [30000] * 8
    assert kinds["TIMER"]["num_softirqs"] == 240000 and kinds["TIMER"]["rate_per_second"] == 8000
    assert kinds["NET_RX"]["num_softirqs"] == 0
    bad = client.get(f"{prefix}/softirqs?period_seconds=-1")
    assert bad.status_code == 422 and "period_seconds" in bad.get_json()["errors"]


def test_interrupts_irqs_top_lists_the_busiest_first(make_client, sim):
    sim.advance(5)
    client, _, _ = make_client(sim.root)  # no history: windows count since boot
    every = client.get("/interrupts/irqs").json
    top = client.get("/interrupts/irqs?top=3").json
    assert len(top["irqs"]) == 3
    counts = [i["num_interrupts"] for i in top["irqs"]]
    assert counts == sorted(counts, reverse=True)
    assert counts == sorted((i["num_interrupts"] for i in every["irqs"]), reverse=True)[:3]
    assert counts[0] > 0
    assert client.get("/interrupts/irqs?top=0").status_code == 422


def test_a_window_between_times_read_back_from_answers_holds_its_samples(make_client, sim,
                                                                          tmp_path):
    """Samples land a little after their tick; the answers round times to the millisecond:
    a window from one answer's `newest` back one interval still closes at that sample."""
    clock = Clock(T0 + 0.0004)
    run_sampled(sim, HistoryStore(tmp_path / "data"), clock, 10, {})
    client, *_ = make_client(sim.root, IRQ_CLOCK=clock)
    newest = client.get("/history").get_json()["newest"]
    assert newest == "2027-01-15T08:00:09.000Z"
    body = client.get(f"/interrupts?start={T0 + 8}&end={newest}").get_json()
    assert body["end"] == newest and body["period_duration_seconds"] == pytest.approx(1)
    on_cpu0 = sum(irq.rate for irq in sim.irqs if irq.initial_cpu in (None, 0))
    assert body["num_interrupts_per_cpu"][0] == pytest.approx(on_cpu0, rel=1e-3)
