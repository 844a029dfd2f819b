"""CPU masks and CPU lists in the kernel's text forms, both directions, any CPU count.

Masks are comma-separated 32-bit hex words, most significant first ("ff,ffffffff");
lists are ranges ("0-3,8,10-11"). See Documentation/core-api/printk-formats.rst (%*pb, %*pbl).
"""
from __future__ import annotations

import re
from typing import Iterable

from irq_server.errors import InvalidMask

MASK_PATTERN = r"^[0-9a-fA-F]{1,8}(,[0-9a-fA-F]{1,8})*$"  # also the API's documented pattern
LIST_PATTERN = r"^[0-9]{1,5}(-[0-9]{1,5})?(,[0-9]{1,5}(-[0-9]{1,5})?)*$"
_MASK_RE = re.compile(MASK_PATTERN)
_LIST_RE = re.compile(r"^\d+(-\d+)?(,\d+(-\d+)?)*$")
MAX_CPUS = 8192  # CONFIG_NR_CPUS upper bound on x86_64


def parse_mask(text: str, field: str = "cpu_affinity_mask") -> frozenset[int]:
    """Parse a hex CPU mask ("3", "fff1", "00000000,00000003") into a set of CPU ids.

    Raises:
        InvalidMask: the text is not comma-separated hex words of at most 8 digits.
    """
    text = text.strip()
    if not _MASK_RE.match(text):
        raise InvalidMask(
            f"{text!r} is not a CPU mask: expected hex words of up to 8 digits separated by "
            "commas, most significant first, e.g. 'f' or '00000000,0000000f'", field=field)
    value = 0
    for word in text.split(","):
        value = (value << 32) | int(word, 16)
    return bits_of(value)


def bits_of(value: int) -> frozenset[int]:
    """Set bit positions of a non-negative integer."""
    binary = bin(value)[:1:-1]  # least significant bit first
    return frozenset(i for i, bit in enumerate(binary) if bit == "1")


def format_mask(cpus: Iterable[int], nr_cpu_ids: int) -> str:
    """Format CPU ids as the kernel prints a mask of `nr_cpu_ids` bits (%*pb)."""
    value = 0
    for cpu in cpus:
        value |= 1 << cpu
    nbits = max(nr_cpu_ids, value.bit_length(), 1)
    words = []
    while nbits > 0:
        width = min(nbits - ((nbits - 1) // 32) * 32, 32)
        chunk = (value >> ((nbits - width))) & ((1 << width) - 1)
        words.append(format(chunk, f"0{(width + 3) // 4}x"))
        nbits -= width
    return ",".join(words)


def parse_cpu_list(text: str, field: str = "cpu_affinity_list") -> frozenset[int]:
    """Parse a CPU list ("0-3,8", "" for none) into a set of CPU ids.

    Raises:
        InvalidMask: malformed, a range running backwards, or a CPU id beyond MAX_CPUS.
    """
    text = text.strip()
    if not text:
        return frozenset()
    if not _LIST_RE.match(text):
        raise InvalidMask(
            f"{text!r} is not a CPU list: expected ids and ranges separated by commas, "
            "e.g. '0-3,8'", field=field)
    cpus: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        lo, hi = int(first), int(last or first)
        if hi < lo:
            raise InvalidMask(f"range {part!r} runs backwards", field=field)
        if hi >= MAX_CPUS:
            raise InvalidMask(f"CPU {hi} is beyond the largest possible id {MAX_CPUS - 1}",
                              field=field)
        cpus.update(range(lo, hi + 1))
    return frozenset(cpus)


def format_cpu_list(cpus: Iterable[int]) -> str:
    """Format CPU ids as the kernel prints a list (%*pbl): "0-3,8"."""
    ordered = sorted(set(cpus))
    parts = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)
