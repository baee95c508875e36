"""The audit's view of a dataset: every observable column of a transaction (the row itself, its
customer and merchant, its entities and its place in the customer's sequence), encoded as small
integer codes that the rule search counts with ``numpy.bincount``.

The labels (``engine.schema.LABEL_COLUMNS``) are read only as the target: ``is_fraud`` and
``fraud_type``. No atom is computed from them, which ``ATOM_SOURCES`` states and the tests hold.
The dataset is read by one lazy Polars query (joins, entity aggregations and the per-customer
shift); genuine rows beyond ``max_genuine`` are sampled by a hash of the transaction id and
counted with a weight, so the memory held stays bounded whatever the dataset's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import msgspec
import numpy as np
import numpy.typing as npt
import polars as pl

from fraudforge.engine.dataset import read_manifest, scan_dataset
from fraudforge.engine.schema import AUTHORISATION_COLUMNS, LABEL_COLUMNS
from fraudforge.foundation.errors import DataError
from fraudforge.foundation.progress import ProgressFn, ignore, phase

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
Codes = npt.NDArray[np.uint16]

REPEAT_MINUTES = 10
"""An exact repeat: same customer, amount and payee as the customer's previous payment within
this many minutes."""
BINS = 32
"""Quantile levels per numeric column (over all rows, and again over fraud rows)."""
ID_COLUMNS: tuple[str, ...] = ("transaction_id", "device_id", "card_id")
"""Ids whose bits and residues are searched."""
RESIDUES: tuple[int, ...] = (3, 5, 7, 10, 11, 13)
"""Moduli of the id residue classes searched (powers of two are the low bits)."""
NEED: dict[str, tuple[str, ...]] = {
    "transactions": (*AUTHORISATION_COLUMNS, "is_fraud", "fraud_type", "fraud_scenario_id"),
    "customers": (
        "customer_id", "segment", "age", "income_bracket", "occupation", "digital_savviness",
        "home_city", "home_lat", "home_lon", "city_tier", "has_credit_card", "credit_limit_inr",
        "n_devices",
    ),
    "merchants": ("merchant_id", "category", "is_chain", "is_online", "reputation"),
}  # fmt: skip
"""The columns the audit reads from each table: every transactions column a bank sees at
authorisation, the labels only as the target."""
_CATEGORICAL: tuple[str, ...] = (
    "payment_mode", "card_network", "channel", "txn_type", "status", "category", "city", "state",
)  # fmt: skip
"""The transactions' own categorical columns, each an atom as it is."""
_SESSION_CATEGORICAL: tuple[str, ...] = ("upi_initiation", "remote_access")
"""The session's categorical columns, each an atom as it is."""
NULLABLE: tuple[str, ...] = ("merchant_id", "device_id", "card_id", "mcc", "counterparty")
"""Columns whose null pattern is one categorical atom."""


@dataclass(frozen=True)
class Atom:
    """One observable column of the audit: its name, kind (``cat`` values or ``num`` ranges),
    the group a rule on it is reported under, whether it enters pairs, and what it is made of."""

    name: str
    kind: str
    group: str
    pairs: bool
    sources: tuple[str, ...]


def _atoms() -> tuple[Atom, ...]:
    cat = [
        *(
            Atom(c, "cat", "column", True, (c,))
            for c in _CATEGORICAL
        ),
        *(Atom(c, "cat", "session", True, (c,)) for c in _SESSION_CATEGORICAL),
        Atom("hour", "cat", "time", True, ("timestamp",)),
        Atom("weekday", "cat", "time", True, ("timestamp",)),
        Atom("null_pattern", "cat", "null", True, NULLABLE),
        Atom("amount_roundness", "cat", "amount", True, ("amount_inr",)),
        Atom("away_from_home", "cat", "customer", True, ("city", "home_city")),
        Atom("merchant_category_match", "cat", "merchant", True, ("category", "merchant_id")),
        *(
            Atom(c, "cat", "customer", True, (c,))
            for c in (
                "segment", "income_bracket", "occupation", "digital_savviness", "city_tier",
                "has_credit_card", "n_devices",
            )
        ),
        Atom("merchant_is_chain", "cat", "merchant", True, ("merchant_id",)),
        Atom("merchant_is_online", "cat", "merchant", True, ("merchant_id",)),
        Atom("device_shared", "cat", "entity", True, ("device_id", "customer_id")),
        Atom("card_shared", "cat", "entity", True, ("card_id", "customer_id")),
        Atom("exact_repeat", "cat", "repeat", True, ("customer_id", "amount_inr", "counterparty")),
        Atom("id_order_break", "cat", "id", False, ("transaction_id", "timestamp")),
        Atom("id_key_order_break", "cat", "id", False, ("transaction_id", "timestamp")),
    ]  # fmt: skip
    num = [
        Atom("amount_inr", "num", "amount", True, ("amount_inr",)),
        *(
            Atom(c, "num", "session", True, (c,))
            for c in ("payee_handle_age_days", "device_bound_days", "sim_changed_days")
        ),
        Atom("hour_of_day", "num", "time", True, ("timestamp",)),
        Atom("day_of_window", "num", "time", True, ("timestamp",)),
        Atom("km_from_home", "num", "customer", True, ("lat", "lon", "home_lat", "home_lon")),
        Atom("age", "num", "customer", True, ("age",)),
        Atom("credit_limit_inr", "num", "customer", True, ("credit_limit_inr",)),
        Atom("merchant_reputation", "num", "merchant", True, ("merchant_id",)),
        Atom("device_customers", "num", "entity", True, ("device_id", "customer_id")),
        Atom("payee_payers", "num", "entity", True, ("counterparty", "customer_id")),
        Atom("merchant_customers", "num", "entity", True, ("merchant_id", "customer_id")),
        Atom("seconds_since_previous", "num", "repeat", True, ("customer_id", "timestamp")),
        Atom("lat", "num", "column", False, ("lat",)),
        Atom("lon", "num", "column", False, ("lon",)),
        *(
            Atom(c, "num", "id", False, (c,))
            for c in ("transaction_id", "device_id", "card_id", "customer_id", "merchant_id")
        ),
    ]
    return (*cat, *num)


ATOMS: tuple[Atom, ...] = _atoms()
ATOM_SOURCES: frozenset[str] = frozenset(s for a in ATOMS for s in a.sources)
"""Every dataset column an atom is computed from: none is a label."""
assert not ATOM_SOURCES & set(LABEL_COLUMNS)


class AuditError(DataError):
    """The directory cannot be audited: it names what is missing and what a dataset holds."""


@dataclass(frozen=True)
class CatColumn:
    """A categorical atom: a code per row and the value each code stands for."""

    atom: Atom
    codes: Codes
    labels: tuple[str, ...]


@dataclass(frozen=True)
class NumColumn:
    """A numeric atom binned on quantile edges: bin ``k`` holds ``edges[k-1] < x <= edges[k]``
    (bin 0: ``x <= edges[0]``, bin ``len(edges)``: above the last edge); nulls are bin
    ``len(edges) + 1``, which no range covers."""

    atom: Atom
    codes: Codes
    edges: F64

    @property
    def bins(self) -> int:
        """Bins that hold values (the null bin excluded)."""
        return int(self.edges.shape[0]) + 1


@dataclass(frozen=True)
class Encoded:
    """The audited rows, encoded: fraud flag and pattern code per row, the genuine rows' weight
    (1 unless they were sampled) and every atom's codes."""

    dataset: str
    rows: int
    fraud: B
    pattern: I64
    patterns: tuple[str, ...]
    incident: I64
    """Each fraud row's incident (``fraud_scenario_id``) as a dense code, -1 for genuine rows."""
    customer: I64
    """Each row's ``customer_id`` (-1 where null): the held-out check keeps a customer's rows
    together."""
    genuine_rows: int
    genuine_weight: float
    cat: dict[str, CatColumn]
    num: dict[str, NumColumn]
    ids: dict[str, IdColumn]


def _check_dataset(root: Path) -> None:
    if not root.exists():
        raise AuditError(
            f"{str(root)!r} does not exist: expected a dataset directory written by "
            "`fraudforge generate` (manifest.json, transactions/, customers/, merchants)"
        )
    if not root.is_dir():
        raise AuditError(f"{str(root)!r} is a file: expected a dataset directory")
    if not (root / "manifest.json").is_file():
        raise AuditError(
            f"{str(root)!r} has no manifest.json: expected a dataset directory written by "
            "`fraudforge generate` (manifest.json, transactions/, customers/, merchants)"
        )
    try:
        read_manifest(root)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise AuditError(
            f"{str(root)!r}: manifest.json is not a fraudforge manifest ({exc})"
        ) from exc


def _scan(root: Path, table: str) -> pl.LazyFrame:
    """A table with the audit's columns, or a clear error naming the missing ones."""
    try:
        lf = scan_dataset(root, table)
        schema = lf.collect_schema()
    except (FileNotFoundError, pl.exceptions.ComputeError) as exc:
        raise AuditError(f"{str(root)!r}: cannot read its {table} table ({exc})") from exc
    missing = [c for c in NEED[table] if c not in schema]
    if missing:
        raise AuditError(
            f"{str(root)!r}: the {table} table lacks column(s) {', '.join(missing)}; the audit "
            "needs the dataset schema of docs/schema.md"
        )
    return lf.select(NEED[table])


def _haversine_km(lat1: pl.Expr, lon1: pl.Expr, lat2: pl.Expr, lon2: pl.Expr) -> pl.Expr:
    r = np.pi / 180.0
    a = ((lat2 - lat1) * r / 2).sin() ** 2 + (lat1 * r).cos() * (lat2 * r).cos() * (
        (lon2 - lon1) * r / 2
    ).sin() ** 2
    return 2 * 6371.0 * a.sqrt().arcsin()


def _distinct_customers(tx: pl.LazyFrame, key: str, name: str) -> pl.LazyFrame:
    return (
        tx.filter(pl.col(key).is_not_null())
        .group_by(key)
        .agg(pl.col("customer_id").n_unique().alias(name))
    )


def _roundness(amount: pl.Expr) -> pl.Expr:
    paise = (amount * 100).round().cast(pl.Int64)
    return (
        pl.when(paise % 100_000 == 0)
        .then(pl.lit("multiple of 1000"))
        .when(paise % 10_000 == 0)
        .then(pl.lit("multiple of 100"))
        .when(paise % 1_000 == 0)
        .then(pl.lit("multiple of 10"))
        .when(paise % 100 == 0)
        .then(pl.lit("whole rupees"))
        .otherwise(pl.lit("with paise"))
    )


def _null_pattern() -> pl.Expr:
    parts = [pl.when(pl.col(c).is_null()).then(pl.lit(c)) for c in NULLABLE]
    joined = pl.concat_str(parts, separator="+", ignore_nulls=True)
    return pl.when(joined == "").then(pl.lit("all present")).otherwise(joined + " null")


def observable(root: Path) -> pl.LazyFrame:
    """The lazy query of the audited columns: ``is_fraud`` and ``fraud_type`` as the target,
    every atom of ``ATOMS`` computed from observable columns only."""
    tx = _scan(root, "transactions").sort("customer_id", "timestamp", "transaction_id")
    customers = _scan(root, "customers")
    merchants = _scan(root, "merchants").rename(
        {
            "category": "merchant_category",
            "is_chain": "merchant_is_chain",
            "is_online": "merchant_is_online",
            "reputation": "merchant_reputation",
        }
    )
    same = pl.col("customer_id") == pl.col("customer_id").shift(1)
    gap = (pl.col("timestamp") - pl.col("timestamp").shift(1)).dt.total_seconds()
    # Joins keep the left order (maintain_order): the per-customer shifts read it.
    frame = tx.join(customers, on="customer_id", how="left", maintain_order="left").join(
        merchants, on="merchant_id", how="left", maintain_order="left"
    )
    for entity, name in (
        ("device_id", "device_customers"),
        ("card_id", "card_customers"),
        ("counterparty", "payee_payers"),
        ("merchant_id", "merchant_customers"),
    ):
        frame = frame.join(
            _distinct_customers(tx, entity, name), on=entity, how="left", maintain_order="left"
        )
    ts = pl.col("timestamp")
    key = pl.col("transaction_id").map_batches(
        lambda s: pl.Series(unmix63(s.fill_null(0).to_numpy())), return_dtype=pl.UInt64
    )
    return frame.select(
        "transaction_id",
        pl.col("is_fraud").alias("__fraud"),
        pl.col("fraud_type").cast(pl.String).alias("__pattern"),
        pl.col("fraud_scenario_id").alias("__incident"),
        *_CATEGORICAL,
        *_SESSION_CATEGORICAL,
        ts.dt.hour().alias("hour"),
        ts.dt.weekday().alias("weekday"),
        _null_pattern().alias("null_pattern"),
        _roundness(pl.col("amount_inr")).alias("amount_roundness"),
        (pl.col("city").cast(pl.String) != pl.col("home_city").cast(pl.String)).alias(
            "away_from_home"
        ),
        pl.when(pl.col("merchant_id").is_null())
        .then(pl.lit("no merchant"))
        .when(pl.col("category").cast(pl.String) == pl.col("merchant_category").cast(pl.String))
        .then(pl.lit("same"))
        .otherwise(pl.lit("different"))
        .alias("merchant_category_match"),
        "segment", "income_bracket", "occupation", "digital_savviness", "city_tier",
        "has_credit_card", "n_devices", "merchant_is_chain", "merchant_is_online",
        (pl.col("device_customers") > 1).alias("device_shared"),
        (pl.col("card_customers") > 1).alias("card_shared"),
        (
            same
            & (gap <= REPEAT_MINUTES * 60)
            & (pl.col("amount_inr") == pl.col("amount_inr").shift(1))
            & (pl.col("counterparty") == pl.col("counterparty").shift(1))
        ).fill_null(False).alias("exact_repeat"),
        pl.when(same)
        .then(pl.col("transaction_id") < pl.col("transaction_id").shift(1))
        .alias("id_order_break"),
        pl.when(same).then(key < key.shift(1)).alias("id_key_order_break"),
        "amount_inr", "payee_handle_age_days", "device_bound_days", "sim_changed_days",
        ts.dt.hour().alias("hour_of_day"),
        (ts.dt.date() - ts.dt.date().min()).dt.total_days().alias("day_of_window"),
        _haversine_km(
            pl.col("lat"), pl.col("lon"), pl.col("home_lat"), pl.col("home_lon")
        ).alias("km_from_home"),
        "age", "credit_limit_inr", "merchant_reputation", "device_customers", "payee_payers",
        "merchant_customers",
        pl.when(same).then(gap).alias("seconds_since_previous"),
        "lat", "lon", "device_id", "card_id", "customer_id", "merchant_id",
    )  # fmt: skip


def _cat_codes(s: pl.Series) -> tuple[Codes, tuple[str, ...]]:
    """Codes of a column's values (an Enum's own order, else sorted), nulls last as ``null``."""
    if isinstance(s.dtype, pl.Enum):
        labels = list(s.dtype.categories)
        codes = s.to_physical().cast(pl.Int64)
    elif s.dtype == pl.Boolean:
        labels = ["false", "true"]
        codes = s.cast(pl.Int64)
    else:
        rank = s.rank("dense")
        codes = rank.cast(pl.Int64) - 1
        firsts = pl.DataFrame({"v": s, "c": codes}).drop_nulls().unique("c").sort("c")
        labels = [str(v) for v in firsts["v"].to_list()]
    has_null = s.null_count() > 0
    codes = codes.fill_null(len(labels))
    return codes.to_numpy().astype(np.uint16), (*labels, *(("null",) if has_null else ()))


def _num_codes(x: F64, fraud: B) -> tuple[Codes, F64]:
    """Bin codes on the union of quantile edges over all rows and over fraud rows."""
    levels = np.linspace(0.0, 1.0, BINS + 1)[1:-1]
    missing = np.isnan(x)
    parts = [
        np.quantile(rows, levels, method="inverted_cdf")
        for rows in (x[~missing], x[fraud & ~missing])
        if rows.shape[0]
    ]
    edges = np.unique(np.concatenate(parts)) if parts else np.empty(0)
    codes = np.searchsorted(edges, x, side="left").astype(np.uint16)
    codes[missing] = edges.shape[0] + 1
    return codes, edges.astype(np.float64)


@dataclass(frozen=True)
class IdColumn:
    """An id column as unsigned 64-bit values, for its bit and residue atoms."""

    name: str
    values: npt.NDArray[np.uint64]
    null: B

    def bit_counts(self, rows: B | None = None) -> I64:
        """How many (selected, non-null) rows have each of the 64 bits set, bit 0 first."""
        keep = ~self.null if rows is None else rows & ~self.null
        v = self.values[keep]
        bits = np.unpackbits(v.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
        # little-endian bytes, little bit order: column k is bit k
        return np.asarray(bits.sum(axis=0, dtype=np.int64), dtype=np.int64)

    def bit(self, k: int) -> Codes:
        """Codes of bit ``k``: 0, 1, or 2 for a null id."""
        codes = ((self.values >> np.uint64(k)) & np.uint64(1)).astype(np.uint16)
        codes[self.null] = 2
        return codes


_MASK63 = (1 << 63) - 1
_C1_INV = np.uint64(pow(0xBF58476D1CE4E5B9, -1, 1 << 63))
_C2_INV = np.uint64(pow(0x94D049BB133111EB, -1, 1 << 63))


def _unshift(y: npt.NDArray[np.uint64], s: int) -> npt.NDArray[np.uint64]:
    """Inverse of ``x ^ (x >> s)`` on 63-bit values."""
    x = y.copy()
    shift = s
    while shift < 63:
        x ^= y >> np.uint64(shift)
        shift += s
    return x


def unmix63(ids: npt.ArrayLike) -> npt.NDArray[np.uint64]:
    """The keys behind fraudforge's ids: the inverse of ``engine.ids.mix63`` (splitmix64's
    finaliser on 63 bits). A generator's keys are structured (key space in the top bits, then
    shard, position or owner), so anyone who knows the mix can read them: the audit does, to
    find id values that give fraud away."""
    mask = np.uint64(_MASK63)
    x = np.asarray(ids, dtype=np.int64).view(np.uint64) & mask
    with np.errstate(over="ignore"):
        x = _unshift(x, 32)
        x = (x * _C2_INV) & mask
        x = _unshift(x, 29)
        x = (x * _C1_INV) & mask
        x = _unshift(x, 31)
    return x


def _id_column(values: pl.Series) -> IdColumn:
    null = values.is_null().to_numpy()
    v = values.fill_null(0).cast(pl.Int64).to_numpy().view(np.uint64)
    return IdColumn(values.name, np.ascontiguousarray(v), null)


def _residues(col: IdColumn) -> dict[str, CatColumn]:
    """Each id's residue classes modulo ``RESIDUES``, and the key space of its unmixed key
    (``unmix63``), as categorical atoms."""
    has_null = bool(col.null.any())
    space = (unmix63(col.values.view(np.int64)) >> np.uint64(60)).astype(np.uint16)
    space[col.null] = 8
    name = f"{col.name} key space"
    out = {
        name: CatColumn(
            Atom(name, "cat", "id", False, (col.name,)),
            space,
            (*(str(v) for v in range(8)), *(("null",) if has_null else ())),
        )
    }
    for m in RESIDUES:
        codes = (col.values % np.uint64(m)).astype(np.uint16)
        codes[col.null] = m
        labels = (*(str(r) for r in range(m)), *(("null",) if has_null else ()))
        name = f"{col.name} mod {m}"
        out[name] = CatColumn(Atom(name, "cat", "id", False, (col.name,)), codes, labels)
    return out


def encode(
    data: str | Path, *, max_genuine: int = 3_000_000, progress: ProgressFn | None = None
) -> Encoded:
    """Read dataset directory ``data`` and encode its audited columns. Genuine rows beyond
    ``max_genuine`` are sampled by a hash of ``transaction_id`` (deterministic) and weighted."""
    report = progress or ignore
    root = Path(data)
    _check_dataset(root)
    phase(report, "reading the dataset")
    lf = observable(root)
    totals = _scan(root, "transactions").select(
        pl.len().alias("rows"), pl.col("is_fraud").sum().alias("fraud")
    )
    counts = totals.collect().row(0, named=True)
    rows, fraud_rows = int(counts["rows"]), int(counts["fraud"] or 0)
    if rows == 0:
        raise AuditError(f"{str(root)!r} has no transactions to audit")
    genuine_rows = rows - fraud_rows
    if genuine_rows > max_genuine:
        keep = pl.col("transaction_id").hash(seed=11) % 1_000_003 < int(
            1_000_003 * max_genuine / genuine_rows
        )
        lf = lf.filter(pl.col("__fraud") | keep)
    phase(report, "joining customers, merchants and entities")
    df = lf.collect(engine="streaming")
    fraud = df["__fraud"].fill_null(False).to_numpy().astype(np.bool_)
    kept_genuine = int((~fraud).sum())
    weight = genuine_rows / kept_genuine if kept_genuine else 1.0
    pattern_series = df["__pattern"].fill_null("none")
    patterns = tuple(sorted(set(pattern_series.filter(pl.Series(fraud)).to_list()) - {"none"}))
    index = {p: i for i, p in enumerate(patterns)}
    pattern = (
        pattern_series.replace_strict(list(index), list(index.values()), default=-1)
        .cast(pl.Int64)
        .to_numpy()
    )
    incident = np.where(
        fraud, df["__incident"].rank("dense").fill_null(0).cast(pl.Int64).to_numpy(), -1
    )
    phase(report, "encoding columns")
    cat: dict[str, CatColumn] = {}
    num: dict[str, NumColumn] = {}
    for atom in ATOMS:
        if atom.kind == "cat":
            codes, labels = _cat_codes(df[atom.name])
            cat[atom.name] = CatColumn(atom, codes, labels)
        else:
            x = df[atom.name].cast(pl.Float64).to_numpy()
            ncodes, edges = _num_codes(x, fraud)
            num[atom.name] = NumColumn(atom, ncodes, edges)
    ids = {c: _id_column(df[c]) for c in ID_COLUMNS}
    for col in ids.values():
        cat.update(_residues(col))
    return Encoded(
        dataset=str(root),
        rows=rows,
        fraud=fraud,
        pattern=pattern,
        patterns=patterns,
        incident=np.asarray(incident, dtype=np.int64),
        customer=df["customer_id"].fill_null(-1).cast(pl.Int64).to_numpy(),
        genuine_rows=genuine_rows,
        genuine_weight=weight,
        cat=cat,
        num=num,
        ids=ids,
    )
