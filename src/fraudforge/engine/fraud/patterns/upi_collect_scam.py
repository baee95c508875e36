"""UPI collect-request scam. A fraudster posing as a buyer on a classifieds site, a refund desk
or a prize office sends the victim a UPI collect request and tells them it is money coming in:
"enter your PIN to receive". The victim approves it and pays. One to four requests follow one
another within minutes, each a little larger ("the first one failed, approve this one"), while
the victim believes they are being paid. Every request is approved on the victim's own phone
(their own device, as genuine payments), to the fraudster's address: an account opened or
rented for the purpose a few days to a few months earlier. Until 30 September 2025 the
requests are person-to-person collects (at most INR 2,000 each, NPCI's limit since 2019);
from 1 October 2025, when NPCI stopped P2P collect requests, the same script runs through a
merchant collect from a small online merchant the fraudster onboarded through an aggregator.
Sources: NPCI circular of 29 July 2025 ending P2P collect, with the scam it targets, via India
TV News (https://www.indiatvnews.com/technology/news/phonepe-google-pay-paytm-users-you-can-no-longer-request-money-using-upi-from-october-1-2025-08-15-1003611)
and Timesbull (https://www.timesbull.com/business/npci-big-decision-this-upi-facility-will-be-closed-from-1-oct-575764.html):
"scammers would send payment requests to users and confuse people into sending money by
entering the UPI PIN"; merchants' collect requests continue.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine import market as mkt
from fraudforge.engine.fraud.build import clip_to_period, counts_between, expand, label, make_rows
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import HOURS_DAY, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext

P2P_COLLECT_LIMIT_INR = 2_000.0
"""The most one P2P collect request may ask (NPCI, 2019)."""
P2P_COLLECT_END = dt.date(2025, 10, 1)
"""From this day no P2P collect request is processed (NPCI circular of 29 July 2025)."""
HANDLE_DAYS = 120.0
"""The fraudster's address is at most this old (opened or rented for the scam)."""
RISK = 0.05
"""Share of requests the bank's rules decline."""
MERCHANT_CATEGORIES = ("marketplace", "apparel", "electronics")
"""Where a fraudster's onboarded merchant sells, once P2P collect has ended: online shops whose
genuine customers pay sums like the script's (INR 300 to about 10,000); a digital-goods or
gaming shop, whose genuine payments are INR 100-500, asking for thousands was a tell of the
generator, not of the scam."""


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    from fraudforge.engine.fraud.mechanics import settle, transfer_amounts
    from fraudforge.engine.session import YOUNG_MERCHANT_TRIES, young_merchants, young_payees

    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 1, 4)
    part, pos = expand(k)
    ts = np.asarray(parts.t0[part] + pos * rng.integers(60, 8 * 60, part.size), dtype=np.int64)
    # The script asks a little more each time: INR 500-2,000 first, up to the limit.
    first = rng.uniform(300.0, 1_500.0, n)
    want = np.minimum(first[part] * (1.0 + 0.4 * pos), P2P_COLLECT_LIMIT_INR)
    cutoff = int((P2P_COLLECT_END - dt.date(1970, 1, 1)).days) * 86_400
    p2p = (parts.t0 >= 0) & (parts.t0 < cutoff)
    payee = young_payees(ctx, parts.t0, HANDLE_DAYS, parts.cust)
    category = np.where(p2p[part], mkt.CAT["p2p"], mkt.CAT["marketplace"])
    merchant = None
    if not p2p.all():
        # One onboarded merchant per incident: an online shop with a young address.
        cats = np.array([mkt.CAT[c] for c in MERCHANT_CATEGORIES])
        shop = young_merchants(ctx, parts.t0, rng.choice(cats, size=(n, YOUNG_MERCHANT_TRIES)))
        merchant = np.where(p2p[part], -1, shop[part])
        category = np.where(p2p[part], category, ctx.merchants.category[shop][part])
    # A merchant's collect request is for an odd sum in whole rupees (a "deposit", a "fee"),
    # as UPI merchant payments are, and not held to the P2P limit.
    price = np.round(first[part] * (1.0 + 0.6 * pos) * rng.uniform(1.0, 2.5, part.size))
    amount = np.where(p2p[part], transfer_amounts(rng, want), np.maximum(price, 1.0))
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=amount,
        mode=np.full(part.size, mkt.MODE["upi"]),
        category=category,
        online=np.ones(part.size, dtype=bool),
        merchant=merchant,
        txn_type=np.where(p2p[part], mkt.TXN["p2p_transfer"], mkt.TXN["purchase"]),
        payee=payee[part],
    )
    rows["upi_via"] = mkt.UPI_INITIATION["collect"]
    settle(ctx, rows, risk=RISK)
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="upi_collect_scam",
    code=16,
    description=__doc__ or "",
    weight=0.05,
    mean_rows=2.5,
    targets=(
        "UPI users selling on classifieds or expecting a refund or prize: older and less "
        "digitally savvy customers most"
    ),
    build=build,
    hours=HOURS_DAY,
    span_days=0.05,
    susceptibility=Susceptibility(
        age=(0.9, 0.9, 1.2, 1.8), savviness=(2.0, 1.0, 0.5), vulnerability=1.5
    ),
)
