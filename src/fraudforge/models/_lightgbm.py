"""The registry's LightGBM booster read by LightGBM itself, as a scikit-learn classifier: what
training, comparison, ensembles and the report load. Kept apart from ``models._store`` because
it imports LightGBM and scikit-learn, which the serving image does not carry (the service reads
boosters with ``compiled.TextBooster``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import lightgbm as lgb
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from fraudforge.models._store import BoosterScoring


class BoosterClassifier(BoosterScoring, ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A binary LightGBM booster rebuilt from its text model, with the scoring surface of a fitted
    ``LGBMClassifier`` (``classes_``, ``predict_proba``, ``decision_function``, ``predict``),
    giving identical scores. It scores a stored model; it has no ``fit`` (train a new model)."""

    def __init__(
        self,
        *,
        model_str: str = "",
        classes: Iterable[Any] = (0, 1),
        importance_type: str = "split",
    ) -> None:
        self.model_str = model_str
        self.classes = classes
        self.importance_type = importance_type

    @classmethod
    def from_string(
        cls, model_str: str, *, classes: Iterable[Any], importance_type: str = "split"
    ) -> BoosterClassifier:
        """The fitted classifier of a LightGBM text model (as ``Booster.model_to_string``)."""
        est = cls(model_str=model_str, classes=tuple(classes), importance_type=importance_type)
        est.booster_ = lgb.Booster(model_str=model_str)
        est.classes_ = np.asarray(tuple(classes))
        est.n_classes_ = len(est.classes_)
        est.n_features_in_ = est.booster_.num_feature()
        return est

    @property
    def feature_importances_(self) -> np.ndarray:
        """Per-feature importance of the booster (``importance_type``: split or gain)."""
        return np.asarray(self.booster_.feature_importance(importance_type=self.importance_type))


__all__ = ["BoosterClassifier"]
