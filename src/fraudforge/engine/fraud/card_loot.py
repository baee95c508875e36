"""Online card purchases made with a victim's card details and the OTPs that confirm them:
what a fraudster who has phished the card (``phishing_otp``) or holds the victim's SIM
(``sim_swap``) buys. Goods, vouchers and tickets that resell or redeem at once, at the dear end
of each shop's amount model; the issuer refuses what a debit card's per-transaction cap or the
credit line does not allow and some more by its rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from fraudforge.engine import market as mkt
from fraudforge.engine.fraud.build import (
    clip_to_period,
    fraudster_device,
    label,
    make_rows,
    pick_category,
)
from fraudforge.engine.fraud.mechanics import beyond_credit, category_amounts, over_limit, settle
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext
    from fraudforge.engine.fraud.parts import Parts

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

LOOT = ("electronics", "marketplace", "airlines", "railways")
"""What is bought: goods, vouchers and tickets (flights, tatkal train tickets) that resell or
redeem at once."""
QUANTILES = (0.6, 0.99)
"""The part of each merchant's amount model the purchases fall in."""


def card_loot(
    ctx: ShardContext,
    parts: Parts,
    part: I64,
    ts: I64,
    credit: B,
    city: I64,
    *,
    risk: float,
) -> Rows:
    """Labelled rows of online card purchases, one per element of ``part`` (the part of
    ``parts`` each row belongs to), at ``ts`` (kept as they fall in the period), by credit card
    where ``credit`` (per part) else the debit card, seen from ``city`` (per part), from the
    incident's fraudster device; settled, the issuer declining what is beyond the debit card's
    cap or the credit line within each part and ``risk`` of the rest."""
    from fraudforge.engine.legit import DEBIT_CARD_MAX_INR

    rng = ctx.rng
    cust = parts.cust[part]
    category = pick_category(rng, part.size, LOOT)
    lo, hi = QUANTILES
    scale = ctx.customers.amount_scale[ctx.local(cust)]
    amount = category_amounts(rng, category, scale, lo=lo, hi=hi)
    rows = make_rows(
        ctx,
        cust=cust,
        ts=clip_to_period(ctx, np.asarray(ts, dtype=np.int64)),
        amount=amount,
        mode=np.where(credit[part], mkt.MODE["credit_card"], mkt.MODE["debit_card"]),
        category=category,
        loc_city=city[part],
        online=np.ones(part.size, dtype=bool),
        device=fraudster_device(parts.scenario)[part],
    )
    debit = rows["mode"] == mkt.MODE["debit_card"]
    refused = over_limit(part, rows["ts"], rows["amount"], debit, DEBIT_CARD_MAX_INR)
    refused |= beyond_credit(ctx, part, rows)
    settle(ctx, rows, risk=risk, refused=refused)
    return label(ctx, rows, parts, part)


__all__ = ["LOOT", "QUANTILES", "card_loot"]
