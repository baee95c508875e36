"""Shipping (reshipping) fraud: card details stolen online (phishing, a breached shop) are used
to order goods from a device the customer never uses, shipped to a drop address: most often in
a city far from the customer's home (drop addresses are where people are: cities drawn by
population), otherwise in the customer's own city (an empty flat, a porch), where a reshipper
collects them: 1-3 e-commerce orders within hours, each at the dear end of what that merchant
sells, on the card's credit or the account's funds. The issuer's rules decline some (a new
device, an address far from home) and the card's limit the rest. Source: Greip, "Card-on-file
fraud" (https://greip.io/blog/dictionary/CardonFile-Fraud-347): stolen card details used for
purchases on other platforms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine import market as mkt
from fraudforge.engine.fraud.build import (
    clip_to_period,
    counts_between,
    expand,
    fraudster_device,
    label,
    make_rows,
    pick_category,
)
from fraudforge.engine.fraud.mechanics import category_amounts, far_city, settle
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import HOURS_DAY, WEEKDAYS_FLAT, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext

LOOT = ("electronics", "marketplace", "apparel", "home_furnishing")
"""What is ordered: goods that resell."""
QUANTILES = (0.6, 0.995)
"""The part of each merchant's amount model the orders fall in."""
FAR_SHARE = 0.6
"""Share of incidents shipping to a drop in a far city (the rest: a drop address, an empty flat
or a neighbour's porch, in the customer's own city)."""
RISK = 0.15
"""Share of orders the issuer's rules decline (a new device, a delivery address far from
home)."""


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 1, 3)
    part, pos = expand(k)
    home = ctx.customers.home_city[ctx.local(parts.cust)]
    far = rng.random(n) < FAR_SHARE
    drop = np.where(far, far_city(rng, home), home)
    ts = parts.t0[part] + pos * rng.integers(10 * 60, 4 * 3600, part.size)
    has = ctx.customers.has_credit[ctx.local(parts.cust)][part]
    cust = parts.cust[part]
    category = pick_category(rng, part.size, LOOT)
    lo, hi = QUANTILES
    scale = ctx.customers.amount_scale[ctx.local(cust)]
    rows = make_rows(
        ctx,
        cust=cust,
        ts=clip_to_period(ctx, ts),
        amount=category_amounts(rng, category, scale, lo=lo, hi=hi),
        mode=np.where(has, mkt.MODE["credit_card"], mkt.MODE["debit_card"]),
        category=category,
        loc_city=drop[part],
        online=np.ones(part.size, dtype=bool),
        device=fraudster_device(parts.scenario)[part],
    )
    settle(ctx, rows, risk=RISK)
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="shipping_fraud",
    code=14,
    description=__doc__ or "",
    weight=0.025,
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
