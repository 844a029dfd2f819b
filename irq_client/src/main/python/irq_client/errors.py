"""Exceptions of irq_client, and the two functions that make them: `error_from_response` (an
HTTP error answer) and `transport_error` (no answer: the one place where requests' and
urllib3's exceptions become ours).

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

from collections.abc import Mapping

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
                 errors: dict[str, list[str]] | None = None,
                 headers: Mapping[str, str] | None = None):
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
    cls: type[ApiError] = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    detail = body.get("detail") or body.get("message") or (response.text or "").strip()[:500]
    return cls(status, body.get("title") or response.reason or "Error",
               detail or "(no detail)", method=response.request.method or "", url=response.url,
               errors=body.get("errors") if isinstance(body.get("errors"), dict) else None,
               headers=response.headers)


# what OpenSSL says when the other end answered a TLS hello in plain HTTP
_NOT_TLS = ("WRONG_VERSION_NUMBER", "wrong version number", "record layer failure",
            "packet length too long", "unknown protocol")
# the telling part of a connection error, as the user should read it
_REASONS = ("Connection refused", "Name or service not known", "No route to host",
            "Temporary failure in name resolution", "certificate verify failed")


def transport_error(exc: requests.exceptions.RequestException, *, role: str, base_url: str,
                    method: str, url: str) -> TransportError:
    """The TransportError for a request that got no HTTP answer; `role` names what was asked
    ("irq-server", "the registry")."""
    if isinstance(exc, requests.exceptions.RetryError):
        return TransportError(f"{role} at {base_url} kept failing: {exc}", method=method,
                              url=url)
    return TransportError(f"cannot reach {role} at {base_url}: {_reason(exc, base_url)}",
                          method=method, url=url)


def _reason(exc: requests.exceptions.RequestException, base_url: str) -> str:
    """The innermost, most telling message of a requests exception."""
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out"
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError) and any(m in text for m in _NOT_TLS):
        plain = "http://" + base_url.split("://", 1)[-1]
        return f"the server does not speak TLS (is it {plain}?)"
    for marker in _REASONS:
        if marker in text:
            return marker.lower()
    return text
