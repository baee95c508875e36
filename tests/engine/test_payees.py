"""Whom genuine transfers pay: regular contacts, and small shops' and online sellers' personal
UPI addresses (P2PM), so a payee's number of payers is heavy-tailed in genuine traffic too and
a payee paid by many people is not by itself a mule."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from fraudforge.engine.legit import N_VENDOR_HABITS, NATIONAL_POOL, vendors
from fraudforge.engine.scenario import Scenario
from fraudforge.engine.streaming import scan
from tests.helpers import num


@pytest.fixture(scope="module")
def transfers() -> pl.DataFrame:
    """Genuine approved P2P transfers of the default preset at about 200K rows."""
    return (
        scan(Scenario(customers=1_500, seed=3))
        .filter(~pl.col("is_fraud"), pl.col("txn_type") == "p2p_transfer")
        .collect()
    )


def test_a_customer_keeps_paying_the_same_few_vendors() -> None:
    """Vendors are habits: over many payments one customer pays at most ``N_VENDOR_HABITS``
    vendors in a city, other vendors in another city, and every call agrees."""
    rng = np.random.default_rng(0)
    cust = np.full(500, 42, dtype=np.int64)
    here = vendors(rng, cust, np.full(500, 7, dtype=np.int64), 1_000_000)
    there = vendors(rng, cust, np.full(500, 8, dtype=np.int64), 1_000_000)
    assert 1 <= np.unique(here).size <= N_VENDOR_HABITS
    assert not set(here.tolist()) & set(there.tolist())
    again = vendors(np.random.default_rng(1), cust[:50], np.full(50, 7, dtype=np.int64), 1_000_000)
    assert set(again.tolist()) <= set(here.tolist())
    online = vendors(rng, cust, np.full(500, NATIONAL_POOL, dtype=np.int64), 1_000_000)
    assert not set(online.tolist()) & set(here.tolist())


def test_popular_vendors_are_paid_by_many(transfers: pl.DataFrame) -> None:
    """Genuine payees' payer counts are heavy-tailed: the most-paid payee has at least three
    times the median payee's payers (contacts alone give about 1.5 times)."""
    payers = transfers.group_by("counterparty").agg(pl.col("customer_id").n_unique().alias("k"))
    assert num(payers["k"].max()) >= 3 * num(payers["k"].median())


def test_vendor_payments_are_mostly_qr_scans(transfers: pl.DataFrame) -> None:
    """Small UPI transfers are scanned from a vendor's QR far more often than large ones (the
    vendors take small payments), and QR stays a minority of transfers."""
    upi = transfers.filter(pl.col("payment_mode") == "upi")
    qr = pl.col("upi_initiation") == "qr"
    small = num(upi.filter(pl.col("amount_inr") <= 300).select(qr.mean()).item())
    large = num(upi.filter(pl.col("amount_inr") > 3_000).select(qr.mean()).item())
    assert small > 2 * large
    assert num(upi.select(qr.mean()).item()) < 0.35
