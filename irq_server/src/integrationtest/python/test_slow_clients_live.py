"""Slow clients against the real server (the default gevent worker), at a smaller scale than
benchmarks/slowclients.py: probes keep being answered, and the server lets go of clients
that trickle their headers or their body."""
import socket
import statistics
import time

import pytest
import requests
from slow_clients import SlowClients, probe


@pytest.mark.parametrize("role", ["host", "registry"])
def test_slow_clients_do_not_starve_the_others(start_server, role):
    args = ("--simulate", "8:1:40") if role == "host" else ("registry",)
    server = start_server(*args)
    slow = SlowClients("127.0.0.1", server.port, headers=48, bodies=6, every=1.0,
                       body_path="/api/v1/auth" if role == "host" else "/publish").start()
    try:
        time.sleep(1.0)
        url = server.url
        if role == "registry":  # no /interrupts there: probe its health alone
            latencies, failures = [], 0
            for _ in range(40):
                started = time.perf_counter()
                failures += requests.get(url + "/healthz", timeout=2).status_code != 200
                latencies.append(time.perf_counter() - started)
                time.sleep(0.05)
        else:
            latencies, failures = probe(url, 4.0)
    finally:
        stats = slow.stop()
    assert failures == 0
    assert statistics.median(latencies) < 0.5, latencies
    assert stats.connects >= 54


def test_headers_and_bodies_that_never_end_are_cut_off(start_server):
    server = start_server("--simulate", "4:1:12")
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port)) as headers:
        headers.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        headers.settimeout(1.0)
        while time.monotonic() - started < 15:
            try:
                if headers.recv(4096) == b"":  # closed by the server
                    break
            except socket.timeout:
                headers.sendall(b"X-Slow: 1\r\n")  # a header line a second: never done
        else:
            pytest.fail("a request whose headers never end was kept for 15 s")
    assert 4 <= time.monotonic() - started < 8  # HEADER_TIMEOUT is 5 s
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port)) as body:
        body.sendall(b"POST /api/v1/auth HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                     b"application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n")
        body.settimeout(1.0)
        answer = b""
        while time.monotonic() - started < 20 and b"\r\n\r\n" not in answer:
            try:
                answer += body.recv(4096)
            except socket.timeout:
                body.sendall(b"1\r\n \r\n")
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert 9 <= time.monotonic() - started < 13  # BODY_TIMEOUT is 10 s
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as bad:
        bad.sendall(b"POST /api/v1/auth HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                    b"application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"1;" + b"x" * 70_000 + b"\r\n{\r\n0\r\n\r\n")  # a chunk extension too long
        answer = bad.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert requests.get(server.url + "/healthz", timeout=2).status_code == 200


def test_short_windows_wait_without_stopping_the_worker(start_server):
    """A window shorter than the sampling interval is two live reads apart: the wait must let
    the worker's other requests run (one worker, so nothing else could answer them)."""
    from concurrent.futures import ThreadPoolExecutor
    server = start_server("--simulate", "4:1:12", "--workers", "1")
    url = server.url
    with ThreadPoolExecutor(20) as pool:
        windows = [pool.submit(requests.get, url + "/interrupts?period_seconds=0.5", timeout=10)
                   for _ in range(20)]
        time.sleep(0.1)  # they are all waiting now
        latencies, failures = probe(url, 1.5)
        assert all(w.result().status_code == 200 for w in windows)
    assert failures == 0 and max(latencies) < 1.0, latencies  # blocked: 20 × 0.5 s in turn


def test_one_source_cannot_take_every_connection(start_server):
    """300 slow connections from one address against one worker: it keeps 256 (PER_SOURCE),
    answers the rest 503 at once, and another address is still answered."""
    server = start_server("--simulate", "4:1:12", "--workers", "1")
    slow = SlowClients("127.0.0.1", server.port, headers=300, bodies=0, every=1.0,
                       sources=("127.0.0.9",)).start()
    try:
        time.sleep(4.0)  # all opened (10 ms apart), none cut yet by the 5 s header deadline
        held = slow.stats.open_now
        latencies, failures = probe(server.url, 2.0)
    finally:
        stats = slow.stop()
    assert failures == 0 and statistics.median(latencies) < 0.5
    # without the cap all 300 are held; with it 256, plus the refused ones in flight at that
    # moment (each of the 44 comes back every 0.1 s and waits a few ms for its 503)
    assert held < 256 + 44 // 2
    assert stats.answered.get("HTTP/1.1 503 Service Unavailable", 0) >= 44
    assert "127.0.0.9 holds 256 connections" in server.output()
