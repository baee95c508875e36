"""The fraud schedule: every incident's parties, start time and shared resources, drawn up front
from the seed so that shards agree on anything that spans them (a mule's senders, a collusive
merchant's customers, a loyalty ring's shared device).

Each pattern draws from its own random stream, keyed by its code: adding, removing or
re-weighting one pattern leaves every other pattern's incidents as they were (except for the
accounts a pattern reserves, which no other pattern may touch). A pattern's record says how its
incidents are drawn: by default one part per incident (a victim and a start time); a schedule
hook draws multi-party incidents.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fraudforge.engine import market as mkt
from fraudforge.engine.calendar import PeriodCalendar, epoch_seconds, period_calendar
from fraudforge.engine.fraud.build import later, pick_weighted
from fraudforge.engine.fraud.parts import Parts, make_parts
from fraudforge.engine.fraud.record import FraudPattern, Registry
from fraudforge.engine.fraud.victims import People, pick
from fraudforge.engine.ids import KEY_SCENARIO, opaque_ids
from fraudforge.engine.population import MAX_DEVICES, Merchants, device_ids, draw_merchants
from fraudforge.engine.rng import STREAM_SCHEDULE, stream
from fraudforge.engine.scenario import ResolvedScenario
from fraudforge.engine.volume import expected_fraud_rows, rows_per_customer

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

DAY_S = 86_400
SUB_COUNT = 0
SUB_ACCOUNTS = 1
SUB_INCIDENTS = 2
"""Sub-streams of a pattern's schedule stream: its incident count, its reserved accounts, and
everything its incidents draw."""


@dataclass(frozen=True)
class IncidentDraw:
    """What one pattern's incidents are drawn from: the pattern's own stream, the scenario's
    customers (with their susceptibility to the pattern) and merchants, and the period."""

    pattern: FraudPattern
    scenario: ResolvedScenario
    rng: np.random.Generator
    merchants: Merchants
    people: People
    reserved: I64
    """Sorted accounts reserved by patterns that keep their customers to themselves."""
    own: I64
    """This pattern's reserved accounts (empty unless it reserves accounts)."""
    t_start: int
    """Epoch seconds at the start of the period."""
    span: int
    """Length of the period in seconds."""
    starts: StartProfile
    """When this pattern's incidents start."""

    @functools.cached_property
    def _weights(self) -> F64:
        return self._free(self.people.weights(self.pattern.susceptibility))

    @functools.cached_property
    def _party_weights(self) -> F64:
        parties = self.pattern.parties
        return self._weights if parties is None else self._free(self.people.weights(parties))

    def _free(self, w: F64) -> F64:
        w = w.copy()
        w[self.reserved] = 0.0
        return w

    def customers(self, n: int) -> I64:
        """``n`` main-party customers, one per incident in start-time order: this pattern's own
        accounts if it reserves them, else drawn by susceptibility among the accounts no
        pattern reserves; with ``reuse`` above 1, runs of incidents share one account, about
        ``reuse_gap_days`` apart (``spaced``)."""
        if self.pattern.reserves_accounts:
            return self.own[:n].copy()
        run = runs(self.rng, n, self.pattern.reuse, self.pattern.reuse_most)
        account = pick(self.rng, self._weights, int(run[-1]) + 1 if n else 0)[run]
        if self.pattern.reuse <= 1.0:
            return account
        stride = n * self.pattern.reuse_gap_days * DAY_S / max(self.span, DAY_S)
        return account[spaced(run, stride)]

    def parties(self, n: int) -> I64:
        """``n`` other parties of multi-party incidents, by the pattern's ``parties``
        susceptibility."""
        return pick(self.rng, self._party_weights, n)

    def rings(self, sizes: I64, city: I64 | None = None) -> I64:
        """Members of rings of the given sizes, recruited among related accounts: a leader by
        susceptibility (a resident of ``city[i]`` where given and not negative), the leader's
        household, then customers of the leader's home city by their susceptibility (for each
        ring, ``sizes[i]`` members in a row)."""
        people, rng = self.people, self.rng
        by_city = np.argsort(people.home_city, kind="stable")
        city_sorted = people.home_city[by_city]
        if city is None:
            leader = self.customers(sizes.shape[0])
        else:
            leader = self._residents(by_city, city_sorted, city)
        ring = np.repeat(np.arange(sizes.shape[0]), sizes)
        first = np.r_[0, np.cumsum(sizes)[:-1]]
        pos = np.arange(ring.shape[0]) - first[ring]
        lo = np.searchsorted(city_sorted, people.home_city[leader])[ring]
        hi = np.searchsorted(city_sorted, people.home_city[leader], side="right")[ring]
        cum = np.r_[0.0, np.cumsum(self._party_weights[by_city])]

        def neighbours(at: I64) -> I64:
            return _draw_in_slices(rng, cum, lo[at], hi[at], by_city)

        member = neighbours(np.arange(ring.shape[0]))
        partner = people.partner[leader][ring]
        member = np.where((pos == 1) & (partner >= 0), partner, member)
        member = np.where(pos == 0, leader[ring], member)
        for attempt in range(6):  # redraw repeats within a ring and reserved accounts
            bad = np.isin(member, self.reserved) | _repeated(ring, member)
            if not bad.any():
                break
            at = np.flatnonzero(bad)
            member[at] = neighbours(at) if attempt < 4 else self.parties(at.shape[0])
        return np.asarray(member, dtype=np.int64)

    def _residents(self, by_city: I64, city_sorted: I64, city: I64) -> I64:
        """For each city, one resident drawn by the pattern's susceptibility; anyone (as
        ``customers``) where the city is negative or none of its residents can be drawn."""
        cum = np.r_[0.0, np.cumsum(self._weights[by_city])]
        lo = np.searchsorted(city_sorted, city)
        hi = np.searchsorted(city_sorted, city, side="right")
        out = _draw_in_slices(self.rng, cum, lo, hi, by_city)
        anyone = (city < 0) | ~(cum[hi] > cum[lo])
        out[anyone] = self.customers(int(anyone.sum()))
        return np.asarray(out, dtype=np.int64)

    def times(self, n: int) -> I64:
        """``n`` incident start times in increasing order: a day by the day's traffic, the
        pattern's weekday profile and its campaigns (from ``span_days`` before the period, so
        incidents already running when the period starts are there), an hour by the pattern's
        hour profile, a second uniformly within it."""
        return np.sort(self.starts.draw(self.rng, n))

    def later(self, t: I64, days: int) -> I64:
        """Times within ``days`` days of ``t`` at the pattern's hours (see ``build.later``)."""
        return later(self.rng, t, days, self.pattern.hours)

    def parts(self, n: int, **cols: object) -> Parts:
        """``n`` parts of this pattern (see ``make_parts``)."""
        return make_parts(self.pattern.code, n, **cols)

    def group_sizes(self, n: int, lo_hi: tuple[int, int]) -> I64:
        """``n`` uniform party counts in [lo, hi]."""
        return np.asarray(self.rng.integers(lo_hi[0], lo_hi[1] + 1, n), dtype=np.int64)

    @functools.cached_property
    def custom(self) -> F64:
        """Each merchant's expected custom: its share of its group's (``Merchants.custom_shares``)
        times how often customers buy its kind (``market.CAT_FREQUENCY``)."""
        me = self.merchants
        kind = np.minimum(me.category, mkt.N_MERCHANT_CATEGORIES - 1)
        return np.asarray(me.custom_shares() * mkt.CAT_FREQUENCY[kind], dtype=np.float64)

    def busy(self, pool: I64, n: int) -> I64:
        """``n`` merchants of ``pool`` drawn by their expected custom (``custom``): fraud that
        runs through a merchant picks one whose own trade hides it."""
        return pool[pick_weighted(self.rng, self.custom[pool], n)]

    def devices(self, n: int) -> I64:
        """The fraudster device of each of ``n`` incidents: runs of consecutive incidents
        (``device_reuse`` on average) share one, and every device id comes from the customers'
        own device space (a device slot no customer uses, under a random customer's index), so
        no id tells a fraudster's phone from a customer's."""
        run = runs(self.rng, n, self.pattern.device_reuse)
        k = int(run[-1]) + 1 if n else 0
        customers = self.scenario.customers
        owner = self.rng.choice(customers, size=k, replace=k > customers)
        lo, hi = FRAUDSTER_SLOTS
        slot = lo + self.pattern.code % (hi - lo)  # patterns apart, operators apart by owner
        return device_ids(owner, np.full(k, slot))[run]


@dataclass(frozen=True)
class StartProfile:
    """Where in time a pattern's incidents start: a weight per day from ``lead`` days before the
    period to its last day, and per hour."""

    day0: int
    """Epoch seconds at 00:00 of the first day of the period."""
    lead: int
    """Days before the period an incident may start."""
    day_weight: F64
    """Relative incidence of each day, ``lead`` days before the period first."""
    hour_weight: F64
    base_weight: float
    """Sum of the period's day weights without campaigns."""

    @property
    def multiplier(self) -> float:
        """Incidents to draw per incident the period's own days would hold at a steady rate
        (more for the lead days and for campaigns)."""
        return float(self.day_weight.sum() / max(self.base_weight, 1e-300))

    def draw(self, rng: np.random.Generator, n: int) -> I64:
        """``n`` start times (epoch seconds)."""
        days = pick_weighted(rng, self.day_weight, n) - self.lead
        hours = pick_weighted(rng, self.hour_weight, n)
        secs = rng.integers(0, 3_600, n)
        return np.asarray(self.day0 + days * 86_400 + hours * 3_600 + secs, dtype=np.int64)


def start_profile(p: FraudPattern, s: ResolvedScenario, cal: PeriodCalendar) -> StartProfile:
    """The start-time profile of a pattern in a scenario: traffic from the calendar (days before
    the period take the traffic of the period's first week on the same weekday), the pattern's
    weekday and hour profiles, and the scenario's campaigns on the pattern."""
    lead = int(np.ceil(p.span_days))
    offset = np.arange(-lead, s.days, dtype=np.int64)
    first_week = min(7, s.days)
    traffic = cal.day_factor[np.where(offset >= 0, offset, offset % first_week)]
    weekday = (int(cal.weekday[0]) + offset) % 7
    base = traffic * np.asarray(p.weekdays)[weekday]
    intensity = np.ones(offset.shape[0])
    day_numbers = (epoch_seconds(s.start_date) // 86_400) + offset
    for c in s.campaigns:
        if c.pattern == p.name:
            intensity = intensity * c.intensity(day_numbers)
    return StartProfile(
        day0=epoch_seconds(s.start_date),
        lead=lead,
        day_weight=base * intensity,
        hour_weight=np.asarray(p.hours, dtype=np.float64),
        base_weight=float(base[lead:].sum()),
    )


FRAUDSTER_SLOTS = (MAX_DEVICES + 1, 16)
"""Device slots of the customers' device space no customer's own device takes (customers use
slots 0..MAX_DEVICES): fraudsters' devices are drawn from these."""


def _draw_in_slices(rng: np.random.Generator, cum: F64, lo: I64, hi: I64, members: I64) -> I64:
    """For each slice ``members[lo[i]:hi[i]]`` (customers sorted by home city, ``cum`` the
    running sum of their weights from 0), one member drawn by weight: a city's resident by
    susceptibility. An empty slice gives the member at its edge (callers replace it)."""
    u = cum[lo] + rng.random(lo.shape[0]) * (cum[hi] - cum[lo])
    got = np.clip(np.searchsorted(cum, u, side="right") - 1, lo, np.maximum(hi - 1, lo))
    return np.asarray(members[np.minimum(got, members.shape[0] - 1)], dtype=np.int64)


def _repeated(group: I64, member: I64) -> npt.NDArray[np.bool_]:
    """Whether each member already appears earlier in its group."""
    order = np.lexsort((np.arange(group.shape[0]), member, group))
    g, m = group[order], member[order]
    dup = np.zeros(group.shape[0], dtype=bool)
    dup[order[1:]] = (g[1:] == g[:-1]) & (m[1:] == m[:-1])
    return dup


def runs(rng: np.random.Generator, n: int, mean: float, most: int = 0) -> I64:
    """Run number of each of ``n`` items in order, runs of geometric length with mean ``mean``
    (``mean`` 1: every item its own run); with ``most`` above 0 a longer run is cut into runs
    of at most ``most`` items (an account frozen once that many victims have reported it)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new = rng.random(n) < 1.0 / max(mean, 1.0)
    new[0] = True
    if most > 0:
        run = np.cumsum(new) - 1
        first = np.flatnonzero(new)
        new |= (np.arange(n) - first[run]) % most == 0
    return np.asarray(np.cumsum(new) - 1, dtype=np.int64)


def spaced(run: I64, stride: float) -> I64:
    """The order that puts the members of each run (``runs``' numbers, consecutive) ``stride``
    places apart among all items, keeping each run's first member where it was: item ``j`` of
    the result is the one to take ``j``-th place. With items in time order and ``stride`` the
    number of items in the wanted gap, a run's members land that gap apart, at any size."""
    n = run.shape[0]
    first = np.r_[0, np.flatnonzero(np.diff(run)) + 1]
    pos = np.arange(n) - np.repeat(first, np.diff(np.r_[first, n]))
    place = np.arange(n) - pos + pos * max(stride, 1.0)
    return np.asarray(np.argsort(place, kind="stable"), dtype=np.int64)


def one_part_each(draw: IncidentDraw, n: int) -> Parts:
    """The default schedule hook: one part per incident, a customer and a start time."""
    return draw.parts(n, scenario=np.arange(n), cust=draw.customers(n), t0=draw.times(n))


@dataclass(frozen=True)
class Schedule:
    """All parts of all incidents, and the customer slots that are fabricated identities."""

    parts: Parts
    synthetic: I64
    """Sorted global indices of customers that are fabricated identities (no genuine life)."""
    dormant_codes: tuple[int, ...]
    """Codes of the patterns after whose start the customer transacts no more."""

    def for_customers(self, lo: int, hi: int) -> Parts:
        """Parts whose customer is in [lo, hi)."""
        a, b = np.searchsorted(self.parts.cust, [lo, hi])
        return self.parts.take(slice(int(a), int(b)))


def _pattern_stream(s: ResolvedScenario, p: FraudPattern, sub: int) -> np.random.Generator:
    return stream(s.seed, STREAM_SCHEDULE, p.code, sub)


def incident_counts(
    s: ResolvedScenario, registry: Registry, starts: dict[str, StartProfile]
) -> dict[str, int]:
    """Incidents per pattern so each pattern's rows make its share of the fraud rows inside the
    period, counting the incidents that start before it and those its campaigns add or remove.

    Fabricated identities take customer slots, removing those slots' ordinary rows, so the
    fraud rows are scaled to keep the rate; each count is rounded up or down at random by the
    pattern's own stream."""
    per_cust = rows_per_customer(s.start_date, s.days)
    total = expected_fraud_rows(s.customers, s.start_date, s.days, s.fraud_rate)
    share = {p.name: s.fraud_mix.get(p.name, 0.0) for p in registry.patterns}
    lost = sum(
        total * share[p.name] / p.mean_rows * per_cust
        for p in registry.patterns
        if p.fabricated_accounts
    )
    total *= (s.customers * per_cust - lost) / max(s.customers * per_cust, 1.0)
    out = {}
    for p in registry.patterns:
        x = total * share[p.name] / p.mean_rows * starts[p.name].multiplier
        u = _pattern_stream(s, p, SUB_COUNT).random()
        out[p.name] = int(np.floor(x) + (u < x - np.floor(x)))
    return out


def _reserve(
    s: ResolvedScenario, registry: Registry, counts: dict[str, int], people: People
) -> dict[str, I64]:
    """Accounts of the patterns that keep their customers to themselves (fabricated identities,
    accounts that go dormant), in code order, disjoint, at most a quarter of all customers,
    drawn without replacement by the pattern's susceptibility."""
    taken = np.zeros(s.customers, dtype=bool)
    out: dict[str, I64] = {}
    room = s.customers // 4
    for p in registry.patterns:
        if not p.reserves_accounts:
            continue
        rng = _pattern_stream(s, p, SUB_ACCOUNTS)
        w = np.where(taken, 0.0, people.weights(p.susceptibility))
        n = min(counts[p.name], max(room - int(taken.sum()), 0), int((w > 0).sum()))
        counts[p.name] = n
        # Weighted sampling without replacement: the n largest of log(u) / w.
        with np.errstate(divide="ignore"):
            key = np.where(w > 0, np.log(rng.random(s.customers)) / w, -np.inf)
        acc = np.argpartition(-key, n - 1)[:n] if n else np.zeros(0, dtype=np.int64)
        own = np.asarray(rng.permutation(np.sort(acc)), dtype=np.int64)
        out[p.name] = own
        taken[own] = True
    return out


def draw_schedule(s: ResolvedScenario, registry: Registry, people: People) -> Schedule:
    """Draw the whole fraud schedule of a scenario from its seed, given its customers'
    targeting attributes."""
    cal = period_calendar(s.start_date, s.days)
    starts = {p.name: start_profile(p, s, cal) for p in registry.patterns}
    counts = incident_counts(s, registry, starts)
    own = _reserve(s, registry, counts, people)
    reserved = np.sort(np.concatenate([np.zeros(0, np.int64), *own.values()]))
    merchants = draw_merchants(s.seed, s.merchants)
    empty = np.zeros(0, dtype=np.int64)
    items: list[Parts] = []
    for p in registry.patterns:
        n = counts[p.name]
        if n == 0:
            continue
        draw = IncidentDraw(
            pattern=p,
            scenario=s,
            rng=_pattern_stream(s, p, SUB_INCIDENTS),
            merchants=merchants,
            people=people,
            reserved=reserved,
            own=own.get(p.name, empty),
            t_start=epoch_seconds(s.start_date),
            span=s.days * 86_400,
            starts=starts[p.name],
        )
        parts = (p.schedule or one_part_each)(draw, n)
        if (parts.device < 0).all():  # the incident's fraudster device, unless the hook chose
            parts = parts.replace(device=draw.devices(n)[parts.scenario])
        items.append(parts)
    synthetic = np.sort(
        np.concatenate([empty, *(own[p.name] for p in registry.patterns if p.fabricated_accounts)])
    )
    dormant = tuple(p.code for p in registry.patterns if p.ends_account)
    if not items:
        return Schedule(parts=make_parts(0, 0), synthetic=synthetic, dormant_codes=dormant)
    parts = Parts.concat(items)
    # Incident ids: opaque, unique per (pattern, incident).
    parts = parts.replace(
        scenario=opaque_ids(KEY_SCENARIO, parts.pattern.astype(np.int64), parts.scenario, 40)
    )
    order = np.lexsort((parts.t0, parts.cust))
    return Schedule(parts=parts.take(order), synthetic=synthetic, dormant_codes=dormant)
