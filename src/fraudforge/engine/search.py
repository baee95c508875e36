"""Exact, faster forms of what sampling does for every row of a shard: its two searches and
its cumulative tables.

``np.searchsorted`` answers each of a shard's ~70K random queries with a binary search whose
every step is a branch the processor cannot predict (about 50 ns a row over the merchants'
table at 1M rows), and counting a row's cumulatives at or below its uniform over a gathered
(rows, k) matrix makes a large temporary.
The functions here give the same integers, bit for bit:

- ``grouped_right``: ``np.searchsorted(table, v, side="right")`` over a sorted table whose
  values for group ``g`` lie in [g, g + 1] (cumulative shares offset by their group, as the
  samplers build them), for queries ``v`` in [g, g + 1] of a known group ``g``. A grid of
  cells per group, each cell's answer worked out once per table, answers almost every query
  by two lookups; the few whose cell holds a table value are searched as before.
- ``count_at_or_below``: the number of ``cum[group[row]]`` entries at or below ``u[row]``,
  over rows of non-decreasing cumulatives, by a branchless binary search (a gather and a
  comparison per halving of the row, ``log2(k)`` in all).
- ``row_cumsum``: ``np.cumsum(weights, axis=1)`` a column at a time, for tall tables.

Only NumPy is imported: the samplers of every stage's modules use these.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

CELLS_PER_VALUE = 16
"""Grid cells per table value of a group (rounded up to a power of two): about one query in
this many falls in a cell that holds a table value and is searched."""
GRID_MAX_CELLS = 1 << 20
"""Cells (about 9 MiB) above which a table is searched directly: the merchants' grid is 0.6 MiB
at 1M rows and 3 MiB at 10M, and grows with the merchants, so memory stays flat at any size."""


@dataclass(frozen=True)
class Grid:
    """Per-cell answers of ``np.searchsorted(table, v, side="right")`` for a sorted ``table``
    whose group ``g`` values lie in [g, g + 1]. Group ``g`` has ``scale[g]`` cells (a power of
    two) of width ``1 / scale[g]`` from ``g``, and one more at ``g + 1``; cell ``i`` of ``g``
    (global index ``start[g] + i``) holds the queries in [g + i / scale, g + (i + 1) / scale).
    ``answer`` is the search's result at the cell's lower end, which is every query's in the
    cell unless ``searched`` (a table value lies inside the cell). It holds no reference to
    the table, so a cache of grids keeps no table alive."""

    start: I64
    scale: F64
    answer: I64
    searched: npt.NDArray[np.bool_]

    @classmethod
    def build(cls, table: F64, groups: int) -> Grid | None:
        """The grid of ``table`` over ``groups`` groups; None if the table is not sorted (the
        search's answer would then depend on its path) or its grid would exceed
        ``GRID_MAX_CELLS``. Every cell bound is exact: a group number plus a multiple of a power
        of two, far from float64's 53 bits."""
        if not bool(np.all(table[1:] >= table[:-1])):
            return None
        g = np.arange(groups, dtype=np.float64)
        values = np.searchsorted(table, g + 1.0, side="left") - np.searchsorted(table, g)
        cells = np.maximum(values, 1) * CELLS_PER_VALUE
        scale = np.left_shift(1, np.ceil(np.log2(cells)).astype(np.int64))
        if int(scale.sum()) + groups > GRID_MAX_CELLS:
            return None
        start = np.concatenate([[0], np.cumsum(scale + 1)[:-1]]).astype(np.int64)
        group = np.repeat(np.arange(groups), scale + 1)
        cell = np.arange(group.shape[0]) - start[group]
        lower = group + cell / scale[group]
        upper = group + (cell + 1) / scale[group]
        answer = np.asarray(np.searchsorted(table, lower, side="right"), dtype=np.int64)
        below_upper = np.searchsorted(table, upper, side="left")
        return cls(start, scale.astype(np.float64), answer, answer != below_upper)

    def right(self, table: F64, group: I64, v: F64) -> I64:
        """``np.searchsorted(table, v, side="right")`` (the grid's table) for queries ``v`` in
        [group, group + 1]: ``v - group`` is exact (Sterbenz), so is its product with a power
        of two, and so the cell found holds ``v``."""
        cell = self.start[group] + ((v - group) * self.scale[group]).astype(np.int64)
        out = self.answer[cell]
        hard = np.flatnonzero(self.searched[cell])
        out[hard] = np.searchsorted(table, v[hard], side="right")
        return out


@lru_cache(maxsize=8)
def _grid_of_bytes(table: bytes, groups: int) -> Grid | None:
    """The grid of a small table given as its bytes: samplers rebuild their tables call by
    call, and hashing one costs microseconds."""
    return Grid.build(np.frombuffer(table, dtype=np.float64), groups)


_HELD: dict[int, tuple[weakref.ref[F64], Grid | None]] = {}
"""Grids of long-lived tables (the merchants'), by the table's identity while it lives."""


def _grid_of_held(table: F64, groups: int) -> Grid | None:
    """The grid of a table that lives as long as its world: built once per process."""
    key = id(table)
    hit = _HELD.get(key)
    if hit is not None and hit[0]() is table:
        return hit[1]
    grid = Grid.build(table, groups)
    held = _HELD  # the callback holds the dict itself: at exit the globals may go first

    def forget(_: weakref.ref[F64]) -> None:
        held.pop(key, None)

    _HELD[key] = (weakref.ref(table, forget), grid)
    return grid


def grouped_right(table: F64, groups: int, group: I64, v: F64, *, held: bool = False) -> I64:
    """``np.searchsorted(table, v, side="right")``, the same integers, for a float64 ``table``
    whose values for each of ``groups`` groups lie in [g, g + 1] and queries ``v`` in
    [group, group + 1] of their known ``group``.

    With enough queries the table's grid answers them (``Grid``); it is kept for the next
    call with the same table: by identity for a ``held`` table (one that lives as long as a
    world, however large), else by its bytes (a small table rebuilt call by call)."""
    if group.shape[0] < table.shape[0] * CELLS_PER_VALUE:
        return np.asarray(np.searchsorted(table, v, side="right"), dtype=np.int64)
    if held:
        grid = _grid_of_held(table, groups)
    else:
        grid = _grid_of_bytes(np.ascontiguousarray(table, dtype=np.float64).tobytes(), groups)
    if grid is None:
        return np.asarray(np.searchsorted(table, v, side="right"), dtype=np.int64)
    return grid.right(table, group, v)


def count_at_or_below(cum: F64, group: I64, u: F64) -> I64:
    """For each row, how many of ``cum[group[row]]``'s entries are at or below ``u[row]``:
    ``(cum[group] <= u[:, None]).sum(axis=1)``, the same integers, when every row of ``cum``
    is non-decreasing (cumulative shares). Each row is padded with infinities to a power of
    two above its length and searched by halves, a gather and a comparison a step, with no
    (rows, k) matrix; a table whose rows are not all non-decreasing is counted the long way."""
    k = cum.shape[1]
    if not bool(np.all(cum[:, 1:] >= cum[:, :-1])):
        return np.asarray((cum[group] <= u[:, None]).sum(axis=1), dtype=np.int64)
    width = 1 << k.bit_length()  # above k: a count of k fits below the last step's reach
    padded = np.full((cum.shape[0], width), np.inf)
    padded[:, :k] = cum
    flat = padded.ravel()
    # ``at`` is the row's start in ``flat`` plus its count so far, less one: the next entry
    # to test is ``at + step``.
    first = group * width - 1
    at = first.copy()
    step = width >> 1
    while step:
        at += (flat[at + step] <= u) * step
        step >>= 1
    return np.asarray(at - first, dtype=np.int64)


TALL = 64
"""Rows from which ``row_cumsum`` adds a column at a time."""


def row_cumsum(weights: F64) -> F64:
    """``np.cumsum(weights, axis=1)``, the same floats: NumPy accumulates each row in order,
    a loop of a few elements per row whose overhead dominates a tall table (a customer's modes
    or categories: thousands of rows of 8 or 25); adding the columns in the same order, each a
    vectorised pass over every row, gives the same sums three to six times sooner."""
    if weights.ndim != 2 or weights.shape[0] < TALL or weights.dtype != np.float64:
        return np.asarray(np.cumsum(weights, axis=1), dtype=np.float64)
    out = np.empty_like(weights)
    out[:, 0] = weights[:, 0]
    for j in range(1, weights.shape[1]):
        np.add(out[:, j - 1], weights[:, j], out=out[:, j])
    return out
