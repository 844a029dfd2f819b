"""--json prints what the server answered, from the one request the command made."""
import io
import json

import pytest
import responses
from client_payloads import (AFFINITY, CPU_POINTS, CPU_WINDOW, CPUS, CURRENT, IRQS, MEMORY_POINTS,
                             SOFTIRQS, SPAN, STORAGE_POINTS, URL, WINDOW, WINDOW_IRQS)
from responses import matchers

from irq_client import cli

RUN = {"id": 7, "name": "make", "description": "make -j8", "threshold": 50.0, "host": "box",
       "active": False, "start_time": "2026-11-23T08:00:00.000Z",
       "end_time": "2026-11-23T08:00:10.000Z", "duration": 10.0,
       "time_above_threshold": 7.5, "samples": 20, "a_field_added_later": [1, 2]}
RUNS = {"runs": [RUN], "page": 1, "per_page": 20, "total": 1}

# argv, the one route it asks, the server's answer (with a field no model knows: printed too)
CASES = [
    (["irqs"], "GET", "/irqs", {**IRQS, "extension": {"new": True}}),
    (["irqs", "-S"], "GET", "/softirqs", SOFTIRQS),
    (["irqs", "--sort", "delta"], "GET", "/irqs", IRQS),
    (["irq", "24"], "GET", "/irqs/24", {**IRQS["irqs"][0], "extension": 1}),
    (["cpus"], "GET", "/cpus", {**CPUS, "extension": "x"}),
    (["interrupts", "--period", "10"], "GET", "/interrupts", WINDOW),
    (["interrupts", "--cpu", "1"], "GET", "/interrupts/cpu/1", CPU_WINDOW),
    (["interrupts", "--per-irq"], "GET", "/interrupts/irqs", WINDOW_IRQS),
    (["affinity", "get", "24"], "GET", "/irqs/24/cpu_affinity", {**AFFINITY, "extension": 1}),
    (["--token", "t", "affinity", "set", "24", "--cpus", "1"], "PUT", "/irqs/24/cpu_affinity",
     {**AFFINITY, "changed": True}),
    (["cpu", "--period", "600"], "GET", "/cpu", CPU_POINTS),
    (["memory"], "GET", "/memory", MEMORY_POINTS),
    (["storage"], "GET", "/storage", STORAGE_POINTS),
    (["storage", "--all"], "GET", "/storage", {"/": STORAGE_POINTS, "/data": STORAGE_POINTS}),
    (["top", "--iterations", "1"], "GET", "/interrupts/irqs", WINDOW_IRQS),
    (["--token", "t", "runs"], "GET", "/api/v1/test", RUNS),
    (["--token", "t", "runs", "show", "7"], "GET", "/api/v1/test/7", RUN),
    (["--token", "t", "runs", "stop", "7"], "POST", "/api/v1/test/7/stop", RUN),
]


@pytest.mark.parametrize("argv, method, path, body", CASES,
                         ids=[" ".join(c[0]) for c in CASES])
def test_json_is_the_one_answer_the_command_asked_for(argv, method, path, body):
    with responses.RequestsMock() as mocked:  # every registered answer must be asked for
        mocked.add(method, URL + path, json=body)
        out = io.StringIO()
        assert cli.main(["--server", URL, "--json", *argv], out=out) == 0
        assert len(mocked.calls) == 1
    assert json.loads(out.getvalue()) == body


def test_usage_json_asks_each_route_once_and_embeds_current_as_answered():
    current = {**CURRENT, "added_later": {"x": 1}}
    with responses.RequestsMock() as mocked:
        mocked.get(f"{URL}/current", json=current)
        mocked.get(f"{URL}/cpu_average", json={"cpu_avg_usage": 20.0, **SPAN})
        mocked.get(f"{URL}/memory_average", json={"memory_avg_used_space": 3,
                                                  "memory_avg_free_space": 5, **SPAN})
        mocked.get(f"{URL}/storage_average", json={"disk_avg_used_space": 39, "mount": "/",
                                                   "disk_avg_free_space": 56, **SPAN},
                   match=[matchers.query_param_matcher({"period_seconds": "60.0",
                                                        "mount": "/"})])
        out = io.StringIO()
        assert cli.main(["--server", URL, "--json", "usage", "--period", "60"], out=out) == 0
        assert sorted(c.request.path_url.split("?")[0] for c in mocked.calls) == [
            "/cpu_average", "/current", "/memory_average", "/storage_average"]
    assert json.loads(out.getvalue()) == {
        "current": current, "period_seconds": 60.0, "cpu_avg_usage": 20.0,
        "memory_avg": {"used": 3, "free": 5}, "filesystems_avg": {"/": {"used": 39,
                                                                         "free": 56}}}


def test_record_json_is_the_stop_answer_not_a_second_request(capsys, monkeypatch):
    monkeypatch.setattr("socket.gethostname", lambda: "box")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        mocked.post(f"{URL}/api/v1/test", json={**RUN, "active": True, "end_time": None})
        mocked.post(f"{URL}/api/v1/test/7/usage", json={"id": 7, "above_threshold": False,
                                                        "time_above_threshold": 0.0})
        mocked.post(f"{URL}/api/v1/test/7/stop", json=RUN)
        mocked.get(f"{URL}/api/v1/test/7/interrupts", status=409, json={
            "title": "Conflict", "status": 409, "detail": "another host"})
        code = cli.main(["--server", URL, "--token", "t", "-J", "record", "--", "true"],
                        out=io.StringIO())
        asked = [(c.request.method, c.request.path_url) for c in mocked.calls]
    assert code == 0
    assert ("GET", "/api/v1/test/7") not in asked
    err = capsys.readouterr().err
    assert json.loads(err[err.index("{"):]) == {"run": RUN}
