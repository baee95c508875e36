"""``Parts``: the schedule's unit. An incident is one or more parts; a part is the rows one
customer's account shows for it, materialised by the shard that holds that customer."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

ROLE_MAIN = 0
ROLE_SENDER = 1
ROLE_CASHOUT = 2


@dataclass(frozen=True)
class Parts:
    """Aligned arrays, one entry per incident part."""

    pattern: npt.NDArray[np.int8]
    """Fraud label code of the part's pattern."""
    scenario: I64
    """Incident number within its pattern while drawn; the opaque incident id once numbered."""
    cust: I64
    t0: I64
    merchant: I64
    peer: I64
    device: I64
    amount: F64
    role: npt.NDArray[np.int8]

    def __len__(self) -> int:
        return int(self.cust.shape[0])

    def take(self, idx: Any) -> Parts:
        """Parts at the given positions or mask."""
        return Parts(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    def replace(self, **cols: Any) -> Parts:
        """A copy with some columns replaced."""
        return Parts(**{**{f.name: getattr(self, f.name) for f in fields(self)}, **cols})

    @staticmethod
    def concat(items: list[Parts]) -> Parts:
        """Concatenate part tables."""
        return Parts(
            **{f.name: np.concatenate([getattr(p, f.name) for p in items]) for f in fields(Parts)}
        )

    def of(self, code: int) -> Parts:
        """The parts of the pattern with label code ``code``."""
        return self.take(self.pattern == code)


def make_parts(code: int, n: int, **cols: Any) -> Parts:
    """``n`` parts of the pattern ``code``: given columns, the rest at their defaults (no
    merchant, peer or device; amount 0; the main role)."""
    base: dict[str, Any] = {
        "pattern": np.full(n, code, dtype=np.int8),
        "scenario": np.zeros(n, dtype=np.int64),
        "cust": np.zeros(n, dtype=np.int64),
        "t0": np.zeros(n, dtype=np.int64),
        "merchant": np.full(n, -1, dtype=np.int64),
        "peer": np.full(n, -1, dtype=np.int64),
        "device": np.full(n, -1, dtype=np.int64),
        "amount": np.zeros(n, dtype=np.float64),
        "role": np.zeros(n, dtype=np.int8),
    }
    for k, v in cols.items():
        base[k] = np.asarray(v, dtype=base[k].dtype)
    return Parts(**base)
