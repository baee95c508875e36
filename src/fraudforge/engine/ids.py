"""Opaque, collision-free identifiers.

Every generated ID is a bijective 63-bit mix of a structured key (shard and sequence number,
customer and device index, ...). Bijective means two different keys never share an ID, and the mix
means the ID reveals nothing about the key: not the shard, not the order of generation, and not
whether the row belongs to a fraud scenario.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

MASK63 = np.uint64((1 << 63) - 1)
_C1 = np.uint64(0xBF58476D1CE4E5B9)
_C2 = np.uint64(0x94D049BB133111EB)

# Key spaces (top bits of the 63-bit key) so IDs of different kinds are built from distinct keys.
# One space per kind of id, never per origin: a fraudster's device is a device slot of the
# customers' device space (fraud.schedule.FRAUDSTER_SLOTS), so no id tells what made it.
KEY_TRANSACTION = 0
KEY_CUSTOMER_DEVICE = 1
KEY_FRAUDSTER_DEVICE = 2
"""Retired: the space fraudsters' devices came from before they took customer device slots (an
id tell). The generator no longer uses it; `fraudforge audit`'s tests plant it as a known tell."""
KEY_CARD = 3
KEY_SCENARIO = 4


def mix63(keys: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Bijection on [0, 2**63): splitmix64's finaliser restricted to 63 bits."""
    # In place on one new array (a 0-d one for a scalar, whose in-place products wrap
    # silently as an array's do): no temporaries but the shifts, and the last step's values,
    # below 2**63, are viewed as int64 rather than copied.
    x = np.array(keys, dtype=np.uint64)
    x &= MASK63
    x ^= x >> np.uint64(31)
    x *= _C1
    x &= MASK63
    x ^= x >> np.uint64(29)
    x *= _C2
    x &= MASK63
    x ^= x >> np.uint64(32)
    out = x.view(np.int64)
    return out if out.ndim else out[()]


def keyed_uniform(keys: npt.ArrayLike, salt: int) -> npt.NDArray[np.float64]:
    """A uniform in (0, 1) that is a function of each key (and the salt) alone: a draw that
    adding or dropping other rows never changes."""
    h = mix63(np.asarray(keys, dtype=np.uint64) ^ np.uint64(salt)).astype(np.uint64)
    return np.asarray(((h >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 52))


def make_key(
    space: int, high: npt.ArrayLike, low: npt.ArrayLike, low_bits: int
) -> npt.NDArray[np.uint64]:
    """Compose ``space | high << low_bits | low`` as uint64 keys (space in the top 3 bits)."""
    h = np.asarray(high, dtype=np.uint64)
    lo = np.asarray(low, dtype=np.uint64)
    return (np.uint64(space) << np.uint64(60)) | (h << np.uint64(low_bits)) | lo


def opaque_ids(
    space: int, high: npt.ArrayLike, low: npt.ArrayLike, low_bits: int
) -> npt.NDArray[np.int64]:
    """Opaque IDs for structured keys in one key space."""
    return mix63(make_key(space, high, low, low_bits))


def tie_runs(equal_next: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """Positions of the rows that share their sort key with a neighbour, given for each row but
    the last whether the next row's key equals its own (the rows an id tie-break reorders)."""
    runs = np.zeros(equal_next.shape[0] + 1, dtype=bool)
    runs[1:] |= equal_next
    runs[:-1] |= equal_next
    return np.flatnonzero(runs)
