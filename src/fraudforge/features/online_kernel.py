"""The compiled step of ``OnlineFeatures``: one Numba call per transaction that expires the
customer's old rows, appends the new one, runs the batch pass's per-row kernel on the retained
history, finishes the row (time, outlier, interactions) and folds it into the running counts."""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

from fraudforge.features import _jit  # noqa: F401 - fresh kernel caches
from fraudforge.features.kernels import (
    RETAIN_US,
    W1H,
    W7D,
    W24H,
    W30D,
    customer_row,
    update_state,
    week_add,
    window_start,
)
from fraudforge.features.layout import EXTERNAL_COLS, finish_rows

# Columns of a customer's retained integer and float rows.
I_PARTY, I_CITY, I_CAT, I_MODE, I_CHANNEL, I_TYPE, I_DECLINED, I_UNUSUAL, I_NEW_PAYEE = range(9)
N_INT = 9
F_AMOUNT, F_LAT, F_LON = range(3)
N_FLOAT = 3


@nb.njit(cache=True)
def online_step(
    t: npt.NDArray[np.int64],
    ints: npt.NDArray[np.int64],
    floats: npt.NDArray[np.float64],
    n: int,
    new_ints: npt.NDArray[np.int64],
    t_new: int,
    amount: float,
    lat: float,
    lon: float,
    home_lat: float,
    home_lon: float,
    new_party: int,
    new_device: int,
    state: npt.NDArray[np.int64],
    city_counts: npt.NDArray[np.int64],
    category_counts: npt.NDArray[np.int64],
    week: npt.NDArray[np.int64],
    external: npt.NDArray[np.float64],
    median: npt.NDArray[np.float64],
    scale: npt.NDArray[np.float64],
    sort_f: npt.NDArray[np.float64],
    sort_i: npt.NDArray[np.int64],
    t1: npt.NDArray[np.int64],
    a1: npt.NDArray[np.float64],
    out: npt.NDArray[np.float64],
) -> int:
    """Process one transaction of a customer whose retained rows fill the first ``n`` columns of
    ``ints`` (N_INT, capacity) and ``floats`` (N_FLOAT, capacity) (room for one more is the
    caller's job). ``sort_f``/``sort_i`` (at least the capacity), the all-zero ``city_counts``,
    ``category_counts`` and ``week`` (left as found) and the one-element ``t1``/``a1`` are
    scratch space, so no call allocates. ``external`` holds the row's entity-side features and
    raw session values (``layout.EXTERNAL_FEATURES``). Returns the new number of retained
    rows."""
    # Drop rows no window can reach any more, keeping the previous row.
    if n > 0:
        keep = int(np.searchsorted(t[:n], t_new - RETAIN_US, side="right"))
        keep = min(keep, n - 1)
        if keep > 0:
            m = n - keep
            t[:m] = t[keep:n]
            ints[:, :m] = ints[:, keep:n]
            floats[:, :m] = floats[:, keep:n]
            n = m
    i = n
    t[i] = t_new
    ints[:, i] = new_ints
    floats[F_AMOUNT, i] = amount
    floats[F_LAT, i] = lat
    floats[F_LON, i] = lon
    n += 1
    w30 = window_start(t, 0, i, W30D)
    w7 = window_start(t, w30, i, W7D)
    w24 = window_start(t, w7, i, W24H)
    w1 = window_start(t, w24, i, W1H)
    # Sorted windows in caller-owned scratch space (no allocation per transaction).
    sorted_amounts = sort_f[: i - w30]
    sorted_amounts[:] = floats[F_AMOUNT, w30:i]
    sorted_amounts.sort()
    # The 7-day aggregates, rebuilt with the batch pass's own window step.
    city, category, party = ints[I_CITY], ints[I_CAT], ints[I_PARTY]
    for j in range(w7, i):
        week_add(j, w7, city, category, party, city_counts, category_counts, sort_i, week)
    ints[I_UNUSUAL, i] = customer_row(
        i, w1, w24, w7, w30, i > 0,
        t, floats[F_AMOUNT], ints[I_PARTY], ints[I_CITY], ints[I_CAT], ints[I_MODE],
        ints[I_CHANNEL], ints[I_TYPE], ints[I_DECLINED], floats[F_LAT], floats[F_LON],
        ints[I_UNUSUAL], ints[I_NEW_PAYEE], home_lat, home_lon, new_party, new_device, state,
        sorted_amounts, week, out,
    )  # fmt: skip
    for j in range(w7, i):
        city_counts[city[j]] = 0
        category_counts[category[j]] = 0
    week[:] = 0
    for j in range(EXTERNAL_COLS.shape[0]):
        out[EXTERNAL_COLS[j]] = external[j]
    t1[0] = t_new
    a1[0] = amount
    finish_rows(out.reshape((1, out.shape[0])), t1, a1, median, scale)
    update_state(
        state, t_new, new_ints[I_CITY], new_ints[I_CAT], new_ints[I_MODE], new_ints[I_CHANNEL],
        new_ints[I_TYPE],
    )  # fmt: skip
    return n
