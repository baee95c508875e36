"""First-party bust-out: a customer with a genuine history who plans to vanish maxes out every
credit line within 1-3 days: 4-8 purchases of big-ticket goods that resell (electronics,
jewellery, furniture, airline tickets), at shops by credit card or online by credit card, card
EMI or pay-later (pay-later is the only line of customers without a credit card), each at the
dear end of the shop's own amount model. Spending beyond the credit line or the pay-later limit
is refused, so the last attempts of a bust-out are often declined. The customer never transacts
again (the shard drops the customer's later genuine rows). Sources: Prove, "Bust-out fraud"
(https://www.prove.com/glossary-list/bust-out-fraud): good standing first, then every credit
account maxed out and payments stopped; Acquire.fi, "Bust-out credit card fraud"
(https://www.acquire.fi/glossary/bust-out-credit-card-fraud-definition-and-impact).
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
    later,
    make_rows,
    pick_category,
)
from fraudforge.engine.fraud.mechanics import (
    beyond_credit,
    category_amounts,
    credit_line,
    credit_modes_for,
    moved_category,
    settle,
    size_to_line,
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

BUST_OUT_DAYS = 3


SHOP_LOOT = ("electronics", "jewellery", "home_furnishing", "apparel")
"""Big-ticket shops (present in every tier 1 and 2 city)."""
ONLINE_LOOT = ("electronics", "jewellery", "home_furnishing", "airlines")
"""Big-ticket online purchases (airline tickets resell)."""
PAY_LATER_LOOT = ("electronics", "apparel", "marketplace", "home_furnishing")
"""What a pay-later line (a few thousand rupees) buys online."""
ONLINE_SHARE = 0.6
"""Share of the purchases made online (the rest at shops, by credit card)."""
QUANTILES = (0.8, 0.998)
"""The part of each shop's amount model the purchases fall in: its dearest fifth."""
RISK = 0.05
"""Share of purchases the bank's rules decline."""


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 4, 8)
    part, _ = expand(k)
    ts = clip_to_period(ctx, later(rng, parts.t0[part], BUST_OUT_DAYS, PATTERN.hours))
    cust = parts.cust[part]
    has = ctx.customers.has_credit[ctx.local(cust)]
    # Shops take the credit card; without one, the only credit line is pay-later, online.
    online = ~has | (rng.random(part.size) < ONLINE_SHARE)
    wanted = np.select(
        [~online, has],
        [pick_category(rng, part.size, SHOP_LOOT), pick_category(rng, part.size, ONLINE_LOOT)],
        pick_category(rng, part.size, PAY_LATER_LOOT),
    )
    scale = ctx.customers.amount_scale[ctx.local(cust)]
    lo, hi = QUANTILES
    _, _, line = credit_line(ctx, cust, np.where(has, mkt.MODE["credit_card"], mkt.MODE["bnpl"]))
    amount = category_amounts(rng, wanted, scale, lo=lo, hi=hi, cap=line)
    # The customer's own choice among their credit lines for each purchase.
    mode = credit_modes_for(ctx, cust, amount, online=online)
    rows = make_rows(
        ctx, cust=cust, ts=ts, amount=amount, mode=mode, category=wanted, online=online
    )
    # No such shop in town: the purchase is made at the shop there is, at its prices.
    used = rows["category"].astype(np.int64)
    redrawn = category_amounts(rng, used, scale, lo=lo, hi=hi, cap=line)
    amount = np.where(moved_category(rows, wanted), redrawn, amount)
    rows["amount"] = np.round(size_to_line(ctx, part, cust, amount, mode), 2)
    settle(ctx, rows, risk=RISK, refused=beyond_credit(ctx, part, rows))
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="bust_out",
    code=9,
    description=__doc__ or "",
    weight=0.04,
    mean_rows=6.0,
    targets="account holders with credit lines who plan to vanish (first party)",
    build=build,
    hours=HOURS_ONLINE,
    weekdays=WEEKDAYS_WEEKEND,
    span_days=3,
    camouflage=("hour",),
    susceptibility=Susceptibility(
        age=(1.2, 1.2, 0.9, 0.4), credit_card=5.0, vulnerability=0.0, propensity=1.0
    ),
    ends_account=True,
)
