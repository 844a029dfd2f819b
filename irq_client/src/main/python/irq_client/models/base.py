"""What every model shares: the JSON type, the `raw` field, the tuple that keeps its JSON, and
the readers that turn wire values into Python ones (see the package docstring for the rule
they follow)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self, TypeAlias, TypeVar, Union

Json: TypeAlias = Union[dict[str, "Json"], list["Json"], str, int, float, bool, None]
"""A decoded JSON value, as `json.loads` returns it."""

M = TypeVar("M")


@dataclass(frozen=True)
class Model:
    """Base of every model built from the wire. `raw` is the JSON it was built from (what
    `--json` prints, like docker-py's `attrs`); it takes no part in ==, hash or repr."""

    raw: Json = field(default=None, compare=False, repr=False, kw_only=True)


class Items(tuple[M, ...]):
    """A tuple of models that keeps, in `raw`, the whole answer it was built from (a list,
    or the object around it: {"cpus": [...]}). Compares and hashes as a plain tuple."""

    raw: Json

    def __new__(cls, items: Iterable[M] = (), raw: Json = None) -> Self:
        self = super().__new__(cls, items)
        self.raw = raw
        return self


class ItemsBy(dict[str, Items[M]]):
    """A dict of Items by key (mount point -> series) that keeps the answer in `raw`."""

    raw: Json

    def __init__(self, items: Mapping[str, Items[M]] | None = None, raw: Json = None):
        super().__init__(items or {})
        self.raw = raw


def obj(value: Json) -> dict[str, Any]:
    """`value` as a JSON object; TypeError when the server sent something else."""
    if not isinstance(value, dict):
        raise TypeError(f"expected a JSON object, got {type(value).__name__}")
    return value


def seq(value: Json) -> list[Any]:
    """`value` as a JSON array; TypeError when the server sent something else."""
    if not isinstance(value, list):
        raise TypeError(f"expected a JSON array, got {type(value).__name__}")
    return value


def instant(text: str | None) -> datetime | None:
    """An ISO 8601 instant ("...Z" or "+00:00") as an aware datetime; None stays None."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def required_instant(text: str) -> datetime:
    """Like instant(), for a field that is never null (ValueError when it is)."""
    value = instant(text)
    if value is None:
        raise ValueError("expected an ISO 8601 instant, got null")
    return value


def ints(values: Iterable[Any]) -> tuple[int, ...]:
    """A JSON list of counts or CPU ids as a tuple of ints."""
    return tuple(int(v) for v in values)


def ints_or_none(values: list[Any] | None) -> tuple[int, ...] | None:
    return None if values is None else ints(values)


def floats(values: Iterable[Any]) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


def float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def strs(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(str(v) for v in values)


def int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def bool_or_none(value: Any) -> bool | None:
    return None if value is None else bool(value)
