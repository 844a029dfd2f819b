"""Code that runs in a gunicorn worker and must not stop the worker's other requests.

Under the default gevent worker (see irq_server.service.server) every request of a worker shares one
thread: a greenlet runs until it waits for I/O. Pure-Python waits (sockets, time.sleep) are
patched to let the others run; a wait or a long computation inside C code is not. Such calls
go through `off_loop`, which runs them in gevent's thread pool (C code that releases the GIL,
such as hashlib.scrypt, then runs beside the other requests). Outside gevent (the gthread
worker, the CLI, tests) both helpers are no-ops.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def gevent_patched() -> bool:
    """True in a process whose sockets gevent patched (a gevent worker)."""
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("socket")


def off_loop(function: Callable[..., T], *args) -> T:
    """function(*args), in gevent's thread pool under the gevent worker, else directly."""
    if not gevent_patched():
        return function(*args)
    import gevent
    return gevent.get_hub().threadpool.apply(function, args)
