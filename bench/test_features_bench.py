"""Feature throughput: all 69 features of 1M transactions in batch, each step of the batch
computation on its own (named by group), OnlineFeatures for one transaction at a time, and, on
the handbook preset, all features against the Fraud Detection Handbook's own pandas customer-
and terminal-window features as same-run baselines. Run with ``make bench``."""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest

from fraudforge.engine.scenario import Scenario
from fraudforge.engine.schema import TRAINING_LABELS
from fraudforge.engine.streaming import scan, scan_customers
from fraudforge.features.batch import (
    ENTITY_KINDS,
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
from sizes import record_rate, size, smoke

ONE_MILLION = Scenario(target_rows=size(1_000_000, 20_000))
HANDBOOK = (
    Scenario(preset="handbook")
    if not smoke()
    else Scenario(preset="handbook", customers=50, merchants=100)
)
"""The handbook preset at the book's size (5,000 customers, 10,000 terminals, 183 days, about
1.77M rows; 50 customers and 100 terminals in a smoke run)."""


@pytest.fixture(scope="module")
def million() -> tuple[pl.DataFrame, pl.DataFrame]:
    """1M transactions of the default preset and their customers."""
    return scan(ONE_MILLION).collect(), scan_customers(ONE_MILLION).collect()


def _rows_per_s(benchmark: Any, rows: int) -> None:
    benchmark.extra_info["rows"] = rows
    record_rate(benchmark, "rows_per_s_median", rows)


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
    "merchant": lambda d: entity_features(ENTITY_KINDS[0], d.columns, d.by_time),
    "device": lambda d: entity_features(ENTITY_KINDS[1], d.columns, d.by_time),
    "payee": lambda d: entity_features(ENTITY_KINDS[2], d.columns, d.by_time),
    "outlier_fit": lambda d: OutlierModel.fit(d.matrix, d.columns.amount),
    "finish": lambda d: finish_matrix(d.columns, d.matrix, d.outlier, threads=None),
    "to_frame": lambda d: to_frame(
        d.columns.transaction_id, d.matrix, d.ordered.select(TRAINING_LABELS)
    ),
}
"""Each step of the batch computation, in the order ``compute_features`` runs them: ordering,
home join and kernel inputs; the customer pass (the customer-side features, both cores); the
shared time order; the merchant, device and payee passes (24-hour counts, the payee's 7-day
distinct payers and 24-hour amount, delayed-label fraud rates); fitting the outlier score; the
finishing kernel (time, outlier and interaction features); the output table."""


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
    s = Scenario(customers=size(500, 50), days=30, seed=8)
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


def _book_frame(tx: pl.DataFrame) -> Any:
    """The handbook preset's transactions as a pandas frame with the book's column names (its
    terminals are the preset's merchants)."""
    return tx.select(
        pl.col("transaction_id").alias("TRANSACTION_ID"),
        pl.col("customer_id").alias("CUSTOMER_ID"),
        pl.col("merchant_id").alias("TERMINAL_ID"),
        pl.col("timestamp").alias("TX_DATETIME"),
        pl.col("amount_inr").alias("TX_AMOUNT"),
        pl.col("is_fraud").cast(pl.Int8).alias("TX_FRAUD"),
    ).to_pandas()


def _per_group(frame: Any, key: str, add: Callable[[Any], None]) -> Any:
    """The book's pattern: for each value of ``key``, its rows in time order indexed by time,
    ``add`` writing the window columns; then every row, in time order."""

    def one(rows: Any) -> Any:
        rows = rows.sort_values("TX_DATETIME")
        rows.index = rows.TX_DATETIME
        add(rows)
        rows.index = rows.TRANSACTION_ID
        return rows

    return frame.groupby(key).apply(one).sort_values("TX_DATETIME").reset_index(drop=True)


def _customer_windows(rows: Any) -> None:
    """The book's ``get_customer_spending_behaviour_features`` (chapter 3): a customer's count
    and mean amount over the last 1, 7 and 30 days (``"1D"``: pandas 3's spelling of the
    book's ``"1d"``)."""
    for days in (1, 7, 30):
        total = rows["TX_AMOUNT"].rolling(f"{days}D").sum()
        count = rows["TX_AMOUNT"].rolling(f"{days}D").count()
        rows[f"CUSTOMER_ID_NB_TX_{days}DAY_WINDOW"] = list(count)
        rows[f"CUSTOMER_ID_AVG_AMOUNT_{days}DAY_WINDOW"] = list(total / count)


def _terminal_windows(rows: Any, delay: int = 7) -> None:
    """The book's ``get_count_risk_rolling_window`` (chapter 3): a terminal's count and fraud
    share over 1, 7 and 30 days that end ``delay`` days ago (labels known a week late)."""
    fraud_delay = rows["TX_FRAUD"].rolling(f"{delay}D").sum()
    count_delay = rows["TX_FRAUD"].rolling(f"{delay}D").count()
    for days in (1, 7, 30):
        fraud = rows["TX_FRAUD"].rolling(f"{delay + days}D").sum() - fraud_delay
        count = rows["TX_FRAUD"].rolling(f"{delay + days}D").count() - count_delay
        rows[f"TERMINAL_ID_NB_TX_{days}DAY_WINDOW"] = list(count)
        rows[f"TERMINAL_ID_RISK_{days}DAY_WINDOW"] = list(fraud / count)
    rows.fillna(0, inplace=True)


@pytest.fixture(scope="module")
def book_frame(handbook: tuple[pl.DataFrame, pl.DataFrame]) -> Any:
    """HANDBOOK's transactions in the book's pandas columns."""
    return _book_frame(handbook[0])


def _window_counts(out: Any, prefix: str) -> list[npt.NDArray[np.float64]]:
    return [out[f"{prefix}_NB_TX_{d}DAY_WINDOW"].to_numpy(dtype=np.float64) for d in (1, 7, 30)]


def test_baseline_handbook_pandas_customer_windows(benchmark: Any, book_frame: Any) -> None:
    """Same-run baseline: the Handbook's pandas customer-window features (6 of them) on the
    handbook preset's transactions."""
    out = benchmark.pedantic(
        _per_group, args=(book_frame, "CUSTOMER_ID", _customer_windows), rounds=3, iterations=1
    )
    assert len(out) == len(book_frame)
    one, seven, thirty = _window_counts(out, "CUSTOMER_ID")
    assert (one >= 1).all()  # the window holds the transaction itself
    assert (one <= seven).all()
    assert (seven <= thirty).all()
    _rows_per_s(benchmark, len(out))


def test_baseline_handbook_pandas_terminal_windows(benchmark: Any, book_frame: Any) -> None:
    """Same-run baseline: the Handbook's pandas terminal-window features (6 of them, a week's
    label delay) on the handbook preset's transactions."""
    out = benchmark.pedantic(
        _per_group, args=(book_frame, "TERMINAL_ID", _terminal_windows), rounds=3, iterations=1
    )
    assert len(out) == len(book_frame)
    one, seven, thirty = _window_counts(out, "TERMINAL_ID")
    assert (one >= 0).all()
    assert (one <= seven).all()
    assert (seven <= thirty).all()
    for d in (1, 7, 30):
        risk = out[f"TERMINAL_ID_RISK_{d}DAY_WINDOW"].to_numpy(dtype=np.float64)
        assert ((risk >= 0) & (risk <= 1)).all()
    _rows_per_s(benchmark, len(out))
