"""``FraudPattern``: everything about one fraud pattern in one record (its name, stable code,
mechanism, share of the fraud, size, targets, timing, builder and schedule hook), and the
``Registry`` of patterns every table of the engine derives from (label codes and the Enum order,
the default mix, expected rows per incident, the builders, the schedule's per-pattern steps and
``docs/fraud-patterns.md``).

This module is light (NumPy only): the taxonomy, and through it the service's wire types, read
the registry at import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fraudforge.foundation.errors import ConfigError, NotFoundError

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext
    from fraudforge.engine.fraud.parts import Parts
    from fraudforge.engine.fraud.schedule import IncidentDraw
    from fraudforge.engine.rows import Rows

Builder = Callable[["ShardContext", "Parts", "Rows"], "Rows"]
"""Turns a shard's parts of one pattern into its rows (given the shard's genuine rows)."""
ScheduleHook = Callable[["IncidentDraw", int], "Parts"]
"""Draws the parts of ``n`` incidents of one pattern (parties, start times, shared resources)."""

MAX_CODE = 127
"""Codes are stored as int8 label codes in the generator's rows."""


def _profile(values: Iterable[float], size: int, what: str) -> tuple[float, ...]:
    out = tuple(float(v) for v in values)
    if len(out) != size or min(out) < 0 or sum(out) <= 0:
        raise ConfigError(f"{what}: {size} weights >= 0 with a positive sum, got {out}")
    return out


# Hour-of-day profiles (relative weights of the 24 hours, IST). Fraudsters work when the
# channel they abuse is open and when the victim is least likely to notice; see
# docs/fraud-patterns.md for the reasoning behind each.
HOURS_FLAT = (1.0,) * 24
"""Any hour alike (the old behaviour)."""
HOURS_SHOPS = (
    *(0.05,) * 6,  # 00-05 shops shut (24-hour fuel stations and ATMs only)
    0.3, 0.6, 0.9, 1.2, 1.4, 1.5,  # 06-11
    1.5, 1.4, 1.3, 1.3, 1.4, 1.6,  # 12-17
    1.8, 1.9, 1.8, 1.4, 0.8, 0.3,  # 18-23
)  # fmt: skip
"""Card-present spending follows shop hours (card cloning, stolen cards, collusion)."""
HOURS_ONLINE = (
    0.35, 0.25, 0.2, 0.15, 0.15, 0.2,  # 00-05: online fraud leans a little into the night
    0.35, 0.6, 0.9, 1.1, 1.2, 1.3,  # 06-11
    1.3, 1.3, 1.2, 1.2, 1.2, 1.3,  # 12-17
    1.5, 1.7, 1.8, 1.7, 1.3, 0.8,  # 18-23
)  # fmt: skip
"""Online and app fraud: waking hours with an evening peak and a modest night tail."""
HOURS_DAY = (
    *(0.1,) * 6,  # 00-05
    0.3, 0.6, 1.0, 1.4, 1.6, 1.6,  # 06-11
    1.5, 1.5, 1.5, 1.5, 1.4, 1.3,  # 12-17
    1.2, 1.0, 0.8, 0.6, 0.4, 0.2,  # 18-23
)  # fmt: skip
"""Business hours: social engineering calls, transfers that must look routine, mule cash-outs."""

WEEKDAYS_FLAT = (1.0,) * 7
"""Monday .. Sunday alike."""
WEEKDAYS_WEEKEND = (0.9, 0.9, 0.9, 0.95, 1.1, 1.2, 1.15)
"""A lift from Friday to Sunday, when shops and online sales are busiest."""
WEEKDAYS_WORK = (1.1, 1.1, 1.05, 1.05, 1.05, 0.85, 0.8)
"""Working days: banks' own rhythm (transfers, cash-outs, collusive settlements)."""


@dataclass(frozen=True)
class Susceptibility:
    """Relative chance that a customer is a pattern's victim (or, for first-party fraud, its
    perpetrator), as multipliers by attribute."""

    age: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    """Under 25, 25-39, 40-59, 60 and over."""
    savviness: tuple[float, float, float] = (1.0, 1.0, 1.0)
    """Low, medium, high digital savviness."""
    tier: tuple[float, float, float] = (1.0, 1.0, 1.0)
    """Metro, city, town or village."""
    segments: tuple[tuple[str, float], ...] = ()
    """Multipliers for named segments (others 1)."""
    income: tuple[float, float, float, float, float, float] = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
    """By income bracket (``market.INCOME_BRACKETS``, under 3 lakh a year to over 50): who
    has the sums a pattern moves."""
    credit_card: float = 1.0
    """Multiplier for customers holding a credit card."""
    activity: float = 0.0
    """Exponent on the customer's payment rate (exposure: skimming needs card payments)."""
    vulnerability: float = 1.0
    """Exponent on the customer's latent vulnerability to being defrauded (0 for first-party
    patterns, whose perpetrators are not victims)."""
    propensity: float = 0.0
    """Exponent on the customer's latent propensity to defraud (first-party patterns: the few
    who abuse refunds, dispute their own purchases or structure payments do it again)."""


FIRST_PARTY = Susceptibility(vulnerability=0.0, propensity=1.0)
"""First-party fraud: perpetrated by the account holder, by their latent propensity."""
UNIFORM = Susceptibility(vulnerability=0.0)
"""Everyone alike."""


@dataclass(frozen=True)
class FraudPattern:
    """One fraud pattern, whole.

    ``code`` is the pattern's label code (its position in the ``fraud_type`` Enum after
    ``none``) and keys its random streams; it never changes once released, so adding a pattern
    is one new file that leaves every other pattern's data as it was.
    """

    name: str
    """Label value in ``fraud_type``."""
    code: int
    """Stable label code, 1..127; also the key of the pattern's random sub-streams."""
    description: str
    """The mechanism: how this fraud works and what its rows show."""
    weight: float
    """Default share of fraud rows (the registry normalises the weights to sum to 1)."""
    mean_rows: float
    """Mean rows one incident produces; the schedule sizes the number of incidents from it."""
    targets: str
    """Who it targets, in words (the susceptibility that draws victims follows it)."""
    build: Builder
    """Materialises a shard's parts of this pattern into rows."""
    schedule: ScheduleHook | None = None
    """Draws the incidents' parts; ``None``: one part per incident, a victim and a start time."""
    hours: tuple[float, ...] = HOURS_FLAT
    """Relative weight of each hour of the day (IST) for an incident's start."""
    weekdays: tuple[float, ...] = WEEKDAYS_FLAT
    """Relative weight of Monday .. Sunday for an incident's start (on top of the day's traffic
    from the calendar: weekends, salary days, festival sales)."""
    span_days: float = 0.5
    """How long an incident runs from its start, in days: incidents start up to this long
    before the period (and run past its end), so the fraud rate is flat over the period."""
    susceptibility: Susceptibility = Susceptibility()
    """Who its victims (or, first party, its perpetrators) are: relative chance by attribute."""
    parties: Susceptibility | None = None
    """Who the other parties of a multi-party incident are (``None``: as ``susceptibility``);
    e.g. a mule's senders are scam victims, the mule a young account holder."""
    reuse: float = 1.0
    """Mean incidents one account of the main party serves (a mule account takes several
    victims' money before it is closed), ``reuse_gap_days`` apart."""
    reuse_gap_days: float = 14.0
    """About how far apart one account's incidents start (a mule account's rounds, a repeat
    offender's next attempt), whatever the dataset's size."""
    reuse_most: int = 0
    """The most incidents one account of the main party serves (0: no limit): a mule account
    is frozen once victims' complaints reach its bank (``build.MULE_MOST_VICTIMS``)."""
    device_reuse: float = 1.0
    """Mean incidents one fraudster device serves, in a row (consecutive incidents of the
    pattern: an operator working through victims)."""
    camouflage: tuple[str, ...] = ()
    """The victim's habits this pattern's fraudsters can imitate (``build.HABITS``: amount,
    hour, category, device), as far as the scenario's ``camouflage`` goes; the habits its
    mechanism keeps (micro-payments, thresholds, ATM notes, the time of a cloned card's
    purchase) are left out."""
    fabricated_accounts: bool = False
    """Its customers are fabricated identities: their slots have no genuine activity and no
    other pattern touches them."""
    ends_account: bool = False
    """Its customer transacts no more once the incident starts (and no other pattern touches
    them)."""
    remote_access: float | None = None
    """Share of its rows made on the customer's own device that run under a screen-sharing or
    remote-access tool the fraudster talked the victim into (``None``: as genuine sessions)."""
    device_prepared_days: float = 30.0
    """Mean days (exponential) between registering the account's UPI on a device new to it
    (a fraudster's, a ring's) and the device's first payment: rings and farms prepare and age
    their accounts ahead; an account takeover registers the victim's UPI just before it pays
    (0: the same hour)."""
    sim_swap: float = 0.0
    """Share of its incident parts run from a device new to the account that follow a SIM
    swap of the victim's number, hours before (0: the SIM changes only as genuine SIMs do)."""

    def __post_init__(self) -> None:
        if not 1 <= self.code <= MAX_CODE:
            raise ConfigError(f"pattern {self.name!r}: code {self.code} outside 1..{MAX_CODE}")
        shares = (self.sim_swap, 0.0 if self.remote_access is None else self.remote_access)
        if not all(0.0 <= x <= 1.0 for x in shares) or not self.device_prepared_days >= 0:
            raise ConfigError(
                f"pattern {self.name!r}: remote_access and sim_swap in [0, 1], "
                "device_prepared_days >= 0 required"
            )
        if not self.weight >= 0 or not self.mean_rows > 0 or not 0 <= self.span_days <= 365:
            raise ConfigError(
                f"pattern {self.name!r}: weight >= 0, mean_rows > 0, span_days in [0, 365] required"
            )
        object.__setattr__(self, "hours", _profile(self.hours, 24, f"{self.name}.hours"))
        object.__setattr__(self, "weekdays", _profile(self.weekdays, 7, f"{self.name}.weekdays"))

    @property
    def reserves_accounts(self) -> bool:
        """Whether its customers are kept out of every other pattern."""
        return self.fabricated_accounts or self.ends_account


@dataclass(frozen=True)
class Registry:
    """The fraud patterns of a generator, in code order."""

    patterns: tuple[FraudPattern, ...]

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.patterns, key=lambda p: p.code))
        for kind, values in (
            ("code", [str(p.code) for p in ordered]),
            ("name", self.names_of(ordered)),
        ):
            dup = sorted({v for v in values if values.count(v) > 1})
            if dup:
                raise ConfigError(f"fraud patterns share a {kind}: {', '.join(dup)}")
        object.__setattr__(self, "patterns", ordered)

    @staticmethod
    def names_of(patterns: Iterable[FraudPattern]) -> list[str]:
        """The names of ``patterns``, in their order."""
        return [p.name for p in patterns]

    @property
    def names(self) -> tuple[str, ...]:
        """Pattern names in code order."""
        return tuple(self.names_of(self.patterns))

    def by_name(self, name: str) -> FraudPattern:
        """The pattern called ``name``."""
        for p in self.patterns:
            if p.name == name:
                return p
        raise NotFoundError(f"no fraud pattern {name!r}: known are {', '.join(self.names)}")

    def default_mix(self) -> dict[str, float]:
        """Each pattern's weight as a share of fraud rows (sums to 1), in code order."""
        total = sum(p.weight for p in self.patterns)
        # Rounded so weights that already sum to 1 come back exactly as written.
        return {p.name: round(p.weight / total, 12) if total > 0 else 0.0 for p in self.patterns}

    def mean_rows(self) -> dict[str, float]:
        """Mean rows per incident of every pattern."""
        return {p.name: p.mean_rows for p in self.patterns}

    def without(self, *names: str) -> Registry:
        """This registry without the named patterns."""
        return Registry(tuple(p for p in self.patterns if p.name not in names))

    def with_(self, *patterns: FraudPattern) -> Registry:
        """This registry with more patterns."""
        return Registry((*self.patterns, *patterns))
