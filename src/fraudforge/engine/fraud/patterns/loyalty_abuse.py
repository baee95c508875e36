"""A ring of 3-6 accounts run from one shared device farms a chain merchant's cashback: each
account places 3-6 small orders (49-299 INR) within two hours.
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
from fraudforge.engine.fraud.record import HOURS_DAY, WEEKDAYS_WEEKEND, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext
    from fraudforge.engine.fraud.schedule import IncidentDraw


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 3, 6)
    part, pos = expand(k)
    ts = parts.t0[part] + pos * rng.integers(5 * 60, 25 * 60, part.size)
    merchant = parts.merchant[part]
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=rng.integers(49, 300, part.size).astype(float),
        mode=rng.choice([cat.MODE["wallet"], cat.MODE["upi"]], size=part.size),
        category=ctx.merchants.category[merchant],
        merchant=merchant,
        device=parts.device[part],
    )
    return label(ctx, rows, parts, part)


LOYALTY_ACCOUNTS = (3, 6)


def schedule(draw: IncidentDraw, n: int) -> Parts:
    """Accounts sharing one device farm cashback with small orders at one chain merchant."""
    cats = [
        cat.CAT[c]
        for c in ("fast_food", "restaurants", "ride_hailing", "marketplace", "digital_goods")
    ]
    online = draw.merchants.is_online & np.isin(draw.merchants.category, cats)
    pool = np.flatnonzero(online & draw.merchants.is_chain)
    if pool.size == 0:  # a tiny merchant population may hold no such chain
        pool = np.flatnonzero(online)
    size = draw.group_sizes(n, LOYALTY_ACCOUNTS)
    inc = np.repeat(np.arange(n), size)
    t0 = np.repeat(draw.times(n), size) + draw.rng.integers(0, 6 * 3_600, inc.size)
    m = np.repeat(draw.rng.choice(pool, size=n), size)
    return draw.parts(
        inc.size,
        scenario=inc,
        cust=draw.rings(size),
        t0=t0,
        merchant=m,
    )


PATTERN = FraudPattern(
    name="loyalty_abuse",
    code=15,
    description=__doc__ or "",
    weight=0.05,
    mean_rows=4.5 * 4.5,
    targets="rings of accounts controlled by one person farming cashback",
    build=build,
    schedule=schedule,
    hours=HOURS_DAY,
    weekdays=WEEKDAYS_WEEKEND,
    span_days=0.5,
    susceptibility=Susceptibility(
        age=(1.5, 1.3, 0.8, 0.3), savviness=(0.3, 1.0, 2.0), vulnerability=0.0, propensity=1.0
    ),
    device_reuse=1.0,
)
