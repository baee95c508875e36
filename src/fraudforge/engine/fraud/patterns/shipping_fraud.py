"""Orders paid with a customer's card from a new device are shipped to a drop address in a city far
from the customer's home: 1-3 high-value e-commerce orders within hours.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine import catalog as cat
from fraudforge.engine import geo
from fraudforge.engine.fraud.build import (
    clip_to_period,
    counts_between,
    expand,
    fraudster_device,
    label,
    make_rows,
    pick_category,
)
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import HOURS_DAY, WEEKDAYS_FLAT, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 1, 3)
    part, pos = expand(k)
    home = ctx.customers.home_city[ctx.local(parts.cust)]
    drop = geo.pick_from_sets(rng, geo.FAR_OFFSETS, geo.FAR_CITIES, home, home)
    ts = parts.t0[part] + pos * rng.integers(10 * 60, 4 * 3600, part.size)
    has = ctx.customers.has_credit[ctx.local(parts.cust)][part]
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=np.exp(np.log(15_000) + 0.6 * rng.standard_normal(part.size)),
        mode=np.where(has, cat.MODE["credit_card"], cat.MODE["debit_card"]),
        category=pick_category(
            rng, part.size, ("electronics", "marketplace", "apparel", "jewellery")
        ),
        loc_city=drop[part],
        online=np.ones(part.size, dtype=bool),
        device=fraudster_device(parts.scenario)[part],
    )
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="shipping_fraud",
    code=14,
    description=__doc__ or "",
    weight=0.06,
    mean_rows=2.0,
    targets="card holders whose card details were stolen online",
    build=build,
    hours=HOURS_DAY,
    weekdays=WEEKDAYS_FLAT,
    span_days=0.5,
    camouflage=("amount", "hour", "category", "device"),
    susceptibility=Susceptibility(savviness=(0.8, 1.0, 1.2), activity=0.5),
    device_reuse=1.5,
)
