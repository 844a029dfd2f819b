"""Users of the tracker routes: name, scope, password hashed with scrypt (werkzeug), in
<data-dir>/users.sqlite3, beside the opaque tokens of tokens.json.

A login is answered alike for a wrong password and an unknown user (the unknown user's check
still runs the KDF, so timing does not tell them apart either). Failed logins are throttled
three ways, each counted atomically *before* the password is checked (so parallel guesses
cannot slip past the count); a success clears the name's counts (failures "in a row" end
there) and gives the source its attempt back:
- a name from one source address: 3 free failures, then each attempt waits twice as long as
  the last (2 s, 4 s, ... `MAX_DELAY`), answered 429 with Retry-After until then;
- one source, whatever the names (spraying): 10 free failures, then the same;
- one name, from every source (a distributed guess): 30 free failures, then the same. A
  stranger can thus slow a user's logins down only by failing 30 times within
  `FORGET_AFTER`, not 3.
An IPv6 source counts by its /64 (one host's usual share). `FORGET_AFTER` seconds without a
failure clear a count. Every failed login is logged with the name and the source, never the
password.
"""
from __future__ import annotations

import functools
import ipaddress
import logging
import math
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from irq_server.auth.tokens import SCOPES
from irq_server.db import Database, columns
from irq_server.errors import AuthError, InvalidInput, NotFound, TooManyAttempts
from irq_server.service.cooperative import off_loop

FILENAME = "users.sqlite3"
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
MIN_PASSWORD = 8
MAX_DELAY = 60
FORGET_AFTER = 900
THROTTLES = (("name+source", 3), ("source", 10), ("name", 30))  # (counted by, free failures)
audit = logging.getLogger("irq_server.audit")


def _v1(db) -> None:
    """The first schema (also what files made before versions were kept hold)."""
    db.execute("CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, scope TEXT NOT NULL, "
               "password_hash TEXT NOT NULL, created REAL NOT NULL)")


def _v2(db) -> None:
    """Each user gets a key of its own, new whenever the name is added again (a JWT names
    it, so a token of a removed user never works for the next one of that name); failed
    logins are counted by name, source and both."""
    if "key" not in columns(db, "users"):
        db.execute("CREATE TABLE users_v2 (name TEXT PRIMARY KEY, scope TEXT NOT NULL, "
                   "password_hash TEXT NOT NULL, created REAL NOT NULL, key TEXT NOT NULL)")
        for (name,) in db.execute("SELECT name FROM users").fetchall():
            db.execute("INSERT INTO users_v2 SELECT name, scope, password_hash, created, ? "
                       "FROM users WHERE name = ?", (secrets.token_hex(16), name))
        db.execute("DROP TABLE users")
        db.execute("ALTER TABLE users_v2 RENAME TO users")
    db.execute("DROP TABLE IF EXISTS login_failures")  # counts of the old rule: transient
    db.execute("CREATE TABLE IF NOT EXISTS login_throttle (key TEXT PRIMARY KEY, "
               "failures INTEGER NOT NULL, last REAL NOT NULL)")


MIGRATIONS = (_v1, _v2)


@dataclass(frozen=True)
class User:
    name: str
    scope: str  # "read" or "write", as for opaque tokens
    created: float  # epoch seconds
    key: str = ""  # random, new each time the name is added: a JWT carries it ("ukey")


@functools.cache
def _decoy_hash() -> str:
    """A hash to check unknown users' passwords against, so they cost the same time."""
    return generate_password_hash("decoy password")


def delay_after(failures: int, free: int) -> int:
    """Seconds a login must wait after `failures` failed ones in a row (`free` cost nothing)."""
    if failures < free:
        return 0
    return min(2 ** (failures - free + 1), MAX_DELAY)


def source_of(address: str | None) -> str:
    """What a login's source address counts as: the address, or an IPv6 address's /64."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class UserStore:
    def __init__(self, data_dir: str | Path, clock=time.time):
        self.db = Database(Path(data_dir) / FILENAME, MIGRATIONS)
        self.clock = clock

    # ---- administration (irq-server user ...) ---------------------------------------------
    def add(self, name: str, password: str, scope: str = "read") -> User:
        if not NAME_RE.fullmatch(name):
            raise InvalidInput(f"user name {name!r} must be 1-64 letters, digits or _.@- "
                               "(starting with a letter or digit)", field="name")
        if scope not in SCOPES:
            raise InvalidInput(f"scope must be one of {', '.join(SCOPES)}", field="scope")
        if len(password) < MIN_PASSWORD:
            raise InvalidInput(f"the password needs at least {MIN_PASSWORD} characters",
                               field="password")
        user = User(name, scope, self.clock(), secrets.token_hex(16))
        hashed = generate_password_hash(password)
        with self.db.write() as db:
            if db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise InvalidInput(f"user {name!r} exists (remove it first to replace it)",
                                   field="name")
            db.execute("INSERT INTO users (name, scope, password_hash, created, key) "
                       "VALUES (?, ?, ?, ?, ?)", (name, scope, hashed, user.created, user.key))
        return user

    def remove(self, name: str) -> None:
        with self.db.write() as db:
            if db.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount == 0:
                raise NotFound(f"no user {name!r}", field="name")

    def list(self) -> list[User]:
        return [_user(r) for r in self.db.read(f"SELECT {_FIELDS} FROM users ORDER BY name")]

    def get(self, name: str) -> User | None:
        rows = self.db.read(f"SELECT {_FIELDS} FROM users WHERE name = ?", (name,))
        return _user(rows[0]) if rows else None

    # ---- login ----------------------------------------------------------------------------
    def authenticate(self, name: str, password: str, address: str | None = None) -> User:
        """The user whose name and password these are, for a login from `address`.

        Raises:
            TooManyAttempts: logins of this name or from this source failed repeatedly and
                the wait is not over.
            AuthError: wrong password or unknown user (one message for both).
        """
        source = source_of(address)
        keys = self._charge(name, source)
        rows = self.db.read(f"SELECT {_FIELDS}, password_hash FROM users WHERE name = ?",
                            (name,))
        stored = rows[0]["password_hash"] if rows else off_loop(_decoy_hash)
        if off_loop(check_password_hash, stored, password) and rows:  # ~0.1 s of scrypt
            self._refund(keys)
            return _user(rows[0])
        audit.warning("login failed: user %r from %s", name[:64], source)
        raise AuthError("wrong user name or password")

    def _charge(self, name: str, source: str) -> list[str]:
        """In one transaction: refuse the attempt if any throttle says wait, else count it as
        a failure in each (given back by _refund on success). The keys counted."""
        now = self.clock()
        keys = [f"name+source:{name}|{source}", f"source:{source}", f"name:{name}"]
        with self.db.write() as db:
            db.execute("DELETE FROM login_throttle WHERE last < ?", (now - FORGET_AFTER,))
            for key, (kind, free) in zip(keys, THROTTLES):
                row = db.execute("SELECT failures, last FROM login_throttle WHERE key = ?",
                                 (key,)).fetchone()
                remaining = row["last"] + delay_after(row["failures"], free) - now if row else 0
                if remaining > 0:
                    audit.warning("login refused for %s s: user %r from %s (too many failures "
                                  "by %s)", math.ceil(remaining), name[:64], source, kind)
                    raise TooManyAttempts(
                        f"{row['failures']} failed logins in a row for this "
                        f"{kind.replace('+', ' from this ')}: retry in {math.ceil(remaining)} s",
                        retry_after=math.ceil(remaining))
            db.executemany("INSERT INTO login_throttle VALUES (?, 1, ?) ON CONFLICT(key) DO "
                           "UPDATE SET failures = failures + 1, last = excluded.last",
                           [(key, now) for key in keys])
        return keys

    def _refund(self, keys: list[str]) -> None:
        """A success: the name's counts start over (from this source and from all: only the
        password's holder can do this); the source gets its attempt back (a caller who knows
        one password must not reset a spray of guesses at the others)."""
        name_source, source, name = keys
        with self.db.write() as db:
            db.execute("DELETE FROM login_throttle WHERE key IN (?, ?)", (name_source, name))
            db.execute("UPDATE login_throttle SET failures = failures - 1 WHERE key = ?",
                       (source,))
            db.execute("DELETE FROM login_throttle WHERE failures <= 0")


_FIELDS = "name, scope, created, key"


def _user(row) -> User:
    return User(row["name"], row["scope"], row["created"], row["key"])
