"""Data analysis of a transactions table (engine schema): summary, fraud x anomaly
co-occurrence, severity, time, geography and risk by payment attribute.

Reporting reads the label columns; nothing here is a model input.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from fraudforge.analytics._arrays import F64
from fraudforge.analytics._frames import rate_table, require_columns
from fraudforge.engine.calendar import festival_dates
from fraudforge.engine.taxonomy import ANOMALY_LABELS, FRAUD_LABELS

WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Summary:
    """Headline counts of a transactions table."""

    rows: int
    customers: int
    merchants: int
    first_day: dt.date | None
    last_day: dt.date | None
    amount_inr: float
    fraud_rows: int
    fraud_amount_inr: float
    fraud_scenarios: int
    anomaly_rows: int

    @property
    def fraud_rate(self) -> float:
        """Share of rows that are fraud (0 for an empty table)."""
        return self.fraud_rows / self.rows if self.rows else 0.0

    @property
    def anomaly_rate(self) -> float:
        """Share of rows that are anomalies (0 for an empty table)."""
        return self.anomaly_rows / self.rows if self.rows else 0.0


def summary(tx: pl.DataFrame) -> Summary:
    """Row, customer, merchant, amount, fraud and anomaly counts.

    Parameters
    ----------
    tx
        Transactions of a dataset (``scan_dataset``'s columns).

    Returns
    -------
    Summary
        The dataset's figures.
    """
    cols = ("timestamp", "customer_id", "merchant_id", "amount_inr", "is_fraud", "is_anomaly")
    require_columns(tx, (*cols, "fraud_scenario_id"), "the summary")
    row = tx.select(
        rows=pl.len(),
        customers=pl.col("customer_id").n_unique(),
        merchants=pl.col("merchant_id").drop_nulls().n_unique(),
        first=pl.col("timestamp").min().dt.date(),
        last=pl.col("timestamp").max().dt.date(),
        amount=pl.col("amount_inr").sum(),
        fraud=pl.col("is_fraud").sum(),
        fraud_amount=pl.col("amount_inr").filter(pl.col("is_fraud")).sum(),
        scenarios=pl.col("fraud_scenario_id").drop_nulls().n_unique(),
        anomalies=pl.col("is_anomaly").sum(),
    ).row(0, named=True)
    return Summary(
        rows=int(row["rows"]),
        customers=int(row["customers"]),
        merchants=int(row["merchants"]),
        first_day=row["first"],
        last_day=row["last"],
        amount_inr=float(row["amount"] or 0.0),
        fraud_rows=int(row["fraud"] or 0),
        fraud_amount_inr=float(row["fraud_amount"] or 0.0),
        fraud_scenarios=int(row["scenarios"]),
        anomaly_rows=int(row["anomalies"] or 0),
    )


@dataclass(frozen=True)
class Cooccurrence:
    """Rows by fraud type (matrix rows) and anomaly type (columns), "none" included, and the phi
    correlation between the indicator of each fraud type and each anomaly type (NaN where an
    indicator is constant)."""

    fraud_types: tuple[str, ...]
    anomaly_types: tuple[str, ...]
    counts: np.ndarray
    phi: F64


def cooccurrence(tx: pl.DataFrame) -> Cooccurrence:
    """Fraud type x anomaly type counts and their indicator correlations.

    Parameters
    ----------
    tx
        Transactions of a dataset (``scan_dataset``'s columns).

    Returns
    -------
    Cooccurrence
        The counts and the phi coefficients.
    """
    require_columns(tx, ("fraud_type", "anomaly_type"), "the co-occurrence analysis")
    f_index = {n: i for i, n in enumerate(FRAUD_LABELS)}
    a_index = {n: i for i, n in enumerate(ANOMALY_LABELS)}
    counts = np.zeros((len(FRAUD_LABELS), len(ANOMALY_LABELS)), dtype=np.int64)
    grouped = tx.group_by(
        pl.col("fraud_type").cast(pl.String), pl.col("anomaly_type").cast(pl.String)
    ).len()
    for f, a, n in grouped.iter_rows():  # at most 16 x 5 groups
        counts[f_index[f], a_index[a]] = n
    total = counts.sum()
    r = counts.sum(axis=1, keepdims=True).astype(np.float64)
    c = counts.sum(axis=0, keepdims=True).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = (total * counts - r * c) / np.sqrt(r * (total - r) * c * (total - c))
    phi[~np.isfinite(phi)] = np.nan
    return Cooccurrence(FRAUD_LABELS, ANOMALY_LABELS, counts, phi)


def severity(tx: pl.DataFrame) -> pl.DataFrame:
    """Per anomaly type: rows and the severity's mean, median, 90th percentile and maximum.

    Parameters
    ----------
    tx
        Transactions of a dataset (``scan_dataset``'s columns).

    Returns
    -------
    polars.DataFrame
        One row per anomaly type present.
    """
    require_columns(tx, ("is_anomaly", "anomaly_type", "anomaly_severity"), "the severity analysis")
    sev = pl.col("anomaly_severity").cast(pl.Float64)
    return (
        tx.filter(pl.col("is_anomaly"))
        .group_by(pl.col("anomaly_type").cast(pl.String))
        .agg(
            rows=pl.len(),
            mean=sev.mean(),
            median=sev.median(),
            p90=sev.quantile(0.9, interpolation="linear"),
            max=sev.max(),
        )
        .sort("anomaly_type")
    )


@dataclass(frozen=True)
class HourWeekday:
    """Rows and fraud rows per weekday (0 = Monday) and hour of day, 7 x 24."""

    rows: np.ndarray
    fraud_rows: np.ndarray

    @property
    def fraud_rate(self) -> F64:
        """Fraud share per cell (NaN where a cell has no rows)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.rows > 0, self.fraud_rows / self.rows, np.nan)


def hour_weekday(tx: pl.DataFrame) -> HourWeekday:
    """Counts of rows and fraud rows by weekday and hour.

    Parameters
    ----------
    tx
        Transactions of a dataset (``scan_dataset``'s columns).

    Returns
    -------
    HourWeekday
        7 x 24 counts, Monday first.
    """
    require_columns(tx, ("timestamp", "is_fraud"), "the time analysis")
    ts = pl.col("timestamp")
    cell = (ts.dt.weekday().cast(pl.Int64) - 1) * 24 + ts.dt.hour().cast(pl.Int64)
    idx = tx.select(cell).to_series().to_numpy()
    fraud = tx["is_fraud"].to_numpy().astype(np.float64)
    rows = np.bincount(idx, minlength=168).reshape(7, 24)
    frauds = np.bincount(idx, weights=fraud, minlength=168).astype(np.int64).reshape(7, 24)
    return HourWeekday(rows, frauds)


def by_day(tx: pl.DataFrame) -> pl.DataFrame:
    """Per calendar day: rows, fraud rows and rate, and the festivals on that day ("" if none).

    Parameters
    ----------
    tx
        Transactions of a dataset (``scan_dataset``'s columns).

    Returns
    -------
    polars.DataFrame
        One row per day, in date order.
    """
    require_columns(tx, ("timestamp", "is_fraud", "amount_inr"), "the daily analysis")
    days = rate_table(tx.with_columns(day=pl.col("timestamp").dt.date()), "day").sort("day")
    if days.height == 0:
        return days.with_columns(festival=pl.lit("", pl.String))
    first, last = days["day"].min(), days["day"].max()
    assert isinstance(first, dt.date)
    assert isinstance(last, dt.date)
    found = festival_dates(first, last + dt.timedelta(days=1))
    names: dict[dt.date, list[str]] = {}
    for name, day in found:
        names.setdefault(day, []).append(name)
    fest = pl.DataFrame(
        {"day": list(names), "festival": [", ".join(v) for v in names.values()]},
        schema={"day": pl.Date, "festival": pl.String},
    )
    return days.join(fest, on="day", how="left").with_columns(pl.col("festival").fill_null(""))


def festival_effect(days: pl.DataFrame) -> pl.DataFrame:
    """Festival days against ordinary days: days, rows per day and fraud rate (from
    ``by_day``).

    Parameters
    ----------
    days
        ``by_day``'s table.

    Returns
    -------
    polars.DataFrame
        Two rows: festival days and ordinary days.
    """
    return (
        days.group_by(
            kind=pl.when(pl.col("festival") != "")
            .then(pl.lit("festival day"))
            .otherwise(pl.lit("ordinary day"))
        )
        .agg(
            days=pl.len(),
            rows_per_day=pl.col("rows").mean(),
            fraud_rate=pl.col("fraud_rows").sum() / pl.col("rows").sum(),
        )
        .sort("kind")
    )


def by_state(tx: pl.DataFrame) -> pl.DataFrame:
    """Per state: rows, fraud rows and rate, amounts; highest fraud rate first.

    Parameters
    ----------
    tx
        Transactions of a dataset (``scan_dataset``'s columns).

    Returns
    -------
    polars.DataFrame
        One row per state.
    """
    require_columns(tx, ("state", "is_fraud", "amount_inr"), "the geography analysis")
    frame = tx.with_columns(pl.col("state").cast(pl.String))
    return rate_table(frame, "state").sort(["fraud_rate", "state"], descending=[True, False])


def by_city(tx: pl.DataFrame) -> pl.DataFrame:
    """Per city: state, median coordinates of its payments, rows, fraud rows and rate.

    Parameters
    ----------
    tx
        Transactions of a dataset (``scan_dataset``'s columns).

    Returns
    -------
    polars.DataFrame
        One row per city.
    """
    require_columns(tx, ("city", "state", "lat", "lon", "is_fraud"), "the geography analysis")
    frame = tx.with_columns(pl.col("city").cast(pl.String), pl.col("state").cast(pl.String))
    coords = frame.group_by("city").agg(
        pl.col("state").first(), lat=pl.col("lat").median(), lon=pl.col("lon").median()
    )
    return (
        rate_table(frame, "city")
        .join(coords, on="city")
        .sort(["rows", "city"], descending=[True, False])
    )


RISK_COLUMNS: tuple[str, ...] = ("payment_mode", "channel", "category")
"""The payment attributes the report breaks risk down by."""


def risk_by(tx: pl.DataFrame, column: str) -> pl.DataFrame:
    """Per value of ``column``: rows, fraud rows and rate, and its share of all fraud amount;
    highest fraud rate first.

    Parameters
    ----------
    tx
        Transactions of a dataset.
    column
        The column to group by (e.g. ``payment_mode``, ``channel``, ``category``).

    Returns
    -------
    polars.DataFrame
        One row per value of ``column``.
    """
    require_columns(tx, (column, "is_fraud", "amount_inr"), f"risk by {column}")
    frame = tx.with_columns(pl.col(column).cast(pl.String))
    table = rate_table(frame, column)
    total = table["fraud_amount_inr"].sum()
    share = pl.col("fraud_amount_inr") / total if total else pl.lit(0.0)
    return table.with_columns(fraud_amount_share=share).sort(
        ["fraud_rate", column], descending=[True, False]
    )


def fraud_by_type(tx: pl.DataFrame) -> pl.DataFrame:
    """Per fraud type (fraud rows only): rows, incidents, customers and amounts; most rows
    first.

    Parameters
    ----------
    tx
        Transactions of a dataset (``scan_dataset``'s columns).

    Returns
    -------
    polars.DataFrame
        One row per fraud type present.
    """
    require_columns(tx, ("fraud_type", "fraud_scenario_id", "customer_id"), "fraud by type")
    return (
        tx.filter(pl.col("is_fraud"))
        .group_by(pl.col("fraud_type").cast(pl.String))
        .agg(
            rows=pl.len(),
            incidents=pl.col("fraud_scenario_id").n_unique(),
            customers=pl.col("customer_id").n_unique(),
            amount_inr=pl.col("amount_inr").sum(),
            median_amount_inr=pl.col("amount_inr").median(),
        )
        .sort(["rows", "fraud_type"], descending=[True, False])
    )
