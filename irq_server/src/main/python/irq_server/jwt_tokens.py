"""JSON Web Tokens for users (HS256, PyJWT), signed with a secret made once per data dir.

The secret is 256 random bits in <data-dir>/jwt.secret (mode 0600), created by whichever
process needs it first (O_EXCL: two workers starting together agree on one). A token carries
`sub` (the user), `scope`, `iat` and `exp` (default 12 h later); it is only as good as its
user: a removed user's tokens stop working at once.
"""
from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import jwt

from irq_server.errors import AuthError

SECRET_FILE = "jwt.secret"
ALGORITHM = "HS256"
DEFAULT_LIFETIME = 12 * 3600.0
ISSUER = "irq-server"


def looks_like_jwt(token: str) -> bool:
    """Opaque tokens are 'irq_...'; a JWT is three base64url parts joined by dots."""
    return token.count(".") == 2


class JwtIssuer:
    def __init__(self, data_dir: str | Path, lifetime: float = DEFAULT_LIFETIME, clock=time.time):
        self.path = Path(data_dir) / SECRET_FILE
        self.lifetime = lifetime
        self.clock = clock
        self._secret: bytes | None = None

    def secret(self) -> bytes:
        if self._secret is None:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as f:
                    f.write(secrets.token_hex(32) + "\n")
            text = self.path.read_text().strip()
            while not text:  # another process created it and is still writing
                time.sleep(0.01)
                text = self.path.read_text().strip()
            self._secret = bytes.fromhex(text)
        return self._secret

    def issue(self, user: str, scope: str) -> tuple[str, float]:
        """A signed token for `user` and the epoch second it expires at."""
        now = self.clock()
        expires = now + self.lifetime
        claims = {"sub": user, "scope": scope, "iat": int(now), "exp": int(expires),
                  "iss": ISSUER}
        return jwt.encode(claims, self.secret(), algorithm=ALGORITHM), int(expires)

    def verify(self, token: str) -> dict:
        """The claims of a token this data dir signed and that has not expired.

        Raises:
            AuthError: expired, signed with another key, altered, or not a JWT at all.
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
