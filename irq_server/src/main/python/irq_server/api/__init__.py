"""The Flask app factory: create_app(config) -> Flask."""
from __future__ import annotations

import os
import tempfile
import time

from flask import Flask

from irq_server import __version__
from irq_server.api import (auth, changes, cpus, health, history, host, host_header, irqs,
                            metrics, problems, registry, request_body, runs, state, ui, usage)
from irq_server.api.openapi import Api, open_operations
from irq_server.api.window_cache import WindowCache
from irq_server.audit.store import AuditLog
from irq_server.cost.history_fit import EstimateFile
from irq_server.exposition import MetricsOptions
from irq_server.history.store import HistoryStore
from irq_server.history.tiers import DEFAULT_TIERS
from irq_server.history.window import Windows
from irq_server.host import Host
from irq_server.registry.store import DEFAULT_TTL, RegistryStore
from irq_server.runs.store import RunStore

# at / and /api/v1
BLUEPRINTS = (health.blp, host.blp, cpus.blp, irqs.blp, changes.blp, history.blp, usage.blp)
CONTRACT_BLUEPRINTS = (runs.tracker, runs.testrun, metrics.blp)  # at their own paths only
API_PREFIX = "/api/v1"

DEFAULTS = {
    "IRQ_ROOT": "/",  # host tree root (/ = this machine)
    "IRQ_DATA_DIR": None,  # tokens, history; None = a fresh temporary dir
    "IRQ_AUTH_READS": False,  # reads need a token too
    "IRQ_INTERVAL": 1.0,  # sampler interval in seconds
    "IRQ_TIERS": DEFAULT_TIERS,  # history retention
    "IRQ_CLOCK": time.time,  # "now" (tests drive a fake one)
    "IRQ_MAX_BODY": 16 * 1024,  # request bodies above this many bytes get 413 unread
    "IRQ_JWT_LIFETIME": 12 * 3600.0,  # seconds a token from POST /api/v1/auth is valid
    "IRQ_ROLE": "host",  # "host": a host's interrupts (and runs); "registry": the registry
    "IRQ_REGISTRY_TTL": DEFAULT_TTL,  # registry: seconds an entry lives after publication
    "IRQ_OPEN_PUBLISH": False,  # registry: publish/retract need no token (old clients)
    "IRQ_METRICS": MetricsOptions(),  # /metrics: per-CPU series, IRQ filters, top N
    "IRQ_ALLOWED_HOSTS": frozenset(host_header.LOOPBACK),  # Host names answered (None: any)
    "API_TITLE": "irq-server",
    "API_VERSION": __version__,
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {"info": {"description": "A Linux host's interrupts and IRQ affinity."}},
}


def create_app(config: dict | None = None) -> Flask:
    """Build the app for one host tree and data dir (see DEFAULTS for the config keys)."""
    app = Flask("irq_server")
    state.attach(app)
    app.config.update(DEFAULTS)
    app.config.update(config or {})
    app.config["MAX_CONTENT_LENGTH"] = app.config["IRQ_MAX_BODY"]  # also caps chunked bodies
    if not app.config["IRQ_DATA_DIR"]:
        app.config["IRQ_DATA_DIR"] = tempfile.mkdtemp(prefix="irq-server-")
    os.makedirs(app.config["IRQ_DATA_DIR"], exist_ok=True)
    api = Api(app)
    if app.config["IRQ_ROLE"] == "registry":
        _registry_role(app, api)
    else:
        _host_role(app, api)
    app.add_url_rule(f"{API_PREFIX}/openapi.json", "v1_openapi",
                     lambda: app.view_functions["api-docs.openapi_json"]())
    host_header.init_app(app)  # first of all: a request for another name is refused
    app.before_request(request_body.read_body)  # then: no view waits for a body
    auth.init_app(app)
    problems.init_app(app)
    metrics.init_app(app)
    return app


def _host_role(app: Flask, api: Api) -> None:
    held = state.state(app)
    held.host = Host.open(app.config["IRQ_ROOT"], state_dir=app.config["IRQ_DATA_DIR"])
    held.windows = _windows(held.host, app.config)
    held.window_cache = WindowCache()
    held.estimates = EstimateFile(app.config["IRQ_DATA_DIR"])
    held.runs = RunStore(app.config["IRQ_DATA_DIR"], clock=app.config["IRQ_CLOCK"])
    held.audit = AuditLog(app.config["IRQ_DATA_DIR"], clock=app.config["IRQ_CLOCK"],
                          keep=max(t.keep for t in app.config["IRQ_TIERS"]))
    for blp in BLUEPRINTS:
        api.register_blueprint(blp)
        api.register_blueprint(blp, url_prefix=API_PREFIX, name=f"v1_{blp.name}")
    for blp in CONTRACT_BLUEPRINTS:
        api.register_blueprint(blp)
    app.register_blueprint(ui.blp)  # static files: not in the OpenAPI description


def _registry_role(app: Flask, api: Api) -> None:
    state.state(app).registry = RegistryStore(
        app.config["IRQ_DATA_DIR"], ttl=app.config["IRQ_REGISTRY_TTL"],
        clock=app.config["IRQ_CLOCK"])
    api.register_blueprint(registry.compat)
    api.register_blueprint(registry.typed)
    if app.config["IRQ_OPEN_PUBLISH"]:
        open_operations(api, [("post", path) for path in registry.OPEN_PUBLISH_PATHS])


def _windows(host: Host, config: dict) -> Windows:
    clock = config["IRQ_CLOCK"]
    store = HistoryStore(config["IRQ_DATA_DIR"], tiers=config["IRQ_TIERS"], readonly=True)
    return Windows(store, live=lambda: host.counters(clock()), clock=clock,
                   interval=config["IRQ_INTERVAL"], boot_time=host.boot_time)
