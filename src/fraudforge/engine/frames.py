"""Turning generator arrays into the dataset's Polars tables (transactions, customers,
merchants) with their documented schema.

A transactions column is either stored as one of the generator's arrays is (``rows.STORED``,
converted by the column's type: ``stored``) or derived from several of them (``DERIVED``, built
by ``transactions_frame``); ``tests/test_contracts.py`` holds that every column of the schema is
exactly one of the two."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from fraudforge.engine import geo
from fraudforge.engine import market as mkt
from fraudforge.engine._data.names import (
    CHAIN_BRANDS,
    FIRST_NAMES,
    LOCAL_SUFFIXES,
    SURNAMES,
    UPI_HANDLES,
)
from fraudforge.engine.branchless import where
from fraudforge.engine.ids import KEY_TRANSACTION, mix63, opaque_ids, tie_runs
from fraudforge.engine.population import Customers, customer_vpas, draw_merchants
from fraudforge.engine.rows import STORED, Rows
from fraudforge.engine.schema import CUSTOMERS, MERCHANTS, TRANSACTIONS, Column

_DTYPES = {c.name: c.dtype for c in (*TRANSACTIONS, *CUSTOMERS, *MERCHANTS)}
TRANSACTION_NAMES: tuple[str, ...] = tuple(c.name for c in TRANSACTIONS)
"""The transactions table's columns in the schema's order (the builders may list them in any)."""
DERIVED: tuple[str, ...] = (
    "transaction_id", "customer_id", "merchant_id", "mcc", "state", "counterparty",
    "label_known_at",
)  # fmt: skip
"""The transactions columns ``transactions_frame`` derives: the ids (opaque, or one more than the
generator's index), a category's MCC, a city's state, the payee's UPI address and when the label
becomes known."""
_MICROS = 1_000_000


def enum_series(name: str, codes: npt.NDArray[Any], dtype: pl.DataType | None = None) -> pl.Series:
    """An Enum column from integer codes (index into the Enum's categories), given to Polars in
    the Enum's own physical type (its conversion from another integer type took as long again
    as the rest)."""
    target = dtype if dtype is not None else _DTYPES[name]
    return pl.Series(name, codes.astype(_physical(target))).cat.to(target)


@lru_cache(maxsize=64)
def _physical(dtype: pl.DataType) -> np.dtype[Any]:
    """The NumPy type of an Enum's physical codes (UInt8 up to 256 categories, then wider)."""
    codes: npt.NDArray[Any] = pl.Series([], dtype=dtype).to_physical().to_numpy()
    return codes.dtype


def _has_null(values: npt.NDArray[Any]) -> bool:
    """Whether ``values`` holds a negative value, the generator's null (one pass, no mask)."""
    return bool(values.size) and bool(values.min() < 0)


def nullable(name: str, values: npt.NDArray[Any]) -> pl.Series:
    """An integer column of the schema's type for ``name``, where negative values mean null."""
    dtype = _DTYPES[name]
    s = pl.Series(name, values)
    return s.set(pl.Series(values < 0), None).cast(dtype) if _has_null(values) else s.cast(dtype)


def nullable_enum(name: str, codes: npt.NDArray[Any]) -> pl.Series:
    """An Enum column from integer codes, where negative codes mean null."""
    if not _has_null(codes):
        return enum_series(name, codes)
    return enum_series(name, np.maximum(codes, 0)).set(pl.Series(codes < 0), None)


def nullable_flag(name: str, values: npt.NDArray[Any]) -> pl.Series:
    """A Boolean column from 0 / 1 (any positive value is true), where negative values mean
    null."""
    s = pl.Series(name, values > 0)
    return s.set(pl.Series(values < 0), None) if _has_null(values) else s


def with_transaction_ids(shard: int, rows: Rows) -> tuple[Rows, npt.NDArray[np.int64]]:
    """A shard's rows (ordered by customer, then time) and their opaque ids, one per generation
    position. Rows sharing a customer and timestamp are put in id order, so the table is in
    (customer, timestamp, transaction_id) order as the features stage reads it; the ids being
    random, so is the order within such a run."""
    cust, ts = rows["cust"], rows["ts"]
    n = cust.shape[0]
    ids = opaque_ids(KEY_TRANSACTION, np.full(n, shard), np.arange(n), 32)
    at = tie_runs((cust[1:] == cust[:-1]) & (ts[1:] == ts[:-1]))
    if at.size == 0:
        return rows, ids
    # Only the tied rows move: each array is copied whole and rewritten at those positions
    # (a copy costs a fraction of a gather over every row).
    moved = at[np.lexsort((ids[at], ts[at], cust[at]))]
    cols = {}
    for name, values in rows.cols.items():
        out = values.copy()
        out[at] = values[moved]
        cols[name] = out
    out_ids = ids.copy()
    out_ids[at] = ids[moved]
    return Rows._of(cols), out_ids


def stored(name: str, values: npt.NDArray[Any]) -> pl.Series:
    """The transactions column ``name`` from the generator's array that stores it, converted by
    the column's type: Enum codes to the Enum, 0 / 1 flags (any positive code) to a Boolean,
    epoch seconds to a datetime; a negative value is null (integer, Enum and Boolean columns).

    Parameters
    ----------
    name
        A column of ``engine.schema.TRANSACTIONS``.
    values
        The array (``Rows[field]``) of the field that stores it (``rows.STORED``).

    Returns
    -------
    pl.Series
        The column, of the schema's type.
    """
    dtype = _DTYPES[name]
    if isinstance(dtype, pl.Enum):
        return nullable_enum(name, values)
    if dtype == pl.Boolean():
        return nullable_flag(name, values)
    if isinstance(dtype, pl.Datetime):
        return pl.Series(name, values * _MICROS).cast(dtype)
    if dtype.is_integer():
        return nullable(name, values)
    return pl.Series(name, values)


def transactions_frame(shard: int, rows: Rows, merchant_vpa: pl.Series) -> pl.DataFrame:
    """The transactions table of one shard (rows already in their final order), its columns in
    the schema's order and of its types; ``merchant_vpa`` holds the merchants' UPI addresses in
    merchant order."""
    rows, ids = with_transaction_ids(shard, rows)
    # The counterparty first: its string-view buffers, which Arrow IPC files store as they are,
    # follow the order of the allocations before it (so files stay byte for byte the same).
    merchant = rows["merchant"]
    counterparty = merchant_vpa.gather(np.maximum(merchant, 0))
    p2p = np.flatnonzero(merchant < 0)
    if p2p.size:
        counterparty = counterparty.scatter(p2p, customer_vpas(rows["payee"][p2p]))
    built = {column: stored(column, rows[field]) for field, column in STORED}
    category = rows["category"].astype(np.int64)
    city = rows["city"].astype(np.int64)
    derived = (
        pl.Series("transaction_id", ids),
        pl.Series("customer_id", rows["cust"] + 1),
        nullable("merchant_id", where(merchant >= 0, merchant + 1, -1)),
        nullable("mcc", where(category == mkt.CAT["p2p"], -1, mkt.CAT_MCC[category])),
        enum_series("state", geo.CITY_STATE[city]),
        counterparty.alias("counterparty"),
        pl.Series("label_known_at", (rows["ts"] + rows["label_delay"]) * _MICROS).cast(
            _DTYPES["label_known_at"]
        ),
    )
    built.update((column.name, column) for column in derived)
    # In the schema's order by a plain constructor (``select`` would plan a query: 0.2 ms more
    # per shard).
    return pl.DataFrame([built[name] for name in TRANSACTION_NAMES])


def customers_frame(cu: Customers) -> pl.DataFrame:
    """The customers table of one shard."""
    ids = cu.ids
    top_cat = np.argsort(-cu.cat_weight[:, : mkt.N_MERCHANT_CATEGORIES - 1], axis=1)[:, :3]
    top_mode = np.argsort(-cu.mode_weight, axis=1)[:, :2]
    n = cu.n
    names = (
        pl.Series(FIRST_NAMES).gather(cu.first_name) + " " + pl.Series(SURNAMES).gather(cu.surname)
    )
    return pl.DataFrame(
        [
            pl.Series("customer_id", ids + 1),
            names.alias("name"),
            enum_series("segment", cu.segment),
            pl.Series("age", cu.age).cast(pl.Int16),
            enum_series("income_bracket", cu.income),
            enum_series("occupation", cu.occupation),
            enum_series("digital_savviness", cu.savviness),
            enum_series("home_city", cu.home_city),
            enum_series("home_state", geo.CITY_STATE[cu.home_city]),
            pl.Series("home_lat", cu.home_lat),
            pl.Series("home_lon", cu.home_lon),
            pl.Series("city_tier", cu.tier).cast(pl.Int8),
            customer_vpas(ids).alias("vpa"),
            pl.Series("has_credit_card", cu.has_credit),
            pl.Series("credit_limit_inr", cu.credit_limit, dtype=pl.Float64),
            enum_series("debit_card_network", cu.debit_network),
            enum_series("credit_card_network", cu.credit_network),
            pl.Series("n_devices", cu.n_devices).cast(pl.Int8),
            _name_lists("preferred_categories", mkt.CATEGORIES, top_cat, n),
            _name_lists("preferred_payment_modes", mkt.PAYMENT_MODES, top_mode, n),
        ]
    )


def _name_lists(
    name: str, names: tuple[str, ...], codes: npt.NDArray[np.int64], n: int
) -> pl.Series:
    """A List[String] column from an (n, k) matrix of codes into ``names``."""
    flat = pl.Series(names, dtype=pl.String).gather(codes.ravel())
    return flat.reshape((n, codes.shape[1])).cast(pl.List(pl.String)).alias(name)


@lru_cache(maxsize=4)
def merchants_frame(seed: int, n: int) -> pl.DataFrame:
    """The merchants table of a scenario."""
    me = draw_merchants(seed, n)
    cat_names = [mkt.CATEGORIES[c] for c in me.category]
    brand = [
        CHAIN_BRANDS[name][b % len(CHAIN_BRANDS[name])]
        if chain or not LOCAL_SUFFIXES.get(name)
        else f"{SURNAMES[b % len(SURNAMES)]} {LOCAL_SUFFIXES[name][s % len(LOCAL_SUFFIXES[name])]}"
        for name, chain, b, s in zip(cat_names, me.is_chain, me.brand, me.suffix, strict=True)
    ]
    ids = np.arange(1, me.n + 1, dtype=np.int64)
    handle = pl.Series(UPI_HANDLES).gather(mix63(ids) % len(UPI_HANDLES))
    names = pl.Series("name", brand)
    slug = names.str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")
    vpa = slug + "." + pl.Series(ids).cast(pl.String) + "@" + handle
    city = me.city
    return pl.DataFrame(
        [
            pl.Series("merchant_id", ids),
            names,
            enum_series("category", me.category),
            pl.Series("mcc", mkt.CAT_MCC[me.category]).cast(pl.Int16),
            pl.Series("is_chain", me.is_chain),
            pl.Series("is_online", me.is_online),
            enum_series("city", city),
            enum_series("state", geo.CITY_STATE[city]),
            pl.Series("lat", me.lat),
            pl.Series("lon", me.lon),
            pl.Series("reputation", me.reputation),
            vpa.alias("vpa"),
        ]
    )


def check_schema(df: pl.DataFrame, columns: tuple[Column, ...]) -> None:
    """Raise if a frame's columns or types differ from the documented table."""
    expected = [(c.name, c.dtype) for c in columns]
    actual = list(df.schema.items())
    if actual != expected:
        raise AssertionError(f"schema mismatch:\nexpected {expected}\nactual   {actual}")
