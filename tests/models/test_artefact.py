"""FraudModel: feature selection by name, refusal of missing features, score semantics per kind."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import pytest
from sklearn.ensemble import IsolationForest, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from fraudforge.models import FraudModel, MissingFeaturesError


@dataclass(frozen=True)
class Matrix:
    """A ModelData-like holder: named columns of a float matrix."""

    features: tuple[str, ...]
    X: np.ndarray


def _data(rows: int = 400, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3))
    y = (x[:, 0] + 0.5 * x[:, 2] + rng.normal(scale=0.5, size=rows)) > 1.0
    return x, y


def _logistic() -> tuple[FraudModel, np.ndarray]:
    x, y = _data()
    est = LogisticRegression().fit(x[:, [2, 0]], y)
    return FraudModel(kind="logistic", estimator=est, features=["c", "a"], threshold=0.3), x


def test_frame_and_modeldata_are_reduced_to_the_model_features_by_name() -> None:
    model, x = _logistic()
    expected = model.estimator.predict_proba(x[:, [2, 0]])[:, 1]
    frame = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "extra": np.arange(len(x))})
    np.testing.assert_array_equal(model.score(frame), expected)
    np.testing.assert_array_equal(model.score(Matrix(("a", "b", "c"), x)), expected)
    np.testing.assert_array_equal(model.score(x[:, [2, 0]]), expected)
    np.testing.assert_array_equal(model.predict(frame), expected >= 0.3)


def test_missing_features_are_named() -> None:
    model, x = _logistic()
    frame = pl.DataFrame({"a": x[:, 0], "b": x[:, 1]})
    with pytest.raises(MissingFeaturesError, match=r"lacks 1 feature\(s\) the model reads: c;"):
        model.score(frame)
    with pytest.raises(MissingFeaturesError, match="needs all of its 2 features: c, a"):
        model.score(Matrix(("a",), x[:, :1]))


def test_array_of_the_wrong_width_and_unknown_inputs_are_refused() -> None:
    model, x = _logistic()
    with pytest.raises(ValueError, match="with 2 columns in the model's feature order"):
        model.score(x)
    with pytest.raises(TypeError, match="cannot score a list"):
        model.score([[1.0, 2.0]])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"kind": "xgb"}, "unknown model kind `xgb`: allowed are lightgbm, logistic"),
        ({"features": []}, "at least one feature"),
        ({"features": ["a", "b", "a"]}, "feature list repeats a;"),
        ({"threshold": 1.5}, "threshold 1.5 is out of range: allowed is 0 to 1"),
    ],
)
def test_invalid_construction_is_refused(options: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"kind": "logistic", "estimator": None, "features": ["a"]}
    base.update(options)
    with pytest.raises(ValueError, match=message):
        FraudModel(**base)  # type: ignore[arg-type]


def test_isolation_forest_scores_the_papers_anomaly_score() -> None:
    x, _ = _data()
    est = IsolationForest(n_estimators=20, random_state=0).fit(x)
    model = FraudModel(kind="isolation_forest", estimator=est, features=["a", "b", "c"])
    score = model.score(x)
    np.testing.assert_allclose(score, -est.score_samples(x))
    assert score.min() > 0.0
    assert score.max() <= 1.0
    far = np.array([[8.0, 8.0, 8.0]])
    assert model.score(far)[0] > np.quantile(score, 0.99)


def test_hard_voting_scores_the_weighted_share_of_members_voting_fraud() -> None:
    x, y = _data()
    members = [
        ("lr", LogisticRegression()),
        ("stump", DecisionTreeClassifier(max_depth=1, random_state=0)),
        ("tree", DecisionTreeClassifier(max_depth=4, random_state=0)),
    ]
    est = VotingClassifier(members, voting="hard", weights=[2, 1, 1]).fit(x, y)
    model = FraudModel(kind="voting_hard", estimator=est, features=["a", "b", "c"])
    votes = np.column_stack([m.predict(x) for m in est.estimators_]).astype(float)
    expected = (2 * votes[:, 0] + votes[:, 1] + votes[:, 2]) / 4
    np.testing.assert_array_equal(model.score(x), expected)
    # the majority decision of scikit-learn is the share > 1/2 (ties at 1/2 go to the lower class)
    np.testing.assert_array_equal(est.predict(x), expected > 0.5)


def test_a_classifier_fitted_on_one_class_is_refused() -> None:
    x, _ = _data()
    est = DecisionTreeClassifier().fit(x, np.zeros(len(x), dtype=bool))
    model = FraudModel(kind="decision_tree", estimator=est, features=["a", "b", "c"])
    with pytest.raises(ValueError, match="have no fraud class"):
        model.score(x)
