"""Fraud on and by accounts: takeover, synthetic identities, first-party bust-out and friendly
fraud (a genuine-looking purchase charged back later)."""

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

BIG_TICKET = ("electronics", "jewellery", "home_furnishing", "marketplace")


def _credit_modes(ctx: ShardContext, cust: np.ndarray, n: int) -> np.ndarray:
    """Credit card, EMI or BNPL for customers with a credit card; BNPL or debit card otherwise."""
    rng = ctx.rng
    has = ctx.customers.has_credit[cust - ctx.customers.offset]
    with_cc = rng.choice(
        [cat.MODE["credit_card"], cat.MODE["emi"], cat.MODE["bnpl"]], size=n, p=[0.5, 0.3, 0.2]
    )
    without = rng.choice([cat.MODE["bnpl"], cat.MODE["debit_card"]], size=n, p=[0.6, 0.4])
    return np.where(has, with_cc, without)


def account_takeover(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """A fraudster logs in from a new device in another city, sends a 1-10 INR test transfer to a
    new payee, then 2-4 large P2P transfers (10k-95k INR) to other new payees within the hour."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 2, 4)
    part, pos = expand(k + 1)
    test = pos == 0
    ts = parts.t0[part] + pos * rng.integers(2 * 60, 15 * 60, part.size)
    amount = np.where(
        test, rng.integers(1, 11, part.size), np.round(rng.uniform(10_000, 95_000, part.size), -2)
    )
    city = rng.choice(geo.N_CITIES, size=n, p=geo.CITY_WEIGHT)[part]
    city = np.where(
        city == ctx.customers.home_city[ctx.local(parts.cust)][part],
        (city + 1) % geo.N_CITIES,
        city,
    )
    payee = rng.integers(0, ctx.scenario.customers, part.size)
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=amount.astype(float),
        mode=np.full(part.size, cat.MODE["upi"]),
        category=np.full(part.size, cat.CAT["p2p"]),
        loc_city=city,
        txn_type=cat.TXN["p2p_transfer"],
        payee=payee,
        device=fraudster_device(parts.scenario)[part],
    )
    return label(ctx, rows, parts, part, "account_takeover")


def synthetic_identity(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """An account opened on a fabricated identity (its customer slot has no genuine activity)
    builds a thin, plausible history of 5-10 small payments over 10-30 days, then busts out with
    3-6 large credit, EMI or BNPL purchases within two days, all from one device."""
    rng = ctx.rng
    n = len(parts)
    build = counts_between(rng, n, 5, 10)
    bust = counts_between(rng, n, 3, 6)
    part, pos = expand(build + bust)
    is_bust = pos >= build[part]
    span = rng.integers(10, 31, n) * 86_400
    t_bust = parts.t0 + span
    ts = np.where(
        is_bust,
        t_bust[part] + rng.integers(0, 2 * 86_400, part.size),
        parts.t0[part]
        + (pos * span[part]) // build[part]
        + rng.integers(8 * 3600, 22 * 3600, part.size),
    )
    small = pick_category(
        rng, part.size, ("grocery", "fast_food", "digital_goods", "ride_hailing", "telecom")
    )
    category = np.where(is_bust, pick_category(rng, part.size, BIG_TICKET), small)
    amount = np.where(
        is_bust,
        np.exp(np.log(25_000) + 0.6 * rng.standard_normal(part.size)),
        np.exp(np.log(300) + 0.6 * rng.standard_normal(part.size)),
    )
    small_mode = rng.choice([cat.MODE["upi"], cat.MODE["wallet"], cat.MODE["bnpl"]], size=part.size)
    mode = np.where(is_bust, _credit_modes(ctx, parts.cust[part], part.size), small_mode)
    mode = np.where(is_bust & (mode == cat.MODE["debit_card"]), cat.MODE["bnpl"], mode)
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=np.where(mode == cat.MODE["upi"], np.round(amount), amount),
        mode=mode,
        category=category,
        online=np.ones(part.size, dtype=bool),
        device=parts.device[part],
    )
    return label(ctx, rows, parts, part, "synthetic_identity")


BUST_OUT_DAYS = 3


def bust_out(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """A customer with a genuine history maxes out every credit line: 4-8 large credit card, EMI
    or BNPL purchases over 1-3 days, and never transacts again (the shard drops the customer's
    later genuine rows)."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 4, 8)
    part, _ = expand(k)
    ts = parts.t0[part] + rng.integers(0, BUST_OUT_DAYS * 86_400, part.size)
    scale = ctx.customers.amount_scale[ctx.local(parts.cust)][part]
    mode = _credit_modes(ctx, parts.cust[part], part.size)
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=np.exp(np.log(30_000 * scale) + 0.5 * rng.standard_normal(part.size)),
        mode=np.where(mode == cat.MODE["debit_card"], cat.MODE["bnpl"], mode),
        category=pick_category(rng, part.size, (*BIG_TICKET, "airlines")),
        online=rng.random(part.size) < 0.6,
    )
    return label(ctx, rows, parts, part, "bust_out")


def friendly_fraud(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The customer makes an ordinary online purchase on their own device at home and later
    disputes it as unauthorised. Nothing in the row differs from genuine activity; only the
    chargeback, ``chargeback_delay_days`` later on average, labels it."""
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
    return label(
        ctx, rows, parts, part, "friendly_fraud", delay_days=ctx.scenario.chargeback_delay_days
    )
