"""Merchant collusion: an independent shop (electronics, apparel, furnishings; a POS terminal in
the ring's city, or an online seller's payment link that customers from anywhere use) runs
sales that never happened through the accounts of customers it works with, and hands them cash
less a commission: credit card holders turn their credit line into cash (acquirers forbid
merchants to give cash against cards), others pay the merchant's UPI QR (bank transfer above
UPI's limit) to move money through it. The shop is a going business, drawn by its genuine
custom. 4-8 customers within a week, each with 1-2 payments on consecutive days to that one
merchant, at the dear end of what that kind of shop sells and within what each customer's card
or account allows; the bank declines a few. Nothing about one payment is odd: the signal is the
merchant's, many customers new to it paying it large sums within days. Sources: IDFC First
Bank, merchant do's and don'ts
(https://www.idfcfirstbank.com/business-banking/cash-management-services/merchant-solutions/wireless-and-mobile/dos-and-donts.html):
merchants must not provide cash against credit cards nor split one sale into several swipes;
Moneylife on I4C's alert about mule and merchant accounts used as illegal payment gateways
(https://www.moneylife.in/article/fraud-alert-illegal-payment-gateways-and-mule-bank-accounts/75513.html).
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
    pick_weighted,
)
from fraudforge.engine.fraud.mechanics import category_amounts, settle, whole_rupees
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import HOURS_SHOPS, WEEKDAYS_FLAT, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext
    from fraudforge.engine.fraud.build import I64
    from fraudforge.engine.fraud.schedule import IncidentDraw

AMOUNT_QUANTILES = (0.8, 0.999)
"""The part of the merchant's own amount model the fake sales fall in."""
RISK = 0.03
"""Share of the payments the bank's rules decline."""


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    from fraudforge.engine.legit import available_funds

    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 1, 2)
    part, pos = expand(k)
    ts = np.where(
        pos == 0, parts.t0[part], later(rng, parts.t0[part] + (pos - 1) * 86_400, 2, PATTERN.hours)
    )
    merchant = parts.merchant[part]
    category = ctx.merchants.category[merchant].astype(np.int64)
    cust = parts.cust[part]
    scale = ctx.customers.amount_scale[ctx.local(cust)]
    lo, hi = AMOUNT_QUANTILES
    has = ctx.customers.has_credit[ctx.local(cust)]
    # Credit cards are swiped for cash; without one, the customer pays the merchant's UPI QR
    # (by bank transfer above UPI's limit) and gets cash back.
    mode = np.where(has, mkt.MODE["credit_card"], mkt.MODE["upi"])
    # The colluding customer knows what their card allows.
    room = (
        available_funds(ctx.customers, ctx.local(cust), mode) * rng.uniform(0.5, 0.95, k.size)[part]
    )
    amount = np.minimum(category_amounts(rng, category, scale, lo=lo, hi=hi), room)
    upi = mode == mkt.MODE["upi"]
    mode = np.where(upi & (amount > mkt.CAT_UPI_LIMIT[category]), mkt.MODE["net_banking"], mode)
    amount = whole_rupees(amount, mode)
    rows = make_rows(
        ctx,
        cust=cust,
        ts=clip_to_period(ctx, ts),
        amount=amount,
        mode=mode,
        category=category,
        merchant=merchant,
    )
    settle(ctx, rows, risk=RISK)
    return label(ctx, rows, parts, part)


COLLUSION_PARTIES = (4, 8)
KINDS = ("electronics", "apparel", "home_furnishing")
"""The shops whose dear goods make a large fake sale look like a purchase."""
ONLINE_SHARE = 0.3
"""Incidents that run the fake sales through an online seller's payment link, a "card to cash"
offer customers find wherever they live (such services settle a card payment to the payer's
bank account for 1.5-3 %, e.g. https://www.paidkiya.com/our-charges); the rest are rings that
swipe at the POS terminal of a shop in their city (the old way of turning a card's credit into
cash)."""


def colluding_shops(draw: IncidentDraw, n: int) -> I64:
    """Each of ``n`` rings' merchant: an independent shop of ``KINDS``, for ``ONLINE_SHARE`` of
    rings an online seller; drawn by the custom it can expect (its share of its kind's custom,
    how often customers buy that kind, and for a shop its city's residents), so the fake sales
    hide among a going business's real ones."""
    me, rng = draw.merchants, draw.rng
    ok = ~me.is_chain & np.isin(me.category, [mkt.CAT[c] for c in KINDS])
    web = np.flatnonzero(ok & me.is_online)
    if web.size == 0:
        web = np.flatnonzero(me.is_online) if me.is_online.any() else np.arange(me.n)
    got = draw.busy(web, n)
    shops = np.flatnonzero(ok & ~me.is_online)
    if shops.size:
        residents = np.bincount(draw.people.home_city, minlength=int(me.city.max()) + 1)
        w = draw.custom[shops] * residents[me.city[shops]]
        local = shops[pick_weighted(rng, w, n)] if w.sum() > 0 else got
        got = np.where(rng.random(n) < ONLINE_SHARE, got, local)
    return np.asarray(got, dtype=np.int64)


def schedule(draw: IncidentDraw, n: int) -> Parts:
    """A shop that colludes (``colluding_shops``) and 4-8 customers, each running 1-2 large
    payments through it: for a shop, a ring recruited around a leader of its city; for an
    online seller, customers from anywhere who found its "card to cash" offer."""
    size = draw.group_sizes(n, COLLUSION_PARTIES)
    inc = np.repeat(np.arange(n), size)
    t0 = draw.later(np.repeat(draw.times(n), size), 5)
    shop = colluding_shops(draw, n)
    online = draw.merchants.is_online[shop]
    ring = draw.rings(size, np.where(online, -1, draw.merchants.city[shop]))
    cust = np.where(np.repeat(online, size), draw.parties(inc.size), ring)
    m = np.repeat(shop, size)
    return draw.parts(inc.size, scenario=inc, cust=cust, t0=t0, merchant=m)


PATTERN = FraudPattern(
    name="merchant_collusion",
    code=3,
    description=__doc__ or "",
    weight=0.06,
    mean_rows=6.0 * 1.5,
    targets="customers who know the shopkeeper: card holders of his city, recruited in rings",
    build=build,
    schedule=schedule,
    hours=HOURS_SHOPS,
    weekdays=WEEKDAYS_FLAT,
    span_days=7,
    susceptibility=Susceptibility(age=(1.3, 1.2, 1.0, 0.5), vulnerability=0.0, propensity=1.0),
)
