"""The Host header check: a request must name this server (400 otherwise), so that a web
page on a name an attacker controls, once that name resolves to this server (DNS
rebinding), cannot read the open routes, and redirects never point elsewhere.

A Host is allowed when its name (port aside) is `localhost` or a loopback address (no
attacker's DNS can answer for those), one of `--allowed-hosts` (default: the bind address,
the machine's hostname and FQDN, and the host of `--advertise`), or the local address the
request arrived on (so a server bound to 0.0.0.0 answers every address of the machine:
Prometheus scraping a pod IP, a registry's advertised URL). `--allowed-hosts '*'` turns the
check off. A request without a Host header is refused too.
"""
from __future__ import annotations

import socket
from urllib.parse import urlsplit

from flask import Flask, current_app, request

from irq_server.errors import InvalidInput

ANY = "*"
LOOPBACK = ("localhost", "127.0.0.1", "::1")


def allowed_hosts(setting: str | None, bind: str, advertise: str | None) -> frozenset | None:
    """The names a Host may carry (None: any): the loopback names, and --allowed-hosts
    (comma-separated; empty: the defaults above, from the addresses the server binds and
    advertises)."""
    names = [n.strip() for n in (setting or "").split(",") if n.strip()]
    if ANY in names:
        return None
    if not names:
        names = [socket.gethostname(), socket.getfqdn()]
        host = bind.rpartition(":")[0].strip("[]") if not bind.startswith("unix:") else ""
        if host not in ("", "0.0.0.0", "::"):
            names.append(host)
        if advertise:
            names.append(urlsplit(advertise).hostname or "")
    return frozenset(_normal(n) for n in [*LOOPBACK, *names] if n)


def host_name(header: str) -> str:
    """The name part of a Host header: "[::1]:5000" -> "::1", "Db7.:80" -> "db7"; "" for
    one that is malformed (an unclosed bracket, a port that is not one), which no allowed
    name matches."""
    if header.startswith("["):
        name, close, rest = header[1:].partition("]")
        if not close or (rest and not (rest.startswith(":") and _port(rest[1:]))):
            return ""
        return _normal(name)
    name, colon, port = header.rpartition(":")
    if colon and ":" not in name:  # NAME:PORT (else a name, or a bare IPv6 address)
        return _normal(name) if _port(port) else ""
    return _normal(header)


def _port(text: str) -> bool:
    return text == "" or (text.isdigit() and len(text) <= 5 and int(text) <= 65535)


def _normal(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _check() -> None:
    allowed = current_app.config["IRQ_ALLOWED_HOSTS"]
    if allowed is None:
        return
    header = request.headers.get("Host", "")
    if not header:
        raise InvalidInput("the request has no Host header", field="Host")
    name = host_name(header)
    if name in allowed or name == _arrived_on():
        return
    raise InvalidInput(f"Host {header[:200]!r} does not name this server (an operator can "
                       "allow more names with irq-server --allowed-hosts)", field="Host")


def _arrived_on() -> str | None:
    """The local address of this request's connection (gunicorn hands its socket over)."""
    sock = request.environ.get("gunicorn.socket")
    try:
        address = str(sock.getsockname()[0]) if sock is not None else None
    except (OSError, IndexError, TypeError):
        return None
    if address and address.startswith("::ffff:") and "." in address:  # v4 on a v6 socket
        address = address[len("::ffff:"):]
    return _normal(address) if address else None


def init_app(app: Flask) -> None:
    """Check every request's Host first, before anything reads its body or its token."""
    app.before_request_funcs.setdefault(None, []).insert(0, _check)
