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


MAX_CAMPAIGN_FACTOR = 100.0


class Campaign(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A change of one fraud pattern's incidence over time (a campaign, a drift or a pattern
    appearing on a date), so models can be tested for decay.

    From ``start`` until ``end`` (exclusive; open-ended when unset) the pattern's incidents are
    ``factor`` times as frequent, growing or shrinking by ``monthly_growth`` per month since
    ``start``; outside that window they are ``outside`` times as frequent (``outside = 0`` with
    no ``end``: a pattern that appears on ``start``). Campaigns on one pattern multiply; the
    fraud rate moves with them (``fraud_rate`` is the rate without campaigns).
    """

    pattern: str
    start: dt.date
    end: dt.date | None = None
    factor: float = 1.0
    outside: float = 1.0
    monthly_growth: float = 0.0

    def intensity(self, day_numbers: Any) -> Any:
        """The multiplier on incidence for days given as days since 1970-01-01 (NumPy array)."""
        import numpy as np

        epoch = dt.date(1970, 1, 1)
        start = (self.start - epoch).days
        end = (self.end - epoch).days if self.end is not None else np.iinfo(np.int64).max
        d = np.asarray(day_numbers, dtype=np.int64)
        inside = (d >= start) & (d < end)
        months = np.maximum(d - start, 0) / DAYS_PER_MONTH
        grown = self.factor * (1.0 + self.monthly_growth) ** months
        return np.where(inside, grown, self.outside)


DAYS_PER_MONTH = 30.44


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
    campaigns: tuple[Campaign, ...] = ()
    camouflage: float | None = None

    def __post_init__(self) -> None:
        _validate(self)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Scenario:
        """Build from a plain mapping, turning type errors into ``ScenarioError``.

        Parameters
        ----------
        data
            Field names to values, as a TOML, YAML or JSON reader gives them: numbers and
            dates may be strings (``"100"``, ``"2025-09-01"``), campaigns a list of tables.
            Fields left out take their defaults.

        Returns
        -------
        Scenario
            The validated scenario.

        Raises
        ------
        ScenarioError
            For an unknown field, a value of the wrong type or out of its range, naming the
            field and what is allowed.
        """
        try:
            return msgspec.convert(data, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise _as_scenario_error(exc, data) from None

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        """Load a scenario from a ``.toml``, ``.yaml`` or ``.yml`` file (``load_scenario``).

        Parameters
        ----------
        path
            The scenario file; its suffix picks the format.

        Returns
        -------
        Scenario
            The validated scenario.

        Raises
        ------
        FileNotFoundError
            When ``path`` does not exist or is a directory.
        ScenarioError
            For another suffix, a file that does not parse, or an invalid field.
        """
        return load_scenario(path)

    def replace(self, **changes: Any) -> Scenario:
        """A copy with some fields changed (validated again).

        Parameters
        ----------
        **changes
            Field names to their new values, of the fields' own types (``days=30``,
            ``start_date=datetime.date(2025, 1, 1)``): unlike ``from_mapping``, nothing is
            converted. ``None`` puts a preset-defaulted field back to the preset's default.

        Returns
        -------
        Scenario
            The new scenario; this one is unchanged (scenarios are frozen).

        Raises
        ------
        ScenarioError
            When a new value is out of its range or conflicts with another field
            (``target_rows`` with ``customers``, a field the handbook preset fixes).
        TypeError
            For a name that is not a Scenario field.
        """
        data = msgspec.structs.asdict(self)
        data.update(changes)
        return Scenario(**data)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping of the fields as given (lists, not tuples, as JSON reads back)."""
        out: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(self))
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
    campaigns: tuple[Campaign, ...] = ()
    camouflage: float = 0.0

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
        # Fraud rows: 1 % (docs/realism.md, "The fraud rate": reported UPI fraud is about 10
        # per million payments, far too rare to learn from; 1 % sits between the Handbook
        # simulator's 0.84 % and IEEE-CIS's 3.5 %).
        "fraud_rate": 0.01,
        "anomaly_rate": 0.03,
        "camouflage": 0.5,
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
        "camouflage": 0.0,
    },
}


def load_scenario(path: str | Path) -> Scenario:
    """Read a Scenario from TOML or YAML; the suffix picks the format.

    Parameters
    ----------
    path
        A ``.toml``, ``.yaml`` or ``.yml`` file (the suffix in any case) whose top level is a
        table of Scenario fields; values are read as ``Scenario.from_mapping`` reads them.

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist or is a directory.
    ScenarioError
        For another suffix, a file that does not parse or whose top level is not a table
        (field ``config``), or an invalid field (named).
    """
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
    campaign = re.search(r"at `\$\.campaigns\[(\d+)\]\.?([A-Za-z_]*)", text)
    unknown = re.search(r"Object contains unknown field `([^`]+)`", text)
    if campaign:
        at = f"campaigns[{campaign.group(1)}]"
        given = data.get("campaigns") if isinstance(data, dict) else None
        item = given[int(campaign.group(1))] if isinstance(given, list) else None
        item = item if isinstance(item, dict) else {}
        if unknown:
            allowed = ", ".join(f.name for f in msgspec.structs.fields(Campaign))
            name = unknown.group(1)
            return ScenarioError(f"{at}.{name}", item.get(name), f"one of: {allowed}")
        name = campaign.group(2)
        reason = text.split(" - at ")[0]
        if name:
            return ScenarioError(f"{at}.{name}", item.get(name), f"valid input ({reason})")
        return ScenarioError(at, item, f"a campaign table ({reason})")
    match = re.search(r"at `\$\.([A-Za-z_]+)", text)
    field = match.group(1) if match else "scenario"
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
    _check_campaigns(s.campaigns)
    if s.camouflage is not None:
        _check(
            _finite(s.camouflage) and 0 <= s.camouflage <= 1,
            "camouflage",
            s.camouflage,
            "a number from 0 (fraudsters ignore their victim's habits) to 1 (they imitate them "
            "closely)",
        )
    if s.preset == "handbook":
        _check(
            not s.campaigns,
            "campaigns",
            list(s.campaigns),
            "none for the handbook preset (its three scenarios have fixed rates)",
        )
        _check(
            s.camouflage is None,
            "camouflage",
            s.camouflage,
            "unset for the handbook preset (its fraud scenarios follow the book)",
        )
        for name in ("fraud_rate", "fraud_mix", "anomaly_rate", "anomaly_mix", "target_rows"):
            value = getattr(s, name)
            _check(
                value is None,
                name,
                value,
                "unset for the handbook preset (it has its own three fraud scenarios and no "
                "anomalies; size it with customers, merchants and days)",
            )


def _check_campaigns(campaigns: tuple[Campaign, ...]) -> None:
    """Each campaign names a known pattern, an ordered window and sane multipliers."""
    for i, c in enumerate(campaigns):
        at = f"campaigns[{i}]"
        _check(
            c.pattern in FRAUD_TYPES,
            f"{at}.pattern",
            c.pattern,
            f"one of: {', '.join(FRAUD_TYPES)}",
        )
        if c.end is not None:
            _check(
                c.end > c.start,
                f"{at}.end",
                c.end.isoformat(),
                f"a date after the campaign's start ({c.start.isoformat()})",
            )
        for name in ("factor", "outside"):
            value = getattr(c, name)
            _check(
                _finite(value) and 0 <= value <= MAX_CAMPAIGN_FACTOR,
                f"{at}.{name}",
                value,
                f"a multiplier from 0 to {MAX_CAMPAIGN_FACTOR:g}",
            )
        _check(
            _finite(c.monthly_growth) and -0.9 <= c.monthly_growth <= 10,
            f"{at}.monthly_growth",
            c.monthly_growth,
            "a monthly change from -0.9 (-90 %) to 10 (+1000 %)",
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
        campaigns=s.campaigns,
        camouflage=s.camouflage if s.camouflage is not None else defaults["camouflage"],
    )
