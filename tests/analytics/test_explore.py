"""Data analyzers on hand-made tables with known answers, and their edge cases."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from fraudforge.analytics import explore
from tests.analytics.frames import transactions

TX = transactions(
    {"amount_inr": 100.0},
    {"amount_inr": 300.0, "is_anomaly": True, "anomaly_type": "amount", "anomaly_severity": 0.5},
    {"amount_inr": 50.0, "is_anomaly": True, "anomaly_type": "amount", "anomaly_severity": 0.9,
     "timestamp": dt.datetime(2025, 9, 7, 23), "state": "Delhi", "city": "Delhi",
     "lat": 28.6, "lon": 77.2},
    {"amount_inr": 1000.0, "is_fraud": True, "fraud_type": "card_testing",
     "fraud_scenario_id": 7, "payment_mode": "debit_card", "channel": "ecommerce",
     "timestamp": dt.datetime(2025, 9, 7, 23, 30), "state": "Delhi", "city": "Delhi",
     "lat": 28.7, "lon": 77.3},
)  # fmt: skip


def test_summary_counts() -> None:
    """Rows, customers, merchants, days, amounts, fraud and anomaly counts."""
    s = explore.summary(TX)
    assert (s.rows, s.customers, s.merchants) == (4, 1, 1)
    assert (s.first_day, s.last_day) == (dt.date(2025, 9, 1), dt.date(2025, 9, 7))
    assert s.amount_inr == 1450.0
    assert (s.fraud_rows, s.fraud_amount_inr, s.fraud_scenarios, s.anomaly_rows) == (1, 1000, 1, 2)
    assert s.fraud_rate == 0.25
    assert s.anomaly_rate == 0.5


def test_cooccurrence_counts_and_phi() -> None:
    """Counts by (fraud type, anomaly type) and the phi of each indicator pair."""
    c = explore.cooccurrence(TX)
    none, testing = c.fraud_types.index("none"), c.fraud_types.index("card_testing")
    a_none, amount = c.anomaly_types.index("none"), c.anomaly_types.index("amount")
    assert c.counts[none, a_none] == 1
    assert c.counts[none, amount] == 2
    assert c.counts[testing, a_none] == 1
    assert c.counts.sum() == 4
    # card_testing = [0,0,0,1], amount anomaly = [0,1,1,0]: phi = (4*0 - 1*2) / sqrt(1*3*2*2)
    assert c.phi[testing, amount] == pytest.approx(-2 / np.sqrt(12))
    # fraud type none = [1,1,1,0] against anomaly none = [1,0,0,1]: (4*1 - 3*2) / sqrt(3*1*2*2)
    assert c.phi[none, a_none] == pytest.approx(-2 / np.sqrt(12))
    assert np.isnan(c.phi[c.fraud_types.index("money_mule"), amount])  # never occurs


def test_severity_summary() -> None:
    """Only anomalous rows count; mean, median, p90 (linear) and max per type."""
    out = explore.severity(TX)
    assert out["anomaly_type"].to_list() == ["amount"]
    row = out.row(0, named=True)
    assert row["rows"] == 2
    assert row["mean"] == pytest.approx(0.7)
    assert row["median"] == pytest.approx(0.7)
    assert row["p90"] == pytest.approx(0.86)
    assert row["max"] == pytest.approx(0.9)


def test_hour_weekday_cells() -> None:
    """Monday 10:00 holds two rows, Sunday 23:00 two rows of which one is fraud."""
    hw = explore.hour_weekday(TX)
    assert hw.rows.sum() == 4
    assert hw.rows[0, 10] == 2
    assert hw.rows[6, 23] == 2
    assert hw.fraud_rows[6, 23] == 1
    assert hw.fraud_rate[6, 23] == 0.5
    assert np.isnan(hw.fraud_rate[3, 3])


def test_by_day_marks_festivals() -> None:
    """Onam falls on 2025-09-05: a row that day is a festival day, others are not."""
    tx = transactions(
        {"timestamp": dt.datetime(2025, 9, 4, 9)},
        {"timestamp": dt.datetime(2025, 9, 5, 9), "is_fraud": True, "fraud_type": "stolen_card",
         "fraud_scenario_id": 1},
        {"timestamp": dt.datetime(2025, 9, 5, 12)},
    )  # fmt: skip
    days = explore.by_day(tx)
    assert days["festival"].to_list() == ["", "onam"]
    assert days["rows"].to_list() == [1, 2]
    effect = explore.festival_effect(days)
    assert effect.to_dicts() == [
        {"kind": "festival day", "days": 1, "rows_per_day": 2.0, "fraud_rate": 0.5},
        {"kind": "ordinary day", "days": 1, "rows_per_day": 1.0, "fraud_rate": 0.0},
    ]


def test_geography_by_state_and_city() -> None:
    """Delhi has the fraud (rate 1/2), Maharashtra none; cities get median coordinates."""
    states = explore.by_state(TX)
    assert states["state"].to_list() == ["Delhi", "Maharashtra"]
    assert states["fraud_rate"].to_list() == [0.5, 0.0]
    cities = explore.by_city(TX)
    delhi = cities.filter(pl.col("city") == "Delhi").row(0, named=True)
    assert delhi["lat"] == pytest.approx(28.65)
    assert delhi["lon"] == pytest.approx(77.25)
    assert delhi["rows"] == 2


def test_risk_by_payment_mode() -> None:
    """Debit card carries all the fraud amount; UPI none."""
    out = explore.risk_by(TX, "payment_mode")
    assert out["payment_mode"].to_list() == ["debit_card", "upi"]
    assert out["fraud_rate"].to_list() == [1.0, 0.0]
    assert out["fraud_amount_share"].to_list() == [1.0, 0.0]


def test_no_fraud_and_no_anomalies() -> None:
    """Tables without fraud or anomalies give empty breakdowns and zero shares, not errors."""
    tx = transactions({}, {"amount_inr": 5.0})
    assert explore.severity(tx).height == 0
    assert explore.fraud_by_type(tx).height == 0
    assert explore.risk_by(tx, "channel")["fraud_amount_share"].to_list() == [0.0]
    s = explore.summary(tx)
    assert (s.fraud_rows, s.fraud_scenarios, s.anomaly_rows, s.fraud_rate) == (0, 0, 0, 0.0)
    c = explore.cooccurrence(tx)
    assert c.counts[0, 0] == 2
    assert np.isnan(c.phi).all()


def test_missing_column_is_named() -> None:
    """A table without a column the analysis reads is refused with the column's name."""
    with pytest.raises(ValueError, match="anomaly_severity"):
        explore.severity(TX.drop("anomaly_severity"))
