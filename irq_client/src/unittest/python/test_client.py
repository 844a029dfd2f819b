"""IrqClient against mocked HTTP (responses): every method, every error, retries."""
import http.server
import json
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import irq_client.cli
import pytest
import requests
import responses
from client_payloads import (AFFINITY, CPU_POINTS, CPU_WINDOW, CPUS, CURRENT, HEALTH, HISTORY, IRQS,
                             MEMORY_POINTS, STORAGE_POINTS, URL, WINDOW, WINDOW_IRQS, problem)
from responses import matchers

import irq_client
from irq_client import (ApiError, BadRequest, Conflict, Forbidden, IrqClient, NotFound, ServerError,
                        TransportError, Unauthorized, Window)


def client(**kwargs):
    return IrqClient(URL, **{"retries": 0, **kwargs})


def test_public_surface_is_explicit():
    assert sorted(irq_client.__all__) == sorted([
        "Affinity", "AffinityChange", "ApiError", "BadRequest", "ChangeList", "Conflict", "Cpu",
        "CpuUsage", "CpuWindow", "Current", "Forbidden", "Health", "History", "HostStatus", "InterruptWindow", "Irq",
        "IrqClient", "IrqClientError", "IrqList", "IrqRate", "IrqWindow", "Items", "MemoryPoint",
        "NotFound", "OtherRow", "PartitionSummary", "RegistryClient", "RegistryEntry",
        "RegistryHealth", "RegistryState", "Run", "RunInterrupts", "RunList", "Sampler",
        "ServerError", "SoftirqRate", "SoftirqWindow", "Span", "SpaceAverage", "StoragePoint",
        "Token", "TooManyRequests", "TransportError", "Unauthorized", "UsageRecorded", "Window"])
    for name in irq_client.__all__:
        assert hasattr(irq_client, name)


def test_never_imports_the_server():
    code = "import sys, irq_client, irq_client.cli; print(any(m.startswith('irq_server') " \
           "for m in sys.modules))"
    src = str(Path(irq_client.__file__).parents[1])  # only the client on the path
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": src}).stdout.strip()
    assert out == "False"


def test_irqs_are_typed(mocked):
    mocked.get(f"{URL}/irqs", json=IRQS)
    listing = client().irqs()
    assert listing.cpus == (0, 1) and listing.num_interrupts_all_cpus == 1500
    irq = listing.irqs[0]
    assert isinstance(irq, irq_client.Irq) and irq.irq == 24 and irq.total == 1000
    assert irq.num_interrupts_per_cpu == (1000, 0) and irq.cpu_affinity_list == (0, 1)
    assert irq.effective_affinity_list == (0,) and irq.managed is False and irq.node == 0
    assert listing.irqs[1].affinity_hint is None and listing.irqs[1].managed is None
    assert listing.other[1].num_interrupts_per_cpu is None
    with pytest.raises(AttributeError):
        irq.total = 5  # frozen


def test_one_irq_cpus_health_history(mocked):
    mocked.get(f"{URL}/irqs/24", json=IRQS["irqs"][0])
    mocked.get(f"{URL}/cpus", json=CPUS)
    mocked.get(f"{URL}/healthz", json=HEALTH)
    mocked.get(f"{URL}/history", json=HISTORY)
    c = client()
    assert c.irq(24).device_name == "eth0-TxRx-0"
    cpus = c.cpus()
    assert cpus[1].isolated and cpus[1].cache_cpus == (0, 1)
    health = c.health()
    assert health.sampler.last_sample == datetime(2026, 11, 23, 8, 1, tzinfo=timezone.utc)
    history = c.history()
    assert history.samples == 3600 and history.oldest.hour == 7


def test_windows_send_the_right_query(mocked):
    mocked.get(f"{URL}/interrupts", json=WINDOW,
               match=[matchers.query_param_matcher({"period_seconds": "10"})])
    mocked.get(f"{URL}/interrupts/cpu/1", json=CPU_WINDOW,
               match=[matchers.query_param_matcher({"start": "2026-11-23T08:00:00Z",
                                                    "end": "1795424460"})])
    mocked.get(f"{URL}/interrupts/irqs", json=WINDOW_IRQS,
               match=[matchers.query_param_matcher({"period_seconds": "60"})])
    c = client()
    window = c.interrupts(window=Window(period=10))
    assert window.num_interrupts_per_cpu == (600, 30) and window.span.period_duration_seconds == 60
    cpu = c.interrupts_cpu(1, Window(start=datetime(2026, 11, 23, 8, tzinfo=timezone.utc),
                                     end=1795424460))
    assert cpu.cpu == 1 and cpu.num_interrupts == 30
    rates = c.interrupts_irqs(60)  # a number is a period
    assert rates.irqs[0].irq == 24 and rates.irqs[0].rate_per_second == 10.0


@pytest.mark.parametrize("cpus,body", [("2", {"cpu_affinity_mask": "2"}),
                                       ([1], {"cpu_affinity_list": "1"}),
                                       ([3, 2, 2], {"cpu_affinity_list": "2,3"}),
                                       (range(2), {"cpu_affinity_list": "0,1"})])
def test_set_affinity_from_mask_or_cpus(mocked, cpus, body):
    mocked.put(f"{URL}/irqs/24/cpu_affinity", json={**AFFINITY, "changed": True},
               match=[matchers.json_params_matcher(body),
                      matchers.header_matcher({"Authorization": "Bearer sekrit"})])
    state = client(token="sekrit").set_affinity(24, cpus)
    assert state.cpu_affinity_list == (1,) and state.changed is True


def test_affinity_get(mocked):
    mocked.get(f"{URL}/irqs/24/cpu_affinity", json=AFFINITY)
    assert client().affinity(24).effective_affinity_list == (1,)


def test_openapi(mocked):
    mocked.get(f"{URL}/openapi.json", json={"openapi": "3.0.3", "paths": {}})
    assert client().openapi()["openapi"] == "3.0.3"


def test_token_and_server_from_environment(mocked, monkeypatch):
    monkeypatch.setenv("IRQ_SERVER_URL", "http://env.test:7000/")
    monkeypatch.setenv("IRQ_TOKEN", "from-env")
    mocked.get("http://env.test:7000/healthz", json=HEALTH,
               match=[matchers.header_matcher({"Authorization": "Bearer from-env"})])
    c = IrqClient(retries=0)
    assert c.base_url == "http://env.test:7000" and c.health().status == "ok"


@pytest.mark.parametrize("status,cls", [(400, BadRequest), (405, BadRequest),
                                        (422, BadRequest), (401, Unauthorized),
                                        (403, Forbidden), (404, NotFound), (409, Conflict),
                                        (418, ApiError), (500, ServerError),
                                        (503, ServerError)])
def test_each_status_maps_to_its_exception(mocked, status, cls):
    mocked.put(f"{URL}/irqs/24/cpu_affinity", status=status,
               json=problem(status, "Nope", "because", {"cpu_affinity_list": ["bad"]}),
               content_type="application/problem+json")
    with pytest.raises(cls) as err:
        client().set_affinity(24, [1])
    e = err.value
    assert type(e) is cls and e.status == status and e.title == "Nope" and e.detail == "because"
    assert e.errors == {"cpu_affinity_list": ["bad"]}
    assert e.method == "PUT" and e.url == f"{URL}/irqs/24/cpu_affinity"


def test_error_without_problem_body(mocked):
    mocked.get(f"{URL}/irqs", status=502, body="<html>bad gateway</html>")
    with pytest.raises(ServerError) as err:
        client().irqs()
    assert "bad gateway" in err.value.detail


def test_connection_refused_and_timeout_are_transport_errors(mocked):
    mocked.get(f"{URL}/irqs", body=requests.exceptions.ConnectionError("Connection refused"))
    mocked.get(f"{URL}/cpus", body=requests.exceptions.ConnectTimeout("slow"))
    with pytest.raises(TransportError) as err:
        client().irqs()
    assert URL in str(err.value) and "connection refused" in str(err.value)
    assert err.value.method == "GET"
    with pytest.raises(TransportError) as err:
        client().cpus()
    assert "timed out" in str(err.value)


def test_get_retries_503_503_then_succeeds(mocked):
    for _ in range(2):
        mocked.get(f"{URL}/irqs", status=503, json=problem(503, "Busy", "later"))
    mocked.get(f"{URL}/irqs", json=IRQS)
    assert IrqClient(URL, retries=3).irqs().num_interrupts_all_cpus == 1500
    assert len(mocked.calls) == 3


def test_put_retries_429_and_gives_up_after_the_budget(mocked):
    for _ in range(3):
        mocked.put(f"{URL}/irqs/24/cpu_affinity", status=429, json=problem(429, "Slow", "down"))
    with pytest.raises(ApiError) as err:
        IrqClient(URL, retries=2, token="t").set_affinity(24, [1])
    assert err.value.status == 429 and len(mocked.calls) == 3


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_4xx_is_never_retried(mocked, status):
    mocked.put(f"{URL}/irqs/24/cpu_affinity", status=status, json=problem(status, "No", "no"))
    with pytest.raises(ApiError):
        IrqClient(URL, retries=3, token="t").set_affinity(24, [1])
    assert len(mocked.calls) == 1


def test_post_like_calls_are_not_retried_on_503(mocked):
    mocked.post(f"{URL}/irqs", status=503, json=problem(503, "Busy", "x"))
    with pytest.raises(ServerError):
        IrqClient(URL, retries=3).request("POST", "/irqs")
    assert len(mocked.calls) == 1


def test_default_timeout_is_always_set(mocked):
    seen = []
    mocked.add_callback(responses.GET, f"{URL}/healthz",
                        callback=lambda req: (200, {}, json.dumps(HEALTH)))
    original = requests.Session.request

    def spy(self, method, url, **kwargs):
        seen.append(kwargs.get("timeout"))
        return original(self, method, url, **kwargs)
    session = requests.Session()
    session.request = spy.__get__(session)
    IrqClient(URL, session=session, retries=0).health()
    assert seen == [5.0]


class FlakyHandler(http.server.BaseHTTPRequestHandler):
    """Answers 503 with Retry-After once, then 200."""
    hits: list = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        FlakyHandler.hits.append(time.monotonic())
        if len(FlakyHandler.hits) == 1:
            self.send_response(503)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Type", "application/problem+json")
            body = b'{"title":"Busy","status":503,"detail":"later"}'
        else:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            body = json.dumps(HEALTH).encode()
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_retry_after_is_honoured_on_a_real_socket():
    server = http.server.HTTPServer(("127.0.0.1", 0), FlakyHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    FlakyHandler.hits = []
    try:
        c = IrqClient(f"http://127.0.0.1:{server.server_port}", retries=2)
        assert c.health().status == "ok"
    finally:
        server.shutdown()
    assert len(FlakyHandler.hits) == 2
    assert FlakyHandler.hits[1] - FlakyHandler.hits[0] >= 0.95  # waited as told, not backoff


def test_usage_series_and_averages_are_typed(mocked):
    mocked.get(f"{URL}/cpu", json=CPU_POINTS, match=[matchers.query_param_matcher(
        {"period_seconds": "600", "points": "2", "per_cpu": "true"})])
    points = client().cpu(600, points=2, per_cpu=True)
    assert [p.usage for p in points] == [25.0, 75.0] and points[0].shares["iowait"] == 5.0
    assert points[1].taken_at == datetime(2026, 11, 23, 8, 0, 2, tzinfo=timezone.utc)
    assert [(c.cpu, c.usage) for c in points[1].per_cpu] == [(0, 90.0), (1, 60.0)]
    mocked.get(f"{URL}/cpu_average", json={"cpu_avg_usage": 50.0, "start": None, "end": None})
    assert client().cpu_average() == 50.0
    mocked.get(f"{URL}/memory", json=MEMORY_POINTS)
    memory = client().memory(3600)[0]
    assert (memory.used, memory.free, memory.total) == (3 << 30, 5 << 30, 8 << 30)
    mocked.get(f"{URL}/memory_average", json={"memory_avg_used_space": None,
                                              "memory_avg_free_space": None,
                                              "start": None, "end": None})
    assert client().memory_average().used is None  # before the first sample
    mocked.get(f"{URL}/storage", json=STORAGE_POINTS,
               match=[matchers.query_param_matcher({"mount": "/data"})])
    assert client().storage(mount="/data")[0].size == 100 << 30
    mocked.get(f"{URL}/storage", json={"/": STORAGE_POINTS},
               match=[matchers.query_param_matcher({"all": "true"})])
    assert client().storage_all()["/"][0].free == 55 << 30
    mocked.get(f"{URL}/storage_average", json={"disk_avg_used_space": 1, "mount": "/",
                                               "disk_avg_free_space": 2, "start": None,
                                               "end": None})
    average = client().storage_average()
    assert (average.used, average.free, average.mount) == (1, 2, "/")


def test_current_is_typed_and_an_unknown_mount_is_not_found(mocked):
    mocked.get(f"{URL}/current", json=CURRENT)
    now = client().current()
    assert now.cpu_usage == 12.5 and now.cpu.shares["irq"] == 0.5
    assert now.filesystems["/"]["used"] == now.used_disk
    mocked.get(f"{URL}/storage_average", status=404, json=problem(
        404, "Not found", "no tracked filesystem is mounted at '/x'", {"mount": ["unknown"]}),
        content_type="application/problem+json")
    with pytest.raises(NotFound) as caught:
        client().storage_average(mount="/x")
    assert "mount" in caught.value.errors


def test_requests_say_who_sends_them(mocked):
    mocked.get(f"{URL}/healthz", json=HEALTH, match=[matchers.header_matcher(
        {"User-Agent": f"irq-client/{irq_client.__version__}"})])
    assert IrqClient(URL, retries=0).health().status == "ok"


def test_metrics_is_the_text_exposition(mocked):
    body = "# TYPE irq_cpu_interrupts_total counter\nirq_cpu_interrupts_total{cpu=\"0\"} 5.0\n"
    mocked.get(f"{URL}/metrics", body=body, content_type="text/plain; version=0.0.4",
               match=[matchers.header_matcher({"Accept": "text/plain"})])
    assert IrqClient(URL, retries=0).metrics() == body


class PlainHandler(http.server.BaseHTTPRequestHandler):
    """A plain-HTTP server: what an https:// URL may point at by mistake."""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_https_to_a_plain_http_server_says_it_does_not_speak_tls(capsys):
    server = http.server.HTTPServer(("127.0.0.1", 0), PlainHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"https://127.0.0.1:{server.server_port}"
    try:
        with pytest.raises(TransportError) as err:
            IrqClient(url, retries=0, timeout=2).health()
        code = irq_client.cli.main(["--server", url, "cpus"])
    finally:
        server.shutdown()
    assert str(err.value) == (f"cannot reach irq-server at {url}: the server does not speak "
                              f"TLS (is it http://127.0.0.1:{server.server_port}?)")
    assert code == 3 and "does not speak TLS" in capsys.readouterr().err


def test_window_takes_at_most_two_of_period_start_and_end():
    assert Window(period=10).query() == {"period_seconds": 10, "start": None, "end": None}
    assert Window(start=datetime(2026, 11, 23, 8, tzinfo=timezone.utc), end=5).query() == {
        "period_seconds": None, "start": "2026-11-23T08:00:00Z", "end": "5"}
    with pytest.raises(ValueError, match="at most two"):
        Window(period=10, start=1, end=2)
    with pytest.raises(ValueError, match="greater than 0"):
        Window(period=0)


def test_models_keep_the_json_they_were_built_from_out_of_eq_and_repr(mocked):
    mocked.get(f"{URL}/irqs", json={**IRQS, "added_later": 1})
    mocked.get(f"{URL}/cpus", json=CPUS)
    listing = client().irqs()
    assert listing.raw == {**IRQS, "added_later": 1} and listing.irqs[0].raw == IRQS["irqs"][0]
    again = irq_client.IrqList.from_json(IRQS)
    assert again == listing and "added_later" not in repr(listing)
    cpus = client().cpus()
    assert isinstance(cpus, tuple) and cpus.raw == CPUS and cpus[1].raw == CPUS["cpus"][1]
    assert cpus == tuple(irq_client.Cpu.from_json(c) for c in CPUS["cpus"])


def test_a_field_the_server_always_sends_is_required_one_it_may_leave_out_is_not():
    with pytest.raises(KeyError):
        irq_client.Irq.from_json({k: v for k, v in IRQS["irqs"][0].items() if k != "total"})
    with pytest.raises(TypeError):
        irq_client.IrqList.from_json([IRQS])
    assert irq_client.Affinity.from_json(AFFINITY).changed is None  # only a PUT sends it
