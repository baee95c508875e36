"""Input checks shared by the analyzers: labels and scores as aligned NumPy arrays."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fraudforge.foundation.errors import DataError

F64 = npt.NDArray[np.float64]
BOOL = npt.NDArray[np.bool_]


def labels_and_scores(y: npt.ArrayLike, scores: npt.ArrayLike) -> tuple[BOOL, F64]:
    """``y`` as booleans and ``scores`` as finite floats of the same length."""
    labels = np.asarray(y).astype(bool).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if labels.shape != s.shape:
        raise DataError(
            f"labels and scores differ in length ({labels.shape[0]} vs {s.shape[0]}): "
            "scores must have one value per row"
        )
    if not np.isfinite(s).all():
        raise DataError("scores contain NaN or infinite values: allowed are finite numbers")
    return labels, s


def require_both_classes(y: BOOL, what: str) -> None:
    """Refuse labels of a single class for a measure that needs fraud and genuine rows."""
    positives = int(y.sum())
    if positives == 0 or positives == y.shape[0]:
        only = "fraud" if positives else "genuine"
        raise DataError(f"{what} needs both fraud and genuine rows; the labels are all {only}")
