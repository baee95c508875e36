"""scikit-learn's estimator contract for the package's own estimators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sklearn.utils.estimator_checks import parametrize_with_checks

from fraudforge.models.selection import CorrelationFilter, ImportanceSelector, L1Selector


@parametrize_with_checks(  # type: ignore[untyped-decorator]
    [
        CorrelationFilter(),
        L1Selector(),
        ImportanceSelector(kind="decision_tree", n_features=2),
    ]
)
def test_sklearn_compatible(estimator: Any, check: Callable[[Any], None]) -> None:
    check(estimator)
