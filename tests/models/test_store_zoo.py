"""Every model the package builds (the zoo's kinds, calibrated, the four ensembles) round-trips
through the registry to identical scores on real features."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fraudforge.models import FraudModel
from fraudforge.models.data import ModelData
from fraudforge.models.ensembles import ENSEMBLE_KINDS, build_ensemble
from fraudforge.models.registry import Registry
from fraudforge.models.training import train_model
from fraudforge.models.zoo import MODEL_KINDS

SMALL: dict[str, dict[str, Any]] = {
    "lightgbm": {"n_estimators": 20, "num_leaves": 15, "n_jobs": 1},
    # one job: scikit-learn's threaded forests sum tree probabilities in a varying order, so two
    # predictions of the same in-memory forest can differ in the last bit
    "random_forest": {"n_estimators": 8, "max_depth": 8, "n_jobs": 1},
    "extra_trees": {"n_estimators": 8, "max_depth": 8, "n_jobs": 1},
    "hist_gradient_boosting": {"max_iter": 10},
    "isolation_forest": {"n_estimators": 20},
    "decision_tree": {"max_depth": 6},
}
"""Small models: the test is about their files, not their quality."""


@pytest.fixture(scope="module")
def parts(small_data: ModelData) -> tuple[ModelData, ModelData]:
    """The first 10,000 rows to train on and the next 3,000 to validate and score."""
    return small_data.subset(np.arange(10_000)), small_data.subset(np.arange(10_000, 13_000))


def _round_trip(model: FraudModel, score_on: ModelData, root: Path) -> None:
    reg = Registry(root)
    version = reg.register(model, name=model.kind.replace("_", "-"))
    back = reg.load(version.name, version.version, check_catalog=True)
    assert back.kind == model.kind
    assert back.features == model.features
    np.testing.assert_array_equal(back.score(score_on), model.score(score_on))


@pytest.mark.parametrize("kind", [*MODEL_KINDS, "calibrated"])
def test_trained_models_round_trip(
    kind: str, parts: tuple[ModelData, ModelData], tmp_path: Path
) -> None:
    train, valid = parts
    base = "lightgbm" if kind == "calibrated" else kind
    model = train_model(train, kind=base, params=SMALL.get(base), calibrate=kind == "calibrated")
    _round_trip(model, valid, tmp_path)


@pytest.mark.parametrize("kind", ENSEMBLE_KINDS)
def test_ensembles_round_trip(
    kind: str, parts: tuple[ModelData, ModelData], tmp_path: Path
) -> None:
    train, valid = parts
    report = build_ensemble(
        train,
        valid,
        kind=kind,  # type: ignore[arg-type]
        members=("lightgbm", "logistic", "decision_tree"),
        params=SMALL,
        bagging_estimators=3,
        features=train.features[:30],  # a selected subset, honoured after loading
    )
    assert len(report.model.features) == 30
    _round_trip(report.model, valid, tmp_path)
