"""User-supplied uid patterns, compiled by RE2: matching is linear in the uid's length, so no
pattern can hang a worker (`(a+)+$` on a long uid answers in microseconds). What RE2 does
not support (backreferences, lookaround) or what would need too much memory is refused as
bad input naming the field."""
from __future__ import annotations

import functools
import sys
import threading
from collections import OrderedDict

import re2

from irq_server.errors import InvalidInput

MAX_PATTERN = 1024  # characters
MAX_MEMORY = 1 << 20  # bytes RE2 may use for one compiled pattern (what a uid pattern needs
#                       many times over; `\pL{100}` is refused in 10 ms, not compiled in 70)
PATTERNS = 64  # compiled patterns kept: at most PATTERNS x MAX_MEMORY bytes

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False
_OPTIONS.max_mem = MAX_MEMORY


MEMORY_BUDGET = 16 << 20  # bytes of remembered answers per process, over every pattern
ENTRY_COST = 100  # bytes one remembered answer costs beside its uid (dict slot, key, bool)


class _Memory:
    """The bytes every matcher's remembered answers take, bounded: a matcher that would go
    over the budget first makes the least recently charged others forget theirs."""

    def __init__(self, budget: int):
        self.budget = budget
        self.used = 0
        self._matchers: OrderedDict[UidMatcher, None] = OrderedDict()  # oldest first
        self._lock = threading.Lock()

    def charge(self, matcher: "UidMatcher", cost: int) -> bool:
        """Whether `matcher` may remember `cost` more bytes (evicting others to make room)."""
        with self._lock:
            self._matchers[matcher] = None
            self._matchers.move_to_end(matcher)
            while self.used + cost > self.budget and len(self._matchers) > 1:
                oldest = next(iter(self._matchers))
                self._matchers.pop(oldest)
                self.used -= oldest.forget()
            if self.used + cost > self.budget:
                return False
            self.used += cost
            matcher.cost += cost
            return True


class UidMatcher:
    """`matcher(uid)`: whether the pattern matches anywhere in `uid`. Whether a pattern
    matches a uid never changes, and lookups repeat patterns over the same uids (entries are
    re-published, rarely new), so answers are remembered: RE2 through its Python binding
    costs microseconds a call, a dict lookup far less. What all matchers remember together
    is bounded by MEMORY_BUDGET (least recently growing patterns forget first), whatever
    the number of patterns and uids."""

    def __init__(self, compiled, memory: _Memory):
        self._search = compiled.search
        self._seen: dict[str, bool] = {}
        self._memory = memory
        self.cost = 0  # bytes charged to the memory for what _seen holds

    def __call__(self, uid: str) -> bool:
        found = self._seen.get(uid)
        if found is None:
            found = self._search(uid) is not None
            if self._memory.charge(self, sys.getsizeof(uid) + ENTRY_COST):
                self._seen[uid] = found
        return found

    def filter(self, uids: list[str]) -> list[str]:
        """The uids it matches, in order (the same answers as calling it on each, faster)."""
        seen, kept = self._seen, []
        for uid in uids:
            found = seen.get(uid)
            if found is None:
                found = self(uid)
            if found:
                kept.append(uid)
        return kept

    def forget(self) -> int:
        """Drop every remembered answer; the bytes they were charged."""
        freed, self.cost = self.cost, 0
        self._seen = {}
        return freed


_MEMORY = _Memory(MEMORY_BUDGET)


@functools.lru_cache(maxsize=PATTERNS)
def compile_pattern(pattern: str, field: str = "uid_regex") -> UidMatcher:
    """The pattern's matcher (search semantics: it may match anywhere in a uid).

    Raises:
        InvalidInput: too long, not valid RE2 syntax, or too large once compiled.
    """
    if len(pattern) > MAX_PATTERN:
        raise InvalidInput(f"{field} is {len(pattern)} characters; at most {MAX_PATTERN}",
                           field=field)
    try:
        return UidMatcher(re2.compile(pattern, _OPTIONS), _MEMORY)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise InvalidInput(f"{field} is not a pattern this server runs ({reason}); it takes "
                           "RE2 syntax: no backreferences or lookaround", field=field) from None
