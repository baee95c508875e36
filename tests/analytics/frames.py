"""Hand-made transaction tables in the engine's schema, for analyzer tests with known answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from tests.features.test_feature_values import frame, txn

MONDAY_10 = dt.datetime(2025, 9, 1, 10)
"""Default timestamp of a hand-made row: a Monday, 10:00, no festival."""


def transactions(*rows: dict[str, Any]) -> pl.DataFrame:
    """A transactions table with one row per mapping (the engine's defaults for every column
    not given, see ``txn``); ids 1..n."""
    return frame([txn(row.get("timestamp", MONDAY_10), **row) for row in rows])
