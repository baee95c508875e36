"""The feature matrix's column layout (``LAYOUT``, ``COL``), and the last step of every row, batch
or online, in one Numba kernel: time features, the log amount, the session columns' nulls, the
outlier score and the interaction features, written into a row of that matrix.

The matrix's columns follow ``LAYOUT``: the customer-side features (``kernels``), then the time,
log amount, entity, session, outlier and interaction features. Outputs are selected by name in
catalogue order.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import numpy.typing as npt

from fraudforge.features import _jit  # noqa: F401 - fresh kernel caches
from fraudforge.features.catalog import ENTITY_FEATURES
from fraudforge.features.kernels import CUSTOMER_FEATURES, DAY, HOUR, borrowed

TIME_FEATURES: tuple[str, ...] = ("hour", "weekday")
SESSION_FEATURES: tuple[str, ...] = (
    "upi_initiation_code",
    "payee_address_age_days",
    "device_binding_age_days",
    "sim_change_age_days",
    "is_remote_access",
)
"""The transaction's own session columns (``upi_initiation`` as its code, the three ages in
days, ``remote_access``): the caller writes them into the row raw (NaN where null) and
``finish_rows`` puts the nulls at their catalogue values."""
SESSION_INPUTS: tuple[str, ...] = (
    "upi_initiation",
    "payee_handle_age_days",
    "device_bound_days",
    "sim_changed_days",
    "remote_access",
)
"""The transactions columns the session features read, in ``SESSION_FEATURES`` order."""
INTERACTION_FEATURES: tuple[str, ...] = (
    "velocity_x_distance",
    "new_payee_x_amount",
    "sim_recency_x_amount",
    "binding_recency_x_amount",
    "address_recency_x_amount",
    "declines_x_velocity",
    "category_rarity_x_amount_pct",
    "home_distance_x_hour_rarity",
    "merchant_risk_x_amount",
)
EXTERNAL_FEATURES: tuple[str, ...] = (*ENTITY_FEATURES, *SESSION_FEATURES)
"""The columns a row gets from outside the customer's history before it is finished: the
entity-side features and the raw session values."""
LAYOUT: tuple[str, ...] = (
    *CUSTOMER_FEATURES,
    *TIME_FEATURES,
    "log_amount",
    *EXTERNAL_FEATURES,
    "outlier_score",
    *INTERACTION_FEATURES,
)
COL = {name: i for i, name in enumerate(LAYOUT)}
EXTERNAL_COLS = np.array([COL[n] for n in EXTERNAL_FEATURES], dtype=np.int64)
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
    "amount_ratio_30d",
    "distance_from_home_km",
    "speed_from_prev_kmh",
    "secs_since_prev_txn",
)
"""Inputs taken as log1p: heavy-tailed ones (logged, the amount ratio no longer dominates the
score: unlogged, outlier_score and amount_ratio_30d correlated at r = 1.000)."""
OUTLIER_COLS = np.array([COL[n] for n in OUTLIER_INPUTS], dtype=np.int64)
OUTLIER_LOG = np.array([n in OUTLIER_LOGGED for n in OUTLIER_INPUTS])

# Column positions the kernel reads and writes (module constants, so Numba inlines them).
I_AMOUNT_PERCENTILE_30D = COL["amount_percentile_30d"]
I_CATEGORY_RARITY = COL["category_rarity"]
I_CATEGORY_RARITY_X_AMOUNT_PCT = COL["category_rarity_x_amount_pct"]
I_DECLINES_24H = COL["declines_24h"]
I_DECLINES_X_VELOCITY = COL["declines_x_velocity"]
I_DEVICE_BINDING_AGE_DAYS = COL["device_binding_age_days"]
I_DISTANCE_FROM_HOME_KM = COL["distance_from_home_km"]
I_DISTANCE_FROM_PREV_KM = COL["distance_from_prev_km"]
I_HOME_DISTANCE_X_HOUR_RARITY = COL["home_distance_x_hour_rarity"]
I_HOUR = COL["hour"]
I_HOUR_RARITY = COL["hour_rarity"]
I_IS_NEW_PAYEE = COL["is_new_payee"]
I_IS_REMOTE_ACCESS = COL["is_remote_access"]
I_LOG_AMOUNT = COL["log_amount"]
I_MERCHANT_FRAUD_RATE = COL["merchant_fraud_rate"]
I_MERCHANT_RISK_X_AMOUNT = COL["merchant_risk_x_amount"]
I_NEW_PAYEE_X_AMOUNT = COL["new_payee_x_amount"]
I_ADDRESS_RECENCY_X_AMOUNT = COL["address_recency_x_amount"]
I_BINDING_RECENCY_X_AMOUNT = COL["binding_recency_x_amount"]
I_SIM_RECENCY_X_AMOUNT = COL["sim_recency_x_amount"]
I_OUTLIER_SCORE = COL["outlier_score"]
I_PAYEE_ADDRESS_AGE_DAYS = COL["payee_address_age_days"]
I_SIM_CHANGE_AGE_DAYS = COL["sim_change_age_days"]
I_TXN_COUNT_1H = COL["txn_count_1h"]
I_UPI_INITIATION_CODE = COL["upi_initiation_code"]
I_VELOCITY_X_DISTANCE = COL["velocity_x_distance"]
I_WEEKDAY = COL["weekday"]


@nb.njit(cache=True, inline="always")
def _known_or(v: float, unknown: float) -> float:
    """``v``, or ``unknown`` where it is NaN (a null session column)."""
    return unknown if math.isnan(v) else v


@nb.njit(cache=True, inline="always")
def _recency(row: npt.NDArray[np.float64], j: int, log_amount: float) -> float:
    """Put the raw age in days at ``row[j]`` at its catalogue value (-1 when null) and return
    ``log_amount / (1 + age)``, 0 when null: a payment's size weighted by how recent the
    address, binding or SIM change is. A row finished before (its -1 already there) finishes
    the same again."""
    days = float(row[j])
    if not days >= 0.0:  # NaN (null) or -1 (finished before): unknown
        row[j] = -1.0
        return 0.0
    return log_amount / (1.0 + days)


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
    median: npt.NDArray[np.float64],
    scale: npt.NDArray[np.float64],
) -> None:
    """Fill the time, log amount, outlier and interaction columns of every row of ``m``, and put
    the raw session columns' nulls (NaN) at their catalogue values (-1, or 0 for the flag).
    The arrays are used ``borrowed``: a row's view and helper calls count no references."""
    m, t, amount = borrowed(m), borrowed(t), borrowed(amount)
    median, scale = borrowed(median), borrowed(scale)
    k = OUTLIER_COLS.shape[0]
    for i in range(m.shape[0]):
        row = m[i]
        day = t[i] // DAY
        hour = (t[i] // HOUR) % 24
        row[I_HOUR] = hour
        row[I_WEEKDAY] = (day + 3) % 7
        log_amount = math.log1p(amount[i])
        row[I_LOG_AMOUNT] = log_amount
        row[I_UPI_INITIATION_CODE] = _known_or(row[I_UPI_INITIATION_CODE], -1.0)
        row[I_IS_REMOTE_ACCESS] = _known_or(row[I_IS_REMOTE_ACCESS], 0.0)
        row[I_ADDRESS_RECENCY_X_AMOUNT] = _recency(row, I_PAYEE_ADDRESS_AGE_DAYS, log_amount)
        row[I_BINDING_RECENCY_X_AMOUNT] = _recency(row, I_DEVICE_BINDING_AGE_DAYS, log_amount)
        row[I_SIM_RECENCY_X_AMOUNT] = _recency(row, I_SIM_CHANGE_AGE_DAYS, log_amount)
        acc = 0.0
        for j in range(k):
            acc += abs((outlier_input(row, j) - median[j]) / scale[j])
        acc += float(abs((log_amount - median[k]) / scale[k]))
        row[I_OUTLIER_SCORE] = acc / (k + 1)
        new_payee = row[I_IS_NEW_PAYEE]
        row[I_VELOCITY_X_DISTANCE] = row[I_TXN_COUNT_1H] * math.log1p(row[I_DISTANCE_FROM_PREV_KM])
        row[I_NEW_PAYEE_X_AMOUNT] = new_payee * log_amount
        row[I_DECLINES_X_VELOCITY] = row[I_DECLINES_24H] * row[I_TXN_COUNT_1H]
        row[I_CATEGORY_RARITY_X_AMOUNT_PCT] = row[I_CATEGORY_RARITY] * row[I_AMOUNT_PERCENTILE_30D]
        row[I_HOME_DISTANCE_X_HOUR_RARITY] = (
            math.log1p(row[I_DISTANCE_FROM_HOME_KM]) * row[I_HOUR_RARITY]
        )
        row[I_MERCHANT_RISK_X_AMOUNT] = row[I_MERCHANT_FRAUD_RATE] * log_amount
