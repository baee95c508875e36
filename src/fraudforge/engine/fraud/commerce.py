"""Fraud around merchants and orders: collusion, refund abuse, shipping to a drop address and
loyalty / cashback farming."""

from __future__ import annotations

import numpy as np

from fraudforge.engine import catalog as cat
from fraudforge.engine import geo
from fraudforge.engine.context import ShardContext
from fraudforge.engine.fraud.build import (
    clip_to_period,
    counts_between,
    expand,
    fraudster_device,
    label,
    make_rows,
    pick_category,
)
from fraudforge.engine.fraud.schedule import Parts
from fraudforge.engine.rows import Rows

COLLUSION_AMOUNTS = np.array(
    [10_000, 15_000, 20_000, 25_000, 30_000, 40_000, 50_000, 75_000], dtype=float
)


def merchant_collusion(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """A small online seller runs fake sales through cards of several customers it works with
    (4-8 customers in a week): each makes 1-2 large, round-figure card payments to that one
    merchant late in the evening, the proceeds split off-book."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 1, 2)
    part, pos = expand(k)
    day0 = parts.t0 - (parts.t0 % 86_400)
    ts = (day0[part] + pos * 86_400) + rng.integers(20 * 3600, 24 * 3600, part.size)
    amount = rng.choice(COLLUSION_AMOUNTS, size=part.size) - rng.choice(
        [0.0, 0.0, 1.0, 10.0], size=part.size
    )
    has = ctx.customers.has_credit[ctx.local(parts.cust)][part]
    mode = np.where(has, cat.MODE["credit_card"], cat.MODE["debit_card"])
    merchant = parts.merchant[part]
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=amount,
        mode=mode,
        category=ctx.merchants.category[merchant],
        merchant=merchant,
    )
    return label(ctx, rows, parts, part, "merchant_collusion")


def refund_fraud(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """An online purchase is followed 1-5 days later by 1-2 refunds from the same merchant that
    together return more than was paid (a duplicate refund, or one inflated by up to 50%)."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 1, 2)
    part, pos = expand(k + 1)
    refund = pos > 0
    category = pick_category(rng, n, ("electronics", "apparel", "marketplace"))
    price = np.round(np.exp(np.log(8_000) + 0.7 * rng.standard_normal(n)), 2)
    inflate = np.where(k == 1, rng.uniform(1.1, 1.5, n), 1.0)
    amount = np.where(refund, np.round(price[part] * inflate[part], 2), price[part])
    ts = parts.t0[part] + pos * rng.integers(86_400, 5 * 86_400, part.size)
    mode = rng.choice([cat.MODE["upi"], cat.MODE["debit_card"], cat.MODE["wallet"]], size=n)
    purchase = make_rows(
        ctx,
        cust=parts.cust,
        ts=parts.t0,
        amount=price,
        mode=mode,
        category=category,
        online=np.ones(n, dtype=bool),
    )
    rows = purchase.take(part)
    rows["ts"] = clip_to_period(ctx, ts)
    rows["amount"] = amount
    rows["txn_type"] = np.where(refund, cat.TXN["refund"], cat.TXN["purchase"])
    return label(ctx, rows, parts, part, "refund_fraud")


def shipping_fraud(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """Orders paid with a customer's card from a new device are shipped to a drop address in a
    city far from the customer's home: 1-3 high-value e-commerce orders within hours."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 1, 3)
    part, pos = expand(k)
    home = ctx.customers.home_city[ctx.local(parts.cust)]
    drop = geo.pick_from_sets(rng, geo.FAR_OFFSETS, geo.FAR_CITIES, home, home)
    ts = parts.t0[part] + pos * rng.integers(10 * 60, 4 * 3600, part.size)
    has = ctx.customers.has_credit[ctx.local(parts.cust)][part]
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=np.exp(np.log(15_000) + 0.6 * rng.standard_normal(part.size)),
        mode=np.where(has, cat.MODE["credit_card"], cat.MODE["debit_card"]),
        category=pick_category(
            rng, part.size, ("electronics", "marketplace", "apparel", "jewellery")
        ),
        loc_city=drop[part],
        online=np.ones(part.size, dtype=bool),
        device=fraudster_device(parts.scenario)[part],
    )
    return label(ctx, rows, parts, part, "shipping_fraud")


def loyalty_abuse(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """A ring of 3-6 accounts run from one shared device farms a chain merchant's cashback: each
    account places 3-6 small orders (49-299 INR) within two hours."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 3, 6)
    part, pos = expand(k)
    ts = parts.t0[part] + pos * rng.integers(5 * 60, 25 * 60, part.size)
    merchant = parts.merchant[part]
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=rng.integers(49, 300, part.size).astype(float),
        mode=rng.choice([cat.MODE["wallet"], cat.MODE["upi"]], size=part.size),
        category=ctx.merchants.category[merchant],
        merchant=merchant,
        device=parts.device[part],
    )
    return label(ctx, rows, parts, part, "loyalty_abuse")
