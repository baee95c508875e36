"""Replaying a stream into online state (``features.replay``): the one replay gives the state
that feeding the stream by hand and then its confirmed frauds gives, in any input order; the
snapshot round-trips it; and the one time-order rule names what is wrong."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from fraudforge.engine.scenario import Scenario
from fraudforge.engine.streaming import scan, scan_customers
from fraudforge.features.batch import compute_features
from fraudforge.features.online import OnlineFeatures, TimeOrderError, check_time_order
from fraudforge.features.outlier import OutlierModel
from fraudforge.features.replay import (
    SnapshotFormatError,
    load_snapshot,
    replay,
    replayed,
    save_snapshot,
    write_state,
)

S = Scenario(customers=120, days=20, fraud_rate=0.05, seed=17)


@pytest.fixture(scope="module")
def stream() -> tuple[pl.DataFrame, pl.DataFrame, OutlierModel]:
    """The scenario's transactions in time order, its customers and outlier model."""
    tx = scan(S).collect().sort("timestamp", "transaction_id")
    customers = scan_customers(S).collect()
    return tx, customers, compute_features(tx, customers)[1]


def _same(a: OnlineFeatures, b: OnlineFeatures) -> None:
    sa, sb = a.to_state(), b.to_state()
    assert sa.keys() == sb.keys()
    for key, value in sa.items():
        np.testing.assert_array_equal(value, sb[key], err_msg=key)


def test_replay_is_the_stream_then_its_labels(
    stream: tuple[pl.DataFrame, pl.DataFrame, OutlierModel],
) -> None:
    """The replayed state equals the stream fed row by row then each fraud labelled at its
    merchant and device from label_known_at; a shuffled frame replays the same."""
    tx, customers, outlier = stream
    by_hand = OnlineFeatures.from_customers(customers, outlier)
    for row in tx.iter_rows(named=True):
        by_hand.process_row(row)
    frauds = tx.filter(pl.col("is_fraud"))
    assert frauds.height > 0
    for row in frauds.iter_rows(named=True):
        by_hand.add_label(
            merchant_id=row["merchant_id"],
            device_id=row["device_id"],
            known_at=row["label_known_at"],
        )
    _same(replayed(tx, customers, outlier), by_hand)
    _same(replayed(tx.sample(fraction=1.0, shuffle=True, seed=5), customers, outlier), by_hand)


def test_replay_continues_a_state_in_time_order_only(
    stream: tuple[pl.DataFrame, pl.DataFrame, OutlierModel],
) -> None:
    """A replay in two parts is the replay of the whole (labels aside: each part adds its
    own); a part earlier than what the state holds is refused naming the transaction."""
    tx, customers, outlier = stream
    cut = tx.height // 2
    unlabelled = tx.with_columns(pl.lit(False).alias("is_fraud"))
    whole = replayed(unlabelled, customers, outlier)
    parts = replay(unlabelled.slice(cut), replayed(unlabelled.head(cut), customers, outlier))
    _same(parts, whole)
    with pytest.raises(TimeOrderError, match="is earlier than customer"):
        replay(tx.head(cut), whole)


def test_snapshot_round_trip_and_format(
    stream: tuple[pl.DataFrame, pl.DataFrame, OutlierModel], tmp_path: Path
) -> None:
    """A saved snapshot loads back to the same state; one of another format is refused with
    both format numbers."""
    tx, customers, outlier = stream
    online = replayed(tx, customers, outlier)
    path = tmp_path / "state.npz"
    assert save_snapshot(online, path) == path.stat().st_size
    _same(load_snapshot(path), online)
    state = online.to_state()
    with open(tmp_path / "old.npz", "wb") as f:  # format 1: before the payee entities
        np.savez(f, __format__=np.array([1]), **state)  # type: ignore[arg-type]
    with pytest.raises(SnapshotFormatError, match="has format 1: this reads 2"):
        load_snapshot(tmp_path / "old.npz")
    write_state(state, path)
    _same(load_snapshot(path), online)


def test_time_order_messages() -> None:
    """The same time is allowed; an earlier one names the transaction (by id or time) and the
    previous one (the state's last, or an earlier one in the batch)."""
    t0 = dt.datetime(2025, 9, 1, 10, 0)
    before = t0 - dt.timedelta(seconds=1)
    check_time_order(7, t0, t0)
    check_time_order(7, before, None)
    said = {
        "state": (
            "2025-09-01 09:59:59 is earlier than customer 7's last transaction "
            "(2025-09-01 10:00:00): each customer's must come in time order"
        ),
        "id": (
            "transaction 3 at 2025-09-01 09:59:59 is earlier than customer 7's last "
            "transaction (2025-09-01 10:00:00): each customer's must come in time order"
        ),
        "batch": (
            "transaction 3 is earlier than customer 7's previous one in this batch: each "
            "customer's must come in time order"
        ),
    }
    micros = (t0 - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1)
    with pytest.raises(TimeOrderError, match=re.escape(said["state"])):
        check_time_order(7, before, micros)
    with pytest.raises(TimeOrderError, match=re.escape(said["id"])):
        check_time_order(7, before, t0, transaction_id=3)
    with pytest.raises(TimeOrderError, match=re.escape(said["batch"])):
        check_time_order(7, before, t0, transaction_id=3, in_batch=True)


def test_replay_reports_its_progress(
    stream: tuple[pl.DataFrame, pl.DataFrame, OutlierModel], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replay reports the rows replayed: none at the start, every REPORT_EVERY rows, all at
    the end."""
    import fraudforge.features.replay as replay_module

    tx, customers, outlier = stream
    monkeypatch.setattr(replay_module, "REPORT_EVERY", 1_000)
    seen: list[tuple[str, int, int | None]] = []
    online = OnlineFeatures.from_customers(customers, outlier)
    replay(tx, online, progress=lambda step, done, total: seen.append((step, done, total)))
    n = tx.height
    assert n > 2_000
    assert seen == [
        ("replaying", 0, n),
        *(("replaying", k, n) for k in range(1_000, n + 1, 1_000)),
        ("replaying", n, n),
    ]
