"""Structuring: an account holder moves one large sum in pieces, each just below an amount that
draws scrutiny, within two days (3-6 payments). Transfers to other people stay just under INR
50,000 (in round figures, as people send large sums), the amount above which Rule 114B of the
Income-tax Rules asks for a PAN on cash deposits, drafts, deposits and most payments it lists;
purchases of jewellery (a store of value that resells) stay just under INR 2 lakh, above which a
PAN is required for any purchase of goods (only customers with an income of 6 lakh a year or
more structure through jewellery). Transfers go by UPI while the day's INR 1 lakh UPI limit
allows, then by bank transfer (IMPS/NEFT); jewellery is bought at a shop in the customer's city
or, where there is none, from an online jeweller. Structurers have the sums they move: the
chance of structuring grows with the income bracket, and a tenth of incidents go through
jewellery. Sources: Rule 114B as listed by FirstAuditor
(https://firstauditor.com/specified-financial-transactions-in-which-quoting-of-PAN-is-mandatory.html)
(the INR 50,000 items) and Vedikaa on notification S.O. 3545(E) of 30 December 2015
(https://vedikaa.com/2016/02/27/pan-card-mandatory-for-all-transactions/): a PAN for every sale
or purchase of goods or services above INR 2 lakh, whatever the mode of payment.
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
)
from fraudforge.engine.fraud.mechanics import (
    moved_category,
    over_upi_daily_limit,
    settle,
    usual_modes,
    whole_rupees,
)
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import HOURS_DAY, WEEKDAYS_WORK, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext

TRANSFER_THRESHOLD_INR = 50_000.0
JEWELLERY_THRESHOLD_INR = 200_000.0
BELOW = 0.08
"""Pieces fall within this share below their threshold, most of them close to it (a cautious
structurer does not always go to the last rupee)."""
JEWELLERY_MIN_INCOME = 2
"""Lowest income bracket (``market.INCOME_BRACKETS``: 6-12 lakh a year) that structures
through jewellery; others use transfers."""
ROUND_STEPS = (1.0, 10.0, 100.0, 500.0, 1_000.0)
ROUND_P = (0.1, 0.1, 0.2, 0.25, 0.35)
"""How far down a transfer piece is rounded, and how often each."""
TRANSFER_SHARE = 0.9
"""Incidents that move the money by transfers (the rest buy jewellery). Jewellery is a known
channel but a small one beside genuine jewellery sales: at 0.6 structuring made 18 % of the
jewellery payments of a 300K-row dataset, and a jeweller's few genuine customers made it a
rule of precision 1.0 (``fraudforge audit``, held out)."""
RISK = 0.02
"""Share of payments the bank's rules decline."""


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 3, 6)
    part, _ = expand(k)
    cust = parts.cust[part]
    ts = clip_to_period(ctx, later(rng, parts.t0[part], 2, PATTERN.hours))
    # Jewellery worth lakhs is bought by customers who could plausibly afford it.
    well_off = ctx.customers.income[ctx.local(parts.cust)] >= JEWELLERY_MIN_INCOME
    p2p = ((rng.random(n) < TRANSFER_SHARE) | ~well_off)[part]
    limit = np.where(p2p, TRANSFER_THRESHOLD_INR, JEWELLERY_THRESHOLD_INR)
    amount = np.round(limit * (1.0 - BELOW * rng.random(part.size) ** 2) - 1.0, 2)
    # People round transfers down as they round their other transfers: most to the thousand or
    # the five hundred (INR 49,000, 48,500), some to the hundred, the ten or the rupee.
    step = rng.choice(ROUND_STEPS, size=part.size, p=ROUND_P)
    amount = np.where(p2p, np.floor(amount / step) * step, amount)
    category = np.where(p2p, mkt.CAT["p2p"], mkt.CAT["jewellery"])
    upi_room = ~over_upi_daily_limit(cust, ts, amount, p2p)
    shop = usual_modes(ctx, cust, amount, category, at_pos=np.ones(part.size, dtype=bool))
    mode = np.where(p2p, np.where(upi_room, mkt.MODE["upi"], mkt.MODE["net_banking"]), shop)
    payee = rng.integers(0, ctx.scenario.customers, part.size)
    rows = make_rows(
        ctx,
        cust=cust,
        ts=ts,
        amount=amount,
        mode=mode,
        category=category,
        txn_type=np.where(p2p, mkt.TXN["p2p_transfer"], mkt.TXN["purchase"]),
        payee=payee,
    )
    # No jeweller in town: buy from an online one instead.
    moved = moved_category(rows, category)
    if moved.any():
        m = np.flatnonzero(moved)
        online = np.ones(m.size, dtype=bool)
        again = make_rows(
            ctx,
            cust=cust[m],
            ts=ts[m],
            amount=amount[m],
            mode=usual_modes(ctx, cust[m], amount[m], category[m], at_pos=~online),
            category=category[m],
            online=online,
        )
        for key in rows.cols:
            rows[key][m] = again[key]
    rows["amount"] = whole_rupees(rows["amount"], rows["mode"].astype(np.int64))
    settle(ctx, rows, risk=RISK, funded=np.ones(len(rows), dtype=bool))
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="amount_manipulation",
    code=5,
    description=__doc__ or "",
    # Structuring is an anti-money-laundering typology, not a loss the reported fraud figures
    # count: a small share (0.06 before; its pieces all sit in one narrow amount band, where
    # they outnumbered genuine transfers of a city or a profile in the held-out audit).
    weight=0.03,
    mean_rows=4.5,
    targets="account holders laundering or hiding income (first party)",
    build=build,
    hours=HOURS_DAY,
    weekdays=WEEKDAYS_WORK,
    span_days=2,
    susceptibility=Susceptibility(
        age=(0.5, 1.0, 1.4, 1.2),
        # Structuring needs a sum to hide: rarely a student's or a budget household's.
        segments=(("affluent", 3.0), ("family", 1.5), ("budget", 0.2), ("student", 0.2)),
        # Three to six pieces of INR 50,000 in two days is a year's income under 3 lakh:
        # structurers have the sums their genuine payments show (assumed multipliers).
        income=(0.02, 0.1, 0.4, 1.0, 3.0, 5.0),
        vulnerability=0.0,
        propensity=1.0,
    ),
    reuse=2.0,
)
