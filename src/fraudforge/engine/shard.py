"""One shard of a dataset: its customers, their genuine activity, anomalies and the fraud
incidents scheduled for them, assembled into the final tables; and ``IndiaWorld``, the default
preset's implementation of the generator interface (``World``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from fraudforge.engine.anomalies import apply_anomalies
from fraudforge.engine.calendar import PeriodCalendar, period_calendar
from fraudforge.engine.context import ShardContext
from fraudforge.engine.frames import customers_frame, merchants_frame, transactions_frame
from fraudforge.engine.fraud.generate import fraud_rows
from fraudforge.engine.fraud.patterns import REGISTRY
from fraudforge.engine.fraud.record import Registry
from fraudforge.engine.fraud.schedule import Schedule, draw_schedule
from fraudforge.engine.fraud.victims import draw_people
from fraudforge.engine.handbook import HandbookWorld
from fraudforge.engine.legit import legit_rows
from fraudforge.engine.population import Merchants, draw_customers, draw_merchants
from fraudforge.engine.rng import STREAM_SHARD, stream
from fraudforge.engine.rows import Rows
from fraudforge.engine.scenario import ResolvedScenario
from fraudforge.engine.session import fill_session
from fraudforge.engine.world import World


def shard_bounds(s: ResolvedScenario, shard: int) -> tuple[int, int]:
    """Global customer index range [lo, hi) of a shard."""
    if not 0 <= shard < s.n_shards:
        raise IndexError(f"shard {shard} out of range: allowed 0..{s.n_shards - 1}")
    lo = shard * s.shard_size
    return lo, min(lo + s.shard_size, s.customers)


@dataclass(frozen=True, eq=False)
class IndiaWorld(World):
    """The india preset: its calendar, merchants and fraud schedule, drawn once per scenario."""

    scenario: ResolvedScenario
    calendar: PeriodCalendar
    merchant_arrays: Merchants
    schedule: Schedule
    registry: Registry

    @classmethod
    def build(cls, s: ResolvedScenario, registry: Registry = REGISTRY) -> IndiaWorld:
        """Draw the scenario-wide parts of a dataset from its seed."""
        cal = period_calendar(s.start_date, s.days)
        people = draw_people(s, _period(cal))
        return cls(
            scenario=s,
            calendar=cal,
            merchant_arrays=draw_merchants(s.seed, s.merchants),
            schedule=draw_schedule(s, registry, people),
            registry=registry,
        )

    def context(self, shard: int) -> ShardContext:
        """The stream, customers, merchants and calendar of a shard."""
        s, cal = self.scenario, self.calendar
        lo, hi = shard_bounds(s, shard)
        rng = stream(s.seed, STREAM_SHARD, shard)
        return ShardContext(
            scenario=s,
            shard=shard,
            rng=rng,
            calendar=cal,
            customers=draw_customers(rng, lo, hi - lo, _period(cal)),
            merchants=self.merchant_arrays,
        )

    def rows(self, shard: int) -> Rows:
        """All rows of a shard, ordered by customer then time."""
        return shard_rows(self.context(shard), self.schedule, self.registry)

    def transactions(self, shard: int) -> pl.DataFrame:
        """The transactions table of one shard."""
        return self._transactions(self.context(shard))

    def customers(self, shard: int) -> pl.DataFrame:
        """The customers table of one shard."""
        return customers_frame(self.context(shard).customers)

    def tables(self, shard: int) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The transactions and customers tables of one shard, its customers drawn once."""
        ctx = self.context(shard)
        return self._transactions(ctx), customers_frame(ctx.customers)

    def merchants(self) -> pl.DataFrame:
        """The merchants table."""
        return merchants_frame(self.scenario.seed, self.scenario.merchants)

    def _transactions(self, ctx: ShardContext) -> pl.DataFrame:
        rows = shard_rows(ctx, self.schedule, self.registry)
        return transactions_frame(ctx.shard, rows, self.merchants()["vpa"])


def _period(cal: PeriodCalendar) -> tuple[int, int]:
    """Start and end (epoch seconds) of a calendar's period."""
    return int(cal.day_start_s[0]), int(cal.day_start_s[-1]) + 86_400


def _sorted(rows: Rows, keep: npt.NDArray[np.bool_] | None = None) -> Rows:
    """Order by (customer, time), keeping only the rows ``keep`` marks (default: all) in the
    same pass. Rows arrive almost sorted (genuine rows by customer and day, fraud appended), so
    a stable sort of one packed key is close to linear."""
    if len(rows) == 0:
        return rows
    c0, t0 = int(rows["cust"].min()), int(rows["ts"].min())
    key = ((rows["cust"] - c0) << 36) | (rows["ts"] - t0)
    order = np.argsort(key, kind="stable")
    return rows.take(order if keep is None else order[keep[order]])


def shard_rows(ctx: ShardContext, schedule: Schedule, registry: Registry) -> Rows:
    """All rows of a shard, ordered by customer then time."""
    lo, hi = ctx.customers.offset, ctx.customers.offset + ctx.customers.n
    parts = schedule.for_customers(lo, hi)
    active = np.ones(ctx.customers.n, dtype=bool)
    synthetic = schedule.synthetic[(schedule.synthetic >= lo) & (schedule.synthetic < hi)]
    active[synthetic - lo] = False
    legit = legit_rows(ctx, active)
    apply_anomalies(ctx, legit)
    # A customer whose pattern ends the account (a bust-out) goes dormant: no genuine activity
    # after the incident starts (removed before fraud is built, so no replay or clone is
    # anchored on a payment that never happened; dropped by the sort's own pass).
    bust = parts.take(np.isin(parts.pattern, schedule.dormant_codes))
    awake = None
    if len(bust):
        cutoff = np.full(ctx.customers.n, np.iinfo(np.int64).max)
        np.minimum.at(cutoff, bust.cust - lo, bust.t0)
        awake = legit["ts"] < cutoff[legit["cust"] - lo]
    legit = _sorted(legit, awake)
    fraud = fraud_rows(ctx, parts, legit, registry)
    return fill_session(ctx, _sorted(Rows.concat([legit, fraud])), registry)


PRESET_WORLDS: dict[str, Callable[[ResolvedScenario], World]] = {
    "india": IndiaWorld.build,
    "handbook": HandbookWorld.build,
}
"""Each preset's implementation of the generator interface."""


def build_world(s: ResolvedScenario) -> World:
    """The world of a scenario, by its preset."""
    return PRESET_WORLDS[s.preset](s)


def shard_transactions(s: ResolvedScenario, shard: int, world: World | None = None) -> pl.DataFrame:
    """The transactions table of one shard (of ``world``, built from ``s`` when not given)."""
    return (world or build_world(s)).transactions(shard)


def shard_tables(
    s: ResolvedScenario, shard: int, world: World | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The transactions and customers tables of one shard, drawn once."""
    return (world or build_world(s)).tables(shard)


def shard_customers(s: ResolvedScenario, shard: int, world: World | None = None) -> pl.DataFrame:
    """The customers table of one shard."""
    return (world or build_world(s)).customers(shard)


def merchants_table(s: ResolvedScenario, world: World | None = None) -> pl.DataFrame:
    """The merchants table of a scenario."""
    return (world or build_world(s)).merchants()
