"""Safe model files: every kind round-trips to identical scores; altered or untrusted files are
refused before anything is deserialised."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import (
    BaggingClassifier,
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    IsolationForest,
    RandomForestClassifier,
    StackingClassifier,
    VotingClassifier,
)
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from fraudforge.engine.errors import OutputExistsError
from fraudforge.models import FraudModel
from fraudforge.models._lightgbm import BoosterClassifier
from fraudforge.models._store import ArtefactError, load_model, save_model

FEATURES = ("a", "b", "c", "d")


def _xy(*, nan: bool = False, rows: int = 800, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, len(FEATURES)))
    if nan:  # the real features carry NaN too (secs_since_prev_txn)
        x[rng.random(rows) < 0.05, 3] = np.nan
    y = (x[:, 0] - 0.7 * x[:, 1] + rng.normal(scale=0.7, size=rows)) > 1.2
    return x, y


def _lgbm(**params: Any) -> lgb.LGBMClassifier:
    return lgb.LGBMClassifier(n_estimators=25, num_leaves=7, verbose=-1, **params)


BUILDERS: dict[str, Callable[[], Any]] = {
    "lightgbm": lambda: _lgbm(class_weight={False: 1.0, True: 4.0}),
    "logistic": lambda: make_pipeline(
        SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(C=0.5)
    ),
    "decision_tree": lambda: DecisionTreeClassifier(max_depth=4, random_state=0),
    "random_forest": lambda: RandomForestClassifier(n_estimators=8, random_state=0),
    "extra_trees": lambda: ExtraTreesClassifier(n_estimators=8, random_state=0),
    "hist_gradient_boosting": lambda: HistGradientBoostingClassifier(max_iter=15),
    "isolation_forest": lambda: IsolationForest(n_estimators=15, random_state=0),
    "voting_soft": lambda: VotingClassifier(
        [("gbm", _lgbm()), ("lr", LogisticRegression())], voting="soft"
    ),
    "voting_hard": lambda: VotingClassifier(
        [("gbm", _lgbm()), ("tree", DecisionTreeClassifier(max_depth=3)), ("gbm2", _lgbm())],
        voting="hard",
    ),
    "stacking": lambda: StackingClassifier(
        [("gbm", _lgbm()), ("tree", DecisionTreeClassifier(max_depth=3))],
        final_estimator=LogisticRegression(),
        cv=3,
    ),
    "bagging": lambda: BaggingClassifier(_lgbm(), n_estimators=3, random_state=0),
    "calibrated": lambda: CalibratedClassifierCV(_lgbm(), method="isotonic", cv=3),
}


def _imputed(kind: str, x: np.ndarray) -> np.ndarray:
    """Estimators without NaN support see NaN as 0 (the zoo's pipelines impute likewise)."""
    nan_ok = {"lightgbm", "logistic", "hist_gradient_boosting", "bagging", "calibrated"}
    return x if kind in nan_ok else np.nan_to_num(x)


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_every_kind_round_trips_to_identical_scores(kind: str, tmp_path: Path) -> None:
    x, y = _xy(nan=True)
    x = _imputed(kind, x)
    estimator = BUILDERS[kind]().fit(x, y)
    params = {"learning_rate": 0.05, "class_weight": {False: 1, True: 9}, "depths": (2, None)}
    model = FraudModel(
        kind=kind, estimator=estimator, features=FEATURES, params=params, threshold=0.4, name="m"
    )
    save_model(model, tmp_path / "m")
    back = load_model(tmp_path / "m")
    np.testing.assert_array_equal(back.score(x), model.score(x))
    assert back.kind == kind
    assert back.features == FEATURES
    assert back.threshold == 0.4
    assert back.name == "m"
    assert back.params == {
        "learning_rate": 0.05,
        "class_weight": {False: 1, True: 9},
        "depths": [2, None],
    }


def test_a_bare_booster_is_lightgbm_text_and_scores_as_the_classifier(tmp_path: Path) -> None:
    x, y = _xy()
    estimator = _lgbm().fit(x, y)
    model = FraudModel(kind="lightgbm", estimator=estimator, features=FEATURES)
    save_model(model, tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "member-000.lgb.txt",
        "model.json",
    ]
    text = (tmp_path / "m" / "member-000.lgb.txt").read_text()
    assert text.startswith("tree\nversion=")
    back = load_model(tmp_path / "m")
    assert isinstance(back.estimator, BoosterClassifier)
    np.testing.assert_array_equal(back.estimator.predict(x), estimator.predict(x))
    np.testing.assert_array_equal(
        back.estimator.decision_function(x), estimator.decision_function(x)
    )
    np.testing.assert_array_equal(
        back.estimator.feature_importances_, estimator.feature_importances_
    )
    # a loaded model saves again (its booster text is kept) and still scores the same
    save_model(back, tmp_path / "again")
    np.testing.assert_array_equal(load_model(tmp_path / "again").score(x), model.score(x))


def test_an_ensemble_keeps_shared_members_shared(tmp_path: Path) -> None:
    x, y = _xy()
    estimator = BUILDERS["voting_soft"]().fit(x, y)
    save_model(
        FraudModel(kind="voting_soft", estimator=estimator, features=FEATURES), tmp_path / "m"
    )
    spec = json.loads((tmp_path / "m" / "model.json").read_text())
    # one template (parameters only) and one fitted booster, referenced from estimators_ and
    # named_estimators_ alike
    assert [sorted(m) for m in spec["members"]] == [
        ["params"],
        ["classes", "file", "importance_type"],
    ]
    back = load_model(tmp_path / "m").estimator
    assert back.estimators_[0] is back.named_estimators_["gbm"]
    assert isinstance(back.estimators[0][1], lgb.LGBMClassifier)
    assert back.estimators[0][1].get_params()["num_leaves"] == 7


def test_calibration_of_a_prefitted_booster_round_trips(tmp_path: Path) -> None:
    x, y = _xy()
    booster = _lgbm().fit(x[:500], y[:500])
    calibrated = CalibratedClassifierCV(FrozenEstimator(booster), method="sigmoid")
    calibrated.fit(x[500:], y[500:])
    model = FraudModel(kind="calibrated", estimator=calibrated, features=FEATURES)
    save_model(model, tmp_path / "m")
    np.testing.assert_array_equal(load_model(tmp_path / "m").score(x), model.score(x))


def _saved(tmp_path: Path, kind: str = "voting_soft") -> Path:
    x, y = _xy()
    model = FraudModel(kind=kind, estimator=BUILDERS[kind]().fit(x, y), features=FEATURES)
    return save_model(model, tmp_path / "m")


@pytest.mark.parametrize("name", ["member-001.lgb.txt", "estimator.skops"])
def test_a_changed_byte_is_refused(tmp_path: Path, name: str) -> None:
    path = _saved(tmp_path) / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ArtefactError, match=f"{name} has sha256 .* altered or corrupted"):
        load_model(path.parent)


def test_a_missing_file_and_a_damaged_spec_are_refused(tmp_path: Path) -> None:
    directory = _saved(tmp_path)
    (directory / "member-001.lgb.txt").unlink()
    with pytest.raises(ArtefactError, match=r"lacks member-001\.lgb\.txt: refusing to load"):
        load_model(directory)
    (directory / "model.json").write_text("{not json")
    with pytest.raises(ArtefactError, match="not valid JSON"):
        load_model(directory)
    (directory / "model.json").unlink()
    with pytest.raises(ArtefactError, match="missing: not a saved fraudforge model"):
        load_model(directory)


class Custom(LogisticRegression):  # type: ignore[misc]
    """A type outside the trusted list."""


def test_an_untrusted_type_is_refused_before_loading(tmp_path: Path) -> None:
    x, y = _xy()
    model = FraudModel(kind="logistic", estimator=Custom().fit(x, y), features=FEATURES)
    directory = save_model(model, tmp_path / "m")
    with pytest.raises(ArtefactError, match=r"types outside the trusted list: tests\.models\."):
        load_model(directory)


def _not_json() -> None:
    """A parameter value no JSON spec can hold."""


def test_save_is_atomic_and_refuses_a_non_empty_target(tmp_path: Path) -> None:
    directory = _saved(tmp_path, "logistic")
    before = {p.name: p.read_bytes() for p in directory.iterdir()}
    x, y = _xy()
    bad = FraudModel(
        kind="logistic",
        estimator=LogisticRegression().fit(x, y),
        features=FEATURES,
        params={"callback": _not_json},
    )
    with pytest.raises(OutputExistsError):
        save_model(bad, directory)
    with pytest.raises(ArtefactError, match="cannot store the value <function _not_json at"):
        save_model(bad, directory, overwrite=True)
    assert {p.name: p.read_bytes() for p in directory.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
