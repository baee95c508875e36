"""Bounded merchant and device state: entities idle for 24 h of stream time are compacted without
changing any feature (batch == online still holds, with labels), a snapshot keeps them, and the
hard cap holds the count of entities however many new ids arrive."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl
import pytest

from fraudforge.engine.scenario import Scenario
from fraudforge.engine.streaming import scan, scan_customers
from fraudforge.features.batch import compute_features
from fraudforge.features.catalog import ENTITY_FEATURES
from fraudforge.features.layout import COL
from fraudforge.features.online import OnlineFeatures

STREAM = Scenario(customers=250, days=40, seed=5, fraud_rate=0.05, anomaly_rate=0.05)
ENTITY = list(ENTITY_FEATURES)


@pytest.fixture(scope="module")
def stream() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, Any]:
    """The stream in time order, its customers, its batch features and outlier model."""
    tx = scan(STREAM).collect().sort("timestamp", "transaction_id")
    customers = scan_customers(STREAM).collect()
    batch, model = compute_features(tx, customers)
    return tx, customers, batch, model


def _replay(online: OnlineFeatures, rows: list[dict[str, Any]]) -> np.ndarray[Any, Any]:
    out = []
    for txn in rows:
        out.append(online.process_row(txn))
        if txn["is_fraud"]:
            online.add_label(
                merchant_id=txn["merchant_id"],
                device_id=txn["device_id"],
                known_at=txn["label_known_at"],
            )
    return np.vstack(out)


def test_compaction_keeps_batch_parity(
    stream: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, Any],
) -> None:
    """Replaying the stream compacts most devices and many merchants (idle > 24 h), and the
    four entity features still equal the batch ones on every row."""
    tx, customers, batch, model = stream
    online = OnlineFeatures.from_customers(customers, model)
    got = _replay(online, list(tx.iter_rows(named=True)))
    counts = online.entity_counts()
    assert counts["devices_idle"] > counts["devices_active"] > 0
    assert counts["merchants_idle"] > 0
    assert counts["merchants_forgotten"] == counts["devices_forgotten"] == 0
    want = tx.select("transaction_id").join(batch, on="transaction_id", how="left")
    for name in ENTITY:
        a = want[name].cast(pl.Float64).to_numpy()
        np.testing.assert_allclose(got[:, COL[name]], a, rtol=1e-12, atol=0.0, err_msg=name)


def test_snapshot_keeps_compacted_entities(
    stream: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, Any],
) -> None:
    """Half the stream, a snapshot round trip, the other half: the same rows as without it."""
    tx, customers, _, model = stream
    rows = list(tx.iter_rows(named=True))
    half = len(rows) // 2
    a = OnlineFeatures.from_customers(customers, model)
    _replay(a, rows[:half])
    b = OnlineFeatures.from_state(a.to_state())
    assert b.entity_counts() == a.entity_counts()
    np.testing.assert_array_equal(_replay(a, rows[half:]), _replay(b, rows[half:]))


def test_cap_bounds_entities_from_new_ids(
    stream: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, Any],
) -> None:
    """With a cap of 50, a flood of new merchant and device ids (one each per transaction)
    keeps at most 50 of each; the customer's features are unaffected by the cap."""
    tx, customers, _, model = stream
    capped = OnlineFeatures.from_customers(customers, model)
    capped.limit_entities(50)
    free = OnlineFeatures.from_customers(customers, model)
    base = tx.row(0, named=True)
    start = base["timestamp"]
    customer_cols = [c for c in COL if not c.startswith(("merchant_", "device_"))]
    cols = [COL[c] for c in customer_cols if "merchant" not in c and "device" not in c]
    for i in range(400):
        txn = {
            **base,
            "timestamp": start + dt.timedelta(minutes=i),
            "merchant_id": 10_000_000 + i,
            "device_id": 20_000_000 + i,
        }
        x, y = capped.process_row(txn), free.process_row(txn)
        np.testing.assert_array_equal(x[cols], y[cols])
        counts = capped.entity_counts()
        assert counts["merchants_active"] + counts["merchants_idle"] <= 50
        assert counts["devices_active"] + counts["devices_idle"] <= 50
    assert capped.entity_counts()["merchants_forgotten"] == 350
    assert free.entity_counts()["merchants_active"] + free.entity_counts()["merchants_idle"] == 400
    with pytest.raises(ValueError, match="below 1"):
        capped.limit_entities(0)
