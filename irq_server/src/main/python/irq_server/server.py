"""The irq-server process: gunicorn (gthread) on the app factory, plus its helpers, kept
running by a Supervisor: one history sampler and, with --simulate, one simulator process that
advances the simulated host. SIGTERM/SIGINT stop them all."""
from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from gunicorn.app.base import BaseApplication

from irq_server import simhost
from irq_server.api import create_app
from irq_server.config import Settings
from irq_server.history.sampler import Sampler
from irq_server.history.store import HistoryStore
from irq_server.publisher import Publisher, advertised_url, token_from_env
from irq_server.supervisor import Helper, Supervisor
from irq_server.tokens import TokenStore

log = logging.getLogger(__name__)


class GunicornApp(BaseApplication):
    """gunicorn configured from Settings, loading create_app in each worker."""

    def __init__(self, settings: Settings, root: str, on_exit=None):
        self.settings = settings
        self.root = root
        self._on_exit = on_exit
        super().__init__()

    def load_config(self):
        s = self.settings
        options = {"bind": s.bind, "workers": s.workers, "threads": s.threads,
                   "worker_class": "gthread", "accesslog": "-", "errorlog": "-",
                   "loglevel": s.log_level, "graceful_timeout": 10, "timeout": 60,
                   "proc_name": "irq-server", "certfile": s.certfile, "keyfile": s.keyfile,
                   # no control socket: two servers would share $HOME/.gunicorn/gunicorn.ctl
                   "control_socket_disable": True}
        if self._on_exit:
            options["on_exit"] = lambda server: self._on_exit()
        for key, value in options.items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self):
        return create_app(self.settings.app_config(self.root))


def prepare_simulation(settings: Settings) -> str:
    """Create (or reuse, when the size matches) the simulated tree; return its root."""
    root = Path(settings.data_dir) / "simhost"
    spec = simhost.SimSpec.parse(settings.simulate, settings.seed)
    if (root / simhost.MARKER).exists() and simhost.SimHost(root).spec == spec:
        log.info("reusing simulated host %s in %s", settings.simulate, root)
    else:
        log.info("building simulated host %s (seed %d) in %s", settings.simulate,
                 settings.seed, root)
        simhost.create(root, spec)
    return str(root)


def run_simulator(root: str, interval: float) -> int:
    """Advance the simulated host at `root` every `interval` seconds until SIGTERM/SIGINT or
    until the parent process goes away."""
    stop = _stop_on_signals()
    host = simhost.SimHost(root)
    parent = os.getppid()
    log.info("simulator advancing %s every %ss", root, interval)
    while not stop.wait(interval) and os.getppid() == parent:
        host.advance(interval)
    return 0


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def run_sampler(root: str, data_dir: str, interval: float, tiers) -> int:
    """Sample `root` into <data_dir>/history.sqlite3 until SIGTERM/SIGINT (finishing the
    sample in flight) or until the parent process goes away."""
    stop = _stop_on_signals()
    parent = os.getppid()
    threading.Thread(target=_watch_parent, args=(parent, stop), daemon=True).start()
    sampler = Sampler(simhost.host_fs(root), HistoryStore(data_dir, tiers=tiers))
    sampler.run(interval, stop)
    return 0


def _watch_parent(parent: int, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        if os.getppid() != parent:
            stop.set()


def run_publisher(registry: str, partition: str, uid: str, uri: str) -> int:
    """Keep `uid` published in `registry` until SIGTERM/SIGINT or the parent goes away; then
    retract it."""
    stop = _stop_on_signals()
    threading.Thread(target=_watch_parent, args=(os.getppid(), stop), daemon=True).start()
    Publisher(registry, partition, uid, uri, token=token_from_env()).run(stop)
    return 0


def serve(settings: Settings) -> int:
    """Run until SIGTERM/SIGINT."""
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    _metrics_dir(settings.data_dir)
    created = TokenStore(settings.data_dir).ensure_admin()
    if created:
        log.warning("write token: %s", created)
    if settings.role == "registry":
        if settings.open_publish:
            log.warning("--open-publish: ANYONE who reaches %s can publish and retract "
                        "registry entries without a token", settings.bind)
        log.info("registry on %s (TTL %g s)", settings.bind, settings.registry_ttl)
        GunicornApp(settings, settings.root).run()
        return 0
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
    supervisor = Supervisor(helpers, spawn=_child)
    supervisor.start()
    log.info("serving %s on %s (helpers: %s)", root, settings.bind,
             ", ".join(f"{h.name} pid {h.proc.pid}" for h in helpers) or "none")
    try:
        GunicornApp(settings, root, on_exit=supervisor.stop).run()
    finally:
        supervisor.stop()
    return 0


def _metrics_dir(data_dir: str) -> None:
    """Where gunicorn workers keep their /metrics counters (prometheus-client multiprocess
    mode), emptied at each start: counts from an earlier run would be added in."""
    path = Path(data_dir) / "metrics.d"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)


def _helper_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "irq_server", *args]


def _child(argv: list[str]) -> subprocess.Popen:
    """A helper process (sampler, simulator) of this server. Its own session: Ctrl-C in a
    terminal reaches it through us, so it stops after gunicorn, not before."""
    return subprocess.Popen(argv, start_new_session=True)
