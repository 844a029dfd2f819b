"""The gunicorn worker irq-server runs by default: gevent's (a greenlet per connection, so
slow clients cannot starve the others: see irq_server.server), which on a graceful stop also
lets go of kept-alive connections waiting for a next request. gevent's own worker waits them
out (up to the keepalive, 5 s), so every SIGTERM took that long; requests in progress still
finish as before."""
from __future__ import annotations

import contextlib
import socket

from gunicorn.workers.ggevent import GeventWorker


class Worker(GeventWorker):
    def init_process(self):
        self._waiting: dict = {}  # client socket -> it waits for a request (not in one)
        super().init_process()

    def handle(self, listener, client, addr):
        self._waiting[client] = True
        try:
            super().handle(listener, client, addr)
        finally:
            self._waiting.pop(client, None)

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
