"""Self-publication: a host server keeps itself registered in a registry partition.

`irq-server --publish-to URL --partition P` starts this as a supervised helper process
(like the sampler). It publishes {"uid": NAME, "uri": its advertised base URL, "data_type":
"irq-server", "connection_type": 0} through the registry's published API every TTL/3 (the
registry says its TTL at /api/v1/registry), and retracts the entry on SIGTERM, that is on a
clean stop of the server. A registry that is away is retried at the next round, logged once.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
import urllib.request

from irq_server.registry import IRQ_SERVER
from irq_server.registry.store import DEFAULT_TTL

log = logging.getLogger(__name__)
TOKEN_ENV = "IRQ_SERVER_PUBLISH_TOKEN"


def advertised_url(bind: str, tls: bool) -> str:
    """The base URL others reach a server bound at `bind` by: the bound address, or this
    machine's name when it listens on every address."""
    host, _, port = bind.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::"):
        host = socket.getfqdn()
    if ":" in host:
        host = f"[{host}]"
    return f"{'https' if tls else 'http'}://{host}:{port}"


class Publisher:
    def __init__(self, registry: str, partition: str, uid: str, uri: str,
                 token: str | None = None, timeout: float = 3.0):
        self.registry = registry.rstrip("/")
        self.partition, self.uid, self.uri = partition, uid, uri
        self.token = token
        self.timeout = timeout
        self._failing = False

    def _post(self, path: str, body: dict) -> bytes:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.registry + path, data=json.dumps(body).encode(),
                                         headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:
            return answer.read()

    def ttl(self) -> float:
        """The registry's TTL (its default when it cannot say)."""
        try:
            with urllib.request.urlopen(self.registry + "/api/v1/registry",
                                        timeout=self.timeout) as answer:
                return float(json.load(answer)["ttl_seconds"])
        except (OSError, ValueError, KeyError):
            return DEFAULT_TTL

    def publish(self) -> None:
        try:
            self._post("/publish", {"partition": self.partition, "connections": [{
                "uid": self.uid, "uri": self.uri, "data_type": IRQ_SERVER,
                "connection_type": 0}]})
        except OSError as exc:  # HTTPError and URLError too
            if not self._failing:
                hint = (f": give a write token of the registry in ${TOKEN_ENV}"
                        if getattr(exc, "code", None) in (401, 403) else "")
                log.warning("cannot publish %s to %s (%s%s); retrying every round", self.uid,
                            self.registry, exc, hint)
            self._failing = True
            return
        if self._failing:
            log.info("published %s to %s again", self.uid, self.registry)
        self._failing = False

    def retract(self) -> None:
        try:
            self._post("/retract", {"partition": self.partition, "connections": [
                {"connection_id": self.uid, "data_type": IRQ_SERVER}]})
            log.info("retracted %s from %s partition %s", self.uid, self.registry,
                     self.partition)
        except OSError as exc:  # HTTPError and URLError too
            log.warning("could not retract %s from %s: %s (it expires after the TTL)",
                        self.uid, self.registry, exc)

    def run(self, stop: threading.Event) -> None:
        every = self.ttl() / 3
        log.info("publishing %s = %s to %s partition %s every %.3g s", self.uid, self.uri,
                 self.registry, self.partition, every)
        while True:
            self.publish()
            if stop.wait(every):
                break
        self.retract()


def token_from_env() -> str | None:
    return os.environ.get(TOKEN_ENV) or None
