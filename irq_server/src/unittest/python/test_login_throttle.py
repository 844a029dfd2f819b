"""Login throttling by name and source, counted before the password is checked; failed logins
logged; a user removed and added again within one second does not inherit old tokens."""
import threading
import time

import pytest
from irq_server.auth import users as users_module
from irq_server.auth.users import source_of
from server_fixtures import PASSWORD, app_with_users, bearer


@pytest.fixture
def app(tmp_path, sim):
    return app_with_users(sim.root, tmp_path / "data", {"alice": "read", "bob": "read"})


def login(app, name, password=PASSWORD, source="10.0.0.1"):
    return app.test_client().post("/api/v1/auth", json={"username": name, "password": password},
                                  environ_base={"REMOTE_ADDR": source})


def test_a_stranger_cannot_lock_a_user_out_from_elsewhere(app):
    app, _, _ = app
    for _ in range(3):
        assert login(app, "alice", "wrong guess", source="10.6.6.6").status_code == 401
    assert login(app, "alice", source="10.6.6.6").status_code == 429  # that source waits
    assert login(app, "alice", source="10.0.0.1").status_code == 200  # the user does not


def test_spraying_names_from_one_source_is_slowed_down(app):
    app, clock, _ = app
    for k in range(10):
        assert login(app, f"name{k}", "wrong", source="10.6.6.6").status_code == 401
    sprayed = login(app, "alice", "wrong", source="10.6.6.6")
    assert sprayed.status_code == 429 and int(sprayed.headers["Retry-After"]) == 2
    assert "source" in sprayed.json["detail"]
    assert login(app, "bob", source="10.0.0.1").status_code == 200
    clock.now += 2
    assert login(app, "alice", source="10.6.6.6").status_code == 200


def test_a_guess_spread_over_many_sources_is_slowed_down_too(app):
    app, clock, _ = app
    for k in range(30):
        assert login(app, "alice", "wrong", source=f"10.1.0.{k}").status_code == 401
    assert login(app, "alice", source="10.0.0.1").status_code == 429
    assert login(app, "bob", source="10.0.0.1").status_code == 200
    clock.now += 2  # the wait is over: the user logs in, and the failures in a row end there
    assert login(app, "alice", source="10.0.0.1").status_code == 200
    assert login(app, "alice", source="10.0.0.2").status_code == 200  # no new wait


def test_knowing_ones_own_password_does_not_reset_a_spray(app):
    app, clock, _ = app
    for k in range(10):
        assert login(app, f"name{k}", "wrong", source="10.6.6.6").status_code == 401
    clock.now += 2
    assert login(app, "bob", source="10.6.6.6").status_code == 200  # its own password...
    assert login(app, "name11", "wrong", source="10.6.6.6").status_code == 429  # ...no reset


def test_parallel_guesses_cannot_pass_the_count(app, monkeypatch):
    app, _, _ = app
    checked = []
    real = users_module.check_password_hash

    def counting(stored, password):
        checked.append(password)
        time.sleep(0.05)  # the KDF's time, during which the others arrive
        return real(stored, password)
    monkeypatch.setattr(users_module, "check_password_hash", counting)
    answers = []
    threads = [threading.Thread(target=lambda k=k: answers.append(
        login(app, "alice", f"guess {k}").status_code)) for k in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checked) <= 3 and sorted(set(answers)) == [401, 429]


def test_failed_logins_are_logged_with_name_and_source_never_the_password(app, caplog):
    app, _, _ = app
    login(app, "alice", "hunter2 secret", source="2001:db8::7")
    assert "login failed: user 'alice' from 2001:db8::/64" in caplog.text
    assert "hunter2" not in caplog.text
    assert source_of("::ffff:10.0.0.1") == "10.0.0.1" and source_of(None) == "unknown"


def test_a_user_removed_and_added_again_in_the_same_second_gets_no_old_token(app):
    app, clock, store = app
    token = login(app, "alice").json["token"]
    client = app.test_client()
    assert client.get("/api/v1/test", headers=bearer(token)).status_code == 200
    store.remove("alice")
    store.add("alice", PASSWORD, "write")  # the clock has not moved
    refused = client.get("/api/v1/test", headers=bearer(token))
    assert refused.status_code == 401 and "log in again" in refused.json["detail"]
    assert client.get("/api/v1/test", headers=bearer(login(app, "alice").json["token"])
                      ).status_code == 200
