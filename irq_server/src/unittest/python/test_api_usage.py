"""The Performance-API routes (/cpu, /memory, /storage, their averages, /current) on the
simulated host with a fake clock, across retention tiers."""
from datetime import datetime

import numpy as np
import pytest
from irq_server.api import create_app
from irq_server.history.snapshot import HOST, STAT_KEYS, fs_key
from irq_server.history.store import HistoryStore
from irq_server.history.tiers import Tier
from irq_server.history.usage import cpu_percentages, window_filesystems
from irq_server.types import Window
from server_fixtures import Clock, run_sampled

from irq_server import sim as simhost

T0 = 1_800_000_000.0
TIERS = (Tier(1, 60), Tier(10, 300), Tier(60, 1200))


@pytest.fixture(scope="module")
def usage(tmp_path_factory):
    """1500 s of a simulated host (8 CPUs, 40 IRQs) sampled every second into small tiers (1 s
    for a minute, 10 s for 5 minutes, 60 s for 20); returns (client, clock, raw snapshots by
    time). Built once: the tests only read."""
    tmp = tmp_path_factory.mktemp("usage")
    sim = simhost.create(tmp / "sim", simhost.SimSpec(cpus=8, nodes=2, irqs=40, seed=1))
    clock = Clock(T0)
    store, oracle = HistoryStore(tmp / "data", tiers=TIERS), {}
    run_sampled(sim, store, clock, 1500, oracle)
    store.prune(clock.now)
    app = create_app({"IRQ_ROOT": str(sim.root), "IRQ_DATA_DIR": str(tmp / "data"),
                      "IRQ_CLOCK": clock, "IRQ_TIERS": TIERS})
    return app.test_client(), clock, oracle


def epoch(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def ticks(snap):
    rows = [snap.keys.index(k) for k in STAT_KEYS]
    return snap.values[rows].sum(axis=1).astype(np.int64)


def level(snap, key):
    return int(snap.values[snap.keys.index(key), snap.cpus.index(HOST)])


@pytest.mark.parametrize("seconds", [30, 200, 900])  # inside tiers 1, 2 and 3
def test_averages_are_exact_over_windows_in_every_tier(usage, seconds):
    client, clock, oracle = usage
    body = client.get(f"/cpu_average?period_seconds={seconds}").get_json()
    start, end = epoch(body["start"]), epoch(body["end"])
    assert seconds <= end - start < seconds + 60
    expected = cpu_percentages((ticks(oracle[end]) - ticks(oracle[start])).tolist())
    assert body["cpu_avg_usage"] == expected["usage"] and 0 < expected["usage"] < 100
    # levels are integrated sample by sample: the average of the readings in (start, end]
    memory = client.get(f"/memory_average?period_seconds={seconds}").get_json()
    inside = [oracle[t] for t in oracle if start < t <= end]
    available = np.mean([level(s, "mem:available") for s in inside]) * 1024
    total = np.mean([level(s, "mem:total") for s in inside]) * 1024
    assert memory["memory_avg_free_space"] == pytest.approx(available, rel=1e-6)
    assert memory["memory_avg_used_space"] == pytest.approx(total - available, rel=1e-6)
    disk = client.get(f"/storage_average?period_seconds={seconds}&mount=/data").get_json()
    used = np.mean([level(s, fs_key("used", "/data")) for s in inside]) * 1024
    assert disk["disk_avg_used_space"] == pytest.approx(used, rel=1e-6)
    assert disk["mount"] == "/data"


@pytest.mark.parametrize("kib, seconds", [(264212084, 1.0007), (24684084, 0.9991),
                                          (264212084, 10.37), (1 << 30, 1.37)])
def test_a_constant_level_averages_to_itself_to_the_byte(kib, seconds):
    """The integral of a level grows by rint(level x seconds) KiB.s a sample (as unwrap
    integrates it); over one late sample the average is still the level: df's size exactly."""
    keys = tuple(fs_key(f, "/") for f in ("size", "used", "available"))
    start, end = T0, T0 + seconds
    window = Window(start=start, end=end, cpus=(0,), keys=keys,
                    counts=np.zeros((3, 1), dtype=np.uint64),
                    levels={key: int(np.rint(kib * (end - start))) for key in keys})
    assert set(window_filesystems(window)["/"].values()) == {kib * 1024}


@pytest.mark.parametrize("prefix", ["", "/api/v1"])
def test_cpu_series_has_the_old_fields_and_says_its_step(usage, prefix):
    client, clock, oracle = usage
    response = client.get(f"{prefix}/cpu?period_seconds=60")
    points = response.get_json()
    assert isinstance(points, list) and 55 <= len(points) <= 60  # one per stored second
    assert {"usage", "taken_at", "user", "system", "iowait", "irq", "softirq",
            "steal"} <= set(points[0])
    assert all(0 <= p["usage"] <= 100 for p in points)
    span = epoch(response.headers["X-Window-End"]) - epoch(response.headers["X-Window-Start"])
    assert 60 <= span < 70  # the start snaps to the kept sample at or before it
    assert float(response.headers["X-Step-Seconds"]) == pytest.approx(span / 500, rel=1e-3)
    thin = client.get(f"{prefix}/cpu?period_seconds=1200&points=10").get_json()
    assert len(thin) <= 10
    per_cpu = client.get(f"{prefix}/cpu?period_seconds=10&per_cpu=1").get_json()
    assert [c["cpu"] for c in per_cpu[-1]["per_cpu"]] == list(range(8))
    assert per_cpu[-1]["per_cpu"][0]["usage"] > per_cpu[-1]["per_cpu"][7]["usage"]  # IRQ load


def test_memory_and_storage_series(usage):
    client, clock, oracle = usage
    memory = client.get("/memory?period_seconds=120&points=20").get_json()
    assert 10 <= len(memory) <= 20
    assert {"used_space", "free_space", "taken_at", "total", "buffers", "cached",
            "swap_used"} <= set(memory[0])
    assert all(p["used_space"] + p["free_space"] == p["total"] for p in memory)
    root = client.get("/storage?period_seconds=120").get_json()
    assert root and {"used_space", "free_space", "taken_at", "size"} <= set(root[0])
    every = client.get("/storage?period_seconds=120&all=1").get_json()
    assert set(every) == {"/", "/data"} and every["/"] == root
    assert every["/data"][-1]["used_space"] > every["/data"][0]["used_space"]  # fills up


def test_current_reads_now_and_takes_cpu_from_the_last_interval(usage):
    client, clock, oracle = usage
    body = client.get("/current").get_json()
    newest = max(oracle)
    expected = cpu_percentages((ticks(oracle[newest]) - ticks(oracle[newest - 1])).tolist())
    assert body["cpu_usage"] == expected["usage"] and body["cpu"]["iowait"] == expected["iowait"]
    assert body["used_mem"] + body["free_mem"] == body["memory"]["total"]
    assert body["used_disk"] == body["filesystems"]["/"]["used"]
    assert set(body["filesystems"]) == {"/", "/data"}


def test_before_the_first_sample_series_are_empty_and_averages_null(make_client, sim):
    client, _, _ = make_client(sim.root)
    for route in ("/cpu", "/memory", "/storage", "/storage?all=1"):
        response = client.get(route)
        assert response.status_code == 200 and not response.get_json(), route
    for route, field in (("/cpu_average", "cpu_avg_usage"),
                         ("/memory_average", "memory_avg_used_space"),
                         ("/storage_average", "disk_avg_used_space")):
        assert client.get(route).get_json()[field] is None
    assert client.get("/current").get_json()["cpu_usage"] is None


@pytest.mark.parametrize("query, field", [
    ("/cpu?points=0", "points"), ("/cpu?points=x", "points"),
    ("/memory?period_seconds=-5", "period_seconds"), ("/cpu_average?start=yesterday", "start"),
    ("/storage?mount=/nowhere", "mount"), ("/storage_average?mount=/nowhere", "mount"),
    ("/cpu?per_cpu=maybe", "per_cpu"),
])
def test_bad_input_is_a_4xx_naming_the_field(usage, query, field):
    client, *_ = usage
    response = client.get(query)
    assert 400 <= response.status_code < 500
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"], response.get_json()
