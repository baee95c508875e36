"""``fraudforge realism DATA``: measure a dataset's genuine traffic against a calibration table,
one row per figure (measured, target, band, source, inside or not), in one pass over the
transactions where the measures allow it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import msgspec
import polars as pl

from fraudforge.engine import geo
from fraudforge.engine.dataset import read_manifest, scan_dataset
from fraudforge.engine.schema import TRANSACTIONS
from fraudforge.realism.targets import Figure, Selection, Targets, TargetsError, load_targets

_ENUMS: dict[str, tuple[str, ...]] = {
    c.name: tuple(c.dtype.categories)
    for c in TRANSACTIONS
    if isinstance(c.dtype, pl.Enum) and c.name not in ("fraud_type", "anomaly_type", "city")
}
"""The columns a selection may name, with their allowed values."""
_ONLINE_CHANNELS = ("ecommerce", "mobile_app")
_DAYS = ("device_bound_days", "sim_changed_days", "payee_handle_age_days")
"""Session columns a selection bounds by ``<column>_max``."""


class Result(msgspec.Struct, kw_only=True, frozen=True):
    """One figure as measured on a dataset."""

    id: str
    description: str
    measured: float | None
    """None when the dataset has no rows to measure it on."""
    stderr: float
    """Standard error of ``measured``, clustered by customer (0 where not estimated): a figure
    counts as inside when ``measured`` +- 2 standard errors reaches the band, so that small
    datasets are not failed for sampling noise alone."""
    target: float
    low: float
    high: float
    inside: bool
    source: str
    year: int


class Scorecard(msgspec.Struct, kw_only=True, frozen=True):
    """A dataset's figures against a calibration table."""

    dataset: str
    table: str
    genuine_rows: int
    results: list[Result]

    @property
    def inside(self) -> int:
        """How many figures are inside their band."""
        return sum(r.inside for r in self.results)

    def verdict(self) -> str:
        """One line: how many figures match, and which do not."""
        out = [r.id for r in self.results if not r.inside]
        head = f"{self.inside} of {len(self.results)} figures inside their band"
        return head if not out else f"{head}; outside: {', '.join(out)}"


def _values(sel: Selection, field: str, figure: Figure) -> list[str] | None:
    values: list[str] | None = getattr(sel, field)
    if values is None:
        return None
    allowed = _ENUMS[field]
    for v in values:
        if v not in allowed:
            raise TargetsError(
                f"figure `{figure.id}`: {field} {v!r} is unknown; allowed are {', '.join(allowed)}"
            )
    return values


def predicate(sel: Selection, figure: Figure) -> pl.Expr:
    """The rows a selection keeps, as a boolean expression over the prepared frame."""
    parts: list[pl.Expr] = [pl.col("transaction_id").is_not_null()]  # every row, as a column
    for field in _ENUMS:
        values = _values(sel, field, figure)
        if values is not None:
            parts.append(pl.col(field).cast(pl.String).is_in(values))
    if sel.city_tier is not None:
        parts.append(pl.col("city_tier").is_in(sel.city_tier))
    if sel.amount_min is not None:
        parts.append(pl.col("amount_inr") >= sel.amount_min)
    if sel.amount_max is not None:
        parts.append(pl.col("amount_inr") <= sel.amount_max)
    if sel.hour_from is not None:
        parts.append(pl.col("hour") >= sel.hour_from)
    if sel.hour_to is not None:
        parts.append(pl.col("hour") < sel.hour_to)
    if sel.weekend is not None:
        parts.append(pl.col("weekend") == sel.weekend)
    if sel.month is not None:
        parts.append(pl.col("month").is_in(sel.month))
    if sel.online is not None:
        online = pl.col("channel").cast(pl.String).is_in(_ONLINE_CHANNELS)
        parts.append(online if sel.online else ~online)
    if sel.app_session is not None:
        session = pl.col("device_bound_days").is_not_null()
        parts.append(session if sel.app_session else ~session)
    if sel.remote_access is not None:
        parts.append(pl.col("remote_access").fill_null(False) == sel.remote_access)
    for column in _DAYS:
        most = getattr(sel, f"{column}_max")
        if most is not None:
            parts.append((pl.col(column) <= most).fill_null(False))
    return pl.all_horizontal(parts)


def _ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    return pl.when(den > 0).then(num / den).otherwise(None)


def _daily(of: pl.Expr) -> pl.Expr:
    return pl.col("day").filter(of).value_counts().struct.field("count")


def _peak_day(f: Figure, of: pl.Expr) -> pl.Expr:
    return _ratio(_daily(of).max(), _daily(of).median())


def _daily_ratio(f: Figure, of: pl.Expr) -> pl.Expr:
    """Rows per day of ``where`` over rows per day of ``of`` (days as present in the data)."""
    assert f.where is not None
    where = predicate(f.where, f)
    per_day_where = _ratio(where.sum(), pl.col("day").filter(where).n_unique())
    return _ratio(per_day_where, _ratio(of.sum(), pl.col("day").filter(of).n_unique()))


def _weekend_lift(f: Figure, of: pl.Expr) -> pl.Expr:
    wk = pl.col("weekend")
    per_weekend = _ratio((of & wk).sum(), pl.col("day").filter(wk).n_unique())
    per_weekday = _ratio((of & ~wk).sum(), pl.col("day").filter(~wk).n_unique())
    return _ratio(per_weekend, per_weekday)


def _top_merchants(f: Figure, of: pl.Expr) -> pl.Expr:
    assert f.n is not None
    counts = pl.col("merchant_id").filter(of & pl.col("merchant_id").is_not_null())
    top = counts.value_counts(sort=True).struct.field("count").head(f.n).sum()
    return _ratio(top, (of & pl.col("merchant_id").is_not_null()).sum())


def _ratio_parts(f: Figure, of: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """A ratio measure as sum(W) / sum(A): a share (rows of ``of`` also ``where``, over rows of
    ``of``), a value share (their amounts), a count ratio (rows of ``where`` over rows of
    ``of``) or a mean amount (amounts of ``of`` over its rows)."""
    amount = pl.col("amount_inr")
    if f.measure == "mean_amount":
        return amount.filter(of).sum(), of.sum()
    assert f.where is not None  # the table's check: these measures need `where`
    where = predicate(f.where, f)
    if f.measure == "share":
        return (of & where).sum(), of.sum()
    if f.measure == "value_share":
        return amount.filter(of & where).sum(), amount.filter(of).sum()
    return where.sum(), of.sum()


RATIO_MEASURES: tuple[str, ...] = ("share", "value_share", "ratio", "mean_amount")
"""Measures that are a ratio of sums, measured with a standard error (``_ratios``)."""


def _ratios(per: pl.DataFrame, figures: list[Figure]) -> dict[str, tuple[float | None, float]]:
    """Each ratio measure's value and standard error from per-customer sums ``w<id>`` and
    ``a<id>``. The error is clustered by customer: a customer's payments share their habits, so
    the sample is the customers, not the rows (the usual cluster-robust estimate,
    sqrt(sum_c (W_c - R A_c)^2 * m / (m - 1)) / sum_c A_c)."""
    m = per.height
    out: dict[str, tuple[float | None, float]] = {}
    for f in figures:
        w, a = per[f"w{f.id}"], per[f"a{f.id}"]
        total = float(a.sum())
        if total <= 0:
            out[f.id] = (None, 0.0)
            continue
        r = float(w.sum()) / total
        spread = float(((w - r * a) ** 2).sum()) * m / (m - 1) if m > 1 else 0.0
        out[f.id] = (r, spread**0.5 / total)
    return out


_ROW_MEASURES: dict[str, Callable[[Figure, pl.Expr], pl.Expr]] = {
    "median_amount": lambda f, of: pl.col("amount_inr").filter(of).median(),
    "quantile_amount": lambda f, of: pl.col("amount_inr").filter(of).quantile(f.q or 0.5),
    "max_amount": lambda f, of: pl.col("amount_inr").filter(of).max(),
    "distinct_amounts": lambda f, of: pl.col("amount_inr").filter(of).n_unique(),
    "peak_day_ratio": _peak_day,
    "daily_ratio": _daily_ratio,
    "weekend_lift": _weekend_lift,
    "top_merchant_share": _top_merchants,
}
"""The other measures over the genuine transactions: figure -> one aggregate expression."""


def _coverage(f: Figure, merchants: pl.DataFrame) -> float | None:
    """Share of the cities (of ``of.city_tier``, default all) that have a merchant matching
    ``where`` (category; ``online``)."""
    if f.column != "city":
        raise TargetsError(f"figure `{f.id}`: coverage is measured over `city`, not {f.column!r}")
    tiers = f.of.city_tier
    cities = [
        name
        for name, tier in zip(geo.CITY_NAMES, geo.CITY_TIER, strict=True)
        if tiers is None or int(tier) in tiers
    ]
    sel = f.where or Selection()
    keep = pl.lit(True)
    categories = _values(sel, "category", f)
    if categories is not None:
        keep = keep & pl.col("category").cast(pl.String).is_in(categories)
    if sel.online is not None:
        keep = keep & (pl.col("is_online") == sel.online)
    present = set(merchants.filter(keep)["city"].cast(pl.String).unique().to_list())
    return sum(c in present for c in cities) / len(cities) if cities else None


def _prepared(data: Path, need_tier: bool) -> pl.LazyFrame:
    """The genuine transactions with the derived columns the measures read."""
    tx = scan_dataset(data).filter(~pl.col("is_fraud"))
    tx = tx.with_columns(
        hour=pl.col("timestamp").dt.hour(),
        day=pl.col("timestamp").dt.date(),
        weekend=pl.col("timestamp").dt.weekday() >= 6,
        month=pl.col("timestamp").dt.month(),
    )
    if need_tier:
        tiers = scan_dataset(data, "customers").select("customer_id", "city_tier")
        tx = tx.join(tiers, on="customer_id", how="left")
    return tx


def score(data: str | Path, targets: Targets | None = None) -> Scorecard:
    """Measure dataset directory ``data`` against ``targets`` (default: the bundled table)."""
    root = Path(data)
    read_manifest(root)  # a clear error for a directory that is not a dataset
    table = targets or load_targets()
    uses_tier = any(
        s is not None and s.city_tier is not None
        for f in table.figure
        if f.measure != "coverage"
        for s in (f.of, f.where)
    )
    rows = [f for f in table.figure if f.measure in _ROW_MEASURES]
    ratios = [f for f in table.figure if f.measure in RATIO_MEASURES]
    frame = _prepared(root, uses_tier)
    exprs = [_ROW_MEASURES[f.measure](f, predicate(f.of, f)).alias(f.id) for f in rows]
    sums = [
        e.cast(pl.Float64).alias(f"{key}{f.id}")
        for f in ratios
        for key, e in zip("wa", _ratio_parts(f, predicate(f.of, f)), strict=True)
    ]
    per_customer = frame.group_by("customer_id").agg(pl.len().alias("__rows"), *sums)
    # One collection of both queries, so the dataset is scanned once for them.
    whole, per = pl.collect_all([frame.select(*exprs, pl.len().alias("__rows")), per_customer])
    values = whole.row(0, named=True)
    ratio_values = _ratios(per, ratios)
    values.update({fid: v for fid, (v, _) in ratio_values.items()})
    errors = {fid: se for fid, (_, se) in ratio_values.items()}
    if any(f.measure == "coverage" for f in table.figure):
        merchants = scan_dataset(root, "merchants").select("category", "city", "is_online")
        shops = merchants.collect()
        values.update({f.id: _coverage(f, shops) for f in table.figure if f.measure == "coverage"})
    results = []
    for f in table.figure:
        raw = values.get(f.id)
        measured = None if raw is None else float(raw) * f.scale
        se = errors.get(f.id)
        stderr = 0.0 if se is None or measured is None else se * f.scale
        results.append(
            Result(
                id=f.id,
                description=f.description,
                measured=measured,
                stderr=stderr,
                target=f.target,
                low=f.low,
                high=f.high,
                inside=measured is not None
                and measured + 2 * stderr >= f.low
                and measured - 2 * stderr <= f.high,
                source=f.source,
                year=f.year,
            )
        )
    return Scorecard(
        dataset=str(root), table=table.name, genuine_rows=int(values["__rows"]), results=results
    )


def format_value(x: float | None) -> str:
    """A measured or public value as the scorecard prints it."""
    if x is None:
        return "n/a"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"


def _measured(r: Result) -> str:
    """The measured value, with its standard error where it has one."""
    if not r.stderr:
        return format_value(r.measured)
    se = f"{r.stderr:,.0f}" if r.stderr >= 10 else f"{r.stderr:.2g}"
    return f"{format_value(r.measured)} ± {se}"


def to_markdown(card: Scorecard) -> str:
    """The scorecard as a Markdown table with sources, and its verdict."""
    lines = [
        "| figure | measured | target | band | inside | source |",
        "|---|---:|---:|---|:-:|---|",
    ]
    lines.extend(
        f"| {r.description} (`{r.id}`) | {_measured(r)} | {format_value(r.target)} | "
        f"{format_value(r.low)} to {format_value(r.high)} | {'yes' if r.inside else '**no**'} | "
        f"{r.source} ({r.year}) |"
        for r in card.results
    )
    lines += ["", f"{card.genuine_rows:,} genuine rows; {card.verdict()}.", ""]
    return "\n".join(lines)


def to_json(card: Scorecard) -> str:
    """The scorecard as JSON (the verdict included)."""
    data = msgspec.to_builtins(card)
    data["inside"] = card.inside
    data["verdict"] = card.verdict()
    return json.dumps(data, indent=2) + "\n"


def rows_of(card: Scorecard) -> list[tuple[str, str, str, str, str]]:
    """The scorecard's terminal rows: id, measured, target, band, inside."""
    return [
        (
            r.id,
            _measured(r),
            format_value(r.target),
            f"{format_value(r.low)}-{format_value(r.high)}",
            "yes" if r.inside else "NO",
        )
        for r in card.results
    ]


__all__ = ["Result", "Scorecard", "rows_of", "score", "to_json", "to_markdown"]
