"""irq-server command line: serve (default), token create."""
from __future__ import annotations

import argparse
import logging
import sys

from irq_server import __version__
from irq_server.config import (add_data_dir_flag, add_log_level_flag, add_sampling_flags,
                               add_serve_flags, env, settings_from_args)
from irq_server.errors import IrqServerError
from irq_server.history.tiers import parse_tiers
from irq_server.tokens import SCOPES, TokenStore

EPILOG = """examples:
  irq-server                                   serve this machine on 127.0.0.1:5000
  irq-server --simulate 64:2:500 --bind 127.0.0.1:5055 --data-dir /tmp/irq
  irq-server --bind 0.0.0.0:5443 --certfile cert.pem --keyfile key.pem
  irq-server token create --scope read --name grafana
  irq-server sampler --root / --data-dir /var/lib/irq-server   (history only, no HTTP)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="irq-server", description="REST server for a Linux host's interrupts and IRQ "
        "affinity.", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"irq-server {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{serve,token,sampler,simulate}")
    serve = sub.add_parser("serve", help="run the server (the default command)",
                           epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_serve_flags(serve)
    token = sub.add_parser("token", help="manage bearer tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True, metavar="{create}")
    create = token_sub.add_parser("create", help="create a token and print it once")
    create.add_argument("--scope", choices=SCOPES, required=True,
                        help="read: GET routes under --auth-reads; write: also PUT affinity")
    create.add_argument("--name", help="who it is for (shown in audit lines); "
                                       "default: <scope>-<n>")
    add_data_dir_flag(create)
    sampler = sub.add_parser("sampler", help="run the history sampler alone (for a systemd "
                             "unit beside 'serve'; serve starts one itself otherwise)")
    sampler.add_argument("--root", default=env("ROOT", "/"), help="host tree root")
    add_data_dir_flag(sampler)
    add_sampling_flags(sampler)
    add_log_level_flag(sampler)
    simulate = sub.add_parser("simulate", help="advance a simulated host tree (started by "
                              "'serve --simulate'; run alone beside a server on that --root)")
    simulate.add_argument("--root", required=True, help="simulated tree (holds simhost.json)")
    simulate.add_argument("--interval", type=float, default=1.0, help="step in seconds")
    add_log_level_flag(simulate)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("serve", "token", "sampler", "simulate", "-h", "--help",
                                         "--version"):
        argv.insert(0, "serve")
    args = build_parser().parse_args(argv)
    level = getattr(args, "log_level", "info").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "token":
            return create_token(args)
        from irq_server import server
        if args.command == "simulate":
            return server.run_simulator(args.root, args.interval)
        if args.command == "sampler":
            return server.run_sampler(args.root, args.data_dir, args.interval,
                                      parse_tiers(args.tiers))
        return server.serve(settings_from_args(args))
    except IrqServerError as exc:
        print(f"irq-server: {exc.detail}", file=sys.stderr)
        return 2


def create_token(args: argparse.Namespace) -> int:
    store = TokenStore(args.data_dir)
    name = args.name or f"{args.scope}-{len(store._entries()) + 1}"
    print(store.create(name, args.scope))
    print(f"token '{name}' ({args.scope}) stored hashed in {store.path}", file=sys.stderr)
    return 0
