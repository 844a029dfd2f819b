"""Bearer tokens, stored hashed (SHA-256) in <data-dir>/tokens.json.

Tokens are 256-bit random strings, so a plain SHA-256 is enough to make the stored file
useless to a reader; comparison is constant-time.
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
        self._cache: tuple[float, list[dict]] | None = None

    def _entries(self) -> list[dict]:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return []
        with self._lock:
            if self._cache is None or self._cache[0] != mtime:
                self._cache = (mtime, json.loads(self.path.read_text())["tokens"])
            return self._cache[1]

    def lookup(self, token: str) -> TokenInfo | None:
        """The stored token matching `token`, or None."""
        digest = _digest(token)
        for entry in self._entries():
            if hmac.compare_digest(entry["sha256"], digest):
                return TokenInfo(entry["name"], entry["scope"], entry["created"])
        return None

    def create(self, name: str, scope: str) -> str:
        """Store a new token and return its secret (shown once, never stored)."""
        if scope not in SCOPES:
            raise ValueError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
        token = "irq_" + secrets.token_urlsafe(32)
        entries = [e for e in self._entries() if e["name"] != name]
        entries.append({"name": name, "scope": scope, "sha256": _digest(token),
                        "created": time.time()})
        self.data_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"tokens": entries}, f, indent=1)
        os.replace(tmp, self.path)
        return token

    def ensure_admin(self) -> Path | None:
        """On first start (no token stored), create a write token in admin.token (0600).

        Returns the file's path when a token was created, else None.
        """
        if self._entries():
            return None
        token = self.create("admin", "write")
        path = self.data_dir / ADMIN_TOKEN_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(token + "\n")
        os.chmod(path, 0o600)
        log.warning("created the first write token (name 'admin') in %s", path)
        return path
