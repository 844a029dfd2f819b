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


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: str, field: str = "uid_regex"):
    """The compiled pattern (search semantics: it may match anywhere in a uid).

    Raises:
        InvalidInput: too long, not valid RE2 syntax, or too large once compiled.
    """
    if len(pattern) > MAX_PATTERN:
        raise InvalidInput(f"{field} is {len(pattern)} characters; at most {MAX_PATTERN}",
                           field=field)
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise InvalidInput(f"{field} is not a pattern this server runs ({reason}); it takes "
                           "RE2 syntax: no backreferences or lookaround", field=field) from None
