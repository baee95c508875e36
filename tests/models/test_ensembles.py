"""Ensembles: what each combines, that the stacking split is time-ordered, and that the reported
gain is measured against the members on the same validation rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from fraudforge.models.data import ModelData
from fraudforge.models.ensembles import build_ensemble
from fraudforge.models.metrics import metric_value

Split = tuple[ModelData, ModelData, ModelData]
FAST: dict[str, dict[str, Any]] = {
    "lightgbm": {"n_estimators": 40, "n_jobs": 1},
    "decision_tree": {"max_depth": 5},
    "logistic": {},
}
MEMBERS = ("lightgbm", "decision_tree", "logistic")


def _check_report(report: Any, validation: ModelData) -> None:
    assert report.score == pytest.approx(
        metric_value(report.metric, validation, report.model.score(validation))
    )
    best = max(report.members.values())
    assert report.members[report.best_member] == best
    assert report.gain == pytest.approx(report.score - best)


def test_soft_voting_averages_the_members_probabilities(small_split: Split) -> None:
    train, validation, _ = small_split
    report = build_ensemble(train, validation, kind="voting_soft", members=MEMBERS, params=FAST)
    assert report.model.kind == "voting_soft"
    assert set(report.members) == set(MEMBERS)
    members = report.model.estimator.named_estimators_
    mean = np.mean([members[m].predict_proba(validation.X)[:, 1] for m in MEMBERS], axis=0)
    np.testing.assert_allclose(report.model.score(validation), mean)
    _check_report(report, validation)


def test_hard_voting_scores_the_share_of_votes(small_split: Split) -> None:
    train, validation, _ = small_split
    report = build_ensemble(train, validation, kind="voting_hard", members=MEMBERS, params=FAST)
    members = report.model.estimator.named_estimators_
    votes = np.mean([members[m].predict(validation.X) == 1 for m in MEMBERS], axis=0)
    np.testing.assert_allclose(report.model.score(validation), votes)
    assert set(np.round(report.model.score(validation) * 3).tolist()) <= {0.0, 1.0, 2.0, 3.0}
    _check_report(report, validation)


def test_stacking_fits_members_on_earlier_rows_and_the_meta_learner_on_later(
    small_split: Split,
) -> None:
    train, validation, _ = small_split
    report = build_ensemble(
        train, validation, kind="stacking", members=("decision_tree", "logistic"), params=FAST,
        metric="roc_auc",
    )  # fmt: skip
    stack = report.model.estimator
    tree = stack.estimators_[0].estimator
    cut = round(len(train) * 0.7)
    assert tree.tree_.n_node_samples[0] == cut
    assert stack.final_estimator_[-1].coef_.shape == (1, 2)
    _check_report(report, validation)


def test_bagging_compares_with_its_base_model(small_split: Split) -> None:
    train, validation, _ = small_split
    report = build_ensemble(
        train, validation, kind="bagging", members=("decision_tree",), params=FAST,
        bagging_estimators=6, metric="card_precision_at_k",
    )  # fmt: skip
    assert len(report.model.estimator.estimators_) == 6
    assert list(report.members) == ["decision_tree"]
    _check_report(report, validation)


def test_ensemble_errors(small_split: Split) -> None:
    train, validation, _ = small_split
    with pytest.raises(ValueError, match="unknown ensemble kind `boosting`"):
        build_ensemble(train, validation, kind="boosting")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="member kinds repeat"):
        build_ensemble(train, validation, members=("logistic", "logistic"))
    with pytest.raises(ValueError, match="unknown model kind `isolation_forest`"):
        build_ensemble(train, validation, members=("isolation_forest",))
