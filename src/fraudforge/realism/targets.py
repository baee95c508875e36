"""The calibration table: public market figures a dataset's genuine traffic should match, each
with a measure, a target, a tolerance band, its source and year. The table is data (TOML), so a
user can score datasets against their own bank's figures instead of the bundled public ones."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

import msgspec

from fraudforge.foundation.errors import DataError

MeasureName = Literal[
    "share",
    "value_share",
    "ratio",
    "mean_amount",
    "median_amount",
    "quantile_amount",
    "max_amount",
    "distinct_amounts",
    "peak_day_ratio",
    "daily_ratio",
    "weekend_lift",
    "top_merchant_share",
    "coverage",
]
MEASURES: tuple[str, ...] = MeasureName.__args__  # type: ignore[attr-defined]
"""Every measure a figure can use (``docs/realism.md`` defines each)."""


class Selection(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """Which genuine transactions a figure counts: every field given must hold (values within
    a list are alternatives). Columns are the dataset's (docs/schema.md); ``city_tier`` is the
    paying customer's home tier; hours count from ``hour_from`` up to ``hour_to``; ``month`` is
    the calendar month (1-12); ``online`` is a payment in an app or on the web."""

    payment_mode: list[str] | None = None
    txn_type: list[str] | None = None
    channel: list[str] | None = None
    status: list[str] | None = None
    category: list[str] | None = None
    card_network: list[str] | None = None
    state: list[str] | None = None
    city_tier: list[int] | None = None
    amount_min: float | None = None
    amount_max: float | None = None
    hour_from: int | None = None
    hour_to: int | None = None
    weekend: bool | None = None
    month: list[int] | None = None
    online: bool | None = None
    upi_initiation: list[str] | None = None
    app_session: bool | None = None
    """A payment through the customer's bank or UPI app on a device (its session columns are
    present: ``device_bound_days`` is not null)."""
    remote_access: bool | None = None
    device_bound_days_max: int | None = None
    sim_changed_days_max: int | None = None
    payee_handle_age_days_max: int | None = None
    """Session columns at most this many days (a null value is not kept)."""


class Figure(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """One calibration figure: what to measure on the dataset, the public value and the band
    within which the dataset counts as matching it."""

    id: str
    description: str
    measure: MeasureName
    target: float
    low: float
    high: float
    source: str
    year: int
    of: Selection = Selection()
    """The rows measured (the denominator of shares and ratios)."""
    where: Selection | None = None
    """``share``/``value_share``: the part of ``of`` counted; ``ratio``/``daily_ratio``: the
    numerator rows."""
    q: float | None = None
    """``quantile_amount``: the quantile, 0 to 1."""
    n: int | None = None
    """``top_merchant_share``: how many top merchants."""
    column: str | None = None
    """``coverage``: the merchant column whose values must all be present (``city``)."""
    scale: float = 1.0
    """Multiplier on the measured value (100 for "per 100")."""
    note: str = ""


class Targets(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A calibration table: a name, what it describes, and its figures."""

    name: str
    description: str
    figure: list[Figure]


class TargetsError(DataError):
    """A calibration table that cannot be used: names the file, the figure and the field."""


def _check(targets: Targets, origin: str) -> Targets:
    """Refuse duplicate ids, bands that do not hold their target, and measures missing the
    parameter they need."""
    seen: set[str] = set()
    for f in targets.figure:
        where = f"{origin}: figure `{f.id}`"
        if f.id in seen:
            raise TargetsError(f"{where}: the id is used twice; ids must be unique")
        seen.add(f.id)
        if not f.low <= f.target <= f.high:
            raise TargetsError(
                f"{where}: target {f.target} is outside its band [{f.low}, {f.high}]; "
                "allowed is low <= target <= high"
            )
        needs = {
            "share": f.where,
            "value_share": f.where,
            "ratio": f.where,
            "daily_ratio": f.where,
            "quantile_amount": f.q,
            "top_merchant_share": f.n,
            "coverage": f.column,
        }
        if f.measure in needs and needs[f.measure] is None:
            field = {"quantile_amount": "q", "top_merchant_share": "n", "coverage": "column"}
            raise TargetsError(
                f"{where}: measure `{f.measure}` needs `{field.get(f.measure, 'where')}`"
            )
        if f.q is not None and not 0 <= f.q <= 1:
            raise TargetsError(f"{where}: q = {f.q}; allowed is 0 to 1")
    return targets


def load_targets(path: str | Path | None = None) -> Targets:
    """The calibration table in TOML file ``path``, or the bundled ``india`` table."""
    if path is None:
        raw = resources.files("fraudforge.realism").joinpath("india.toml").read_bytes()
        origin = "the bundled india table"
    else:
        p = Path(path)
        if not p.is_file():
            raise TargetsError(f"calibration table {str(p)!r} does not exist: give a TOML file")
        raw, origin = p.read_bytes(), str(p)
    try:
        targets = msgspec.toml.decode(raw, type=Targets)
    except msgspec.ValidationError as exc:
        raise TargetsError(f"{origin}: {exc}") from None
    except msgspec.DecodeError as exc:
        raise TargetsError(f"{origin} is not valid TOML: {exc}") from None
    return _check(targets, origin)
