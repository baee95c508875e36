"""The ``Scenario``: everything that defines a dataset, validated field by field.

A dataset is a pure function of its Scenario. Fields left as ``None`` take the preset's default;
``Scenario.resolved()`` returns the concrete values the generator uses.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Any

import msgspec

from fraudforge.engine._data.festivals import FESTIVAL_YEARS
from fraudforge.engine.errors import ScenarioError
from fraudforge.engine.taxonomy import (
    ANOMALY_TYPES,
    DEFAULT_ANOMALY_MIX,
    DEFAULT_FRAUD_MIX,
    FRAUD_TYPES,
)
from fraudforge.foundation.errors import plain_expectation

PRESETS: tuple[str, ...] = ("india", "handbook")
MAX_SEED = 2**63 - 1
MAX_CUSTOMERS = 2_000_000_000
MAX_DAYS = 3650


class Scenario(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """Configuration of one synthetic dataset (loadable from TOML or YAML)."""

    preset: str = "india"
    seed: int = 42
    target_rows: int | None = None
    customers: int | None = None
    merchants: int | None = None
    start_date: dt.date | None = None
    days: int | None = None
    fraud_rate: float | None = None
    fraud_mix: dict[str, float] | None = None
    anomaly_rate: float | None = None
    anomaly_mix: dict[str, float] | None = None
    label_delay_days: float = 7.0
    chargeback_delay_days: float = 45.0
    shard_size: int = 512

    def __post_init__(self) -> None:
        _validate(self)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Scenario:
        """Build from a plain mapping, turning type errors into ``ScenarioError``."""
        try:
            return msgspec.convert(data, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise _as_scenario_error(exc, data) from None

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        """Load a scenario from a ``.toml``, ``.yaml`` or ``.yml`` file."""
        return load_scenario(path)

    def replace(self, **changes: Any) -> Scenario:
        """A copy with some fields changed (validated again)."""
        data = msgspec.structs.asdict(self)
        data.update(changes)
        return Scenario(**data)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping of the fields as given."""
        out: dict[str, Any] = msgspec.to_builtins(self)
        return out

    # -- resolution ---------------------------------------------------------------------------
    def resolved(self) -> ResolvedScenario:
        """Concrete values with the preset's defaults filled in."""
        return _resolve(self)


class ResolvedScenario(msgspec.Struct, kw_only=True, frozen=True):
    """A Scenario with every preset default applied; what the generator reads."""

    preset: str
    seed: int
    customers: int
    merchants: int
    start_date: dt.date
    days: int
    fraud_rate: float
    fraud_mix: dict[str, float]
    anomaly_rate: float
    anomaly_mix: dict[str, float]
    label_delay_days: float
    chargeback_delay_days: float
    shard_size: int

    @property
    def n_shards(self) -> int:
        """Number of customer shards."""
        return -(-self.customers // self.shard_size)

    @property
    def end_date(self) -> dt.date:
        """First day after the simulated period."""
        return self.start_date + dt.timedelta(days=self.days)


_PRESET_DEFAULTS: dict[str, dict[str, Any]] = {
    "india": {
        "customers": 10_000,
        "start_date": dt.date(2025, 9, 1),
        "days": 90,
        "fraud_rate": 0.02,
        "anomaly_rate": 0.03,
    },
    "handbook": {
        "customers": 5_000,
        "merchants": 10_000,
        "start_date": dt.date(2018, 4, 1),
        "days": 183,
        # What the book's simulator yields at its size (measured: 14,885 fraud rows of 1,765,154
        # with the default seed): its three scenarios, not a rate it is given.
        "fraud_rate": 0.0084,
        "fraud_mix": {"amount_manipulation": 0.073, "card_cloning": 0.614, "stolen_card": 0.313},
        "anomaly_rate": 0.0,
        "anomaly_mix": {},
    },
}


def load_scenario(path: str | Path) -> Scenario:
    """Read a Scenario from TOML or YAML; the suffix picks the format."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(
            f"scenario file {str(p)!r} "
            + ("is a directory" if p.is_dir() else "does not exist")
            + ": give an existing .toml, .yaml or .yml file"
        )
    raw = p.read_bytes()
    suffix = p.suffix.lower()
    try:
        if suffix == ".toml":
            data = msgspec.toml.decode(raw)
        elif suffix in (".yaml", ".yml"):
            data = msgspec.yaml.decode(raw)
        else:
            raise ScenarioError("config", str(p), "a file ending in .toml, .yaml or .yml")
    except msgspec.DecodeError as exc:
        raise ScenarioError("config", str(p), f"valid {suffix[1:].upper()} ({exc})") from None
    if not isinstance(data, dict):
        raise ScenarioError("config", str(p), "a mapping of scenario fields at the top level")
    return Scenario.from_mapping(data)


def _as_scenario_error(exc: msgspec.ValidationError, data: dict[str, Any]) -> ScenarioError:
    """Name the field and the offending value of a msgspec validation error."""
    if isinstance(exc.__cause__, ScenarioError):
        return exc.__cause__
    text = str(exc)
    inner = _find_scenario_error(exc)
    if inner is not None:
        return inner
    match = re.search(r"at `\$\.([A-Za-z_]+)", text)
    field = match.group(1) if match else "scenario"
    unknown = re.search(r"Object contains unknown field `([^`]+)`", text)
    if unknown:
        allowed = ", ".join(f.name for f in msgspec.structs.fields(Scenario))
        return ScenarioError(unknown.group(1), data.get(unknown.group(1)), f"one of: {allowed}")
    value = data.get(field) if isinstance(data, dict) else None
    return ScenarioError(field, value, plain_expectation(text.split(" - at ")[0]))


def _find_scenario_error(exc: BaseException) -> ScenarioError | None:
    cur: BaseException | None = exc
    while cur is not None:
        if isinstance(cur, ScenarioError):
            return cur
        cur = cur.__cause__ or cur.__context__
    return None


def _check(ok: bool, field: str, value: Any, allowed: str) -> None:
    if not ok:
        raise ScenarioError(field, value, allowed)


def _finite(x: float) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _check_mix(field: str, mix: dict[str, float] | None, names: tuple[str, ...]) -> None:
    if mix is None:
        return
    for key, weight in mix.items():
        _check(key in names, f"{field}.{key}", key, f"a key among: {', '.join(names)}")
        _check(
            _finite(weight) and weight >= 0,
            f"{field}.{key}",
            weight,
            "a finite weight >= 0",
        )
    _check(sum(mix.values()) > 0, field, mix, "at least one weight > 0")


def _validate(s: Scenario) -> None:
    _check(s.preset in PRESETS, "preset", s.preset, f"one of: {', '.join(PRESETS)}")
    _check(0 <= s.seed <= MAX_SEED, "seed", s.seed, f"an integer in [0, {MAX_SEED}]")
    if s.target_rows is not None:
        _check(1 <= s.target_rows <= 10**12, "target_rows", s.target_rows, "1 to 10^12")
        _check(
            s.customers is None,
            "target_rows",
            s.target_rows,
            "either target_rows or customers, not both (customers are derived from target_rows)",
        )
    if s.customers is not None:
        _check(1 <= s.customers <= MAX_CUSTOMERS, "customers", s.customers, "1 to 2,000,000,000")
    if s.merchants is not None:
        _check(10 <= s.merchants <= 100_000_000, "merchants", s.merchants, "10 to 100,000,000")
    if s.days is not None:
        _check(1 <= s.days <= MAX_DAYS, "days", s.days, f"1 to {MAX_DAYS}")
    first_year, last_year = FESTIVAL_YEARS
    if s.start_date is not None:
        _check(
            first_year <= s.start_date.year <= last_year,
            "start_date",
            s.start_date.isoformat(),
            f"a date in {first_year}-01-01 .. {last_year}-12-31 (the festival calendar's years)",
        )
    if s.preset in _PRESET_DEFAULTS:  # an unknown preset is named by its own check
        start = s.start_date or _PRESET_DEFAULTS[s.preset]["start_date"]
        days = s.days if s.days is not None else _PRESET_DEFAULTS[s.preset]["days"]
        end = start + dt.timedelta(days=days - 1)
        _check(
            end.year <= last_year,
            "days",
            days,
            f"a period ending by {last_year}-12-31 (the festival calendar's last year); "
            f"from {start.isoformat()} at most {(dt.date(last_year, 12, 31) - start).days + 1}",
        )
    if s.fraud_rate is not None:
        _check(
            _finite(s.fraud_rate) and 0 <= s.fraud_rate <= 0.5,
            "fraud_rate",
            s.fraud_rate,
            "0 to 0.5",
        )
    if s.anomaly_rate is not None:
        _check(
            _finite(s.anomaly_rate) and 0 <= s.anomaly_rate <= 0.3,
            "anomaly_rate",
            s.anomaly_rate,
            "0 to 0.3",
        )
    _check_mix("fraud_mix", s.fraud_mix, FRAUD_TYPES)
    _check_mix("anomaly_mix", s.anomaly_mix, ANOMALY_TYPES)
    _check(
        _finite(s.label_delay_days) and 0 <= s.label_delay_days <= 365,
        "label_delay_days",
        s.label_delay_days,
        "0 to 365 days",
    )
    _check(
        _finite(s.chargeback_delay_days) and 1 <= s.chargeback_delay_days <= 540,
        "chargeback_delay_days",
        s.chargeback_delay_days,
        "1 to 540 days",
    )
    _check(64 <= s.shard_size <= 1_000_000, "shard_size", s.shard_size, "64 to 1,000,000 customers")
    if s.preset == "handbook":
        for name in ("fraud_rate", "fraud_mix", "anomaly_rate", "anomaly_mix", "target_rows"):
            value = getattr(s, name)
            _check(
                value is None,
                name,
                value,
                "unset for the handbook preset (it has its own three fraud scenarios and no "
                "anomalies; size it with customers, merchants and days)",
            )


def _normalise(mix: dict[str, float] | None, default: dict[str, float]) -> dict[str, float]:
    merged = dict(default) if mix is None else {k: float(mix.get(k, 0.0)) for k in default}
    total = sum(merged.values())
    return {k: v / total for k, v in merged.items()} if total > 0 else {}


def _resolve(s: Scenario) -> ResolvedScenario:
    defaults = _PRESET_DEFAULTS[s.preset]
    start = s.start_date or defaults["start_date"]
    days = s.days or defaults["days"]
    fraud_rate = s.fraud_rate if s.fraud_rate is not None else defaults["fraud_rate"]
    anomaly_rate = s.anomaly_rate if s.anomaly_rate is not None else defaults["anomaly_rate"]
    fraud_mix = _normalise(s.fraud_mix, defaults.get("fraud_mix", DEFAULT_FRAUD_MIX))
    anomaly_mix = _normalise(s.anomaly_mix, defaults.get("anomaly_mix", DEFAULT_ANOMALY_MIX))
    if s.customers is not None:
        customers = s.customers
    elif s.target_rows is not None:
        from fraudforge.engine.volume import customers_for_rows

        customers = customers_for_rows(s.target_rows, start, days, fraud_rate, fraud_mix)
    else:
        customers = defaults["customers"]
    if s.preset == "india":
        from fraudforge.engine.population import MIN_MERCHANTS

        if s.merchants is not None and s.merchants < MIN_MERCHANTS:
            raise ScenarioError(
                "merchants",
                s.merchants,
                f"at least {MIN_MERCHANTS} for the india preset (everyday shops in every city, "
                "big-ticket shops in every tier 1 and 2 city, several online merchants of each "
                "category)",
            )
        merchants = s.merchants or max(MIN_MERCHANTS, customers // 5)
    else:
        merchants = s.merchants or defaults["merchants"]
    return ResolvedScenario(
        preset=s.preset,
        seed=s.seed,
        customers=customers,
        merchants=merchants,
        start_date=start,
        days=days,
        fraud_rate=fraud_rate,
        fraud_mix=fraud_mix,
        anomaly_rate=anomaly_rate,
        anomaly_mix=anomaly_mix,
        label_delay_days=s.label_delay_days,
        chargeback_delay_days=s.chargeback_delay_days,
        shard_size=s.shard_size,
    )
