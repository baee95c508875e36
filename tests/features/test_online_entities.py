"""Bounded merchant and device state: entities idle for 24 h of stream time are compacted without
changing any feature (batch == online still holds, with labels), a snapshot keeps them, and the
hard cap holds the count of entities however many new ids arrive."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import numpy as np
import polars as pl
import pytest

from fraudforge.engine.scenario import Scenario
from fraudforge.engine.streaming import scan, scan_customers
from fraudforge.features import kernels as k
from fraudforge.features.batch import compute_features
from fraudforge.features.catalog import ENTITY_FEATURES
from fraudforge.features.entity_store import EntityStore
from fraudforge.features.layout import COL
from fraudforge.features.online import OnlineFeatures
from fraudforge.features.online_kernel import K_DEVICE, K_MERCHANT, K_PAYEE

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


H = 3_600_000_000
"""An hour in microseconds."""
T0 = 1_700_000_000_000_000


def _batch(
    t: list[int], customer: list[int], amount: list[float], fraud: list[int], *, wide: bool
) -> np.ndarray[Any, Any]:
    """The batch entity kernel's outputs for one entity's rows (fraud: label_known_at, or -1
    for a genuine row)."""
    out = np.empty((len(t), k.N_ENTITY_OUT))
    k.entity_pass(
        np.array([0, len(t)], dtype=np.int64), np.array(t, dtype=np.int64),
        np.array(customer, dtype=np.int64), np.array(amount), np.array(fraud) >= 0,
        np.array(fraud, dtype=np.int64), wide, out,
    )  # fmt: skip
    return out


def _online(
    t: list[int],
    customer: list[int],
    amount: list[float],
    fraud: list[int],
    *,
    wide: bool,
    restore_at: int = -1,
) -> np.ndarray[Any, Any]:
    """The same from the online entity store, row by row, each fraud labelled after its row
    (the store making room as ``OnlineFeatures`` has it do); with ``restore_at``, the entity
    is saved and loaded into a new store from what a snapshot keeps before that row."""
    kind = K_PAYEE if wide else K_MERCHANT
    store = EntityStore()
    out = np.empty((len(t), k.N_ENTITY_OUT))
    for i in range(len(t)):
        if i == restore_at:
            saved = store.save(kind)
            store = EntityStore()
            store.load(kind, *saved)
        meta, window, amounts, known = store.entity(store.touch(kind, 1))
        k.entity_step(
            meta, window, amounts, known, t[i], customer[i], amount[i], wide, out[i],
            k.ENTITY_COLS, np.empty(2, dtype=np.int64), np.empty(1),
        )  # fmt: skip
        if fraud[i] >= 0:
            store.label(kind, 1, fraud[i])
    return out


def test_entity_step_payee_windows_exact() -> None:
    """A payee's 24-hour count and amount and its 7-day distinct payers, by hand: a payer
    counted once however often it pays, leaving the 7 days with its latest payment; batch and
    online (through buffer growth and a snapshot) give the same rows."""
    t = [T0, T0 + H, T0 + 2 * H, T0 + 25 * H, T0 + 192 * H, T0 + 193 * H]
    customer = [1, 2, 1, 3, 2, 2]
    amount = [100.0, 50.0, 30.0, 10.0, 5.0, 7.0]
    fraud = [-1] * 6
    want = np.array(
        [
            # count_24h, distinct_7d, amount_24h
            [0, 0, 0.0],
            [1, 1, 100.0],
            [2, 2, 150.0],
            [1, 2, 30.0],  # the 24 h start at 1 h: only the 2 h payment; payers 1 and 2
            [0, 1, 0.0],  # the 7 days start at 24 h: only payer 3
            [1, 1, 5.0],  # the 7 days start at 25 h: payer 3 has left, payer 2 is back
        ]
    )
    cols = [k.E_COUNT_24H, k.E_DISTINCT_7D, k.E_AMOUNT_24H]
    batch = _batch(t, customer, amount, fraud, wide=True)
    np.testing.assert_array_equal(batch[:, cols], want)
    np.testing.assert_array_equal(batch[:, k.E_FRAUD_RATE], 0.0)
    np.testing.assert_array_equal(_online(t, customer, amount, fraud, wide=True), batch)
    for at in range(1, 6):
        restored = _online(t, customer, amount, fraud, wide=True, restore_at=at)
        np.testing.assert_array_equal(restored, batch, err_msg=f"restored before row {at}")


def test_entity_step_merchant_fraud_exact() -> None:
    """A merchant seen every 10 hours: two earlier transactions in its 24 hours from the third
    on (its buffers' window moving back to their start); a fraud at row 1 known 5 hours
    later counts from row 2 on in its rate and for 7 and 30 days after it is known."""
    n = 40
    t = [T0 + 10 * H * i for i in range(n)]
    customer = [i % 3 for i in range(n)]
    amount = [1.0] * n
    fraud = [-1] * n
    fraud[1] = t[1] + 5 * H
    batch = _batch(t, customer, amount, fraud, wide=False)
    np.testing.assert_array_equal(batch[:, k.E_COUNT_24H], [0, 1] + [2] * (n - 2))
    np.testing.assert_array_equal(batch[:, [k.E_DISTINCT_7D, k.E_AMOUNT_24H]], 0.0)
    rate = [0.0, 0.0] + [1 / (i + 1) for i in range(2, n)]
    np.testing.assert_array_equal(batch[:, k.E_FRAUD_RATE], rate)
    known = np.array(t) - fraud[1]
    np.testing.assert_array_equal(batch[:, k.E_FRAUD_7D], (known > 0) & (known < 168 * H))
    np.testing.assert_array_equal(batch[:, k.E_FRAUD_30D], (known > 0) & (known < 720 * H))
    np.testing.assert_array_equal(_online(t, customer, amount, fraud, wide=False), batch)
    np.testing.assert_array_equal(
        _online(t, customer, amount, fraud, wide=False, restore_at=20), batch
    )


def _labels(store: EntityStore, kind: int) -> list[list[int]]:
    """Each held entity's label times of ``kind``, in the store's saving order."""
    *_, k_off, known = store.save(kind)
    return [known[a:b].tolist() for a, b in itertools.pairwise(k_off.tolist())]


def test_unlabel_takes_back_one_label() -> None:
    """``remove_label`` undoes one ``add_label``; one for a label never added changes nothing."""
    store = EntityStore()
    for when in (30, 10, 20, 20):
        store.label(K_MERCHANT, 7, when)
    assert _labels(store, K_MERCHANT) == [[10, 20, 20, 30]]
    store.unlabel(K_MERCHANT, 7, 20)
    store.unlabel(K_MERCHANT, 7, 25)
    store.unlabel(K_MERCHANT, 8, 10)
    assert _labels(store, K_MERCHANT) == [[10, 20, 30]]
    assert store.counts(K_MERCHANT) == (0, 1, 0)


def test_store_grows_and_keeps_every_entity() -> None:
    """Far more entities, window cells and labels than the store starts with: it grows (rows,
    index, pools compacted and doubled) and every entity keeps its own window, count and
    labels; each kind's entities are apart from the others' of the same id."""
    store = EntityStore()
    ids = list(range(-300, 900, 3))
    for rep in range(6):
        for kind in (K_MERCHANT, K_DEVICE):
            for eid in ids:
                meta, window, amounts, known = store.entity(store.touch(kind, eid))
                out = np.empty(k.N_ENTITY_OUT)
                k.entity_step(
                    meta, window, amounts, known, T0 + rep * H, eid + 300 + kind, float(rep),
                    False, out, k.ENTITY_COLS, np.empty(2, dtype=np.int64), np.empty(1),
                )  # fmt: skip
                assert out[k.E_COUNT_24H] == rep
                if eid % 2 == 0:
                    store.label(kind, eid, T0 + rep)
    for kind in (K_MERCHANT, K_DEVICE):
        got_ids, totals, w_off, times, custs, amounts, _, _ = store.save(kind)
        assert got_ids.tolist() == ids
        assert (totals == 6).all()
        assert np.diff(w_off).tolist() == [6] * len(ids)
        assert times.tolist() == [T0 + rep * H for rep in range(6)] * len(ids)
        assert custs.tolist() == [eid + 300 + kind for eid in ids for _ in range(6)]
        assert amounts.tolist() == [float(rep) for rep in range(6)] * len(ids)
        want = [[T0 + rep for rep in range(6)] if eid % 2 == 0 else [] for eid in ids]
        assert _labels(store, kind) == want
        assert store.counts(kind) == (len(ids), 0, 0)
    assert store.counts(K_PAYEE) == (0, 0, 0)
