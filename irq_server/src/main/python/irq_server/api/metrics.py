"""GET /metrics: Prometheus text exposition of the host (irq_server.exposition) and of the server
itself (sampler, history store, affinity writes, HTTP requests).

The server's own counters are prometheus-client Counters; under gunicorn each worker keeps
them in a memory-mapped file in PROMETHEUS_MULTIPROC_DIR (set by `irq-server` before any
worker starts: on a tmpfs, see irq_server.service.server), summed at every scrape by
prometheus-client's MultiProcessCollector, so any worker answers the same totals. A write
into a mapped page that the filesystem cannot back kills the process with SIGBUS, so each
worker allocates its whole file first (posix_fallocate); where that fails (that filesystem
is full) the worker keeps its counters in its own memory instead, says so in the log, and
its scrapes show its own counts only. Labels are bounded, so the file never outgrows what was
allocated: the route's rule (not its path), the method (the standard ones, else "other"),
the status.
"""
from __future__ import annotations

import glob
import logging
import math
import os

from flask import Flask, Response, current_app, g, request
from prometheus_client import (CollectorRegistry, Counter, disable_created_metrics, generate_latest,
                               values)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from irq_server import __version__
from irq_server.api.blueprint import Blueprint
from irq_server.api.state import state
from irq_server.compliance import violations
from irq_server.errors import StoreUnavailable
from irq_server.exposition import HostState, families
from irq_server.history.window import Windows
from irq_server.host import Host

disable_created_metrics()  # no *_created series: one series per counter, not two
blp = Blueprint("metrics", __name__, description="Prometheus metrics")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
COUNTER_FILE_BYTES = 1 << 20  # allocated up front: room for thousands of label sets
# the method label: any other token a client sends counts as "other" (each new label set
# grows the counter file; a client must not be able to grow it at will)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
log = logging.getLogger(__name__)


class _Collector:
    """prometheus-client collector over a prepared list of families."""

    def __init__(self, found):
        self.found = found

    def collect(self):
        yield from self.found


class _WorkerFiles(MultiProcessCollector):
    """Every worker's counter files, but for one a worker starting right now has created and
    not yet sized: prometheus-client would read it as truncated and fail the whole scrape."""

    HEADER = 8  # bytes of an mmap file's header: a file this short holds no value yet

    def collect(self):
        return self.merge([f for f in glob.glob(os.path.join(self._path, "*.db"))
                           if _size(f) >= self.HEADER], accumulate=True)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:  # gone meanwhile (a stop empties the directory)
        return 0


@blp.route("/metrics", methods=["GET"])
@blp.response(200, {"type": "string"}, content_type=CONTENT_TYPE,
              description="Prometheus text exposition format 0.0.4")
def metrics():
    """Interrupts, CPU time, memory and filesystems of the host; the server's own health."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(list(families(host_state(),
                                               current_app.config["IRQ_METRICS"]))))
    registry.register(_Collector(list(server_families())))
    if state().counters_shared:
        _WorkerFiles(registry)
    else:
        for counter in state().counters.values():
            registry.register(counter)
    return Response(generate_latest(registry), content_type=CONTENT_TYPE)


def host_state() -> HostState:
    host: Host = state().host
    windows: Windows = state().windows
    snapshot = windows.current()
    try:
        previous = windows.store.at_or_before(snapshot.ts - 1e-6) \
            if windows.has_history() else None
    except StoreUnavailable:  # --metrics-top then ranks by counts since boot
        previous = None
    table = host.irq_table()
    return HostState(snapshot=snapshot, previous=previous, table=table.interrupts,
                     memory=host.memory(), filesystems=host.filesystems(),
                     violations=violations(table.interrupts, table.settings, host.bans()))


def server_families():
    windows: Windows = state().windows
    info = GaugeMetricFamily("irq_server_info", "The server's version", labels=["version"])
    info.add_metric([__version__], 1)
    yield info
    try:
        stats = windows.store.stats() if windows.has_history() else None
    except StoreUnavailable:
        stats = None
    newest = stats["newest"] if stats else None
    yield GaugeMetricFamily("irq_sampler_last_sample_age_seconds", "Seconds since the newest "
                            "stored sample (NaN before the first)",
                            value=windows.clock() - newest if newest else math.nan)
    yield GaugeMetricFamily("irq_history_samples", "Samples kept in the history store",
                            value=stats["samples"] if stats else 0)
    yield GaugeMetricFamily("irq_history_store_bytes", "Size of the history store",
                            value=stats["store_bytes"] if stats else 0)


def _count(response: Response) -> Response:
    counters = state().counters
    rule = request.url_rule.rule if request.url_rule else "(no route)"
    method = request.method if request.method in METHODS else "other"
    counters["http"].labels(rule, method, str(response.status_code)).inc()
    if request.method == "PUT" and rule.endswith("/cpu_affinity"):
        status = response.status_code
        counters["affinity"].labels(g.get("affinity_result") or (
            "refused" if status == 409 else "error" if status >= 500 else "invalid")).inc()
    return response


def init_app(app: Flask) -> None:
    """The server's own counters, in this process; in the files of PROMETHEUS_MULTIPROC_DIR
    when it is set and this process's file could be allocated (prometheus-client picks where
    values live when they are made: made here, in each worker, after irq-server set it)."""
    shared = _allocate_counter_file()
    values.ValueClass = values.MultiProcessValue() if shared else values.MutexValue
    state(app).counters_shared = shared
    state(app).counters = {
        "http": Counter("irq_http_requests", "HTTP requests answered, by route rule, method "
                        "and status", ["route", "method", "status"], registry=None),
        "affinity": Counter("irq_affinity_writes", "PUT affinity requests by result: changed, "
                            "unchanged, refused (409), invalid (4xx), error (5xx)", ["result"],
                            registry=None)}
    app.after_request(_count)


def _allocate_counter_file() -> bool:
    """Allocate this process's counter file in PROMETHEUS_MULTIPROC_DIR whole (see the module
    doc); whether the counters can live there."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return False
    path = os.path.join(directory, f"counter_{os.getpid()}.db")  # prometheus-client's name
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            os.posix_fallocate(fd, 0, COUNTER_FILE_BYTES)
        finally:
            os.close(fd)
    except OSError as exc:
        log.warning("cannot allocate %s (%s): this worker counts its requests in its own "
                    "memory; /metrics from it shows its own counts only", path, exc.strerror)
        try:
            os.unlink(path)
        except OSError:
            pass
        return False
    return True
