"""The tracker routes: users and JWTs, runs in both dialects, a run's interrupts."""
import jwt as pyjwt
import pytest
from irq_server.api import create_app
from irq_server.auth.tokens import TokenStore
from irq_server.auth.users import UserStore
from irq_server.history.store import HistoryStore
from server_fixtures import PASSWORD, Clock, app_with_users, bearer, run_sampled


@pytest.fixture
def tracker(tmp_path, sim):
    """An app over the simulated host with users alice (read), bob (read), root (write)."""
    data = tmp_path / "data"
    app, clock, _ = app_with_users(sim.root, data, {"alice": "read", "bob": "read",
                                                    "root": "write"})
    app.testing = True
    return app.test_client(), clock, data


def login(client, name, password=PASSWORD, path="/api/v1/auth"):
    return client.post(path, json={"username": name, "password": password})


def token_of(client, name):
    answer = login(client, name)
    assert answer.status_code == 200, answer.json
    return answer.json["token"]


def test_login_gives_a_signed_jwt_with_sub_scope_and_12h_expiry(tracker):
    client, clock, data = tracker
    answer = login(client, "alice")
    claims = pyjwt.decode(answer.json["token"], bytes.fromhex((data / "jwt.secret").read_text()),
                          algorithms=["HS256"],
                        options={"verify_exp": False, "verify_iat": False})
    assert (claims["sub"], claims["scope"]) == ("alice", "read")
    assert claims["exp"] - claims["iat"] == 12 * 3600
    assert (data / "jwt.secret").stat().st_mode & 0o777 == 0o600
    assert login(client, "alice", path="/v1/api/auth").status_code == 200  # older dialect


def test_wrong_password_and_unknown_user_get_the_same_401(tracker):
    client, _, _ = tracker
    wrong, unknown = login(client, "alice", "nope nope"), login(client, "mallory", "nope nope")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json["detail"] == unknown.json["detail"]
    assert wrong.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]


def test_repeated_failures_are_slowed_down_for_that_user_only(tracker):
    client, clock, _ = tracker
    for _ in range(3):
        assert login(client, "alice", "wrong one").status_code == 401
    waiting = login(client, "alice")  # even the right password waits
    assert waiting.status_code == 429 and int(waiting.headers["Retry-After"]) == 2
    assert waiting.headers["Content-Type"] == "application/problem+json"
    assert login(client, "bob").status_code == 200
    clock.now += 2
    assert login(client, "alice", "wrong again").status_code == 401
    assert login(client, "alice").headers["Retry-After"] == "4"  # doubles
    clock.now += 4
    assert login(client, "alice").status_code == 200  # a success clears the count
    assert login(client, "alice", "wrong").status_code == 401
    assert login(client, "alice").status_code == 200


def test_expired_tampered_and_foreign_tokens_get_401(tracker):
    client, clock, data = tracker
    token = token_of(client, "alice")
    assert client.get("/api/v1/test", headers=bearer(token)).status_code == 200
    header, payload, signature = token.split(".")
    forged = pyjwt.encode({**pyjwt.decode(token, options={"verify_signature": False}),
                           "sub": "bob"}, "a guessed secret of thirty-two bytes", algorithm="HS256")
    flipped = f"{header}.{payload}.{signature[:-2]}{'AB'[signature[-2] == 'A']}{signature[-1]}"
    unsigned = pyjwt.encode({"sub": "alice", "scope": "write", "iat": 0, "exp": 2 ** 40,
                             "iss": "irq-server"}, None, algorithm="none")
    for bad in (forged, flipped, unsigned):
        answer = client.get("/api/v1/test", headers=bearer(bad))
        assert answer.status_code == 401, bad
    clock.now += 12 * 3600
    expired = client.get("/api/v1/test", headers=bearer(token))
    assert expired.status_code == 401 and "expired" in expired.json["detail"]


def test_removed_user_tokens_stop_working_even_if_the_name_comes_back(tracker):
    client, clock, data = tracker
    token = token_of(client, "alice")
    users = UserStore(data, clock=clock)
    users.remove("alice")
    assert client.get("/api/v1/test", headers=bearer(token)).status_code == 401
    clock.now += 1
    users.add("alice", PASSWORD, "write")
    assert client.get("/api/v1/test", headers=bearer(token)).status_code == 401


def test_jwt_scopes_are_the_opaque_tokens_scopes(tracker, sim):
    client, _, _ = tracker
    reader, writer = token_of(client, "alice"), token_of(client, "root")
    irq = next(i.irq for i in sim.irqs if not i.managed)
    body = {"cpu_affinity_list": "1"}
    refused = client.put(f"/irqs/{irq}/cpu_affinity", json=body, headers=bearer(reader))
    assert refused.status_code == 403 and "scope" in refused.json["detail"]
    done = client.put(f"/irqs/{irq}/cpu_affinity", json=body, headers=bearer(writer))
    assert done.status_code == 200 and done.json["cpu_affinity_list"] == [1]
    # runs are the caller's own: a read scope is enough
    assert client.post("/api/v1/test", json={"name": "r"},
                       headers=bearer(reader)).status_code == 200


def test_jwt_passes_auth_reads(tmp_path, sim):
    data = tmp_path / "d"
    UserStore(data).add("alice", PASSWORD, "read")
    client = create_app({"IRQ_ROOT": str(sim.fs.root), "IRQ_DATA_DIR": str(data),
                         "IRQ_AUTH_READS": True}).test_client()
    assert client.get("/cpus").status_code == 401
    assert client.get("/cpus", headers=bearer(token_of(client, "alice"))).status_code == 200


def test_the_new_dialect_round_trip(tracker):
    client, clock, _ = tracker
    auth = bearer(token_of(client, "alice"))
    created = client.post("/api/v1/test", json={"name": "bench", "description": "fio",
                                                 "threshold": 50}, headers=auth)
    assert created.status_code == 200
    run_id, start = created.json["id"], created.json["start_time"]
    assert start.endswith("Z") and created.json["active"] is True
    for dt, usage, above in ((0, 80, True), (2, 20, False), (3, 90, True)):
        answer = client.post(f"/api/v1/test/{run_id}/usage", headers=auth,
                             json={"cpu_usage": usage, "timestamp": clock.now + dt})
        assert answer.status_code == 200
        assert answer.json == {"id": run_id, "above_threshold": above,
                               "time_above_threshold": answer.json["time_above_threshold"]}
    stopped = client.post(f"/api/v1/test/{run_id}/stop", headers=auth,
                          json={"end_time": clock.now + 4})
    assert stopped.status_code == 200
    stats = client.get(f"/api/v1/test/{run_id}", headers=auth).json
    assert {"id", "time_above_threshold", "active", "start_time", "end_time",
            "duration"} <= stats.keys()
    # above 0..2 (held), below 2..3, above 3..4 (the last sample held to the end)
    assert (stats["active"], stats["duration"], stats["time_above_threshold"]) == (False, 4, 3)
    late = client.post(f"/api/v1/test/{run_id}/usage", headers=auth, json={"cpu_usage": 1})
    assert late.status_code == 409


@pytest.mark.parametrize("stop", ["/v1/api/testrun/{}/stop", "/api/v1/test/{}/stop"])
def test_a_run_started_a_little_ahead_stops_now_at_its_start(tracker, stop):
    """A run may start up to a minute ahead (clocks differ); stopped "now" before that start
    comes, it ends where it starts (an end_time given before its start stays a 400)."""
    client, clock, _ = tracker
    auth = bearer(token_of(client, "alice"))
    run = client.post("/api/v1/test", headers=auth, json={
        "name": "ahead", "start_time": clock.now + 45}).json
    early = client.post(f"/api/v1/test/{run['id']}/stop", headers=auth,
                        json={"end_time": clock.now})
    assert early.status_code == 400 and early.json["errors"].keys() == {"end_time"}
    stopped = client.post(stop.format(run["id"]), headers=auth)
    assert stopped.status_code == 200, stopped.json
    assert stopped.json["end_time"] == run["start_time"] and stopped.json["duration"] == 0.0


def test_the_older_dialect_exactly_as_its_client_sends_it(tracker):
    """The shipped client's requests: create expects 201, usage {"usage"} without timestamp
    (201), stop with no body at all (200), stats by GET."""
    client, clock, _ = tracker
    auth = bearer(token_of(client, "alice"))
    created = client.post("/v1/api/testrun", headers=auth, json={
        "name": "pytest", "description": "-x tests/", "threshold": 0.5})
    assert created.status_code == 201 and {"id", "start_time"} <= created.json.keys()
    run_id = created.json["id"]
    assert created.json["threshold"] == 50.0  # the fraction rule
    for usage in (75.0, 25.0):
        answer = client.post(f"/v1/api/testrun/{run_id}/usage", json={"usage": usage},
                             headers=auth)
        assert answer.status_code == 201
        clock.now += 0.5
    stop = client.post(f"/v1/api/testrun/{run_id}/stop", headers=auth)  # no body, no type
    assert stop.status_code == 200
    stats = client.get(f"/v1/api/testrun/{run_id}", headers=auth)
    assert stats.status_code == 200
    assert stats.json["time_above_threshold"] == 0.5 and stats.json["duration"] == 1.0
    assert stats.json["samples"] == 2
    # the same run through the other dialect
    assert client.get(f"/api/v1/test/{run_id}", headers=auth).json == stats.json


def test_ownership_missing_and_bad_input(tracker):
    client, _, _ = tracker
    alice, bob = bearer(token_of(client, "alice")), bearer(token_of(client, "bob"))
    run_id = client.post("/api/v1/test", json={"name": "a"}, headers=alice).json["id"]
    for method, path in (("get", ""), ("post", "/usage"), ("post", "/stop"),
                         ("get", "/interrupts")):
        kwargs = {"json": {"cpu_usage": 5}} if path == "/usage" else {}
        answer = getattr(client, method)(f"/api/v1/test/{run_id}{path}", headers=bob, **kwargs)
        assert answer.status_code == 403, path
    assert client.get(f"/api/v1/test/{run_id + 1}", headers=alice).status_code == 404
    assert client.get(f"/api/v1/test/{2 ** 70}", headers=alice).status_code == 404
    assert client.get("/api/v1/test", headers=bob).json["total"] == 0
    for body, field in (({"name": "x", "threshold": 101}, "threshold"),
                        ({"threshold": 5}, "name"),
                        ({"name": "x", "start_time": "yesterday"}, "start_time")):
        answer = client.post("/api/v1/test", json=body, headers=alice)
        assert answer.status_code == 422 and field in answer.json["errors"], body
    answer = client.post(f"/api/v1/test/{run_id}/usage", json={"cpu_usage": -1}, headers=alice)
    assert answer.status_code == 422 and "cpu_usage" in answer.json["errors"]
    assert client.get(f"/api/v1/test/{run_id}", headers=alice).json["samples"] == 0
    assert client.post("/api/v1/test", json={"name": "x"}).status_code == 401


def test_opaque_tokens_own_runs_too(tracker):
    client, _, data = tracker
    reader = bearer(TokenStore(data).create("ci", "read"))
    run_id = client.post("/api/v1/test", json={"name": "x"}, headers=reader).json["id"]
    assert client.get(f"/api/v1/test/{run_id}", headers=reader).status_code == 200
    alice = bearer(token_of(client, "alice"))
    assert client.get(f"/api/v1/test/{run_id}", headers=alice).status_code == 403


def test_list_is_newest_first_and_paginated(tracker):
    client, clock, _ = tracker
    auth = bearer(token_of(client, "alice"))
    ids = []
    for i in range(7):
        ids.append(client.post("/api/v1/test", json={"name": f"r{i}"}, headers=auth).json["id"])
        clock.now += 1
    page = client.get("/api/v1/test?page=2&per_page=3", headers=auth).json
    assert [r["id"] for r in page["runs"]] == ids[::-1][3:6]
    assert (page["total"], page["page"], page["per_page"]) == (7, 2, 3)
    assert client.get("/api/v1/test?per_page=1000", headers=auth).status_code == 422


def test_a_runs_interrupts_are_the_history_window_of_its_time(tmp_path, sim):
    clock = Clock(1_800_000_000.0)
    data = tmp_path / "data"
    UserStore(data, clock=clock).add("alice", PASSWORD)
    clock.now += 1
    store = HistoryStore(data)
    oracle = {}
    run_sampled(sim, store, clock, 5, oracle)
    app = create_app({"IRQ_ROOT": str(sim.fs.root), "IRQ_DATA_DIR": str(data),
                      "IRQ_CLOCK": clock})
    client = app.test_client()
    auth = bearer(token_of(client, "alice"))
    start = clock.now
    here = client.post("/api/v1/test", json={"name": "x", "host": sim.fs.read_optional(
        "proc/sys/kernel/hostname")}, headers=auth).json["id"]
    elsewhere = client.post("/api/v1/test", json={"name": "y", "host": "other"},
                            headers=auth).json["id"]
    run_sampled(sim, store, clock, 10, oracle)
    client.post(f"/api/v1/test/{here}/stop", json={"end_time": start + 8}, headers=auth)
    answer = client.get(f"/api/v1/test/{here}/interrupts?limit=3", headers=auth)
    assert answer.status_code == 200, answer.json
    body = answer.json
    window = client.get(f"/interrupts/irqs?start={start}&end={start + 8}").json
    per_irq = {i["irq_num"]: i["num_interrupts"] for i in window["irqs"]}
    busiest = sorted((n for n in per_irq.values() if n), reverse=True)
    assert [i["num_interrupts"] for i in body["irqs"]] == busiest[:3]
    assert body["num_irqs"] == len(busiest)
    assert body["num_interrupts_all_cpus"] == sum(per_irq.values()) > 0
    assert body["period_duration_seconds"] == 8
    other = client.get(f"/api/v1/test/{elsewhere}/interrupts", headers=auth)
    assert other.status_code == 409 and "other" in other.json["detail"]


def test_runs_survive_a_restart(tracker, sim):
    client, clock, data = tracker
    auth = bearer(token_of(client, "alice"))
    run_id = client.post("/api/v1/test", json={"name": "x"}, headers=auth).json["id"]
    client.post(f"/api/v1/test/{run_id}/usage", json={"cpu_usage": 70}, headers=auth)
    again = create_app({"IRQ_ROOT": str(sim.fs.root), "IRQ_DATA_DIR": str(data),
                        "IRQ_CLOCK": clock}).test_client()
    assert again.get(f"/api/v1/test/{run_id}", headers=auth).json["samples"] == 1
