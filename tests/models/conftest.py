"""Shared fixtures of the models tests: one small generated scenario with its features, built once
per session."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
import pytest
from threadpoolctl import threadpool_limits

from fraudforge.engine.scenario import Scenario
from fraudforge.engine.streaming import scan, scan_customers
from fraudforge.features import compute_features
from fraudforge.models.data import ModelData, model_data
from fraudforge.models.splits import time_split

MODELS_SMALL = Scenario(customers=1_500, days=30, fraud_rate=0.05, anomaly_rate=0.04, seed=11)
"""About 70k transactions over 30 days: enough for time splits and every fraud type."""


@pytest.fixture(scope="session", autouse=True)
def one_openmp_thread() -> Iterator[None]:
    """OpenMP and BLAS pools of one thread: on a loaded two-core machine, spinning OpenMP workers
    slow small fits many times over."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="session")
def small_tables() -> tuple[pl.DataFrame, pl.DataFrame]:
    """MODELS_SMALL's transactions and features tables."""
    transactions = scan(MODELS_SMALL).collect()
    features, _ = compute_features(transactions, scan_customers(MODELS_SMALL).collect())
    return transactions, features


@pytest.fixture(scope="session")
def small_data(small_tables: tuple[pl.DataFrame, pl.DataFrame]) -> ModelData:
    """MODELS_SMALL as ModelData (every feature, time order)."""
    transactions, features = small_tables
    return model_data(features, transactions)


@pytest.fixture(scope="session")
def small_split(small_data: ModelData) -> tuple[ModelData, ModelData, ModelData]:
    """MODELS_SMALL split by time: 16 training days, 3-day gaps, 4 validation and 4 test days."""
    s = time_split(small_data, validation_days=4, test_days=4, gap_days=3)
    return small_data.subset(s.train), small_data.subset(s.validation), small_data.subset(s.test)
