"""A lost or stolen physical card, used fast near where it was taken (the customer's own city)
before it is blocked. Without the PIN the thief can only tap: contactless payments need no PIN
up to INR 5,000 (RBI, from 1 January 2021), so the spree is 2-5 taps minutes apart at shops,
a small one first to see whether the card works, then taps at the dear end of each shop's range
but under the tap limit. A thief who tries a larger purchase needs the PIN and is declined; a
thief who has the PIN too (written down, watched at a counter) empties a debit card at an ATM at
the end, in the amounts ATMs pay out. The bank declines beyond the card's funds and limits, and
its rules stop some taps. Sources: RBI Governor's statement on developmental and regulatory
policies, 4 December 2020, reported by Paisabazaar
(https://paisabazaar.com/banking/now-pay-rs-5000-contactless-card-transactions): contactless
payments without a PIN up to INR 5,000 from 1 January 2021, a PIN above it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine import market as mkt
from fraudforge.engine.fraud.build import (
    card_mode,
    clip_to_period,
    counts_between,
    expand,
    label,
    make_rows,
    pick_category,
)
from fraudforge.engine.fraud.mechanics import (
    CONTACTLESS_LIMIT_INR,
    atm_cash,
    category_amounts,
    settle,
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

SHOP_LOOT = ("electronics", "fuel", "apparel", "grocery", "pharmacy", "restaurants")
"""Shops where a tapped card buys goods quickly."""
PIN_KNOWN = 0.3
"""Share of thieves who also have the PIN (a debit card then ends at an ATM)."""
PIN_TRY = 0.3
"""Share of thieves without the PIN who try one purchase above the tap limit (declined)."""
RISK = 0.05
"""Share of taps the bank's rules decline."""


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 2, 5)
    card = card_mode(ctx, parts.cust)
    pin = rng.random(n) < PIN_KNOWN
    atm = (card == mkt.MODE["debit_card"]) & pin
    tries = ~pin & (rng.random(n) < PIN_TRY)
    extra = atm | tries
    part, pos = expand(k + extra)
    last = pos == k[part]
    withdrawal = last & atm[part]
    over_tap = last & tries[part]
    ts = parts.t0[part] + pos * rng.integers(3 * 60, 25 * 60, n)[part]
    cust = parts.cust[part]
    rows = make_rows(
        ctx,
        cust=cust,
        ts=clip_to_period(ctx, ts),
        amount=np.zeros(part.size),
        mode=card[part],
        category=np.where(withdrawal, mkt.CAT["atm"], pick_category(rng, part.size, SHOP_LOOT)),
        txn_type=np.where(withdrawal, mkt.TXN["withdrawal"], mkt.TXN["purchase"]),
    )
    scale = ctx.customers.amount_scale[ctx.local(cust)]
    category = rows["category"].astype(np.int64)
    first = pos == 0
    tap = category_amounts(
        rng,
        category,
        scale,
        lo=np.where(first, 0.0, 0.5),
        hi=np.where(first, 0.5, 0.995),
        cap=CONTACTLESS_LIMIT_INR - 1.0,
    )
    big = category_amounts(rng, category, scale, lo=0.5, hi=0.995, floor=CONTACTLESS_LIMIT_INR)
    rows["amount"] = np.round(
        np.select([withdrawal, over_tap], [atm_cash(rng, scale, boost=3.0), big], tap), 2
    )
    settle(ctx, rows, risk=RISK, refused=over_tap)
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="stolen_card",
    code=7,
    description=__doc__ or "",
    weight=0.03,
    mean_rows=4.0,
    targets="card holders in busy city places (pickpocketing, lost wallets)",
    build=build,
    hours=HOURS_SHOPS,
    weekdays=WEEKDAYS_WEEKEND,
    span_days=0.2,
    camouflage=("amount",),
    susceptibility=Susceptibility(age=(1.2, 1.0, 1.0, 1.3), tier=(1.3, 1.0, 0.8), activity=0.5),
)
