"""When fraud happens: incidents start by the day's traffic, each pattern's weekday and hour
profile and the scenario's campaigns; incidents straddle the period's edges so the fraud rate is
flat over it."""

from __future__ import annotations

import datetime as dt
import re

import msgspec
import numpy as np
import polars as pl
import pytest

from fraudforge.engine.calendar import period_calendar
from fraudforge.engine.errors import ScenarioError
from fraudforge.engine.fraud.patterns import REGISTRY
from fraudforge.engine.fraud.schedule import start_profile
from fraudforge.engine.scenario import Campaign, Scenario
from fraudforge.engine.shard import IndiaWorld
from fraudforge.engine.streaming import scan
from tests.conftest import Dataset
from tests.helpers import num


def test_fraud_rate_is_flat_over_the_period(small: Dataset) -> None:
    """The first and the last week carry the fraud rate of the whole period (within 25 %):
    incidents already running when the period starts and those still running at its end are
    there."""
    s = small.scenario.resolved()
    start = dt.datetime.combine(s.start_date, dt.time())
    week = ((pl.col("timestamp") - start).dt.total_days() // 7).alias("week")
    weekly = small.transactions.group_by(week).agg(pl.col("is_fraud").mean()).sort("week")
    rate = num(small.transactions["is_fraud"].mean())
    first, last = float(weekly["is_fraud"][0]), float(weekly["is_fraud"][-2])  # last full week
    assert abs(first - rate) < 0.25 * rate
    assert abs(last - rate) < 0.25 * rate


def _hours(t0: np.ndarray) -> np.ndarray:
    return (t0 % 86_400) // 3_600


def test_incidents_start_at_their_patterns_hours() -> None:
    """Each pattern's incident starts follow its hour profile (share of night starts within
    0.03 of the profile's)."""
    s = Scenario(customers=20_000, days=60, fraud_rate=0.05, seed=3).resolved()
    parts = IndiaWorld.build(s).schedule.parts
    for p in REGISTRY.patterns:
        if p.schedule is not None:  # multi-party hooks place their own parts around the start
            continue
        t0 = parts.t0[parts.pattern == p.code]
        expected = sum(p.hours[:6]) / sum(p.hours)
        assert abs(float(np.mean(_hours(t0) < 6)) - expected) < 0.03, p.name


def test_start_days_follow_traffic_weekdays_and_campaigns() -> None:
    """Day weights are the calendar's traffic times the weekday profile; a campaign multiplies
    its window; days before the period cover incidents already running."""
    s = Scenario(days=60, seed=1).resolved()
    cal = period_calendar(s.start_date, s.days)
    p = REGISTRY.by_name("card_testing")
    plain = start_profile(p, s, cal)
    assert plain.lead == int(np.ceil(p.span_days))
    weekday = np.asarray(p.weekdays)[cal.weekday]
    np.testing.assert_allclose(plain.day_weight[plain.lead :], cal.day_factor * weekday)
    day30 = s.start_date + dt.timedelta(days=30)
    campaign = Campaign(pattern="card_testing", start=day30, factor=4)
    boosted = start_profile(p, msgspec.structs.replace(s, campaigns=(campaign,)), cal)
    ratio = boosted.day_weight / plain.day_weight
    assert np.allclose(ratio[: plain.lead + 30], 1.0)
    assert np.allclose(ratio[plain.lead + 30 :], 4.0)
    assert boosted.multiplier > 2 * plain.multiplier


def test_a_pattern_appearing_on_a_date_has_no_rows_before_it() -> None:
    """``outside = 0`` and no end: the pattern starts on ``start``; its rows come after it and
    its incidents grow with ``monthly_growth`` (1: November's rate 2.5 / 1.5 of October's on
    average; counted in incidents, as card-testing runs vary in rows; a fraud rate of 0.2 gives
    about a hundred incidents in October, enough for the comparison)."""
    day = dt.date(2025, 10, 1)
    s = Scenario(
        customers=8_000,
        days=90,
        fraud_rate=0.2,
        seed=11,
        campaigns=(Campaign(pattern="card_testing", start=day, outside=0.0, monthly_growth=1.0),),
    )
    rows = scan(s).filter(pl.col("fraud_type") == "card_testing").collect()
    assert rows.height > 100
    before = rows.filter(pl.col("timestamp") < dt.datetime.combine(day, dt.time()))
    assert before.height == 0
    month = rows.group_by("fraud_scenario_id").agg(pl.col("timestamp").min().dt.month().alias("m"))[
        "m"
    ]
    october, november = int((month == 10).sum()), int((month == 11).sum())
    assert november > 1.25 * october


OCT = {"pattern": "card_testing", "start": "2025-10-01"}


@pytest.mark.parametrize(
    ("campaign", "field"),
    [
        ({"pattern": "phishing", "start": "2025-10-01"}, "campaigns[0].pattern"),
        ({**OCT, "end": "2025-10-01"}, "campaigns[0].end"),
        ({**OCT, "factor": -1}, "campaigns[0].factor"),
        ({**OCT, "outside": 1e9}, "campaigns[0].outside"),
        ({**OCT, "monthly_growth": -2}, "campaigns[0].monthly_growth"),
        ({"pattern": "card_testing", "start": "soon"}, "campaigns[0].start"),
        ({**OCT, "factr": 2}, "campaigns[0].factr"),
    ],
)
def test_bad_campaigns_name_the_field(campaign: dict[str, object], field: str) -> None:
    """A wrong campaign names the campaign's field and what is allowed."""
    with pytest.raises(ScenarioError, match=re.escape(f"`{field}`")):
        Scenario.from_mapping({"campaigns": [campaign]})


def test_the_handbook_preset_refuses_campaigns() -> None:
    """The handbook's scenarios have fixed rates."""
    with pytest.raises(ScenarioError, match="campaigns"):
        Scenario(
            preset="handbook",
            campaigns=(Campaign(pattern="card_cloning", start=dt.date(2018, 5, 1)),),
        )
