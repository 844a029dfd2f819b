"""One data dir, one server: a second one is refused; files only the owner reads; a port in
use is one clear line, before anything is written."""
import os
import signal
import socket
import stat
import subprocess

import requests
from live_server import SRC, free_port, irq_server_command, wait_for

ENV = {**os.environ, "PYTHONPATH": str(SRC)}


def run(*args, timeout=60):
    return subprocess.run(irq_server_command() + list(args), capture_output=True, text=True,
                          timeout=timeout, env=ENV)


def test_a_second_server_on_a_data_dir_is_refused_with_exit_2(start_server):
    first = start_server("--simulate", "4:1:12")
    second = run("--simulate", "4:1:12", "--bind", f"127.0.0.1:{free_port()}",
                 "--data-dir", str(first.data_dir))
    assert second.returncode == 2
    assert f"in use by another irq-server (pid {first.proc.pid})" in second.stderr
    assert requests.get(first.url + "/healthz", timeout=5).status_code == 200
    registry = run("registry", "--bind", f"127.0.0.1:{free_port()}", "--data-dir",
                   str(first.data_dir))
    assert registry.returncode == 2  # any role


def test_a_split_server_and_sampler_share_a_data_dir_but_not_two_samplers(start_server,
                                                                          tmp_path):
    data = tmp_path / "data"
    sampler = subprocess.Popen(irq_server_command() + ["sampler", "--root", "/", "--data-dir",
                                                       str(data)], env=ENV,
                               stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: (data / "history.sqlite3").exists())
        with_sampler = run("--root", "/", "--data-dir", str(data), "--bind",
                           f"127.0.0.1:{free_port()}")
        assert with_sampler.returncode == 2 and "--no-sampler" in with_sampler.stderr
        server = start_server("--no-sampler", "--root", "/", data_dir=data)  # the systemd split
        assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
        again = run("sampler", "--root", "/", "--data-dir", str(data))
        assert again.returncode == 2 and "in use by another irq-server sampler" in again.stderr
    finally:
        sampler.send_signal(signal.SIGTERM)
        sampler.wait(10)


def test_every_file_of_the_data_dir_is_private_whatever_the_umask(tmp_path):
    data = tmp_path / "data"
    added = subprocess.run(irq_server_command() + ["user", "add", "alice", "--password-stdin",
                                                   "--data-dir", str(data)],
                           input="correct horse\n", capture_output=True, text=True, env=ENV,
                           preexec_fn=lambda: os.umask(0o022), timeout=30)
    assert added.returncode == 0, added.stderr
    address = f"127.0.0.1:{free_port()}"
    server = subprocess.Popen(irq_server_command() + ["--simulate", "4:1:12", "--bind", address,
                                                      "--data-dir", str(data)], env=ENV,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              preexec_fn=lambda: os.umask(0o022))
    try:
        url = f"http://{address}"
        wait_for(lambda: _answers(url + "/readyz"))
        for _ in range(3):  # logins write users.sqlite3 (and its -wal)
            requests.post(url + "/api/v1/auth", json={"username": "alice",
                                                      "password": "wrong guess"}, timeout=10)
        assert (data / "users.sqlite3-wal").exists()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(20)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    loose = [str(p.relative_to(data)) for p in data.rglob("*") if not p.is_symlink() and
             stat.S_IMODE(p.stat().st_mode) != (0o700 if p.is_dir() else 0o600)]
    assert loose == []


def test_a_port_in_use_is_one_line_and_exit_2_before_anything_is_written(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        refused = run("--simulate", "4:1:12", "--bind", f"127.0.0.1:{port}", "--data-dir",
                      str(tmp_path / "data"))
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1] == \
        f"irq-server: 127.0.0.1:{port} is in use by another process"
    assert not (tmp_path / "data" / "history.sqlite3").exists()
    assert not (tmp_path / "data" / "simhost").exists()


def _answers(url):
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_a_data_dir_of_another_user_or_with_planted_links_is_refused(tmp_path):
    data = tmp_path / "theirs"
    data.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("ORIG")
    (data / "server.lock").symlink_to(victim)
    os.chown(data, 65534, 65534)  # nobody's: they could plant anything in it
    refused = run("--simulate", "4:1:12", "--bind", f"127.0.0.1:{free_port()}", "--data-dir",
                  str(data))
    assert refused.returncode == 2 and "belongs to uid 65534" in refused.stderr
    assert victim.read_text() == "ORIG"
    os.chown(data, os.getuid(), os.getgid())  # ours now, but the planted link stays a link
    linked = run("--simulate", "4:1:12", "--bind", f"127.0.0.1:{free_port()}", "--data-dir",
                 str(data))
    assert linked.returncode == 2 and "not following a link" in linked.stderr
    assert victim.read_text() == "ORIG"
