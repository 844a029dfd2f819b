"""Half-written and corrupt files in a stopped server's data dir, then the real server on it:
it starts, says loudly what it moved aside, answers throughout, and records again."""
import sqlite3
import time

import pytest
import requests
from irq_server.auth.users import UserStore
from live_server import wait_for
from server_fixtures import damage

PASSWORD = "correct horse"


def login(server):
    return requests.post(server.url + "/api/v1/auth", timeout=10,
                         json={"username": "alice", "password": PASSWORD})


def test_every_broken_file_is_moved_aside_and_the_server_carries_on(start_server, tmp_path):
    data = tmp_path / "data"
    first = start_server("--simulate", "8:1:40", "--interval", "0.5", data_dir=data)
    wait_for(lambda: requests.get(first.url + "/history", timeout=5).json()["samples"] >= 4)
    UserStore(data).add("alice", PASSWORD)
    assert login(first).status_code == 200
    old_token = first.admin_token
    first.stop()
    damage(data / "history.sqlite3", offset_pages=0, pages=2)  # overwritten while stopped
    (data / "jwt.secret").write_bytes(b"")  # a crash between creating and filling it
    (data / "tokens.json").write_text('{"tokens": [')  # cut short
    with open(data / "runs.sqlite3", "r+b") as runs:  # truncated mid-header
        runs.truncate(50)

    server = start_server("--simulate", "8:1:40", "--interval", "0.5", data_dir=data)
    log = server.output()
    for name in ("jwt.secret", "tokens.json", "runs.sqlite3"):
        assert len(list(data.glob(f"{name}.corrupt-*"))) == 1, name
    wait_for(lambda: list(data.glob("history.sqlite3.corrupt-*")))
    assert "CORRUPT FILE" in log
    assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
    assert requests.get(server.url + "/irqs", timeout=5).status_code == 200
    wait_for(lambda: requests.get(server.url + "/readyz", timeout=5).status_code == 200)
    assert requests.get(server.url + "/interrupts?period_seconds=1",
                        timeout=5).status_code == 200
    assert login(server).status_code == 200  # a new secret; alice's account was sound
    assert server.admin_token != old_token  # the token file was made again
    runs = requests.get(server.url + "/api/v1/test", timeout=5,
                        headers={"Authorization": f"Bearer {server.admin_token}"})
    assert runs.status_code == 200 and runs.json()["total"] == 0


@pytest.mark.parametrize("content", [b"", b"garbage, not hex\n"])
def test_a_broken_secret_that_cannot_be_replaced_is_503_never_a_hang(start_server, tmp_path,
                                                                     content):
    """Before the fix, 8 logins against an empty secret looped forever and /healthz stopped
    answering. Here the file is made unusable while the server runs (start repairs it)."""
    server = start_server("--simulate", "4:1:12")
    UserStore(server.data_dir).add("alice", PASSWORD)
    (server.data_dir / "jwt.secret").write_bytes(content)
    started = time.monotonic()
    answers = [login(server) for _ in range(8)]  # no worker has read the secret yet
    assert [a.status_code for a in answers] == [503] * 8
    assert "jwt.secret" in answers[0].json()["detail"]
    assert time.monotonic() - started < 10
    assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
    assert "JWT secret unusable" in server.output()


def test_truncated_and_overwritten_stores_read_as_503_then_fresh(start_server, tmp_path):
    data = tmp_path / "data"
    first = start_server("--simulate", "4:1:12", data_dir=data)
    UserStore(data).add("alice", PASSWORD)
    first.stop()
    with open(data / "users.sqlite3", "r+b") as users:
        users.seek(0)
        users.write(b"\xff" * 4096)
    server = start_server("--simulate", "4:1:12", data_dir=data)
    assert len(list(data.glob("users.sqlite3.corrupt-*"))) == 1
    assert login(server).status_code == 401  # a fresh, empty users store
    db = sqlite3.connect(data / "users.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
