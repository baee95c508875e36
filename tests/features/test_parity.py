"""Batch equals online: replaying a generated stream through OnlineFeatures reproduces the batch
values of every feature on every row."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from fraudforge.engine.scenario import Scenario
from fraudforge.engine.streaming import scan, scan_customers
from fraudforge.features.batch import compute_features
from fraudforge.features.catalog import FEATURE_NAMES
from fraudforge.features.online import OnlineFeatures

STREAM = Scenario(customers=300, days=40, seed=21, fraud_rate=0.05, anomaly_rate=0.05)


@pytest.fixture(scope="module")
def replayed() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Batch features and the features of the same stream replayed online, row for row."""
    tx = scan(STREAM).collect()
    customers = scan_customers(STREAM).collect()
    batch, model = compute_features(tx, customers)
    online = OnlineFeatures.from_customers(customers, model)
    stream = tx.sort("timestamp", "transaction_id")
    rows = []
    for txn in stream.iter_rows(named=True):
        values = online.process(txn)
        if txn["is_fraud"]:
            online.add_label(
                merchant_id=txn["merchant_id"],
                device_id=txn["device_id"],
                known_at=txn["label_known_at"],
            )
        rows.append({"transaction_id": txn["transaction_id"], **values})
    got = pl.DataFrame(
        rows, schema={"transaction_id": pl.Int64, **{n: pl.Float64 for n in FEATURE_NAMES}}
    )
    return batch, got


def test_every_feature_matches_on_every_row(replayed: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    """All 69 features agree to a relative tolerance of 1e-9 (nulls where batch has nulls)."""
    batch, online = replayed
    joined = batch.join(online, on="transaction_id", suffix="_online")
    assert joined.height == batch.height == online.height
    for name in FEATURE_NAMES:
        a = joined[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
        b = joined[f"{name}_online"].to_numpy()
        both_nan = np.isnan(a) & np.isnan(b)
        close = np.isclose(a, b, rtol=1e-9, atol=1e-12) | both_nan
        assert close.all(), (
            f"{name}: {int((~close).sum())} rows differ, e.g. {a[~close][:3]} vs {b[~close][:3]}"
        )
