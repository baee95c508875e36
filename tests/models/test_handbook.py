"""The Handbook protocol: the book's removal of known compromised cards, by hand, and the whole
protocol at small size."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from fraudforge.engine.scenario import Scenario
from fraudforge.engine.streaming import scan, scan_customers
from fraudforge.features.batch import compute_features
from fraudforge.models.data import US_PER_DAY, ModelData, model_data
from fraudforge.models.handbook import (
    HANDBOOK_MODELS,
    handbook_split,
    results_markdown,
    run_handbook,
)

START = dt.date(2018, 7, 25)
D = (START - dt.date(1970, 1, 1)).days


def _rows(cards: list[int], days: list[int], fraud: list[bool]) -> ModelData:
    n = len(cards)
    return ModelData(
        features=("f",),
        X=np.zeros((n, 1)),
        y=np.array(fraud),
        t=(np.array(days, dtype=np.int64) + D) * US_PER_DAY + 3_600_000_000,
        customer_id=np.array(cards, dtype=np.int64),
        card_id=np.array(cards, dtype=np.int64),
        amount=np.ones(n),
        fraud_type=np.where(np.array(fraud), "card_cloning", "none"),
        anomaly_type=np.full(n, "none"),
        label_known_at=np.zeros(n, dtype=np.int64),
        transaction_id=np.arange(n, dtype=np.int64),
    )


def test_known_compromised_cards_leave_the_test_week_as_the_book_removes_them() -> None:
    # fraud: card 1 on training day 2, card 2 on training day 6, card 3 on the first delay day
    # (7), card 4 on the last delay day (13), card 5 on the first test day (14)
    cards, days, fraud = [1, 2, 3, 4, 5], [2, 6, 7, 13, 14], [True] * 5
    for day in range(14, 21):  # every card pays once a day in the test week, genuinely
        cards += [1, 2, 3, 4, 5]
        days += [day] * 5
        fraud += [False] * 5
    data = _rows(cards, days, fraud)
    train, test = handbook_split(data, train_start=START)
    assert sorted(data.card_id[train].tolist()) == [1, 2]
    test_day = (data.day[test] - D).tolist()
    kept = sorted(zip(test_day, data.card_id[test].tolist(), strict=True))
    # cards 1 and 2 are known from the start; card 3 (delay day 7) from test day 15 on; card 4's
    # fraud (day 13) is confirmed only after the week; card 5's is in the test week itself
    expected = sorted(
        [(14, 3), (14, 4), (14, 5)] + [(d, c) for d in range(15, 21) for c in (4, 5)] + [(14, 5)]
    )
    assert kept == expected


SMALL_HANDBOOK = Scenario(preset="handbook", customers=700, days=45, seed=3)
SMALL_START = dt.date(2018, 4, 16)
SMALLER = ("random_forest", "lightgbm")
"""Kinds given 30 trees here, to keep the test fast."""


@pytest.fixture(scope="module")
def handbook_small() -> ModelData:
    tx = scan(SMALL_HANDBOOK).collect()
    features, _ = compute_features(tx, scan_customers(SMALL_HANDBOOK).collect())
    return model_data(features, tx)


def test_protocol_at_small_size(handbook_small: ModelData) -> None:
    fast = {
        name: (kind, {**params, "n_estimators": 30} if kind in SMALLER else params)
        for name, (kind, params) in HANDBOOK_MODELS.items()
    }
    results, counts = run_handbook(handbook_small, train_start=SMALL_START, models=fast)
    assert [r.model for r in results] == list(HANDBOOK_MODELS)
    assert counts["test_rows_removed"] > 0
    assert counts["test_fraud"] > 0
    train_idx, test_idx = handbook_split(handbook_small, train_start=SMALL_START)
    compromised = set(handbook_small.card_id[train_idx][handbook_small.y[train_idx]].tolist())
    assert compromised.isdisjoint(handbook_small.card_id[test_idx].tolist())
    for r in results:
        assert r.roc_auc is not None
        assert r.roc_auc > 0.6, r
        assert 0.0 <= r.card_precision_at_100 <= 1.0
    table = results_markdown(results)
    assert table.count("\n") == 2 + len(results)
    assert "| LightGBM |" in table
