"""Structuring: one large sum is split into 3-6 transfers or jewellery purchases within two days,
each just below a scrutiny threshold (10k, 50k, 1 lakh or 2 lakh INR).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine import catalog as cat
from fraudforge.engine.fraud.build import (
    clip_to_period,
    counts_between,
    expand,
    label,
    make_rows,
)
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import HOURS_DAY, WEEKDAYS_WORK, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext

THRESHOLDS = np.array([10_000.0, 50_000.0, 100_000.0, 200_000.0])


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 3, 6)
    part, _ = expand(k)
    limit = rng.choice(THRESHOLDS, size=n)[part]
    amount = np.floor(limit - rng.uniform(1, 0.02 * limit))
    ts = parts.t0[part] + rng.integers(0, 2 * 86_400, part.size)
    p2p = rng.random(n)[part] < 0.6
    mode = np.where(
        p2p & (amount <= cat.UPI_LIMIT_INR),
        cat.MODE["upi"],
        np.where(p2p, cat.MODE["net_banking"], cat.MODE["debit_card"]),
    )
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=amount,
        mode=mode,
        category=np.where(p2p, cat.CAT["p2p"], cat.CAT["jewellery"]),
        txn_type=np.where(p2p, cat.TXN["p2p_transfer"], cat.TXN["purchase"]),
        payee=rng.integers(0, ctx.scenario.customers, part.size),
    )
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="amount_manipulation",
    code=5,
    description=__doc__ or "",
    weight=0.05,
    mean_rows=4.5,
    targets="account holders laundering or hiding income (first party)",
    build=build,
    hours=HOURS_DAY,
    weekdays=WEEKDAYS_WORK,
    span_days=2,
    susceptibility=Susceptibility(
        age=(0.5, 1.0, 1.4, 1.2),
        segments=(("affluent", 3.0), ("family", 1.5)),
        vulnerability=0.0,
        propensity=1.0,
    ),
    reuse=2.0,
)
