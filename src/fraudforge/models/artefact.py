"""The fitted-model object every part of ``fraudforge.models`` passes around: an estimator plus the
exact feature list it reads, so a selected subset is honoured wherever the model scores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import polars as pl

from fraudforge.foundation.errors import (
    ConfigError,
    DataError,
    ModelError,
    UnsupportedTypeError,
)

MODEL_KINDS: tuple[str, ...] = (
    "lightgbm",
    "logistic",
    "decision_tree",
    "random_forest",
    "extra_trees",
    "hist_gradient_boosting",
    "isolation_forest",
)
"""The single-model kinds, LightGBM first (the default); ``models.zoo`` builds each. Named here,
not in the zoo, so that reading a saved model does not import the zoo's LightGBM and
scikit-learn."""
KINDS: tuple[str, ...] = (
    *MODEL_KINDS,
    "voting_soft",
    "voting_hard",
    "stacking",
    "bagging",
    "calibrated",
)
"""Every model kind a :class:`FraudModel` may hold: the single models of the zoo, the
ensembles and a calibrated wrapper of any of them."""


class FeatureMatrix(Protocol):
    """Anything that carries a float matrix with named columns (``models.data.ModelData``)."""

    @property
    def features(self) -> tuple[str, ...]:
        """Column names of ``X``."""

    @property
    def X(self) -> np.ndarray:  # noqa: N802 - the scikit-learn name for the feature matrix
        """Float matrix, one row per transaction."""


class MissingFeaturesError(DataError):
    """The input lacks features the model was trained on: names them and what the model reads.

    Parameters
    ----------
    missing
        The features the input lacks.
    required
        Every feature the model reads.
    """

    def __init__(self, missing: Sequence[str], required: Sequence[str]) -> None:
        self.missing = tuple(missing)
        shown = ", ".join(self.missing[:10]) + (" ..." if len(self.missing) > 10 else "")
        super().__init__(
            f"input lacks {len(self.missing)} feature(s) the model reads: {shown}; "
            f"the model needs all of its {len(required)} features: {', '.join(required)}"
        )


class FraudModel:
    """A fitted estimator plus the exact feature list it reads (a selected subset honoured
    everywhere), its kind, the parameters it was trained with and its alert threshold.

    Parameters
    ----------
    kind
        The model kind (a zoo kind such as ``lightgbm``, or ``calibrated``).
    estimator
        The fitted estimator (``predict_proba``, or ``score_samples`` for isolation_forest).
    features
        The feature names it reads, in its order.
    params
        The parameters it was trained with.
    threshold
        The alert threshold of ``predict``, 0 to 1.
    name
        The model's name, if it has one.
    """

    def __init__(
        self,
        *,
        kind: str,
        estimator: Any,
        features: Sequence[str],
        params: Mapping[str, Any] | None = None,
        threshold: float = 0.5,
        name: str | None = None,
    ) -> None:
        if kind not in KINDS:
            raise ConfigError(f"unknown model kind `{kind}`: allowed are {', '.join(KINDS)}")
        names = tuple(str(f) for f in features)
        if not names:
            raise ConfigError("a model needs at least one feature; got an empty feature list")
        if len(set(names)) != len(names):
            repeated = sorted({f for f in names if names.count(f) > 1})
            raise ConfigError(f"feature list repeats {', '.join(repeated)}; each name once")
        if not 0.0 <= float(threshold) <= 1.0:
            raise ConfigError(f"threshold {threshold!r} is out of range: allowed is 0 to 1")
        self.kind = kind
        self.estimator = estimator
        self.features: tuple[str, ...] = names
        self.params: dict[str, Any] = dict(params or {})
        self.threshold = float(threshold)
        self.name = name

    def __repr__(self) -> str:
        label = f" name={self.name!r}" if self.name else ""
        return (
            f"FraudModel(kind={self.kind!r}{label}, features={len(self.features)}, "
            f"threshold={self.threshold:g})"
        )

    def matrix(self, x: pl.DataFrame | FeatureMatrix | np.ndarray) -> np.ndarray:
        """The float64 matrix of exactly ``features``, in the model's order, taken by name from a
        frame or ModelData (extra columns ignored); an array must already have those columns.

        Parameters
        ----------
        x
            A frame or ModelData with (at least) the model's features, by name; or an array whose
            columns are exactly ``features`` in order.

        Returns
        -------
        numpy.ndarray
            The float64 matrix, one column per feature of the model.

        Raises
        ------
        MissingFeaturesError
            Naming the features the input lacks.
        """
        if isinstance(x, np.ndarray):
            if x.ndim != 2 or x.shape[1] != len(self.features):
                raise DataError(
                    f"array of shape {x.shape} does not match the model: allowed is a 2-D array "
                    f"with {len(self.features)} columns in the model's feature order"
                )
            return np.asarray(x, dtype=np.float64)
        if isinstance(x, pl.DataFrame):
            self._require(x.columns)
            return x.select(pl.col(f).cast(pl.Float64) for f in self.features).to_numpy()
        if hasattr(x, "features") and hasattr(x, "X"):
            have = list(x.features)
            self._require(have)
            position = {f: i for i, f in enumerate(have)}
            columns = [position[f] for f in self.features]
            matrix = np.asarray(x.X, dtype=np.float64)
            if columns == list(range(matrix.shape[1])):
                return matrix
            return matrix[:, columns]
        raise UnsupportedTypeError(
            f"cannot score a {type(x).__name__}: allowed are a polars DataFrame, a ModelData "
            "(anything with .features and .X) or a 2-D NumPy array"
        )

    def score(self, x: pl.DataFrame | FeatureMatrix | np.ndarray) -> np.ndarray:
        """Fraud probability (or for isolation_forest a [0,1] anomaly score) per row. A frame or
        ModelData is reduced to `features` by name; an array must already have exactly those
        columns.

        Parameters
        ----------
        x
            A frame or ModelData with (at least) the model's features, by name; or an array whose
            columns are exactly ``features`` in order.

        Returns
        -------
        numpy.ndarray
            One score per row, 0 to 1.

        Raises
        ------
        MissingFeaturesError
            Naming the features the input lacks.
        """
        return estimator_score(self.estimator, self.matrix(x), kind=self.kind)

    def predict(self, x: pl.DataFrame | FeatureMatrix | np.ndarray) -> np.ndarray:
        """Alert decision per row: ``score >= threshold``.

        Parameters
        ----------
        x
            A frame or ModelData with (at least) the model's features, by name; or an array whose
            columns are exactly ``features`` in order.

        Returns
        -------
        numpy.ndarray
            One boolean per row.
        """
        return self.score(x) >= self.threshold

    def _require(self, have: Sequence[str]) -> None:
        present = set(have)
        missing = [f for f in self.features if f not in present]
        if missing:
            raise MissingFeaturesError(missing, self.features)


def estimator_score(estimator: Any, matrix: np.ndarray, *, kind: str) -> np.ndarray:
    """One score per row from a fitted estimator: the positive-class probability; for isolation
    forest the paper's anomaly score in [0, 1]; for hard voting the (weighted) share of members
    voting fraud."""
    if kind == "isolation_forest":
        # scikit-learn's score_samples is minus the anomaly score s(x, n) of Liu et al., in (0, 1]
        return np.clip(-np.asarray(estimator.score_samples(matrix), dtype=np.float64), 0.0, 1.0)
    if hasattr(estimator, "predict_proba") and getattr(estimator, "voting", "soft") != "hard":
        proba = np.asarray(estimator.predict_proba(matrix), dtype=np.float64)
        return proba[:, positive_column(estimator)]
    if hasattr(estimator, "estimators_") and getattr(estimator, "voting", None) == "hard":
        votes = np.asarray(estimator.transform(matrix), dtype=np.float64)  # members' encoded labels
        weights = getattr(estimator, "_weights_not_none", None)
        return np.asarray(np.average(votes == 1.0, axis=1, weights=weights), dtype=np.float64)
    raise UnsupportedTypeError(
        f"{type(estimator).__name__} cannot score: allowed are estimators with predict_proba, "
        "a hard-voting ensemble, or an isolation forest"
    )


def positive_column(estimator: Any) -> int:
    """Index of the fraud class (``True`` / ``1``) in ``estimator.classes_``."""
    classes = np.asarray(getattr(estimator, "classes_", [0, 1]))
    hits = np.flatnonzero(classes == 1)
    if hits.size != 1:
        raise ModelError(
            f"estimator classes {classes.tolist()} have no fraud class: allowed is a classifier "
            "fitted on both classes (False/True or 0/1)"
        )
    return int(hits[0])
