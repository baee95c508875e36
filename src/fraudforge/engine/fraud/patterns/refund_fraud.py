"""An online purchase is followed 1-5 days later by 1-2 refunds from the same merchant that
together return more than was paid (a duplicate refund, or one inflated by up to 50%).
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
    pick_category,
)
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import HOURS_ONLINE, WEEKDAYS_FLAT, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 1, 2)
    part, pos = expand(k + 1)
    refund = pos > 0
    category = pick_category(rng, n, ("electronics", "apparel", "marketplace"))
    price = np.round(np.exp(np.log(8_000) + 0.7 * rng.standard_normal(n)), 2)
    inflate = np.where(k == 1, rng.uniform(1.1, 1.5, n), 1.0)
    amount = np.where(refund, np.round(price[part] * inflate[part], 2), price[part])
    ts = parts.t0[part] + pos * rng.integers(86_400, 5 * 86_400, part.size)
    mode = rng.choice([cat.MODE["upi"], cat.MODE["debit_card"], cat.MODE["wallet"]], size=n)
    purchase = make_rows(
        ctx,
        cust=parts.cust,
        ts=parts.t0,
        amount=price,
        mode=mode,
        category=category,
        online=np.ones(n, dtype=bool),
    )
    rows = purchase.take(part)
    rows["ts"] = clip_to_period(ctx, ts)
    rows["amount"] = amount
    rows["txn_type"] = np.where(refund, cat.TXN["refund"], cat.TXN["purchase"])
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="refund_fraud",
    code=6,
    description=__doc__ or "",
    weight=0.05,
    mean_rows=2.5,
    targets="online shoppers abusing a merchant's refund process (first party)",
    build=build,
    hours=HOURS_ONLINE,
    weekdays=WEEKDAYS_FLAT,
    span_days=10,
    susceptibility=Susceptibility(
        age=(1.5, 1.3, 0.8, 0.3), savviness=(0.4, 1.0, 1.8), vulnerability=0.0, propensity=1.0
    ),
    reuse=2.0,
)
