"""OnlineFeatures' snapshot: ``to_state`` then ``from_state`` gives an object that answers the
rest of a stream exactly as the original does, labels included."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from fraudforge.engine.scenario import Scenario
from fraudforge.engine.streaming import scan, scan_customers
from fraudforge.features.batch import compute_features
from fraudforge.features.online import OnlineFeatures

S = Scenario(customers=120, days=40, fraud_rate=0.05, seed=31)


def test_state_round_trip_continues_the_stream_identically() -> None:
    """Replay the first 70% of the stream, snapshot, restore, and replay the rest on both."""
    tx = scan(S).collect().sort("timestamp", "transaction_id")
    customers = scan_customers(S).collect()
    _, model = compute_features(tx, customers)
    rows = list(tx.iter_rows(named=True))
    cut = int(len(rows) * 0.7)
    online = OnlineFeatures.from_customers(customers, model)
    for row in rows[:cut]:
        online.process_row(row)
    fraud = tx.head(cut).filter(pl.col("is_fraud")).head(5)
    for row in fraud.iter_rows(named=True):
        online.add_label(
            merchant_id=row["merchant_id"], device_id=row["device_id"], known_at=row["timestamp"]
        )
    state = online.to_state()
    assert all(isinstance(v, np.ndarray) and v.dtype != object for v in state.values())
    restored = OnlineFeatures.from_state(state)
    again = restored.to_state()
    assert state.keys() == again.keys()
    for key, value in state.items():
        np.testing.assert_array_equal(value, again[key], err_msg=key)
    for row in rows[cut:]:
        np.testing.assert_array_equal(online.process_row(row), restored.process_row(row))


def test_check_refuses_what_process_would_and_changes_nothing() -> None:
    """``check`` raises for an unknown customer and for a time before the customer's last."""
    tx = scan(S).collect().sort("timestamp", "transaction_id").head(200)
    customers = scan_customers(S).collect()
    _, model = compute_features(tx, customers)
    online = OnlineFeatures.from_customers(customers, model)
    rows = list(tx.iter_rows(named=True))
    for row in rows:
        online.process_row(row)
    last = rows[-1]
    before = online.to_state()
    with pytest.raises(KeyError, match="customer_id 999999 is unknown"):
        online.check(999_999, last["timestamp"])
    with pytest.raises(ValueError, match="earlier than customer"):
        online.check(last["customer_id"], last["timestamp"] - dt.timedelta(seconds=1))
    online.check(last["customer_id"], last["timestamp"])
    after = online.to_state()
    for key, value in before.items():
        np.testing.assert_array_equal(value, after[key], err_msg=key)
