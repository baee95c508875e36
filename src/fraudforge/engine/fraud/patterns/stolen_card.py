"""A physical card is stolen and spent fast in the customer's own city: 2-5 large card-present
purchases minutes apart and, for a debit card, usually an ATM withdrawal with it at the end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine import catalog as cat
from fraudforge.engine.fraud.build import (
    card_mode,
    clip_to_period,
    counts_between,
    expand,
    label,
    make_rows,
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
    k = counts_between(rng, n, 2, 5)
    card = card_mode(ctx, parts.cust)
    atm = (card == cat.MODE["debit_card"]) & (rng.random(n) < 0.6)
    part, pos = expand(k + atm)
    last = pos == k[part]
    ts = parts.t0[part] + pos * rng.integers(3 * 60, 25 * 60, n)[part]
    mode = card[part]
    category = np.where(last, cat.CAT["atm"], pick_category(rng, part.size, SHOP_LOOT))
    amount = np.where(
        last,
        rng.choice([10_000.0, 20_000.0], size=part.size),
        np.exp(np.log(9_000) + 0.7 * rng.standard_normal(part.size)),
    )
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=amount,
        mode=mode,
        category=category,
        txn_type=np.where(last, cat.TXN["withdrawal"], cat.TXN["purchase"]),
    )
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="stolen_card",
    code=7,
    description=__doc__ or "",
    weight=0.08,
    mean_rows=4.0,
    targets="card holders in busy city places (pickpocketing, lost wallets)",
    build=build,
    hours=HOURS_SHOPS,
    weekdays=WEEKDAYS_WEEKEND,
    span_days=0.2,
    camouflage=("amount",),
    susceptibility=Susceptibility(age=(1.2, 1.0, 1.0, 1.3), tier=(1.3, 1.0, 0.8), activity=0.5),
)
