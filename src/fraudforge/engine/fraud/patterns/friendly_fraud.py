"""The customer makes an ordinary online purchase on their own device at home and later disputes it
as unauthorised. Nothing in the row differs from genuine activity; only the chargeback,
``chargeback_delay_days`` later on average, labels it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine import catalog as cat
from fraudforge.engine.fraud.build import (
    label,
    make_rows,
    pick_category,
)
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import (
    HOURS_ONLINE,
    WEEKDAYS_WEEKEND,
    FraudPattern,
    Susceptibility,
)
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    rng = ctx.rng
    n = len(parts)
    part = np.arange(n, dtype=np.int64)
    scale = ctx.customers.amount_scale[ctx.local(parts.cust)]
    mode = rng.choice([cat.MODE["upi"], cat.MODE["credit_card"], cat.MODE["debit_card"]], size=n)
    has = ctx.customers.has_credit[ctx.local(parts.cust)]
    mode = np.where((mode == cat.MODE["credit_card"]) & ~has, cat.MODE["debit_card"], mode)
    amount = np.exp(np.log(2_500 * scale) + 0.8 * rng.standard_normal(n))
    rows = make_rows(
        ctx,
        cust=parts.cust,
        ts=parts.t0,
        amount=np.where(mode == cat.MODE["upi"], np.round(amount), amount),
        mode=mode,
        category=pick_category(rng, n, ("marketplace", "electronics", "apparel", "digital_goods")),
        online=np.ones(n, dtype=bool),
    )
    return label(ctx, rows, parts, part, delay_days=ctx.scenario.chargeback_delay_days)


PATTERN = FraudPattern(
    name="friendly_fraud",
    code=10,
    description=__doc__ or "",
    weight=0.07,
    mean_rows=1.0,
    targets="online shoppers who dispute their own purchase (first party)",
    build=build,
    hours=HOURS_ONLINE,
    weekdays=WEEKDAYS_WEEKEND,
    span_days=0,
    camouflage=("amount", "hour", "category"),
    susceptibility=Susceptibility(
        age=(1.4, 1.2, 0.9, 0.5),
        savviness=(0.6, 1.0, 1.4),
        activity=0.5,
        vulnerability=0.0,
        propensity=1.0,
    ),
    reuse=2.5,
)
