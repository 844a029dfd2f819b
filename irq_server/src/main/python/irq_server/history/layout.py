"""Moving counter matrices between layouts (row keys x CPU ids) as IRQs and CPUs come and go.

Counters are always matched by key and CPU id, never by position.
"""
from __future__ import annotations

import numpy as np


def remap(values: np.ndarray, keys: tuple[str, ...], cpus: tuple[int, ...],
          to_keys: tuple[str, ...], to_cpus: tuple[int, ...]) -> np.ndarray:
    """`values` laid out as (keys x cpus) re-laid as (to_keys x to_cpus); missing cells are 0."""
    if keys == to_keys and cpus == to_cpus:
        return values
    out = np.zeros((len(to_keys), len(to_cpus)), dtype=values.dtype)
    key_pos = {k: i for i, k in enumerate(keys)}
    cpu_pos = {c: i for i, c in enumerate(cpus)}
    rows = [(i, key_pos[k]) for i, k in enumerate(to_keys) if k in key_pos]
    cols = [(j, cpu_pos[c]) for j, c in enumerate(to_cpus) if c in cpu_pos]
    if rows and cols:
        dst_r, src_r = zip(*rows)
        dst_c, src_c = zip(*cols)
        out[np.ix_(dst_r, dst_c)] = values[np.ix_(src_r, src_c)]
    return out
