"""An account opened on a fabricated identity (its customer slot has no genuine activity) builds a
thin, plausible history of 5-10 small payments over 10-30 days, then busts out with 3-6 large
credit, EMI or BNPL purchases within two days, all from one device.
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
from fraudforge.engine.fraud.record import HOURS_ONLINE, UNIFORM, WEEKDAYS_FLAT, FraudPattern
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext


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
    mode = np.where(is_bust, credit_modes(ctx, parts.cust[part]), small_mode)
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
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="synthetic_identity",
    code=8,
    description=__doc__ or "",
    weight=0.06,
    mean_rows=12.0,
    targets="no one: accounts opened on fabricated identities",
    build=build,
    hours=HOURS_ONLINE,
    weekdays=WEEKDAYS_FLAT,
    span_days=32,
    susceptibility=UNIFORM,
    device_reuse=1.5,
    fabricated_accounts=True,
)
