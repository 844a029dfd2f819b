"""The connection registry: entries (uid -> uri) published under partitions, with a TTL."""
from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

IRQ_SERVER = "irq-server"  # the data_type irq-servers publish themselves under
# a DNS name as RFC 1123 has it: dot-separated labels of letters, digits and inner hyphens
_DNS_NAME = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.?",
                       re.IGNORECASE)


def server_url_problem(uri: str) -> str | None:
    """What is wrong with an irq-server's base URL (None: nothing). Prometheus and irq-balance
    connect to it and irq-client prints it, so it must be http(s)://HOST[:PORT][/PATH]: HOST
    a DNS name or an IP address, no user or password, no query or fragment."""
    if any(c.isspace() or not c.isprintable() for c in uri):
        return "the URL must not contain spaces or control characters"
    try:
        url = urlsplit(uri)
        port = url.port
    except ValueError as exc:
        return f"not a URL ({exc})"
    if url.scheme not in ("http", "https"):
        return f"the URL must be http:// or https://, not {url.scheme or 'none'}:"
    if url.username is not None or url.password is not None:
        return "the URL must not carry a user or password"
    if not url.hostname:
        return "the URL needs a host"
    if not _host_ok(url.hostname):
        return f"{url.hostname!r} is neither a DNS name nor an IP address"
    if port == 0:
        return "port 0 is not a port to connect to"
    if port is None and url.netloc.endswith(":"):
        return "a URL with a ':' after its host needs a port"
    if url.query or url.fragment or uri.endswith(("?", "#")):
        return "a base URL has no query or fragment"
    return None


def _host_ok(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return len(host) <= 253 and _DNS_NAME.fullmatch(host) is not None
