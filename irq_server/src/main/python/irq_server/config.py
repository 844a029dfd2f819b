"""Server settings: every flag has an IRQ_SERVER_* environment twin."""
from __future__ import annotations

import argparse
import math
import os
from dataclasses import dataclass
from pathlib import Path

from irq_server.errors import InvalidInput
from irq_server.exposition import MetricsOptions
from irq_server.history.tiers import parse_tiers
from irq_server.registry import server_url_problem


def default_data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return os.path.join(base, "irq-server")


@dataclass(frozen=True)
class Settings:
    """How one irq-server process runs."""

    bind: str = "127.0.0.1:5000"  # host:port (or unix:/path) gunicorn listens on
    workers: int = 2  # gunicorn worker processes
    threads: int = 4  # threads per worker (gthread only)
    worker_class: str = "gevent"  # gunicorn worker: gevent (default) or gthread
    root: str = "/"  # host tree root
    data_dir: str = ""  # tokens, history, simulated tree
    interval: float = 1.0  # sampler / simulator step, seconds
    simulate: str | None = None  # "CPUS:NODES:IRQS[:threaded]" to serve a simulated host
    seed: int = 0  # simulated host seed
    certfile: str | None = None  # TLS certificate (PEM)
    keyfile: str | None = None  # TLS private key (PEM)
    log_level: str = "info"  # debug, info, warning, error
    auth_reads: bool = False  # reads need a token too
    tiers: str = "1s:1h,10s:1d,60s:7d,10m:90d"  # history retention, STEP:KEEP,...
    sampler: bool = True  # start the history sampler beside gunicorn
    max_body: int = 16 * 1024  # largest request body accepted, bytes (413 above)
    role: str = "host"  # "host" (this machine's IRQs) or "registry" (irq-server registry)
    registry_ttl: float = 10.0  # registry: seconds an entry lives after its publication
    open_publish: bool = False  # registry: publish/retract need no token
    publish_to: str | None = None  # host: registry URL to publish this server to
    partition: str | None = None  # host: the registry partition to publish under
    publish_as: str | None = None  # host: uid to publish (default the hostname)
    advertise: str | None = None  # host: base URL to publish (default from --bind)
    metrics_per_cpu: bool = False  # /metrics: per-IRQ-per-CPU and per-CPU-per-mode series
    metrics_include: str | None = None  # /metrics: RE2 on "IRQ device": only those IRQs
    metrics_exclude: str | None = None  # /metrics: RE2 on "IRQ device": not those
    metrics_top: int | None = None  # /metrics: only the N busiest IRQs
    allowed_hosts: str | None = None  # Host names answered, comma-separated ("*": any)

    def app_config(self, root: str) -> dict:
        """The create_app config of a worker."""
        from irq_server.api.host_header import (
            allowed_hosts,  # config is read before the app
        )
        return {"IRQ_ROOT": root, "IRQ_DATA_DIR": self.data_dir, "IRQ_AUTH_READS": self.auth_reads,
                "IRQ_INTERVAL": self.interval, "IRQ_TIERS": parse_tiers(self.tiers),
                "IRQ_MAX_BODY": self.max_body, "IRQ_ROLE": self.role,
                "IRQ_REGISTRY_TTL": self.registry_ttl, "IRQ_OPEN_PUBLISH": self.open_publish,
                "IRQ_METRICS": MetricsOptions(self.metrics_per_cpu, self.metrics_include,
                                              self.metrics_exclude, self.metrics_top),
                "IRQ_ALLOWED_HOSTS": allowed_hosts(self.allowed_hosts, self.bind,
                                                   self.advertise)}


def env(name: str, default=None):
    return os.environ.get(f"IRQ_SERVER_{name}", default)


# ---- argparse types: a bad value (or environment twin) is a usage error naming the flag ----
def positive(kind):
    """A number > 0 of `kind` (int or float)."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not (value > 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
        return value
    return parse


def checked(check):
    """The text itself, once check(text) passed (it raises InvalidInput)."""
    def parse(text: str) -> str:
        try:
            check(text)
        except InvalidInput as exc:
            raise argparse.ArgumentTypeError(exc.detail) from None
        return text
    return parse


def _simulation(text: str) -> None:
    from irq_server.sim import SimSpec  # only for --simulate: not imported otherwise
    SimSpec.parse(text)


def _pattern(text: str) -> None:
    from irq_server.registry.patterns import (
        compile_pattern,  # RE2: only for these flags
    )
    compile_pattern(text, "metrics pattern")


def _base_url(text: str) -> None:
    problem = server_url_problem(text)
    if problem:
        raise InvalidInput(f"{problem} (e.g. http://HOST:PORT)")


def _readable_file(text: str) -> None:
    if not os.access(text, os.R_OK) or not os.path.isfile(text):
        raise InvalidInput(f"{text} is not a file this user can read")


def add_http_flags(parser: argparse.ArgumentParser, max_body: int = Settings().max_body,
                   holds: str = "tokens, users, runs, history and the simulated tree") -> None:
    """What every serving role takes: where to listen, how many workers, TLS, auth, logs."""
    d = Settings()
    parser.add_argument("--bind", default=env("BIND", d.bind),
                        help="address to listen on (default %(default)s; env IRQ_SERVER_BIND)")
    parser.add_argument("--workers", type=positive(int), default=env("WORKERS", str(d.workers)),
                        help="gunicorn worker processes (default %(default)s)")
    parser.add_argument("--threads", type=positive(int), default=env("THREADS", str(d.threads)),
                        help="threads per worker, with --worker-class gthread (default "
                             "%(default)s)")
    parser.add_argument("--worker-class", choices=("gevent", "gthread"),
                        default=env("WORKER_CLASS", d.worker_class),
                        help="gunicorn worker: gevent (default) holds any number of slow "
                             "clients without a thread each; gthread ties a thread to each "
                             "request being read (use it only behind a buffering proxy)")
    add_data_dir_flag(parser, holds)
    parser.add_argument("--certfile", type=checked(_readable_file), default=env("CERTFILE"),
                        help="TLS certificate (PEM); with --keyfile")
    parser.add_argument("--keyfile", type=checked(_readable_file), default=env("KEYFILE"),
                        help="TLS private key (PEM); with --certfile")
    add_log_level_flag(parser)
    parser.add_argument("--max-body", type=positive(int), default=env("MAX_BODY", str(max_body)),
                        metavar="BYTES", help="largest request body accepted; larger ones get "
                        "413 without being read (default %(default)s)")
    parser.add_argument("--allowed-hosts", default=env("ALLOWED_HOSTS"), metavar="NAMES",
                        help="Host header names to answer, comma-separated (default: the bind "
                             "address, this machine's names, --advertise's host; always "
                             "localhost, the loopback addresses and the address a request "
                             "arrived on); '*': any. Others get 400, so that a web page cannot "
                             "read this server through DNS rebinding")
    parser.add_argument("--auth-reads", action="store_true",
                        default=env("AUTH_READS", "") not in ("", "0", "false"),
                        help="require a token for reads too")


def add_serve_flags(parser: argparse.ArgumentParser) -> None:
    d = Settings()
    add_http_flags(parser)
    parser.add_argument("--root", default=env("ROOT", d.root),
                        help="host tree root holding proc/ and sys/ (default %(default)s)")
    add_sampling_flags(parser)
    parser.add_argument("--simulate", type=checked(_simulation), default=env("SIMULATE"),
                        metavar="CPUS:NODES:IRQS",
                        help="serve a simulated host instead of --root, e.g. 64:2:500; "
                             "CPUS:NODES:IRQS:threaded for a threadirqs kernel")
    parser.add_argument("--seed", type=int, default=env("SEED", str(d.seed)),
                        help="seed of the simulated host (default %(default)s)")
    parser.add_argument("--no-sampler", dest="sampler", action="store_false",
                        help="do not start the history sampler (run 'irq-server sampler' as its "
                             "own service instead)")
    parser.add_argument("--publish-to", type=checked(_base_url), default=env("PUBLISH_TO"),
                        metavar="URL",
                        help="a registry (irq-server registry) to publish this server to, "
                             "every TTL/3, retracted on a clean stop; needs --partition")
    parser.add_argument("--partition", default=env("PARTITION"),
                        help="the registry partition to publish under")
    parser.add_argument("--publish-as", default=env("PUBLISH_AS"), metavar="NAME",
                        help="uid to publish (default: the hostname)")
    parser.add_argument("--advertise", type=checked(_base_url), default=env("ADVERTISE"),
                        metavar="URL",
                        help="base URL to publish (default: from --bind, https with TLS)")
    parser.add_argument("--metrics-per-cpu", action="store_true",
                        default=env("METRICS_PER_CPU", "") not in ("", "0", "false"),
                        help="/metrics: also a series per IRQ per CPU and per CPU per mode "
                             "(IRQs x CPUs series: mind the cardinality)")
    parser.add_argument("--metrics-include", type=checked(_pattern),
                        default=env("METRICS_INCLUDE"), metavar="REGEX",
                        help="/metrics: only IRQs whose 'IRQ device' this RE2 pattern matches")
    parser.add_argument("--metrics-exclude", type=checked(_pattern),
                        default=env("METRICS_EXCLUDE"), metavar="REGEX",
                        help="/metrics: leave out IRQs whose 'IRQ device' it matches")
    parser.add_argument("--metrics-top", type=positive(int), default=env("METRICS_TOP"),
                        metavar="N",
                        help="/metrics: only the N busiest IRQs (by their recent rate)")
    parser.add_argument("--publish-token", default=argparse.SUPPRESS,
                        help="write token of the registry (better: env "
                             "IRQ_SERVER_PUBLISH_TOKEN, not seen in ps)")


def add_registry_flags(parser: argparse.ArgumentParser) -> None:
    d = Settings()
    add_http_flags(parser, max_body=1 << 20, holds="tokens and the registry's entries")
    parser.add_argument("--registry-ttl", type=positive(float),
                        default=env("REGISTRY_TTL", str(d.registry_ttl)), metavar="SECONDS",
                        help="entries not re-published for this long are not returned "
                             "(default %(default)s)")
    parser.add_argument("--open-publish", action="store_true",
                        default=env("OPEN_PUBLISH", "") not in ("", "0", "false"),
                        help="accept publish/retract without a token (the old service's "
                             "clients send none)")


def add_sampling_flags(parser: argparse.ArgumentParser) -> None:
    d = Settings()
    parser.add_argument("--interval", type=positive(float),
                        default=env("INTERVAL", str(d.interval)),
                        help="sampling/simulation step in seconds (default %(default)s)")
    parser.add_argument("--tiers", type=checked(parse_tiers), default=env("TIERS", d.tiers),
                        metavar="STEP:KEEP,...",
                        help="history retention, finest first (default %(default)s)")


def add_log_level_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-level", default=env("LOG_LEVEL", Settings().log_level),
                        choices=["debug", "info", "warning", "error"])


def add_data_dir_flag(parser: argparse.ArgumentParser,
                      holds: str = "tokens, users, runs, history") -> None:
    parser.add_argument("--data-dir", default=env("DATA_DIR", default_data_dir()),
                        help=f"{holds} (default %(default)s; env IRQ_SERVER_DATA_DIR)")


def settings_from_args(args: argparse.Namespace, role: str = "host") -> Settings:
    """Settings from parsed flags (a flag the role's parser lacks keeps its default)."""
    names = [f for f in Settings.__dataclass_fields__ if f != "role" and hasattr(args, f)]
    return Settings(role=role, **{name: getattr(args, name) for name in names})
