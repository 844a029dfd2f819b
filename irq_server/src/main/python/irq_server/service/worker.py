"""The gunicorn worker irq-server runs by default: gevent's (a greenlet per connection, so
slow clients cannot starve the others: see irq_server.service.server), with two additions:

- One source address (an IPv6 /64) holds at most PER_SOURCE of a worker's connections; more
  are answered 503 at once and closed. A worker holds `worker_connections`
  (server.WORKER_CONNECTIONS) in all, so one host opening slow connections cannot take them
  all: it takes PER_SOURCE, the others are still answered.
- A graceful stop lets go of kept-alive connections waiting for a next request. gevent's own
  worker waits them out (up to the keepalive, 5 s), so every SIGTERM took that long; requests
  in progress still finish as before.
"""
from __future__ import annotations

import collections
import contextlib
import socket
import time

from gunicorn.workers.ggevent import GeventWorker

from irq_server.auth.users import source_of

PER_SOURCE = 256  # connections one source may hold in one worker
TOO_MANY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
            b"Retry-After: 5\r\nConnection: close\r\nContent-Length: 44\r\n\r\n"
            b"too many connections from this address now\r\n")
WARN_EVERY = 60.0  # seconds between two log lines about one source


class Worker(GeventWorker):
    def init_process(self):
        self._waiting: dict = {}  # client socket -> it waits for a request (not in one)
        self._per_source: collections.Counter = collections.Counter()
        self._warned: dict[str, float] = {}  # source -> when it was last logged
        super().init_process()

    def handle(self, listener, client, addr):
        source = source_of(addr[0]) if isinstance(addr, tuple) else "local"
        if self._per_source[source] >= PER_SOURCE:
            self._refuse(client, source)
            return
        self._per_source[source] += 1
        self._waiting[client] = True
        try:
            super().handle(listener, client, addr)
        finally:
            self._waiting.pop(client, None)
            self._per_source[source] -= 1
            if not self._per_source[source]:
                del self._per_source[source]

    def _refuse(self, client, source: str) -> None:
        now = time.monotonic()
        if now - self._warned.get(source, -WARN_EVERY) >= WARN_EVERY:
            if len(self._warned) > 4096:  # many sources: forget, rather than grow
                self._warned.clear()
            self._warned[source] = now
            self.log.warning("%s holds %d connections of this worker (the most one source "
                             "may): refusing more with 503", source, PER_SOURCE)
        with contextlib.suppress(OSError):
            client.settimeout(1.0)
            client.sendall(TOO_MANY)
        client.close()

    def handle_request(self, listener_name, req, sock, addr):
        self._waiting[sock] = False
        try:
            super().handle_request(listener_name, req, sock, addr)
        finally:
            if sock in self._waiting:
                self._waiting[sock] = True

    def handle_exit(self, sig, frame):
        super().handle_exit(sig, frame)
        for sock, waiting in list(self._waiting.items()):
            if waiting:  # its next read sees the end: the connection closes cleanly
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RD)
