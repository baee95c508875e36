"""One shard of a dataset: its customers, their genuine activity, anomalies and the fraud
incidents scheduled for them, assembled into the final tables."""

from __future__ import annotations

import numpy as np
import polars as pl

from fraudforge.engine.anomalies import apply_anomalies
from fraudforge.engine.calendar import period_calendar
from fraudforge.engine.context import ShardContext
from fraudforge.engine.frames import customers_frame, merchants_frame, transactions_frame
from fraudforge.engine.fraud.generate import fraud_rows
from fraudforge.engine.fraud.patterns import REGISTRY
from fraudforge.engine.fraud.record import Registry
from fraudforge.engine.fraud.schedule import build_schedule
from fraudforge.engine.legit import legit_rows
from fraudforge.engine.population import draw_customers, draw_merchants
from fraudforge.engine.rng import STREAM_SHARD, stream
from fraudforge.engine.rows import Rows
from fraudforge.engine.scenario import ResolvedScenario


def shard_bounds(s: ResolvedScenario, shard: int) -> tuple[int, int]:
    """Global customer index range [lo, hi) of a shard."""
    if not 0 <= shard < s.n_shards:
        raise IndexError(f"shard {shard} out of range: allowed 0..{s.n_shards - 1}")
    lo = shard * s.shard_size
    return lo, min(lo + s.shard_size, s.customers)


def shard_context(s: ResolvedScenario, shard: int) -> ShardContext:
    """The stream, customers, merchants and calendar of a shard."""
    lo, hi = shard_bounds(s, shard)
    rng = stream(s.seed, STREAM_SHARD, shard)
    cal = period_calendar(s.start_date, s.days)
    period = (int(cal.day_start_s[0]), int(cal.day_start_s[-1]) + 86_400)
    return ShardContext(
        scenario=s,
        shard=shard,
        rng=rng,
        calendar=cal,
        customers=draw_customers(rng, lo, hi - lo, period),
        merchants=draw_merchants(s.seed, s.merchants),
    )


def _sorted(rows: Rows) -> Rows:
    """Order by (customer, time). Rows arrive almost sorted (genuine rows by customer and day, fraud
    appended), so a stable sort of one packed key is close to linear."""
    if len(rows) == 0:
        return rows
    c0, t0 = int(rows["cust"].min()), int(rows["ts"].min())
    key = ((rows["cust"] - c0) << 36) | (rows["ts"] - t0)
    return rows.take(np.argsort(key, kind="stable"))


def shard_rows(ctx: ShardContext, registry: Registry = REGISTRY) -> Rows:
    """All rows of a shard, ordered by customer then time."""
    s = ctx.scenario
    lo, hi = ctx.customers.offset, ctx.customers.offset + ctx.customers.n
    schedule = build_schedule(s, registry)
    parts = schedule.for_customers(lo, hi)
    active = np.ones(ctx.customers.n, dtype=bool)
    synthetic = schedule.synthetic[(schedule.synthetic >= lo) & (schedule.synthetic < hi)]
    active[synthetic - lo] = False
    legit = legit_rows(ctx, active)
    apply_anomalies(ctx, legit)
    legit = _sorted(legit)
    # A customer whose pattern ends the account (a bust-out) goes dormant: no genuine activity
    # after the incident starts (removed before fraud is built, so no replay or clone is
    # anchored on a payment that never happened).
    bust = parts.take(np.isin(parts.pattern, schedule.dormant_codes))
    if len(bust):
        cutoff = np.full(ctx.customers.n, np.iinfo(np.int64).max)
        np.minimum.at(cutoff, bust.cust - lo, bust.t0)
        legit = legit.take(legit["ts"] < cutoff[legit["cust"] - lo])
    fraud = fraud_rows(ctx, parts, legit, registry)
    return _sorted(Rows.concat([legit, fraud]))


def shard_transactions(s: ResolvedScenario, shard: int) -> pl.DataFrame:
    """The transactions table of one shard."""
    if s.preset == "handbook":
        from fraudforge.engine.handbook import handbook_transactions

        return handbook_transactions(s, shard)
    return _transactions(shard_context(s, shard))


def _transactions(ctx: ShardContext) -> pl.DataFrame:
    s = ctx.scenario
    return transactions_frame(
        ctx.shard, shard_rows(ctx), merchants_frame(s.seed, s.merchants)["vpa"]
    )


def shard_tables(s: ResolvedScenario, shard: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The transactions and customers tables of one shard, drawn once."""
    if s.preset == "handbook":
        return shard_transactions(s, shard), shard_customers(s, shard)
    ctx = shard_context(s, shard)
    return _transactions(ctx), customers_frame(ctx.customers)


def shard_customers(s: ResolvedScenario, shard: int) -> pl.DataFrame:
    """The customers table of one shard."""
    if s.preset == "handbook":
        from fraudforge.engine.handbook import handbook_customers

        return handbook_customers(s, shard)
    return customers_frame(shard_context(s, shard).customers)


def merchants_table(s: ResolvedScenario) -> pl.DataFrame:
    """The merchants table of a scenario."""
    if s.preset == "handbook":
        from fraudforge.engine.handbook import handbook_merchants

        return handbook_merchants(s)
    return merchants_frame(s.seed, s.merchants)
