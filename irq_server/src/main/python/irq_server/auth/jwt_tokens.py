"""JSON Web Tokens for users (HS256, PyJWT), signed with a secret made once per data dir.

The secret is 256 random bits, hex, in <data-dir>/jwt.secret (mode 0600). It is written
whole or not at all (datadir.atomic_write: temp file, fsync, then a link that fails if the
name exists, so two workers starting together agree on one). A file that is there but empty
or malformed (a crash or a full disk under an older version) is an error with a clear log
line and a 503 for what needs it, never a wait: at start `ensure()` moves it aside and makes
a new one. A token carries `sub` (the user), `ukey` (that user's key: see users.User),
`scope`, `iat` and `exp` (default 12 h later); it is only as good as its user: a removed
user's tokens stop working at once.
"""
from __future__ import annotations

import logging
import re
import secrets
import time
from pathlib import Path

import jwt

from irq_server import datadir
from irq_server.errors import AuthError, StoreCorrupt, StoreUnavailable, store_error

SECRET_FILE = "jwt.secret"
ALGORITHM = "HS256"
DEFAULT_LIFETIME = 12 * 3600.0
ISSUER = "irq-server"
_SECRET_RE = re.compile(r"[0-9a-f]{64}\n?")
log = logging.getLogger(__name__)


def looks_like_jwt(token: str) -> bool:
    """Opaque tokens are 'irq_...'; a JWT is three base64url parts joined by dots."""
    return token.count(".") == 2


class JwtIssuer:
    def __init__(self, data_dir: str | Path, lifetime: float = DEFAULT_LIFETIME, clock=time.time):
        self.path = Path(data_dir) / SECRET_FILE
        self.lifetime = lifetime
        self.clock = clock
        self._secret: bytes | None = None
        self._reported = False

    def secret(self) -> bytes:
        """The signing key, made on first use when there is none.

        Raises:
            StoreCorrupt: the file is empty or not a secret this server wrote.
            StoreUnavailable: it cannot be read or made (DiskFull on a full disk).
        """
        if self._secret is None:
            try:
                if not self.path.exists():
                    datadir.atomic_write(self.path, (secrets.token_hex(32) + "\n").encode(),
                                         exclusive=True)
                text = self.path.read_text(errors="replace")
            except OSError as exc:
                raise self._report(store_error(exc, self.path)) from exc
            if not _SECRET_RE.fullmatch(text):
                raise self._report(StoreCorrupt(
                    f"{self.path.name} is {'empty' if not text else 'malformed'}: logins and "
                    "user tokens are refused until irq-server restarts (it then moves the file "
                    "aside and makes a new secret; tokens from before must log in again)"))
            self._secret = bytes.fromhex(text.strip())
        return self._secret

    def _report(self, error: StoreUnavailable) -> StoreUnavailable:
        if not self._reported:
            log.error("JWT secret unusable: %s", error.detail)
            self._reported = True
        return error

    def ensure(self) -> None:
        """At start: a secret that is there but unusable is moved aside and made anew (it
        could not have signed anything: no token can have been checked against it)."""
        self._reported = True  # start says what it does about it: no "until restart" line
        try:
            self.secret()
        except StoreCorrupt:
            datadir.quarantine(self.path, "an empty or malformed secret")
            self.secret()
        finally:
            self._reported = False

    def issue(self, user) -> tuple[str, float]:
        """A signed token for `user` (users.User) and the epoch second it expires at."""
        now = self.clock()
        expires = now + self.lifetime
        claims = {"sub": user.name, "ukey": user.key, "scope": user.scope, "iat": int(now),
                  "exp": int(expires), "iss": ISSUER}
        return jwt.encode(claims, self.secret(), algorithm=ALGORITHM), int(expires)

    def verify(self, token: str) -> dict:
        """The claims of a token this data dir signed and that has not expired.

        Raises:
            AuthError: expired, signed with another key, altered, or not a JWT at all.
            StoreUnavailable: the secret cannot be used (503: not the caller's fault).
        """
        try:  # expiry is checked against self.clock (the server's clock, fakeable in tests)
            claims = jwt.decode(token, self.secret(), algorithms=[ALGORITHM], issuer=ISSUER,
                                options={"require": ["sub", "scope", "exp", "iat", "iss"],
                                         "verify_exp": False, "verify_iat": False})
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"the token is not valid here ({exc})") from None
        if claims["exp"] <= self.clock():
            raise AuthError("the token has expired: log in again (POST /api/v1/auth)")
        return claims
