"""Users of the tracker routes: name, scope, password hashed with scrypt (werkzeug), in
<data-dir>/users.sqlite3, beside the opaque tokens of tokens.json.

A login is answered alike for a wrong password and an unknown user (the unknown user's check
still runs the KDF, so timing does not tell them apart either). Failed logins are counted per
name (known or not): after `FREE_FAILURES` in a row, each further attempt must wait twice as
long as the previous one (2 s, 4 s, ... at most `MAX_DELAY`) and gets 429 with Retry-After
until then. A success, or `FORGET_AFTER` seconds without failures, clears the count.
"""
from __future__ import annotations

import functools
import math
import re
import time
from dataclasses import dataclass
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from irq_server.errors import AuthError, InvalidInput, NotFound, TooManyAttempts
from irq_server.sqlite_db import Database
from irq_server.tokens import SCOPES

FILENAME = "users.sqlite3"
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
MIN_PASSWORD = 8
FREE_FAILURES = 3
MAX_DELAY = 60
FORGET_AFTER = 900

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, scope TEXT NOT NULL, password_hash TEXT NOT NULL,
    created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS login_failures (
    name TEXT PRIMARY KEY, failures INTEGER NOT NULL, last REAL NOT NULL);
"""


@dataclass(frozen=True)
class User:
    name: str
    scope: str  # "read" or "write", as for opaque tokens
    created: float  # epoch seconds


@functools.cache
def _decoy_hash() -> str:
    """A hash to check unknown users' passwords against, so they cost the same time."""
    return generate_password_hash("decoy password")


def delay_after(failures: int) -> int:
    """Seconds a login must wait after `failures` failed ones in a row."""
    if failures < FREE_FAILURES:
        return 0
    return min(2 ** (failures - FREE_FAILURES + 1), MAX_DELAY)


class UserStore:
    def __init__(self, data_dir: str | Path, clock=time.time):
        self.db = Database(Path(data_dir) / FILENAME, SCHEMA)
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
        user = User(name, scope, self.clock())
        hashed = generate_password_hash(password)
        with self.db.write() as db:
            if db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise InvalidInput(f"user {name!r} exists (remove it first to replace it)",
                                   field="name")
            db.execute("INSERT INTO users VALUES (?, ?, ?, ?)",
                       (name, scope, hashed, user.created))
        return user

    def remove(self, name: str) -> None:
        with self.db.write() as db:
            if db.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount == 0:
                raise NotFound(f"no user {name!r}", field="name")

    def list(self) -> list[User]:
        return [User(r["name"], r["scope"], r["created"])
                for r in self.db.read("SELECT name, scope, created FROM users ORDER BY name")]

    def get(self, name: str) -> User | None:
        rows = self.db.read("SELECT name, scope, created FROM users WHERE name = ?", (name,))
        return User(rows[0]["name"], rows[0]["scope"], rows[0]["created"]) if rows else None

    # ---- login ----------------------------------------------------------------------------
    def authenticate(self, name: str, password: str) -> User:
        """The user whose name and password these are.

        Raises:
            TooManyAttempts: logins for `name` failed repeatedly and the wait is not over.
            AuthError: wrong password or unknown user (one message for both).
        """
        self._check_wait(name)
        rows = self.db.read("SELECT name, scope, created, password_hash FROM users "
                            "WHERE name = ?", (name,))
        stored = rows[0]["password_hash"] if rows else _decoy_hash()
        if check_password_hash(stored, password) and rows:
            with self.db.write() as db:
                db.execute("DELETE FROM login_failures WHERE name = ?", (name,))
            return User(rows[0]["name"], rows[0]["scope"], rows[0]["created"])
        self._fail(name)
        raise AuthError("wrong user name or password")

    def _check_wait(self, name: str) -> None:
        rows = self.db.read("SELECT failures, last FROM login_failures WHERE name = ?", (name,))
        if not rows:
            return
        now = self.clock()
        if now - rows[0]["last"] > FORGET_AFTER:
            return
        remaining = rows[0]["last"] + delay_after(rows[0]["failures"]) - now
        if remaining > 0:
            raise TooManyAttempts(
                f"{rows[0]['failures']} failed logins for this user in a row: retry in "
                f"{math.ceil(remaining)} s", retry_after=math.ceil(remaining))

    def _fail(self, name: str) -> None:
        now = self.clock()
        with self.db.write() as db:
            db.execute("DELETE FROM login_failures WHERE last < ?", (now - FORGET_AFTER,))
            db.execute("INSERT INTO login_failures VALUES (?, 1, ?) ON CONFLICT(name) DO UPDATE "
                       "SET failures = failures + 1, last = excluded.last", (name, now))
