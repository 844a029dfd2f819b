"""The API over broken files of its data dir: what needs them answers 503 naming the cause,
everything else keeps answering, liveness stays 200, nothing waits."""
import time

import pytest
from irq_server.api import create_app
from irq_server.auth.jwt_tokens import JwtIssuer
from irq_server.auth.tokens import TokenStore
from irq_server.auth.users import UserStore
from irq_server.history.store import HistoryStore
from server_fixtures import Clock, bearer, damage, run_sampled
from test_api import assert_problem, nic

PASSWORD = "correct horse"


def login(client):
    return client.post("/api/v1/auth", json={"username": "alice", "password": PASSWORD})


@pytest.mark.parametrize("content", [b"", b"\n", b"not hex at all\n", b"abcd\n"])
def test_an_empty_or_malformed_jwt_secret_is_503_at_once_never_a_wait(tmp_path, sim, content,
                                                                        caplog):
    data = tmp_path / "data"
    UserStore(data).add("alice", PASSWORD)
    (data / "jwt.secret").write_bytes(content)
    client = create_app({"IRQ_ROOT": str(sim.root), "IRQ_DATA_DIR": str(data)}).test_client()
    started = time.monotonic()
    for _ in range(3):
        body = assert_problem(login(client), 503)
        assert "jwt.secret" in body["detail"]
    assert time.monotonic() - started < 5
    assert caplog.text.count("JWT secret unusable") == 1  # said once, clearly
    assert client.get("/healthz").status_code == 200 and client.get("/irqs").status_code == 200
    JwtIssuer(data).ensure()  # what irq-server does at start
    assert list(data.glob("jwt.secret.corrupt-*"))
    fresh = create_app({"IRQ_ROOT": str(sim.root), "IRQ_DATA_DIR": str(data)}).test_client()
    assert login(fresh).status_code == 200


def test_a_corrupt_token_file_refuses_tokens_with_503_while_reads_answer(make_client, sim):
    client, write, _ = make_client(sim.root)
    data = sim.root.parent / "data"
    (data / "tokens.json").write_text('{"tokens": [{"name": "x"')  # cut short
    irq = nic(sim).irq
    body = assert_problem(client.put(f"/irqs/{irq}/cpu_affinity", json={"cpu_affinity_list": "1"},
                                     headers=bearer(write)), 503)
    assert "tokens.json" in body["detail"]
    assert client.get("/irqs").status_code == 200
    TokenStore(data).check()  # at start: moved aside, the first-start token made again
    assert list(data.glob("tokens.json.corrupt-*"))
    assert TokenStore(data).ensure_admin() is not None


@pytest.fixture
def sampled_app(tmp_path, sim):
    clock = Clock(1_800_000_000.0)
    data = tmp_path / "data"
    run_sampled(sim, HistoryStore(data), clock, 400, {})
    app = create_app({"IRQ_ROOT": str(sim.root), "IRQ_DATA_DIR": str(data), "IRQ_CLOCK": clock})
    return app.test_client(), data, clock


def test_a_corrupt_history_fails_the_windows_only(sampled_app):
    client, data, clock = sampled_app
    assert client.get("/interrupts?period_seconds=300").status_code == 200
    damage(data / "history.sqlite3", offset_pages=0, pages=4)
    fresh = create_app({"IRQ_ROOT": str(client.application.config["IRQ_ROOT"]),
                        "IRQ_DATA_DIR": str(data), "IRQ_CLOCK": clock}).test_client()
    health = fresh.get("/healthz")
    assert health.status_code == 200 and health.json["reason"] == "history unreadable"
    ready = fresh.get("/readyz")
    assert ready.status_code == 503 and "history.sqlite3" in ready.json["reasons"][0]
    for path in ("/irqs", "/cpus", "/metrics", "/irqs/24", "/irqs/24/cpu_affinity"):
        assert fresh.get(path).status_code == 200, path
    now = fresh.get("/current")
    assert now.status_code == 200 and now.json["cpu_usage"] is None and now.json["used_mem"]
    for path in ("/interrupts?period_seconds=300", "/cpu", "/memory_average"):
        body = assert_problem(fresh.get(path), 503)  # not an empty series
        assert "history.sqlite3" in body["detail"], path
    assert not list(data.glob("*.corrupt-*"))  # readers leave the file to the sampler
