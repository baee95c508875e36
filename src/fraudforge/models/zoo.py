"""The model kinds by name, each an unfitted scikit-learn-compatible estimator with defaults suited
to fraud data: class imbalance handled (class weights, or LightGBM's ``scale_pos_weight``), missing
values accepted, at most two threads. Plus a probability-calibration wrapper fitted on a
time-ordered split."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import (
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    IsolationForest,
    RandomForestClassifier,
)
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from fraudforge.foundation.errors import ConfigError, DataError
from fraudforge.models.artefact import MODEL_KINDS as MODEL_KINDS  # re-exported: named there
from fraudforge.models.options import CALIBRATION_METHODS, CalibrationMethod, refuse_unknown

SUPERVISED_KINDS: tuple[str, ...] = MODEL_KINDS[:-1]
"""Kinds that learn from the labels (isolation forest does not)."""
N_JOBS = 2
"""Threads any model may use (the machine's two cores)."""
MODEL_STEP = "model"
"""Name of the estimator step in a kind's pipeline (logistic: impute, scale, model)."""

Imbalance = Literal["balanced", "none"]

DEFAULTS: dict[str, dict[str, Any]] = {
    "lightgbm": {
        "n_estimators": 300,
        "learning_rate": 0.05,
        "num_leaves": 31,
        "min_child_samples": 20,
        "subsample": 0.8,
        "subsample_freq": 1,
        "colsample_bytree": 0.8,
        "reg_lambda": 1.0,
        "n_jobs": N_JOBS,
        "force_col_wise": True,  # the faster layout for 69 dense features; skips LightGBM's probe
        "verbose": -1,
    },
    "logistic": {"C": 1.0, "l1_ratio": 0.0, "max_iter": 1000, "solver": "lbfgs"},
    "decision_tree": {"max_depth": None, "min_samples_leaf": 1},
    "random_forest": {
        "n_estimators": 200,
        "max_depth": None,
        "min_samples_leaf": 1,
        "max_features": "sqrt",
        "n_jobs": N_JOBS,
    },
    "extra_trees": {
        "n_estimators": 200,
        "max_depth": None,
        "min_samples_leaf": 1,
        "max_features": "sqrt",
        "n_jobs": N_JOBS,
    },
    "hist_gradient_boosting": {
        "max_iter": 300,
        "learning_rate": 0.05,
        "max_leaf_nodes": 31,
        "l2_regularization": 1.0,
        "early_stopping": False,
    },
    "isolation_forest": {"n_estimators": 200, "max_samples": 256, "n_jobs": N_JOBS},
}
"""Default parameters of each kind (overridden by the caller's)."""

LIGHTGBM_EXTRA = {
    "verbose",
    "scale_pos_weight",
    "is_unbalance",
    "max_bin",
    "min_data_in_bin",
    "path_smooth",
    "extra_trees",
    "deterministic",
    "force_col_wise",
    "force_row_wise",
    "min_sum_hessian_in_leaf",
}
"""LightGBM parameters accepted besides LGBMClassifier's own (passed through to the booster)."""

_CLASSES: dict[str, type[BaseEstimator]] = {
    "lightgbm": lgb.LGBMClassifier,
    "logistic": LogisticRegression,
    "decision_tree": DecisionTreeClassifier,
    "random_forest": RandomForestClassifier,
    "extra_trees": ExtraTreesClassifier,
    "hist_gradient_boosting": HistGradientBoostingClassifier,
    "isolation_forest": IsolationForest,
}


def check_kind(kind: str, allowed: tuple[str, ...] = MODEL_KINDS) -> str:
    """``kind`` if known, else an error naming the allowed kinds."""
    if kind not in allowed:
        raise ConfigError(f"unknown model kind `{kind}`: allowed are {', '.join(allowed)}")
    return kind


def final_estimator(estimator: Any) -> Any:
    """The model inside a kind's pipeline (the estimator itself when it is not one)."""
    return estimator[-1] if isinstance(estimator, Pipeline) else estimator


def resolve_params(
    kind: str,
    params: Mapping[str, Any] | None = None,
    *,
    y: npt.ArrayLike | None = None,
    imbalance: Imbalance = "balanced",
    seed: int = 0,
) -> dict[str, Any]:
    """A kind's full parameters: defaults, then ``params``, then imbalance handling and the seed.
    With ``imbalance="balanced"``, classes are weighted inversely to their frequency; LightGBM
    given ``y`` gets ``scale_pos_weight`` = genuine / fraud rows instead."""
    check_kind(kind)
    if imbalance not in ("balanced", "none"):
        raise ConfigError(f"unknown imbalance `{imbalance}`: allowed are balanced, none")
    out = {**DEFAULTS[kind], **dict(params or {})}
    allowed = set(_CLASSES[kind]().get_params()) | (LIGHTGBM_EXTRA if kind == "lightgbm" else set())
    unknown = sorted(set(out) - allowed)
    if unknown:
        raise ConfigError(
            f"unknown parameter(s) {', '.join(unknown)} for model kind `{kind}`: "
            f"allowed are {', '.join(sorted(allowed))}"
        )
    if "random_state" in allowed:
        out.setdefault("random_state", seed)
    if imbalance == "balanced" and kind in SUPERVISED_KINDS:
        user_set = {"class_weight", "scale_pos_weight"} & set(params or {})
        if kind == "lightgbm" and y is not None and not user_set:
            labels = np.asarray(y, dtype=np.bool_)
            positives = int(labels.sum())
            out["scale_pos_weight"] = (labels.size - positives) / max(positives, 1)
        elif not user_set:
            out["class_weight"] = "balanced"
    return out


def make_estimator(kind: str, params: Mapping[str, Any]) -> Any:
    """An unfitted estimator of ``kind`` with exactly ``params`` (see :func:`resolve_params`).
    Logistic regression is a pipeline: median imputation with missing-value indicators, scaling,
    then the model."""
    check_kind(kind)
    model = _CLASSES[kind](**params)
    if kind == "logistic":
        return Pipeline(
            [
                ("impute", SimpleImputer(strategy="median", add_indicator=True)),
                ("scale", StandardScaler()),
                (MODEL_STEP, model),
            ]
        )
    return model


def calibrate(
    estimator: Any,
    X: npt.NDArray[np.float64],  # noqa: N803 - scikit-learn's name
    y: npt.ArrayLike,
    *,
    method: CalibrationMethod = "isotonic",
    share: float = 0.2,
    **fit: Any,
) -> CalibratedClassifierCV:
    """Fit ``estimator`` on the earlier ``1 - share`` of the rows (which must be in time order)
    and calibrate its probabilities on the later ``share``: the calibration set always lies after
    the training set, never drawn at random. ``fit`` goes to the estimator's ``fit`` (e.g.
    LightGBM callbacks). Returns the fitted calibrated classifier.

    Parameters
    ----------
    estimator
        An unfitted scikit-learn classifier.
    X
        The rows' features, in time order.
    y
        The rows' labels.
    method
        ``"isotonic"`` or ``"sigmoid"`` (Platt).
    share
        The later share of the rows the calibration is fitted on, between 0 and 1.
    **fit
        Passed to the estimator's ``fit``.

    Returns
    -------
    sklearn.calibration.CalibratedClassifierCV
        The fitted calibrated classifier.
    """
    refuse_unknown("calibration method", method, CALIBRATION_METHODS)
    if not 0.0 < share < 1.0:
        raise ConfigError(f"calibration `share` = {share}: allowed is strictly between 0 and 1")
    labels = np.asarray(y, dtype=np.bool_)
    cut = round(labels.shape[0] * (1.0 - share))
    fit_y, cal_y = labels[:cut], labels[cut:]
    for part, name in ((fit_y, "training"), (cal_y, "calibration")):
        if part.all() or not part.any():
            raise DataError(
                f"the {name} part of the time-ordered calibration split has one class only: "
                "use more rows or another `share`"
            )
    fitted = estimator.fit(X[:cut], fit_y, **fit)
    return CalibratedClassifierCV(FrozenEstimator(fitted), method=method).fit(X[cut:], cal_y)
