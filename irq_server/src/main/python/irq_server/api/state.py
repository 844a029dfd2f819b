"""What an app holds for its views: one typed object per app, `state()`, filled in by
create_app and the init_app of the modules that own each part. A role has only its parts
(the registry has no host, a host no registry store)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from prometheus_client import Counter

    from irq_server.api.window_cache import WindowCache
    from irq_server.audit.store import AuditLog
    from irq_server.auth.jwt_tokens import JwtIssuer
    from irq_server.auth.tokens import TokenStore
    from irq_server.auth.users import UserStore
    from irq_server.cost.history_fit import EstimateFile
    from irq_server.history.window import Windows
    from irq_server.host import Host
    from irq_server.registry.store import RegistryStore
    from irq_server.runs.store import RunStore

KEY = "irq_server"


class AppState:
    """The app's host, stores and caches (each set once, at app creation)."""

    host: Host  # the host tree (host role)
    windows: Windows  # counters over time: history and live reads (host role)
    window_cache: WindowCache  # answers of recent windows (host role)
    estimates: EstimateFile  # the sampler's cost estimate (host role)
    runs: RunStore  # the tracker's runs (host role)
    audit: AuditLog  # every accepted affinity write (host role)
    registry: RegistryStore  # published servers (registry role)
    tokens: TokenStore  # API tokens
    users: UserStore  # user logins
    jwt: JwtIssuer  # JWTs from POST /api/v1/auth
    counters: dict[str, Counter]  # the server's own /metrics counters
    counters_shared: bool  # whether those live in the multiprocess files


def attach(app: Flask) -> AppState:
    app.extensions[KEY] = AppState()
    return app.extensions[KEY]


def state(app: Flask | None = None) -> AppState:
    """This app's state (the current app's by default)."""
    found: AppState = (app or current_app).extensions[KEY]
    return found
