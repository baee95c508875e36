"""The feature matrix's column layout (``LAYOUT``, ``COL``), and the last step of every row, batch
or online, in one Numba kernel: time features, the outlier score and the interaction features,
written into a row of that matrix.

The matrix's columns follow ``LAYOUT``: the customer-side features (``kernels``), then the time,
entity, outlier and interaction features. Outputs are selected by name in catalogue order.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import numpy.typing as npt

from fraudforge.features import _jit  # noqa: F401 - fresh kernel caches
from fraudforge.features.catalog import ENTITY_FEATURES
from fraudforge.features.kernels import CUSTOMER_FEATURES, DAY, HOUR

TIME_FEATURES: tuple[str, ...] = ("hour", "weekday", "is_night", "is_festival_day")
INTERACTION_FEATURES: tuple[str, ...] = (
    "velocity_x_distance",
    "amount_ratio_x_night",
    "new_device_x_amount",
    "new_merchant_x_amount_z",
    "speed_x_new_city",
    "micro_burst_x_declines",
    "declines_x_velocity",
    "category_rarity_x_amount_pct",
    "home_distance_x_hour_rarity",
    "merchant_risk_x_amount",
)
LAYOUT: tuple[str, ...] = (
    *CUSTOMER_FEATURES,
    *TIME_FEATURES,
    *ENTITY_FEATURES,
    "outlier_score",
    *INTERACTION_FEATURES,
)
COL = {name: i for i, name in enumerate(LAYOUT)}
OUTLIER_INPUTS: tuple[str, ...] = (
    "txn_count_24h",
    "amount_ratio_30d",
    "distance_from_home_km",
    "speed_from_prev_kmh",
    "secs_since_prev_txn",
    "hour_rarity",
    "category_rarity",
    "city_rarity",
)
"""Features the outlier score reads (observable ones; none reads a label), plus log amount."""
OUTLIER_LOGGED: tuple[str, ...] = (
    "distance_from_home_km",
    "speed_from_prev_kmh",
    "secs_since_prev_txn",
)
OUTLIER_COLS = np.array([COL[n] for n in OUTLIER_INPUTS], dtype=np.int64)
OUTLIER_LOG = np.array([n in OUTLIER_LOGGED for n in OUTLIER_INPUTS])

# Column positions the kernel reads and writes (module constants, so Numba inlines them).
I_AMOUNT_PERCENTILE_30D = COL["amount_percentile_30d"]
I_AMOUNT_RATIO_30D = COL["amount_ratio_30d"]
I_AMOUNT_RATIO_X_NIGHT = COL["amount_ratio_x_night"]
I_AMOUNT_ZSCORE_30D = COL["amount_zscore_30d"]
I_CATEGORY_RARITY = COL["category_rarity"]
I_CATEGORY_RARITY_X_AMOUNT_PCT = COL["category_rarity_x_amount_pct"]
I_DECLINES_24H = COL["declines_24h"]
I_DECLINES_X_VELOCITY = COL["declines_x_velocity"]
I_DISTANCE_FROM_HOME_KM = COL["distance_from_home_km"]
I_DISTANCE_FROM_PREV_KM = COL["distance_from_prev_km"]
I_HOME_DISTANCE_X_HOUR_RARITY = COL["home_distance_x_hour_rarity"]
I_HOUR = COL["hour"]
I_HOUR_RARITY = COL["hour_rarity"]
I_IS_FESTIVAL_DAY = COL["is_festival_day"]
I_IS_NEW_CITY = COL["is_new_city"]
I_IS_NEW_DEVICE = COL["is_new_device"]
I_IS_NEW_MERCHANT = COL["is_new_merchant"]
I_IS_NIGHT = COL["is_night"]
I_MERCHANT_FRAUD_RATE = COL["merchant_fraud_rate"]
I_MERCHANT_RISK_X_AMOUNT = COL["merchant_risk_x_amount"]
I_MICRO_BURST_X_DECLINES = COL["micro_burst_x_declines"]
I_MICRO_TXN_COUNT_1H = COL["micro_txn_count_1h"]
I_NEW_DEVICE_X_AMOUNT = COL["new_device_x_amount"]
I_NEW_MERCHANT_X_AMOUNT_Z = COL["new_merchant_x_amount_z"]
I_OUTLIER_SCORE = COL["outlier_score"]
I_SPEED_FROM_PREV_KMH = COL["speed_from_prev_kmh"]
I_SPEED_X_NEW_CITY = COL["speed_x_new_city"]
I_TXN_COUNT_1H = COL["txn_count_1h"]
I_VELOCITY_X_DISTANCE = COL["velocity_x_distance"]
I_WEEKDAY = COL["weekday"]


@nb.njit(cache=True, inline="always")
def outlier_input(row: npt.NDArray[np.float64], j: int) -> float:
    """The j-th outlier input of a matrix row (logged inputs: log1p, null as 0)."""
    v = float(row[OUTLIER_COLS[j]])
    if OUTLIER_LOG[j]:
        v = math.log1p(0.0 if math.isnan(v) else v)
    return v


@nb.njit(cache=True, nogil=True)
def outlier_inputs(
    m: npt.NDArray[np.float64], amount: npt.NDArray[np.float64], rows: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """The outlier score's inputs of the given rows, (len(rows), 9): exactly what
    ``finish_rows`` scores, for fitting the medians and MADs."""
    k = OUTLIER_COLS.shape[0]
    x = np.empty((rows.shape[0], k + 1), dtype=np.float64)
    for r in range(rows.shape[0]):
        i = rows[r]
        for j in range(k):
            x[r, j] = outlier_input(m[i], j)
        x[r, k] = math.log1p(amount[i])
    return x


@nb.njit(cache=True, nogil=True)
def finish_rows(
    m: npt.NDArray[np.float64],
    t: npt.NDArray[np.int64],
    amount: npt.NDArray[np.float64],
    festival_days: npt.NDArray[np.int64],
    median: npt.NDArray[np.float64],
    scale: npt.NDArray[np.float64],
) -> None:
    """Fill the time, outlier and interaction columns of every row of ``m``."""
    k = OUTLIER_COLS.shape[0]
    for i in range(m.shape[0]):
        row = m[i]
        day = t[i] // DAY
        hour = (t[i] // HOUR) % 24
        row[I_HOUR] = hour
        row[I_WEEKDAY] = (day + 3) % 7
        night = 1.0 if hour < 6 else 0.0
        row[I_IS_NIGHT] = night
        p = np.searchsorted(festival_days, day)
        row[I_IS_FESTIVAL_DAY] = (
            1.0 if p < festival_days.shape[0] and festival_days[p] == day else 0.0
        )
        log_amount = math.log1p(amount[i])
        acc = 0.0
        for j in range(k):
            acc += abs((outlier_input(row, j) - median[j]) / scale[j])
        acc += float(abs((log_amount - median[k]) / scale[k]))
        row[I_OUTLIER_SCORE] = acc / (k + 1)
        row[I_VELOCITY_X_DISTANCE] = row[I_TXN_COUNT_1H] * math.log1p(row[I_DISTANCE_FROM_PREV_KM])
        row[I_AMOUNT_RATIO_X_NIGHT] = row[I_AMOUNT_RATIO_30D] * night
        row[I_NEW_DEVICE_X_AMOUNT] = row[I_IS_NEW_DEVICE] * log_amount
        row[I_NEW_MERCHANT_X_AMOUNT_Z] = row[I_IS_NEW_MERCHANT] * row[I_AMOUNT_ZSCORE_30D]
        row[I_SPEED_X_NEW_CITY] = math.log1p(row[I_SPEED_FROM_PREV_KMH]) * row[I_IS_NEW_CITY]
        row[I_MICRO_BURST_X_DECLINES] = row[I_MICRO_TXN_COUNT_1H] * row[I_DECLINES_24H]
        row[I_DECLINES_X_VELOCITY] = row[I_DECLINES_24H] * row[I_TXN_COUNT_1H]
        row[I_CATEGORY_RARITY_X_AMOUNT_PCT] = row[I_CATEGORY_RARITY] * row[I_AMOUNT_PERCENTILE_30D]
        row[I_HOME_DISTANCE_X_HOUR_RARITY] = (
            math.log1p(row[I_DISTANCE_FROM_HOME_KM]) * row[I_HOUR_RARITY]
        )
        row[I_MERCHANT_RISK_X_AMOUNT] = row[I_MERCHANT_FRAUD_RATE] * log_amount
