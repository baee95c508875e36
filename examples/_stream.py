"""The payments the service examples send: a dataset's last transactions replayed as a later
period's. Timestamps move forward by whole weeks past the dataset's end (hour and weekday kept),
and each period's payments get transaction ids of their own (the service remembers ids it has
scored and answers a resend with the first result), everything else as it was; so a service
warm-started from the dataset (``fraudforge serve --data``) takes them as new payments, each
customer's in time order.
Period 2 lies wholly after period 1, and so on: a second run against the same service picks
the next period."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import polars as pl

import fraudforge
from fraudforge.service import Transaction, transactions_of


def upcoming(data: Path, rows: int, *, period: int = 1) -> list[Transaction]:
    """The last ``rows`` transactions of dataset ``data`` as payments of replay period
    ``period`` (1: the first after the dataset), in time order."""
    if rows < 1:
        raise ValueError(f"rows {rows}: allowed is 1 or more")
    if period < 1:
        raise ValueError(f"period {period}: allowed is 1 or more")
    tx = fraudforge.scan_dataset(data).sort("timestamp", "transaction_id")
    first, end = (
        tx.select(
            pl.col("timestamp").min().alias("first"),
            pl.col("timestamp").max().alias("end"),
        )
        .collect()
        .row(0)
    )
    shift = dt.timedelta(weeks=period * ((end - first).days // 7 + 1))
    tail = tx.tail(rows).collect()
    # A new id for each (payment, period): the same payment replayed in another period is a new
    # payment, not a resend.
    new_id = (pl.col("transaction_id").hash(seed=period) // 2).cast(pl.Int64)
    return transactions_of(
        tail.with_columns(pl.col("timestamp") + shift, new_id.alias("transaction_id"))
    )


def service_options(description: str, *, rows: int, rows_help: str) -> argparse.ArgumentParser:
    """A parser with the options every service example takes: where the service is, its API
    key, the dataset it knows, and how many of the dataset's next payments to send."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--api-key", help="a key with scope `score`")
    parser.add_argument("--data", type=Path, required=True, help="dataset the service knows")
    parser.add_argument("--rows", type=int, default=rows, help=rows_help)
    parser.add_argument(
        "--period", type=int, default=1, help="replay period: 2 or more for a second run"
    )
    return parser
