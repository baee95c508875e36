"""Features of a transaction alone (time of day, calendar) and the interaction features, as
NumPy functions over columns: batch applies them to whole columns, online to one-row arrays."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from fraudforge.engine._data.festivals import FESTIVALS
from fraudforge.features.kernels import DAY, HOUR

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
EPOCH = dt.date(1970, 1, 1)


@lru_cache(maxsize=1)
def festival_days() -> I64:
    """Sorted day numbers (days since 1970-01-01) of every festival date in the calendar."""
    days = {
        (dt.date.fromisoformat(iso) - EPOCH).days
        for by_year in FESTIVALS.values()
        for iso in by_year.values()
    }
    return np.array(sorted(days), dtype=np.int64)


def time_features(t_us: I64) -> dict[str, F64]:
    """hour, weekday, is_night and is_festival_day of naive IST timestamps in microseconds."""
    day = t_us // DAY
    hour = (t_us // HOUR) % 24
    return {
        "hour": hour.astype(np.float64),
        "weekday": ((day + 3) % 7).astype(np.float64),
        "is_night": (hour < 6).astype(np.float64),
        "is_festival_day": np.isin(day, festival_days()).astype(np.float64),
    }


def interactions(f: dict[str, F64], amount: F64) -> dict[str, F64]:
    """The 10 interaction features from the others (see the catalogue)."""
    log_amount = np.log1p(amount)
    return {
        "velocity_x_distance": f["txn_count_1h"] * np.log1p(f["distance_from_prev_km"]),
        "amount_ratio_x_night": f["amount_ratio_30d"] * f["is_night"],
        "new_device_x_amount": f["is_new_device"] * log_amount,
        "new_merchant_x_amount_z": f["is_new_merchant"] * f["amount_zscore_30d"],
        "speed_x_new_city": np.log1p(f["speed_from_prev_kmh"]) * f["is_new_city"],
        "micro_burst_x_new_device": f["micro_txn_count_1h"] * f["is_new_device"],
        "declines_x_velocity": f["declines_24h"] * f["txn_count_1h"],
        "category_rarity_x_amount_pct": f["category_rarity"] * f["amount_percentile_30d"],
        "home_distance_x_hour_rarity": np.log1p(f["distance_from_home_km"]) * f["hour_rarity"],
        "merchant_risk_x_amount": f["merchant_fraud_rate"] * log_amount,
    }
