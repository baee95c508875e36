"""No label leakage: the features read labels only through the delayed-label rates, and those only
once ``label_known_at`` has passed. The outlier model is held fixed so only the inputs change."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_series_equal

from fraudforge.engine.scenario import Scenario
from fraudforge.engine.schema import LABEL_COLUMNS
from fraudforge.engine.streaming import scan, scan_customers
from fraudforge.features.batch import compute_features
from fraudforge.features.catalog import DELAYED_LABEL_FEATURES, FEATURE_NAMES
from fraudforge.features.outlier import OutlierModel

SMALL = Scenario(customers=400, days=30, seed=5)
LABEL_FREE = tuple(name for name in FEATURE_NAMES if name not in DELAYED_LABEL_FEATURES)
RATES = ("merchant_fraud_rate", "device_fraud_rate")


@pytest.fixture(scope="module")
def data() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Transactions and customers of a small generated scenario."""
    return scan(SMALL).collect(), scan_customers(SMALL).collect()


@pytest.fixture(scope="module")
def baseline(
    data: tuple[pl.DataFrame, pl.DataFrame],
) -> tuple[pl.DataFrame, OutlierModel]:
    """Features of the unchanged data and the outlier model fitted on them."""
    tx, customers = data
    return compute_features(tx, customers, with_labels=False)


def by_id(features: pl.DataFrame) -> pl.DataFrame:
    """Rows in transaction_id order, so frames of the same transactions line up."""
    return features.sort("transaction_id")


def changed(a: pl.DataFrame, b: pl.DataFrame, name: str) -> int:
    """Number of rows where a feature differs between two aligned frames."""
    return int((a[name] != b[name]).sum())


def test_delayed_label_features_are_the_documented_five() -> None:
    """Exactly merchant_fraud_rate, merchant_fraud_7d, merchant_fraud_30d, device_fraud_rate and
    merchant_risk_x_amount read labels."""
    assert set(DELAYED_LABEL_FEATURES) == {
        "merchant_fraud_rate",
        "merchant_fraud_7d",
        "merchant_fraud_30d",
        "device_fraud_rate",
        "merchant_risk_x_amount",
    }
    assert set(DELAYED_LABEL_FEATURES) <= set(FEATURE_NAMES)


def test_shuffled_labels_change_only_the_delayed_label_features(
    data: tuple[pl.DataFrame, pl.DataFrame], baseline: tuple[pl.DataFrame, OutlierModel]
) -> None:
    """Permuting all label columns together across rows leaves every other feature unchanged."""
    tx, customers = data
    base, model = baseline
    labels = list(LABEL_COLUMNS)
    assert {"is_fraud", "fraud_type", "fraud_scenario_id", "is_anomaly", "anomaly_type"} <= set(
        labels
    )
    assert {"anomaly_severity", "label_known_at"} <= set(labels)
    perm = np.random.default_rng(3).permutation(tx.height)
    # One permutation for every label column: label_known_at stays paired with is_fraud.
    shuffled_tx = tx.with_columns(tx.select(labels)[perm])
    assert not shuffled_tx["is_fraud"].equals(tx["is_fraud"])
    shuffled, _ = compute_features(shuffled_tx, customers, outlier=model, with_labels=False)
    a, b = by_id(base), by_id(shuffled)
    assert a["transaction_id"].equals(b["transaction_id"])
    for name in LABEL_FREE:
        assert_series_equal(a[name], b[name], check_exact=True)
    # The check is not vacuous: the labels do reach the delayed-label features.
    assert all(changed(a, b, name) > 0 for name in DELAYED_LABEL_FEATURES)


def test_outlier_model_ignores_labels(
    data: tuple[pl.DataFrame, pl.DataFrame], baseline: tuple[pl.DataFrame, OutlierModel]
) -> None:
    """Fitting the outlier model on data with shuffled labels learns the same model."""
    tx, customers = data
    _, model = baseline
    perm = np.random.default_rng(4).permutation(tx.height)
    labels = list(LABEL_COLUMNS)
    _, refit = compute_features(tx.with_columns(tx.select(labels)[perm]), customers)
    assert refit == model


def test_labels_known_after_the_period_give_zero_fraud_rates(
    data: tuple[pl.DataFrame, pl.DataFrame], baseline: tuple[pl.DataFrame, OutlierModel]
) -> None:
    """With every fraud confirmed only after the period, the delayed-label rates are all zero."""
    tx, customers = data
    base, model = baseline
    assert (base["merchant_fraud_rate"] > 0).any()
    assert (base["device_fraud_rate"] > 0).any()
    end = tx["timestamp"].max()
    assert isinstance(end, dt.datetime)
    late = tx.with_columns(
        pl.when(pl.col("is_fraud"))
        .then(pl.lit(end + dt.timedelta(days=365), dtype=pl.Datetime("us")))
        .otherwise(pl.col("label_known_at"))
        .alias("label_known_at")
    )
    assert late["label_known_at"].filter(late["is_fraud"]).min() == end + dt.timedelta(days=365)
    got, _ = compute_features(late, customers, outlier=model, with_labels=False)
    for name in DELAYED_LABEL_FEATURES:
        assert (got[name] == 0.0).all(), f"{name}: {int((got[name] != 0.0).sum())} rows non-zero"
    a, b = by_id(base), by_id(got)
    for name in LABEL_FREE:
        assert_series_equal(a[name], b[name], check_exact=True)
