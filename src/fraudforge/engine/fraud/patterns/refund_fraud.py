"""Refund abuse by a customer (first party): an online order is paid and a refund claimed on it
a few days later ("did not receive", an empty box or a used item sent back), through the
merchant's ordinary refund process, so the refund is the same row a genuine return makes: the
same merchant, instrument and channel, the full price or part of it, never more than was paid.
Serial refunders do it again at another merchant a week or more later (1-2 orders per incident),
on orders at the dear end of what the shop sells. What gives them away is the rate: refund after
refund. An order the bank declines gets no refund. Sources: Payments and Risk, "Refund fraud"
(https://paymentsandrisk.com/docs/fraud/types/refund-fraud): did-not-receive claims, empty-box
returns and wardrobing, detected by a customer's high refund rate; Riskified, "Policy abuse"
(https://www.riskified.com/?p=48564): serial abusers who keep the item and the refund.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine import market as mkt
from fraudforge.engine.fraud.build import (
    counts_between,
    expand,
    label,
    later,
    make_rows,
    pick_category,
)
from fraudforge.engine.fraud.mechanics import category_amounts, settle, usual_modes, whole_rupees
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import HOURS_ONLINE, WEEKDAYS_FLAT, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext

ORDERS = (1, 2)
"""Orders refunded in one incident."""
FULL_REFUND = 0.85
"""Claims for the whole order (the rest: a part of it)."""
ORDER_QUANTILES = (0.5, 0.99)
"""Refund abusers order at the dear end of what a shop sells."""


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, *ORDERS)
    part, pos = expand(k)
    t_buy = later(
        rng,
        parts.t0[part] + pos * rng.integers(7 * 86_400, 21 * 86_400, part.size),
        1,
        PATTERN.hours,
    )
    t_refund = later(rng, t_buy + 2 * 86_400, 8, PATTERN.hours)
    keep = t_refund < ctx.t_end
    part, t_buy, t_refund = part[keep], t_buy[keep], t_refund[keep]
    m = part.size
    cust = parts.cust[part]
    category = pick_category(rng, m, ("electronics", "apparel", "marketplace", "home_furnishing"))
    scale = ctx.customers.amount_scale[ctx.local(cust)]
    price = category_amounts(rng, category, scale, lo=ORDER_QUANTILES[0], hi=ORDER_QUANTILES[1])
    online = np.ones(m, dtype=bool)
    mode = usual_modes(ctx, cust, price, category, at_pos=~online)
    orders = make_rows(
        ctx,
        cust=cust,
        ts=t_buy,
        amount=whole_rupees(price, mode),
        mode=mode,
        category=category,
        online=online,
    )
    settle(ctx, orders)
    paid = orders["status"] == mkt.STATUS["approved"]
    refunds = orders.take(paid)
    refunds["ts"] = t_refund[paid]
    r = len(refunds)
    share = np.where(rng.random(r) < FULL_REFUND, 1.0, rng.uniform(0.3, 0.9, r))
    refunds["amount"] = np.round(refunds["amount"] * share, 2)
    refunds["txn_type"] = mkt.TXN["refund"]
    rows = Rows.concat([orders, refunds])
    return label(ctx, rows, parts, np.concatenate([part, part[paid]]))


PATTERN = FraudPattern(
    name="refund_fraud",
    code=6,
    description=__doc__ or "",
    weight=0.06,
    mean_rows=2.6,
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
