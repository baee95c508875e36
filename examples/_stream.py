"""The payments the service examples send: a dataset's last transactions sent again as new
payments, everything but their time and id as it was.

By default (period 0, live) each payment is stamped with the moment it is sent, as a live
payment is, and each run gives its payments ids of its own (the service remembers ids it has
scored and answers a resend with the first result): runs against the same service follow each
other in time whatever their order, and whatever else was scored before (the quickstart's
snippets). With ``--period N`` (1 or more) the payments keep their time gaps instead: their
timestamps move forward by N times the dataset's span in whole weeks (hour and weekday kept),
period 2 wholly after period 1, and so on; a period that lies after the present is refused,
since the service takes no timestamp more than a few minutes ahead of its clock."""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import msgspec
import polars as pl

import fraudforge
from fraudforge.service import Transaction, transactions_of
from fraudforge.wire import IST


def upcoming(data: Path, rows: int, *, period: int = 0) -> list[Transaction]:
    """The last ``rows`` transactions of dataset ``data`` as new payments, in time order: of
    replay period ``period`` (1: the first after the dataset), or with ids of this run's own
    for period 0 (live; ``stamp`` gives each its time as it is sent)."""
    if rows < 1:
        raise ValueError(f"rows {rows}: allowed is 1 or more")
    if period < 0:
        raise ValueError(f"period {period}: allowed is 0 (live) or a replay period, 1 or more")
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
    # A new id for each (payment, period or live run): the same payment sent again is a new
    # payment, not a resend.
    run = period if period else time.time_ns() % 2**62 + 1_000
    new_id = (pl.col("transaction_id").hash(seed=run) // 2).cast(pl.Int64)
    return transactions_of(
        tail.with_columns(pl.col("timestamp") + shift, new_id.alias("transaction_id"))
    )


def stamp(txn: Transaction, period: int) -> Transaction:
    """``txn`` as it is sent: stamped with the present moment in IST when live (period 0),
    as it was in a replay period."""
    if period:
        return txn
    return msgspec.structs.replace(txn, timestamp=dt.datetime.now(IST).replace(tzinfo=None))


def service_options(description: str, *, rows: int, rows_help: str) -> argparse.ArgumentParser:
    """A parser with the options every service example takes: where the service is, its API
    key, the dataset it knows, and how many of the dataset's next payments to send."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--api-key", help="a key with scope `score`")
    parser.add_argument("--data", type=Path, required=True, help="dataset the service knows")
    parser.add_argument("--rows", type=int, default=rows, help=rows_help)
    parser.add_argument(
        "--period",
        type=int,
        default=0,
        help="0 (default): live, each payment stamped as it is sent; N >= 1: replay period N "
        "of the dataset's last payments, their time gaps kept (later runs take a later N)",
    )
    return parser
