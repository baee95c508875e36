"""Stolen card numbers are validated with 5-12 micro-payments (1-50 INR) at online digital
merchants within minutes, many declined, from the fraudster's device; one large online purchase
follows once the card is known to work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine import catalog as cat
from fraudforge.engine.fraud.build import (
    card_mode,
    clip_to_period,
    counts_between,
    expand,
    fraudster_device,
    label,
    make_rows,
    pick_category,
)
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import HOURS_ONLINE, WEEKDAYS_FLAT, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
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
        mode=card_mode(ctx, parts.cust)[part],
        category=category,
        online=np.ones(part.size, dtype=bool),
        device=fraudster_device(parts.scenario)[part],
        status=status,
    )
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="card_testing",
    code=12,
    description=__doc__ or "",
    weight=0.09,
    mean_rows=9.5,
    targets="card numbers from breaches and skimming, tested before use",
    build=build,
    hours=HOURS_ONLINE,
    weekdays=WEEKDAYS_FLAT,
    span_days=0.1,
    susceptibility=Susceptibility(savviness=(0.7, 1.0, 1.3), activity=0.5),
    device_reuse=1.5,
)
