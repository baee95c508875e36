"""Model training time: LightGBM with the zoo's defaults (300 trees, 2 threads) on 1M
transactions x all 69 features (budget: <= 30 s on 2 cores). Run with ``make bench``."""

from __future__ import annotations

from typing import Any

import pytest

from fraudforge.engine.scenario import Scenario
from fraudforge.engine.streaming import scan, scan_customers
from fraudforge.features.batch import compute_features
from fraudforge.models.data import ModelData, model_data
from fraudforge.models.training import train_model
from sizes import at_least, size, smoke

ROWS = size(1_000_000, 20_000)
"""Rows to train on (20K in a smoke run)."""
PARAMS = None if not smoke() else {"n_estimators": 20}
"""The zoo's defaults (300 trees); 20 trees in a smoke run."""
ONE_MILLION = Scenario(target_rows=ROWS)


@pytest.fixture(scope="module")
def million() -> ModelData:
    """1M transactions of the default preset with all their features, in time order."""
    tx = scan(ONE_MILLION).collect()
    features, _ = compute_features(tx, scan_customers(ONE_MILLION).collect())
    return model_data(features, tx)


def test_lightgbm_train_1m(benchmark: Any, million: ModelData) -> None:
    """``train_model(kind="lightgbm")`` on 1M rows x 69 features, n_jobs=2."""
    assert at_least(million.X.shape[0], ROWS)
    assert million.X.shape[1] == 69
    model = benchmark.pedantic(lambda: train_model(million, params=PARAMS), rounds=3, iterations=1)
    assert model.estimator.booster_.num_trees() == model.params["n_estimators"]
    benchmark.extra_info["rows"] = int(million.X.shape[0])
    benchmark.extra_info["features"] = int(million.X.shape[1])
    benchmark.extra_info["trees"] = int(model.params["n_estimators"])
