"""Fixtures of the analytics tests: a small generated dataset with features, a LightGBM model
trained on its first 20 days and its scores on the last 10."""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import polars as pl
import pytest

from fraudforge.engine.scenario import Scenario
from fraudforge.engine.streaming import scan, scan_customers
from fraudforge.features import FEATURE_NAMES, compute_features

SCENARIO = Scenario(customers=1_500, days=30, fraud_rate=0.05, anomaly_rate=0.04, seed=21)


@dataclass(frozen=True)
class Scored:
    """Transactions, the evaluation rows' features, a fitted model and its scores."""

    transactions: pl.DataFrame
    features: pl.DataFrame
    model: lgb.LGBMClassifier
    scores: npt.NDArray[np.float64]


@pytest.fixture(scope="session")
def scored() -> Scored:
    """SCENARIO's data, a 60-tree LightGBM on days 0-19, scores on days 20-29."""
    tx = scan(SCENARIO).collect()
    features, _ = compute_features(tx, scan_customers(SCENARIO).collect())
    days = features.select("transaction_id").join(
        tx.select("transaction_id", "timestamp"), on="transaction_id", maintain_order="left"
    )["timestamp"]
    train = ((days - days.min()).dt.total_days() < 20).to_numpy()
    x = features.select(FEATURE_NAMES).cast(pl.Float64).to_numpy()
    y = features["is_fraud"].to_numpy()
    model = lgb.LGBMClassifier(n_estimators=60, num_leaves=31, n_jobs=1, verbose=-1, seed=1)
    model.fit(x[train], y[train], feature_name=list(FEATURE_NAMES))
    test = features.filter(pl.Series(~train))
    scores = np.asarray(model.booster_.predict(x[~train], num_threads=1), dtype=np.float64)
    return Scored(tx, test, model, scores)


@pytest.fixture(scope="session")
def report_html(scored: Scored) -> str:
    """The full report (data, importance, performance) of the scored fixture."""
    from fraudforge.analytics.dashboard import build_report

    return build_report(
        transactions=scored.transactions,
        features=scored.features,
        scores={"lightgbm": scored.scores, "amount rank": amount_rank(scored)},
        model=scored.model,
    )


def amount_rank(scored: Scored) -> npt.NDArray[np.float64]:
    """A second, weak "model" for comparison: the amount ratio's rank as a probability."""
    ratio = scored.features["amount_ratio_30d"].to_numpy()
    return np.asarray(np.argsort(np.argsort(ratio)) / max(ratio.shape[0] - 1, 1), dtype=np.float64)
