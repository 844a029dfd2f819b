"""Compact, exact encoding of counter matrices.

A snapshot matrix is mostly zeros (an IRQ fires on few CPUs), so only non-zero cells are
kept: their flat positions (gaps, uint32) and values (uint64), each byte-shuffled so the
high bytes of small numbers form zero runs, then zlib. Deltas against a keyframe are small
numbers and shrink further. A 256 CPU x 2000 IRQ matrix encodes to ~7 KB, its delta to ~5 KB.

Residuals (a snapshot minus what was predicted for it) may be negative: they are zigzag-coded
(0, -1, 1, -2, ... -> 0, 1, 2, 3, ...) so small either way stays small, and marked by a
prefix no plain encoding starts with (that would take 3 million rows).
"""
from __future__ import annotations

import struct
import zlib

import numpy as np

_HEADER = struct.Struct("<III")  # rows, columns, non-zero cells
_RESIDUAL = b"\xffR1"


def _shuffle(array: np.ndarray) -> bytes:
    return array.view(np.uint8).reshape(-1, array.itemsize).T.tobytes()


def _unshuffle(data: bytes, dtype, count: int) -> np.ndarray:
    itemsize = np.dtype(dtype).itemsize
    planes = np.frombuffer(data, dtype=np.uint8, count=count * itemsize).reshape(itemsize, count)
    return planes.T.copy().view(dtype).reshape(count)


def encode(matrix: np.ndarray) -> bytes:
    """Encode a 2-D uint64 matrix."""
    rows, cols = matrix.shape
    flat = np.ascontiguousarray(matrix, dtype=np.uint64).reshape(-1)
    where = np.flatnonzero(flat)
    gaps = np.diff(where, prepend=0).astype(np.uint32)
    body = _shuffle(gaps) + _shuffle(flat[where])
    return _HEADER.pack(rows, cols, len(where)) + zlib.compress(body, 6)


def decode(blob: bytes) -> np.ndarray:
    """Inverse of encode."""
    shape, where, values, _ = decode_cells(blob)
    matrix = np.zeros(shape[0] * shape[1], dtype=np.uint64)
    matrix[where] = values
    return matrix.reshape(shape)


def encode_residual(difference: np.ndarray) -> bytes:
    """Encode a uint64 matrix of differences taken modulo 2**64 (small negatives wrap)."""
    signed = np.ascontiguousarray(difference, dtype=np.uint64).view(np.int64)
    return _RESIDUAL + encode(((signed << 1) ^ (signed >> 63)).view(np.uint64))


def decode_cells(blob: bytes) -> tuple[tuple[int, int], np.ndarray, np.ndarray, bool]:
    """(shape, flat positions, values, is_residual) of the non-zero cells of a blob from
    encode or encode_residual (then the values are differences modulo 2**64)."""
    residual = blob.startswith(_RESIDUAL)
    if residual:
        blob = blob[len(_RESIDUAL):]
    rows, cols, count = _HEADER.unpack_from(blob)
    body = zlib.decompress(blob[_HEADER.size:])
    where = np.cumsum(_unshuffle(body, np.uint32, count), dtype=np.int64)
    values = _unshuffle(body[count * 4:], np.uint64, count)
    if residual:
        values = (values >> np.uint64(1)) ^ (np.uint64(0) - (values & np.uint64(1)))
    return (rows, cols), where, values, residual
