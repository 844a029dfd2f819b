"""The one place where errors become HTTP: RFC 9457 application/problem+json bodies.

Domain errors map by class (the table below); HTTP errors raised by Flask, webargs or
flask-smorest (404, 405, 400 bad JSON, 422 validation) get the same shape; anything else is
a 500 without internals (the traceback goes to the log only).
"""
from __future__ import annotations

import logging

import orjson
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from irq_server import errors

log = logging.getLogger(__name__)

STATUS = (  # most specific first
    (errors.NotFound, 404),
    (errors.InvalidMask, 422),
    (errors.InvalidInput, 400),
    (errors.AffinityBusy, 503),
    (errors.AffinityRefused, 409),
    (errors.Conflict, 409),
    (errors.ScopeError, 403),
    (errors.Forbidden, 403),
    (errors.TooManyAttempts, 429),
    (errors.AuthError, 401),
    (errors.HostUnavailable, 503),
    (errors.StoreUnavailable, 503),
    (errors.IrqServerError, 500),
)
_TYPE_BASE = "https://irq-server.invalid/problems/"
PROBLEM_JSON = "application/problem+json"  # every error answer's media type (RFC 9457)


def problem(status: int, title: str, detail: str, field_errors: dict | None = None,
            headers: dict | None = None) -> Response:
    """A problem+json response."""
    body = {"type": _TYPE_BASE + title.lower().replace(" ", "-"), "title": title,
            "status": status, "detail": detail, "instance": request.path}
    if field_errors:
        body["errors"] = field_errors
    response = Response(orjson.dumps(body), status=status,
                        mimetype=PROBLEM_JSON)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def domain_error(exc: errors.IrqServerError) -> Response:
    status = next(code for cls, code in STATUS if isinstance(exc, cls))
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="irq-server"'
    if status == 503:
        headers["Retry-After"] = "1"
    if status == 429:
        headers["Retry-After"] = str(exc.retry_after)
    field_errors = {exc.field: [exc.detail]} if exc.field else None
    return problem(status, exc.title, exc.detail, field_errors, headers)


def http_error(exc: HTTPException) -> Response:
    """Werkzeug/webargs HTTP errors; validation messages become per-field `errors`."""
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    field_errors = _flatten(messages) if messages else None
    if field_errors:
        detail = "; ".join(f"{name}: {' '.join(map(str, msgs))}"
                           for name, msgs in field_errors.items())
    else:
        detail = exc.description or exc.name
    headers = dict(data.get("headers") or {})
    if exc.code == 405 and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    return problem(exc.code or 500, exc.name, detail, field_errors, headers)


def unexpected_error(exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return problem(500, "Internal Server Error",
                   "the server failed to answer this request; the error is in its log")


def _flatten(messages: dict) -> dict[str, list[str]]:
    """webargs nests messages by location ({"json": {"field": [..]}}): keep field -> messages."""
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        if key in ("json", "form", "json_or_form", "body", "json_body", "query", "querystring",
                   "view_args"):
            flat.update(_flatten(value) if isinstance(value, dict) else {key: list(value)})
        elif isinstance(value, dict):  # a nested field: "0.uri: the URL must ..."
            flat[key] = list(_paths(value))
        else:
            flat[key] = [str(m) for m in (value if isinstance(value, list) else [value])]
    return flat


def _paths(messages: dict, prefix: str = ""):
    """"path: message" for every message of a nested error dict."""
    for key, value in messages.items():
        if isinstance(value, dict):
            yield from _paths(value, f"{prefix}{key}.")
        else:
            for message in value if isinstance(value, list) else [value]:
                yield f"{prefix}{key}: {message}"


def init_app(app: Flask) -> None:
    app.register_error_handler(errors.IrqServerError, domain_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)
