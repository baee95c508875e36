"""The Indian calendar of the simulated period: festival windows, salary-day and month-end
effects, weekends, as per-day arrays the generator multiplies into transaction volumes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from fraudforge.engine._data.festivals import FESTIVAL_BOOST, FESTIVALS, SHOPPING_WINDOW_DAYS

F64 = npt.NDArray[np.float64]
WEEKEND_FACTOR = 1.12
SALARY_DAY_FACTOR = 1.3
"""Spending lifts on the 1st to 3rd of a month, when salaries land."""
MONTH_END_FACTOR = 0.88
"""and dips over the last three days, when budgets run low."""


@dataclass(frozen=True)
class PeriodCalendar:
    """Per-day calendar arrays for ``days`` days from ``start``."""

    start: dt.date
    days: int
    weekday: npt.NDArray[np.int8]
    """0 = Monday ... 6 = Sunday."""
    is_weekend: npt.NDArray[np.bool_]
    day_factor: F64
    """Relative transaction volume of each day (weekend x salary/month-end x festival)."""
    festive: F64
    """Extra share of purchases going to festive categories on each day (0 outside windows)."""
    festival_day: npt.NDArray[np.bool_]
    """True on a festival's own date."""
    day_start_s: npt.NDArray[np.int64]
    """Epoch seconds (naive IST) at 00:00 of each day."""


EPOCH = dt.date(1970, 1, 1)


def epoch_seconds(day: dt.date) -> int:
    """Seconds from 1970-01-01 00:00 to 00:00 of ``day`` (naive IST, as every timestamp here)."""
    return (day - EPOCH).days * 86_400


@lru_cache(maxsize=1)
def festival_day_numbers() -> npt.NDArray[np.int64]:
    """Sorted day numbers (days since 1970-01-01) of every festival date in the calendar."""
    days = {
        (dt.date.fromisoformat(iso) - EPOCH).days
        for by_year in FESTIVALS.values()
        for iso in by_year.values()
    }
    return np.array(sorted(days), dtype=np.int64)


def festival_dates(start: dt.date, end: dt.date) -> list[tuple[str, dt.date]]:
    """Festivals (name, date) with a date in [start, end)."""
    out = []
    for name, by_year in FESTIVALS.items():
        for iso in by_year.values():
            d = dt.date.fromisoformat(iso)
            if start <= d < end:
                out.append((name, d))
    return sorted(out, key=lambda x: (x[1], x[0]))


@lru_cache(maxsize=16)
def period_calendar(start: dt.date, days: int) -> PeriodCalendar:
    """Build (and cache) the calendar of a period."""
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    weekday = np.array([d.weekday() for d in dates], dtype=np.int8)
    is_weekend = weekday >= 5
    dom = np.array([d.day for d in dates])
    month_len = np.array(
        [
            ((d.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)).day
            for d in dates
        ]
    )
    factor = np.where(is_weekend, WEEKEND_FACTOR, 1.0)
    factor = factor * np.where(dom <= 3, SALARY_DAY_FACTOR, 1.0)
    factor = factor * np.where(dom > month_len - 3, MONTH_END_FACTOR, 1.0)
    boost = np.ones(days)
    festival_day = np.zeros(days, dtype=bool)
    lo = start - dt.timedelta(days=30)
    hi = start + dt.timedelta(days=days + 1)
    for name, d in festival_dates(lo, hi):
        idx = (d - start).days
        window = SHOPPING_WINDOW_DAYS.get(name, 1)
        a, b = max(idx - window, 0), min(idx + 1, days)
        if a < b:
            boost[a:b] = np.maximum(boost[a:b], FESTIVAL_BOOST.get(name, 1.1))
        if 0 <= idx < days:
            festival_day[idx] = True
    factor = factor * boost
    day0 = epoch_seconds(start)
    return PeriodCalendar(
        start=start,
        days=days,
        weekday=weekday,
        is_weekend=is_weekend,
        day_factor=factor,
        festive=np.clip((boost - 1.0) * 0.5, 0.0, 0.5),
        festival_day=festival_day,
        day_start_s=day0 + 86_400 * np.arange(days, dtype=np.int64),
    )
