"""What a hostile or careless client sends: another Host (DNS rebinding), no route, absurd
numbers; and what the page answers with (its security headers)."""
import logging

import pytest
from irq_server.api.host_header import allowed_hosts, host_name
from server_fixtures import bearer
from test_api import assert_problem, nic


class FakeSocket:
    """The connection gunicorn hands over: only its local address matters here."""

    def __init__(self, address):
        self.address = address

    def getsockname(self):
        return self.address


@pytest.mark.parametrize("host", ["evil.example", "evil.example:5000", "127.0.0.1.nip.io"])
def test_a_host_header_naming_another_server_is_refused(make_client, sim, host):
    client, _, _ = make_client(sim.root)
    for path in ("/irqs", "/ui", "/api/v1/cpus"):
        assert_problem(client.get(path, headers={"Host": host}), 400, field="Host")


@pytest.mark.parametrize("host", ["localhost", "localhost:5000", "127.0.0.1:5000", "[::1]:5000",
                                  "LOCALHOST."])
def test_loopback_names_are_answered(make_client, sim, host):
    client, _, _ = make_client(sim.root)
    assert client.get("/healthz", headers={"Host": host}).status_code == 200


def test_no_host_header_is_refused_and_a_redirect_never_points_elsewhere(make_client, sim):
    client, _, _ = make_client(sim.root)
    assert_problem(client.get("/healthz", environ_overrides={"HTTP_HOST": ""}), 400, "Host")
    moved = client.get("/ui", headers={"Host": "localhost:5000"})
    assert moved.status_code == 308 and moved.headers["Location"] in ("/ui/",
                                                                       "http://localhost:5000/ui/")


def test_the_address_a_request_arrived_on_is_answered(make_client, sim):
    """Bound to 0.0.0.0, every address of the machine is this server: Prometheus scraping a
    pod IP names it in Host."""
    client, _, _ = make_client(sim.root)
    arrived = {"gunicorn.socket": FakeSocket(("10.1.2.3", 5000))}
    assert client.get("/metrics", headers={"Host": "10.1.2.3:5000"},
                      environ_overrides=arrived).status_code == 200
    v6 = {"gunicorn.socket": FakeSocket(("::ffff:10.1.2.3", 5000, 0, 0))}
    assert client.get("/healthz", headers={"Host": "10.1.2.3:5000"},
                      environ_overrides=v6).status_code == 200
    assert_problem(client.get("/healthz", headers={"Host": "10.9.9.9:5000"},
                              environ_overrides=arrived), 400, "Host")


def test_allowed_hosts_defaults_and_the_star(make_client, sim):
    names = allowed_hosts(None, "10.0.0.5:5000", "http://db7.example:5000")
    assert {"localhost", "127.0.0.1", "::1", "10.0.0.5", "db7.example"} <= names
    assert "0.0.0.0" not in allowed_hosts(None, "0.0.0.0:5000", None)
    assert allowed_hosts("a.example, B.example.", "127.0.0.1:5000", None) == {
        "a.example", "b.example", "localhost", "127.0.0.1", "::1"}
    assert allowed_hosts("*", "127.0.0.1:5000", None) is None
    client, _, _ = make_client(sim.root, IRQ_ALLOWED_HOSTS=None)
    assert client.get("/healthz", headers={"Host": "anything.example"}).status_code == 200
    assert [host_name(h) for h in ("[::1]:80", "db7:80", "db7", "::1")] == ["::1", "db7", "db7",
                                                                           "::1"]
    for malformed in ("[::1", "[::1]x", "[::1]:99999", "127.0.0.1:99999999999", "db7:8o"):
        assert host_name(malformed) == "", malformed
        client, _, _ = make_client(sim.root)
        assert_problem(client.get("/healthz", headers={"Host": malformed}), 400, field="Host")


def test_the_page_forbids_inline_code_other_origins_and_framing(make_client, sim):
    client, _, _ = make_client(sim.root)
    for path in ("/ui/", "/ui/app.js", "/ui/style.css"):
        answer = client.get(path)
        assert answer.status_code == 200
        csp = answer.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
    page = client.get("/ui/").get_data(as_text=True)
    assert "<script>" not in page and " style=" not in page and "onclick" not in page
    root = client.get("/")  # a browser pointed at the server finds the page
    assert root.status_code == 302 and root.headers["Location"] == "/ui/"


def test_unmatched_routes_are_404_or_405_not_401(make_client, sim):
    client, _, _ = make_client(sim.root)
    assert_problem(client.post("/no/such/route", json={}), 404)
    assert_problem(client.delete("/irqs/24/cpu_affinity"), 405)
    assert_problem(client.post("/irqs"), 405)


def test_an_absurd_irq_number_is_404_without_a_stack_trace(make_client, sim, caplog):
    client, write, _ = make_client(sim.root)
    huge = "9" * 256
    with caplog.at_level(logging.INFO):
        for answer in (client.get(f"/irqs/{huge}"), client.get(f"/irqs/{huge}/cpu_affinity"),
                       client.put(f"/irqs/{huge}/cpu_affinity", json={"cpu_affinity_list": "1"},
                                  headers=bearer(write)),
                       client.get("/irqs/4294967296")):
            body = assert_problem(answer, 404, field="irq")
            assert len(body["detail"]) < 200
    assert "unhandled" not in caplog.text and "Traceback" not in caplog.text
    assert client.get(f"/irqs/{nic(sim).irq}").status_code == 200


HOSTILE_JSON = [b"[" * 5000 + b"]" * 5000,  # deeper than the parser goes (1024)
                b'{"cpu_affinity_list": "\\ud800"}',  # a lone surrogate: no string at all
                b'{"cpu_affinity_list": 1e999}',  # infinity
                b'{"cpu_affinity_list": 1' + b"0" * 5000 + b"}"]  # 5000 digits


@pytest.mark.parametrize("body", HOSTILE_JSON, ids=["nesting", "surrogate", "inf", "digits"])
def test_json_no_parser_should_take_is_a_400(make_client, sim, caplog, body):
    client, write, _ = make_client(sim.root)
    irq = nic(sim).irq
    json_type = {"Content-Type": "application/json"}
    with caplog.at_level(logging.INFO):
        for answer in (client.put(f"/irqs/{irq}/cpu_affinity", data=body,
                                  headers={**bearer(write), **json_type}),
                       client.post("/api/v1/auth", data=body, headers=json_type)):
            assert_problem(answer, 400)
    assert "Traceback" not in caplog.text
    assert client.get(f"/irqs/{irq}/cpu_affinity").json == \
        make_client(sim.root)[0].get(f"/irqs/{irq}/cpu_affinity").json


@pytest.mark.parametrize("path, method", [("/irqs/24/cpu_affinity", "put"),
                                          ("/api/v1/auth", "post")])
def test_a_json_body_that_is_not_utf8_is_a_400_not_no_body(make_client, sim, path, method):
    client, token, _ = make_client(sim.root)
    before = (sim.root / "proc/irq/24/smp_affinity").read_text()
    answer = getattr(client, method)(path, data=b'\xff\xfe{"cpu_affinity_list": "2"}',
                                     headers={**bearer(token),
                                              "Content-Type": "application/json"})
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert answer.get_json()["title"] and "JSON" in answer.get_data(as_text=True)
    assert (sim.root / "proc/irq/24/smp_affinity").read_text() == before


@pytest.mark.parametrize("body", ["cpu_affinity_list=2&cpu_affinity_list=3",
                                  "cpu_affinity_mask=4&cpu_affinity_mask=8"])
def test_a_form_field_given_twice_is_refused_not_cut_to_its_first(make_client, sim, body):
    client, token, _ = make_client(sim.root)
    before = (sim.root / "proc/irq/24/smp_affinity").read_text()
    answer = client.put("/irqs/24/cpu_affinity", data=body, headers={
        **bearer(token), "Content-Type": "application/x-www-form-urlencoded"})
    assert_problem(answer, 422, field=body.split("=")[0])
    assert (sim.root / "proc/irq/24/smp_affinity").read_text() == before


def test_a_query_parameter_given_twice_is_refused(make_client, sim):
    client, _, _ = make_client(sim.root)
    answer = client.get("/interrupts?period_seconds=60&period_seconds=-1")
    assert_problem(answer, 422, field="period_seconds")
    assert "given 2 times" in answer.get_json()["detail"]
