"""OTP and KYC-update phishing, spent on the victim's card. An SMS or a call tells the victim that
their KYC has expired, or their card is due for renewal, and the account or card will be
blocked today unless they update it at a link. The link opens a copy of the bank's page that
asks for the debit or credit card's number, expiry and CVV, then "a verification code": while
the victim types, the fraudster, often in another state, enters the card at online merchants
and the OTP the bank sends for each purchase is the code the victim keys into the fake page.
One to three purchases follow within minutes of the lure, as long as the victim keeps typing
codes: goods and vouchers that can be resold or redeemed at once (electronics, gift vouchers
on marketplaces, flight and train tickets), at the dear end of what those merchants sell, on the
card's credit or up to a debit card's daily limit, each authenticated with its OTP like a
genuine card payment. The issuer's rules (a device and place new to the card) and the card's
limits decline some. Each victim's purchases come from a device fingerprint of their own (an
anti-detect browser or a fresh emulator per card), so no device gathers victims. This is the
card variant of the KYC lure; phished net-banking logins
that move money by IMPS are ``account_takeover``'s, and the victim's own UPI app is not
touched (UPI registration needs the victim's SIM). Sources: SBI's advisory on KYC fraud, via
East Coast Daily
(https://www.eastcoastdaily.in/2021/11/11/never-click-this-link-sbi-issues-advisory-to-all-customers.html):
an SMS that the account is suspended for KYC, with a link; Mint via HT Syndication
(https://www.htsyndication.com/mint/article/kyc-fraud-explained%3A-what-it-is-and-how-to-stay-safe-from-scams/90922224):
"your account will be blocked by 5:30 PM. Update your KYC here"; Daijiworld
(https://daijiworld.com./news/newsDisplay?newsID=843775): a copy of the bank's site, the OTP
collected; Greater Kashmir
(https://www.greaterkashmir.com/news/kashmir/cyber-police-outsmarts-fraudster/): card details
and OTP given for a "card renewal", INR 52,000 gone within minutes; Free Press Journal
(https://www.freepressjournal.in/mumbai/mumbai-golden-hour-helps-cyber-fraud-victim-recover-rs-47500):
card details typed into a form, the money spent on vouchers of a retail chain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine.fraud.build import counts_between, expand
from fraudforge.engine.fraud.card_loot import card_loot
from fraudforge.engine.fraud.mechanics import far_city
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import HOURS_DAY, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext

CREDIT_SHARE = 0.35
"""Incidents, among credit card holders, that phish the credit card (a "card renewal" or
"reward points" lure) rather than the debit card of the account whose KYC "expired"."""
FAR_SHARE = 0.5
"""Incidents seen from another city (the phishing hubs); the rest appear in the victim's own
(a proxy or a local gang)."""
RISK = 0.12
"""Share of purchases the issuer's rules decline (a device and place new to the card)."""


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    rng = ctx.rng
    cu = ctx.customers
    n = len(parts)
    k = counts_between(rng, n, 1, 3)
    part, pos = expand(k)
    c = ctx.local(parts.cust)
    # Minutes after the victim opens the link, one purchase per OTP the victim keys in.
    ts = parts.t0[part] + rng.integers(2 * 60, 10 * 60, part.size) * (pos + 1)
    credit = cu.has_credit[c] & (rng.random(n) < CREDIT_SHARE)
    home = cu.home_city[c]
    city = np.where(rng.random(n) < FAR_SHARE, far_city(rng, home), home)
    return card_loot(ctx, parts, part, ts, credit, city, risk=RISK)


PATTERN = FraudPattern(
    name="phishing_otp",
    code=20,
    description=__doc__ or "",
    weight=0.03,
    mean_rows=2.0,
    targets=(
        'bank customers sent "KYC expired" or "card blocked" messages: older and less '
        "digitally savvy customers most"
    ),
    build=build,
    hours=HOURS_DAY,
    span_days=0.05,
    camouflage=("hour",),
    susceptibility=Susceptibility(
        age=(0.5, 0.8, 1.3, 2.5), savviness=(2.5, 1.0, 0.3), vulnerability=0.9
    ),
)
