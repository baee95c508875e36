"""Expected volumes: legitimate rows per customer over a period, and the customer count that
hits a target row count."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from fraudforge.engine import market as mkt
from fraudforge.engine.calendar import period_calendar
from fraudforge.engine.fraud.patterns import REGISTRY
from fraudforge.engine.fraud.record import Registry
from fraudforge.engine.population import SEGMENT_MIX

_SAVVY_RATE = np.array([0.6, 1.0, 1.3]) ** 0.5
REFUND_SHARE = 0.008
"""Genuine refunds, as a share of a customer's rows."""
HABIT_SHARE = 0.012
"""Rows of genuine habits on top of ordinary payments, as a share of a customer's rows: INR 1
test transfers, accidental duplicates, monthly rent and family transfers (measured)."""
RETRY_SHARE = 0.035
"""Genuine retries of declined payments, as a share of a customer's rows (about half of the
declined payments are tried again)."""


def rows_per_customer(start: dt.date, days: int) -> float:
    """Expected legitimate rows of one ordinary customer over the period."""
    seg_rate = mkt.SEG_TXN_PER_DAY * (mkt.SEG_SAVVINESS @ _SAVVY_RATE)
    per_day = float(SEGMENT_MIX @ seg_rate)
    return (
        per_day
        * float(period_calendar(start, days).day_factor.sum())
        * (1 + REFUND_SHARE + RETRY_SHARE + HABIT_SHARE)
    )


def expected_fraud_rows(customers: int, start: dt.date, days: int, fraud_rate: float) -> float:
    """Fraud rows that make ``fraud_rate`` of all rows when ``customers`` transact ordinarily."""
    if fraud_rate <= 0:
        return 0.0
    return customers * rows_per_customer(start, days) * fraud_rate / (1 - fraud_rate)


def customers_for_rows(
    target_rows: int,
    start: dt.date,
    days: int,
    fraud_rate: float,
    fraud_mix: dict[str, float],
    registry: Registry = REGISTRY,
) -> int:
    """Customers whose ordinary activity plus the fraud on top of it makes about ``target_rows``,
    counting the genuine rows that fabricated identities and accounts that go dormant (half way,
    on average) take away."""
    per_cust = rows_per_customer(start, days)
    fraud = target_rows * fraud_rate
    incidents = {
        p.name: fraud * fraud_mix.get(p.name, 0.0) / p.mean_rows for p in registry.patterns
    }
    synthetic = sum(incidents[p.name] for p in registry.patterns if p.fabricated_accounts)
    dormant = sum(incidents[p.name] for p in registry.patterns if p.ends_account)
    legit = target_rows - fraud + dormant * per_cust / 2
    return max(1, math.ceil(legit / per_cust + synthetic))
