"""A small online seller runs fake sales through cards of several customers it works with (4-8
customers in a week): each makes 1-2 large, round-figure card payments to that one merchant late in
the evening, the proceeds split off-book.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine import catalog as cat
from fraudforge.engine.fraud.build import (
    clip_to_period,
    counts_between,
    expand,
    label,
    make_rows,
)
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import HOURS_SHOPS, WEEKDAYS_FLAT, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext
    from fraudforge.engine.fraud.schedule import IncidentDraw

COLLUSION_AMOUNTS = np.array(
    [10_000, 15_000, 20_000, 25_000, 30_000, 40_000, 50_000, 75_000], dtype=float
)


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 1, 2)
    part, pos = expand(k)
    day0 = parts.t0 - (parts.t0 % 86_400)
    ts = (day0[part] + pos * 86_400) + rng.integers(20 * 3600, 24 * 3600, part.size)
    amount = rng.choice(COLLUSION_AMOUNTS, size=part.size) - rng.choice(
        [0.0, 0.0, 1.0, 10.0], size=part.size
    )
    has = ctx.customers.has_credit[ctx.local(parts.cust)][part]
    mode = np.where(has, cat.MODE["credit_card"], cat.MODE["debit_card"])
    merchant = parts.merchant[part]
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=amount,
        mode=mode,
        category=ctx.merchants.category[merchant],
        merchant=merchant,
    )
    return label(ctx, rows, parts, part)


COLLUSION_PARTIES = (4, 8)


def schedule(draw: IncidentDraw, n: int) -> Parts:
    """Several customers each run 1-2 large card payments through one small online seller."""
    ok = draw.merchants.is_online & ~draw.merchants.is_chain
    ok &= np.isin(
        draw.merchants.category,
        [cat.CAT[c] for c in ("electronics", "jewellery", "apparel", "home_furnishing")],
    )
    pool = np.flatnonzero(ok)
    if pool.size == 0:
        pool = np.flatnonzero(draw.merchants.is_online)
    size = draw.group_sizes(n, COLLUSION_PARTIES)
    inc = np.repeat(np.arange(n), size)
    t0 = np.repeat(draw.times(n), size) + draw.rng.integers(0, 5 * 86_400, inc.size)
    m = np.repeat(draw.rng.choice(pool, size=n), size)
    return draw.parts(inc.size, scenario=inc, cust=draw.rings(size), t0=t0, merchant=m)


PATTERN = FraudPattern(
    name="merchant_collusion",
    code=3,
    description=__doc__ or "",
    weight=0.05,
    mean_rows=6.0 * 1.5,
    targets="customers who know the seller: card holders recruited by a small online shop",
    build=build,
    schedule=schedule,
    hours=HOURS_SHOPS,
    weekdays=WEEKDAYS_FLAT,
    span_days=7,
    susceptibility=Susceptibility(age=(1.3, 1.2, 1.0, 0.5), vulnerability=0.0, propensity=1.0),
)
