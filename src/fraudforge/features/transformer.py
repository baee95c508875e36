"""A scikit-learn transformer: transactions (a Polars frame in the engine's schema) in, the 69
features out, for use at the head of a Pipeline."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from sklearn.base import BaseEstimator, TransformerMixin

from fraudforge.features.batch import compute_features
from fraudforge.features.catalog import FEATURE_NAMES
from fraudforge.features.outlier import OutlierModel
from fraudforge.foundation.errors import ConfigError


class FeatureTransformer(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Compute the catalogue's features of a transactions frame.

    ``customers`` is the customers table (customer_id, home_lat, home_lon); ``features`` selects
    a subset of the catalogue (default: all 69). ``fit`` learns the outlier score's medians and
    MADs (``outlier_``); ``transform`` returns a float array in input row order.

    Parameters
    ----------
    customers
        A table with ``customer_id``, ``home_lat`` and ``home_lon`` for every customer whose
        transactions are fitted or transformed; required by ``fit``.
    features
        Catalogue names to output, in this order; default: all of ``FEATURE_NAMES``.
        Checked by ``fit``.
    """

    def __init__(
        self, customers: pl.DataFrame | None = None, features: tuple[str, ...] | None = None
    ) -> None:
        self.customers = customers
        self.features = features

    def _names(self) -> list[str]:
        names = list(self.features) if self.features is not None else list(FEATURE_NAMES)
        unknown = sorted(set(names) - set(FEATURE_NAMES))
        if unknown:
            raise ConfigError(
                f"unknown features {unknown}: "
                "allowed are the catalogue's names (fraudforge features --list)"
            )
        return names

    def fit(self, X: pl.DataFrame, y: Any = None) -> FeatureTransformer:  # noqa: N803 - sklearn's name
        """Learn the outlier model on the training transactions.

        Parameters
        ----------
        X
            Training transactions in the engine's schema (as ``compute_features`` reads
            them), in any order.
        y
            Ignored: the features read past labels from ``X``'s own ``is_fraud`` and
            ``label_known_at``, once known.

        Returns
        -------
        FeatureTransformer
            This transformer, fitted (``outlier_``, ``feature_names_in_``,
            ``n_features_in_``).

        Raises
        ------
        ValueError
            Without ``customers``, for a name of ``features`` not in the catalogue, or for a
            transaction whose customer is not in ``customers``.
        """
        if self.customers is None:
            raise ConfigError(
                "customers is required: the customers table with home_lat and home_lon"
            )
        self._names()
        _, self.outlier_ = compute_features(X, self.customers, with_labels=False)
        self.feature_names_in_ = np.array(X.columns, dtype=object)
        self.n_features_in_ = len(X.columns)
        return self

    def transform(self, X: pl.DataFrame) -> npt.NDArray[np.float64]:  # noqa: N803 - sklearn's name
        """Features of ``X`` as a float array (rows in ``X``'s order; nulls as NaN).

        Parameters
        ----------
        X
            Transactions in the engine's schema, in any order, with distinct
            ``transaction_id``; their merchant-, device- and payee-side features are computed
            from ``X`` alone.

        Returns
        -------
        numpy.ndarray
            float64, one row per row of ``X`` and one column per feature, in ``features``
            order.

        Raises
        ------
        AttributeError
            Before ``fit``.
        ValueError
            For a transaction whose customer is not in ``customers``.
        """
        outlier: OutlierModel = self.outlier_
        assert self.customers is not None
        frame, _ = compute_features(X, self.customers, outlier=outlier, with_labels=False)
        names = self._names()
        order = X.select("transaction_id").join(
            frame, on="transaction_id", how="left", maintain_order="left"
        )
        return order.select(names).cast(pl.Float64).fill_null(np.nan).to_numpy()

    def get_feature_names_out(self, input_features: Any = None) -> npt.NDArray[np.object_]:
        """The output feature names.

        Parameters
        ----------
        input_features
            Ignored (scikit-learn's signature): the output names do not depend on the input
            columns.

        Returns
        -------
        numpy.ndarray
            The names of ``features`` (default: the whole catalogue), of dtype object.

        Raises
        ------
        ValueError
            For a name of ``features`` not in the catalogue.
        """
        return np.array(self._names(), dtype=object)
