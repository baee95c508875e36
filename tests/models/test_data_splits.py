"""ModelData (join, time order, selection) and the time-based splits."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from fraudforge.features.catalog import FEATURE_NAMES
from fraudforge.models.data import NO_CARD, US_PER_DAY, ModelData, model_data
from fraudforge.models.splits import PrequentialSplit, time_split

BASE_DAY = 20_000


def _tiny() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Three transactions given out of time order; the features table in yet another order."""
    t0 = dt.datetime(2025, 1, 1, 10)
    tx = pl.DataFrame(
        {
            "transaction_id": [30, 10, 20],
            "timestamp": [t0 + dt.timedelta(hours=2), t0, t0 + dt.timedelta(hours=1)],
            "customer_id": [3, 1, 2],
            "card_id": [None, 111, 222],
            "amount_inr": [300.0, 100.0, 200.0],
        }
    )
    features = pl.DataFrame(
        {
            "transaction_id": [20, 30, 10],
            "amount_avg_24h": [2.0, 3.0, 1.0],
            "secs_since_prev_txn": [None, 5.0, 7.0],
            "is_fraud": [True, False, False],
            "fraud_type": ["stolen_card", "none", "none"],
            "is_anomaly": [False, True, False],
            "anomaly_type": ["none", "amount", "none"],
            "label_known_at": [t0, t0, t0],
        }
    )
    return tx, features


def test_model_data_joins_on_transaction_id_in_time_order() -> None:
    tx, features = _tiny()
    d = model_data(features, tx)
    assert d.features == ("amount_avg_24h", "secs_since_prev_txn")
    assert d.transaction_id.tolist() == [10, 20, 30]
    assert d.X[:, 0].tolist() == [1.0, 2.0, 3.0]
    assert d.X[0, 1] == 7.0
    assert np.isnan(d.X[1, 1])
    assert d.y.tolist() == [False, True, False]
    assert d.card_id.tolist() == [111, 222, NO_CARD]
    assert d.amount.tolist() == [100.0, 200.0, 300.0]
    assert d.fraud_type.tolist() == ["none", "stolen_card", "none"]
    assert d.anomaly_type.tolist() == ["none", "none", "amount"]
    assert (np.diff(d.t) == 3_600_000_000).all()


def test_from_frame_keeps_the_frame_order_and_casts_any_column() -> None:
    tx, features = _tiny()
    frame = tx.join(features, on="transaction_id", maintain_order="left").with_columns(
        small=pl.col("customer_id").cast(pl.Int8)
    )
    d = ModelData.from_frame(frame, ["small", "amount_avg_24h"])
    assert d.features == ("small", "amount_avg_24h")
    assert d.transaction_id.tolist() == [30, 10, 20]
    assert d.X.tolist() == [[3.0, 3.0], [1.0, 1.0], [2.0, 2.0]]
    assert d.X.flags.c_contiguous
    assert d.card_id.tolist() == [NO_CARD, 111, 222]
    assert d.y.tolist() == [False, False, True]
    assert ModelData.from_frame(frame, []).X.shape == (3, 0)


def test_select_and_subset_keep_rows_aligned() -> None:
    tx, features = _tiny()
    d = model_data(features, tx)
    s = d.select(["secs_since_prev_txn"]).subset(np.array([2, 0]))
    assert s.features == ("secs_since_prev_txn",)
    assert s.X[:, 0].tolist() == [5.0, 7.0]
    assert s.transaction_id.tolist() == [30, 10]
    assert s.y.tolist() == [False, False]
    with pytest.raises(ValueError, match=r"unknown feature.*`nope`.*allowed are amount_avg_24h"):
        d.select(["nope"])


def test_model_data_refuses_unknown_features_and_missing_columns() -> None:
    tx, features = _tiny()
    with pytest.raises(ValueError, match=r"unknown feature.*`is_fraud`"):
        model_data(features, tx, names=["is_fraud"])
    with pytest.raises(ValueError, match=r"transactions table lacks column.*card_id"):
        model_data(features, tx.drop("card_id"))


def test_generated_data_has_every_feature_and_matches_the_transactions(
    small_data: ModelData, small_tables: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    transactions, _ = small_tables
    assert small_data.features == FEATURE_NAMES
    assert len(small_data) == transactions.height
    assert (np.diff(small_data.t) >= 0).all()
    assert int(small_data.y.sum()) == int(transactions["is_fraud"].sum())
    assert int((small_data.card_id == NO_CARD).sum()) == transactions["card_id"].null_count()
    assert set(small_data.fraud_type[~small_data.y].tolist()) == {"none"}


def _hours(days: int) -> np.ndarray:
    """One timestamp every six hours over ``days`` days."""
    return (BASE_DAY * US_PER_DAY + np.arange(days * 4) * 6 * 3_600_000_000).astype(np.int64)


def test_time_split_layout_with_gaps() -> None:
    t = _hours(30)
    s = time_split(t, validation_days=7, test_days=7, gap_days=7)
    day = t // US_PER_DAY - BASE_DAY
    assert sorted(set(day[s.test].tolist())) == list(range(23, 30))
    assert sorted(set(day[s.validation].tolist())) == list(range(9, 16))
    assert sorted(set(day[s.train].tolist())) == [0, 1]
    assert s.train_days == (BASE_DAY, BASE_DAY + 2)
    assert (s.train.size, s.validation.size, s.test.size) == (8, 28, 28)


def test_time_split_without_validation_and_a_fixed_training_window() -> None:
    t = _hours(30)
    s = time_split(t, validation_days=0, test_days=7, gap_days=7, train_days=7)
    day = t // US_PER_DAY - BASE_DAY
    assert s.validation.size == 0
    assert sorted(set(day[s.train].tolist())) == list(range(9, 16))
    assert int(day[s.train].max()) + 7 < int(day[s.test].min())


def test_time_split_refuses_data_too_short() -> None:
    with pytest.raises(ValueError, match="no training rows: the data covers 10 days"):
        time_split(_hours(10))
    with pytest.raises(ValueError, match="`gap_days` = -1"):
        time_split(_hours(30), gap_days=-1)


def test_prequential_folds_roll_back_from_the_end_oldest_first() -> None:
    t = _hours(30)
    day = t // US_PER_DAY - BASE_DAY
    folds = list(PrequentialSplit(2, train_days=7, gap_days=7, test_days=7).split(None, groups=t))
    assert len(folds) == 2
    (train0, test0), (train1, test1) = folds
    assert sorted(set(day[test0].tolist())) == list(range(16, 23))
    assert sorted(set(day[train0].tolist())) == list(range(2, 9))
    assert sorted(set(day[test1].tolist())) == list(range(23, 30))
    assert sorted(set(day[train1].tolist())) == list(range(9, 16))


def test_prequential_expanding_window_and_errors(small_data: ModelData) -> None:
    split = PrequentialSplit(3, train_days=None, gap_days=3, test_days=5)
    folds = split.folds(small_data)
    assert [f.train_days[0] for f in folds] == [int(small_data.day.min())] * 3
    for f in folds:
        assert small_data.t[f.train].max() < small_data.t[f.test].min() - 3 * US_PER_DAY + 1
    with pytest.raises(ValueError, match="needs the rows' times"):
        list(split.split(np.zeros((3, 1))))
    with pytest.raises(ValueError, match="fold 1 of 9 has no training rows"):
        PrequentialSplit(9, gap_days=7, test_days=7).folds(small_data)
