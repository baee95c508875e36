"""Feature selection: exact behaviour on constructed inputs, and the selected list carried by the
trained model."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

from fraudforge.models.data import ModelData
from fraudforge.models.selection import (
    CorrelationFilter,
    ImportanceSelector,
    L1Selector,
    importances,
    select_features,
)
from fraudforge.models.training import train_model

Split = tuple[ModelData, ModelData, ModelData]


def _signal(rows: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Six columns: y depends on column 0 only."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 6))
    y = x[:, 0] + 0.3 * rng.normal(size=rows) > 1.0
    return x, y


def test_correlation_filter_keeps_the_first_of_correlated_features() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(size=200)
    x = np.column_stack([a, 2 * a + 1, rng.normal(size=200), np.full(200, 3.0), -a])
    x[::10, 2] = np.nan
    f = CorrelationFilter(threshold=0.9).fit(x)
    assert f.get_support().tolist() == [True, False, True, False, False]
    assert f.dropped_ == {1: 0, 3: -1, 4: 0}
    assert f.transform(x).shape == (200, 2)
    with pytest.raises(ValueError, match="`threshold` = 0"):
        CorrelationFilter(threshold=0).fit(x)


def test_l1_and_importance_find_the_informative_column() -> None:
    x, y = _signal()
    l1 = L1Selector(C=0.01).fit(x, y)
    assert l1.get_support()[0]
    assert int(l1.get_support().sum()) < 6
    assert int(np.argmax(l1.coef_)) == 0
    tree = ImportanceSelector(kind="decision_tree", n_features=1).fit(x, y)
    assert tree.get_support().tolist() == [True] + [False] * 5
    assert tree.ranking_[0] == 1
    assert sorted(tree.ranking_.tolist()) == [1, 2, 3, 4, 5, 6]


def test_importances_per_model_family() -> None:
    x, y = _signal()
    for kind in ("lightgbm", "random_forest", "logistic"):
        params = {"n_estimators": 20} if kind != "logistic" else {}
        model = train_model(
            ModelData(
                features=tuple(f"f{i}" for i in range(6)), X=x, y=y,
                t=np.arange(600, dtype=np.int64), customer_id=np.arange(600),
                card_id=np.arange(600), amount=np.ones(600),
                fraud_type=np.full(600, "none"), anomaly_type=np.full(600, "none"),
                label_known_at=np.zeros(600, dtype=np.int64),
                transaction_id=np.arange(600, dtype=np.int64),
            ),
            kind=kind, params=params,
        )  # fmt: skip
        imp = importances(model.estimator)
        assert imp.shape == (6,)
        assert int(np.argmax(imp)) == 0, kind


@pytest.mark.parametrize("method", ["importance", "rfe", "l1", "correlation"])
def test_selected_features_are_the_models_features(method: str, small_split: Split) -> None:
    train, _, test = small_split
    table: dict[str, dict[str, Any]] = {
        "importance": {"n_features": 10, "params": {"n_estimators": 30, "n_jobs": 1}},
        "rfe": {"n_features": 8, "kind": "decision_tree", "params": {"max_depth": 6}, "step": 20},
        "l1": {"C": 0.002},
        "correlation": {"threshold": 0.9},
    }
    options = table[method]
    sel = select_features(train, method=method, **options)  # type: ignore[arg-type]
    assert set(sel.features) | set(sel.dropped) == set(train.features)
    assert list(sel.features) == [f for f in train.features if f in sel.features]
    if method in ("importance", "rfe"):
        assert len(sel.features) == options["n_features"]
    else:
        assert 1 <= len(sel.features) < len(train.features)
    model = train_model(train, kind="logistic", features=sel.features)
    assert model.features == sel.features
    frame = pl.DataFrame(test.X, schema=list(test.features), orient="row")
    np.testing.assert_allclose(model.score(frame), model.score(test))


def test_selection_errors(small_split: Split) -> None:
    train, _, _ = small_split
    with pytest.raises(ValueError, match="unknown selection method `pca`"):
        select_features(train, method="pca")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="RFE to 80 features needs more than the 69 given"):
        select_features(train, method="rfe", n_features=80)
