"""Batch features: all 69 catalogue features for a table of transactions.

Customer-side features run shard by shard (a customer's rows never span shards). Merchant-,
device- and payee-side features need every customer's rows of an entity in time order: they are
computed exactly by sorting the whole table's (entity, timestamp, transaction_id, customer,
amount, label) columns (for datasets larger than memory, bucket by bucket: see
``pipeline.build_features``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from fraudforge.engine.ids import tie_runs
from fraudforge.engine.market import STATUS
from fraudforge.engine.schema import TRAINING_LABELS
from fraudforge.features import kernels as k
from fraudforge.features.catalog import CATALOG, ENTITY_FEATURES
from fraudforge.features.layout import (
    COL,
    LAYOUT,
    SESSION_FEATURES,
    SESSION_INPUTS,
    finish_rows,
)
from fraudforge.features.outlier import OutlierModel
from fraudforge.foundation.errors import DataError
from fraudforge.foundation.machine import default_threads

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def payee_key(vpa: str) -> int:
    """Key of a P2P payee: a stable 61-bit FNV-1a hash of the VPA's UTF-8 bytes, above every
    merchant id (the same function batch applies to whole columns)."""
    data = np.frombuffer(vpa.encode(), dtype=np.uint8)
    return int(k.payee_keys(data, np.array([0, data.shape[0]], dtype=np.int64))[0])


def load_kernels() -> None:
    """Do what the first call of any kernel does once per process: load Numba's typing and
    lowering registries (about 0.1 s of Python), here through the payee hashing kernel with
    the argument types ``party_keys`` passes, so no other version of it compiles."""
    payee_key("")


def party_keys(merchant_id: pl.Series, counterparty: pl.Series) -> I64:
    """Whom each payment goes to: the merchant id, or for P2P the payee's key (hashed for the
    P2P rows only)."""
    is_p2p = merchant_id.is_null()
    # the payees' UTF-8 bytes end to end and where each starts (a null is empty), with Polars
    # alone: the serving image, which runs this on a warm start, has no pyarrow
    payees = counterparty.filter(is_p2p).cast(pl.String)
    offsets = np.zeros(len(payees) + 1, dtype=np.int64)
    np.cumsum(payees.str.len_bytes().fill_null(0).to_numpy(), out=offsets[1:])
    data = np.frombuffer(payees.str.join("", ignore_nulls=True).item().encode(), dtype=np.uint8)
    out = np.asarray(merchant_id.fill_null(0).cast(pl.Int64).to_numpy(), dtype=np.int64).copy()
    out[is_p2p.to_numpy()] = k.payee_keys(data, offsets)
    return out


def payee_ids(merchant_id: pl.Series, counterparty: pl.Series, keys: I64 | None = None) -> I64:
    """The P2P payee of each payment as an entity id (its ``payee_key``), -1 for payments to a
    merchant or without a counterparty: the payee entity of the payee-side features. ``keys``
    is ``party_keys`` of the same columns when the caller has it (hashing the payees is most of
    the cost)."""
    if keys is None:
        keys = party_keys(merchant_id, counterparty)
    is_payee = (merchant_id.is_null() & counterparty.is_not_null()).to_numpy()
    return np.where(is_payee, keys, -1).astype(np.int64)


@dataclass(frozen=True)
class EntityKind:
    """One entity of the entity phase: its name, whether it needs the kernel's wide outputs
    (7-day distinct customers, 24-hour amount) and which catalogue features it yields, each
    with the kernel output (``kernels.E_*``) it is."""

    name: str
    wide: bool
    features: tuple[tuple[str, int], ...]


_YIELDS: tuple[tuple[str, str, int], ...] = (
    ("merchant", "merchant_txn_count_24h", k.E_COUNT_24H),
    ("merchant", "merchant_fraud_rate", k.E_FRAUD_RATE),
    ("merchant", "merchant_fraud_7d", k.E_FRAUD_7D),
    ("merchant", "merchant_fraud_30d", k.E_FRAUD_30D),
    ("device", "device_fraud_rate", k.E_FRAUD_RATE),
    ("payee", "payee_txn_count_24h", k.E_COUNT_24H),
    ("payee", "payee_distinct_payers_7d", k.E_DISTINCT_7D),
    ("payee", "payee_amount_24h", k.E_AMOUNT_24H),
)
"""Each entity feature: its entity and the kernel output it is, in ``ENTITY_FEATURES`` order."""
ENTITY_KINDS: tuple[EntityKind, ...] = tuple(
    EntityKind(
        name,
        wide=name == "payee",
        features=tuple((feature, j) for kind, feature, j in _YIELDS if kind == name),
    )
    for name in ("merchant", "device", "payee")
)
"""Merchants, devices and P2P payees, in ``ENTITY_FEATURES`` order of what they yield."""


@dataclass(frozen=True)
class Columns:
    """The NumPy columns the kernels read, rows sorted by (customer, timestamp, transaction_id)."""

    transaction_id: I64
    customer: I64
    t: I64
    amount: F64
    party: I64
    merchant: I64
    device: I64
    payee: I64
    """The P2P payee's entity id (``payee_ids``), -1 for a payment to a merchant."""
    city: I64
    category: I64
    mode: I64
    channel: I64
    ttype: I64
    declined: I64
    session: F64
    """(rows, 5): the raw session columns (``layout.SESSION_INPUTS``), NaN where null."""
    lat: F64
    lon: F64
    home_lat: F64
    home_lon: F64
    is_fraud: npt.NDArray[np.bool_]
    known_at: I64


_CODES = (
    ("city", "city"),
    ("category", "category"),
    ("payment_mode", "mode"),
    ("channel", "channel"),
    ("txn_type", "ttype"),
)
FEATURE_ORDER: tuple[str, ...] = ("customer_id", "timestamp", "transaction_id")
"""The columns that give the rows' feature order, in sort-key order."""
FEATURE_INPUTS: tuple[str, ...] = (
    *FEATURE_ORDER, "amount_inr", "merchant_id", "device_id", *(c for c, _ in _CODES), "status",
    "lat", "lon", "counterparty", *SESSION_INPUTS, "is_fraud", "label_known_at",
)  # fmt: skip
"""The transactions columns ``prepare`` reads (a file without the session columns, schema
version 2, is read without them)."""


def in_feature_order(df: pl.DataFrame) -> bool:
    """Whether rows are already ordered by (customer_id, timestamp, transaction_id)."""
    if df.height < 2:
        return True
    c = df["customer_id"].to_numpy()
    t = df["timestamp"].dt.epoch("us").to_numpy()
    i = df["transaction_id"].to_numpy()
    dc, dt_, di = np.diff(c), np.diff(t), np.diff(i)
    return bool(np.all((dc > 0) | ((dc == 0) & ((dt_ > 0) | ((dt_ == 0) & (di > 0))))))


def feature_order(transactions: pl.DataFrame) -> pl.DataFrame:
    """The rows ordered by (customer, timestamp, transaction_id): the frame itself when they
    already are (as a generated file's rows are), else a sorted copy."""
    if in_feature_order(transactions):
        return transactions
    return transactions.sort("customer_id", "timestamp", "transaction_id")


def prepare(transactions: pl.DataFrame, customers: pl.DataFrame) -> tuple[pl.DataFrame, Columns]:
    """Order rows by (customer, timestamp, transaction_id) (skipped when they already are),
    join home coordinates and extract kernel inputs."""
    homes = customers.select("customer_id", "home_lat", "home_lon")
    ordered = feature_order(transactions)
    # Join the home coordinates onto the id column alone: the table itself is not copied.
    home = ordered.select("customer_id").join(
        homes, on="customer_id", how="left", maintain_order="left"
    )
    missing = home["home_lat"].null_count()
    if missing:
        raise DataError(
            f"{missing} transactions have a customer_id missing from the customers table"
        )
    cols = ordered.select(
        pl.col("transaction_id"),
        pl.col("customer_id"),
        pl.col("timestamp").dt.epoch("us").alias("t"),
        pl.col("amount_inr"),
        pl.col("merchant_id").fill_null(-1).alias("merchant"),
        pl.col("device_id").fill_null(-1).alias("device"),
        *(pl.col(c).to_physical().cast(pl.Int64).alias(a) for c, a in _CODES),
        (pl.col("status").to_physical() == STATUS["declined"]).cast(pl.Int64).alias("declined"),
        "lat",
        "lon",
        "is_fraud",
        pl.col("label_known_at").dt.epoch("us").alias("known_at"),
    ).rechunk()
    # One chunk a column, so each becomes a NumPy array without a copy (read-only) whatever
    # chunks the file was read in: the kernels see the same array types on every dataset.
    # Numba compiles a kernel once per argument types, read-only and writable arrays being two:
    # a file read in several chunks (to_numpy copied them: writable) made the first run after
    # `fraudforge warmup` (one chunk: read-only) compile four kernels again, about 8 s.
    arrays = {name: cols[name].to_numpy() for name in cols.columns}
    arrays.update({name: home[name].to_numpy() for name in ("home_lat", "home_lon")})
    session = ordered.select(
        _session(ordered, c).cast(pl.Float64).fill_null(np.nan) for c in SESSION_INPUTS
    ).to_numpy()
    party = party_keys(ordered["merchant_id"], ordered["counterparty"])
    return ordered, Columns(
        transaction_id=arrays["transaction_id"],
        customer=arrays["customer_id"],
        t=arrays["t"],
        amount=arrays["amount_inr"],
        party=party,
        merchant=arrays["merchant"],
        device=arrays["device"],
        payee=payee_ids(ordered["merchant_id"], ordered["counterparty"], party),
        city=arrays["city"],
        category=arrays["category"],
        mode=arrays["mode"],
        channel=arrays["channel"],
        ttype=arrays["ttype"],
        declined=arrays["declined"],
        session=np.asarray(session, dtype=np.float64),
        lat=arrays["lat"],
        lon=arrays["lon"],
        home_lat=arrays["home_lat"],
        home_lon=arrays["home_lon"],
        is_fraud=arrays["is_fraud"],
        known_at=arrays["known_at"],
    )


def _session(df: pl.DataFrame, column: str) -> pl.Expr:
    """A session column as numbers (an enum as its code), all null where the frame has no such
    column (a schema version 2 file, before they existed: unknown)."""
    if column not in df.columns:
        return pl.lit(None, pl.Int64).alias(column)
    return pl.col(column).to_physical()


def _starts(keys: I64) -> I64:
    """Boundaries of runs of equal keys (keys sorted)."""
    change = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    return np.concatenate([[0], change, [keys.shape[0]]]).astype(np.int64)


def _split(
    n: int, threads: int | None, run: Callable[[int, int], None], *, bounds: I64 | None = None
) -> None:
    """Run ``run(lo, hi)`` over rows [0, n) cut into about equal ranges, one per thread (the
    kernels release the GIL); with ``bounds`` (ascending, 0 to n), cut only at those rows."""
    workers = max(1, threads or default_threads())
    cuts = np.linspace(0, n, workers + 1)[1:-1].astype(np.int64)
    if bounds is not None:
        cuts = bounds[np.searchsorted(bounds, cuts)]
    edges = sorted({0, n, *(int(x) for x in cuts)})
    pairs = list(itertools.pairwise(edges))
    if len(pairs) == 1:
        run(*pairs[0])
    else:
        with ThreadPoolExecutor(max_workers=len(pairs)) as pool:
            list(pool.map(lambda ab: run(*ab), pairs))


def customer_features(c: Columns, m: F64, *, threads: int | None = None) -> None:
    """Write the customer-side features into the first columns of matrix ``m`` (rows in
    customer order), customers split across ``threads``."""
    if c.t.shape[0] == 0:
        return
    starts = _starts(c.customer)

    def run(lo: int, hi: int) -> None:
        a, b = np.searchsorted(starts, [lo, hi])
        k.customer_pass(
            starts[a : b + 1] - lo, c.t[lo:hi], c.amount[lo:hi], c.party[lo:hi], c.device[lo:hi],
            c.city[lo:hi], c.category[lo:hi], c.mode[lo:hi], c.channel[lo:hi], c.ttype[lo:hi],
            c.declined[lo:hi], c.lat[lo:hi], c.lon[lo:hi], c.home_lat[lo:hi], c.home_lon[lo:hi],
            m[lo:hi],
        )  # fmt: skip

    _split(c.t.shape[0], threads, run, bounds=starts)


def time_order(t: I64, transaction_id: I64) -> I64:
    """Row positions in (timestamp, transaction_id) order: a one-key sort by time, then the runs
    of equal timestamps put in id order (about half the cost of a two-key sort of every row)."""
    order = pl.Series(t).arg_sort().to_numpy().astype(np.int64)
    ts = t[order]
    at = tie_runs(ts[1:] == ts[:-1])
    sub = order[at]
    order[at] = sub[np.lexsort((transaction_id[sub], t[sub]))]
    return order


def entity_features(kind: EntityKind, c: Columns, by_time: I64 | None = None) -> F64:
    """The features ``kind`` yields (rows, len(kind.features)), aligned with ``c``'s rows."""
    entity = {"merchant": c.merchant, "device": c.device, "payee": c.payee}[kind.name]
    out = entity_arrays(
        entity, c.t, c.customer, c.amount, c.is_fraud, c.known_at, c.transaction_id,
        wide=kind.wide, by_time=by_time,
    )  # fmt: skip
    return out[:, [j for _, j in kind.features]]


def entity_arrays(
    entity: I64,
    t: I64,
    customer: I64,
    amount: F64,
    is_fraud: npt.NDArray[np.bool_],
    known_at: I64,
    transaction_id: I64,
    *,
    wide: bool,
    by_time: I64 | None = None,
) -> F64:
    """The entity kernel's outputs (rows, ``kernels.N_ENTITY_OUT``) per entity (merchant,
    device or payee; entity < 0 means none and gets zeros), on plain arrays in any row order
    (every row of an entity present). ``by_time`` is ``time_order(t, transaction_id)`` when the
    caller already has it."""
    out = np.zeros((entity.shape[0], k.N_ENTITY_OUT))
    order, values = entity_rows(
        entity, t, customer, amount, is_fraud, known_at, transaction_id, wide=wide, by_time=by_time
    )
    out[order] = values
    return out


def entity_rows(
    entity: I64,
    t: I64,
    customer: I64,
    amount: F64,
    is_fraud: npt.NDArray[np.bool_],
    known_at: I64,
    transaction_id: I64,
    *,
    wide: bool,
    by_time: I64 | None = None,
) -> tuple[I64, F64]:
    """The rows that have an entity (entity >= 0), each entity's together in (timestamp,
    transaction_id) order (entities in the order of their first row), and the entity kernel's
    outputs for them, (len(rows), ``kernels.N_ENTITY_OUT``):
    ``entity_arrays`` without the zero rows, for a caller that keeps only rows with an entity
    (the entity phase's buckets, whose memory is then that of the rows it keeps)."""
    if not (entity >= 0).any():
        return np.zeros(0, dtype=np.int64), np.zeros((0, k.N_ENTITY_OUT))
    timed = time_order(t, transaction_id) if by_time is None else by_time
    # Grouping the time-ordered rows by entity keeps each entity's rows in (timestamp,
    # transaction_id) order; the entities' own order does not change their values.
    at, starts = k.group_rows(entity[timed])
    order = timed[at]
    del at
    values = np.empty((order.size, k.N_ENTITY_OUT))
    k.entity_pass(
        starts, t[order], customer[order], amount[order], is_fraud[order], known_at[order],
        wide, values,
    )  # fmt: skip
    return order, values


def feature_matrix(
    c: Columns, *, outlier: OutlierModel | None, threads: int | None, entity: F64 | None = None
) -> tuple[F64, OutlierModel]:
    """The (rows, 69) feature matrix in ``finish.LAYOUT`` order, and the outlier model used
    (fitted on these rows when not given). ``entity`` (rows, 8), in ENTITY_FEATURES order,
    supplies merchant-, device- and payee-side values computed elsewhere (across all of a
    dataset)."""
    # Column-major, so each feature column becomes a Polars Series without a copy.
    m = np.empty((c.t.shape[0], len(LAYOUT)), dtype=np.float64, order="F")
    if entity is not None:
        customer_features(c, m, threads=threads)
        for j, name in enumerate(ENTITY_FEATURES):
            m[:, COL[name]] = entity[:, j]
    else:
        _customer_and_entities(c, m, threads)
    for j, name in enumerate(SESSION_FEATURES):
        m[:, COL[name]] = c.session[:, j]
    model = outlier or OutlierModel.fit(m, c.amount)
    finish_matrix(c, m, model, threads=threads)
    return m, model


def finish_matrix(c: Columns, m: F64, model: OutlierModel, *, threads: int | None) -> None:
    """Fill the time, outlier and interaction columns of ``m`` (the finishing kernel, which
    reads the customer, entity and session columns), rows split across ``threads``."""
    median, scale = model.arrays()

    def finish(lo: int, hi: int) -> None:
        finish_rows(m[lo:hi], c.t[lo:hi], c.amount[lo:hi], median, scale)

    _split(c.t.shape[0], threads, finish)


def _customer_and_entities(c: Columns, m: F64, threads: int | None) -> None:
    """Customer pass on every core, then the merchant, device and payee passes side by side."""
    customer_features(c, m, threads=threads)
    by_time = time_order(c.t, c.transaction_id)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda kind: entity_features(kind, c, by_time), ENTITY_KINDS))
    for kind, values in zip(ENTITY_KINDS, results, strict=True):
        for j, (name, _) in enumerate(kind.features):
            m[:, COL[name]] = values[:, j]


def to_frame(transaction_id: I64, m: F64, labels: pl.DataFrame | None) -> pl.DataFrame:
    """A features table: transaction_id, the features in catalogue order with their catalogue
    types, then the labels."""
    cols = [pl.Series("transaction_id", transaction_id)]
    for spec in CATALOG:
        s = pl.Series(spec.name, m[:, COL[spec.name]])
        if spec.dtype != "Float64":
            s = s.cast(getattr(pl, spec.dtype))
        elif spec.name == "secs_since_prev_txn":
            s = s.fill_nan(None)
        cols.append(s)
    out = pl.DataFrame(cols)
    return out.hstack(labels) if labels is not None else out


def aligned_entity(df: pl.DataFrame, entity: pl.DataFrame) -> F64:
    """``entity``'s ENTITY_FEATURES columns (keyed by transaction_id) in the row order of
    ``df``, as a (rows, 8) matrix; zeros where a transaction has none."""
    aligned = df.select("transaction_id").join(
        entity, on="transaction_id", how="left", maintain_order="left"
    )
    return aligned.select(ENTITY_FEATURES).fill_null(0.0).to_numpy().astype(np.float64)


def compute_features(
    transactions: pl.DataFrame,
    customers: pl.DataFrame,
    *,
    outlier: OutlierModel | None = None,
    with_labels: bool = True,
    threads: int | None = None,
    entity: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, OutlierModel]:
    """All 69 features of ``transactions`` (any order; output sorted by customer, timestamp and
    transaction_id), plus the outlier model used (fitted here when not given).

    ``entity`` (transaction_id and the ENTITY_FEATURES columns, for these transactions)
    supplies merchant-, device- and payee-side values computed across a whole dataset; without
    it they are computed from ``transactions`` alone.

    Parameters
    ----------
    transactions
        Transactions in the engine's schema (``schema.TRANSACTIONS``, Enum columns as
        generated), in any order. Session columns may be missing (a schema version 2 dataset):
        their features are then null.
    customers
        A table with ``customer_id``, ``home_lat`` and ``home_lon`` for every customer of
        ``transactions`` (other columns are ignored).
    outlier
        The outlier model to score with (a training set's, for features of a test set);
        default: fitted on these rows (``OutlierModel.fit``).
    with_labels
        Append the label columns (``schema.TRAINING_LABELS``) after the features.
    threads
        Threads the kernels split customers and rows across, at least 1; default: the usable
        cores.
    entity
        ``transaction_id`` and the ``catalog.ENTITY_FEATURES`` columns; a transaction it does
        not hold gets zeros. Default: computed from ``transactions``.

    Returns
    -------
    tuple[polars.DataFrame, OutlierModel]
        The features table (``transaction_id``, the features in catalogue order with their
        catalogue types, then the labels if asked), and the outlier model used.

    Raises
    ------
    ValueError
        When a transaction's ``customer_id`` is not in ``customers``.
    """
    df, c = prepare(transactions, customers)
    matrix = None if entity is None else aligned_entity(df, entity)
    m, model = feature_matrix(c, outlier=outlier, threads=threads, entity=matrix)
    labels = df.select(TRAINING_LABELS) if with_labels else None
    return to_frame(c.transaction_id, m, labels), model
