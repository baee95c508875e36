"""The models a report scores and explains: a LightGBM text model file, or a version of the
model registry (``NAME``, ``NAME@STAGE`` or ``NAME:VERSION``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np
import polars as pl

from fraudforge.analytics._arrays import F64
from fraudforge.analytics.importance import matrix, predict
from fraudforge.foundation.errors import ModelError
from fraudforge.models.provenance import TrainingRecord, read_training_record


@dataclass(frozen=True)
class ReportModel:
    """One model of a report: the features it reads, how it scores a features table, and its
    LightGBM booster when it has one (the importance section explains only LightGBM)."""

    name: str
    features: tuple[str, ...]
    score: Callable[[pl.DataFrame], F64]
    booster: lgb.Booster | None
    registered: str | None = None
    """``NAME vVERSION`` of a registered model; None for a model file."""
    threshold: float | None = None
    """The registered (validated) alert threshold; None for a model file."""
    training: TrainingRecord | None = None
    """The periods it was trained, validated and tested on, when the registry recorded them."""
    data_hash: str | None = None
    """Content hash of its training dataset, when recorded."""


def load_model(spec: str, *, registry: str | Path | None = None) -> ReportModel:
    """The model named by ``spec``: a LightGBM text model file (``Booster.save_model``), or with
    ``registry`` a registered version, loaded with its sha256 and catalogue checks.

    Parameters
    ----------
    spec
        A LightGBM text model file, or ``NAME``, ``NAME:VERSION`` or ``NAME@STAGE`` with
        ``registry``.
    registry
        The model registry of a reference.

    Returns
    -------
    ReportModel
        The model, its name and, for a registered one, its threshold and training record.

    Raises
    ------
    FileNotFoundError
        For a model file that does not exist and no registry.
    ValueError
        For a file that is not a LightGBM text model.
    RegistryError
        For a reference the registry does not hold.
    """
    path = Path(spec)
    if path.is_file():
        try:
            booster = lgb.Booster(model_file=str(path))
        except lgb.basic.LightGBMError as exc:
            raise ModelError(f"{path} is not a LightGBM text model file: {exc}") from exc
        names = tuple(booster.feature_name())
        return ReportModel(
            name=path.stem,
            features=names,
            score=lambda frame: predict(booster, matrix(frame, names)),
            booster=booster,
        )
    if registry is None:
        raise FileNotFoundError(
            f"model `{spec}` not found: give the path of a LightGBM text model file, or a "
            "registered model (NAME, NAME@STAGE or NAME:VERSION) with --registry DIR"
        )
    from fraudforge.models.registry import Registry

    reg = Registry(registry, create=False)
    info = reg.resolve(spec)
    model = reg.load(info.name, info.version, check_catalog=True)
    return ReportModel(
        name=spec,
        features=model.features,
        score=lambda frame: np.asarray(model.score(frame), dtype=np.float64),
        booster=model.estimator.booster_ if model.kind == "lightgbm" else None,
        registered=f"{info.name} v{info.version}",
        threshold=info.threshold,
        training=read_training_record(reg.training(info.name, info.version)),
        data_hash=info.data_hash,
    )
