"""Bearer-token checks for every route, decided by HTTP method so no route can slip through:
anything but GET/HEAD/OPTIONS needs a write token; reads need a token only with --auth-reads.
"""
from __future__ import annotations

from flask import Flask, current_app, g, request

from irq_server.errors import AuthError, ScopeError
from irq_server.tokens import TokenInfo, TokenStore

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_PATHS = frozenset({"/healthz", "/api/v1/healthz", "/readyz", "/api/v1/readyz"})


def caller() -> TokenInfo | None:
    """The token that authenticated this request, if any."""
    return g.get("irq_token")


def _check() -> None:
    writing = request.method not in READ_METHODS
    if not writing and (not current_app.config["IRQ_AUTH_READS"] or request.path in OPEN_PATHS):
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("this request needs 'Authorization: Bearer <token>'; create one with "
                        "'irq-server token create --scope write'")
    store: TokenStore = current_app.extensions["irq_tokens"]
    info = store.lookup(token.strip())
    if info is None:
        raise AuthError("the bearer token is not known to this server")
    if writing and info.scope != "write":
        raise ScopeError(f"token '{info.name}' has scope '{info.scope}'; changing affinity "
                         "needs a token with scope 'write'")
    g.irq_token = info


def init_app(app: Flask) -> None:
    app.before_request(_check)
