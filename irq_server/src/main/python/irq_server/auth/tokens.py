"""Bearer tokens, stored hashed (SHA-256) in <data-dir>/tokens.json.

Tokens are 256-bit random strings, so a plain SHA-256 is enough to make the stored file
useless to a reader; comparison is constant-time. The file is written whole or not at all
(datadir.atomic_write); one that does not parse is StoreCorrupt (503 for what needs a
token: the open routes still answer), moved aside by `check()` at start.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from irq_server import datadir
from irq_server.errors import InvalidInput, NotFound, StoreCorrupt, store_error

log = logging.getLogger(__name__)
SCOPES = ("read", "write")
ADMIN_TOKEN_FILE = "admin.token"


@dataclass(frozen=True)
class TokenInfo:
    """A stored token, without its secret."""

    name: str  # who the token was made for (appears in audit lines), or the user's name
    scope: str  # "read" or "write"
    created: float  # epoch seconds (a JWT's: when it was issued)
    kind: str = "token"  # "token": an opaque token of tokens.json; "user": a user's JWT

    @property
    def principal(self) -> str:
        """Who owns what this caller creates: "token:<name>" or "user:<name>"."""
        return f"{self.kind}:{self.name}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    """Tokens of one data dir; re-reads the file when it changes (another process created one)."""

    def __init__(self, data_dir: str | os.PathLike):
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / "tokens.json"
        self._lock = threading.Lock()
        self._cache: tuple[tuple, list[dict]] | None = None

    def _entries(self) -> list[dict]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return []
        version = (st.st_ino, st.st_mtime_ns)  # a rewrite is a new inode (os.replace)
        with self._lock:
            if self._cache is None or self._cache[0] != version:
                self._cache = (version, self._parse(self.path.read_bytes()))
            return self._cache[1]

    def _parse(self, data: bytes) -> list[dict]:
        try:
            entries = json.loads(data)["tokens"]
            if all({"name", "scope", "sha256", "created"} <= e.keys() for e in entries):
                return entries
        except (ValueError, TypeError, KeyError, AttributeError):
            pass
        raise StoreCorrupt(f"{self.path.name} is not a token file ({len(data)} bytes): tokens "
                           "are refused until irq-server restarts and moves it aside")

    def check(self) -> None:
        """At start: a token file that does not parse is moved aside (its tokens are gone:
        the log says so loudly; a first-start write token is made again)."""
        try:
            self._entries()
        except StoreCorrupt:
            datadir.quarantine(self.path, "not a token file")
            self._cache = None

    def lookup(self, token: str) -> TokenInfo | None:
        """The stored token matching `token`, or None."""
        digest = _digest(token)
        for entry in self._entries():
            if hmac.compare_digest(entry["sha256"], digest):
                return TokenInfo(entry["name"], entry["scope"], entry["created"])
        return None

    def list(self) -> list[TokenInfo]:
        """Every stored token, without its secret, oldest first."""
        return [TokenInfo(e["name"], e["scope"], e["created"]) for e in self._entries()]

    def create(self, name: str, scope: str) -> str:
        """Store a new token and return its secret (shown once, never stored).

        Raises:
            InvalidInput: a bad scope, or a token of that name exists (audit lines name
                tokens: two of one name could not be told apart, nor one revoked alone).
        """
        if scope not in SCOPES:
            raise InvalidInput(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}",
                               field="scope")
        if not name or not name.isprintable() or name.strip() != name:
            raise InvalidInput(f"a token's name is printable text without leading or trailing "
                               f"spaces (audit lines name it), not {name!r}", field="name")
        if any(e["name"] == name for e in self._entries()):
            raise InvalidInput(f"a token named {name!r} exists (revoke it first to replace "
                               "it)", field="name")
        token = "irq_" + secrets.token_urlsafe(32)
        self._store(name, scope, token)
        return token

    def revoke(self, name: str) -> None:
        """Forget the token of that name: it gets 401 from now on, in every worker.

        Raises:
            NotFound: no token of that name.
        """
        entries = self._entries()
        kept = [e for e in entries if e["name"] != name]
        if len(kept) == len(entries):
            raise NotFound(f"no token named {name!r}", field="name")
        self._write(kept)

    def _store(self, name: str, scope: str, token: str) -> None:
        self._write([*self._entries(), {"name": name, "scope": scope,
                                        "sha256": _digest(token), "created": time.time()}])

    def _write(self, entries: list[dict]) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            datadir.atomic_write(self.path, json.dumps({"tokens": entries}, indent=1).encode())
        except OSError as exc:
            raise store_error(exc, self.path) from exc

    def ensure_admin(self) -> Path | None:
        """On first start (no token stored), create a write token in admin.token (0600).

        Returns the file's path when a token was created, else None. The file is written
        before the token is stored: a crash between the two leaves a token that does not
        work (made again at the next start), never a stored one that nobody was told.
        """
        if self._entries():
            return None
        token = "irq_" + secrets.token_urlsafe(32)
        path = self.data_dir / ADMIN_TOKEN_FILE
        try:
            datadir.atomic_write(path, (token + "\n").encode())
        except OSError as exc:
            raise store_error(exc, path) from exc
        self._store("admin", "write", token)
        log.warning("created the first write token (name 'admin') in %s", path)
        return path
