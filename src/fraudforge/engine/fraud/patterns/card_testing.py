"""Card testing: a fraudster holding a batch of card numbers (from a breach, a phishing kit or a
skimmer) checks which still work by running them, with a script that rotates device
fingerprints (emulators, proxies: a new device per card), through one busy online merchant
where the run hides among its traffic: 5-20 cards of different customers (their credit card
where they have one) within the hour, each with 1-3 attempts at the cheap end of what that
merchant sells (but not below what its card payers pay). Many cards are dead (blocked,
expired, wrong CVV) and every attempt on them is declined; a live card's attempts may fail once
before one goes through. The fraudster then spends some live cards days later: one larger
online purchase elsewhere, from another device. The signal is the merchant's: many new cards
and devices, many declines within the hour. Sources: Stripe Issuing's card-testing risk
assessment (https://docs.stripe.com/issuing/controls/advanced-fraud-tools/authorization-signals):
declines at the same merchant over the past hour as the mark of card testing; Mastercard Threat
Intelligence, "Card Testing for Acquirers"
(https://developer.mastercard.com/mastercard-threat-intelligence/documentation/use-cases/card-testing-for-acquirers/):
compromised credentials validated with small authorisations before larger fraud; SHIELD on
emulators and app cloners (https://shield.com/blog/promo-abuse-how-to-stop-fraudsters-from-taking-advantage-of-your-business).
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
from fraudforge.engine.fraud.build import (
    later as after,
)
from fraudforge.engine.fraud.mechanics import category_amounts, settle
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import HOURS_ONLINE, WEEKDAYS_FLAT, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext
    from fraudforge.engine.fraud.schedule import IncidentDraw

TEST_MERCHANTS = ("marketplace", "entertainment", "personal_care", "restaurants")
"""Online merchants card testers use: small digital purchases, few checks."""
TEST_FLOOR_INR = 150.0
"""Test amounts are the merchant's cheap end, but not below what its card payers pay."""
CARDS = (5, 20)
"""Cards tested in one run."""
ATTEMPTS = (1, 3)
"""Attempts per card."""
RUN_S = 60 * 60
"""A run tests its cards within this many seconds."""
DEAD = 0.5
"""Share of tested cards that no longer work (every attempt declined)."""
RETRY_FAIL = 0.3
"""Chance that a live card's attempt before its last is declined (wrong CVV or expiry tried)."""
CASH_OUT = 0.5
"""Share of live cards spent later."""
CASH_OUT_CATEGORIES = ("electronics", "apparel", "home_furnishing")
TEST_QUANTILE = 0.8
"""Test amounts fall below this quantile of the merchant's amount model (and above the floor)."""


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern (one part: one tested card)."""
    rng = ctx.rng
    n = len(parts)
    tries = counts_between(rng, n, *ATTEMPTS)
    dead = rng.random(n) < DEAD
    spent = ~dead & (rng.random(n) < CASH_OUT)
    # Breached card numbers: the credit card where the customer has one.
    has = ctx.customers.has_credit[ctx.local(parts.cust)]
    card = np.where(has, mkt.MODE["credit_card"], mkt.MODE["debit_card"])
    # The script rotates device fingerprints (emulators, proxies): the schedule gives each
    # card its own (see ``schedule``).
    rotating = fraudster_device(parts.scenario)
    # The attempts, at the tested merchant, seconds to minutes apart.
    part, pos = expand(tries)
    category = ctx.merchants.category[parts.merchant[part]].astype(np.int64)
    tests = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, parts.t0[part] + pos * rng.integers(20, 4 * 60, part.size)),
        amount=category_amounts(
            rng, category, np.ones(part.size), hi=TEST_QUANTILE, floor=TEST_FLOOR_INR
        ),
        mode=card[part],
        category=category,
        merchant=parts.merchant[part],
        device=rotating[part],
    )
    retry_fail = (pos < tries[part] - 1) & (rng.random(part.size) < RETRY_FAIL)
    settle(ctx, tests, refused=dead[part] | retry_fail)
    # The cash-out of some live cards, hours to days later, elsewhere and from another device.
    later = np.flatnonzero(spent)
    t_cash = after(rng, parts.t0[later] + 6 * 3_600, 5, PATTERN.hours)
    later, t_cash = later[t_cash < ctx.t_end], t_cash[t_cash < ctx.t_end]
    cust = parts.cust[later]
    category = pick_category(rng, later.size, CASH_OUT_CATEGORIES)
    cash = make_rows(
        ctx,
        cust=cust,
        ts=t_cash,
        amount=category_amounts(
            rng, category, ctx.customers.amount_scale[ctx.local(cust)], lo=0.6, hi=0.995
        ),
        mode=card[later],
        category=category,
        online=np.ones(later.size, dtype=bool),
        device=rotating[later],
    )
    settle(ctx, cash)
    rows = Rows.concat([tests, cash])
    return label(ctx, rows, parts, np.concatenate([part, later]))


def schedule(draw: IncidentDraw, n: int) -> Parts:
    """Each run: one online merchant of ``TEST_MERCHANTS`` drawn by its expected custom
    (``IncidentDraw.busy``: a busy checkout hides the run best, and a run of 20 cards at a shop
    that takes a handful of card payments a month would stand out in any data), 5-20 cards of
    different customers within the hour."""
    me = draw.merchants
    pool = np.flatnonzero(me.is_online & np.isin(me.category, [mkt.CAT[c] for c in TEST_MERCHANTS]))
    merchant = draw.busy(pool if pool.size else np.flatnonzero(me.is_online), n)
    size = draw.group_sizes(n, CARDS)
    inc = np.repeat(np.arange(n), size)
    t0 = np.repeat(draw.times(n), size) + draw.rng.integers(0, RUN_S, inc.size)
    m = np.repeat(merchant, size)
    # The script rotates device fingerprints: each card (part) its own device.
    return draw.parts(
        inc.size,
        scenario=inc,
        cust=draw.customers(inc.size),
        t0=t0,
        merchant=m,
        device=draw.devices(inc.size),
    )


PATTERN = FraudPattern(
    name="card_testing",
    code=12,
    description=__doc__ or "",
    weight=0.035,
    mean_rows=12.5 * (2.0 + (1 - DEAD) * CASH_OUT),
    targets="card numbers from breaches and skimming, tested before use",
    build=build,
    schedule=schedule,
    hours=HOURS_ONLINE,
    weekdays=WEEKDAYS_FLAT,
    span_days=0.1,
    susceptibility=Susceptibility(savviness=(0.7, 1.0, 1.3), activity=0.5),
    device_reuse=1.0,  # the script rotates fingerprints: a new device per card
)
