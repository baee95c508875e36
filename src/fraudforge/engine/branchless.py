"""``where``: ``np.where(cond, a, b)``, the same values and type, without a branch per element.

NumPy's ``where`` copies each element after a test of its condition, a branch the processor
mispredicts about as often as the condition is unpredictable: over a shard's ~70K rows with a
condition true for a third to two thirds of them, about 3 ns a row (0.2 ms a call, ten times a
gather). The generator's conditions are random draws, so it pays that on most calls. Selecting
the bits instead (``b ^ ((a ^ b) * cond)`` on the values' bit patterns) costs three passes
that never branch, about a quarter of that, and the result is the same bits, so the same
floats (NaN, -0.0).

Only NumPy is imported.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import numpy.typing as npt

MIN_SIZE = 2_048
"""Elements below which ``np.where`` is called as it is: the bit selection's conversions cost
a few microseconds, and the pattern builders make thousands of small calls (those pay about
0.1 us for the test)."""
_KINDS = frozenset("biuf")
"""Kinds whose values are their bits: booleans, integers, floats."""
_OPERANDS = (np.ndarray, bool, int, float)
"""Values whose promotion ``np.result_type`` gives as ``np.where`` does: arrays and Python
scalars (NumPy's own scalars are left to ``np.where``)."""


def where(cond: Any, a: Any, b: Any) -> npt.NDArray[Any]:
    """``np.where(cond, a, b)`` for a boolean array ``cond`` and arrays or scalars ``a`` and
    ``b``: the same values, type (NumPy's promotion of ``a`` and ``b``) and shape, as a new
    array. Anything else (a condition that is not a boolean array, values that are not numbers
    or booleans) is left to ``np.where``."""
    if type(cond) is not np.ndarray or cond.size < MIN_SIZE or cond.dtype.kind != "b":
        return cast("npt.NDArray[Any]", np.where(cond, a, b))  # the cheapest test first
    if not (isinstance(a, _OPERANDS) and isinstance(b, _OPERANDS)):
        return np.asarray(np.where(cond, a, b))
    dtype = np.result_type(a, b)
    if dtype.kind not in _KINDS:
        return np.asarray(np.where(cond, a, b))
    try:
        a_values, b_values = np.asarray(a, dtype=dtype), np.asarray(b, dtype=dtype)
    except OverflowError:  # a Python integer out of the arrays' range: NumPy's own message
        return np.asarray(np.where(cond, a, b))
    bits = np.dtype(f"u{dtype.itemsize}")
    b_bits = b_values.view(bits)
    out = np.bitwise_xor(a_values.view(bits), b_bits)
    # Times the condition (0 or 1, cast in the loop's buffer: no mask array), then back.
    if isinstance(out, np.ndarray) and out.shape == np.broadcast_shapes(out.shape, cond.shape):
        np.multiply(out, cond, out=out)
    else:  # the condition widens the values (or both are scalars)
        out = np.multiply(out, cond, dtype=bits)
    out ^= b_bits
    return np.asarray(out).view(dtype)
