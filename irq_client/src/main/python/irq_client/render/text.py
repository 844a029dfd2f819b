"""Plain-text building blocks shared by every front-end: aligned tables, KEY="value" pairs,
CPU lists, byte sizes, sparklines, and what keeps a server's text off the terminal's controls."""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_LIST_RE = re.compile(r"^\d+(-\d+)?(,\d+(-\d+)?)*$")
MAX_CPU = 8191  # the largest CPU number a kernel can have (NR_CPUS is at most 8192)


def parse_cpu_list(text: str) -> frozenset[int]:
    """ "0-3,8" -> {0, 1, 2, 3, 8}; ValueError names what is wrong."""
    text = text.strip()
    if not _LIST_RE.match(text):
        raise ValueError(f"{text!r} is not a CPU list like 0-3,8")
    cpus: set[int] = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        if int(hi or lo) < int(lo):
            raise ValueError(f"range {part!r} runs backwards")
        if int(hi or lo) > MAX_CPU:
            raise ValueError(f"CPU {int(hi or lo)} is past the largest a kernel can have "
                             f"({MAX_CPU})")
        cpus.update(range(int(lo), int(hi or lo) + 1))
    return frozenset(cpus)


def cpu_list(cpus: Iterable[int] | None) -> str:
    """{0, 1, 2, 3, 8} -> "0-3,8"; None -> "-"."""
    if cpus is None:
        return "-"
    parts: list[list[int]] = []
    for cpu in sorted(set(cpus)):
        if parts and parts[-1][1] == cpu - 1:
            parts[-1][1] = cpu
        else:
            parts.append([cpu, cpu])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in parts) or "-"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, right: Iterable[str] = (),
          headings: bool = True) -> str:
    """Columns padded to their widest cell; `right` columns right-aligned, the last one ragged.
    Control characters in cells (a name a server or a registry entry chose: an escape
    sequence would drive the terminal) are shown as `?`."""
    body = [[printable(str(c)) for c in row] for row in rows]
    lines = ([list(headers)] if headings else []) + body
    widths = [max([len(r[i]) for r in lines], default=0) for i in range(len(headers))]
    aligned_right = set(right)

    def fmt(row: list[str]) -> str:
        cells = []
        for i, cell in enumerate(row):
            last = i == len(row) - 1
            if headers[i] in aligned_right:
                cells.append(cell.rjust(widths[i]))
            else:
                cells.append(cell if last else cell.ljust(widths[i]))
        return " ".join(cells).rstrip()
    return "\n".join(fmt(r) for r in lines)


def fields(pairs: Sequence[tuple[str, object]]) -> str:
    """ "key:  value" lines, values aligned (irq-client irq, runs show)."""
    width = max((len(k) for k, _ in pairs), default=0)
    return "\n".join(f"{k + ':':<{width + 1}} {printable(str(v))}" for k, v in pairs)


_CONTROL = dict.fromkeys([*range(32), 127, *range(128, 160)], "?")


def printable(text: str) -> str:
    """`text` with its control characters (ESC, BEL, CR, ...) shown as `?`."""
    return text.translate(_CONTROL)


def pair_lines(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """util-linux's -P/--pairs output: KEY="value" pairs, one line per row."""
    def quote(value: object) -> str:
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "\n".join(" ".join(f"{h}={quote(v)}" for h, v in zip(headers, row)) for row in rows)


def clip(line: str, width: int) -> str:
    """`line` cut to at most `width` characters."""
    return line if len(line) <= width else line[:max(0, width)]


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], low: float | None = None,
              high: float | None = None) -> str:
    """One block character per value, scaled between `low` and `high` (default: the values'
    own range)."""
    if not values:
        return ""
    bottom = min(values) if low is None else low
    top = max(values) if high is None else high
    span = top - bottom
    return "".join(SPARKS[min(len(SPARKS) - 1, int((v - bottom) / span * len(SPARKS)))]
                   if span > 0 else SPARKS[0] for v in values)


def human_bytes(value: int | float | None) -> str:
    """1536 -> "1.5K", in powers of 1024 as free -h and df -h print them; None -> "-"."""
    if value is None:
        return "-"
    size = float(value)
    for unit in ("B", "K", "M", "G", "T", "P"):
        if abs(size) < 1024 or unit == "P":
            return f"{size:.0f}{unit}" if unit == "B" else f"{size:.1f}{unit}"
        size /= 1024
    return f"{size:.1f}P"


def yes_no(value: bool | None, unknown: str = "-") -> str:
    return {True: "yes", False: "no", None: unknown}[value]


def dash(value: object) -> object:
    """None shown as "-"."""
    return "-" if value is None else value
