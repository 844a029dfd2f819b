"""GET /metrics: Prometheus text exposition of the host (irq_server.metrics) and of the server
itself (sampler, history store, affinity writes, HTTP requests).

The server's own counters are prometheus-client Counters; under gunicorn each worker keeps
them in files in PROMETHEUS_MULTIPROC_DIR (set by `irq-server` before any worker starts, in
<data-dir>/metrics.d), summed at every scrape by prometheus-client's MultiProcessCollector, so
any worker answers the same totals. Labels are bounded: the route's rule (not its path),
the method, the status.
"""
from __future__ import annotations

import math
import os

from flask import Flask, Response, current_app, g, request
from prometheus_client import (CollectorRegistry, Counter, disable_created_metrics,
                               generate_latest, values)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from irq_server import __version__
from irq_server.api.blueprint import Blueprint
from irq_server.history.window import Windows
from irq_server.host import Host
from irq_server.metrics import HostState, families

disable_created_metrics()  # no *_created series: one series per counter, not two
blp = Blueprint("metrics", __name__, description="Prometheus metrics")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Collector:
    """prometheus-client collector over a prepared list of families."""

    def __init__(self, found):
        self.found = found

    def collect(self):
        yield from self.found


@blp.route("/metrics", methods=["GET"])
@blp.response(200, {"type": "string"}, content_type=CONTENT_TYPE,
              description="Prometheus text exposition format 0.0.4")
def metrics():
    """Interrupts, CPU time, memory and filesystems of the host; the server's own health."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(list(families(host_state(),
                                               current_app.config["IRQ_METRICS"]))))
    registry.register(_Collector(list(server_families())))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        for counter in current_app.extensions["irq_counters"].values():
            registry.register(counter)
    return Response(generate_latest(registry), content_type=CONTENT_TYPE)


def host_state() -> HostState:
    host: Host = current_app.extensions["irq_host"]
    windows: Windows = current_app.extensions["irq_windows"]
    snapshot = windows.current()
    store = windows.store if windows.has_history() else None
    previous = store.at_or_before(snapshot.ts - 1e-6) if store else None
    return HostState(snapshot=snapshot, previous=previous, table=host.interrupts(),
                     memory=host.memory(), filesystems=host.filesystems())


def server_families():
    windows: Windows = current_app.extensions["irq_windows"]
    info = GaugeMetricFamily("irq_server_info", "The server's version", labels=["version"])
    info.add_metric([__version__], 1)
    yield info
    stats = windows.store.stats() if windows.has_history() else None
    newest = stats["newest"] if stats else None
    yield GaugeMetricFamily("irq_sampler_last_sample_age_seconds", "Seconds since the newest "
                            "stored sample (NaN before the first)",
                            value=windows.clock() - newest if newest else math.nan)
    yield GaugeMetricFamily("irq_history_samples", "Samples kept in the history store",
                            value=stats["samples"] if stats else 0)
    yield GaugeMetricFamily("irq_history_store_bytes", "Size of the history store",
                            value=stats["store_bytes"] if stats else 0)


def _count(response: Response) -> Response:
    counters = current_app.extensions["irq_counters"]
    rule = request.url_rule.rule if request.url_rule else "(no route)"
    counters["http"].labels(rule, request.method, str(response.status_code)).inc()
    if request.method == "PUT" and rule.endswith("/cpu_affinity"):
        status = response.status_code
        counters["affinity"].labels(g.get("affinity_result") or (
            "refused" if status == 409 else "error" if status >= 500 else "invalid")).inc()
    return response


def init_app(app: Flask) -> None:
    """The server's own counters, in this process; in the files of PROMETHEUS_MULTIPROC_DIR
    when it is set (prometheus-client picks where values live when they are made: made here,
    in each worker, after irq-server set it)."""
    values.ValueClass = values.get_value_class()
    app.extensions["irq_counters"] = {
        "http": Counter("irq_http_requests", "HTTP requests answered, by route rule, method "
                        "and status", ["route", "method", "status"], registry=None),
        "affinity": Counter("irq_affinity_writes", "PUT affinity requests by result: changed, "
                            "unchanged, refused (409), invalid (4xx), error (5xx)", ["result"],
                            registry=None)}
    app.after_request(_count)
