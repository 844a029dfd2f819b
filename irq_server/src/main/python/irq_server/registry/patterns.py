"""User-supplied uid patterns, compiled by RE2: matching is linear in the uid's length, so no
pattern can hang a worker (`(a+)+$` on a long uid answers in microseconds). What RE2 does
not support (backreferences, lookaround) or what would need too much memory is refused as
bad input naming the field."""
from __future__ import annotations

import functools

import re2

from irq_server.errors import InvalidInput

MAX_PATTERN = 1024  # characters
MAX_MEMORY = 8 << 20  # bytes RE2 may use for one compiled pattern

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
_OPTIONS.max_mem = MAX_MEMORY


class UidMatcher:
    """`matcher(uid)`: whether the pattern matches anywhere in `uid`. Whether a pattern
    matches a uid never changes, and lookups repeat patterns over the same uids (entries are
    re-published, rarely new), so answers are remembered (up to `MEMORY` uids a pattern):
    RE2 through its Python binding costs microseconds a call, a dict lookup far less."""

    MEMORY = 100_000

    def __init__(self, compiled):
        self._search = compiled.search
        self._seen: dict[str, bool] = {}

    def __call__(self, uid: str) -> bool:
        found = self._seen.get(uid)
        if found is None:
            found = self._search(uid) is not None
            if len(self._seen) < self.MEMORY:
                self._seen[uid] = found
        return found


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: str, field: str = "uid_regex") -> UidMatcher:
    """The pattern's matcher (search semantics: it may match anywhere in a uid).

    Raises:
        InvalidInput: too long, not valid RE2 syntax, or too large once compiled.
    """
    if len(pattern) > MAX_PATTERN:
        raise InvalidInput(f"{field} is {len(pattern)} characters; at most {MAX_PATTERN}",
                           field=field)
    try:
        return UidMatcher(re2.compile(pattern, _OPTIONS))
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise InvalidInput(f"{field} is not a pattern this server runs ({reason}); it takes "
                           "RE2 syntax: no backreferences or lookaround", field=field) from None
