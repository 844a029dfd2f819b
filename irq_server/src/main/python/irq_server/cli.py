"""irq-server command line: serve (default), registry, token create|list|revoke,
user add|list|remove, sampler, simulate."""
from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from datetime import datetime

from irq_server import __version__
from irq_server.auth.tokens import SCOPES, TokenStore
from irq_server.auth.users import UserStore
from irq_server.config import (add_data_dir_flag, add_log_level_flag, add_registry_flags,
                               add_sampling_flags, add_serve_flags, env, settings_from_args)
from irq_server.datadir import PRIVATE_UMASK
from irq_server.errors import IrqServerError
from irq_server.history.tiers import parse_tiers
from irq_server.registry.publisher import TOKEN_ENV

EPILOG = """examples:
  irq-server                                   serve this machine on 127.0.0.1:5000
  irq-server --simulate 64:2:500 --bind 127.0.0.1:5055 --data-dir /tmp/irq
  irq-server --bind 0.0.0.0:5443 --certfile cert.pem --keyfile key.pem --auth-reads
  irq-server token create --scope read --name grafana
  irq-server user add alice                    a user who logs in (POST /api/v1/auth) for runs
  irq-server sampler --root / --data-dir /var/lib/irq-server   (history only, no HTTP)
  irq-server registry --bind 0.0.0.0:5100 --data-dir /var/lib/irq-registry
  irq-server --publish-to http://registry:5100 --partition rack1   (be found through it)

Without a command, irq-server serves: its flags (--bind, --data-dir, --simulate, ...) are
listed by 'irq-server serve --help'; each command has its own --help.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="irq-server", description="REST server for a Linux host's interrupts and IRQ "
        "affinity.", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"irq-server {__version__}")
    sub = parser.add_subparsers(dest="command",
                                metavar="{serve,registry,publish,token,user,sampler,simulate}")
    serve = sub.add_parser("serve", help="run the server (the default command)",
                           epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_serve_flags(serve)
    registry = sub.add_parser("registry", help="run the connection registry (publish/lookup "
                              "by partition with a TTL) instead of serving a host",
                              epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_registry_flags(registry)
    publish = sub.add_parser("publish", help="keep a server published in a registry (started "
                             "by 'serve --publish-to'; token from IRQ_SERVER_PUBLISH_TOKEN)")
    publish.add_argument("--to", required=True, help="registry URL")
    publish.add_argument("--partition", required=True)
    publish.add_argument("--as", dest="uid", required=True, help="uid to publish")
    publish.add_argument("--advertise", required=True, help="base URL to publish")
    add_log_level_flag(publish)
    token = sub.add_parser("token", help="manage bearer tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True,
                                     metavar="{create,list,revoke}")
    create = token_sub.add_parser("create", help="create a token and print it once")
    create.add_argument("--scope", choices=SCOPES, required=True,
                        help="read: GET routes under --auth-reads; write: also PUT affinity")
    create.add_argument("--name", help="who it is for (shown in audit lines; unique); "
                                       "default: <scope>-<n>")
    add_data_dir_flag(create)
    listing = token_sub.add_parser("list", help="the stored tokens: name, scope, created "
                                   "(never their secrets)")
    add_data_dir_flag(listing)
    revoke = token_sub.add_parser("revoke", help="forget a token: 401 from now on")
    revoke.add_argument("name")
    add_data_dir_flag(revoke)
    user = sub.add_parser("user", help="manage users (who log in for a JWT: POST /api/v1/auth)")
    user_sub = user.add_subparsers(dest="user_command", required=True,
                                   metavar="{add,list,remove}")
    add = user_sub.add_parser("add", help="add a user (password from a prompt or stdin)",
                              epilog="example: printf '%s\\n' \"$PW\" | irq-server user add ci "
                                     "--password-stdin")
    add.add_argument("name")
    add.add_argument("--scope", choices=SCOPES, default="read",
                     help="read (default): runs and reads; write: also change IRQ affinity")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of stdin (no prompt)")
    add_data_dir_flag(add)
    listing = user_sub.add_parser("list", help="list users")
    add_data_dir_flag(listing)
    remove = user_sub.add_parser("remove", help="remove a user (their tokens stop working)")
    remove.add_argument("name")
    add_data_dir_flag(remove)
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
    if not argv or argv[0] not in ("serve", "registry", "publish", "token", "user", "sampler",
                                   "simulate", "-h", "--help", "--version"):
        argv.insert(0, "serve")
    args = build_parser().parse_args(argv)
    os.umask(PRIVATE_UMASK)  # every file of a data dir 0600, whoever makes it
    level = getattr(args, "log_level", "info").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "token":
            return manage_tokens(args)
        if args.command == "user":
            return manage_users(args)
        from irq_server.service import helpers, server
        if args.command == "simulate":
            return helpers.run_simulator(args.root, args.interval)
        if args.command == "sampler":
            return helpers.run_sampler(args.root, args.data_dir, args.interval,
                                      parse_tiers(args.tiers))
        if args.command == "publish":
            return helpers.run_publisher(args.to, args.partition, args.uid, args.advertise)
        if hasattr(args, "publish_token"):  # to the publisher through its environment
            os.environ[TOKEN_ENV] = args.publish_token
        settings = settings_from_args(args, role=args.command)
        if settings.publish_to and not settings.partition:
            print("irq-server: --publish-to needs --partition", file=sys.stderr)
            return 2
        if bool(settings.certfile) != bool(settings.keyfile):
            print("irq-server: TLS needs both --certfile and --keyfile", file=sys.stderr)
            return 2
        return server.serve(settings)
    except IrqServerError as exc:
        print(f"irq-server: {exc.detail}", file=sys.stderr)
        return 2


def print_listing(entries) -> None:
    """Tokens or users, a line each: name, scope, created (local time)."""
    for entry in entries:
        created = datetime.fromtimestamp(entry.created).strftime("%Y-%m-%d %H:%M")
        print(f"{entry.name}\t{entry.scope}\t{created}")


def list_or_forget(store, command: str, name: str | None, forget: str, noun: str) -> bool:
    """`list`, or forget `name` (`forget` is the store's method: revoke, remove); the same for
    tokens and users. False for any other command."""
    if command == "list":
        print_listing(store.list())
    elif command == forget:
        getattr(store, forget)(name)
        print(f"{noun} '{name}' {forget}d", file=sys.stderr)
    else:
        return False
    return True


def manage_tokens(args: argparse.Namespace) -> int:
    store = TokenStore(args.data_dir)
    if list_or_forget(store, args.token_command, getattr(args, "name", None), "revoke", "token"):
        return 0
    taken = {t.name for t in store.list()}
    name = args.name or next(f"{args.scope}-{n}" for n in range(1, len(taken) + 2)
                             if f"{args.scope}-{n}" not in taken)
    print(store.create(name, args.scope))
    print(f"token '{name}' ({args.scope}) stored hashed in {store.path}", file=sys.stderr)
    return 0


def manage_users(args: argparse.Namespace) -> int:
    store = UserStore(args.data_dir)
    if list_or_forget(store, args.user_command, getattr(args, "name", None), "remove", "user"):
        return 0
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        try:
            password = getpass.getpass(f"password for {args.name}: ")
            again = getpass.getpass("again: ")
        except (EOFError, KeyboardInterrupt):
            print("\nirq-server: no password given (without a terminal, use --password-stdin)",
                  file=sys.stderr)
            return 2
        if again != password:
            print("irq-server: the passwords differ", file=sys.stderr)
            return 2
    user = store.add(args.name, password, args.scope)
    print(f"user '{user.name}' ({user.scope}) stored in {store.db.path}", file=sys.stderr)
    return 0
