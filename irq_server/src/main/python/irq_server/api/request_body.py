"""Request bodies are read whole before any view runs: under a size cap and within a deadline.

- Over `--max-body` bytes: 413, from Content-Length alone when it says so (nothing is read);
  a chunked body is read up to the cap and refused when more follows.
- Not whole within BODY_TIMEOUT seconds (a client trickling its body a byte at a time): 408,
  and the connection is not read from again, so the server lets it go. Under the gevent
  worker a waiting body holds a greenlet, not a thread; the deadline bounds how long.

A request's headers are bounded by gunicorn (its keepalive setting: see irq_server.service.server).
"""
from __future__ import annotations

import contextlib
import socket

from flask import current_app, request
from gunicorn.http.errors import ParseException
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, RequestTimeout

from irq_server.service.cooperative import gevent_patched

BODY_TIMEOUT = 10.0  # seconds a request body may take to arrive


def read_body() -> None:
    """A before_request hook: the body, read now and cached for the views (see the module)."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    size = request.content_length
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if not size and not chunked:
        return
    try:
        if size is not None and size > limit:
            raise RequestEntityTooLarge()
        with _deadline(BODY_TIMEOUT):
            request.get_data(cache=True)  # werkzeug stops at the cap (and caches for parsing)
            if chunked:
                request.stream.read(1)  # past the cap: werkzeug raises 413
    except RequestEntityTooLarge:
        raise RequestEntityTooLarge(f"the request body is {'over ' if size is None else ''}"
                                    f"{size or limit} bytes; this server takes at most {limit} "
                                    "(--max-body)") from None
    except (RequestTimeout, TimeoutError, socket.timeout):
        _stop_reading()
        raise RequestTimeout(f"the request body did not arrive within {BODY_TIMEOUT:g} s") \
            from None
    except ParseException as exc:  # gunicorn's: a chunk size, extension or trailer it refuses
        _stop_reading()
        raise BadRequest(f"the chunked body is malformed ({type(exc).__name__})") from None


@contextlib.contextmanager
def _deadline(seconds: float):
    """Raise RequestTimeout in this request if the block takes longer than `seconds`: a
    gevent.Timeout under the gevent worker (cooperative reads wake up for it), else a
    per-read socket timeout (gthread: each read waits at most that long)."""
    if gevent_patched():
        import gevent
        with gevent.Timeout(seconds, RequestTimeout()):
            yield
        return
    sock = request.environ.get("gunicorn.socket")
    if sock is None:  # the test client, or a server that does not say
        yield
        return
    previous = sock.gettimeout()
    sock.settimeout(seconds)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            sock.settimeout(previous)


def _stop_reading() -> None:
    """No further request on this connection: the answer still goes out, then it closes."""
    sock = request.environ.get("gunicorn.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RD)
