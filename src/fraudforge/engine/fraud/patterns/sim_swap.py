"""SIM swap. A fraudster who has the victim's number and some personal details talks or bribes a
telecom outlet into issuing a duplicate SIM (a "lost SIM" replacement); the victim's phone loses
its signal. A new SIM gets no SMS for its first 24 hours (the Department of Telecommunications'
rule since November 2022), so the fraudster waits out that day; when SMS resumes, now receiving
the victim's OTPs, he registers the victim's bank account on UPI on his own phone (the SMS
device binding goes through the new SIM) and empties the account before the victim, who may not
yet have missed the signal, gets the number back: two to five transfers to new payees (mule
accounts opened or rented weeks before), often from another city, within a few hours. The first
24 hours of a new UPI registration allow INR 5,000 (NPCI's cooling limit), so the UPI transfers
stay under it and, in some incidents, larger sums go by IMPS in the bank's app with OTPs; UPI's
INR 1 lakh daily limit and the bank's rules decline some. Every such incident shows a SIM change
a day or two before a device binding, then the transfers (the record's ``sim_swap`` and
``device_prepared_days``). In some incidents the fraudster, who asked for the victim's card
number on a call "from the bank" before the swap, spends by card online instead, one to three
purchases of goods and vouchers confirmed with the OTPs the new SIM receives: card payments
reach the bank through the merchant's acquirer, so these rows carry no SIM or binding signal;
the victim's own later app payments show the changed SIM. Sources: RBI and bank advisories on
SIM swap fraud ("the fraudster gets a new SIM for your number and receives your OTPs"), e.g.
HDFC Bank (https://www.hdfcbank.com/personal/useful-links/security/security-measures/sim-swap-fraud);
Free Press Journal, 28 February 2022
(https://www.freepressjournal.in/mumbai/mumbai-sim-swap-fraud-on-rise-matunga-bizman-loses-rs-77-lakh):
a "bank" call asked for the debit card number, the phone lost its signal within three hours
and OTPs were used for the transactions;
NPCI's cooling limit of INR 5,000 in the first 24 hours of a new registration
(http://feed.ilidea.com/index.php/Index/details.html?id=11441186);
the SMS bar on a new SIM, Business Today, 16 November 2022
(https://www.businesstoday.in/technology/story/dot-issues-new-sms-rule-for-jio-airtel-and-vodafone-will-help-prevent-sms-fraud-353104-2022-11-16).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine import geo
from fraudforge.engine import market as mkt
from fraudforge.engine.fraud.build import (
    clip_to_period,
    counts_between,
    expand,
    fraudster_device,
    label,
    make_rows,
)
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import HOURS_DAY, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext
    from fraudforge.engine.fraud.build import I64

NEW_BENEFICIARY_LIMIT_INR = 50_000.0
"""What many banks let an account send to a newly added beneficiary by IMPS in its first day."""
MULE_HANDLE_DAYS = 60.0
"""The mules' addresses are at most this old."""
DRAIN = (0.2, 0.6)
"""Each IMPS transfer takes this share of what the account typically holds."""
RISK = 0.1
"""Share of transfers the bank's rules decline."""
IMPS_SHARE = 0.3
"""Incidents that move the larger sums by IMPS in the bank's app after the UPI transfers (the
rest stay on UPI, within the cooling limit, and come back for more another day)."""
LOCAL_SHARE = 0.5
"""Incidents run from the victim's own city (the fraudster is local, or the device's location
is not the fraudster's)."""
CARD_SHARE = 0.3
"""Incidents whose fraudster, holding the victim's card details (asked for on a call "from the
bank" before the swap), spends by card online with the OTPs the new SIM now receives instead
of registering UPI: card payments reach the bank through the merchant's acquirer, with no app
session, so no SIM or device-binding signal is on them."""
CARD_PURCHASES = (1, 3)
CARD_CREDIT_SHARE = 0.5
"""Such incidents, among credit card holders, that use the credit card (the rest the debit
card)."""


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern: transfers from a phone the fraudster
    registers, or (``CARD_SHARE``) card purchases online confirmed with the victim's OTPs."""
    by_card = ctx.rng.random(len(parts)) < CARD_SHARE
    blocks = [_transfers(ctx, parts.take(~by_card)), _card_purchases(ctx, parts.take(by_card))]
    return Rows.concat([b for b in blocks if len(b)])


def _seen_from(rng: np.random.Generator, home: I64) -> I64:
    """The city each incident is seen from: a city drawn by population, or for
    ``LOCAL_SHARE`` of incidents the victim's ``home``."""
    away = rng.choice(geo.N_CITIES, size=home.shape[0], p=geo.CITY_WEIGHT)
    return np.asarray(np.where(rng.random(home.shape[0]) < LOCAL_SHARE, home, away), np.int64)


def _card_purchases(ctx: ShardContext, parts: Parts) -> Rows:
    """1-3 online card purchases once the new SIM receives OTPs, from the fraudster's device and
    city (``card_loot``)."""
    from fraudforge.engine.fraud.card_loot import card_loot

    rng, cu, n = ctx.rng, ctx.customers, len(parts)
    k = counts_between(rng, n, *CARD_PURCHASES)
    part, pos = expand(k)
    c = ctx.local(parts.cust)
    ts = parts.t0[part] + pos * rng.integers(5 * 60, 30 * 60, part.size)
    credit = cu.has_credit[c] & (rng.random(n) < CARD_CREDIT_SHARE)
    return card_loot(ctx, parts, part, ts, credit, _seen_from(rng, cu.home_city[c]), risk=RISK)


def _transfers(ctx: ShardContext, parts: Parts) -> Rows:
    """2-5 transfers to young payees from a phone the fraudster registers after the swap."""
    from fraudforge.engine.fraud.mechanics import (
        NEW_DEVICE_LIMIT_INR,
        over_limit,
        over_upi_daily_limit,
        settle,
        transfer_amounts,
    )
    from fraudforge.engine.session import young_payees

    rng = ctx.rng
    cu = ctx.customers
    n = len(parts)
    k = counts_between(rng, n, 2, 5)
    part, pos = expand(k)
    # Registration comes first when SMS resumes on the new SIM; transfers follow minutes apart.
    ts = parts.t0[part] + pos * rng.integers(5 * 60, 40 * 60, part.size)
    # By UPI within the cooling limit; in some incidents the rest by IMPS in the bank's app.
    imps = rng.random(n) < IMPS_SHARE
    by_upi = ~imps[part] | (pos < rng.integers(1, 3, n)[part])
    funds = cu.funds[ctx.local(parts.cust)][part]
    want = np.where(
        by_upi,
        rng.uniform(0.4, 1.0, part.size) * NEW_DEVICE_LIMIT_INR,
        np.minimum(
            funds * rng.uniform(*DRAIN, part.size),
            NEW_BENEFICIARY_LIMIT_INR * rng.uniform(0.5, 1.0, part.size),
        ),
    )
    amount = transfer_amounts(rng, np.maximum(want, 500.0))
    away = _seen_from(rng, cu.home_city[ctx.local(parts.cust)])
    payee = young_payees(ctx, ts.astype(np.int64), MULE_HANDLE_DAYS, parts.cust[part])
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts.astype(np.int64)),
        amount=amount,
        mode=np.where(by_upi, mkt.MODE["upi"], mkt.MODE["net_banking"]),
        category=np.full(part.size, mkt.CAT["p2p"]),
        loc_city=away[part],
        txn_type=mkt.TXN["p2p_transfer"],
        payee=payee,
        device=fraudster_device(parts.scenario)[part],
    )
    rows["upi_via"] = np.where(by_upi, mkt.UPI_INITIATION["pay"], -1)
    upi = rows["mode"] == mkt.MODE["upi"]
    refused = over_limit(part, rows["ts"], rows["amount"], upi, NEW_DEVICE_LIMIT_INR)
    refused |= over_limit(part, rows["ts"], rows["amount"], ~upi, NEW_BENEFICIARY_LIMIT_INR)
    refused |= over_upi_daily_limit(rows["cust"], rows["ts"], rows["amount"], upi & ~refused)
    settle(ctx, rows, risk=RISK, refused=refused)
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="sim_swap",
    code=17,
    description=__doc__ or "",
    weight=0.02,
    mean_rows=0.7 * 3.5 + 0.3 * 2.0,
    targets=(
        "Account holders with money in the bank whose number and details leaked: affluent and "
        "older customers most"
    ),
    build=build,
    hours=HOURS_DAY,
    span_days=0.2,
    susceptibility=Susceptibility(
        age=(0.6, 0.9, 1.3, 1.6),
        segments=(("affluent", 2.0),),
        vulnerability=1.2,
    ),
    sim_swap=1.0,
    device_prepared_days=0.0,
)
