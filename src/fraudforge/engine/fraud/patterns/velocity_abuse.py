"""A compromised credential is drained by a burst of 8-16 online payments of moderate size at
different merchants within 30-60 minutes, from the fraudster's device.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine import catalog as cat
from fraudforge.engine.fraud.build import (
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
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="velocity_abuse",
    code=4,
    description=__doc__ or "",
    weight=0.08,
    mean_rows=12.0,
    targets="holders of compromised app or card credentials",
    build=build,
    hours=HOURS_ONLINE,
    weekdays=WEEKDAYS_FLAT,
    span_days=0.1,
    camouflage=("amount", "hour", "category", "device"),
    susceptibility=Susceptibility(savviness=(1.5, 1.0, 0.8), activity=0.5),
    device_reuse=1.5,
)
