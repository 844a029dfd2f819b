"""The runs methods, the record loop's parts (CPU meter, outbox) and `irq-client record`'s
argument checks: HTTP mocked with responses, /proc/stat from files."""
import io
import threading

import pytest
import requests
import responses
from client_payloads import URL
from irq_client.models import RunInterrupts
from irq_client.record import CpuMeter, Outbox
from responses import matchers

from irq_client import IrqClient, Run, TooManyRequests, cli, render

RUN = {"id": 7, "name": "make", "description": "make -j8", "threshold": 50.0, "host": "box",
       "active": False, "start_time": "2026-11-23T08:00:00.000Z",
       "end_time": "2026-11-23T08:00:10.000Z", "duration": 10.0,
       "time_above_threshold": 7.5, "samples": 20}


def client(**kwargs):
    return IrqClient(URL, **{"retries": 0, **kwargs})


def test_login_keeps_the_jwt_as_the_clients_token(mocked):
    mocked.post(f"{URL}/api/v1/auth", match=[matchers.json_params_matcher(
        {"username": "alice", "password": "pw"})], json={
        "token": "a.b.c", "token_type": "Bearer", "scope": "read",
        "expires_at": "2026-11-23T20:00:00.000Z"})
    mocked.get(f"{URL}/api/v1/test/7", json=RUN,
               match=[matchers.header_matcher({"Authorization": "Bearer a.b.c"})])
    c = client()
    token = c.login("alice", "pw")
    assert (token.scope, token.expires_at.hour) == ("read", 20)
    run = c.run(7)
    assert isinstance(run, Run) and run.time_above_threshold == 7.5 and not run.active


def test_repeated_failed_logins_raise_too_many_requests_with_retry_after(mocked):
    mocked.post(f"{URL}/api/v1/auth", status=429, headers={"Retry-After": "8"},
                content_type="application/problem+json",
                json={"title": "Too many attempts", "status": 429, "detail": "retry in 8 s"})
    with pytest.raises(TooManyRequests) as err:
        client().login("alice", "bad")
    assert err.value.retry_after == 8


def test_run_calls_send_only_the_given_fields(mocked):
    mocked.post(f"{URL}/api/v1/test", json=RUN, match=[matchers.json_params_matcher(
        {"name": "make", "threshold": 80.0, "host": "box", "start_time": "1795420800.5"})])
    mocked.post(f"{URL}/api/v1/test/7/usage", json={"id": 7, "above_threshold": True,
                                                    "time_above_threshold": 1.0},
                match=[matchers.json_params_matcher({"cpu_usage": 93.5})])
    mocked.post(f"{URL}/api/v1/test/7/stop", json=RUN,
                match=[matchers.json_params_matcher({"end_time": "1795420810"})])
    mocked.get(f"{URL}/api/v1/test", json={"runs": [RUN], "page": 2, "per_page": 5, "total": 6},
               match=[matchers.query_param_matcher({"page": "2", "per_page": "5"})])
    c = client(token="t")
    assert c.create_run("make", threshold=80.0, host="box", start_time=1795420800.5).id == 7
    assert c.add_usage(7, 93.5).above_threshold is True
    assert c.stop_run(7, end_time=1795420810).end_time.second == 10
    listing = c.runs(page=2, per_page=5)
    assert (listing.total, listing.runs[0].name) == (6, "make")


def write_stat(path, busy, idle):
    path.write_text(f"cpu  {busy} 0 0 {idle} 0 0 0 0 0 0\ncpu0 {busy} 0 0 {idle} 0 0 0 0 0 0\n")


def test_cpu_meter_is_busy_share_of_the_ticks_between_reads(tmp_path):
    stat = tmp_path / "stat"
    write_stat(stat, busy=100, idle=900)
    meter = CpuMeter(str(stat))
    write_stat(stat, busy=175, idle=925)  # 75 busy of 100 ticks
    assert meter.usage() == 75.0
    assert meter.usage() == 0.0  # no tick passed
    stat.write_text("cpu  200 0 0 925 100 0 0 0 0 0\n")  # iowait counts as idle
    assert meter.usage() == 20.0


def test_outbox_keeps_samples_while_the_server_is_away_and_warns_once():
    warnings = []
    delivered = []
    down = threading.Event()
    down.set()

    def usage(request):
        if down.is_set():
            raise requests.ConnectionError("connection refused")
        delivered.append(request.body)
        return 200, {}, '{"id": 7, "above_threshold": false, "time_above_threshold": 0}'

    with responses.RequestsMock() as mocked:
        mocked.add_callback(responses.POST, f"{URL}/api/v1/test/7/usage", callback=usage)
        box = Outbox(client(token="t"), 7, retry=0.05, warn=warnings.append)
        for i in range(5):
            box.put(1000.0 + i, float(i))
        threading.Timer(0.3, down.clear).start()
        assert box.close(timeout=5) == 0
    assert len(delivered) == 5
    assert [b'"timestamp": "100%d.0"' % i in body for i, body in enumerate(delivered)] == [True] * 5
    assert len([w for w in warnings if "cannot send usage" in w]) == 1
    assert any("sending 5 kept samples" in w for w in warnings)


def test_outbox_is_bounded_and_gives_up_at_the_timeout():
    with responses.RequestsMock() as mocked:
        mocked.add(responses.POST, f"{URL}/api/v1/test/7/usage",
                   body=requests.ConnectionError("refused"))
        box = Outbox(client(token="t"), 7, capacity=3, retry=0.05, warn=lambda _: None)
        for i in range(5):
            box.put(float(i), 1.0)
        assert box.close(timeout=0.3) == 3 and box.dropped == 2


def test_run_summary_shows_stats_and_busiest_irqs():
    interrupts = RunInterrupts.from_json({
        "id": 7, "host": "box", "start": "2026-11-23T08:00:00.000Z",
        "end": "2026-11-23T08:00:10.000Z", "period_duration_seconds": 10.0, "partial": False,
        "cpus": [0, 1], "num_interrupts_per_cpu": [30, 1200], "num_interrupts_all_cpus": 1230,
        "num_irqs": 2, "irqs": [
            {"irq_num": "24", "num_interrupts_per_cpu": [0, 1200], "num_interrupts": 1200,
             "rate_per_second": 120.0},
            {"irq_num": "9", "num_interrupts_per_cpu": [30, 0], "num_interrupts": 30,
             "rate_per_second": 3.0}]})
    text = render.run_summary(Run.from_json(RUN), interrupts)
    assert "run 7 (make): 10.00 s, 7.50 s above 50 % CPU (75 %), 20 samples" in text
    assert "busiest CPU 1 (1200)" in text
    assert text.splitlines()[-2].split() == ["24", "1200", "120.0", "1"]


@pytest.mark.parametrize("argv, message", [
    (["record"], "give a command after --"),
    (["record", "--no-command", "--", "make"], "give a command after --"),
    (["record", "--", "make"], "needs a token"),
])
def test_record_argument_errors_are_usage_errors(argv, message, capsys, monkeypatch):
    monkeypatch.delenv("IRQ_TOKEN", raising=False)
    assert cli.main(["--server", URL, *argv], out=io.StringIO()) == 2
    assert message in capsys.readouterr().err


def test_record_user_without_password_or_terminal_is_a_usage_error(capsys, monkeypatch):
    monkeypatch.delenv("IRQ_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert cli.main(["--server", URL, "record", "--user", "alice", "--", "true"]) == 2
    assert "IRQ_PASSWORD" in capsys.readouterr().err


def runs_cli(*argv):
    out = io.StringIO()
    return cli.main(["--server", URL, *argv], out=out), out.getvalue()


def test_runs_lists_the_callers_runs_as_a_table(mocked):
    mocked.get(f"{URL}/api/v1/test", json={"runs": [RUN], "page": 1, "per_page": 1, "total": 3},
               match=[matchers.query_param_matcher({"page": "1", "per_page": "1"}),
                      matchers.header_matcher({"Authorization": "Bearer t"})])
    code, out = runs_cli("--token", "t", "runs", "--per-page", "1")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split() == ["ID", "NAME", "HOST", "ACTIVE", "START", "(UTC)", "SECONDS",
                                "ABOVE", "SHARE", "THRESHOLD", "SAMPLES"]
    assert lines[1].split() == ["7", "make", "box", "no", "2026-11-23", "08:00:00", "10.0",
                                "7.5", "75", "%", "50", "20"]
    assert lines[2] == "runs 1-1 of 3, newest first (--page 2 for more)"


def test_runs_show_prints_the_run_and_its_busiest_irqs(mocked):
    mocked.get(f"{URL}/api/v1/test/7", json=RUN)
    mocked.get(f"{URL}/api/v1/test/7/interrupts", json={
        "id": 7, "host": "box", "start": "2026-11-23T08:00:00.000Z",
        "end": "2026-11-23T08:00:10.000Z", "period_duration_seconds": 10.0, "partial": False,
        "cpus": [0, 1], "num_interrupts_per_cpu": [30, 1200], "num_interrupts_all_cpus": 1230,
        "num_irqs": 1, "irqs": [{"irq_num": "24", "num_interrupts_per_cpu": [0, 1200],
                                 "num_interrupts": 1200, "rate_per_second": 120.0}]})
    code, out = runs_cli("--token", "t", "runs", "show", "7")
    assert code == 0
    assert "run:         7" in out and "description: make -j8" in out
    assert "above:       7.50 s above 50 % CPU (whole machine; 75 %)" in out
    assert "busiest CPU 1 (1200)" in out


def test_runs_stop_stops_and_says_so(mocked):
    mocked.post(f"{URL}/api/v1/test/7/stop", json=RUN)
    code, out = runs_cli("--token", "t", "runs", "stop", "7")
    assert code == 0 and out.startswith("run 7 stopped\nrun:") and "active:      no" in out


@pytest.mark.parametrize("argv, method, path", [
    (["runs", "show", "999"], "GET", "/api/v1/test/999"),
    (["runs", "stop", "999"], "POST", "/api/v1/test/999/stop")])
def test_an_unknown_run_exits_1_naming_its_id(mocked, capsys, argv, method, path):
    mocked.add(method, URL + path, status=404, json={"title": "Not found", "status": 404,
                                                     "detail": "no such thing"})
    assert runs_cli("--token", "t", *argv)[0] == 1
    assert capsys.readouterr().err == (f"irq-client: no run 999 on {URL} (irq-client runs "
                                       "lists yours)\n")


def test_stopping_a_stopped_run_exits_1_with_the_servers_reason(mocked, capsys):
    mocked.post(f"{URL}/api/v1/test/7/stop", status=409, json={
        "title": "Conflict", "status": 409, "detail": "run 7 is already stopped"})
    assert runs_cli("--token", "t", "runs", "stop", "7")[0] == 1
    assert "run 7: run 7 is already stopped" in capsys.readouterr().err


def test_runs_needs_a_token_or_a_user(capsys, monkeypatch):
    monkeypatch.delenv("IRQ_TOKEN", raising=False)
    assert runs_cli("runs")[0] == 2
    assert "runs needs a token: --user NAME" in capsys.readouterr().err


def test_runs_logs_in_with_user_given_before_or_after_the_action(mocked, monkeypatch):
    monkeypatch.delenv("IRQ_TOKEN", raising=False)
    monkeypatch.setenv("IRQ_PASSWORD", "pw")
    for _ in range(2):
        mocked.post(f"{URL}/api/v1/auth", match=[matchers.json_params_matcher(
            {"username": "alice", "password": "pw"})], json={
            "token": "a.b.c", "token_type": "Bearer", "scope": "read",
            "expires_at": "2026-11-23T20:00:00.000Z"})
        mocked.get(f"{URL}/api/v1/test/7", json={**RUN, "host": None},  # no interrupts asked
                   match=[matchers.header_matcher({"Authorization": "Bearer a.b.c"})])
    assert runs_cli("runs", "--user", "alice", "show", "7")[0] == 0
    assert runs_cli("runs", "show", "7", "--user", "alice")[0] == 0
