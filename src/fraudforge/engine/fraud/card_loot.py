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
from fraudforge.engine.fraud.build import make_rows, pick_category
from fraudforge.engine.fraud.mechanics import beyond_credit, category_amounts, over_limit, settle
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

LOOT = ("electronics", "marketplace", "airlines", "railways")
"""What is bought: goods, vouchers and tickets (flights, tatkal train tickets) that resell or
redeem at once."""
QUANTILES = (0.6, 0.99)
"""The part of each merchant's amount model the purchases fall in."""


def card_loot(
    ctx: ShardContext,
    cust: I64,
    part: I64,
    ts: I64,
    credit: B,
    city: I64,
    device: I64,
    *,
    risk: float,
) -> Rows:
    """Unlabelled rows of online card purchases, one per element of ``part`` (the part each row
    belongs to): customer ``cust`` (per row), at ``ts``, by credit card where ``credit`` else
    the debit card, seen from ``city``, from ``device``; settled, the issuer declining what is
    beyond the debit card's cap or the credit line within each part and ``risk`` of the rest."""
    from fraudforge.engine.legit import DEBIT_CARD_MAX_INR

    rng = ctx.rng
    category = pick_category(rng, part.size, LOOT)
    lo, hi = QUANTILES
    scale = ctx.customers.amount_scale[ctx.local(cust)]
    amount = category_amounts(rng, category, scale, lo=lo, hi=hi)
    rows = make_rows(
        ctx,
        cust=cust,
        ts=ts,
        amount=amount,
        mode=np.where(credit, mkt.MODE["credit_card"], mkt.MODE["debit_card"]),
        category=category,
        loc_city=city,
        online=np.ones(part.size, dtype=bool),
        device=device,
    )
    debit = rows["mode"] == mkt.MODE["debit_card"]
    refused = over_limit(part, rows["ts"], rows["amount"], debit, DEBIT_CARD_MAX_INR)
    refused |= beyond_credit(ctx, part, rows)
    settle(ctx, rows, risk=risk, refused=refused)
    return rows


__all__ = ["LOOT", "QUANTILES", "card_loot"]
