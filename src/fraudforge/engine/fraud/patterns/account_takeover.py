"""Account takeover of a UPI or net-banking account. A fraudster posing as bank or app support
talks the victim into installing a screen-sharing app or reading out an OTP, then moves money to
accounts they control (mules, new payees of the victim): 2-4 transfers sized to what the account
holds, within the hour, and a quarter of the time an INR 1 check to the first payee a few
minutes before, the same habit careful customers have. In most UPI cases the transfers run on
the victim's own phone at home (remote access); otherwise the fraudster registers the victim's
UPI on a new device in another city (SIM swap, stolen OTP), where banks apply a cooling limit of
INR 5,000 for the first 24 hours. UPI's INR 1 lakh daily limit applies either way. A share of
takeovers (``NET_BANKING_SHARE``) use net-banking credentials phished with a fake bank page
instead: the fraudster logs in from their own device elsewhere and sends IMPS transfers to new
beneficiaries, which banks cap at INR 1 lakh in total over the first days. Transfers beyond a
limit are declined, as are some that the bank's rules or the victim's funds stop. As far as the
scenario's ``camouflage`` goes, transfers are sized like the victim's own transfers, to stay
under the bank's rules for unusual amounts. Instruments
follow Bureau and Praxis, "The Anatomy of Fraud 2023" (UPI 55 %, cards 18 %, internet banking
12 % of digital payment frauds; reported by Benzinga India,
https://in.benzinga.com/content/32416403/upi-related-frauds-dominate-digital-payments-landscape-in-india-report-finds).
Sources: SBI internet banking FAQ on new beneficiaries (INR 1 lakh in total to a new
beneficiary over the first 4 days); PhonePe help,
"transaction limits immediately after resetting my UPI PIN"
(https://cms.phonepe.com/mr/bank-accounts-bhim-upi-debitcredit-cards/bhim-upi/bhim-upi-pin/transaction-limits-immediately-after-resetting-my-bhim-upi-pin):
a cooling-off period with lower limits, then INR 1 lakh a day; NPCI's rules of 1 August 2025 as
reported (http://feed.ilidea.com/index.php/Index/details.html?id=11441186): INR 1 lakh and 20
transfers a day, INR 5,000 in the first 24 hours of a new registration.
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
from fraudforge.engine.fraud.mechanics import (
    NEW_DEVICE_LIMIT_INR,
    over_limit,
    over_upi_daily_limit,
    settle,
    transfer_amounts,
)
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.fraud.record import HOURS_DAY, WEEKDAYS_WORK, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext

NEW_DEVICE_SHARE = 0.4
"""Takeovers run from the fraudster's own device (the rest: remote access to the victim's)."""
TEST_SHARE = 0.25
"""Takeovers that check the first payee with INR 1 first (as genuine customers do)."""
DRAIN = (0.04, 0.15)
"""Each transfer takes this share of what the account typically holds: losses of INR 10,000
to 20,000 an incident for most accounts, as public UPI fraud figures show (``money_mule``)."""
LIMIT_ROOM = mkt.UPI_LIMIT_INR - 100.0
"""The largest transfer after rounding stays within UPI's per-transaction limit."""
RISK = 0.08
"""Share of transfers the bank's rules decline."""
NET_BANKING_SHARE = 0.25
"""Takeovers of net banking (phished login and OTP) rather than of the UPI app."""
BENEFICIARY_LIMIT_INR = 100_000.0
"""What a newly added net-banking beneficiary may receive in total over its first days."""


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    rng = ctx.rng
    n = len(parts)
    cu = ctx.customers
    k = counts_between(rng, n, 2, 4)
    probe = rng.random(n) < TEST_SHARE
    banking = rng.random(n) < NET_BANKING_SHARE
    # Net banking is always the fraudster's own browser; UPI sometimes the victim's phone.
    new_device = banking | (rng.random(n) < NEW_DEVICE_SHARE)
    part, pos = expand(k + probe)
    step = pos - probe[part]  # -1 for the INR 1 check
    test = step < 0
    gap = np.where(probe[part] & ~test, rng.integers(60, 600, part.size), 0)
    spacing = rng.integers(2 * 60, 15 * 60, part.size)
    ts = np.asarray(parts.t0[part] + np.maximum(step, 0) * spacing + gap, dtype=np.int64)
    funds = cu.funds[ctx.local(parts.cust)][part]
    fresh = new_device[part] & ~banking[part] & (step == 0)
    # From a new UPI device the first transfer is sized to the cooling limit, which the
    # fraudster knows; the rest take a share of what the account holds.
    want = np.where(
        fresh,
        rng.uniform(0.3, 1.0, part.size) * NEW_DEVICE_LIMIT_INR,
        funds * rng.uniform(*DRAIN, part.size),
    )
    # One transfer cannot pass UPI's limit: a larger want is a transfer somewhat under it.
    want = np.where(want > LIMIT_ROOM, LIMIT_ROOM * rng.uniform(0.5, 1.0, part.size), want)
    amount = np.where(test, 1.0, transfer_amounts(rng, np.maximum(want, 500)))
    home = cu.home_city[ctx.local(parts.cust)]
    away = rng.choice(geo.N_CITIES, size=n, p=geo.CITY_WEIGHT)
    away = np.where(away == home, (away + 1) % geo.N_CITIES, away)
    city = np.where(new_device, away, home)[part]
    payee = rng.integers(0, ctx.scenario.customers, part.size)
    # The INR 1 check goes to the payee of the first transfer (the next row).
    payee = np.where(test, np.roll(payee, -1), payee)
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=amount,
        mode=np.where(banking, mkt.MODE["net_banking"], mkt.MODE["upi"])[part],
        category=np.full(part.size, mkt.CAT["p2p"]),
        loc_city=city,
        txn_type=mkt.TXN["p2p_transfer"],
        payee=payee,
        device=np.where(new_device, fraudster_device(parts.scenario), -1)[part],
    )
    upi = ~banking[part]
    fresh = upi & new_device[part] & (ts - parts.t0[part] < 86_400)
    refused = over_limit(part, ts, amount, fresh, NEW_DEVICE_LIMIT_INR)
    refused |= over_upi_daily_limit(parts.cust[part], ts, amount, upi & ~refused)
    refused |= over_limit(part, ts, amount, ~upi, BENEFICIARY_LIMIT_INR)
    settle(ctx, rows, risk=np.where(test, 0.0, RISK), refused=refused)
    return label(ctx, rows, parts, part)


PATTERN = FraudPattern(
    name="account_takeover",
    code=2,
    description=__doc__ or "",
    weight=0.17,
    mean_rows=3.0 + TEST_SHARE,
    targets=(
        "UPI and net-banking users reached by phishing and fake support calls: older and less "
        "digitally savvy customers most"
    ),
    build=build,
    hours=HOURS_DAY,
    weekdays=WEEKDAYS_WORK,
    span_days=0.1,
    camouflage=("amount", "hour", "device"),
    susceptibility=Susceptibility(
        age=(0.7, 0.8, 1.2, 2.5), savviness=(2.5, 1.0, 0.4), vulnerability=1.5
    ),
    device_reuse=1.5,
    remote_access=0.1,
    sim_swap=0.2,
    device_prepared_days=0.0,
)
