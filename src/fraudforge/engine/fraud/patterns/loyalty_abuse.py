"""Loyalty and cashback abuse: one person runs a ring of 3-6 accounts to claim a chain merchant's
per-account cashback or first-order offer again and again, with app cloners that put two
accounts on each phone (a ring uses two or three phones): each account places 3-6 orders within
two hours, each just above the offer's minimum order value and within what the merchant's
customers usually spend, paid the way that account usually pays. Phones shared by a ring's
accounts, many new accounts at one merchant within hours, are the signal. Sources: SHIELD,
"Promo abuse" (https://shield.com/blog/promo-abuse-how-to-stop-fraudsters-from-taking-advantage-of-your-business):
multi-accounting with app cloners and emulators on one device; Payments and Risk, "Promo abuse"
(https://paymentsandrisk.com/docs/fraud/types/promo-abuse): the same device across different
accounts as the main detection signal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine import market as mkt
from fraudforge.engine.fraud.build import (
    clip_to_period,
    counts_between,
    expand,
    label,
    make_rows,
)
from fraudforge.engine.fraud.mechanics import category_amounts, settle, usual_modes, whole_rupees
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
    category = ctx.merchants.category[merchant].astype(np.int64)
    cust = parts.cust[part]
    # Orders just above the offer's minimum order value, within what the merchant's customers
    # usually spend there.
    floor = rng.choice(MIN_ORDER_INR, size=n)[part]
    amount = category_amounts(rng, category, np.ones(part.size), hi=0.9, floor=floor)
    online = np.ones(part.size, dtype=bool)
    mode = usual_modes(ctx, cust, amount, category, at_pos=~online)
    rows = make_rows(
        ctx,
        cust=cust,
        ts=clip_to_period(ctx, ts),
        amount=whole_rupees(amount, mode),
        mode=mode,
        category=category,
        merchant=merchant,
        device=parts.device[part],
    )
    settle(ctx, rows, risk=RISK)
    return label(ctx, rows, parts, part)


MIN_ORDER_INR = np.array([99.0, 149.0, 199.0])
"""Minimum order values of cashback offers."""
RISK = 0.02
"""Share of orders the bank's rules decline."""


LOYALTY_ACCOUNTS = (3, 6)
ACCOUNTS_PER_PHONE = 2


def schedule(draw: IncidentDraw, n: int) -> Parts:
    """Accounts sharing one device farm cashback with small orders at one chain merchant."""
    cats = [
        mkt.CAT[c]
        for c in ("fast_food", "restaurants", "ride_hailing", "marketplace", "digital_goods")
    ]
    online = draw.merchants.is_online & np.isin(draw.merchants.category, cats)
    pool = np.flatnonzero(online & draw.merchants.is_chain)
    if pool.size == 0:  # a tiny merchant population may hold no such chain
        pool = np.flatnonzero(online)
    size = draw.group_sizes(n, LOYALTY_ACCOUNTS)
    inc = np.repeat(np.arange(n), size)
    t0 = np.repeat(draw.times(n), size) + draw.rng.integers(0, 6 * 3_600, inc.size)
    # Each phone runs two accounts (a dual-app clone), so a ring of k accounts uses ceil(k/2)
    # phones; the rest of what a cloner does hides the phone behind a new fingerprint.
    slot = np.arange(inc.size) - np.repeat(np.cumsum(size) - size, size)
    phones = -(-size // ACCOUNTS_PER_PHONE)
    first_phone = np.cumsum(phones) - phones
    dev = draw.devices(int(phones.sum()))[first_phone[inc] + slot // ACCOUNTS_PER_PHONE]
    # Offers worth farming are the big chains' (and their custom hides a ring's orders).
    m = np.repeat(draw.busy(pool, n), size)
    return draw.parts(
        inc.size,
        scenario=inc,
        cust=draw.rings(size),
        t0=t0,
        merchant=m,
        device=dev,
    )


PATTERN = FraudPattern(
    name="loyalty_abuse",
    code=15,
    description=__doc__ or "",
    weight=0.06,
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
