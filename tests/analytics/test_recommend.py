"""Recommendations are computed from the analyses: threshold, weakest types, droppable features."""

from __future__ import annotations

import numpy as np
import polars as pl

from fraudforge.analytics import performance as perf
from fraudforge.analytics.recommend import (
    droppable_features,
    threshold_advice,
    weakest_fraud_types,
)
from fraudforge.models.metrics import Costs

Y = np.array([0, 0, 1, 1])
S = np.array([0.1, 0.4, 0.35, 0.8])
AMOUNT = np.array([100.0, 200.0, 1000.0, 3000.0])


def test_threshold_advice_names_the_best_threshold_and_the_gap() -> None:
    """Best 0.35 (INR 3,500); the chosen 0.5 gives INR 2,850, INR 650 less."""
    sweep = perf.threshold_sweep(Y, S, AMOUNT, costs=Costs())
    rec = threshold_advice(sweep, costs=Costs(), chosen=0.5, model="m")
    assert "at least 0.3500" in rec.text
    assert "INR 3,500" in rec.text
    assert "INR 2,850, INR 650 less" in rec.text
    same = threshold_advice(sweep, costs=Costs(), chosen=0.35, model="m")
    assert "less" not in same.text


def test_threshold_advice_when_nothing_pays() -> None:
    """With a review cost above every fraud amount no threshold is recommended."""
    costs = Costs(review_cost_inr=10_000)
    sweep = perf.threshold_sweep(Y, S, AMOUNT, costs=costs)
    rec = threshold_advice(sweep, costs=costs, chosen=0.5, model="m")
    assert "No threshold of m pays" in rec.text
    assert "INR 10,000 per alert" in rec.text


def test_weakest_fraud_types_lowest_recall_first() -> None:
    """Types under min_rows and `none` are skipped; the lowest recalls are named in order."""
    table = pl.DataFrame(
        {
            "group": ["none", "a", "b", "c", "d"],
            "fraud_rows": [0, 50, 40, 30, 3],
            "recall": [None, 0.9, 0.2, 0.5, 0.0],
        }
    )
    rec = weakest_fraud_types(table, model="m", threshold=0.3, count=2, min_rows=10)
    assert rec is not None
    assert "b (recall 20.0% of 40 rows); c (recall 50.0% of 30 rows)" in rec.text
    assert "d (" not in rec.text
    assert weakest_fraud_types(table.head(1), model="m", threshold=0.3) is None


def test_droppable_features_low_gain_and_redundant() -> None:
    """Features under 0.1% of the gain, and near-copies of better ones, are named."""
    importance = pl.DataFrame(
        {"feature": ["a", "b", "c", "d"], "gain_share": [0.7, 0.2995, 0.0005, 0.0]}
    )
    redundant = pl.DataFrame({"feature": ["b"], "kept": ["a"], "abs_corr": [0.991]})
    rec = droppable_features(importance, redundant)
    assert "2 feature(s) carry less than 0.1% of the total gain and can be dropped: c, d." in (
        rec.text
    )
    assert "b (|r| = 0.991 with a)" in rec.text
    keep = droppable_features(importance.head(2), redundant.head(0))
    assert "keep them all" in keep.text
