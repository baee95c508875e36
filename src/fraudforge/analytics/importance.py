"""Feature importance of a fitted LightGBM model: gain and split counts, permutation importance,
SHAP values (LightGBM's own TreeSHAP contributions), partial dependence, and redundancy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import numpy.typing as npt
import polars as pl
from sklearn.metrics import average_precision_score

from fraudforge.analytics._arrays import F64, labels_and_scores, require_both_classes
from fraudforge.foundation.errors import ConfigError, DataError, ModelError, UnsupportedTypeError

Model = lgb.Booster | lgb.LGBMClassifier


def as_booster(model: Model) -> lgb.Booster:
    """The Booster of a fitted LGBMClassifier, or the Booster itself."""
    if isinstance(model, lgb.Booster):
        return model
    if isinstance(model, lgb.LGBMClassifier):
        if not getattr(model, "fitted_", False):
            raise ModelError("the LGBMClassifier is not fitted: call fit() before explaining it")
        return model.booster_
    raise UnsupportedTypeError(
        f"unsupported model type {type(model).__name__}: allowed are lightgbm.Booster "
        "and lightgbm.LGBMClassifier"
    )


def matrix(features: pl.DataFrame, names: Sequence[str]) -> F64:
    """The model's input matrix: ``names`` columns of ``features`` as float64 (nulls as NaN,
    which LightGBM treats as missing)."""
    missing = [n for n in names if n not in features.columns]
    if missing:
        raise DataError(
            f"the features table lacks the model's feature(s) {', '.join(missing[:5])}"
            f"{' ...' if len(missing) > 5 else ''}: pass the output of compute_features"
        )
    return features.select(pl.col(n).cast(pl.Float64) for n in names).to_numpy()


THREADS = 1
"""LightGBM threads per prediction: the analyzers make many small calls, where one thread is
fastest and does not stall when other work holds the cores."""


def predict(model: Model, x: F64) -> F64:
    """Fraud probabilities of the rows of ``x``."""
    return np.asarray(as_booster(model).predict(x, num_threads=THREADS), dtype=np.float64)


def model_names(model: Model, names: Sequence[str] | None = None) -> list[str]:
    """The model's input column names: ``names`` when given (one per model column, and equal
    to the model's own names unless it was fitted on unnamed columns), else the model's.

    Parameters
    ----------
    model
        A fitted LightGBM model (a ``Booster`` or a scikit-learn wrapper).
    names
        The names to use, one per model column.

    Returns
    -------
    list[str]
        One name per model column.

    Raises
    ------
    ValueError
        When ``names`` has another length than the model's columns, or other names.
    """
    own = as_booster(model).feature_name()
    if names is None:
        return list(own)
    if len(names) != len(own):
        raise ConfigError(f"feature_names has {len(names)} names; the model has {len(own)} inputs")
    unnamed = own == [f"Column_{i}" for i in range(len(own))]
    if not unnamed and list(names) != list(own):
        raise ConfigError("feature_names differ from the names the model was fitted with")
    return list(names)


def gain_split(model: Model, *, names: Sequence[str] | None = None) -> pl.DataFrame:
    """Per feature: total gain, number of splits and share of all gain; highest gain first.

    Parameters
    ----------
    model
        A fitted LightGBM model (a ``Booster`` or a scikit-learn wrapper).
    names
        The input names (see ``model_names``).

    Returns
    -------
    polars.DataFrame
        One row per feature.
    """
    booster = as_booster(model)
    gain = np.asarray(booster.feature_importance(importance_type="gain"), dtype=np.float64)
    split = np.asarray(booster.feature_importance(importance_type="split"), dtype=np.int64)
    total = gain.sum()
    return pl.DataFrame(
        {
            "feature": model_names(model, names),
            "gain": gain,
            "split": split,
            "gain_share": gain / total if total > 0 else np.zeros_like(gain),
        }
    ).sort(["gain", "split", "feature"], descending=[True, True, False])


def _sample(n: int, max_rows: int, seed: int) -> npt.NDArray[np.int64]:
    """Sorted indices of at most ``max_rows`` of ``n`` rows, drawn without replacement."""
    if n <= max_rows:
        return np.arange(n, dtype=np.int64)
    return np.sort(np.random.default_rng(seed).choice(n, size=max_rows, replace=False))


def permutation_importance(
    model: Model,
    x: F64,
    y: npt.ArrayLike,
    *,
    names: Sequence[str],
    repeats: int = 3,
    max_rows: int = 5_000,
    seed: int = 0,
    only: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Drop in average precision when one feature's column is shuffled (mean and standard
    deviation over ``repeats`` shuffles, on at most ``max_rows`` sampled rows).

    A feature the model never splits on cannot change a prediction: its drop is exactly 0 and
    it is not re-scored. ``only`` limits the shuffled features to those named (the table then
    lists just them).

    Parameters
    ----------
    model
        A fitted LightGBM model (a ``Booster`` or a scikit-learn wrapper).
    x
        The rows' features, one column per model input.
    names
        The model's input names, one per column of ``x``.
    y
        The rows' fraud labels.
    repeats
        Shuffles per feature.
    max_rows
        Rows sampled from ``x`` at most.
    seed
        Seed of the sample and the shuffles.
    only
        The features to shuffle (default: all).

    Returns
    -------
    polars.DataFrame
        One row per feature: the mean and standard deviation of the drop, largest first.
    """
    labels = np.asarray(y).astype(bool)
    if x.shape != (labels.shape[0], len(names)):
        raise DataError(f"x is {x.shape}; expected ({labels.shape[0]}, {len(names)})")
    if repeats < 1:
        raise ConfigError(f"repeats = {repeats}: allowed is 1 or more")
    rows = _sample(x.shape[0], max_rows, seed)
    xs, ys = x[rows].copy(), labels[rows]
    require_both_classes(ys, "permutation importance")
    base = float(average_precision_score(ys, predict(model, xs)))
    rng = np.random.default_rng(seed)
    splits = as_booster(model).feature_importance(importance_type="split")
    drops = np.zeros((len(names), repeats))
    wanted = set(names if only is None else only)
    unknown = wanted - set(names)
    if unknown:
        raise ConfigError(f"unknown feature(s) {', '.join(sorted(unknown))} in only")
    for j in range(len(names)):  # one model call per used feature and repeat
        if names[j] not in wanted or splits[j] == 0:
            continue
        original = xs[:, j].copy()
        for r in range(repeats):
            xs[:, j] = original[rng.permutation(original.shape[0])]
            drops[j, r] = base - average_precision_score(ys, predict(model, xs))
        xs[:, j] = original
    table = pl.DataFrame(
        {"feature": list(names), "ap_drop": drops.mean(axis=1), "ap_drop_std": drops.std(axis=1)}
    )
    return table.filter(pl.col("feature").is_in(sorted(wanted))).sort(
        ["ap_drop", "feature"], descending=[True, False]
    )


@dataclass(frozen=True)
class Shap:
    """SHAP values (log-odds contributions) of sampled rows: ``values[i, j]`` is feature j's
    contribution to row i, and ``base + values.sum(1)`` is the model's raw score."""

    names: tuple[str, ...]
    values: F64
    base: float
    x: F64
    rows: npt.NDArray[np.int64]

    def mean_abs(self) -> pl.DataFrame:
        """Mean |SHAP| per feature, largest first."""
        return pl.DataFrame(
            {"feature": list(self.names), "mean_abs_shap": np.abs(self.values).mean(axis=0)}
        ).sort(["mean_abs_shap", "feature"], descending=[True, False])


def shap_values(
    model: Model, x: F64, *, names: Sequence[str], max_rows: int = 1_000, seed: int = 0
) -> Shap:
    """TreeSHAP contributions from LightGBM (``pred_contrib``) for at most ``max_rows`` rows.

    Parameters
    ----------
    model
        A fitted LightGBM model (a ``Booster`` or a scikit-learn wrapper).
    x
        The rows' features, one column per model input.
    names
        The model's input names, one per column of ``x``.
    max_rows
        Rows sampled from ``x`` at most.
    seed
        Seed of the sample.

    Returns
    -------
    Shap
        The contributions of the sampled rows, their features and the base value.
    """
    rows = _sample(x.shape[0], max_rows, seed)
    xs = x[rows]
    contrib = np.asarray(
        as_booster(model).predict(xs, pred_contrib=True, num_threads=THREADS), dtype=np.float64
    )
    base = float(contrib[0, -1]) if contrib.shape[0] else 0.0
    return Shap(tuple(names), contrib[:, :-1], base, xs, rows)


def explain_row(model: Model, row: F64, *, names: Sequence[str]) -> tuple[float, F64]:
    """The base value and per-feature SHAP contributions of one row."""
    contrib = np.asarray(
        as_booster(model).predict(row.reshape(1, -1), pred_contrib=True, num_threads=THREADS),
        dtype=np.float64,
    )
    if contrib.shape[1] != len(names) + 1:
        raise DataError(f"row has {row.shape[0]} values for {len(names)} features")
    return float(contrib[0, -1]), contrib[0, :-1]


@dataclass(frozen=True)
class PartialDependence:
    """Mean predicted probability when one feature is set to each grid value for every row."""

    feature: str
    grid: F64
    mean_prediction: F64


def partial_dependence(
    model: Model,
    x: F64,
    *,
    names: Sequence[str],
    feature: str,
    grid_points: int = 20,
    max_rows: int = 2_000,
    seed: int = 0,
) -> PartialDependence:
    """Partial dependence on ``feature`` over the distinct quantiles (1% to 99%) of its values.

    Parameters
    ----------
    model
        A fitted LightGBM model (a ``Booster`` or a scikit-learn wrapper).
    x
        The rows' features, one column per model input.
    names
        The model's input names, one per column of ``x``.
    feature
        The feature to vary.
    grid_points
        The most grid values.
    max_rows
        Rows sampled from ``x`` at most.
    seed
        Seed of the sample.

    Returns
    -------
    PartialDependence
        The grid and the mean prediction at each value.
    """
    if feature not in names:
        raise ConfigError(f"unknown feature `{feature}`: allowed are the model's features")
    j = list(names).index(feature)
    xs = x[_sample(x.shape[0], max_rows, seed)].copy()
    column = xs[:, j][np.isfinite(xs[:, j])]
    if column.size == 0:
        return PartialDependence(feature, np.zeros(0), np.zeros(0))
    grid = np.unique(np.quantile(column, np.linspace(0.01, 0.99, grid_points)))
    stacked = np.repeat(xs[None, :, :], grid.shape[0], axis=0)
    stacked[:, :, j] = grid[:, None]
    pred = predict(model, stacked.reshape(-1, xs.shape[1])).reshape(grid.shape[0], -1)
    return PartialDependence(feature, grid, pred.mean(axis=1))


def redundant_features(
    x: F64,
    *,
    names: Sequence[str],
    order: Sequence[str],
    threshold: float = 0.98,
    max_rows: int = 50_000,
    seed: int = 0,
) -> pl.DataFrame:
    """Features whose |Pearson correlation| with a more important feature exceeds
    ``threshold``: one row per such feature with that feature and the correlation.

    ``order`` lists the features most important first; NaN values count as 0.

    Parameters
    ----------
    x
        The rows' features, one column per name.
    names
        The name of each column of ``x``.
    order
        The features, most important first.
    threshold
        The absolute correlation above which a feature is redundant.
    max_rows
        Rows sampled from ``x`` at most.
    seed
        Seed of the sample.

    Returns
    -------
    polars.DataFrame
        One row per redundant feature.
    """
    if sorted(order) != sorted(names):
        raise ConfigError("order must list exactly the features of names")
    idx = [list(names).index(n) for n in order]
    xs = np.nan_to_num(x[_sample(x.shape[0], max_rows, seed)][:, idx])
    std = xs.std(axis=0)
    z = np.where(std > 0, (xs - xs.mean(axis=0)) / np.where(std > 0, std, 1.0), 0.0)
    corr = np.abs(z.T @ z) / max(xs.shape[0], 1)
    out: dict[str, list[object]] = {"feature": [], "kept": [], "abs_corr": []}
    for j in range(1, len(order)):
        above = corr[:j, j]
        k = int(np.argmax(above))
        if above[k] > threshold:
            out["feature"].append(order[j])
            out["kept"].append(order[k])
            out["abs_corr"].append(float(above[k]))
    return pl.DataFrame(
        out, schema={"feature": pl.String, "kept": pl.String, "abs_corr": pl.Float64}
    )


def labels_for(features: pl.DataFrame) -> npt.NDArray[np.bool_]:
    """The ``is_fraud`` labels of a features table."""
    if "is_fraud" not in features.columns:
        raise DataError("the features table has no `is_fraud` column: compute it with labels")
    labels, _ = labels_and_scores(features["is_fraud"].to_numpy(), np.zeros(features.height))
    return labels
