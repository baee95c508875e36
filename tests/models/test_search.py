"""Hyper-parameter search: grid and random points, the three methods on real folds, the results
table and its exports."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from fraudforge.models.data import ModelData
from fraudforge.models.metrics import metric_value
from fraudforge.models.search import (
    SPACES,
    Choice,
    Range,
    Space,
    cv_folds,
    grid_points,
    sample_point,
    search,
)
from fraudforge.models.training import train_model

FEW = ("amount_zscore_30d", "txn_count_24h", "merchant_fraud_rate", "new_device_x_amount", "hour")


@pytest.fixture(scope="module")
def few(small_data: ModelData) -> ModelData:
    """The small scenario on five features (fast fits)."""
    return small_data.select(FEW)


def test_grid_points_are_the_product_of_the_grids() -> None:
    space: Space = {
        "a": Range(1, 9, (1, 5), integer=True),
        "b": Choice(("x", None)),
        "c": Range(0, 1, (0.5,)),
    }
    assert grid_points(space) == [
        {"a": 1, "b": "x", "c": 0.5},
        {"a": 1, "b": None, "c": 0.5},
        {"a": 5, "b": "x", "c": 0.5},
        {"a": 5, "b": None, "c": 0.5},
    ]
    assert len(grid_points(SPACES["lightgbm"])) == 2 * 2 * 2


def test_random_points_stay_in_their_ranges_and_repeat_with_the_seed() -> None:
    space = SPACES["lightgbm"]
    draws = [sample_point(space, np.random.default_rng(3)) for _ in range(2)]
    assert draws[0] == draws[1]
    rng = np.random.default_rng(0)
    points = [sample_point(space, rng) for _ in range(200)]
    rates = np.array([p["learning_rate"] for p in points])
    assert rates.min() >= 0.01
    assert rates.max() <= 0.2
    # log-uniform: about half the draws below the geometric mean of the bounds
    assert 0.35 < (rates < math.sqrt(0.01 * 0.2)).mean() < 0.65
    leaves = [p["num_leaves"] for p in points]
    assert all(isinstance(v, int) and 15 <= v <= 127 for v in leaves)


def test_grid_search_scores_are_the_folds_metric(few: ModelData) -> None:
    space = {"max_depth": Choice((1, 6))}
    result = search(
        few, kind="decision_tree", method="grid", space=space, metric="roc_auc",
        n_splits=2, gap_days=3, test_days=5,
    )  # fmt: skip
    assert [t.params["max_depth"] for t in result.trials] == [1, 6]
    assert result.best_params == {"max_depth": 6}
    # recompute the best trial's second fold by hand
    train, valid = cv_folds(few, n_splits=2, gap_days=3, test_days=5)[1]
    model = train_model(few.subset(train), kind="decision_tree", params={"max_depth": 6})
    held = few.subset(valid)
    expected = metric_value("roc_auc", held, model.score(held))
    assert result.best.fold_scores[1] == pytest.approx(expected)
    table = result.table
    assert table.columns[:3] == ["trial", "state", "max_depth"]
    assert table["max_depth"].to_list() == [6, 1]
    assert table["mean_roc_auc"][0] > table["mean_roc_auc"][1]


def test_random_search_in_parallel_and_exports(few: ModelData, tmp_path: Path) -> None:
    result = search(
        few, kind="logistic", method="random", n_trials=4, n_jobs=2, metric="card_precision_at_k",
        n_splits=2, gap_days=3, test_days=5, k=20, seed=1,
    )  # fmt: skip
    assert sorted(t.number for t in result.trials) == [0, 1, 2, 3]
    means = result.table["mean_card_precision_at_k"].to_list()
    assert means == sorted(means, reverse=True)
    csv = pl.read_csv(result.write_csv(tmp_path / "out" / "search.csv"))
    assert csv.shape == result.table.shape
    assert csv["C"].to_list() == pytest.approx(result.table["C"].to_list())
    md = result.write_markdown(tmp_path / "search.md").read_text()
    assert json.dumps(result.best_params, sort_keys=True) in md
    assert md.count("\n| ") == 4 + 1  # header and one row per trial
    assert not list(tmp_path.glob("**/.*tmp*"))


def test_bayes_search_with_pruning(few: ModelData) -> None:
    space: Space = {
        "max_depth": Choice((1, 2, 8)),
        "min_samples_leaf": Range(1, 100, (1,), log=True, integer=True),
    }
    result = search(
        few, kind="decision_tree", method="bayes", space=space, n_trials=8, metric="roc_auc",
        n_splits=3, gap_days=2, test_days=4, seed=2,
    )  # fmt: skip
    assert len(result.trials) == 8
    assert result.method == "bayes"
    for t in result.trials:
        assert t.state in ("complete", "pruned")
        if t.state == "pruned":
            assert len(t.fold_scores) < 3
            assert math.isnan(t.mean)
        else:
            assert len(t.fold_scores) == 3
    # The best is the completed trial with the highest mean score (which depth wins depends on
    # the data: on the realistic preset shallow trees can beat deep ones).
    complete = [t for t in result.trials if t.state == "complete"]
    assert result.best.mean == max(t.mean for t in complete)
    assert result.best.params["max_depth"] in (1, 2, 8)
    assert set(result.table["state"].to_list()) <= {"complete", "pruned"}


def test_stratified_folds_keep_the_fraud_share(few: ModelData) -> None:
    folds = cv_folds(few, cv="stratified", n_splits=4, seed=0)
    share = few.y.mean()
    for train, valid in folds:
        assert abs(few.y[valid].mean() - share) < 0.002
        assert np.intersect1d(train, valid).size == 0


def test_search_refuses_unknown_names(few: ModelData) -> None:
    with pytest.raises(ValueError, match="unknown metric `auc`: allowed are roc_auc"):
        search(few, metric="auc")
    with pytest.raises(ValueError, match="unknown search method `tpe`"):
        search(few, method="tpe")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown cross-validation `kfold`"):
        search(few, cv="kfold")  # type: ignore[arg-type]
