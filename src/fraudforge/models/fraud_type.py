"""The most likely fraud type of a transaction: a multinomial logistic regression over the fraud
model's features, fitted on the confirmed-fraud rows' ``fraud_type`` labels and registered next
to the fraud model (as ``<name>-type``), so the service answers "if this is fraud, which kind"
from data rather than from a rule.

It is fitted as a scikit-learn pipeline (median imputation, standardisation, logistic
regression) and kept as what that pipeline computes, four arrays (``LinearTypes``: the fill
values, the coefficients with the standardisation folded in, the intercepts and the class
names), saved by the registry as a NumPy ``.npz`` without pickles; so loading and serving it
needs neither scikit-learn nor skops, and one row costs a few microseconds. A fraud-type model
saved before as the skops pipeline still loads (with scikit-learn installed) and is reduced to
the same arrays. ``fraudforge train`` registers one beside every model it registers
(``register_fraud_type``), fitted on the same training rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numba as nb
import numpy as np
import numpy.typing as npt

from fraudforge.foundation.errors import DataError, ModelError
from fraudforge.models.artefact import FraudModel

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

    from fraudforge.models.data import ModelData
    from fraudforge.models.registry import ModelVersion, Registry

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
TYPE_SUFFIX = "-type"
"""The fraud-type model of fraud model ``NAME`` is registered as ``NAME-type``."""


class FraudTypeDataError(DataError):
    """Data whose fraud rows cannot train a fraud-type model (fewer than two fraud types)."""


def type_pipeline(max_iter: int = 300) -> Pipeline:
    """The unfitted scikit-learn pipeline a fraud-type model is fitted as: median imputation
    (empty features kept), standardisation, logistic regression (imported here: only fitting
    needs scikit-learn)."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("logistic", LogisticRegression(max_iter=max_iter)),
        ]
    )


def fit_fraud_type(
    data: ModelData,
    *,
    features: Sequence[str] | None = None,
    max_iter: int = 300,
    name: str | None = None,
) -> FraudModel:
    """A FraudModel (kind ``logistic``) whose estimator predicts ``fraud_type`` from
    ``features`` (default: all of ``data``'s): ``type_pipeline`` fitted on the fraud rows only,
    kept as its ``LinearTypes`` arrays.

    Parameters
    ----------
    data
        Training rows; only the fraud rows are used.
    features
        The features to read (default: all of ``data``'s).
    max_iter
        The logistic regression's iterations at most.
    name
        The model's name.

    Returns
    -------
    FraudModel
        The fraud-type model.

    Raises
    ------
    ValueError
        When ``data`` has fewer than two fraud types among its fraud rows.
    """
    names = tuple(features) if features is not None else data.features
    d = data.select(names) if names != data.features else data
    fraud = d.fraud_type != "none"
    types = np.unique(d.fraud_type[fraud])
    if types.size < 2:
        raise FraudTypeDataError(
            f"data has {int(fraud.sum())} fraud rows of {types.size} type(s): a fraud-type model "
            "needs fraud rows of at least two types"
        )
    pipeline = type_pipeline(max_iter).fit(d.X[fraud], d.fraud_type[fraud].astype(str))
    return FraudModel(
        kind="logistic",
        estimator=LinearTypes.from_pipeline(pipeline),
        features=names,
        params={"max_iter": max_iter, "rows": int(fraud.sum())},
        name=name,
    )


def register_fraud_type(
    registry: Registry,
    fraud_model: ModelVersion,
    data: ModelData,
    *,
    scenario: Any = None,
    data_hash: str | None = None,
    catalog_hash: str | None = None,
    tags: Iterable[str] = (),
) -> ModelVersion:
    """Fit the fraud-type model of the registered ``fraud_model`` on ``data``'s fraud rows over
    its features (``fit_fraud_type``) and register it as ``NAME-type`` beside it, at its stage,
    with the same provenance (``scenario``, ``data_hash``, ``catalog_hash``, ``tags``): the
    service loads it with the fraud model to name each score's likely fraud type. Returns the
    registered version; ``FraudTypeDataError`` when the fraud rows have fewer than two types."""
    name = fraud_model.name + TYPE_SUFFIX
    types = fit_fraud_type(data, features=fraud_model.features, name=name)
    version = registry.register(
        types,
        name=name,
        scenario=scenario,
        data_hash=data_hash,
        catalog_hash=catalog_hash,
        tags=tags,
        description=f"most likely fraud type for {fraud_model.name} v{fraud_model.version}",
    )
    if fraud_model.stage != version.stage:
        version = registry.promote(name, version.version, fraud_model.stage)
    return version


@nb.njit(cache=True)
def best_class(row: F64, columns: I64, fill: F64, coef: F64, intercept: F64) -> int:
    """Argmax over classes of ``x @ coef + intercept``, ``x`` being ``row[columns]`` with NaN
    replaced by ``fill`` (ties go to the first class, as NumPy's argmax). Each class's score
    is its intercept plus the features' terms in feature order; the classes are summed side
    by side (``coef``'s rows are contiguous), each feature read and filled once."""
    scores = intercept.copy()
    for j in range(columns.shape[0]):
        v = row[columns[j]]
        if v != v:
            v = fill[j]
        for c in range(scores.shape[0]):
            scores[c] += v * coef[j, c]
    best, best_score = 0, -np.inf
    for c in range(scores.shape[0]):
        if scores[c] > best_score:
            best, best_score = c, scores[c]
    return best


class LinearTypes:
    """A fitted fraud-type pipeline (impute, scale, logistic) as the arrays it computes with:
    per feature the ``fill`` for a missing value, ``coef`` (features x classes, the
    standardisation folded in) and per class the ``intercept``; a row's type is the class of
    the largest ``x @ coef + intercept``, as the pipeline's ``predict``. The registry saves it
    as ``to_arrays`` (``.npz``, no pickles)."""

    ARRAYS = "fraud-types"
    """The name the registry's spec gives this estimator's arrays (``model.json``)."""

    def __init__(self, *, fill: F64, coef: F64, intercept: F64, classes: Sequence[str]) -> None:
        self.fill: F64 = np.ascontiguousarray(fill, dtype=np.float64)
        self.coef: F64 = np.ascontiguousarray(coef, dtype=np.float64)
        self.intercept: F64 = np.ascontiguousarray(intercept, dtype=np.float64)
        self.classes_: npt.NDArray[np.str_] = np.asarray([str(c) for c in classes])
        n_features, n_classes = self.fill.shape[0], self.classes_.shape[0]
        if self.coef.shape != (n_features, n_classes) or self.intercept.shape != (n_classes,):
            raise ModelError(
                f"fraud-type arrays of shapes fill {self.fill.shape}, coef {self.coef.shape}, "
                f"intercept {self.intercept.shape} for {n_classes} classes: allowed are fill "
                "(features,), coef (features, classes) and intercept (classes,)"
            )

    @classmethod
    def from_pipeline(cls, estimator: Any) -> LinearTypes:
        """The arrays of a fitted impute, scale and logistic pipeline (``type_pipeline``)."""
        steps = dict(getattr(estimator, "named_steps", {}))
        if set(steps) != {"impute", "scale", "logistic"}:
            raise ModelError(
                "not a fraud-type model: expected a pipeline of impute, scale and logistic "
                f"steps, got {', '.join(steps) or type(estimator).__name__}"
            )
        logistic, scaler = steps["logistic"], steps["scale"]
        scale = np.where(scaler.scale_ == 0.0, 1.0, scaler.scale_)
        # fold the standardisation into the coefficients: w·((x - m) / s) + b = (w / s)·x + b'
        coef = np.asarray(logistic.coef_, dtype=np.float64) / scale
        mean = np.asarray(scaler.mean_, dtype=np.float64)
        intercept = np.asarray(logistic.intercept_, dtype=np.float64) - (coef @ mean)
        coef = np.ascontiguousarray(coef.T)
        if len(logistic.classes_) == 2:  # binary logistic: one column, positive = second class
            coef = np.hstack((-coef, coef)) / 2.0
            intercept = np.array([-intercept[0], intercept[0]]) / 2.0
        fill = np.asarray(steps["impute"].statistics_, dtype=np.float64)
        return cls(fill=fill, coef=coef, intercept=intercept, classes=logistic.classes_)

    def to_arrays(self) -> dict[str, npt.NDArray[Any]]:
        """The arrays to save (``np.savez``; the class names as a Unicode array)."""
        return {
            "fill": self.fill,
            "coef": self.coef,
            "intercept": self.intercept,
            "classes": self.classes_,
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[Any]]) -> LinearTypes:
        """Inverse of ``to_arrays``."""
        return cls(
            fill=arrays["fill"],
            coef=arrays["coef"],
            intercept=arrays["intercept"],
            classes=[str(c) for c in arrays["classes"]],
        )

    def decision_function(self, xs: F64) -> F64:
        """Each class's score of each row (missing values filled)."""
        filled = np.where(np.isnan(xs), self.fill, xs)
        return np.asarray(filled @ self.coef + self.intercept, dtype=np.float64)

    def predict(self, xs: F64) -> npt.NDArray[np.str_]:
        """The most likely class of each row (ties go to the first class)."""
        return np.asarray(self.classes_[np.argmax(self.decision_function(xs), axis=1)])

    def predict_proba(self, xs: F64) -> F64:
        """Each class's probability (the softmax of the scores, the pipeline's multinomial
        probabilities; for two classes the logistic sigmoid)."""
        scores = self.decision_function(xs)
        scores -= scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float64)


class FraudTypes:
    """A fraud-type model as served: ``predict(x)`` is the most likely type of one row of the
    model's features, identical to the fitted pipeline's ``predict``. Reads a ``LinearTypes``
    estimator, or a fraud-type model saved before as the scikit-learn pipeline.

    Parameters
    ----------
    model
        A fraud-type model (``fit_fraud_type``'s, or one loaded from the registry).
    """

    def __init__(self, model: FraudModel) -> None:
        est: Any = model.estimator
        try:
            linear = est if isinstance(est, LinearTypes) else LinearTypes.from_pipeline(est)
        except ValueError as exc:
            raise ModelError(f"{model!r} is {exc}") from None
        self.features: tuple[str, ...] = model.features
        self.fill: F64 = linear.fill
        self.coef: F64 = linear.coef
        self.intercept: F64 = linear.intercept
        self.classes: tuple[str, ...] = tuple(str(c) for c in linear.classes_)
        self._linear = linear
        self._identity: I64 = np.arange(len(self.features), dtype=np.int64)

    def predict(self, x: F64, columns: I64 | None = None) -> str:
        """The most likely fraud type of one row: the model's features in order, or with
        ``columns`` their positions in a wider row (NaN = missing).

        Parameters
        ----------
        x
            One row.
        columns
            The positions of the model's features in ``x`` (default: ``x`` is exactly them).

        Returns
        -------
        str
            A fraud type of the taxonomy.
        """
        cols = self._identity if columns is None else columns
        return self.classes[best_class(x, cols, self.fill, self.coef, self.intercept)]

    def predict_many(self, xs: F64) -> list[str]:
        """The most likely fraud type of each row of a 2-D array.

        Parameters
        ----------
        xs
            Rows of the model's features, in order (NaN = missing).

        Returns
        -------
        list[str]
            One fraud type per row.
        """
        return [str(c) for c in self._linear.predict(xs).tolist()]


__all__ = [
    "TYPE_SUFFIX",
    "FraudTypeDataError",
    "FraudTypes",
    "LinearTypes",
    "best_class",
    "fit_fraud_type",
    "register_fraud_type",
    "type_pipeline",
]
