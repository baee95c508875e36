"""Synthetic identity: an account opened on a fabricated identity (real and invented details
combined; its customer slot has no other activity) builds a thin, plausible history of 5-10
small everyday online payments over 10-30 days, paid the way its profile would pay, then busts
out within two days with 3-6 large online purchases of big-ticket goods on credit (credit card,
card EMI or pay-later), all from the identity's one phone. The purchases fall at the dear end of
each shop's amount model, and the bank refuses what is beyond the credit line or the pay-later
limit. Only
the bust-out is labelled fraud: the history's payments were paid back and are no one's loss;
the loss is the balance charged off after the bust-out. Sources: Payment Brief, "Synthetic
identity fraud" (https://paymentbrief.com/glossary/synthetic-identity): a fictitious identity
builds credit history, then maxes out its credit and disappears; Prove, "Bust-out fraud"
(https://www.prove.com/glossary-list/bust-out-fraud); the Federal Reserve's FedPayments
Improvement on synthetic identity losses appearing as unpaid credit, charged off
(https://www.fiverity.com/resources/miscategorization-of-synthetic-identity-fraud).
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
    unlabel,
)
from fraudforge.engine.fraud.mechanics import (
    beyond_credit,
    category_amounts,
    credit_line,
    credit_modes_for,
    settle,
    usual_modes,
    whole_rupees,
)
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import HOURS_ONLINE, UNIFORM, WEEKDAYS_FLAT, FraudPattern
from fraudforge.engine.population import device_ids
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext

BUILD_CATEGORIES = ("grocery", "fast_food", "digital_goods", "ride_hailing", "restaurants")
"""Where the thin history is built: small everyday online payments."""
BUST_FLOOR_INR = 5_000.0
"""The bust-out's purchases are at least this large; the history's stay below it."""
BUST_CATEGORIES = ("electronics", "home_furnishing", "marketplace", "airlines")
"""What the bust-out buys online: big tickets that resell."""
RISK = 0.05
"""Share of payments the bank's rules decline."""


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    rng = ctx.rng
    n = len(parts)
    build = counts_between(rng, n, 5, 10)
    bust = counts_between(rng, n, 3, 6)
    part, pos = expand(build + bust)
    is_bust = pos >= build[part]
    span = rng.integers(10, 31, n) * 86_400
    t_bust = parts.t0 + span
    # the history spread evenly over its span, the bust within two days, at the hours of day
    # the pattern keeps (people's waking hours, not uniformly round the clock)
    ts = np.where(
        is_bust,
        later(rng, t_bust[part], 2, PATTERN.hours),
        later(rng, parts.t0[part] + (pos * span[part]) // build[part], 1, PATTERN.hours),
    )
    small = pick_category(rng, part.size, BUILD_CATEGORIES)
    category = np.where(is_bust, pick_category(rng, part.size, BUST_CATEGORIES), small)
    cust = parts.cust[part]
    scale = ctx.customers.amount_scale[ctx.local(cust)]
    has = ctx.customers.has_credit[ctx.local(cust)]
    _, _, line = credit_line(ctx, cust, np.where(has, mkt.MODE["credit_card"], mkt.MODE["bnpl"]))
    amount = np.where(
        is_bust,
        category_amounts(rng, category, scale, lo=0.75, hi=0.995, floor=BUST_FLOOR_INR, cap=line),
        category_amounts(rng, category, scale, hi=0.8, cap=BUST_FLOOR_INR - 1.0),
    )
    online = np.ones(part.size, dtype=bool)
    mode = np.where(
        is_bust,
        credit_modes_for(ctx, cust, amount, online=online),
        usual_modes(ctx, cust, amount, category, at_pos=~online),
    )
    rows = make_rows(
        ctx,
        cust=cust,
        ts=clip_to_period(ctx, ts),
        amount=whole_rupees(amount, mode),
        mode=mode,
        category=category,
        online=online,
        device=device_ids(cust, np.zeros(part.size, dtype=np.int64)),
    )
    settle(ctx, rows, risk=RISK, refused=beyond_credit(ctx, part, rows))
    # The history was paid for: no one's loss, so no fraud label (the charged-off bust-out is).
    return unlabel(ctx, label(ctx, rows, parts, part), ~is_bust)


PATTERN = FraudPattern(
    name="synthetic_identity",
    code=8,
    description=__doc__ or "",
    weight=0.028,
    mean_rows=4.5,
    targets="no one: accounts opened on fabricated identities",
    build=build,
    hours=HOURS_ONLINE,
    weekdays=WEEKDAYS_FLAT,
    span_days=32,
    susceptibility=UNIFORM,
    fabricated_accounts=True,
)
