"""``Rows``: a block of transactions as aligned NumPy columns of integer codes, the form every
generator (legitimate, fraud, anomaly, handbook) produces before a shard is assembled."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

ROW_DTYPES: dict[str, Any] = {
    "cust": np.int64,  # global customer index (0-based)
    "ts": np.int64,  # epoch seconds, naive IST
    "merchant": np.int64,  # global merchant index, -1 for P2P
    "payee": np.int64,  # global customer index of a P2P payee, -1 otherwise
    "amount": np.float64,
    "mode": np.int8,
    "channel": np.int8,
    "txn_type": np.int8,
    "status": np.int8,
    "category": np.int8,
    "city": np.int16,
    "lat": np.float64,
    "lon": np.float64,
    "device": np.int64,  # opaque device id, -1 when no device is involved
    "card": np.int64,  # opaque card id, -1 when no card is involved
    "network": np.int8,  # card network code, 0 = none
    "fraud": np.int8,  # fraud label code, 0 = none
    "scenario": np.int64,  # opaque fraud scenario id, -1 = none
    "label_delay": np.int64,  # seconds from ts until the label is known
    "anomaly": np.int8,  # anomaly label code, 0 = none
    "severity": np.float32,
    # The session (``engine.session``): negative is null; UNSET leaves it to the genuine
    # distribution of the row's context.
    "upi_via": np.int8,  # UPI initiation code (market.UPI_INITIATIONS), -1 = not UPI
    "payee_age": np.int32,  # days since the payee's UPI address was created, -1 = not UPI
    "bound": np.int32,  # days since the device was bound to the app, -1 = no device
    "sim": np.int32,  # days since the SIM last changed, -1 = no device
    "remote": np.int8,  # remote-access tool seen (0/1), -1 = no device
}
FIELDS: tuple[str, ...] = tuple(ROW_DTYPES)
UNSET = -2
"""A session field a builder left to the genuine distribution (``engine.session.fill_session``
draws it; a row that never reaches it, as the handbook preset's, shows null)."""
SESSION_FIELDS: tuple[str, ...] = ("upi_via", "payee_age", "bound", "sim", "remote")


class Rows:
    """Aligned columns of one block of transactions."""

    __slots__ = ("cols",)

    def __init__(self, cols: dict[str, npt.NDArray[Any]]) -> None:
        missing = set(FIELDS) - set(cols)
        if missing:
            raise KeyError(f"Rows is missing columns: {sorted(missing)}")
        n = {len(v) for v in cols.values()}
        if len(n) > 1:
            raise ValueError(f"Rows columns have different lengths: {n}")
        self.cols = {k: np.asarray(cols[k], dtype=ROW_DTYPES[k]) for k in FIELDS}

    @classmethod
    def empty(cls, n: int = 0) -> Rows:
        """``n`` rows of defaults: no merchant, payee, device, card, labels; the session's
        fields ``UNSET``."""
        cols: dict[str, npt.NDArray[Any]] = {k: np.zeros(n, dtype=v) for k, v in ROW_DTYPES.items()}
        for k in ("merchant", "payee", "device", "card", "scenario"):
            cols[k][:] = -1
        for k in SESSION_FIELDS:
            cols[k][:] = UNSET
        return cls(cols)

    def __len__(self) -> int:
        return len(self.cols["ts"])

    def __getitem__(self, key: str) -> npt.NDArray[Any]:
        return self.cols[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.cols[key][:] = value

    def take(self, idx: Any) -> Rows:
        """Rows at the given positions (or boolean mask)."""
        return Rows({k: v[idx] for k, v in self.cols.items()})

    @staticmethod
    def concat(blocks: Iterable[Rows]) -> Rows:
        """Concatenate blocks in order."""
        blocks = list(blocks)
        if not blocks:
            return Rows.empty(0)
        return Rows({k: np.concatenate([b.cols[k] for b in blocks]) for k in FIELDS})
