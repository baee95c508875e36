"""The most likely fraud type of a transaction: a multinomial logistic regression over the fraud
model's features, fitted on the confirmed-fraud rows' ``fraud_type`` labels and registered next
to the fraud model (as ``<name>-type``), so the service answers "if this is fraud, which kind"
from data rather than from a rule.

It is stored as an ordinary scikit-learn pipeline (median imputation, standardisation, logistic
regression; saved through skops like any logistic model) and, for serving, reduced to four arrays
so one row costs a few microseconds of NumPy. ``fraudforge train`` registers one beside every
model it registers (``register_fraud_type``), fitted on the same training rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numba as nb
import numpy as np
import numpy.typing as npt
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from fraudforge.foundation.errors import FraudforgeError
from fraudforge.models.artefact import FraudModel
from fraudforge.models.data import ModelData

if TYPE_CHECKING:
    from fraudforge.models.registry import ModelVersion, Registry

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
TYPE_SUFFIX = "-type"
"""The fraud-type model of fraud model ``NAME`` is registered as ``NAME-type``."""


class FraudTypeDataError(FraudforgeError, ValueError):
    """Data whose fraud rows cannot train a fraud-type model (fewer than two fraud types)."""


def fit_fraud_type(
    data: ModelData,
    *,
    features: Sequence[str] | None = None,
    max_iter: int = 300,
    name: str | None = None,
) -> FraudModel:
    """A FraudModel (kind ``logistic``) whose estimator predicts ``fraud_type`` from
    ``features`` (default: all of ``data``'s), fitted on the fraud rows only."""
    names = tuple(features) if features is not None else data.features
    d = data.select(names) if names != data.features else data
    fraud = d.fraud_type != "none"
    types = np.unique(d.fraud_type[fraud])
    if types.size < 2:
        raise FraudTypeDataError(
            f"data has {int(fraud.sum())} fraud rows of {types.size} type(s): a fraud-type model "
            "needs fraud rows of at least two types"
        )
    estimator = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("logistic", LogisticRegression(max_iter=max_iter)),
        ]
    )
    estimator.fit(d.X[fraud], d.fraud_type[fraud].astype(str))
    return FraudModel(
        kind="logistic",
        estimator=estimator,
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
def _best_class(row: F64, columns: I64, fill: F64, coef: F64, intercept: F64) -> int:
    """Argmax over classes of ``x @ coef + intercept``, ``x`` being ``row[columns]`` with NaN
    replaced by ``fill`` (ties go to the first class, as NumPy's argmax)."""
    best, best_score = 0, -np.inf
    for c in range(intercept.shape[0]):
        score = intercept[c]
        for j in range(columns.shape[0]):
            v = row[columns[j]]
            score += (fill[j] if v != v else v) * coef[j, c]
        if score > best_score:
            best, best_score = c, score
    return best


class FraudTypes:
    """A fitted fraud-type pipeline reduced to arrays: ``predict(x)`` is the most likely type of
    one row of the model's features, identical to the pipeline's ``predict``."""

    def __init__(self, model: FraudModel) -> None:
        est: Any = model.estimator
        steps = dict(getattr(est, "named_steps", {}))
        if set(steps) != {"impute", "scale", "logistic"}:
            raise ValueError(
                f"{model!r} is not a fraud-type model: expected a pipeline of impute, scale and "
                f"logistic steps, got {', '.join(steps) or type(est).__name__}"
            )
        logistic = steps["logistic"]
        scale = np.where(steps["scale"].scale_ == 0.0, 1.0, steps["scale"].scale_)
        self.features: tuple[str, ...] = model.features
        self.fill: F64 = np.asarray(steps["impute"].statistics_, dtype=np.float64)
        self.mean: F64 = np.asarray(steps["scale"].mean_, dtype=np.float64)
        # fold the standardisation into the coefficients: w·((x - m) / s) + b = (w / s)·x + b'
        coef = np.asarray(logistic.coef_, dtype=np.float64) / scale
        self.coef: F64 = np.ascontiguousarray(coef.T)
        self.intercept: F64 = np.asarray(logistic.intercept_, dtype=np.float64) - (coef @ self.mean)
        self.classes: tuple[str, ...] = tuple(str(c) for c in logistic.classes_)
        if len(self.classes) == 2:  # binary logistic: one column, positive = second class
            self.coef = np.hstack((-self.coef, self.coef)) / 2.0
            self.intercept = np.array([-self.intercept[0], self.intercept[0]]) / 2.0
        self._identity: I64 = np.arange(len(self.features), dtype=np.int64)

    def predict(self, x: F64, columns: I64 | None = None) -> str:
        """The most likely fraud type of one row: the model's features in order, or with
        ``columns`` their positions in a wider row (NaN = missing)."""
        cols = self._identity if columns is None else columns
        return self.classes[_best_class(x, cols, self.fill, self.coef, self.intercept)]

    def predict_many(self, xs: F64) -> list[str]:
        """The most likely fraud type of each row of a 2-D array."""
        filled = np.where(np.isnan(xs), self.fill, xs)
        best = np.argmax(filled @ self.coef + self.intercept, axis=1)
        return [self.classes[i] for i in best.tolist()]


__all__ = [
    "TYPE_SUFFIX",
    "FraudTypeDataError",
    "FraudTypes",
    "fit_fraud_type",
    "register_fraud_type",
]
