"""irq-balance command against mocked hosts: text and JSON, fleets, exit codes."""
import io
import json
import re

import pytest
import requests
import responses

from irqbalance import cli

A, B = "http://a.test:5000", "http://b.test:5000"


def host_json(running=False, banned_irqs=()):
    return {"hostname": "h", "kernel_release": "6.1", "boot_time": None, "simulated": True,
            "irqbalance": {"running": running, "pid": 812 if running else None,
                           "banned_cpus": [], "banned_irqs": list(banned_irqs), "config": None,
                           "problems": []}}


def host_payloads(url, rsps, on_cpu=0, host=None, landing=None, costs=None, source="thread"):
    """A 4-CPU host whose 8 IRQs all land on `on_cpu` at 1000/s each; `landing` (IRQ -> CPU,
    read at each request) says where the listing shows them delivered now; `costs`: each
    IRQ's microseconds per interrupt, as the server's `source` tier reports them."""
    rsps.get(f"{url}/host", json=host or host_json())

    def listing(request):
        irqs = [{"irq_num": str(30 + i), "irq_type": "IR-PCI-MSI-edge",
                 "device_name": f"eth0-TxRx-{i}", "cpu_affinity": "f",
                 "num_interrupts_per_cpu": [0, 0, 0, 0], "total": 0, "chip": "IR-PCI-MSI",
                 "hwirq": i, "trigger": "edge", "node": None, "cpu_affinity_list": [0, 1, 2, 3],
                 "effective_affinity_list": [(landing or {}).get(30 + i, on_cpu)],
                 "affinity_hint": None, "managed": False, "actions": [f"eth0-TxRx-{i}"]}
                for i in range(8)]
        return 200, {}, json.dumps({"cpus": [0, 1, 2, 3], "irqs": irqs, "other": [],
                                    "totals": {"num_interrupts_all_cpus": 0,
                                               "num_interrupts_per_cpu": [0, 0, 0, 0]}})
    rsps.add_callback(responses.GET, f"{url}/irqs", callback=listing)
    rsps.get(f"{url}/cpus", json={"cpus": [{"cpu": c, "online": True, "node": 0, "package": 0,
                                            "core": c, "cache_cpus": [0, 1, 2, 3],
                                            "isolated": False, "nohz_full": False}
                                           for c in range(4)]})
    per_cpu = [60000 if c == on_cpu else 0 for c in range(4)]
    irqs = [{"irq_num": str(30 + i), "num_interrupts_per_cpu": per_cpu,
             "num_interrupts": 60000, "rate_per_second": 1000.0} for i in range(8)]
    window = {"start": "2026-11-23T08:00:00Z", "end": "2026-11-23T08:01:00Z",
              "period_duration_seconds": 60.0, "partial": False, "cpus": [0, 1, 2, 3],
              "irqs": irqs}
    if costs is not None:
        for entry, cost in zip(irqs, costs):
            entry.update(cost_source=source if cost is not None else "none",
                         cost_us_per_interrupt=cost, cost_us_range=None,
                         cpu_seconds=cost * 60000 / 1e6 if cost is not None else None)
        window["cost"] = {"sources": {source: 8}, "accounted": ["irq", "softirq"],
                          "estimate_windows": 0, "unidentified": [],
                          "base_seconds_per_cpu": [0.6, 0.0, 0.0, 0.0], "note": "-"}
    rsps.get(f"{url}/interrupts/irqs", json=window)


def run(*argv, state_dir):
    out = io.StringIO()
    code = cli.main([*argv, "--state-dir", str(state_dir)], out=out)
    return code, out.getvalue()


def test_plan_explains_each_move(tmp_path):
    with responses.RequestsMock() as rsps:
        host_payloads(A, rsps)
        code, out = run("plan", "--server", A, state_dir=tmp_path)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"== {A}"
    assert lines[1] == "objective: count (the host reports no IRQ costs)"
    assert lines[2].split() == ["IRQ", "RATE", "FROM", "TO", "WHY"]
    assert len([l for l in lines if "CPU 0 carries 8000/s" in l]) == 6
    assert "busiest CPU: 8000/s now, 2000/s after; lower bound 2000/s" in out
    assert "max/bound 4.00 -> 1.00" in out


def test_plan_json_for_a_fleet_with_one_host_down(tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        host_payloads(A, rsps)
        for path in ("irqs", "cpus", "interrupts/irqs"):
            rsps.get(f"{B}/{path}", body=requests.exceptions.ConnectionError("Connection refused"))
        code, out = run("plan", "--json", "--server", A, "--server", B, state_dir=tmp_path)
    assert code == 1
    hosts = {h["server"]: h for h in json.loads(out)}
    assert hosts[A]["ok"] and len(hosts[A]["plan"]["moves"]) == 6
    assert hosts[A]["plan"]["ratio_after"] == 1.0
    assert not hosts[B]["ok"] and "cannot reach" in hosts[B]["error"]


def test_balanced_host_plans_nothing(tmp_path):
    with responses.RequestsMock() as rsps:
        host_payloads(A, rsps, landing={30 + i: i % 4 for i in range(8)})
        rsps.replace(responses.GET, f"{A}/interrupts/irqs", json={
            "start": "2026-11-23T08:00:00Z", "end": "2026-11-23T08:01:00Z",
            "period_duration_seconds": 60.0, "partial": False, "cpus": [0, 1, 2, 3],
            "irqs": [{"irq_num": str(30 + i),
                      "num_interrupts_per_cpu": [60000 if c == i % 4 else 0 for c in range(4)],
                      "num_interrupts": 60000, "rate_per_second": 1000.0} for i in range(8)]})
        code, out = run("plan", "--server", A, state_dir=tmp_path)
    assert code == 0 and "no moves: balanced" in out


def test_rollback_with_nothing_journaled(tmp_path):
    code, out = run("rollback", "--server", A, state_dir=tmp_path)
    assert code == 0 and "nothing to roll back" in out


@pytest.mark.parametrize("argv", [["plan", "--banned-cpus", "3-1"], ["plan", "--min-gain", "2"],
                                  ["plan", "--period", "0"], ["nosuch"],
                                  ["watch", "--interval", "-1"]])
def test_usage_errors_exit_2(argv, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        run(*argv, state_dir=tmp_path)
    assert exit_.value.code == 2


def test_max_moves_must_be_positive(tmp_path, capsys):
    assert run("plan", "--max-moves", "0", state_dir=tmp_path)[0] == 2
    assert "--max-moves" in capsys.readouterr().err


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "irq-balance rollback --server" in capsys.readouterr().out


def test_watch_applies_waits_for_it_to_settle_then_stays_quiet(tmp_path):
    """Round 1 applies (journaled, verified); round 2 comes before the apply has settled and
    measures nothing; round 3 measures only the time since, and finds the host balanced."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        moved = {}
        host_payloads(A, rsps, landing=moved)

        def put(request):
            irq = int(request.url.rsplit("/", 2)[-2])
            cpu = int(json.loads(request.body)["cpu_affinity_list"])
            moved[irq] = cpu
            return 200, {}, json.dumps({"irq_num": str(irq), "cpu_affinity": format(1 << cpu, "x"),
                                        "cpu_affinity_list": [cpu], "changed": True,
                                        "effective_affinity_list": [cpu], "managed": False})
        rsps.add_callback(responses.PUT, re.compile(f"{A}/irqs/\\d+/cpu_affinity"), callback=put)
        rsps.add_callback(responses.GET, re.compile(f"{A}/irqs/\\d+/cpu_affinity"),
                          callback=lambda r: (200, {}, json.dumps({
                              "irq_num": "0", "cpu_affinity": "f", "cpu_affinity_list": [0, 1, 2, 3],
                              "effective_affinity_list": [0], "managed": False})))
        first_window = next(r for r in rsps.registered() if r.url.endswith("/interrupts/irqs"))
        ends = iter(range(60, 6000, 60))  # each round's windows end a minute later
        asked, end_of = [], [0]

        def window(request):
            start = request.params.get("start")
            end = next(ends) if start is None else end_of[0]
            end_of[0] = end
            asked.append(start)
            seconds = 60.0 if start is None else end - (int(start[14:16]) * 60 + int(start[17:19]))
            return 200, {}, json.dumps({
                "start": "2026-11-23T08:00:00Z" if start is None else start,
                "end": f"2026-11-23T08:{end // 60:02d}:00Z",
                "period_duration_seconds": seconds, "partial": False, "cpus": [0, 1, 2, 3],
                "irqs": [{"irq_num": str(30 + i), "num_interrupts_per_cpu":
                          [1000 * seconds if c == moved.get(30 + i, 0) else 0 for c in range(4)],
                          "num_interrupts": 1000 * seconds, "rate_per_second": 1000.0}
                         for i in range(8)]})
        rsps.remove(first_window)
        rsps.add_callback(responses.GET, f"{A}/interrupts/irqs", callback=window)
        rsps.get(f"{A}/healthz", json={  # newest sample when the apply ended: 08:01:00
            "status": "ok", "version": "t", "simulated": True, "reasons": [], "reason": None,
            "sampler": {"last_sample": "2026-11-23T08:01:00Z", "interval_seconds": 45,
                        "stale": False}})
        code, out = run("watch", "--server", A, "--token", "t", "--interval", "0.01",
                        "--iterations", "3", state_dir=tmp_path)
    assert code == 0
    first, second, third = out.split(f"== {A}")[1:]
    assert "applied 6 move(s), verified by read-back" in first
    assert "no moves: the last apply settles at 08:02:30 UTC: no sample after it yet" in second
    assert "measured the 30 s since the last apply settled" in third
    assert "no moves: balanced" in third
    assert asked == [None, None, None, "2026-11-23T08:02:30Z"]


def test_irqs_moved_less_than_min_dwell_ago_stay(tmp_path):
    """An apply moves 6 of 8 IRQs; something puts them back on CPU 0: within --min-dwell the
    next plan leaves those 6 there, and says so; with --min-dwell 0 it moves them again."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        host_payloads(A, rsps)
        rsps.add_callback(responses.GET, re.compile(f"{A}/irqs/\\d+/cpu_affinity"),
                          callback=lambda r: (200, {}, json.dumps({
                              "irq_num": "0", "cpu_affinity": "f", "cpu_affinity_list": [0, 1, 2, 3],
                              "effective_affinity_list": [0], "managed": False})))
        rsps.add_callback(responses.PUT, re.compile(f"{A}/irqs/\\d+/cpu_affinity"),
                          callback=lambda r: (200, {}, json.dumps({
                              "irq_num": "0", "cpu_affinity": "x", "changed": True,
                              "cpu_affinity_list": [int(json.loads(r.body)["cpu_affinity_list"])],
                              "effective_affinity_list": [0], "managed": False})))
        rsps.get(f"{A}/healthz", json={
            "status": "ok", "version": "t", "simulated": True, "reasons": [], "reason": None,
            "sampler": {"last_sample": None, "interval_seconds": 1, "stale": False}})
        assert run("apply", "--server", A, "--token", "t", state_dir=tmp_path)[0] == 0
        code, out = run("plan", "--server", A, "--json", state_dir=tmp_path)
        held = json.loads(out)[0]["plan"]
        moved = {m["irq"] for m in held["moves"]}
        assert code == 0 and len(held["held_irqs"]) == 6 and not moved & set(held["held_irqs"])
        assert len(moved) == 2  # the two the apply had left on CPU 0 may move
        assert "6 IRQ(s) moved less than --min-dwell ago stay put" in held["note"]
        code, out = run("plan", "--server", A, "--min-dwell", "0", state_dir=tmp_path)
        assert code == 0 and "busiest CPU: 8000/s now, 2000/s after" in out


def test_a_host_running_irqbalance_is_refused_unless_forced_and_plan_warns(tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        host_payloads(A, rsps, host=host_json(running=True, banned_irqs=[30]))
        code, out = run("apply", "--server", A, "--token", "t", state_dir=tmp_path)
        assert code == 1 and "irqbalance daemon runs on this host (pid 812)" in out
        assert "systemctl disable --now irqbalance" in out and "--force" in out
        assert not [c for c in rsps.calls if c.request.method == "PUT"]
        code, out = run("plan", "--server", A, "--json", state_dir=tmp_path)
        (host,) = json.loads(out)
        assert code == 0 and "irqbalance daemon runs" in host["warnings"][0]
        assert 30 in host["plan"]["fixed_irqs"]  # its --banirq is honoured
        assert 30 not in {m["irq"] for m in host["plan"]["moves"]}


def test_a_server_without_the_host_route_is_still_balanced(tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        host_payloads(A, rsps)
        rsps.replace(responses.GET, f"{A}/host", status=404, json={
            "title": "Not Found", "status": 404, "detail": "no such route"})
        code, out = run("plan", "--server", A, state_dir=tmp_path)
    assert code == 0 and "busiest CPU: 8000/s now, 2000/s after" in out


def test_version_and_a_server_without_scheme(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.startswith("irq-balance 0.")
    assert cli.main(["plan", "--server", "db7:5000"]) == 2
    assert "use http://db7:5000" in capsys.readouterr().err


def test_a_host_answering_nonsense_fails_alone_and_the_summary_still_comes(tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        host_payloads(A, rsps)
        for path in ("host", "irqs", "cpus", "interrupts/irqs"):
            rsps.get(f"{B}/{path}", json={"status": "ok"})  # not an irq-server
        code, out = run("plan", "--json", "--server", A, "--server", B, state_dir=tmp_path)
    assert code == 1
    hosts = {h["server"]: h for h in json.loads(out)}
    assert hosts[A]["ok"] and not hosts[B]["ok"]
    assert "answered what no irq-server would" in hosts[B]["error"]


def test_plan_help_names_the_default_target_and_the_token_it_needs(capsys):
    with pytest.raises(SystemExit):
        cli.main(["plan", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "http://127.0.0.1:5000" in text
    assert "plan only reads: a read token does, or none" in text
    assert "--token TOKEN write token" not in text
    with pytest.raises(SystemExit):
        cli.main(["watch", "--help"])
    assert "seconds between runs (default 60.0)" in " ".join(capsys.readouterr().out.split())


def test_without_server_or_partition_it_plans_the_local_default(tmp_path, monkeypatch):
    monkeypatch.delenv("IRQ_SERVER_URL", raising=False)
    local = "http://127.0.0.1:5000"
    with responses.RequestsMock() as rsps:
        host_payloads(local, rsps)
        code, out = run("plan", state_dir=tmp_path)
    assert code == 0 and out.startswith(f"== {local}\n")


@pytest.mark.parametrize("argv, said", [
    (["plan", "--registry", "http://reg.test:5100"], "--registry needs --partition NAME"),
    (["apply", "--registry=http://reg.test:5100"], "--registry needs --partition NAME"),
    (["plan", "--regis", "http://reg.test:5100"], "--registry needs --partition NAME"),
    (["apply"], "apply changes IRQ affinity: name the host"),
    (["rollback"], "rollback changes IRQ affinity: name the host"),
    (["watch", "--iterations", "1"], "watch changes IRQ affinity: name the host")])
def test_what_writes_or_names_a_registry_must_name_its_hosts(tmp_path, monkeypatch, capsys,
                                                              argv, said):
    monkeypatch.delenv("IRQ_SERVER_URL", raising=False)
    monkeypatch.delenv("IRQ_REGISTRY_URL", raising=False)
    with responses.RequestsMock():  # nothing registered: any request would fail the test
        code, _ = run(*argv, state_dir=tmp_path)
    assert code == 2 and said in capsys.readouterr().err


def test_apply_takes_its_host_from_the_environment(tmp_path, monkeypatch):
    host = "http://env.test:5000"
    monkeypatch.setenv("IRQ_SERVER_URL", host)
    with responses.RequestsMock() as rsps:
        host_payloads(host, rsps)
        code, out = run("plan", state_dir=tmp_path)
    assert code == 0 and host in out


def test_a_host_with_no_cpu_left_fails_instead_of_saying_balanced(tmp_path):
    with responses.RequestsMock() as rsps:
        host_payloads(A, rsps)
        code, out = run("plan", "--server", A, "--banned-cpus", "0-3", state_dir=tmp_path)
    assert code == 1 and "no CPU is left to place IRQs on" in out and "balanced" not in out


def test_bans_naming_what_the_host_lacks_are_warned_per_host(tmp_path):
    with responses.RequestsMock() as rsps:
        host_payloads(A, rsps)
        code, out = run("plan", "--server", A, "--banned-cpus", "3-999", "--ban-irq", "99999",
                        "--ban-irq", "31", state_dir=tmp_path)
    assert code == 0
    assert "warning: --banned-cpus: this host has no CPU 4-999 (CPUs 0-3)" in out
    assert "warning: --ban-irq: this host has no IRQ 99999" in out and "IRQ 31" not in out


EXPENSIVE_AND_CHEAP = [40.0] * 4 + [2.0] * 4  # us an interrupt: NIC-like and NVMe-like


def test_plan_evens_out_interrupt_time_where_the_host_knows_costs(tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        host_payloads(A, rsps, costs=EXPENSIVE_AND_CHEAP)
        code, out = run("plan", "--server", A, state_dir=tmp_path)
        assert code == 0 and out.splitlines()[1] == "objective: time (thread)"
        # CPU 0: 4 x 40 + 4 x 2 ms/s + 10 ms/s of base (0.6 s over 60 s) = 17.8 %; after, one
        # expensive IRQ per CPU (CPU 0 keeps one, beside its base: 5.0 %), the cheap ones on
        # the other three: more interrupts there, less time
        assert "busiest CPU: 17.8% CPU now, 5.0% CPU after" in out
        assert "in interrupts: busiest CPU 8000/s now, 3000/s after" in out
        assert "CPU 0 spends 17.8% CPU" in out
        code, out = run("plan", "--server", A, "--json", state_dir=tmp_path)
        (host,) = json.loads(out)
        assert host["objective"] == {"unit": "time", "source": "thread", "load_unit": "us/s",
                                     "why": "objective: time (thread)"}
        assert host["busiest"]["time"]["after"] == pytest.approx(50000.0)
        assert host["busiest"]["count"] == {"before": 8000.0, "after": 3000.0}
        expensive = {m["irq"]: m["new_cpus"][0] for m in host["plan"]["moves"] if m["irq"] < 34}
        assert len(expensive) == 3 and set(expensive.values()) == {1, 2, 3}


def test_objective_count_on_a_host_with_costs_still_shows_the_time(tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        host_payloads(A, rsps, costs=EXPENSIVE_AND_CHEAP, source="estimate")
        code, out = run("plan", "--server", A, "--objective", "count", state_dir=tmp_path)
    assert code == 0 and "objective: count (--objective count)" in out
    assert "busiest CPU: 8000/s now, 2000/s after" in out
    assert "in CPU time: busiest CPU 17.8% CPU now" in out


def test_objective_time_needs_costs_and_auto_falls_back_to_counts(tmp_path):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        host_payloads(A, rsps)
        code, out = run("plan", "--server", A, "--objective", "time", state_dir=tmp_path)
        assert code == 1 and "this host reports no IRQ costs" in out
    partly = [40.0, None, None, None, None, None, None, None]  # 1 of 8: too few known
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        host_payloads(A, rsps, costs=partly, source="estimate")
        code, out = run("plan", "--server", A, state_dir=tmp_path)
    assert code == 0 and "objective: count (costs known for only 12% of the interrupts)" in out
