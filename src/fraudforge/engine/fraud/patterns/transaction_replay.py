"""A captured payment is submitted again: 1-2 copies of a genuine approved purchase, P2P or bill
payment (same merchant or payee, amount, instrument, device) seconds to minutes after the original.
Only the copies are fraud.
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
    nearest_prior,
)
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import HOURS_ONLINE, WEEKDAYS_FLAT, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
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
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="transaction_replay",
    code=11,
    description=__doc__ or "",
    weight=0.05,
    mean_rows=1.5,
    targets="customers whose payment was captured in transit",
    build=build,
    hours=HOURS_ONLINE,
    weekdays=WEEKDAYS_FLAT,
    span_days=0,
    susceptibility=Susceptibility(activity=1.0),
)
