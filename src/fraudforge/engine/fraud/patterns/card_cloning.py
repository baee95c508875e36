"""A skimmed card is copied and used in shops of a city at least 1,000 km from where the customer
just paid: 2-4 card-present purchases 15 minutes to 2 hours after the customer's own transaction,
so one card is in two distant cities within an impossible travel time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine import catalog as cat
from fraudforge.engine import geo
from fraudforge.engine.fraud.build import (
    card_mode,
    clip_to_period,
    counts_between,
    expand,
    label,
    make_rows,
    nearest_prior,
    pick_category,
)
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import (
    HOURS_SHOPS,
    WEEKDAYS_WEEKEND,
    FraudPattern,
    Susceptibility,
)
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext

SHOP_LOOT = ("electronics", "jewellery", "fuel", "apparel", "grocery")


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    rng = ctx.rng
    n = len(parts)
    prior = nearest_prior(legit["cust"], legit["ts"], parts.cust, parts.t0)
    ok = prior >= 0
    p = np.maximum(prior, 0)
    anchor_t = np.where(ok, legit["ts"][p], parts.t0)
    anchor_city = np.where(ok, legit["city"][p], ctx.customers.home_city[ctx.local(parts.cust)])
    far = geo.pick_from_sets(
        rng, geo.FAR_OFFSETS, geo.FAR_CITIES, anchor_city.astype(np.int64), anchor_city
    )
    k = counts_between(rng, n, 2, 4)
    part, pos = expand(k)
    start = anchor_t + rng.integers(15 * 60, 120 * 60, n)
    ts = start[part] + pos * rng.integers(4 * 60, 30 * 60, part.size)
    anchor_mode = np.where(ok, legit["mode"][p], -1)
    same_card = np.isin(anchor_mode, (cat.MODE["debit_card"], cat.MODE["credit_card"]))
    mode = np.where(same_card, anchor_mode, card_mode(ctx, parts.cust))[part]
    category = pick_category(rng, part.size, SHOP_LOOT)
    amount = np.exp(np.log(6_000) + 0.8 * rng.standard_normal(part.size))
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=amount,
        mode=mode,
        category=category,
        loc_city=far[part],
        online=np.zeros(part.size, dtype=bool),
    )
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="card_cloning",
    code=1,
    description=__doc__ or "",
    weight=0.08,
    mean_rows=3.0,
    targets=(
        "card holders who pay by card in shops (skimmers sit at fuel pumps, ATMs and POS terminals)"
    ),
    build=build,
    hours=HOURS_SHOPS,
    weekdays=WEEKDAYS_WEEKEND,
    span_days=0.2,
    camouflage=("amount",),
    susceptibility=Susceptibility(activity=1.0, tier=(1.3, 1.0, 0.7)),
)
