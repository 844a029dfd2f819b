"""Slow clients, for the slow-client test and benchmarks/slowclients.py: connections that
trickle a request's headers, or a chunked body, one line every few seconds, and reconnect
whenever the server cuts them. All on loopback, in one thread running an asyncio loop;
bounded by `stop()`."""
from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field


@dataclass
class SlowStats:
    """What the slow clients saw."""

    connects: int = 0  # connections opened
    cut: int = 0  # connections the server closed (or answered) before the request ended
    answered: dict = field(default_factory=dict)  # status line -> count, when it answered
    open_now: int = 0  # connections open at this moment
    held_longest: float = 0.0  # seconds the longest connection was kept open by the server


class SlowClients:
    """`headers` connections trickling header lines of a GET, `bodies` trickling a chunked
    POST body (to `body_path`), one piece every `every` seconds; connection k from local
    address sources[k % len(sources)] (loopback has 127.0.0.0/8: many hosts on one)."""

    def __init__(self, host: str, port: int, headers: int = 256, bodies: int = 16,
                 every: float = 3.0, body_path: str = "/api/v1/auth",
                 sources: tuple[str, ...] = ("127.0.0.1",)):
        self.host, self.port = host, port
        self.sources = sources
        self.headers, self.bodies, self.every = headers, bodies, every
        self.body_path = body_path
        self.stats = SlowStats()
        self._loop = asyncio.new_event_loop()
        self._stopping: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="slow-clients", daemon=True)
        self._ready = threading.Event()

    def start(self) -> "SlowClients":
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> SlowStats:
        if self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(30)
        return self.stats

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        requests = [self._header_request] * self.headers + [self._body_request] * self.bodies
        tasks = [asyncio.ensure_future(self._client(request, k * 0.01,
                                                    self.sources[k % len(self.sources)]))
                 for k, request in enumerate(requests)]
        self._ready.set()
        await self._stopping.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _header_request(self):
        """First bytes, then one more header line at a time: a GET that never ends."""
        first = (f"GET /healthz HTTP/1.1\r\nHost: {self.host}\r\n").encode()
        return first, b"X-Slow: 1\r\n"

    def _body_request(self):
        """Whole headers of a chunked POST, then one 1-byte chunk at a time."""
        first = (f"POST {self.body_path} HTTP/1.1\r\nHost: {self.host}\r\n"
                 "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "1\r\n{\r\n").encode()
        return first, b"1\r\n \r\n"

    async def _client(self, request, delay: float, source: str) -> None:
        await asyncio.sleep(delay)
        while not self._stopping.is_set():
            try:
                await self._one_connection(source, *request())
            except (OSError, asyncio.TimeoutError):
                self.stats.cut += 1
            await asyncio.sleep(0.1)  # then again, as a client that retries would

    async def _one_connection(self, source: str, first: bytes, more: bytes) -> None:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port, local_addr=(source, 0)), 10)
        self.stats.connects += 1
        self.stats.open_now += 1
        opened = time.monotonic()
        try:
            writer.write(first)
            while not self._stopping.is_set():
                await writer.drain()
                try:
                    data = await asyncio.wait_for(reader.read(4096), self.every)
                except asyncio.TimeoutError:
                    writer.write(more)
                    continue
                if data:  # the server answered before the request was whole
                    status = data.split(b"\r\n", 1)[0].decode(errors="replace")
                    self.stats.answered[status] = self.stats.answered.get(status, 0) + 1
                self.stats.cut += 1
                return
        finally:
            self.stats.open_now -= 1
            self.stats.held_longest = max(self.stats.held_longest, time.monotonic() - opened)
            writer.close()


def probe(base: str, seconds: float, every: float = 0.05) -> tuple[list[float], int]:
    """GET /healthz and /interrupts/cpu/0 of `base` in turn, each on a fresh connection (as a
    health probe opens one) with a 2 s timeout, every `every` seconds for `seconds`: the
    latencies (s) and how many failed (a timeout, a refusal, a non-200)."""
    import requests
    latencies, failures, k = [], 0, 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        path = ("/healthz", "/interrupts/cpu/0")[k % 2]
        k += 1
        started = time.perf_counter()
        try:
            with requests.Session() as fresh:
                ok = fresh.get(base + path, timeout=2).status_code == 200
        except requests.RequestException:
            ok = False
        latencies.append(time.perf_counter() - started)
        failures += not ok
        time.sleep(max(0.0, every - latencies[-1]))
    return latencies, failures
