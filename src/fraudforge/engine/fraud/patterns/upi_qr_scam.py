"""UPI QR code scam ("scan to receive"). A fraudster posing as a buyer of something the victim
sells on a classifieds site (OLX, Facebook Marketplace, Quikr), eager and unwilling to meet,
or as a shop's or an app's support desk promising a refund, sends a QR code over WhatsApp
"to receive the payment". The victim scans it in their UPI app (often from the photo gallery)
and enters their UPI PIN believing this confirms the money coming in; the QR is a pay request
to the fraudster's address, with the amount written into it, and the victim pays. Often a small
"token" or "advance" comes first, then a second and third QR "for the rest", each larger, within
minutes, while the victim waits for the money. Every payment is QR-initiated, person to person,
approved on the victim's own phone (their own device and app session, as any payment of
theirs), to a mule account: one opened or rented for the scam, which takes several victims'
money before it is reported. UPI's limits apply (INR 1 lakh a transfer and a day), and the
bank's rules decline a few. Sources: BharatSecure, "OLX UPI QR code fraud"
(https://bharatsecure.app/scams/olx-upi-qr-code-fraud-india-2026): a buyer sends a QR "to
receive" payment, scanning it and entering the PIN debits the seller; Business Today
(https://www.businesstoday.in/technology/story/what-is-qr-code-scam-how-to-stay-safe-from-such-online-frauds-330995-2022-04-24):
a QR on WhatsApp with the amount written on it; Hoax or Fact
(http://www.hoaxorfact.com/for-your-information/qr-code-scam-olx-online-payment-platforms.html):
a small token first, then a QR for the rest; StaySafeOnline, Government of India
(https://staysafeonline.in/concept/qr-code-scams/modus-operandi): the QR scanned from the photo
gallery, a fake support number found by search for a refund.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine import market as mkt
from fraudforge.engine.fraud.build import (
    ToMules,
    clip_to_period,
    counts_between,
    expand,
    label,
    make_rows,
)
from fraudforge.engine.fraud.mechanics import (
    UPI_DAILY_LIMIT_INR,
    escalating,
    over_limit,
    settle,
    transfer_amounts,
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

FIRST_MEDIAN_INR = 2_500.0
FIRST_SIGMA = 0.9
"""The first QR's amount (log-normal): a token, an advance or the refund promised; the
classifieds price of a phone, a bicycle or a fridge for some."""
GROWTH = (1.3, 3.0)
"""Each later QR asks this many times the one before ("the rest of the price")."""
LIMIT_ROOM = mkt.UPI_LIMIT_INR - 100.0
"""A QR asks at most UPI's per-transaction limit, after rounding."""
MULE_HANDLE_DAYS = 90.0
"""The mule's address is at most this old when opened for the scam."""
RENTED = 0.35
"""Mules that are existing accounts lent for a commission (an address of any age)."""
RISK = 0.05
"""Share of payments the bank's rules decline."""


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 1, 3)
    part, pos = expand(k)
    # Minutes apart: the victim waits on the phone for the money, the fraudster sends the next.
    ts = np.asarray(parts.t0[part] + pos * rng.integers(2 * 60, 12 * 60, part.size), np.int64)
    first = np.exp(np.log(FIRST_MEDIAN_INR) + FIRST_SIGMA * rng.standard_normal(n))
    want = escalating(rng, first[part], pos, GROWTH, LIMIT_ROOM)
    amount = transfer_amounts(rng, np.maximum(want, 100.0))
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=amount,
        mode=np.full(part.size, mkt.MODE["upi"]),
        category=np.full(part.size, mkt.CAT["p2p"]),
        txn_type=mkt.TXN["p2p_transfer"],
        payee=parts.peer[part],
    )
    rows["upi_via"] = mkt.UPI_INITIATION["qr"]
    refused = over_limit(
        part, rows["ts"], rows["amount"], np.ones(part.size, bool), UPI_DAILY_LIMIT_INR
    )
    settle(ctx, rows, risk=RISK, refused=refused)
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="upi_qr_scam",
    code=18,
    description=__doc__ or "",
    weight=0.04,
    mean_rows=2.0,
    targets=(
        "UPI users selling second-hand goods on classifieds (students and young adults among "
        "them) or expecting a refund: less digitally savvy customers most"
    ),
    build=build,
    schedule=ToMules(MULE_HANDLE_DAYS, RENTED),
    hours=HOURS_ONLINE,
    weekdays=WEEKDAYS_WEEKEND,
    span_days=0.05,
    camouflage=("hour",),
    susceptibility=Susceptibility(
        age=(1.3, 1.1, 1.0, 1.2), savviness=(1.8, 1.0, 0.6), vulnerability=0.9
    ),
)
