"""GET /metrics: the host's counters from the newest stored sample, names from the live table,
cardinality flags, the server's own counters; parsed back with prometheus-client's parser."""
import pytest
from irq_server.api import create_app
from irq_server.exposition import MetricsOptions
from irq_server.history.store import HistoryStore
from prometheus_client.parser import text_string_to_metric_families
from server_fixtures import Clock, bearer, run_sampled

from irq_server import cli


def scrape(client, headers=None):
    answer = client.get("/metrics", headers=headers or {})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.content_type.startswith("text/plain; version=0.0.4")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.get_data(as_text=True))
            for s in family.samples}


def series(samples, name):
    return {labels: value for (n, labels), value in samples.items() if n == name}


@pytest.fixture
def sampled(tmp_path, sim):
    """An app over the simulated host with 5 s of history; (app builder, store, clock)."""
    clock = Clock(1_800_000_000.0)
    store = HistoryStore(tmp_path / "data")
    oracle = {}
    run_sampled(sim, store, clock, 5, oracle)
    clock.now -= 0.5  # the newest sample is fresh

    def build(**config):
        app = create_app({"IRQ_ROOT": str(sim.fs.root), "IRQ_DATA_DIR": str(tmp_path / "data"),
                          "IRQ_CLOCK": clock, **config})
        return app.test_client()
    return build, store, clock


def test_counters_are_the_newest_stored_sample(sampled, sim):
    build, store, _ = sampled
    samples = scrape(build())
    newest = store.latest()
    per_irq = series(samples, "irq_interrupts_total")
    rows = {key: i for i, key in enumerate(newest.keys) if key.isdigit()}
    cpu_cols = [j for j, c in enumerate(newest.cpus) if c >= 0]
    assert len(per_irq) == len(rows) == len(sim.irqs)
    for labels, value in per_irq.items():
        label = dict(labels)
        assert value == newest.values[rows[label["irq"]], cpu_cols].sum()
        irq = next(i for i in sim.irqs if str(i.irq) == label["irq"])
        assert label["device"] == irq.action and label["chip"].startswith(irq.chip[:6])
    per_cpu = series(samples, "irq_cpu_interrupts_total")
    assert sum(per_cpu.values()) == sum(per_irq.values())
    assert {dict(k)["cpu"] for k in per_cpu} == {str(c) for c in range(8)}
    assert series(samples, "irq_other_interrupts_total")[(("name", "LOC"),)] > 0
    cpu_seconds = series(samples, "irq_cpu_seconds_total")
    assert {dict(k)["mode"] for k in cpu_seconds} >= {"user", "system", "idle", "irq"}
    assert series(samples, "irq_memory_bytes")[(("kind", "total"),)] > 0
    assert (("kind", "used"), ("mountpoint", "/data")) in series(samples, "irq_filesystem_bytes")
    assert series(samples, "irq_history_samples")[()] == 5
    assert series(samples, "irq_sampler_last_sample_age_seconds")[()] == pytest.approx(0.5)
    # no affinity as a label: it would churn a series at every move
    assert not any("cpus" in dict(labels) or "affinity" in name for name, labels in samples)


def test_per_cpu_series_only_when_asked(sampled):
    build, store, _ = sampled
    assert not series(scrape(build()), "irq_cpu_irq_interrupts_total")
    samples = scrape(build(IRQ_METRICS=MetricsOptions(per_cpu=True)))
    cells = series(samples, "irq_cpu_irq_interrupts_total")
    assert len(cells) == 40 * 8
    per_irq = series(samples, "irq_interrupts_total")
    for labels, value in per_irq.items():
        irq = dict(labels)["irq"]
        assert sum(v for k, v in cells.items() if dict(k)["irq"] == irq) == value
    assert len(series(samples, "irq_cpu_mode_seconds_total")) == 8 * 10


def test_include_exclude_and_top(sampled, sim):
    build, store, _ = sampled
    only_eth = series(scrape(build(IRQ_METRICS=MetricsOptions(include="eth0"))),
                      "irq_interrupts_total")
    assert only_eth and all(dict(k)["device"].startswith("eth0") for k in only_eth)
    no_eth = series(scrape(build(IRQ_METRICS=MetricsOptions(exclude="eth0-TxRx"))),
                    "irq_interrupts_total")
    assert len(no_eth) == 40 - len(only_eth)
    top = series(scrape(build(IRQ_METRICS=MetricsOptions(top=3))), "irq_interrupts_total")
    newest = store.latest()
    before = store.at_or_before(newest.ts - 1)
    rates = {key: int(newest.values[i].sum()) - int(before.values[before.keys.index(key)].sum())
             for i, key in enumerate(newest.keys) if key.isdigit()}
    assert {dict(k)["irq"] for k in top} == set(sorted(rates, key=rates.get)[-3:])


def test_server_counters_and_auth_reads(sampled, sim):
    build, _, _ = sampled
    client = build()
    client.get("/irqs")
    client.get("/no/such/route")
    for made_up in ("FOO", "BAR", "X" * 200):  # a method label per client whim: no
        client.open("/irqs", method=made_up)
    samples = scrape(client)
    http = series(samples, "irq_http_requests_total")
    assert http[(("method", "GET"), ("route", "/irqs"), ("status", "200"))] == 1
    assert http[(("method", "GET"), ("route", "(no route)"), ("status", "404"))] == 1
    assert sum(n for labels, n in http.items() if ("method", "other") in labels) == 3
    assert {dict(labels)["method"] for labels in http} == {"GET", "other"}
    locked = build(IRQ_AUTH_READS=True)
    assert locked.get("/metrics").status_code == 401


def test_affinity_writes_are_counted_by_result(make_client, sim):
    client, write, _ = make_client(sim.root)
    irq = next(i.irq for i in sim.irqs if not i.managed)
    managed = next(i.irq for i in sim.irqs if i.managed)
    for target, body in ((irq, "1"), (irq, "1"), (managed, "1"), (irq, "99")):
        client.put(f"/irqs/{target}/cpu_affinity", json={"cpu_affinity_list": body},
                   headers=bearer(write))
    writes = series(scrape(client), "irq_affinity_writes_total")
    assert writes == {(("result", "changed"),): 1, (("result", "unchanged"),): 1,
                      (("result", "refused"),): 1, (("result", "invalid"),): 1}


@pytest.mark.parametrize("flags", [["--metrics-include", "(a)\\1"], ["--metrics-top", "0"]])
def test_bad_metrics_flags_are_refused_at_start(flags, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:  # a usage error, as every flag's (config.py)
        cli.main(["--data-dir", str(tmp_path), *flags])
    assert exit_.value.code == 2
    assert "metrics" in capsys.readouterr().err


def test_a_counter_file_a_starting_worker_has_not_sized_yet_does_not_fail_the_scrape(tmp_path):
    import struct

    from irq_server.api.metrics import _WorkerFiles
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector
    (tmp_path / "counter_4242.db").write_bytes(b"")  # created, not yet mmapped
    with pytest.raises(struct.error):  # what prometheus-client itself does with it
        list(MultiProcessCollector(CollectorRegistry(), path=str(tmp_path)).collect())
    assert list(_WorkerFiles(CollectorRegistry(), path=str(tmp_path)).collect()) == []
