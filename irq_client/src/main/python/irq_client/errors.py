"""Exceptions of irq_client, and the one function that maps an HTTP answer to them.

    IrqClientError              anything this library raises on purpose
     ├── TransportError         the server could not be reached (refused, DNS, timeout, TLS)
     └── ApiError               the server answered with an error (status, title, detail, errors)
          ├── BadRequest        400, 405, 422: the request was malformed or a value invalid
          ├── Unauthorized      401: no token, or a token the server does not know
          ├── Forbidden         403: the token lacks the scope (affinity writes need "write"),
          │                     or the run is another user's
          ├── NotFound          404: no such IRQ, CPU or route
          ├── Conflict          409: the kernel refused (managed IRQ, no free vectors), or
          │                     the run is stopped
          ├── TooManyRequests   429: wait `retry_after` seconds (repeated failed logins)
          └── ServerError       5xx: the server failed or cannot reach its host tree
"""
from __future__ import annotations

import requests


class IrqClientError(Exception):
    """Base of every irq_client exception."""


class TransportError(IrqClientError):
    """The request never got an HTTP answer."""

    def __init__(self, message: str, *, method: str, url: str):
        super().__init__(message)
        self.method = method
        self.url = url


class ApiError(IrqClientError):
    """The server answered with an error status (RFC 9457 problem details when it could)."""

    def __init__(self, status: int, title: str, detail: str, *, method: str, url: str,
                 errors: dict[str, list[str]] | None = None, headers: dict | None = None):
        super().__init__(f"{status} {title}: {detail} ({method} {url})")
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors or {}
        self.headers = dict(headers or {})
        self.method = method
        self.url = url


class BadRequest(ApiError):
    pass


class Unauthorized(ApiError):
    pass


class Forbidden(ApiError):
    pass


class NotFound(ApiError):
    pass


class Conflict(ApiError):
    pass


class TooManyRequests(ApiError):
    @property
    def retry_after(self) -> int | None:
        """Seconds the server asked to wait (its Retry-After header)."""
        value = self.headers.get("Retry-After", "")
        return int(value) if value.isdigit() else None


class ServerError(ApiError):
    pass


_BY_STATUS = {400: BadRequest, 405: BadRequest, 422: BadRequest, 401: Unauthorized,
              403: Forbidden, 404: NotFound, 409: Conflict, 429: TooManyRequests}


def error_from_response(response: requests.Response) -> ApiError:
    """The exception for an error answer: class by status, text from the problem body."""
    status = response.status_code
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    detail = body.get("detail") or body.get("message") or (response.text or "").strip()[:500]
    return cls(status, body.get("title") or response.reason or "Error",
               detail or "(no detail)", method=response.request.method, url=response.url,
               errors=body.get("errors") if isinstance(body.get("errors"), dict) else None,
               headers=response.headers)
