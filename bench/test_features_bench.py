"""Feature throughput: all 69 features of 1M transactions in batch, each step of the batch
computation on its own (named by group), OnlineFeatures for one transaction at a time, and the
Fraud Detection Handbook's pandas customer-window features as a same-run baseline on the
handbook preset. Run with ``make bench``."""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest

from fraudforge.engine.scan import scan, scan_customers
from fraudforge.engine.scenario import Scenario
from fraudforge.features.batch import (
    LABELS,
    Columns,
    compute_features,
    customer_features,
    entity_features,
    feature_matrix,
    finish_matrix,
    prepare,
    time_order,
    to_frame,
)
from fraudforge.features.online import OnlineFeatures
from fraudforge.features.outlier import OutlierModel

ONE_MILLION = Scenario(target_rows=1_000_000)
HANDBOOK = Scenario(preset="handbook")
"""The handbook preset at the book's size (5,000 customers, 183 days, about 1.77M rows)."""


@pytest.fixture(scope="module")
def million() -> tuple[pl.DataFrame, pl.DataFrame]:
    """1M transactions of the default preset and their customers."""
    return scan(ONE_MILLION).collect(), scan_customers(ONE_MILLION).collect()


def _rows_per_s(benchmark: Any, rows: int) -> None:
    benchmark.extra_info["rows"] = rows
    benchmark.extra_info["rows_per_s_median"] = round(rows / benchmark.stats.stats.median)


def test_batch_features_1m(benchmark: Any, million: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    """All 69 features for 1M transactions, 2 threads (budget: <= 2 s on 2 cores)."""
    tx, customers = million
    compute_features(tx.head(10_000), customers)  # load the compiled kernels
    frame, _ = benchmark.pedantic(lambda: compute_features(tx, customers), rounds=5, iterations=1)
    _rows_per_s(benchmark, frame.height)


@dataclass(frozen=True)
class Computed:
    """The inputs and outputs of each step of ``compute_features`` on the same 1M rows."""

    transactions: pl.DataFrame
    customers: pl.DataFrame
    ordered: pl.DataFrame
    columns: Columns
    matrix: npt.NDArray[np.float64]
    outlier: OutlierModel
    by_time: npt.NDArray[np.int64]


GROUPS: dict[str, Callable[[Computed], object]] = {
    "prepare": lambda d: prepare(d.transactions, d.customers),
    "customer": lambda d: customer_features(d.columns, d.matrix),
    "time_order": lambda d: time_order(d.columns.t, d.columns.transaction_id),
    "merchant": lambda d: entity_features(d.columns.merchant, d.columns, d.by_time),
    "device": lambda d: entity_features(d.columns.device, d.columns, d.by_time),
    "outlier_fit": lambda d: OutlierModel.fit(d.matrix, d.columns.amount),
    "finish": lambda d: finish_matrix(d.columns, d.matrix, d.outlier, threads=None),
    "to_frame": lambda d: to_frame(d.columns.transaction_id, d.matrix, d.ordered.select(LABELS)),
}
"""Each step of the batch computation, in the order ``compute_features`` runs them: ordering,
home join and kernel inputs; the customer pass (the customer-side features, both cores); the
shared time order; the merchant and the device pass (24-hour counts, distinct customers and
delayed-label fraud rates); fitting the outlier score; the finishing kernel (time, outlier and
interaction features); the output table."""


@pytest.fixture(scope="module")
def computed(million: tuple[pl.DataFrame, pl.DataFrame]) -> Computed:
    """Every step's inputs, from one full computation over the 1M rows."""
    tx, customers = million
    ordered, columns = prepare(tx, customers)
    matrix, outlier = feature_matrix(columns, outlier=None, threads=None)
    by_time = time_order(columns.t, columns.transaction_id)
    return Computed(tx, customers, ordered, columns, matrix, outlier, by_time)


@pytest.mark.quick
@pytest.mark.parametrize("group", list(GROUPS))
def test_feature_group_1m(benchmark: Any, computed: Computed, group: str) -> None:
    """One step of the batch features on 1M transactions, named by group; the matrix it
    rewrites holds the same values afterwards."""
    before = computed.matrix.copy()
    benchmark.pedantic(GROUPS[group], args=(computed,), rounds=5, iterations=1, warmup_rounds=1)
    np.testing.assert_array_equal(computed.matrix, before)
    _rows_per_s(benchmark, computed.columns.t.shape[0])


@pytest.mark.quick
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


@pytest.fixture(scope="module")
def handbook() -> tuple[pl.DataFrame, pl.DataFrame]:
    """The HANDBOOK scenario's transactions and customers."""
    return scan(HANDBOOK).collect(), scan_customers(HANDBOOK).collect()


def test_handbook_features(benchmark: Any, handbook: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    """All 69 features of the handbook preset's transactions, the rows the pandas baseline
    below reads."""
    tx, customers = handbook
    compute_features(tx.head(10_000), customers)
    frame, _ = benchmark.pedantic(lambda: compute_features(tx, customers), rounds=3, iterations=1)
    _rows_per_s(benchmark, frame.height)


def _handbook_customer_windows(tx: Any) -> Any:
    """The Fraud Detection Handbook's customer spending features (its chapter 3,
    ``get_customer_spending_behaviour_features``), as the book writes them: per customer, a
    pandas rolling count and mean amount over 1, 7 and 30 days (``"1D"``: pandas 3 spells the
    book's ``"1d"`` so)."""
    import pandas as pd

    def one_customer(rows: Any) -> Any:
        rows = rows.sort_values("TX_DATETIME")
        rows.index = rows.TX_DATETIME
        for days in (1, 7, 30):
            total = rows["TX_AMOUNT"].rolling(f"{days}D").sum()
            count = rows["TX_AMOUNT"].rolling(f"{days}D").count()
            rows[f"CUSTOMER_ID_NB_TX_{days}DAY_WINDOW"] = list(count)
            rows[f"CUSTOMER_ID_AVG_AMOUNT_{days}DAY_WINDOW"] = list(total / count)
        rows.index = rows.TRANSACTION_ID
        return rows

    out = tx.groupby("CUSTOMER_ID").apply(one_customer)
    result: pd.DataFrame = out.sort_values("TX_DATETIME").reset_index(drop=True)
    return result


def test_baseline_handbook_pandas_customer_windows(
    benchmark: Any, handbook: tuple[pl.DataFrame, pl.DataFrame]
) -> None:
    """Same-run baseline: the Handbook's pandas customer-window features (6 of them) on the
    handbook preset's transactions."""
    tx = handbook[0].select(
        pl.col("transaction_id").alias("TRANSACTION_ID"),
        pl.col("customer_id").alias("CUSTOMER_ID"),
        pl.col("timestamp").alias("TX_DATETIME"),
        pl.col("amount_inr").alias("TX_AMOUNT"),
    )
    frame = tx.to_pandas()
    out = benchmark.pedantic(_handbook_customer_windows, args=(frame,), rounds=3, iterations=1)
    assert len(out) == tx.height
    counts = [out[f"CUSTOMER_ID_NB_TX_{d}DAY_WINDOW"].to_numpy() for d in (1, 7, 30)]
    assert (counts[0] >= 1).all()
    assert (counts[0] <= counts[1]).all()
    assert (counts[1] <= counts[2]).all()
    _rows_per_s(benchmark, tx.height)
