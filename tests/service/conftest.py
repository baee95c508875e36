"""Shared fixtures of the service tests: one small generated scenario with its features and a
LightGBM model trained on them, built once per session."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl
import pytest
from threadpoolctl import threadpool_limits

from fraudforge.engine.scan import scan, scan_customers
from fraudforge.engine.scenario import Scenario
from fraudforge.features import compute_features
from fraudforge.features.outlier import OutlierModel
from fraudforge.models import FraudModel, ModelData, model_data, train_model

SERVICE_SMALL = Scenario(customers=1_500, days=30, fraud_rate=0.05, anomaly_rate=0.04, seed=23)
"""About 70k transactions over 30 days: every fraud type, a model worth explaining."""


@dataclass(frozen=True)
class Served:
    """A scenario's tables, its features and a LightGBM model trained on them."""

    transactions: pl.DataFrame
    customers: pl.DataFrame
    outlier: OutlierModel
    data: ModelData
    model: FraudModel


@pytest.fixture(scope="session", autouse=True)
def one_openmp_thread() -> Iterator[None]:
    """One OpenMP/BLAS thread: spinning workers slow small fits on a loaded two-core machine."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="session")
def served() -> Served:
    """SERVICE_SMALL with a 60-tree LightGBM model on a subset of the features."""
    transactions = scan(SERVICE_SMALL).collect().sort("timestamp", "transaction_id")
    customers = scan_customers(SERVICE_SMALL).collect()
    features, outlier = compute_features(transactions, customers)
    data = model_data(features, transactions)
    picked = data.features[::2]  # a subset in a different order than the online layout
    model = train_model(
        data,
        features=picked[::-1],
        params={"n_estimators": 60, "num_leaves": 15, "min_child_samples": 10},
        name="fraud-lightgbm",
    )
    return Served(transactions, customers, outlier, data, model)
