"""Fraud on compromised cards and credentials: cloning, stolen cards, card testing, replay and
velocity abuse. Each function turns a shard's parts of one pattern into its rows."""

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
    nearest_prior,
    pick_category,
)
from fraudforge.engine.fraud.schedule import Parts
from fraudforge.engine.rows import Rows

SHOP_LOOT = ("electronics", "jewellery", "fuel", "apparel", "grocery")


def _card_mode(ctx: ShardContext, cust: np.ndarray) -> np.ndarray:
    """Debit card, or the credit card for customers who have one, half the time."""
    has = ctx.customers.has_credit[cust - ctx.customers.offset]
    credit = has & (ctx.rng.random(cust.shape[0]) < 0.5)
    return np.where(credit, cat.MODE["credit_card"], cat.MODE["debit_card"])


def card_cloning(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """A skimmed card is copied and used in shops of a city at least 1,000 km from where the
    customer just paid: 2-4 card-present purchases 15 minutes to 2 hours after the customer's
    own transaction, so one card is in two distant cities within an impossible travel time."""
    rng = ctx.rng
    n = len(parts)
    prior = nearest_prior(legit["cust"], legit["ts"], parts.cust, parts.t0)
    ok = prior >= 0
    p = np.maximum(prior, 0)
    anchor_t = np.where(ok, legit["ts"][p], parts.t0)
    anchor_city = np.where(ok, legit["city"][p], ctx.customers.home_city[ctx.local(parts.cust)])
    far = geo.pick_from_sets(
        rng, geo.FAR_OFFSETS, geo.FAR_CITIES, anchor_city.astype(np.int64), anchor_city
    )
    k = counts_between(rng, n, 2, 4)
    part, pos = expand(k)
    start = anchor_t + rng.integers(15 * 60, 120 * 60, n)
    ts = start[part] + pos * rng.integers(4 * 60, 30 * 60, part.size)
    anchor_mode = np.where(ok, legit["mode"][p], -1)
    same_card = np.isin(anchor_mode, (cat.MODE["debit_card"], cat.MODE["credit_card"]))
    mode = np.where(same_card, anchor_mode, _card_mode(ctx, parts.cust))[part]
    category = pick_category(rng, part.size, SHOP_LOOT)
    amount = np.exp(np.log(6_000) + 0.8 * rng.standard_normal(part.size))
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=amount,
        mode=mode,
        category=category,
        loc_city=far[part],
        online=np.zeros(part.size, dtype=bool),
    )
    return label(ctx, rows, parts, part, "card_cloning")


def stolen_card(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """A physical card is stolen and spent fast in the customer's own city: 2-5 large card-present
    purchases minutes apart and, for a debit card, usually an ATM withdrawal with it at the end."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 2, 5)
    card = _card_mode(ctx, parts.cust)
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
    return label(ctx, rows, parts, part, "stolen_card")


def card_testing(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """Stolen card numbers are validated with 5-12 micro-payments (1-50 INR) at online digital
    merchants within minutes, many declined, from the fraudster's device; one large online
    purchase follows once the card is known to work."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 5, 12)
    part, pos = expand(k + 1)
    big = pos == k[part]
    ts = (
        parts.t0[part]
        + pos * rng.integers(30, 5 * 60, n)[part]
        + big * rng.integers(5 * 60, 30 * 60, part.size)
    )
    micro_cat = pick_category(rng, part.size, ("digital_goods", "gaming", "marketplace"))
    category = np.where(
        big, pick_category(rng, part.size, ("electronics", "marketplace")), micro_cat
    )
    amount = np.where(
        big, rng.uniform(10_000, 60_000, part.size), rng.integers(1, 51, part.size).astype(float)
    )
    status = np.where(
        ~big & (rng.random(part.size) < 0.4), cat.STATUS["declined"], cat.STATUS["approved"]
    )
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=amount,
        mode=_card_mode(ctx, parts.cust)[part],
        category=category,
        online=np.ones(part.size, dtype=bool),
        device=fraudster_device(parts.scenario)[part],
        status=status,
    )
    return label(ctx, rows, parts, part, "card_testing")


def transaction_replay(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """A captured payment is submitted again: 1-2 copies of a genuine approved purchase, P2P or
    bill payment (same merchant or payee, amount, instrument, device) seconds to minutes after
    the original. Only the copies are fraud."""
    rng = ctx.rng
    ttype = legit["txn_type"]
    replayable = (ttype != cat.TXN["refund"]) & (ttype != cat.TXN["withdrawal"])
    eligible = np.flatnonzero(replayable & (legit["status"] == cat.STATUS["approved"]))
    src = nearest_prior(legit["cust"][eligible], legit["ts"][eligible], parts.cust, parts.t0)
    keep = src >= 0
    parts, src = parts.take(keep), eligible[src[keep]]
    k = counts_between(rng, len(parts), 1, 2)
    part, pos = expand(k)
    rows = legit.take(src[part])
    rows["ts"] = clip_to_period(ctx, rows["ts"] + rng.integers(5, 600, part.size) * (pos + 1))
    rows["anomaly"], rows["severity"] = 0, 0.0
    return label(ctx, rows, parts, part, "transaction_replay")


def velocity_abuse(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """A compromised credential is drained by a burst of 8-16 online payments of moderate size at
    different merchants within 30-60 minutes, from the fraudster's device."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 8, 16)
    part, pos = expand(k)
    window = rng.integers(30 * 60, 60 * 60, n)
    ts = parts.t0[part] + (pos * window[part]) // k[part] + rng.integers(0, 60, part.size)
    mode = rng.choice(
        [cat.MODE["upi"], cat.MODE["wallet"], cat.MODE["debit_card"]], size=n, p=[0.5, 0.2, 0.3]
    )[part]
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=rng.uniform(500, 8_000, part.size),
        mode=mode,
        category=pick_category(
            rng, part.size, ("marketplace", "digital_goods", "gaming", "electronics", "apparel")
        ),
        online=np.ones(part.size, dtype=bool),
        device=fraudster_device(parts.scenario)[part],
    )
    rows["amount"] = np.where(mode == cat.MODE["upi"], np.round(rows["amount"]), rows["amount"])
    return label(ctx, rows, parts, part, "velocity_abuse")
