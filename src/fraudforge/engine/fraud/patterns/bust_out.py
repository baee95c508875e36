"""A customer with a genuine history maxes out every credit line: 4-8 large credit card, EMI or
BNPL purchases over 1-3 days, and never transacts again (the shard drops the customer's later
genuine rows).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine import catalog as cat
from fraudforge.engine.fraud.build import (
    BIG_TICKET,
    clip_to_period,
    counts_between,
    credit_modes,
    expand,
    label,
    make_rows,
    pick_category,
)
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import (
    HOURS_ONLINE,
    WEEKDAYS_WEEKEND,
    FraudPattern,
    Susceptibility,
)
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext

BUST_OUT_DAYS = 3


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 4, 8)
    part, _ = expand(k)
    ts = parts.t0[part] + rng.integers(0, BUST_OUT_DAYS * 86_400, part.size)
    scale = ctx.customers.amount_scale[ctx.local(parts.cust)][part]
    mode = credit_modes(ctx, parts.cust[part])
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=np.exp(np.log(30_000 * scale) + 0.5 * rng.standard_normal(part.size)),
        mode=np.where(mode == cat.MODE["debit_card"], cat.MODE["bnpl"], mode),
        category=pick_category(rng, part.size, (*BIG_TICKET, "airlines")),
        online=rng.random(part.size) < 0.6,
    )
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="bust_out",
    code=9,
    description=__doc__ or "",
    weight=0.06,
    mean_rows=6.0,
    targets="account holders with credit lines who plan to vanish (first party)",
    build=build,
    hours=HOURS_ONLINE,
    weekdays=WEEKDAYS_WEEKEND,
    span_days=3,
    camouflage=("hour",),
    susceptibility=Susceptibility(
        age=(1.2, 1.2, 0.9, 0.4), credit_card=5.0, vulnerability=0.0, propensity=1.0
    ),
    ends_account=True,
)
