"""IrqClient: one method per irq-server route.

Two layers, as in docker-py: `get_json`/`post_json`/`request` return decoded JSON; the public
methods build typed models from it, and each model keeps that JSON in `raw` (what `--json`
prints). Windowed methods take one `window` argument (irq_client.window.Window).

Every request has a timeout; GET and PUT (both idempotent here) are retried on connection
errors and 429/502/503/504, honouring Retry-After, with bounded exponential backoff; nothing
else is retried.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from irq_client import __version__
from irq_client.errors import TransportError, error_from_response, transport_error
from irq_client.models import (Affinity, Compliance, Cpu, CpuUsage, CpuWindow, Current, Health,
                               History, HostInfo, InterruptWindow, Irq, IrqList, IrqWindow,
                               Items, ItemsBy, Json, MemoryPoint, Run, RunInterrupts, RunList,
                               SoftirqWindow, SpaceAverage, StoragePoint, Token, UsageRecorded)
from irq_client.models.base import obj
from irq_client.models.cpus import cpu_list
from irq_client.models.usage import cpu_series, memory_series, storage_by_mount, storage_series
from irq_client.models.changes import ChangeList
from irq_client.window import Instant, WindowArg, instant_text, window_of

DEFAULT_URL = "http://127.0.0.1:5000"
RETRY_STATUSES = (429, 502, 503, 504)


class HttpClient:
    """What every client of an irq-server role shares: the session with retries, the token,
    the timeout, and the low layer returning decoded JSON.

    Args:
        base_url: server URL; default $IRQ_SERVER_URL or http://127.0.0.1:5000.
        token: bearer token; default $IRQ_TOKEN (needed for writes).
        timeout: seconds for connect and for each read.
        retries: attempts after the first for idempotent calls (0 disables).
        session: a requests.Session to use (its adapters are replaced for retries).
    """

    ROLE = "irq-server"  # what errors call the server: "cannot reach irq-server at URL"

    def __init__(self, base_url: str | None = None, token: str | None = None,
                 timeout: float = 5.0, retries: int = 3,
                 session: requests.Session | None = None) -> None:
        self.base_url = (base_url or os.environ.get("IRQ_SERVER_URL") or DEFAULT_URL).rstrip("/")
        self.token = token if token is not None else os.environ.get("IRQ_TOKEN")
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = f"irq-client/{__version__}"
        retry = Retry(total=retries, connect=retries, read=0, other=0, status=retries,
                      allowed_methods=frozenset({"GET", "PUT"}), status_forcelist=RETRY_STATUSES,
                      backoff_factor=0.2, backoff_max=5, respect_retry_after_header=True,
                      raise_on_status=False)
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r})"

    # ---- low layer: decoded JSON --------------------------------------------------------------
    def send(self, method: str, path: str, accept: str = "application/json",
             **kwargs: Any) -> requests.Response:
        """Send one request; the 2xx response, else an ApiError/TransportError."""
        url = urljoin(self.base_url + "/", path.lstrip("/"))
        headers = {"Accept": accept}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = self.session.request(method, url, headers=headers, timeout=self.timeout,
                                            **kwargs)
        except requests.exceptions.RequestException as exc:
            raise transport_error(exc, role=self.ROLE, base_url=self.base_url, method=method,
                                  url=url) from exc
        if not response.ok:
            raise error_from_response(response)
        return response

    def request(self, method: str, path: str, **kwargs: Any) -> Json:
        """Send one request; JSON body of a 2xx answer, else an ApiError/TransportError."""
        response = self.send(method, path, **kwargs)
        try:
            body: Json = response.json()
        except ValueError as exc:
            raise TransportError(f"{self.ROLE} at {self.base_url} sent a body that is not JSON",
                                 method=method, url=response.url) from exc
        return body

    def delete_json(self, path: str) -> Json:
        return self.request("DELETE", path)

    def post_json(self, path: str, body: dict[str, Any]) -> Json:
        """POST (never retried: not idempotent)."""
        return self.request("POST", path, json={k: v for k, v in body.items() if v is not None})

    def get_json(self, path: str, **params: Any) -> Json:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None})


class IrqClient(HttpClient):
    """Client of one irq-server (a host): one method per route, returning typed models."""

    # (method, OpenAPI path) -> the method serving it; a test checks it covers the server's spec
    OPERATIONS = {
        ("get", "/healthz"): "health", ("get", "/openapi.json"): "openapi",
        ("get", "/cpus"): "cpus", ("get", "/host"): "host", ("get", "/compliance"): "compliance",
        ("get", "/irqs"): "irqs", ("get", "/irqs/{irq}"): "irq",
        ("get", "/irqs/{irq}/cpu_affinity"): "affinity",
        ("put", "/irqs/{irq}/cpu_affinity"): "set_affinity",
        ("get", "/affinity/changes"): "changes",
        ("get", "/interrupts"): "interrupts", ("get", "/interrupts/cpu/{cpu}"): "interrupts_cpu",
        ("get", "/interrupts/irqs"): "interrupts_irqs", ("get", "/history"): "history",
        ("get", "/readyz"): "ready", ("get", "/softirqs"): "softirqs",
        ("get", "/cpu"): "cpu", ("get", "/cpu_average"): "cpu_average",
        ("get", "/memory"): "memory", ("get", "/memory_average"): "memory_average",
        ("get", "/storage"): "storage", ("get", "/storage_average"): "storage_average",
        ("get", "/current"): "current", ("get", "/metrics"): "metrics",
        ("post", "/api/v1/auth"): "login", ("post", "/api/v1/test"): "create_run",
        ("get", "/api/v1/test"): "runs", ("get", "/api/v1/test/{run_id}"): "run",
        ("post", "/api/v1/test/{run_id}/usage"): "add_usage",
        ("post", "/api/v1/test/{run_id}/stop"): "stop_run",
        ("get", "/api/v1/test/{run_id}/interrupts"): "run_interrupts",
    }

    # ---- high layer: typed models ----------------------------------------------------------
    def health(self) -> Health:
        return Health.from_json(self.get_json("/healthz"))

    def ready(self) -> Health:
        """Like health(), but a degraded server answers 503 (raised as ServerError; retried
        first, as every 503 is)."""
        return Health.from_json(self.get_json("/readyz"))

    def openapi(self) -> dict[str, Json]:
        """The server's OpenAPI 3 description."""
        return obj(self.get_json("/openapi.json"))

    def cpus(self) -> Items[Cpu]:
        return cpu_list(self.get_json("/cpus"))

    def host(self) -> HostInfo:
        """Hostname, kernel, boot time and the irqbalance daemon (NotFound: an older server)."""
        return HostInfo.from_json(self.get_json("/host"))

    def compliance(self) -> Compliance:
        """The IRQs routed to CPUs the host's policy bans, and whether each can move."""
        return Compliance.from_json(self.get_json("/compliance"))

    def irqs(self) -> IrqList:
        """Every IRQ with counts since boot and affinity."""
        return IrqList.from_json(self.get_json("/irqs"))

    def irq(self, irq: int) -> Irq:
        return Irq.from_json(self.get_json(f"/irqs/{int(irq)}"))

    def affinity(self, irq: int) -> Affinity:
        return Affinity.from_json(self.get_json(f"/irqs/{int(irq)}/cpu_affinity"))

    def set_affinity(self, irq: int, cpus: Iterable[int] | str,
                     reason: str | None = None) -> Affinity:
        """Route `irq` to `cpus`: a mask string ("f", "00000000,00000003") or CPU ids.
        `reason` (at most 500 printable characters) goes into the server's audit log.

        Raises:
            BadRequest: malformed mask, unknown or offline CPU, empty set.
            Unauthorized / Forbidden: no token, or a read-only one.
            Conflict: the kernel refuses (managed IRQ, no free vectors).
        """
        if isinstance(cpus, str):
            body = {"cpu_affinity_mask": cpus}
        else:
            body = {"cpu_affinity_list": ",".join(str(int(c)) for c in sorted(set(cpus)))}
        if reason is not None:
            body["reason"] = reason
        return Affinity.from_json(self.request("PUT", f"/irqs/{int(irq)}/cpu_affinity",
                                               json=body))

    def changes(self, window: WindowArg = None, limit: int | None = None) -> ChangeList:
        """The server's audit log over the window (None: all it keeps, a week by default),
        oldest first; at most `limit` (the newest), `truncated` when some were left out."""
        return ChangeList.from_json(self.get_json("/affinity/changes", limit=limit,
                                                  **window_of(window).query()))

    # windows: `window` is a Window, a number of seconds, or None (the last 60 s)
    def interrupts(self, window: WindowArg = None) -> InterruptWindow:
        """Interrupts per CPU over the window."""
        return InterruptWindow.from_json(self.get_json("/interrupts",
                                                       **window_of(window).query()))

    def interrupts_cpu(self, cpu: int, window: WindowArg = None) -> CpuWindow:
        """One CPU's interrupts over the window (NotFound: no such CPU on the host)."""
        return CpuWindow.from_json(self.get_json(f"/interrupts/cpu/{int(cpu)}",
                                                 **window_of(window).query()))

    def interrupts_irqs(self, window: WindowArg = None) -> IrqWindow:
        """Per-IRQ per-CPU counts and rates over the window."""
        return IrqWindow.from_json(self.get_json("/interrupts/irqs",
                                                 **window_of(window).query()))

    def softirqs(self, window: WindowArg = None) -> SoftirqWindow:
        """Per-softirq per-CPU counts and rates over the window."""
        return SoftirqWindow.from_json(self.get_json("/softirqs", **window_of(window).query()))

    def history(self) -> History:
        return History.from_json(self.get_json("/history"))

    # usage: windows default to the last week; series have at most `points` points
    def cpu(self, window: WindowArg = None, points: int | None = None,
            per_cpu: bool = False) -> Items[CpuUsage]:
        """CPU usage over time, each point the interval ending at its taken_at."""
        return cpu_series(self.get_json("/cpu", **window_of(window).query(), points=points,
                                        per_cpu="true" if per_cpu else None))

    def cpu_average(self, window: WindowArg = None) -> float | None:
        """Average CPU usage (percent) over the window; None before the first sample."""
        value = obj(self.get_json("/cpu_average", **window_of(window).query()))["cpu_avg_usage"]
        return None if value is None else float(value)

    def memory(self, window: WindowArg = None,
               points: int | None = None) -> Items[MemoryPoint]:
        return memory_series(self.get_json("/memory", **window_of(window).query(),
                                           points=points))

    def memory_average(self, window: WindowArg = None) -> SpaceAverage:
        return SpaceAverage.from_json(
            self.get_json("/memory_average", **window_of(window).query()), "memory_avg")

    def storage(self, window: WindowArg = None, points: int | None = None,
                mount: str | None = None) -> Items[StoragePoint]:
        """One filesystem's space over time (default the root)."""
        return storage_series(self.get_json("/storage", **window_of(window).query(),
                                            points=points, mount=mount))

    def storage_all(self, window: WindowArg = None,
                    points: int | None = None) -> ItemsBy[StoragePoint]:
        """Every tracked filesystem's space over time, by mount point."""
        return storage_by_mount(self.get_json("/storage", **window_of(window).query(),
                                              points=points, all="true"))

    def storage_average(self, window: WindowArg = None,
                        mount: str | None = None) -> SpaceAverage:
        return SpaceAverage.from_json(self.get_json(
            "/storage_average", **window_of(window).query(), mount=mount), "disk_avg")

    def current(self) -> Current:
        """Usage now: CPU over the last sampling interval, memory and filesystems now."""
        return Current.from_json(self.get_json("/current"))

    def metrics(self) -> str:
        """The Prometheus text exposition of GET /metrics (for a quick look or a scraper;
        Prometheus itself is where to query it)."""
        return self.send("GET", "/metrics", accept="text/plain").text

    # runs (the tracker): a user's JWT from login(), or any token; see `irq-client record`
    def login(self, username: str, password: str) -> Token:
        """Log in as a user made with 'irq-server user add'; the JWT becomes this client's
        token.

        Raises:
            Unauthorized: wrong user name or password (one answer for both).
            TooManyRequests: logins for that user failed repeatedly; see retry_after.
        """
        token = Token.from_json(self.post_json("/api/v1/auth", {"username": username,
                                                                "password": password}))
        self.token = token.token
        return token

    def create_run(self, name: str, description: str | None = None, threshold: float = 50.0,
                   host: str | None = None, start_time: Instant | None = None) -> Run:
        """Start a run; `threshold` in CPU percent (0.5 would mean 50: see the server docs),
        `host` the machine it measures (its interrupts are served when it is the server's)."""
        return Run.from_json(self.post_json("/api/v1/test", {
            "name": name, "description": description, "threshold": threshold, "host": host,
            "start_time": instant_text(start_time)}))

    def runs(self, page: int = 1, per_page: int = 20) -> RunList:
        """The caller's runs, newest first."""
        return RunList.from_json(self.get_json("/api/v1/test", page=page, per_page=per_page))

    def run(self, run_id: int) -> Run:
        """One of the caller's runs (NotFound: no such run; Forbidden: another user's)."""
        return Run.from_json(self.get_json(f"/api/v1/test/{int(run_id)}"))

    def add_usage(self, run_id: int, cpu_usage: float,
                  timestamp: Instant | None = None) -> UsageRecorded:
        """Record a CPU usage sample (percent, whole machine) measured at `timestamp`
        (default: when the server receives it). Conflict once the run is stopped."""
        return UsageRecorded.from_json(self.post_json(f"/api/v1/test/{int(run_id)}/usage", {
            "cpu_usage": cpu_usage, "timestamp": instant_text(timestamp)}))

    def stop_run(self, run_id: int, end_time: Instant | None = None) -> Run:
        """Stop a run at `end_time` (default now); Conflict when it is already stopped."""
        return Run.from_json(self.post_json(f"/api/v1/test/{int(run_id)}/stop",
                                            {"end_time": instant_text(end_time)}))

    def run_interrupts(self, run_id: int, limit: int = 20) -> RunInterrupts:
        """Interrupts per CPU and the `limit` busiest IRQs during the run (Conflict when the
        run measured another host than the server's)."""
        return RunInterrupts.from_json(self.get_json(f"/api/v1/test/{int(run_id)}/interrupts",
                                                     limit=limit))
