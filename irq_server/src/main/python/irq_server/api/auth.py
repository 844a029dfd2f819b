"""Bearer-token checks for every route, before any view runs, so no route can slip through.

A bearer token is either an opaque token (tokens.json) or a JWT from POST /api/v1/auth (a
user's, checked against users.sqlite3 on each request, so removing a user revokes it). Both
carry a scope. What a route needs is decided here, by default from its method: anything but
GET/HEAD/OPTIONS needs scope "write"; reads need a token only with --auth-reads. A view can
say otherwise with one of two marks:
- `@needs_caller`: any valid token, whatever its scope and the method (a user's own runs);
- `@no_token`: none at all (the login route itself);
- `@reads_only`: a read whatever its method (the registry's lookup is a POST);
- `@open_publish`: a write, open to everyone when the server runs with --open-publish (the
  registry's old clients send no token); a token shown there is still checked, so the view
  knows whether the caller had a write token.
Requests for no route (or no such method) pass untouched, to be answered 404/405.
"""
from __future__ import annotations

from flask import Flask, current_app, g, request

from irq_server.api.state import state
from irq_server.auth.jwt_tokens import JwtIssuer, looks_like_jwt
from irq_server.auth.tokens import TokenInfo, TokenStore
from irq_server.auth.users import UserStore
from irq_server.errors import AuthError, ScopeError

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_PATHS = frozenset({"/healthz", "/api/v1/healthz", "/readyz", "/api/v1/readyz"})
_MARK = "irq_auth"


def _marking(kind: str, doc: str):
    def mark(view):
        setattr(view, _MARK, kind)
        return view
    mark.__doc__ = f"Mark `view` (under its route decorator): {doc}."
    return mark


needs_caller = _marking("caller", "any valid token, read or write scope")
no_token = _marking("none", "open to everyone")
reads_only = _marking("read", "checked as a read, whatever its method")
open_publish = _marking("publish", "a write, unless --open-publish")


def caller() -> TokenInfo | None:
    """The token that authenticated this request, if any."""
    return g.get("irq_token")


def identify(token: str) -> TokenInfo:
    """Who a bearer token belongs to.

    Raises:
        AuthError: unknown opaque token; JWT expired, tampered, or of a removed user.
    """
    if looks_like_jwt(token):
        claims = state().jwt.verify(token)
        users: UserStore = state().users
        user = users.get(claims["sub"])
        if user is None or claims.get("ukey") != user.key:  # removed (and maybe re-added)
            raise AuthError(f"user {claims['sub']!r} of this token no longer exists on this "
                            "server (removed, or added again since): log in again")
        scope = "write" if claims["scope"] == user.scope == "write" else "read"
        return TokenInfo(user.name, scope, claims["iat"], kind="user")
    store: TokenStore = state().tokens
    info = store.lookup(token)
    if info is None:
        raise AuthError("the bearer token is not known to this server")
    return info


def _check() -> None:
    if request.routing_exception is not None:  # no such route or method: 404/405, not 401
        return
    view = current_app.view_functions.get(request.endpoint)
    mark = getattr(view, _MARK, None)
    open_write = mark == "publish" and current_app.config["IRQ_OPEN_PUBLISH"]
    writing = request.method not in READ_METHODS and mark != "read"
    if mark == "none" or (mark in (None, "read", "publish") and not writing and (
            not current_app.config["IRQ_AUTH_READS"] or request.path in OPEN_PATHS)):
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        if open_write:  # --open-publish: no token needed (but one shown is checked)
            return
        raise AuthError("this request needs 'Authorization: Bearer <token>': a token from "
                        "'irq-server token create', or a user's from POST /api/v1/auth")
    info = identify(token.strip())
    if open_write:
        g.irq_token = info
        return
    if mark in (None, "publish") and writing and info.scope != "write":
        raise ScopeError(f"{info.kind} '{info.name}' has scope '{info.scope}'; changing the "
                         "host needs scope 'write'")
    g.irq_token = info


def init_app(app: Flask) -> None:
    state(app).tokens = TokenStore(app.config["IRQ_DATA_DIR"])
    state(app).users = UserStore(app.config["IRQ_DATA_DIR"],
                                            clock=app.config["IRQ_CLOCK"])
    state(app).jwt = JwtIssuer(app.config["IRQ_DATA_DIR"],
                                          lifetime=app.config["IRQ_JWT_LIFETIME"],
                                          clock=app.config["IRQ_CLOCK"])
    app.before_request(_check)
