"""The training run behind ``fraudforge train``: split by time, optionally select features on the
training rows, fit, choose the alert threshold on validation, evaluate on validation and test."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fraudforge.foundation.progress import ProgressFn, ignore, phase
from fraudforge.models.artefact import FraudModel
from fraudforge.models.data import ModelData
from fraudforge.models.metrics import Costs, Evaluation, evaluate
from fraudforge.models.options import CalibrationMethod, Entity, ThresholdRule
from fraudforge.models.provenance import ThresholdSource
from fraudforge.models.selection import Selection, SelectionMethod, select_features
from fraudforge.models.splits import TimeSplit, time_split
from fraudforge.models.training import best_threshold, train_model


@dataclass(frozen=True)
class Period:
    """Rows and fraud rows of one period of a split, and its days (half-open)."""

    name: str
    days: tuple[int, int]
    rows: int
    fraud: int


@dataclass(frozen=True)
class TrainRun:
    """A fitted model with the split it was trained on and its evaluations."""

    model: FraudModel
    split: TimeSplit
    periods: tuple[Period, ...]
    validation: Evaluation | None
    """None when the split has no validation period."""
    test: Evaluation
    fit_seconds: float
    selection: Selection | None
    threshold_source: ThresholdSource = "default"
    """How the model's threshold was set: ``validation`` (best by ``threshold_rule``),
    ``given`` or ``default`` (0.5, no validation rows)."""
    threshold_rule: ThresholdRule = "cost"


def run_training(
    data: ModelData,
    *,
    kind: str = "lightgbm",
    params: Mapping[str, Any] | None = None,
    features: Sequence[str] | None = None,
    select: SelectionMethod | None = None,
    n_features: int = 20,
    calibrate: bool | CalibrationMethod = False,
    validation_days: int = 7,
    test_days: int = 7,
    gap_days: int = 7,
    train_days: int | None = None,
    threshold: float | None = None,
    threshold_rule: ThresholdRule = "cost",
    k: int = 100,
    alert_budget: float = 0.01,
    costs: Costs | None = None,
    entity: Entity = "customer",
    seed: int = 0,
    name: str | None = None,
    progress: ProgressFn = ignore,
) -> TrainRun:
    """Split ``data`` by time (``[train][gap][validation][gap][test]``), select features with
    ``select`` on the training rows (keeping ``n_features`` where the method takes a count), fit
    ``kind``, set the threshold (``threshold`` if given, else the best by ``threshold_rule`` on
    validation, else 0.5) and evaluate on validation and test, reporting to ``progress``."""
    split = time_split(
        data,
        validation_days=validation_days,
        test_days=test_days,
        gap_days=gap_days,
        train_days=train_days,
    )
    d = data.select(features) if features is not None else data
    train, val, test = (d.subset(r) for r in (split.train, split.validation, split.test))
    selection = None
    names = d.features
    if select is not None:
        phase(progress, "selecting features")
        selection = select_features(train, method=select, n_features=n_features)
        names = selection.features
    started = time.perf_counter()
    phase(progress, f"fitting {kind} on {len(train):,} rows")
    model = train_model(
        train,
        kind=kind,
        params=params,
        features=names,
        calibrate=calibrate,
        seed=seed,
        name=name,
        progress=progress,
    )
    fit_seconds = time.perf_counter() - started
    phase(progress, "evaluating")
    options: dict[str, Any] = {"k": k, "alert_budget": alert_budget, "costs": costs}
    has_val = len(val) > 0
    val_score = model.score(val) if has_val else None
    source: ThresholdSource = "default"
    if threshold is not None:
        model.threshold = threshold
        source = "given"
    elif val_score is not None:
        model.threshold = best_threshold(val, val_score, rule=threshold_rule, costs=costs)
        source = "validation"
    validation = (
        evaluate(val, val_score, threshold=model.threshold, entity=entity, **options)
        if val_score is not None
        else None
    )
    periods = tuple(
        Period(label, days, len(part), int(part.y.sum()))
        for label, days, part in (
            ("train", split.train_days, train),
            ("validation", split.validation_days, val),
            ("test", split.test_days, test),
        )
    )
    return TrainRun(
        model=model,
        split=split,
        periods=periods,
        validation=validation,
        test=evaluate(test, model.score(test), threshold=model.threshold, entity=entity, **options),
        fit_seconds=fit_seconds,
        selection=selection,
        threshold_source=source,
        threshold_rule=threshold_rule,
    )
