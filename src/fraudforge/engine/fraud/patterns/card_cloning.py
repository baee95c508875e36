"""Card skimming and cloning. A skimmer on a card reader or ATM (with a camera or a fake PIN pad
for the PIN) copies the card at one of the customer's card payments; the data is sold and written
onto a blank card, and a casher spends it days or weeks later in another city, far from where
the victim lives, while the real card stays in the victim's wallet: 2-4 card-present uses, 15
minutes to 2 hours after the victim's own latest payment and at least 1,000 km from it, so one
card is in two distant cities within an impossible travel time. A debit card's clone is mostly
emptied at ATMs (withdrawals in the amounts ATMs pay out, within a debit card's daily cash
limit); otherwise, and for credit cards, it buys goods that resell (electronics, jewellery,
apparel, fuel) at the dear end of what those shops sell, and where the far city has no such shop
the casher buys at an everyday shop at that shop's prices. The bank declines what exceeds the
card's funds or limits, and its rules catch some uses (magnetic-stripe fallback, a card far from
home). Sources: WNCN, "Credit card cloning from skimming is fast-growing crime" (2017,
http://wncn.com/2017/09/13/credit-card-cloning-from-skimming-is-fast-growing-crime/): cards
skimmed at an ATM in one town, cloned and cashed at ATMs of another; WREG, "Memphis residents
fall victim to elaborate 'skimming' operation" (2018,
https://wreg.com/2018/12/21/memphis-residents-fall-victim-to-elaborate-skimming-operation/):
skimmers that capture the PIN, cloned debit cards used at ATMs.
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
    nearest_prior,
    pick_category,
)
from fraudforge.engine.fraud.mechanics import (
    ATM_DAILY_LIMIT_INR,
    atm_cash,
    category_amounts,
    far_city,
    over_limit,
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

SHOP_LOOT = ("electronics", "jewellery", "fuel", "apparel")
"""What cashers buy with a cloned card: goods that resell."""
ATM_SHARE = 0.7
"""Share of a cloned debit card's uses that are ATM withdrawals."""
LOOT_QUANTILES = (0.5, 0.995)
"""The part of a shop's genuine amount model a casher buys in: the dear half."""
ATM_BOOST = 4.0
"""Cashers withdraw as a customer spending this many times more would."""
RISK = 0.12
"""Share of uses the bank's rules decline (stripe fallback, a card far from its home)."""


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    rng = ctx.rng
    n = len(parts)
    prior = nearest_prior(legit["cust"], legit["ts"], parts.cust, parts.t0)
    ok = prior >= 0
    p = np.maximum(prior, 0)
    anchor_t = np.where(ok, legit["ts"][p], parts.t0)
    anchor_city = np.where(ok, legit["city"][p], ctx.customers.home_city[ctx.local(parts.cust)])
    far = far_city(rng, anchor_city.astype(np.int64))
    k = counts_between(rng, n, 2, 4)
    part, pos = expand(k)
    start = anchor_t + rng.integers(15 * 60, 120 * 60, n)
    ts = clip_to_period(ctx, start[part] + pos * rng.integers(4 * 60, 30 * 60, part.size))
    anchor_mode = np.where(ok, legit["mode"][p], -1)
    same_card = np.isin(anchor_mode, (mkt.MODE["debit_card"], mkt.MODE["credit_card"]))
    mode = np.where(same_card, anchor_mode, card_mode(ctx, parts.cust))[part]
    atm = (mode == mkt.MODE["debit_card"]) & (rng.random(part.size) < ATM_SHARE)
    wanted = np.where(atm, mkt.CAT["atm"], pick_category(rng, part.size, SHOP_LOOT))
    cust = parts.cust[part]
    rows = make_rows(
        ctx,
        cust=cust,
        ts=ts,
        amount=np.zeros(part.size),
        mode=mode,
        category=wanted,
        loc_city=far[part],
        online=np.zeros(part.size, dtype=bool),
        txn_type=np.where(atm, mkt.TXN["withdrawal"], mkt.TXN["purchase"]),
    )
    scale = ctx.customers.amount_scale[ctx.local(cust)]
    lo, hi = LOOT_QUANTILES
    rows["amount"] = np.round(
        np.where(
            atm,
            atm_cash(rng, scale, boost=ATM_BOOST),
            category_amounts(rng, rows["category"].astype(np.int64), scale, lo=lo, hi=hi),
        ),
        2,
    )
    refused = over_limit(part, ts, rows["amount"], atm, ATM_DAILY_LIMIT_INR)
    settle(ctx, rows, risk=RISK, refused=refused)
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="card_cloning",
    code=1,
    description=__doc__ or "",
    weight=0.03,
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
