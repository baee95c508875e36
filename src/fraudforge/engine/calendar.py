"""The Indian calendar of the simulated period: weekends, salary-day and month-end effects by
occupation, festivals on their real dates with their regional reach, their lift in volume and
their tilt towards festive categories, as per-day arrays the generator multiplies into
transaction volumes and category choices."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from fraudforge.engine import geo
from fraudforge.engine import market as mkt
from fraudforge.engine._data.festivals import (
    FESTIVAL_CATEGORIES,
    FESTIVAL_LIFT,
    FESTIVAL_STATES,
    FESTIVALS,
    SHOPPING_WINDOW_DAYS,
)
from fraudforge.engine.population import SEGMENT_MIX

F64 = npt.NDArray[np.float64]
WEEKEND_FACTOR = 1.05
"""Weekend days carry a little more volume than weekdays."""
GROWTH_PER_MONTH = 0.02
"""Digital payments keep growing: UPI volumes rose by about a third a year in 2024-25
(Worldline), about 2 % a month; volume grows this much from the first day on."""
SALARY_LIFT: F64 = np.array([0.18, 0.03, 0.05, 0.10, 0.08, 0.02, 0.12, 0.18])
"""Spending lift on the 1st of the month by occupation (``market.OCCUPATIONS``), when salaries,
pensions and allowances land; it fades over the first week (``SALARY_DECAY_DAYS``) and half of
it comes back as a dip over the last five days, when budgets run low. Traders and gig workers,
paid as they go, barely show it."""
SALARY_DECAY_DAYS = 3.0
MONTH_END_DAYS = 5
TILT_STEPS = 4
"""Festival tilts ramp up in this many steps over the shopping window (few distinct tilts keep
category sampling cheap)."""


@dataclass(frozen=True)
class PeriodCalendar:
    """Per-day calendar arrays for ``days`` days from ``start``."""

    start: dt.date
    days: int
    weekday: npt.NDArray[np.int8]
    """0 = Monday ... 6 = Sunday."""
    is_weekend: npt.NDArray[np.bool_]
    weekend_factor: F64
    """Relative volume of each day from the day of the week and the growth of digital payments
    over the period."""
    occupation_factor: F64
    """(occupation, day): salary-day lift and month-end dip."""
    state_factor: F64
    """(state, day): festival lift where the festival is observed."""
    tilt: F64
    """(tilt, merchant category): multipliers on purchase preferences; tilt 0 is no tilt."""
    tilt_id: npt.NDArray[np.int64]
    """(state, day): the tilt in force."""
    day_factor: F64
    """Expected relative volume of each day over the whole population (what the three factors
    above average to); sizes the population for a target row count."""
    festival_day: npt.NDArray[np.bool_]
    """True on a festival's own date (anywhere in India)."""
    day_start_s: npt.NDArray[np.int64]
    """Epoch seconds (naive IST) at 00:00 of each day."""

    def volume(self, state: npt.NDArray[np.int64], occupation: npt.NDArray[np.int64]) -> F64:
        """(customer, day) relative volume for customers of these home states and occupations."""
        return np.asarray(
            self.weekend_factor[None, :]
            * self.occupation_factor[occupation]
            * self.state_factor[state],
            dtype=np.float64,
        )


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


def _occupation_factor(dates: list[dt.date]) -> F64:
    """(occupation, day) salary-day lift and month-end dip."""
    dom = np.array([d.day for d in dates], dtype=np.float64)
    month_len = np.array(
        [
            ((d.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)).day
            for d in dates
        ],
        dtype=np.float64,
    )
    lift = np.exp(-(dom - 1) / SALARY_DECAY_DAYS)
    to_end = month_len - dom  # 0 on the last day
    dip = np.clip((MONTH_END_DAYS - to_end) / MONTH_END_DAYS, 0.0, 1.0)
    return np.asarray(
        1.0 + SALARY_LIFT[:, None] * lift[None, :] - 0.5 * SALARY_LIFT[:, None] * dip[None, :],
        dtype=np.float64,
    )


def _ramp(idx: int, window: int, days: int) -> tuple[int, int, F64]:
    """Days [a, b) of a festival's shopping window within the period and the ramp (0, 1] over
    them: 1 on the festival day, rising linearly before it."""
    a, b = max(idx - window, 0), min(idx + 1, days)
    if a >= b:
        return a, b, np.zeros(0)
    d = np.arange(a, b)
    return a, b, np.asarray((window + 1 - (idx - d)) / (window + 1), dtype=np.float64)


def _festivals(start: dt.date, days: int) -> tuple[F64, F64, npt.NDArray[np.bool_]]:
    """(state, day) volume lift, (state, day, category) tilt and the festival dates."""
    n_states = len(geo.STATES)
    lift = np.ones((n_states, days))
    tilt = np.ones((n_states, days, mkt.N_MERCHANT_CATEGORIES))
    festival_day = np.zeros(days, dtype=bool)
    lo = start - dt.timedelta(days=30)
    hi = start + dt.timedelta(days=days + 1)
    for name, d in festival_dates(lo, hi):
        idx = (d - start).days
        if 0 <= idx < days:
            festival_day[idx] = True
        a, b, ramp = _ramp(idx, SHOPPING_WINDOW_DAYS.get(name, 1), days)
        if a >= b:
            continue
        regional = FESTIVAL_STATES.get(name)
        states = (
            np.array([geo.STATES.index(s) for s in regional]) if regional else np.arange(n_states)
        )
        day_lift = 1.0 + (FESTIVAL_LIFT.get(name, 1.0) - 1.0) * ramp
        lift[states, a:b] = np.maximum(lift[states, a:b], day_lift[None, :])
        steps = np.ceil(ramp * TILT_STEPS) / TILT_STEPS
        for category, mult in FESTIVAL_CATEGORIES.get(name, {}).items():
            k = mkt.CAT[category]
            up = 1.0 + (mult - 1.0) * steps
            tilt[states, a:b, k] = np.maximum(tilt[states, a:b, k], up[None, :])
    return lift, tilt, festival_day


def _state_weight() -> F64:
    """Share of customers living in each state."""
    return np.bincount(
        geo.CITY_STATE[geo.HOME_CITY], weights=geo.HOME_WEIGHT, minlength=len(geo.STATES)
    ).astype(np.float64)


def _occupation_weight() -> F64:
    """Share of customers in each occupation."""
    return np.asarray(SEGMENT_MIX @ mkt.SEG_OCCUPATION, dtype=np.float64)


@lru_cache(maxsize=16)
def period_calendar(start: dt.date, days: int) -> PeriodCalendar:
    """Build (and cache) the calendar of a period."""
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    weekday = np.array([d.weekday() for d in dates], dtype=np.int8)
    is_weekend = weekday >= 5
    growth = (1.0 + GROWTH_PER_MONTH) ** (np.arange(days) / 30.0)
    weekend = np.where(is_weekend, WEEKEND_FACTOR, 1.0) * growth
    occupation = _occupation_factor(dates)
    lift, tilt, festival_day = _festivals(start, days)
    flat = tilt.reshape(-1, mkt.N_MERCHANT_CATEGORIES)
    tilts, tilt_id = np.unique(flat, axis=0, return_inverse=True)
    plain = np.flatnonzero((tilts == 1.0).all(axis=1))
    if plain.size == 0:
        tilts = np.vstack([np.ones((1, tilts.shape[1])), tilts])
        tilt_id = tilt_id + 1
    else:  # the untilted row becomes tilt 0
        order = np.r_[plain, np.delete(np.arange(tilts.shape[0]), plain)]
        remap = np.empty_like(order)
        remap[order] = np.arange(order.size)
        tilts, tilt_id = tilts[order], remap[tilt_id.ravel()]
    expected = weekend * (_occupation_weight() @ occupation) * (_state_weight() @ lift)
    day0 = epoch_seconds(start)
    return PeriodCalendar(
        start=start,
        days=days,
        weekday=weekday,
        is_weekend=is_weekend,
        weekend_factor=np.asarray(weekend, dtype=np.float64),
        occupation_factor=occupation,
        state_factor=lift,
        tilt=np.asarray(tilts, dtype=np.float64),
        tilt_id=np.asarray(tilt_id, dtype=np.int64).reshape(len(geo.STATES), days),
        day_factor=np.asarray(expected, dtype=np.float64),
        festival_day=festival_day,
        day_start_s=day0 + 86_400 * np.arange(days, dtype=np.int64),
    )
