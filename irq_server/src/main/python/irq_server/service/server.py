"""The irq-server process: gunicorn on the app factory, plus its helpers, kept running by a
Supervisor: one history sampler and, with --simulate, one simulator process that advances the
simulated host. SIGTERM/SIGINT stop them all.

Before anything runs, the data dir is claimed and checked, in this order: its lock (a second
server on it exits 2), its modes (0700, files 0600), the listening address (in use: exit 2,
before the sampler writes anything), its stores (corrupt files moved aside, schemas
migrated), then the helpers and the workers start.

Slow clients: the default worker is gevent's, where a connection waiting for its request is
a greenlet, not a thread, so clients trickling bytes cannot starve the others: a worker
holds WORKER_CONNECTIONS, one source address at most worker.PER_SOURCE of them; a request's
headers must arrive within HEADER_TIMEOUT (gunicorn's keepalive, which its async workers
apply to every request read) and its body within request_body.BODY_TIMEOUT.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import resource
import shutil
import socket
import subprocess
import sys
import warnings
from pathlib import Path

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from irq_server import datadir
from irq_server.api import create_app
from irq_server.auth.jwt_tokens import JwtIssuer
from irq_server.auth.tokens import TokenStore
from irq_server.auth.users import UserStore
from irq_server.config import Settings
from irq_server.errors import DataDirInUse, InvalidInput, StoreUnavailable
from irq_server.registry.publisher import advertised_url
from irq_server.registry.store import RegistryStore
from irq_server.audit.store import AuditLog
from irq_server.runs.store import RunStore
from irq_server.service.helpers import prepare_simulation
from irq_server.service.supervisor import Helper, Supervisor

log = logging.getLogger(__name__)
HEADER_TIMEOUT = 5  # seconds a request's headers (and an idle kept-alive connection) may take
WORKER_CONNECTIONS = 4096  # connections a gevent worker holds (worker.PER_SOURCE per source)
WORKER_CLASSES = {"gevent": "irq_server.service.worker.Worker", "gthread": "gthread"}


class GunicornApp(BaseApplication):
    """gunicorn configured from Settings, loading create_app in each worker."""

    def __init__(self, settings: Settings, root: str, supervisor: Supervisor | None = None):
        self.settings = settings
        self.root = root
        self.supervisor = supervisor
        super().__init__()

    def load_config(self):
        s = self.settings
        options = {"bind": s.bind, "workers": s.workers, "threads": s.threads,
                   "worker_class": WORKER_CLASSES[s.worker_class], "keepalive": HEADER_TIMEOUT,
                   "worker_connections": _connections_per_worker(s.workers),
                   "accesslog": "-", "errorlog": "-", "loglevel": s.log_level,
                   "graceful_timeout": 10, "timeout": 60, "proc_name": "irq-server",
                   "certfile": s.certfile, "keyfile": s.keyfile,
                   # no control socket: two servers would share $HOME/.gunicorn/gunicorn.ctl
                   "control_socket_disable": True,
                   # a worker must not keep the data dir's lock after the arbiter is gone
                   "post_fork": lambda server, worker: datadir.release("server")}
        if self.supervisor is not None:
            options["on_exit"] = lambda server: self.supervisor.stop()
        # the app is imported here, before the workers fork (they boot in a fraction of the
        # time, sharing its pages); gevent then patches modules that imported ssl already:
        # none of them uses it in a worker (TLS is gevent's own), so its warning is noise
        warnings.filterwarnings("ignore", message="Monkey-patching ssl after ssl")
        for key, value in options.items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self):
        return create_app(self.settings.app_config(self.root))

    def run(self):
        arbiter = _Arbiter(self)
        arbiter.supervisor = self.supervisor
        arbiter.run()


def _connections_per_worker(workers: int) -> int:
    """WORKER_CONNECTIONS, with the open-file limit raised to hold them (up to its hard
    limit; below that, as many as fit, logged)."""
    need = workers * WORKER_CONNECTIONS + 256  # + stores, logs, helpers' pipes
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        soft = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    if soft == resource.RLIM_INFINITY or soft >= need:
        return WORKER_CONNECTIONS
    fit = max((soft - 256) // workers, 64)
    log.warning("the open-file limit (%d, hard %d) holds %d connections per worker, not %d: "
                "raise it (systemd: LimitNOFILE=)", soft, hard, fit, WORKER_CONNECTIONS)
    return fit


class _Arbiter(Arbiter):
    """gunicorn's arbiter, letting the supervisor read its helpers' exit status before
    gunicorn's waitpid(-1) takes it (see irq_server.service.supervisor)."""

    supervisor: Supervisor | None = None

    def reap_workers(self):
        if self.supervisor is not None:
            self.supervisor.reap()
        super().reap_workers()


def serve(settings: Settings) -> int:
    """Run until SIGTERM/SIGINT."""
    claim_data_dir(settings)
    check_bind(settings.bind)
    prepare_stores(settings)
    metrics = _metrics_dir(settings.data_dir)
    try:
        if settings.role == "registry":
            if settings.open_publish:
                log.warning("--open-publish: ANYONE who reaches %s can publish and retract "
                            "registry entries without a token (irq-balance will not send its "
                            "token to hosts published so)", settings.bind)
            log.info("registry on %s (TTL %g s)", settings.bind, settings.registry_ttl)
            GunicornApp(settings, settings.root).run()
            return 0
        return _serve_host(settings)
    finally:
        shutil.rmtree(metrics, ignore_errors=True)


def _serve_host(settings: Settings) -> int:
    root = prepare_simulation(settings) if settings.simulate else settings.root
    helpers = []
    if settings.simulate:
        helpers.append(Helper("simulator", _helper_argv(
            "simulate", "--root", root, "--interval", str(settings.interval),
            "--log-level", settings.log_level)))
    if settings.sampler:  # exactly one sampler per host, whatever the worker count
        helpers.append(Helper("sampler", _helper_argv(
            "sampler", "--root", root, "--data-dir", settings.data_dir, "--interval",
            str(settings.interval), "--tiers", settings.tiers, "--log-level",
            settings.log_level)))
    if settings.publish_to:
        uri = settings.advertise or advertised_url(settings.bind, bool(settings.certfile))
        helpers.append(Helper("publisher", _helper_argv(
            "publish", "--to", settings.publish_to, "--partition", settings.partition,
            "--as", settings.publish_as or socket.gethostname(), "--advertise", uri,
            "--log-level", settings.log_level)))
    supervisor = Supervisor(helpers, spawn=_child, reaped_by_owner=True)
    supervisor.start()
    log.info("serving %s on %s (helpers: %s)", root, settings.bind,
             ", ".join(f"{h.name} pid {h.proc.pid}" for h in helpers) or "none")
    try:
        GunicornApp(settings, root, supervisor).run()
    finally:
        supervisor.stop()
    return 0


def claim_data_dir(settings: Settings) -> None:
    """This server's data dir: created, locked, private (see the module doc).

    Raises:
        DataDirForeign: another user owns it.
        DataDirInUse: another server holds it, or (when this one would start a sampler) a
            sampler of its own runs on it.
    """
    datadir.claim(settings.data_dir, "server")
    if settings.role != "registry" and settings.sampler:
        try:
            datadir.check_free(settings.data_dir, "sampler")
        except DataDirInUse as exc:
            raise DataDirInUse(f"{exc.detail} (an 'irq-server sampler' of its own? then run "
                               "this server with --no-sampler)") from None


def check_bind(bind: str) -> None:
    """Refuse an address that cannot be listened on, now, in one line (gunicorn would retry
    five times, then exit 1, after the helpers started).

    Raises:
        InvalidInput: in use, not this machine's, or not an address.
    """
    if bind.startswith("fd://"):
        return
    if bind.startswith("unix:"):
        path = bind[len("unix:"):]
        with socket.socket(socket.AF_UNIX) as probe:
            with contextlib.suppress(OSError):
                probe.connect(path)
                raise InvalidInput(f"{bind} is in use by another server", field="bind")
        return
    host, _, port = bind.rpartition(":")
    host = host.strip("[]") or "0.0.0.0"
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
            probe.bind((host, int(port)))
    except (ValueError, OverflowError):  # no port, or one past 65535
        raise InvalidInput(f"--bind {bind!r} is not HOST:PORT (PORT 0-65535)",
                           field="bind") from None
    except OSError as exc:
        why = {errno.EADDRINUSE: "is in use by another process",
               errno.EADDRNOTAVAIL: "is not an address of this machine",
               errno.EACCES: "needs privileges to listen on"}.get(exc.errno, exc.strerror)
        raise InvalidInput(f"{bind} {why}", field="bind") from None


def prepare_stores(settings: Settings) -> None:
    """Before any worker opens them: corrupt stores and token/secret files moved aside (each
    logged loudly), the others migrated to this version's schema, the first write token made.
    A store that cannot be prepared (a full disk) is logged and left: what needs it answers
    503 and the rest of the server runs. The history is the sampler's to check (it may run on
    its own)."""
    data = settings.data_dir
    tokens = TokenStore(data)
    stores = [UserStore(data).db] + ([RegistryStore(data).db] if settings.role == "registry"
                                     else [RunStore(data).db, AuditLog(data).db])
    steps = [("tokens.json", tokens.check)] + [
        (db.path.name, lambda db=db: (db.check(), db.connection(), db.close())) for db in stores
    ] + [("jwt.secret", JwtIssuer(data).ensure), ("admin.token", tokens.ensure_admin)]
    for name, step in steps:
        try:
            step()
        except StoreUnavailable as exc:
            log.error("%s cannot be prepared: %s; what needs it answers 503 until it can",
                      name, exc.detail)


def _metrics_dir(data_dir: str) -> Path:
    """Where gunicorn workers keep their /metrics counters (prometheus-client multiprocess
    mode): memory-mapped files, so on a tmpfs ($RUNTIME_DIRECTORY under systemd, else
    /dev/shm) rather than in the data dir, whose disk may fill (see api.metrics). One per data
    dir, emptied at each start: counts from an earlier run would be added in."""
    tag = hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:12]
    for base in (os.environ.get("RUNTIME_DIRECTORY"), "/dev/shm", data_dir):
        if base and os.path.isdir(base) and os.access(base, os.W_OK):
            path = Path(base) / f"irq-server-metrics-{tag}"
            shutil.rmtree(path, ignore_errors=True)
            try:
                path.mkdir(mode=0o700)
            except OSError:
                continue
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
            return path
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)  # every worker counts on its own
    return Path(data_dir) / "metrics.d"


def _helper_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "irq_server", *args]


def _child(argv: list[str]) -> subprocess.Popen:
    """A helper process (sampler, simulator) of this server. Its own session: Ctrl-C in a
    terminal reaches it through us, so it stops after gunicorn, not before."""
    return subprocess.Popen(argv, start_new_session=True)
