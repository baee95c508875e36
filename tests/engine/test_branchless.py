"""``engine.branchless.where``: the bits, type and shape of ``np.where`` for every kind of
operand the generator passes, and ``np.where``'s own errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from fraudforge.engine.branchless import MIN_SIZE, where

N = MIN_SIZE + 7
_RNG = np.random.default_rng(11)
OPERANDS: list[Any] = [
    _RNG.random(N),
    _RNG.random(N).astype(np.float32),
    np.array([np.nan, -0.0, np.inf, 0.0] * (N // 4) + [1.0] * (N % 4)),
    _RNG.integers(-(1 << 62), 1 << 62, N),
    _RNG.integers(-9, 9, N).astype(np.int32),
    _RNG.integers(-5, 9, N).astype(np.int8),
    _RNG.integers(0, 9, N).astype(np.uint8),
    _RNG.random(N) < 0.3,
    0.95,
    3,
    -1,
    True,
    np.array(2.5),
    np.uint64(7),
]


@pytest.mark.parametrize("a", OPERANDS, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("b", OPERANDS, ids=lambda v: type(v).__name__)
def test_where_equals_numpy(a: Any, b: Any) -> None:
    """Property: the same bytes, type and shape as ``np.where`` (NaN, -0.0 included), or the
    same error."""
    cond = _RNG.random(N) < 0.5
    try:
        expected = np.where(cond, a, b)
    except (OverflowError, TypeError) as error:
        with pytest.raises(type(error)):
            where(cond, a, b)
        return
    got = where(cond, a, b)
    assert got.dtype == expected.dtype
    assert got.shape == expected.shape
    assert got.tobytes() == expected.tobytes()


def test_where_exact_values_and_broadcasting() -> None:
    """Exact values on a hand-made row, a condition that widens scalars, a column condition
    that widens a row of values, and a small call left to ``np.where``."""
    cond = np.zeros(N, dtype=bool)
    cond[:3] = [True, False, True]
    got = where(cond, np.arange(N, dtype=np.int64), -1)
    assert got[:4].tolist() == [0, -1, 2, -1]
    assert where(cond, 1.5, 0.0)[:3].tolist() == [1.5, 0.0, 1.5]
    column = (np.arange(N) % 2 == 0)[:, None]
    wide = where(column, np.arange(3), 7)
    assert wide.shape == (N, 3)
    assert wide[:2].tolist() == [[0, 1, 2], [7, 7, 7]]
    assert where(np.array([True, False]), 1, 2).tolist() == [1, 2]


def test_where_returns_a_new_array() -> None:
    """The result never shares memory with an operand (callers write into it)."""
    a = _RNG.random(N)
    got = where(np.ones(N, dtype=bool), a, 0.0)
    assert not np.shares_memory(got, a)
    got[0] = -1.0
    assert a[0] != -1.0
