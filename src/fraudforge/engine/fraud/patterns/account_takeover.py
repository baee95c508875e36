"""A fraudster logs in from a new device in another city, sends a 1-10 INR test transfer to a new
payee, then 2-4 large P2P transfers (10k-95k INR) to other new payees within the hour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine import catalog as cat
from fraudforge.engine import geo
from fraudforge.engine.fraud.build import (
    clip_to_period,
    counts_between,
    expand,
    fraudster_device,
    label,
    make_rows,
)
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import HOURS_DAY, WEEKDAYS_WORK, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
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
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="account_takeover",
    code=2,
    description=__doc__ or "",
    weight=0.09,
    mean_rows=4.0,
    targets=(
        "UPI users reached by phishing and fake support calls: older and less digitally "
        "savvy customers most"
    ),
    build=build,
    hours=HOURS_DAY,
    weekdays=WEEKDAYS_WORK,
    span_days=0.1,
    camouflage=("hour", "device"),
    susceptibility=Susceptibility(
        age=(0.7, 0.8, 1.2, 2.5), savviness=(2.5, 1.0, 0.4), vulnerability=1.5
    ),
    device_reuse=1.5,
)
