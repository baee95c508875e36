"""Feature selection as scikit-learn selectors: a correlation filter, L1-regularised logistic
regression, importance ranking by a fitted model, and recursive feature elimination (RFE). The
chosen names go into ``FraudModel.features`` (``train_model(..., features=selection.features)``),
so the model reads exactly them wherever it scores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, clone
from sklearn.feature_selection import RFE, SelectorMixin
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data

from fraudforge.foundation.errors import ConfigError, DataError, UnsupportedTypeError
from fraudforge.models.data import ModelData
from fraudforge.models.zoo import (
    SUPERVISED_KINDS,
    check_kind,
    final_estimator,
    make_estimator,
    resolve_params,
)

F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
SelectionMethod = Literal["correlation", "l1", "importance", "rfe"]
SELECTION_METHODS: tuple[str, ...] = ("correlation", "l1", "importance", "rfe")
L1_MAX_ITER = 2000


def _filled(x: F64) -> F64:
    """Missing values replaced by their column's median (0 for an all-missing column)."""
    out: F64 = np.asarray(
        SimpleImputer(strategy="median", keep_empty_features=True).fit_transform(x),
        dtype=np.float64,
    )
    return out


def importances(estimator: Any) -> F64:
    """One non-negative importance per input feature of a fitted model: LightGBM's total split
    gain, a tree ensemble's impurity decrease, or a linear model's absolute coefficient (on
    standardised inputs for the logistic pipeline)."""
    model = final_estimator(estimator)
    booster = getattr(model, "booster_", None)
    if booster is not None:
        return np.asarray(booster.feature_importance(importance_type="gain"), dtype=np.float64)
    if hasattr(model, "feature_importances_"):
        return np.asarray(model.feature_importances_, dtype=np.float64)
    if hasattr(model, "coef_"):
        coef: F64 = np.abs(np.asarray(model.coef_, dtype=np.float64)).sum(axis=0)
        n_in = int(getattr(estimator, "n_features_in_", None) or coef.shape[0])
        return coef[:n_in]  # the imputer's missing-value indicators come after the inputs
    raise UnsupportedTypeError(
        f"{type(model).__name__} has no feature importances: allowed are LightGBM, tree models "
        "and linear models"
    )


class _Selector(SelectorMixin, BaseEstimator):  # type: ignore[misc]
    """Shared fit bookkeeping: validated input, ``support_`` as the learned mask."""

    support_: B

    def _get_support_mask(self) -> B:
        check_is_fitted(self, "support_")
        return self.support_

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


class CorrelationFilter(_Selector):
    """Drops each feature whose absolute Pearson correlation with an earlier kept feature exceeds
    ``threshold`` (features are visited in input order, so earlier ones win). Constant features
    are dropped too. ``dropped_`` maps a dropped feature's index to the kept one it duplicates
    (-1 for a constant).

    Parameters
    ----------
    threshold
        The absolute correlation above which a later feature is dropped, 0 to 1.
    """

    def __init__(self, threshold: float = 0.95) -> None:
        self.threshold = threshold

    def fit(self, X: Any, y: Any = None) -> CorrelationFilter:  # noqa: N803
        """Find the features to keep.

        Parameters
        ----------
        X
            The training rows' features (rows in time order), a 2-D array.
        y
            The rows' fraud labels (unused: the filter reads the features only).

        Returns
        -------
        CorrelationFilter
            ``self``, fitted.
        """
        if not 0.0 < self.threshold <= 1.0:
            raise ConfigError(f"`threshold` = {self.threshold}: allowed is above 0, up to 1")
        x = _filled(validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64))
        std = x.std(axis=0)
        varying = std > 0
        z = np.zeros_like(x)
        z[:, varying] = (x[:, varying] - x[:, varying].mean(axis=0)) / std[varying]
        corr = np.abs(z.T @ z) / max(x.shape[0], 1)
        keep = np.zeros(x.shape[1], dtype=np.bool_)
        dropped: dict[int, int] = {}
        for j in range(x.shape[1]):
            if not varying[j]:
                dropped[j] = -1
                continue
            kept = np.flatnonzero(keep)
            close = kept[corr[j, kept] > self.threshold]
            if close.size:
                dropped[j] = int(close[0])
            else:
                keep[j] = True
        if not keep.any():
            keep[0] = True  # a selector must keep one feature
        self.support_ = keep
        self.dropped_ = dropped
        return self


class L1Selector(_Selector):
    """Keeps the features with a non-zero coefficient in an L1-regularised logistic regression
    (median-imputed, standardised inputs, balanced class weights; liblinear for two classes, saga
    beyond); smaller ``C`` keeps fewer.
    ``coef_`` holds the absolute coefficients.

    Parameters
    ----------
    C
        The inverse regularisation strength; smaller keeps fewer features.
    random_state
        Seed of the solver.
    """

    def __init__(self, C: float = 0.05, random_state: int = 0) -> None:  # noqa: N803
        self.C = C
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> L1Selector:  # noqa: N803
        """Fit the L1 logistic regression and keep the non-zero features.

        Parameters
        ----------
        X
            The training rows' features (rows in time order), a 2-D array.
        y
            The rows' fraud labels.

        Returns
        -------
        L1Selector
            ``self``, fitted.
        """
        x, target = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype=np.float64)
        z = StandardScaler().fit_transform(_filled(x))
        model = LogisticRegression(
            C=self.C,
            l1_ratio=1.0,
            solver="liblinear" if np.unique(target).shape[0] == 2 else "saga",
            class_weight="balanced",
            max_iter=L1_MAX_ITER,
            random_state=self.random_state,
        ).fit(z, target)
        self.classes_ = model.classes_
        self.coef_ = np.abs(np.asarray(model.coef_, dtype=np.float64)).sum(axis=0)
        keep = self.coef_ > 0
        if not keep.any():
            keep[int(np.argmax(self.coef_))] = True
        self.support_ = keep
        return self

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


class ImportanceSelector(_Selector):
    """Keeps the ``n_features`` most important features of a model of ``kind`` fitted on the
    data (see :func:`importances`). ``importances_`` and ``ranking_`` (1 = most important)
    are kept.

    Parameters
    ----------
    kind
        The model kind whose importances rank the features (a zoo kind, e.g. ``lightgbm``).
    n_features
        How many features to keep.
    params
        The model's parameters (default: the zoo's for ``kind``).
    """

    def __init__(
        self, kind: str = "lightgbm", n_features: int = 20, params: dict[str, Any] | None = None
    ) -> None:
        self.kind = kind
        self.n_features = n_features
        self.params = params

    def fit(self, X: Any, y: Any) -> ImportanceSelector:  # noqa: N803
        """Fit the model and rank the features by importance.

        Parameters
        ----------
        X
            The training rows' features (rows in time order), a 2-D array.
        y
            The rows' fraud labels.

        Returns
        -------
        ImportanceSelector
            ``self``, fitted.
        """
        check_kind(self.kind, SUPERVISED_KINDS)
        if self.n_features < 1:
            raise ConfigError(f"`n_features` = {self.n_features}: allowed is 1 or more")
        x, target = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype=np.float64)
        model = make_estimator(self.kind, resolve_params(self.kind, self.params, y=None))
        model.fit(x, target)
        self.classes_ = np.unique(target)
        self.importances_ = importances(model)
        order = np.lexsort((np.arange(x.shape[1]), -self.importances_))
        self.ranking_ = np.empty(x.shape[1], dtype=np.int64)
        self.ranking_[order] = np.arange(1, x.shape[1] + 1)
        self.support_ = self.ranking_ <= self.n_features
        return self

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags


@dataclass(frozen=True)
class Selection:
    """The features a method kept, in their original order, and what it learnt."""

    method: str
    features: tuple[str, ...]
    dropped: tuple[str, ...]
    selector: Any
    """The fitted selector (``support_`` / ``ranking_`` / ``importances_`` as it has them)."""


def selector_for(
    method: SelectionMethod,
    *,
    n_features: int = 20,
    threshold: float = 0.95,
    C: float = 0.05,  # noqa: N803 - scikit-learn's name
    kind: str = "lightgbm",
    params: dict[str, Any] | None = None,
    step: int | float = 0.2,
) -> Any:
    """The unfitted selector of ``method``."""
    if method == "correlation":
        return CorrelationFilter(threshold=threshold)
    if method == "l1":
        return L1Selector(C=C)
    if method == "importance":
        return ImportanceSelector(kind=kind, n_features=n_features, params=params)
    if method == "rfe":
        check_kind(kind, SUPERVISED_KINDS)
        model = make_estimator(kind, resolve_params(kind, params))
        return RFE(
            clone(model), n_features_to_select=n_features, step=step, importance_getter=importances
        )
    raise ConfigError(
        f"unknown selection method `{method}`: allowed are {', '.join(SELECTION_METHODS)}"
    )


def select_features(
    data: ModelData,
    *,
    method: SelectionMethod = "importance",
    features: Sequence[str] | None = None,
    **options: Any,
) -> Selection:
    """Fit ``method``'s selector on ``data`` (training rows only: selection is part of
    training) and return the kept feature names. ``options`` go to :func:`selector_for`.

    Parameters
    ----------
    data
        The training rows.
    method
        ``"importance"``, ``"rfe"``, ``"l1"`` or ``"correlation"``.
    features
        The candidate features (default: all of ``data``'s).
    **options
        The selector's options (e.g. ``n_features``, ``C``, ``threshold``).

    Returns
    -------
    Selection
        The kept and dropped features, and the fitted selector.

    Raises
    ------
    ValueError
        For an unknown method or option, naming what is allowed.
    """
    d = data.select(features) if features is not None else data
    selector = selector_for(method, **options)
    if method == "rfe" and options.get("n_features", 20) >= len(d.features):
        raise DataError(
            f"RFE to {options.get('n_features', 20)} features needs more than the "
            f"{len(d.features)} given"
        )
    selector.fit(d.X, d.y)
    mask = np.asarray(selector.get_support(), dtype=np.bool_)
    names = np.array(d.features, dtype=object)
    return Selection(
        method=method,
        features=tuple(str(n) for n in names[mask]),
        dropped=tuple(str(n) for n in names[~mask]),
        selector=selector,
    )
