"""Fake customer care (vishing with a remote-access app). The victim, chasing a refund, a failed
recharge or a courier, searches for a company's or bank's helpline and calls a number the
fraudster planted in search results or on social media, or is called by a "bank officer" warning
that a card or account will be blocked. To "process the refund" the agent has the victim install
a screen-sharing or remote-access app (AnyDesk, TeamViewer QuickSupport) and read out its code,
then open their UPI or banking app: from then on the fraudster watches the PIN typed and makes
transfers on the victim's own phone, in the victim's own app session, while the app's check sees
the remote-access tool running in about half of the sessions (not every UPI or bank app checks
for such tools, and not every tool is caught). Two to five transfers to new payees (mule
accounts) follow within an hour, each larger than the last as the fraudster learns what the
account holds; in some incidents the larger sums go by IMPS in the bank's app, within what a new
beneficiary may receive; in a few the fraudster, holding the phone, also registers the victim's
UPI on a phone of their own (the SMS binding sent from the victim's phone) and sends from it,
within NPCI's INR 5,000 for a new registration's first 24 hours. UPI's INR 1 lakh a day applies
and the bank's rules decline some. Unlike an account takeover (``account_takeover``), the victim
is present and logged in, the session is the victim's own, and the payments escalate.
Sources: RBI's alert to banks of 14 February 2019 on
AnyDesk, via Moneycontrol
(https://www.moneycontrol.com/news/business/companies/anydesk-app-a-major-cybersecurity-threat-for-banks-rbi-warns-3573641.html)
and The Hindu BusinessLine
(https://www.thehindubusinessline.com/money-and-banking/beware-of-the-any-desk-app-warns-rbi/article26304419.ece/amp):
"the victim's money is gone from a transaction from their own device"; The New Indian Express
(https://www.newindianexpress.com/cities/kochi/2023/apr/04/fraudster-swindles-rs-43-lakh-from-uk-returnee-2562396.html):
a bank helpline found by search, AnyDesk, INR 4.3 lakh moved within the hour; Sify / IANS
(https://www.sify.com/news/kashmir-cyber-police-recovers-rs-13l-lost-in-multiple-cyber-frauds-news-national-vflikubaddjjd.html):
a fake airline call centre, TeamViewer QuickSupport, the banking app opened for the fraudster.
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
    fraudster_device,
    label,
    make_rows,
)
from fraudforge.engine.fraud.mechanics import (
    NEW_DEVICE_LIMIT_INR,
    escalating,
    over_limit,
    over_upi_daily_limit,
    settle,
    transfer_amounts,
)
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import HOURS_DAY, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext

FIRST_SHARE = (0.03, 0.10)
"""The first transfer takes this share of what the account typically holds."""
GROWTH = (1.3, 2.0)
"""Each later transfer is this many times the one before."""
LIMIT_ROOM = mkt.UPI_LIMIT_INR - 100.0
"""A UPI transfer stays within UPI's per-transaction limit, after rounding."""
IMPS_SHARE = 0.3
"""Incidents whose transfers after the first two go by IMPS in the bank's app."""
NEW_DEVICE_SHARE = 0.1
"""Incidents in which the fraudster also registers the victim's UPI on a phone of their own
and sends from it after the first transfer."""
SAME_MULE = 0.5
"""Later transfers that go to the incident's first mule again (the rest to other new payees)."""
MULE_HANDLE_DAYS = 60.0
"""A mule's address is at most this old when opened for the scam."""
RENTED = 0.35
"""Mules that are existing accounts lent for a commission (an address of any age)."""
RISK = 0.08
"""Share of transfers the bank's rules decline."""


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    from fraudforge.engine.fraud.patterns.account_takeover import BENEFICIARY_LIMIT_INR
    from fraudforge.engine.session import young_payees

    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 2, 5)
    part, pos = expand(k)
    ts = np.asarray(parts.t0[part] + pos * rng.integers(4 * 60, 18 * 60, part.size), np.int64)
    funds = ctx.customers.funds[ctx.local(parts.cust)]
    first = funds * rng.uniform(*FIRST_SHARE, n)
    imps = (rng.random(n) < IMPS_SHARE)[part] & (pos >= 2)
    new_device = (rng.random(n) < NEW_DEVICE_SHARE)[part] & (pos >= 1) & ~imps
    room = np.where(imps, BENEFICIARY_LIMIT_INR, LIMIT_ROOM)
    want = escalating(rng, first[part], pos, GROWTH, room)
    want = np.where(new_device, rng.uniform(0.4, 1.0, part.size) * NEW_DEVICE_LIMIT_INR, want)
    amount = transfer_amounts(rng, np.maximum(want, 500.0))
    other = young_payees(ctx, ts, MULE_HANDLE_DAYS, parts.cust[part])
    payee = np.where((pos == 0) | (rng.random(part.size) < SAME_MULE), parts.peer[part], other)
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=amount,
        mode=np.where(imps, mkt.MODE["net_banking"], mkt.MODE["upi"]),
        category=np.full(part.size, mkt.CAT["p2p"]),
        txn_type=mkt.TXN["p2p_transfer"],
        payee=payee,
        device=np.where(new_device, fraudster_device(parts.scenario)[part], -1),
    )
    rows["upi_via"] = np.where(imps, -1, mkt.UPI_INITIATION["pay"])
    upi = ~imps
    refused = over_limit(part, rows["ts"], rows["amount"], upi & new_device, NEW_DEVICE_LIMIT_INR)
    refused |= over_upi_daily_limit(rows["cust"], rows["ts"], rows["amount"], upi & ~refused)
    refused |= over_limit(part, rows["ts"], rows["amount"], imps, BENEFICIARY_LIMIT_INR)
    settle(ctx, rows, risk=RISK, refused=refused)
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="customer_care_scam",
    code=19,
    description=__doc__ or "",
    weight=0.05,
    mean_rows=3.5,
    targets=(
        "customers who look up a helpline for a refund or a complaint, or take a call from "
        'their "bank": older and less digitally savvy customers most'
    ),
    build=build,
    schedule=ToMules(MULE_HANDLE_DAYS, RENTED),
    hours=HOURS_DAY,
    span_days=0.1,
    camouflage=("hour",),
    susceptibility=Susceptibility(
        age=(0.6, 0.9, 1.3, 2.2), savviness=(2.2, 1.0, 0.4), vulnerability=0.9
    ),
    remote_access=0.5,
    device_prepared_days=0.0,
)
