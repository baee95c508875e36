"""Column checks shared by the analyzers of transaction and feature tables."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from fraudforge.foundation.errors import DataError


def require_columns(frame: pl.DataFrame, columns: Iterable[str], what: str) -> None:
    """Refuse a table that lacks a column the analysis reads, naming the missing ones."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{what} needs the column(s) {', '.join(missing)}; "
            "pass the transactions table of a fraudforge dataset (docs/schema.md)"
        )


def rate_table(frame: pl.DataFrame, by: str | list[str]) -> pl.DataFrame:
    """Per group: rows, fraud rows, fraud rate, amount and fraud amount (INR)."""
    return frame.group_by(by).agg(
        rows=pl.len(),
        fraud_rows=pl.col("is_fraud").sum(),
        fraud_rate=pl.col("is_fraud").mean(),
        amount_inr=pl.col("amount_inr").sum(),
        fraud_amount_inr=pl.col("amount_inr").filter(pl.col("is_fraud")).sum(),
    )
