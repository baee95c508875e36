"""Feature throughput: all 69 features of 1M transactions in batch, and OnlineFeatures for one
transaction at a time. Run with ``make bench``."""

from __future__ import annotations

import gc
from typing import Any

import polars as pl
import pytest

from fraudforge.engine.scan import scan, scan_customers
from fraudforge.engine.scenario import Scenario
from fraudforge.features.batch import compute_features
from fraudforge.features.online import OnlineFeatures

ONE_MILLION = Scenario(target_rows=1_000_000)


@pytest.fixture(scope="module")
def million() -> tuple[pl.DataFrame, pl.DataFrame]:
    """1M transactions of the default preset and their customers."""
    return scan(ONE_MILLION).collect(), scan_customers(ONE_MILLION).collect()


def test_batch_features_1m(benchmark: Any, million: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    """All 69 features for 1M transactions, 2 threads (budget: <= 2 s on 2 cores)."""
    tx, customers = million
    compute_features(tx.head(10_000), customers)  # load the compiled kernels
    frame, _ = benchmark.pedantic(lambda: compute_features(tx, customers), rounds=5, iterations=1)
    benchmark.extra_info["rows"] = frame.height
    benchmark.extra_info["rows_per_s_median"] = round(frame.height / benchmark.stats.stats.median)


def test_online_one_transaction(benchmark: Any) -> None:
    """OnlineFeatures.process_row for one transaction, state warmed by a replayed stream
    (budget: p99 <= 50 us in-process; percentiles: bench/online_latency.py)."""
    s = Scenario(customers=500, days=30, seed=8)
    tx = scan(s).collect().sort("timestamp", "transaction_id")
    customers = scan_customers(s).collect()
    _, model = compute_features(tx, customers)
    rows = list(tx.iter_rows(named=True))
    warm, timed = rows[: len(rows) // 2], rows[len(rows) // 2 :]
    online = OnlineFeatures.from_customers(customers, model)
    for txn in warm:
        online.process(txn)
    gc.collect()
    gc.freeze()  # as a server does after start-up
    it = iter(timed)
    benchmark.pedantic(
        lambda: online.process_row(next(it)), rounds=min(len(timed), 5_000), iterations=1
    )
