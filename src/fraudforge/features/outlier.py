"""An unsupervised outlier score over observable features: the mean absolute robust z-score of
eight behavioural signals and the log amount, against medians and MADs learnt from training data.
The score itself is computed row by row in ``finish.finish_rows``."""

from __future__ import annotations

import msgspec
import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
FIT_ROWS = 50_000
"""At most this many rows, evenly spaced, are what the model is fitted on."""


def sample_rows(n: int, max_rows: int = FIT_ROWS) -> npt.NDArray[np.int64]:
    """The rows of an ``n``-row matrix that ``OutlierModel.fit`` learns from, ascending."""
    return np.linspace(0, n - 1, max_rows).astype(np.int64) if n > max_rows else np.arange(n)


class OutlierModel(msgspec.Struct, frozen=True):
    """Medians and scaled MADs of the score's inputs, learnt by ``fit``."""

    median: list[float]
    scale: list[float]

    @classmethod
    def fit(cls, m: F64, amount: F64, *, max_rows: int = FIT_ROWS) -> OutlierModel:
        """Learn from (up to ``max_rows`` evenly spaced) rows of a feature matrix.

        Parameters
        ----------
        m
            A (rows, features) matrix in ``layout.LAYOUT`` order whose
            ``layout.OUTLIER_INPUTS`` columns (customer-side features) are filled.
        amount
            The rows' amounts in INR.
        max_rows
            At most this many rows, evenly spaced from first to last, are learnt from.

        Returns
        -------
        OutlierModel
            The medians and scaled MADs of the score's inputs.
        """
        from fraudforge.features.layout import outlier_inputs  # the kernels load on first fit

        rows = sample_rows(amount.shape[0], max_rows)
        return cls.fit_inputs(outlier_inputs(m, amount, rows))

    @classmethod
    def fit_inputs(cls, x: F64) -> OutlierModel:
        """Learn from the score's inputs of the sampled rows (``outlier_inputs`` at
        ``sample_rows``), gathered in one piece or batch by batch.

        Parameters
        ----------
        x
            (rows, 9): one row per sampled transaction, the ``layout.OUTLIER_INPUTS`` as the
            score takes them, then the log amount. With no rows the medians are 0 and the
            scales 1.

        Returns
        -------
        OutlierModel
            Each column's median and its MAD times 1.4826 (at least 0.001).
        """
        n = x.shape[0]
        med = np.median(x, axis=0) if n else np.zeros(x.shape[1])
        mad = np.median(np.abs(x - med), axis=0) * 1.4826 if n else np.ones(x.shape[1])
        return cls(median=med.tolist(), scale=np.maximum(mad, 1e-3).tolist())

    def arrays(self) -> tuple[F64, F64]:
        """Medians and scales as arrays for the kernel."""
        return np.asarray(self.median, dtype=np.float64), np.asarray(self.scale, dtype=np.float64)


__all__ = ["FIT_ROWS", "OutlierModel", "sample_rows"]
