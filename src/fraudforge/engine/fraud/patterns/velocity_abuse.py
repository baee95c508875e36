"""Velocity abuse: a compromised app login, wallet or saved card is drained by a scripted burst
from the fraudster's device before the owner notices: 8-16 online payments at different
merchants within 30-60 minutes, each at the dear end of what that merchant sells (goods and
vouchers that resell), by the one instrument the fraudster holds. The issuer's velocity rules
decline more of the burst the longer it runs, UPI's INR 1 lakh daily limit stops the rest of a
UPI burst, and payments beyond the account's funds fail. Sources: Stripe Issuing's
authorisation signals (https://docs.stripe.com/issuing/controls/advanced-fraud-tools/authorization-signals):
decline activity over the past hour as a fraud signal; Greip, "Card-on-file fraud"
(https://greip.io/blog/dictionary/CardonFile-Fraud-347): stolen credentials used on saved
payment methods for purchases that look like the returning customer's.
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
from fraudforge.engine.fraud.mechanics import (
    UPI_DAILY_LIMIT_INR,
    category_amounts,
    over_limit,
    settle,
    whole_rupees,
)
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import HOURS_ONLINE, WEEKDAYS_FLAT, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext


LOOT = ("marketplace", "digital_goods", "gaming", "electronics", "apparel")
"""Online merchants a drained credential buys from: goods and vouchers that resell."""
QUANTILES = (0.5, 0.99)
"""The part of each merchant's amount model the payments fall in."""
RISK_BASE = 0.02
RISK_STEP = 0.03
"""The bank's velocity rules: the n-th payment of the burst (from 0) is declined with
probability ``RISK_BASE + n * RISK_STEP`` (at most one half)."""


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 8, 16)
    part, pos = expand(k)
    window = rng.integers(30 * 60, 60 * 60, n)
    ts = parts.t0[part] + (pos * window[part]) // k[part] + rng.integers(0, 60, part.size)
    mode = rng.choice(
        [mkt.MODE["upi"], mkt.MODE["wallet"], mkt.MODE["debit_card"]], size=n, p=[0.5, 0.2, 0.3]
    )[part]
    cust = parts.cust[part]
    category = pick_category(rng, part.size, LOOT)
    lo, hi = QUANTILES
    amount = category_amounts(
        rng, category, ctx.customers.amount_scale[ctx.local(cust)], lo=lo, hi=hi
    )
    rows = make_rows(
        ctx,
        cust=cust,
        ts=clip_to_period(ctx, ts),
        amount=whole_rupees(amount, mode),
        mode=mode,
        category=category,
        online=np.ones(part.size, dtype=bool),
        device=fraudster_device(parts.scenario)[part],
    )
    day = (rows["ts"] - ctx.t_start) // 86_400
    upi = mode == mkt.MODE["upi"]
    refused = over_limit(part * 1_000 + day, rows["ts"], rows["amount"], upi, UPI_DAILY_LIMIT_INR)
    settle(ctx, rows, risk=np.minimum(RISK_BASE + pos * RISK_STEP, 0.5), refused=refused)
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="velocity_abuse",
    code=4,
    description=__doc__ or "",
    weight=0.05,
    mean_rows=12.0,
    targets="holders of compromised app or card credentials",
    build=build,
    hours=HOURS_ONLINE,
    weekdays=WEEKDAYS_FLAT,
    span_days=0.1,
    camouflage=("amount", "hour", "category", "device"),
    susceptibility=Susceptibility(savviness=(1.5, 1.0, 0.8), activity=0.5),
    device_reuse=1.5,
)
