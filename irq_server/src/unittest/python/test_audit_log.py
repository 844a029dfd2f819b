"""The audit log of affinity writes: PUT's reason kept, GET /affinity/changes windowed,
bounded, and a store that cannot take a record never undoes or hides the write."""
import logging

import pytest
from irq_server.audit.store import AuditLog
from server_fixtures import bearer
from test_api import assert_problem, nic

PREFIXES = ["", "/api/v1"]


class Clock:
    def __init__(self, now=1_800_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


def put(client, token, irq, cpus, **extra):
    return client.put(f"/irqs/{irq}/cpu_affinity", json={"cpu_affinity_list": cpus, **extra},
                      headers=bearer(token))


@pytest.mark.parametrize("prefix", PREFIXES)
def test_an_accepted_write_is_listed_with_who_what_and_why(make_client, sim, prefix):
    clock = Clock()
    client, token, reader = make_client(sim.root, IRQ_CLOCK=clock)
    irq = nic(sim).irq
    before = client.get(f"/irqs/{irq}/cpu_affinity").get_json()
    answer = put(client, token, irq, "5", reason="plan 7f3a: move 1 of 3")
    assert answer.status_code == 200 and answer.get_json()["audited"] is True
    clock.now += 10
    unchanged = put(client, token, irq, "5", reason="again")  # no write: nothing to audit
    assert "audited" not in unchanged.get_json()
    body = client.get(prefix + "/affinity/changes", headers=bearer(reader)).get_json()
    assert body["truncated"] is False and len(body["changes"]) == 1
    change = body["changes"][0]
    assert change["irq"] == irq and change["who"] == "token:tester"
    assert change["reason"] == "plan 7f3a: move 1 of 3"
    assert change["old"] == {"cpu_affinity": before["cpu_affinity"],
                             "cpu_affinity_list": before["cpu_affinity_list"]}
    assert change["new"] == {"cpu_affinity": "20", "cpu_affinity_list": [5]}
    assert change["timestamp"] == 1_800_000_000.0 and change["time"] == "2027-01-15T08:00:00.000Z"


def test_the_window_picks_changes_by_time_oldest_first(make_client, sim):
    clock = Clock()
    client, token, _ = make_client(sim.root, IRQ_CLOCK=clock)
    irq = nic(sim).irq
    for k, cpu in enumerate((1, 2, 3, 4)):
        clock.now = 1_800_000_000.0 + 100 * k
        assert put(client, token, irq, str(cpu), reason=f"step {k}").status_code == 200
    window = client.get("/affinity/changes?start=1800000050&end=1800000250").get_json()
    assert [c["reason"] for c in window["changes"]] == ["step 1", "step 2"]
    last = client.get("/affinity/changes?period_seconds=150").get_json()  # ends now
    assert [c["reason"] for c in last["changes"]] == ["step 2", "step 3"]
    newest = client.get("/affinity/changes?limit=3").get_json()
    assert newest["truncated"] is True
    assert [c["new"]["cpu_affinity_list"] for c in newest["changes"]] == [[2], [3], [4]]
    everything = client.get("/affinity/changes").get_json()  # default: the whole log
    assert len(everything["changes"]) == 4


@pytest.mark.parametrize("query, field", [
    ("limit=0", "limit"), ("limit=10001", "limit"), ("start=yesterday", "start"),
    ("start=1800000100&end=1800000000", "end"), ("period_seconds=-1", "period_seconds")])
def test_a_bad_window_is_a_422_naming_the_field(make_client, sim, query, field):
    client, _, _ = make_client(sim.root)
    assert_problem(client.get("/affinity/changes?" + query), 422, field=field)


@pytest.mark.parametrize("reason", ["x" * 501, "two\nlines", "bell\x07", 42, "nel\x85",
                                    "rtl\u202eoverride", "line\u2028sep", "zero\u200bwidth",
                                    "private\ue000", "nonchar\uffff", "bom\ufeff"])
def test_a_bad_reason_is_refused_and_nothing_written(make_client, sim, reason):
    client, token, _ = make_client(sim.root)
    irq = nic(sim).irq
    path = sim.root / f"proc/irq/{irq}/smp_affinity"
    before = path.read_text()
    assert_problem(put(client, token, irq, "5", reason=reason), 422, field="reason")
    assert path.read_text() == before
    assert client.get("/affinity/changes").get_json()["changes"] == []


def test_the_journal_line_gains_the_reason_and_stays_as_it_was_without(make_client, sim,
                                                                        caplog):
    client, token, _ = make_client(sim.root)
    irq = nic(sim).irq
    with caplog.at_level(logging.INFO, logger="irq_server.audit"):
        put(client, token, irq, "5", reason="rebalance")
        put(client, token, irq, "6")
    assert f"affinity irq={irq} token=tester old=ff new=20 reason='rebalance'" in caplog.text
    assert caplog.text.rstrip().endswith(f"affinity irq={irq} token=tester old=20 new=40")


def test_the_log_is_bounded_by_age_and_by_count(tmp_path):
    clock = Clock()
    log = AuditLog(tmp_path, clock=clock, keep=1000.0, max_rows=150)
    for k in range(300):
        clock.now = 1_800_000_000.0 + k
        assert log.record(3, ("1", "0"), ("2", "1"), "token:t", None)
    kept, _ = log.between(0, 2e9)
    assert 150 <= len(kept) < 250 and kept[-1].time == clock.now  # purged every 100 records
    clock.now += 2000  # every row is now older than `keep`
    for _ in range(100):
        log.record(4, ("1", "0"), ("2", "1"), "token:t", None)
    kept, _ = log.between(0, 2e9)
    assert {c.irq for c in kept} == {4}


def test_a_store_that_cannot_take_the_record_keeps_the_write_and_says_so(make_client, sim,
                                                                          tmp_path, caplog):
    client, token, _ = make_client(sim.root)
    (tmp_path / "data" / "changes.sqlite3").mkdir()  # no file SQLite could open
    irq = nic(sim).irq
    with caplog.at_level(logging.ERROR):
        answer = put(client, token, irq, "5", reason="kept anyway")
    assert answer.status_code == 200
    assert answer.get_json()["changed"] is True and answer.get_json()["audited"] is False
    assert (sim.root / f"proc/irq/{irq}/smp_affinity").read_text().strip() == "20"
    assert f"the change of IRQ {irq} is not in the audit log" in caplog.text
    assert client.get("/affinity/changes").status_code == 503


def test_an_empty_reason_is_no_reason(make_client, sim):
    client, token, _ = make_client(sim.root)
    assert put(client, token, nic(sim).irq, "5", reason="").status_code == 200
    assert put(client, token, nic(sim).irq, "6", reason="ünïcødé — ✓ 中文").status_code == 200
    listed = client.get("/affinity/changes").get_json()["changes"]
    assert [c["reason"] for c in listed] == [None, "ünïcødé — ✓ 中文"]


@pytest.mark.parametrize("query", ["end=0001-01-02T00:00:00Z",
                                   "start=9999-12-30T00:00:00Z&period_seconds=315360000",
                                   "start=253402214400&period_seconds=315360000"])
def test_a_window_reaching_past_the_years_answers_can_name_is_clamped(make_client, sim, query):
    client, _, _ = make_client(sim.root)
    body = client.get("/affinity/changes?" + query).get_json()
    assert body["changes"] == [] and body["start"] <= body["end"]
    assert body["start"] >= "0001-01-02" and body["end"] <= "9999-12-31T00:00:00.000Z"


def test_a_start_in_the_future_without_an_end_is_refused(make_client, sim):
    client, _, _ = make_client(sim.root, IRQ_CLOCK=Clock())
    assert_problem(client.get("/affinity/changes?start=1900000000"), 400, field="start")
