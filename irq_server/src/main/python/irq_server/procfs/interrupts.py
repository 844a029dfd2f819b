"""/proc/interrupts: parse_interrupts(data) is pure, read_interrupts(fs) does the I/O.

Layout (kernel/irq/proc.c show_interrupts): a header naming the online CPUs ("CPU0 CPU2"),
then one row per IRQ: "%*d: " + "%10u " per online CPU + chip + hwirq + flow + actions.
Named rows (NMI, LOC, IPI0...) follow the same count layout; ERR/MIS carry one global value,
FIQ none, old ARM IPI rows one value per *present* CPU (more than the header).

Speed: the counts block of a kernel-written file is fixed-width, so it is decoded for all
rows at once with numpy; rows that do not fit that shape (retyped captures, short rows)
fall back to splitting on whitespace. Nothing relies on columns to find row metadata.
"""
from __future__ import annotations

import dataclasses
import functools
import re

import numpy as np

from irq_server.procfs.hostfs import HostFS
from irq_server.types import InterruptRow, Interrupts

_FIELD = 11  # " " + "%10u" per CPU after the colon
_CPU_RE = re.compile(rb"CPU(\d+)")
# hwirq and flow after the chip: "5-edge", "27 Level", "0 Level-fasteoi", or "Edge -event"
_ANCHOR_RE = re.compile(
    r"\s(?:(?P<hwirq>\d+)(?:-(?P<flow>[A-Za-z_]+)|\s+(?P<level>Level|Edge)(?:\s*-(?P<flow2>[A-Za-z_]+))?)"
    r"|(?P<level2>Level|Edge)(?:\s*-(?P<flow3>[A-Za-z_]+))?)(?=\s|$)")
# flow handler glued to the chip by pre-4.x kernels: "IR-IO-APIC-edge", "PCI-MSI-edge"
_OLD_FLOW_RE = re.compile(r"^(?P<chip>.+)-(?P<flow>edge|level|fasteoi|simple|percpu|percpu_devid)$",
                          re.IGNORECASE)
_FIELD_SEP_RE = re.compile(r"\s{2,}")
_TOKEN_RE = re.compile(rb"\S+")
_LEADING_NUMBERS_RE = re.compile(rb"^(?:\s*\d+(?=\s|$))+")
_POW10 = np.array([1e8, 1e6, 1e4, 1e2, 1.0])


def read_interrupts(fs: HostFS) -> Interrupts:
    """Read and parse `proc/interrupts` below the host root."""
    return parse_interrupts(fs.read_bytes("proc/interrupts"))


def parse_interrupts(data: bytes | str) -> Interrupts:
    """Parse the text of /proc/interrupts.

    Raises:
        ValueError: there is no header line naming CPUs.
    """
    if isinstance(data, str):
        data = data.encode()
    lines = data.split(b"\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or not _CPU_RE.search(lines[first]):
        raise ValueError("no /proc/interrupts header naming CPUs")
    cpus = tuple(int(x) for x in _CPU_RE.findall(lines[first]))
    body = [(line, line.find(b":")) for line in lines[first + 1:]]
    body = [(line, colon) for line, colon in body if colon >= 0]
    counts, fixed = _fixed_width_counts(body, len(cpus))
    pending = []
    for i, (line, colon) in enumerate(body):
        name = line[:colon].strip()
        if fixed[i]:
            values, tail = None, line[colon + 1 + _FIELD * len(cpus):]
        else:
            values, tail = _split_counts(line[colon + 1:], len(cpus), name.isdigit())
        pending.append((i, name, values, tail))
    rows = _build_rows(pending, counts, len(cpus))
    counts.setflags(write=False)
    return Interrupts(cpus=cpus, rows=rows, counts=counts)


def _fixed_width_counts(body: list[tuple[bytes, int]], ncpu: int) -> tuple[np.ndarray, np.ndarray]:
    """Decode every row's counts block at once; returns (counts, row_is_fixed_width)."""
    width = _FIELD * ncpu
    invalid = b"x" * width
    blocks = []
    for line, colon in body:
        block = line[colon + 1:colon + 1 + width]
        if len(block) < width or line[colon + 1 + width:colon + 2 + width] not in (b"", b" "):
            block = invalid  # cannot be fixed width: rejected by the check below
        blocks.append(block)
    if not blocks or ncpu == 0:
        return np.zeros((len(body), ncpu), dtype=np.uint64), np.zeros(len(body), dtype=bool)
    # digits become 0..9 and spaces 0xF0; "& 15" then maps spaces to 0
    digits = np.frombuffer(b"".join(blocks), dtype=np.uint8) - np.uint8(48)
    ok = ((digits + np.uint8(16)) <= np.uint8(25)).reshape(len(body), -1).all(axis=1)
    digits = digits.reshape(len(body), ncpu, _FIELD)
    ok &= (digits[:, :, 0] == 0xF0).all(axis=1) & (digits[:, :, 10] <= 9).all(axis=1)
    digits &= np.uint8(15)
    pairs = digits[:, :, 1::2] * np.uint8(10) + digits[:, :, 2::2]  # five 2-digit groups
    counts = (pairs.astype(np.float64) @ _POW10).astype(np.uint64)  # exact below 2**53
    counts[~ok] = 0
    return counts, ok


def _split_counts(rest: bytes, ncpu: int, numbered: bool) -> tuple[list[int], bytes]:
    """Slow path: the leading integers of `rest` (at most one per header CPU) and the text after."""
    values: list[int] = []
    end = 0
    for token in _TOKEN_RE.finditer(rest):
        if not token.group().isdigit() or (numbered and len(values) == ncpu):
            break
        values.append(int(token.group()))
        end = token.end()
    return values[:ncpu], rest[end:]


def _build_rows(pending, counts: np.ndarray, ncpu: int) -> tuple[InterruptRow, ...]:
    """Turn (index, name, values, tail) tuples into rows, filling `counts` where needed."""
    has_chip_column = any(
        _ANCHOR_RE.search(t := tail.decode("utf-8", "replace").strip())
        or len(_FIELD_SEP_RE.split(t)) > 1
        for _, name, _, tail in pending if name.isdigit())
    rows = []
    for i, name, values, tail in pending:
        if values is not None and len(values) == ncpu:
            counts[i] = values
        if values is None or len(values) == ncpu:
            rows.append(_row(name, tail, has_chip_column))
        else:
            row = _row(name, tail, has_chip_column)
            rows.append(dataclasses.replace(row, per_cpu=False,
                                            global_count=sum(values) if values else None))
    return tuple(rows)


@functools.lru_cache(maxsize=1 << 16)
def _row(name: bytes, tail: bytes, has_chip_column: bool) -> InterruptRow:
    """Row metadata. Cached: a host prints the same rows every read (the server and the
    sampler parse the same file over and over), and rows are immutable."""
    label = name.decode("ascii", "replace")
    if not name.isdigit():
        # old ARM IPI rows count every present CPU: drop the columns the header lacks
        text = _LEADING_NUMBERS_RE.sub(b"", tail).decode("utf-8", "replace").strip()
        return InterruptRow(name=label, irq=None, description=text or None)
    text = tail.decode("utf-8", "replace").strip()
    return InterruptRow(name=label, irq=int(label), **_irq_fields(text, has_chip_column))


def _irq_fields(tail: str, has_chip_column: bool) -> dict:
    """Split "IR-PCI-MSI 524288-edge      eth0-TxRx-0" into chip/hwirq/trigger/actions."""
    if not tail:
        return {}
    match = _ANCHOR_RE.search(tail)
    if match and match.start() > 0:
        flow = (match["level"] or match["level2"] or match["flow"] or match["flow2"]
                or match["flow3"])
        return {"chip": tail[:match.start()].strip(),
                "hwirq": int(match["hwirq"]) if match["hwirq"] else None,
                "trigger": flow.lower() if flow else None,
                "actions": _actions(tail[match.end():])}
    if not has_chip_column:  # very old kernels print no chip: the whole text is the action
        return {"actions": _actions(tail)}
    fields = _FIELD_SEP_RE.split(tail, maxsplit=1)
    chip, actions = fields[0], fields[1] if len(fields) > 1 else ""
    old = _OLD_FLOW_RE.match(chip)
    if old:
        return {"chip": old["chip"], "trigger": old["flow"].lower(), "actions": _actions(actions)}
    return {"chip": chip, "actions": _actions(actions)}


def _actions(text: str) -> tuple[str, ...]:
    text = text.strip()
    return tuple(a.strip() for a in text.split(", ")) if text else ()
