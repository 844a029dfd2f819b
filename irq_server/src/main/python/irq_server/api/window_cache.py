"""Answers of the window routes, cached for as long as the newest stored sample stays newest.

While the sampler is fresh, a window is computed from stored samples only (see
history.window), so its answer is a function of the request and the newest sample: every
identical request within one sampling interval gets the same bytes. Requests answered from
live reads (stale history, periods under one interval) are never cached.

GET /irqs is cached the same way, also keyed by the IRQ settings' version (any process's
affinity write, CPU hotplug): its counts are then at most one sampling interval old, as a
scrape's are, and a mask is never older than the last write.
"""
from __future__ import annotations

import functools
import threading

from flask import Response, request

from irq_server.api.state import state

MAX_ENTRIES = 256  # distinct window requests kept per sampling interval


class WindowCache:
    def __init__(self):
        self._stamp = None
        self._answers: dict[tuple, tuple[bytes, str, dict]] = {}
        self._lock = threading.Lock()

    def get(self, stamp, key) -> tuple[bytes, str, dict] | None:
        return self._answers.get(key) if stamp == self._stamp else None

    def put(self, stamp, key, answer: tuple[bytes, str, dict]) -> None:
        with self._lock:
            if stamp != self._stamp:
                self._stamp, self._answers = stamp, {}
            if len(self._answers) < MAX_ENTRIES:
                self._answers[key] = answer


def _stored_only_stamp():
    """The newest stored sample's time when this request will be answered from the store."""
    windows = state().windows
    try:
        if float(request.args.get("period_seconds", windows.interval)) < windows.interval:
            return None  # measured from live reads
    except ValueError:
        return None
    return windows.fresh_newest()


def cached_answer(version=None):
    """Serve a GET route from WindowCache while its answer cannot have changed: the newest
    stored sample is the same and fresh, and `version()` (when given: what else the answer
    depends on) is too."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            stamp = _stored_only_stamp()
            if stamp is None:
                return view(*args, **kwargs)
            if version is not None:
                stamp = (stamp, version())
            cache: WindowCache = state().window_cache
            key = (request.path, request.query_string)
            hit = cache.get(stamp, key)
            if hit is not None:
                return Response(hit[0], mimetype=hit[1], headers=hit[2])
            response = view(*args, **kwargs)
            if response.status_code == 200 and stamp == _current(version):
                own = {k: v for k, v in response.headers.items() if k.startswith("X-")}
                cache.put(stamp, key, (response.get_data(), response.mimetype, own))
            return response
        return wrapper
    return decorate


def _current(version):
    stamp = _stored_only_stamp()
    return stamp if version is None or stamp is None else (stamp, version())


cached_window = cached_answer()


def window_route(blp, rule: str, query, answer, *, headers: dict | None = None,
                 parameters: list | None = None):
    """A GET route answering over a window of counters: `query` read from the query string,
    the answer (documented as `answer`, with `headers`) cached while it cannot change."""
    def decorate(view):
        view = blp.response(200, answer, headers=headers)(view)
        return blp.route(rule, parameters=parameters)(
            cached_window(blp.arguments(query, location="query")(view)))
    return decorate
