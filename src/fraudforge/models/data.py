"""What every model reads: the feature matrix in time order, with the labels and the transaction
columns (time, customer, card, amount) that splits, Card Precision@k and cost need."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from fraudforge.engine.dataset import scan_dataset
from fraudforge.engine.schema import TRAINING_LABELS
from fraudforge.features.catalog import FEATURE_NAMES
from fraudforge.features.pipeline import read_features
from fraudforge.foundation.errors import ConfigError, DataError

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
S = npt.NDArray[np.str_]

US_PER_DAY = 86_400_000_000
"""Microseconds in a day: timestamps are naive Indian Standard Time, so ``t // US_PER_DAY`` is the
local calendar day."""
NO_CARD = -1
"""``card_id`` of a payment made without a card (UPI, net banking, wallet, ...)."""
TRANSACTION_COLUMNS: tuple[str, ...] = (
    "transaction_id",
    "timestamp",
    "customer_id",
    "card_id",
    "amount_inr",
)
"""Columns read from the transactions table (joined to the features on ``transaction_id``)."""


@dataclass(frozen=True, eq=False)
class ModelData:
    """Rows in time order (timestamp, then transaction_id): the matrix ``X`` over ``features`` and,
    aligned with it, the labels and the transaction columns the metrics read."""

    features: tuple[str, ...]
    """Column names of ``X``, in order."""
    X: F64
    """Float64 ``(n, len(features))``; NaN where a feature is undefined (no previous payment)."""
    y: B
    """``is_fraud``."""
    t: I64
    """Authorisation time, µs since the epoch (naive IST)."""
    customer_id: I64
    card_id: I64
    """The card used, ``NO_CARD`` (-1) for payments without a card."""
    amount: F64
    """Amount in INR."""
    fraud_type: S
    """Fraud type, ``'none'`` for genuine rows."""
    anomaly_type: S
    """Anomaly type, ``'none'`` for ordinary rows."""
    label_known_at: I64
    """When the label became known, µs since the epoch."""
    transaction_id: I64

    def __post_init__(self) -> None:
        n = self.X.shape[0]
        if self.X.ndim != 2 or self.X.shape[1] != len(self.features):
            raise DataError(
                f"X has shape {self.X.shape}: expected (rows, {len(self.features)}) for "
                f"{len(self.features)} features"
            )
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray) and value.shape[0] != n:
                raise DataError(f"column `{f.name}` has {value.shape[0]} rows: expected {n}")

    @classmethod
    def from_frame(cls, df: pl.DataFrame, features: Sequence[str]) -> ModelData:
        """ModelData from one time-ordered frame holding ``features`` and the label and
        transaction columns (``is_fraud``, ``fraud_type``, ``anomaly_type``, ``label_known_at``,
        ``transaction_id``, ``timestamp``, ``customer_id``, ``card_id``, ``amount_inr``): the
        one conversion of a table to the arrays the models read.

        Parameters
        ----------
        df
            The rows, already in (timestamp, transaction_id) order.
        features
            The columns of ``df`` that make ``X``, in order; each is cast to Float64.

        Returns
        -------
        ModelData
            The rows of ``df``, in its order.
        """
        names = tuple(features)
        x = (
            df.select(pl.col(n).cast(pl.Float64) for n in names).to_numpy(order="c")
            if names
            else np.empty((df.height, 0), dtype=np.float64)
        )
        return cls(
            features=names,
            X=np.ascontiguousarray(x, dtype=np.float64),
            y=df["is_fraud"].to_numpy().astype(np.bool_),
            t=df["timestamp"].dt.epoch("us").to_numpy().astype(np.int64),
            customer_id=df["customer_id"].to_numpy().astype(np.int64),
            card_id=df["card_id"].fill_null(NO_CARD).to_numpy().astype(np.int64),
            amount=df["amount_inr"].to_numpy().astype(np.float64),
            fraud_type=df["fraud_type"].cast(pl.String).to_numpy().astype(np.str_),
            anomaly_type=df["anomaly_type"].cast(pl.String).to_numpy().astype(np.str_),
            label_known_at=df["label_known_at"].dt.epoch("us").to_numpy().astype(np.int64),
            transaction_id=df["transaction_id"].to_numpy().astype(np.int64),
        )

    def __len__(self) -> int:
        return int(self.X.shape[0])

    @property
    def day(self) -> I64:
        """Local calendar day of each row (days since the epoch)."""
        return self.t // US_PER_DAY

    def subset(self, rows: npt.ArrayLike) -> ModelData:
        """These rows (indices or a boolean mask), in the order given.

        Parameters
        ----------
        rows
            Row indices, or a boolean mask as long as the data.

        Returns
        -------
        ModelData
            Those rows, every column kept.
        """
        idx = np.asarray(rows)
        changes = {
            f.name: getattr(self, f.name)[idx]
            for f in fields(self)
            if isinstance(getattr(self, f.name), np.ndarray)
        }
        return replace(self, **changes)

    def select(self, features: Sequence[str]) -> ModelData:
        """The same rows with only ``features``, in the order given.

        Parameters
        ----------
        features
            Feature names of this data.

        Returns
        -------
        ModelData
            The same rows, ``X`` reduced to those features.

        Raises
        ------
        ValueError
            For a name that is not one of this data's features.
        """
        names = tuple(features)
        return replace(self, features=names, X=self.X[:, self.columns(names)])

    def columns(self, features: Sequence[str]) -> I64:
        """Positions of ``features`` in ``X``; an unknown name is refused with the allowed ones.

        Parameters
        ----------
        features
            Feature names of this data.

        Returns
        -------
        numpy.ndarray
            Their column positions in ``X``, in the order given.

        Raises
        ------
        ValueError
            For a name that is not one of this data's features, with the allowed ones.
        """
        index = {name: i for i, name in enumerate(self.features)}
        missing = [name for name in features if name not in index]
        if missing:
            raise ConfigError(
                f"unknown feature(s) {', '.join(f'`{m}`' for m in missing)}: "
                f"allowed are {', '.join(self.features)}"
            )
        return np.array([index[name] for name in features], dtype=np.int64)


def _feature_columns(schema: pl.Schema, features: Sequence[str] | None) -> tuple[str, ...]:
    """The requested features (default: every catalogue feature present), checked against the
    table."""
    if features is None:
        present = tuple(name for name in FEATURE_NAMES if name in schema)
        if not present:
            raise DataError("the features table has none of the catalogue's features")
        return present
    missing = [name for name in features if name not in schema or name not in FEATURE_NAMES]
    if missing:
        raise ConfigError(
            f"unknown feature(s) {', '.join(f'`{m}`' for m in missing)}: allowed are the "
            f"catalogue features present in the table ({len(FEATURE_NAMES)} names, see "
            "`fraudforge features --list`)"
        )
    return tuple(features)


def _joined(
    features: pl.LazyFrame, transactions: pl.LazyFrame, names: Sequence[str]
) -> pl.LazyFrame:
    """Features joined to the transaction columns, in time order, with only what is needed."""
    for table, schema, need in (
        ("features", features.collect_schema(), ("transaction_id", *TRAINING_LABELS)),
        ("transactions", transactions.collect_schema(), TRANSACTION_COLUMNS),
    ):
        missing = [c for c in need if c not in schema]
        if missing:
            raise DataError(f"the {table} table lacks column(s) {', '.join(missing)}")
    return (
        features.select("transaction_id", *names, *TRAINING_LABELS)
        .join(transactions.select(TRANSACTION_COLUMNS), on="transaction_id", how="inner")
        .sort("timestamp", "transaction_id")
    )


def model_data(
    features: pl.DataFrame | pl.LazyFrame,
    transactions: pl.DataFrame | pl.LazyFrame,
    *,
    names: Sequence[str] | None = None,
) -> ModelData:
    """ModelData from a features table (``compute_features``' output, with its labels) and the
    transactions it was computed from; ``names`` picks features (default: all present).

    Parameters
    ----------
    features
        The features table, with its labels.
    transactions
        The transactions it was computed from.
    names
        The features to read.

    Returns
    -------
    ModelData
        The rows in time order, with their labels.

    Raises
    ------
    ValueError
        For a features table without catalogue features, or an unknown feature name.
    """
    f, tx = features.lazy(), transactions.lazy()
    cols = _feature_columns(f.collect_schema(), names)
    return ModelData.from_frame(_joined(f, tx, cols).collect(), cols)


def load_model_data(
    data_dir: str | Path,
    features_dir: str | Path,
    *,
    names: Sequence[str] | None = None,
) -> ModelData:
    """ModelData of a dataset directory (``fraudforge generate``) and its features directory
    (``fraudforge features``): both are scanned lazily and only the needed columns are read.

    Parameters
    ----------
    data_dir
        The dataset directory.
    features_dir
        Its features directory.
    names
        The features to read (default: every catalogue feature present).

    Returns
    -------
    ModelData
        The rows in time order, with their labels.

    Raises
    ------
    ValueError
        For a features table without catalogue features, or an unknown feature name.
    """
    _, feats = read_features(features_dir, dataset=data_dir)
    tx = scan_dataset(data_dir)
    cols = _feature_columns(feats.collect_schema(), names)
    return ModelData.from_frame(_joined(feats, tx, cols).collect(engine="streaming"), cols)
