"""Friendly fraud (chargeback fraud): the customer makes an ordinary purchase, most often online on
their own device, otherwise at a shop counter by card or UPI QR, and weeks later disputes it
with the bank as unauthorised, never delivered or charged twice, to get the money back and keep
the goods (UPI's dispute process takes complaints about merchant payments as cards'
chargebacks do). The purchase is the customer's own in every respect: made where the customer
is that day (at home, in a nearby town or on a trip, as their genuine payments of the day
show), a category they buy from there, an amount from that category's genuine model at their
own spending level, the payment mode they would choose for it, at one of their own favourite
merchants of the category as their genuine purchases are, at an hour from their own daily
routine, approved as their purchases are. Only the chargeback, ``chargeback_delay_days`` later
on average, labels it. Some customers, having got their money back once, dispute again within
weeks (serial offenders: about 1.6 incidents per perpetrator). Sources: NoFraud, "Friendly fraud"
(https://www.nofraud.com/glossary-term/friendly-fraud/): a legitimate purchase by the
cardholder, later disputed as unauthorised; Merchants' Stronghold, "Cardholder-initiated
chargeback" (https://www.merchantsstronghold.com/glossary/cardholder-initiated-chargeback/):
disputes raised weeks after the payment; NPCI's UPI dispute redressal mechanism as summarised by
Groww (https://groww.in/p/upi-dispute-redressal-mechanism): complaints can be raised for
merchant payments as well as fund transfers; Global Risk Technologies as reported by Payments
Cards & Mobile (https://paymentyearbooks.com/blogs/news/86-of-fraud-in-chargebacks): after an
easy first chargeback many consumers file again within 90 days; Sift's survey as reported by
ConsumerAffairs
(https://www.consumeraffairs.com/news/merchants-say-its-too-easy-to-dispute-a-charge-on-your-credit-card-010923.html):
nearly one in four consumers who filed a chargeback admit friendly fraud, so perpetrators are
ordinary customers more than a few abusers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine import market as mkt
from fraudforge.engine.fraud.build import label, make_rows
from fraudforge.engine.fraud.mechanics import (
    category_amounts,
    usual_modes,
    usual_times,
    whereabouts,
    whole_rupees,
)
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import (
    HOURS_ONLINE,
    WEEKDAYS_WEEKEND,
    FraudPattern,
    Susceptibility,
)
from fraudforge.engine.population import loyalty_key
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    from fraudforge.engine.legit import normalised_cum, sample_by_group

    rng = ctx.rng
    n = len(parts)
    cu = ctx.customers
    c = ctx.local(parts.cust)
    # Where the disputed purchase was made, then what the customer buys there: their own
    # category preferences times how much of each category is sold online (or in shops).
    online = rng.random(n) < ONLINE_SHARE
    weight = cu.cat_weight[c] * np.where(online[:, None], ONLINE_PURCHASE, SHOP_PURCHASE)
    category = sample_by_group(rng, normalised_cum(weight), np.arange(n, dtype=np.int64))
    amount = category_amounts(rng, category, cu.amount_scale[c])
    beyond = amount > cu.funds[c]
    amount = np.where(beyond, cu.funds[c] * rng.uniform(0.2, 0.9, n), amount)
    mode = usual_modes(ctx, parts.cust, amount, category, at_pos=~online)
    ts = usual_times(ctx, parts.cust, parts.t0)
    rows = make_rows(
        ctx,
        cust=parts.cust,
        ts=ts,
        loc_city=whereabouts(ctx, legit, parts.cust, ts),
        amount=whole_rupees(amount, mode),
        mode=mode,
        category=category,
        online=online,
        status=np.full(n, mkt.STATUS["approved"]),
        loyalty_key=loyalty_key(parts.cust, category),
    )
    part = np.arange(n, dtype=np.int64)
    return label(ctx, rows, parts, part, delay_days=ctx.scenario.chargeback_delay_days)


ONLINE_PURCHASE = np.zeros(mkt.N_MERCHANT_CATEGORIES)
ONLINE_PURCHASE[mkt.PURCHASE_CATEGORIES] = mkt.CAT_ONLINE_SHARE[mkt.PURCHASE_CATEGORIES]
"""Purchase categories weighted by their share of online merchants (bills and cash excluded)."""
SHOP_PURCHASE = np.zeros(mkt.N_MERCHANT_CATEGORIES)
SHOP_PURCHASE[mkt.PURCHASE_CATEGORIES] = 1.0 - mkt.CAT_ONLINE_SHARE[mkt.PURCHASE_CATEGORIES]
"""The same for purchases at a shop counter."""
ONLINE_SHARE = 0.7
"""Disputed purchases made online (card-not-present and in-app); the rest at a counter."""


PATTERN = FraudPattern(
    name="friendly_fraud",
    code=10,
    description=__doc__ or "",
    weight=0.08,
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
        # Each dispute is of one of the customer's own purchases: in proportion to how much
        # they buy, as genuine purchases are (at 0.5 the disputers were quieter customers than
        # those making the genuine rows, a history the model learnt them by).
        activity=1.0,
        vulnerability=0.0,
        # Ordinary customers dispute too (Sift: one in four who filed a chargeback admit
        # friendly fraud): far less concentrated on the few who abuse refunds and credit.
        propensity=0.4,
    ),
    # Serial disputers: after an easy first chargeback many file again within 90 days (Global
    # Risk Technologies, reported by Payments Cards & Mobile, "86% of fraud in chargebacks",
    # https://paymentyearbooks.com/blogs/news/86-of-fraud-in-chargebacks); 1.6 before.
    reuse=2.0,
)
