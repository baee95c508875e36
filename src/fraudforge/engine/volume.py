"""Expected volumes: legitimate rows per customer over a period, and the customer count that
hits a target row count."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from fraudforge.engine import catalog as cat
from fraudforge.engine.calendar import period_calendar

_SAVVY_RATE = np.array([0.6, 1.0, 1.3]) ** 0.5
REFUND_SHARE = 0.008
"""Genuine refunds, as a share of a customer's rows."""


def rows_per_customer(start: dt.date, days: int) -> float:
    """Expected legitimate rows of one ordinary customer over the period."""
    seg_rate = cat.SEG_TXN_PER_DAY * (cat.SEG_SAVVINESS @ _SAVVY_RATE)
    per_day = float(cat.SEG_WEIGHT @ seg_rate)
    return per_day * float(period_calendar(start, days).day_factor.sum()) * (1 + REFUND_SHARE)


def expected_fraud_rows(customers: int, start: dt.date, days: int, fraud_rate: float) -> float:
    """Fraud rows that make ``fraud_rate`` of all rows when ``customers`` transact ordinarily."""
    if fraud_rate <= 0:
        return 0.0
    return customers * rows_per_customer(start, days) * fraud_rate / (1 - fraud_rate)


SYNTHETIC_ROWS = 12.0
"""Mean rows of a synthetic identity (whose customer slot has no genuine rows)."""
BUST_OUT_ROWS = 6.0
"""Mean rows of a bust-out (after which the customer's genuine rows stop, half way on average)."""


def customers_for_rows(
    target_rows: int, start: dt.date, days: int, fraud_rate: float, fraud_mix: dict[str, float]
) -> int:
    """Customers whose ordinary activity plus the fraud on top of it makes about ``target_rows``,
    counting the genuine rows that synthetic identities and bust-outs take away."""
    per_cust = rows_per_customer(start, days)
    fraud = target_rows * fraud_rate
    synthetic = fraud * fraud_mix.get("synthetic_identity", 0.0) / SYNTHETIC_ROWS
    bust_loss = fraud * fraud_mix.get("bust_out", 0.0) / BUST_OUT_ROWS * per_cust / 2
    legit = target_rows - fraud + bust_loss
    return max(1, math.ceil(legit / per_cust + synthetic))
