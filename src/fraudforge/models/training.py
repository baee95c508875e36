"""Fit one model of a named kind on ModelData, on exactly the features asked for, and pick an
alert threshold on validation data."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from fraudforge.foundation.errors import ConfigError, DataError
from fraudforge.foundation.progress import ProgressFn, ignore
from fraudforge.models import zoo
from fraudforge.models.artefact import FraudModel
from fraudforge.models.data import ModelData
from fraudforge.models.metrics import Costs
from fraudforge.models.options import (
    THRESHOLD_RULES,
    CalibrationMethod,
    ThresholdRule,
    refuse_unknown,
)
from fraudforge.models.zoo import Imbalance, check_kind, make_estimator, resolve_params

ROUNDS_STEP = "boosting"
"""The progress step of a LightGBM fit, counted in rounds."""


def _require_classes(data: ModelData, kind: str) -> None:
    if kind == "isolation_forest":
        return
    if data.y.all() or not data.y.any():
        raise DataError(
            f"cannot train `{kind}` on {len(data)} rows with one class only "
            f"({int(data.y.sum())} fraud): the training period needs fraud and genuine rows"
        )


def train_model(
    data: ModelData,
    *,
    kind: str = "lightgbm",
    params: Mapping[str, Any] | None = None,
    features: Sequence[str] | None = None,
    calibrate: bool | CalibrationMethod = False,
    calibrate_share: float = 0.2,
    imbalance: Imbalance = "balanced",
    seed: int = 0,
    threshold: float = 0.5,
    name: str | None = None,
    progress: ProgressFn = ignore,
) -> FraudModel:
    """A FraudModel of ``kind`` fitted on ``data`` (rows in time order), reading ``features``
    (default: all of ``data``'s). ``calibrate`` (True: isotonic, or ``"sigmoid"``) wraps it in a
    probability calibration fitted on the last ``calibrate_share`` of the rows (kind
    ``calibrated``); isolation forest ignores the labels. A LightGBM fit reports its boosting
    rounds to ``progress`` (``ROUNDS_STEP``).

    Parameters
    ----------
    data
        The training rows, in time order, with their labels.
    kind
        A model kind of ``MODEL_KINDS`` (``lightgbm``, ``logistic``, ``random_forest``, ...;
        ``isolation_forest`` ignores the labels).
    params
        The estimator's parameters over the zoo's defaults for ``kind``.
    features
        The features to read (default: all of ``data``'s), in this order.
    calibrate
        False, True (isotonic) or ``"isotonic"`` / ``"sigmoid"``.
    calibrate_share
        The last share of the rows that the calibration is fitted on.
    imbalance
        ``"balanced"`` weighs the rare fraud class up; ``"none"`` leaves the rows equal.
    seed
        The estimator's random seed.
    threshold
        The model's alert threshold (``train`` replaces it by one chosen on validation).
    name
        The model's name.
    progress
        Called with the boosting rounds of a LightGBM fit.

    Returns
    -------
    FraudModel
        The fitted model.

    Raises
    ------
    ValueError
        For an unknown kind, parameter or feature, naming what is allowed.
    """
    check_kind(kind)
    names = tuple(features) if features is not None else data.features
    d = data.select(names) if names != data.features else data
    if len(d) == 0:
        raise DataError("cannot train on 0 rows")
    _require_classes(d, kind)
    resolved = resolve_params(kind, params, y=d.y, imbalance=imbalance, seed=seed)
    estimator = make_estimator(kind, resolved)
    fit = _fit_options(kind, progress)
    if calibrate is False:
        fitted = estimator.fit(d.X, d.y, **fit)
        return FraudModel(
            kind=kind,
            estimator=fitted,
            features=names,
            params=resolved,
            threshold=threshold,
            name=name,
        )
    if kind == "isolation_forest":
        raise ConfigError("isolation_forest gives anomaly scores, not probabilities to calibrate")
    method: CalibrationMethod = "isotonic" if calibrate is True else calibrate
    wrapped = zoo.calibrate(estimator, d.X, d.y, method=method, share=calibrate_share, **fit)
    return FraudModel(
        kind="calibrated",
        estimator=wrapped,
        features=names,
        params={
            "base_kind": kind,
            "calibration": method,
            "calibration_share": calibrate_share,
            **resolved,
        },
        threshold=threshold,
        name=name,
    )


def _fit_options(kind: str, progress: ProgressFn) -> dict[str, Any]:
    """Keyword arguments of a kind's ``fit``: LightGBM reports each boosting round."""
    if kind != "lightgbm" or progress is ignore:
        return {}

    def report(env: Any) -> None:
        progress(ROUNDS_STEP, env.iteration + 1, env.end_iteration)

    return {"callbacks": [report]}


def best_threshold(
    data: ModelData,
    score: np.ndarray,
    *,
    rule: ThresholdRule = "cost",
    costs: Costs | None = None,
) -> float:
    """The alert threshold that maximises, on ``data`` (validation rows), the cost-benefit in INR
    (``rule="cost"``) or F1 (``"f1"``). Candidates are the distinct scores; an alert is
    ``score >= threshold``. Ties keep the highest threshold (fewest alerts).

    Parameters
    ----------
    data
        The rows the threshold is chosen on (validation rows), with their labels and amounts.
    score
        One score per row of ``data``.
    rule
        ``"cost"`` (net benefit in INR) or ``"f1"``.
    costs
        The review and friction costs and recovery rate of ``"cost"`` (default: ``Costs()``).

    Returns
    -------
    float
        The chosen threshold.
    """
    s = np.asarray(score, dtype=np.float64)
    if s.shape != (len(data),):
        raise DataError(f"got {s.shape[0]} scores for {len(data)} rows: one per row is needed")
    refuse_unknown("threshold rule", rule, THRESHOLD_RULES)
    if s.shape[0] == 0:
        return 0.5
    c = costs if costs is not None else Costs()
    order = np.argsort(-s, kind="stable")
    s_sorted, y_sorted = s[order], data.y[order]
    amount = data.amount[order]
    last = np.r_[s_sorted[1:] != s_sorted[:-1], True]  # last row of each distinct score
    tp = np.cumsum(y_sorted)[last]
    alerts = (np.arange(s.shape[0]) + 1)[last]
    fp = alerts - tp
    if rule == "cost":
        saved = c.recovery_rate * np.cumsum(np.where(y_sorted, amount, 0.0))[last]
        value = saved - c.review_cost_inr * alerts - c.friction_cost_inr * fp
    else:
        positives = max(int(data.y.sum()), 1)
        value = 2 * tp / (alerts + positives)
    best = int(np.argmax(value))
    if rule == "cost" and value[best] <= 0:
        return math.nextafter(float(s_sorted[0]), math.inf) if s_sorted[0] < 1.0 else 1.0
    return float(s_sorted[last][best])
