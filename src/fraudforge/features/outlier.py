"""An unsupervised outlier score over observable features: the mean absolute robust z-score
(against medians and MADs learnt from training data) of eight behavioural signals."""

from __future__ import annotations

import math
from collections.abc import Mapping

import msgspec
import numba as nb
import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
INPUTS: tuple[str, ...] = (
    "txn_count_24h",
    "amount_ratio_30d",
    "distance_from_home_km",
    "speed_from_prev_kmh",
    "secs_since_prev_txn",
    "hour_rarity",
    "category_rarity",
    "city_rarity",
)
"""Features the score reads (all observable, none reads a label)."""
LOGGED_MASK = np.array(
    [
        name in ("distance_from_home_km", "speed_from_prev_kmh", "secs_since_prev_txn")
        for name in INPUTS
    ]
)


LOGGED = ("distance_from_home_km", "speed_from_prev_kmh", "secs_since_prev_txn")


def _inputs(f: Mapping[str, F64], amount: F64, rows: npt.NDArray[np.int64] | None = None) -> F64:
    cols = []
    for name in INPUTS:
        v = np.asarray(f[name], dtype=np.float64)
        v = v if rows is None else v[rows]
        if name in LOGGED:
            v = np.log1p(np.nan_to_num(v, nan=0.0))
        cols.append(v)
    cols.append(np.log1p(amount if rows is None else amount[rows]))
    return np.stack(cols, axis=1)


@nb.njit(cache=True, nogil=True)
def _score(cols: nb.typed.List, median: F64, scale: F64, out: F64) -> None:
    k = len(cols)
    for i in range(out.shape[0]):
        acc = 0.0
        for j in range(k):
            v = cols[j][i]
            if j < k - 1 and LOGGED_MASK[j]:
                v = math.log1p(0.0 if math.isnan(v) else v)
            elif j == k - 1:
                v = math.log1p(v)
            acc += abs((v - median[j]) / scale[j])
        out[i] = acc / k


class OutlierModel(msgspec.Struct, frozen=True):
    """Medians and scaled MADs of the score's inputs (plus log amount), learnt by ``fit``."""

    median: list[float]
    scale: list[float]

    @classmethod
    def fit(cls, f: Mapping[str, F64], amount: F64, *, max_rows: int = 50_000) -> OutlierModel:
        """Learn medians and MADs from (up to ``max_rows`` evenly spaced) training rows."""
        n = amount.shape[0]
        rows = np.linspace(0, n - 1, max_rows).astype(np.int64) if n > max_rows else None
        x = _inputs(f, amount, rows)
        med = np.median(x, axis=0)
        mad = np.median(np.abs(x - med), axis=0) * 1.4826
        return cls(median=med.tolist(), scale=np.maximum(mad, 1e-3).tolist())

    def score(self, f: Mapping[str, F64], amount: F64) -> F64:
        """Mean absolute robust z-score of each row (one Numba loop; the same for one row online
        as for a million in batch)."""
        cols = nb.typed.List([np.ascontiguousarray(f[name], dtype=np.float64) for name in INPUTS])
        cols.append(np.ascontiguousarray(amount, dtype=np.float64))
        out = np.empty(amount.shape[0], dtype=np.float64)
        _score(cols, np.asarray(self.median), np.asarray(self.scale), out)
        return out
