"""A money mule account: someone recruited with a job offer or paid a commission lets criminals use
their account. Victims of scams (fake investments, part-time "tasks") pay into it by P2P transfer
(4-10 senders over up to three days, round figures around INR 5,000, within UPI's limit); within
hours of the last credit (in daylight) the mule takes the money out again: 2-4 ATM withdrawals in
the amounts ATMs pay out and within a debit card's daily cash limit, and one transfer of the rest
onward to the next account in the chain. The account pays from money that has just come in, so its
usual balance does not limit it; the bank's rules decline a few payments. One account serves
two to three such rounds, three at most, about two weeks apart, until victims' complaints get
it frozen (see ``build.MULE_MOST_VICTIMS``). Sender parts and the cash-out part may sit in different
shards.
Sources: RBI's caution on money mules
as reported by OfficeNewz (2022,
https://officenewz.com/2022/06/16/money-mule-allowing-others-to-use-your-bank-account-for-online-transfer-can-be-dangerous-online-safety-tips):
mules recruited with commissions, told to transfer the money on or withdraw it as cash;
Moneylife (https://www.moneylife.in/article/fraud-alert-illegal-payment-gateways-and-mule-bank-accounts/75513.html):
I4C's alert, money moved out of mule accounts as soon as it arrives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from fraudforge.engine import market as mkt
from fraudforge.engine.fraud.build import (
    clip_to_period,
    counts_between,
    expand,
    label,
    make_rows,
)
from fraudforge.engine.fraud.mechanics import ATM_DAILY_LIMIT_INR, atm_cash, settle
from fraudforge.engine.fraud.parts import ROLE_CASHOUT, ROLE_SENDER, Parts
from fraudforge.engine.fraud.record import HOURS_DAY, WEEKDAYS_WORK, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext
    from fraudforge.engine.fraud.schedule import IncidentDraw


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern."""
    senders = parts.take(parts.role == ROLE_SENDER)
    cashout = parts.take(parts.role == ROLE_CASHOUT)
    blocks = []
    if len(senders):
        n = len(senders)
        part = np.arange(n, dtype=np.int64)
        amount = senders.amount
        rows = make_rows(
            ctx,
            cust=senders.cust,
            ts=clip_to_period(ctx, senders.t0),
            amount=amount,
            mode=np.where(amount <= mkt.UPI_LIMIT_INR, mkt.MODE["upi"], mkt.MODE["net_banking"]),
            category=np.full(n, mkt.CAT["p2p"]),
            txn_type=mkt.TXN["p2p_transfer"],
            payee=senders.peer,
        )
        settle(ctx, rows, risk=RISK, funded=np.ones(n, dtype=bool))
        blocks.append(label(ctx, rows, senders, part))
    if len(cashout):
        rng = ctx.rng
        n = len(cashout)
        k = counts_between(rng, n, 2, 4)
        part, pos = expand(k + 1)
        forward = pos == k[part]
        scale = ctx.customers.amount_scale[ctx.local(cashout.cust)][part]
        room = np.minimum(cashout.amount / (k + 1), ATM_DAILY_LIMIT_INR / k)[part]
        cash = np.minimum(atm_cash(rng, scale, boost=ATM_BOOST), room)
        # Still an amount an ATM pays out (a multiple of 500).
        cash = np.maximum(np.floor(cash / 500) * 500, 500)
        withdrawn = np.bincount(part, weights=np.where(forward, 0.0, cash), minlength=n)
        rest = np.maximum(np.round(cashout.amount * 0.97 - withdrawn, -2), 1_000)
        amount = np.where(forward, rest[part], cash)
        ts = cashout.t0[part] + pos * rng.integers(10 * 60, 90 * 60, part.size)
        rows = make_rows(
            ctx,
            cust=cashout.cust[part],
            ts=clip_to_period(ctx, ts),
            amount=amount,
            mode=np.where(
                forward,
                np.where(amount <= mkt.UPI_LIMIT_INR, mkt.MODE["upi"], mkt.MODE["net_banking"]),
                mkt.MODE["debit_card"],
            ),
            category=np.where(forward, mkt.CAT["p2p"], mkt.CAT["atm"]),
            txn_type=np.where(forward, mkt.TXN["p2p_transfer"], mkt.TXN["withdrawal"]),
            payee=cashout.peer[part],
        )
        settle(ctx, rows, risk=RISK, funded=np.ones(part.size, dtype=bool))
        blocks.append(label(ctx, rows, cashout, part))
    return Rows.concat(blocks)


MULE_SENDERS = (4, 10)
CREDIT_MEDIAN_INR = 5_000.0
CREDIT_SIGMA = 0.9
"""A scam victim's payment into a mule account: log-normal (mean about INR 7,500), in round
figures, within UPI's limit. The Ministry of Finance's figures to Parliament put UPI fraud at
INR 1,087 crore in 13.42 lakh incidents in 2023-24 and INR 981 crore in 12.64 lakh in 2024-25,
about INR 8,000 an incident (IANS, 15 Dec 2025,
https://ianslive.in/upi-frauds-worth-rs-805-crore-witnessed-this-fiscal-so-far-minister--20251215175703);
Bureau and Praxis found half of UPI frauds below INR 10,000 (``account_takeover``)."""
ATM_BOOST = 4.0
"""Mules withdraw as a customer spending this many times more would."""
RISK = 0.03
"""Share of the incident's payments the bank's rules decline."""


def _cash_out_time(rng: np.random.Generator, last: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """An hour to half a day after the last credit; a mule who would be at an ATM before 06:00
    goes when it is light, between 06:00 and 08:00."""
    t = last + rng.integers(3_600, 12 * 3_600, last.shape[0])
    night = t % 86_400 < 6 * 3_600
    morning = t - t % 86_400 + 6 * 3_600 + rng.integers(0, 2 * 3_600, last.shape[0])
    return np.asarray(np.where(night, np.maximum(morning, last + 3_600), t), dtype=np.int64)


def schedule(draw: IncidentDraw, n: int) -> Parts:
    """Senders push P2P credits to a mule over up to three days; the mule then cashes out."""
    size = draw.group_sizes(n, MULE_SENDERS)
    mule = draw.customers(n)
    inc = np.repeat(np.arange(n), size)
    t_send = draw.later(np.repeat(draw.times(n), size), 3)
    raw = np.exp(np.log(CREDIT_MEDIAN_INR) + CREDIT_SIGMA * draw.rng.standard_normal(inc.size))
    step = np.where(draw.rng.random(inc.size) < 0.6, 500.0, 100.0)
    amount = np.clip(np.round(raw / step) * step, step, mkt.UPI_LIMIT_INR)
    senders = draw.parties(inc.size)
    clash = senders == mule[inc]
    senders[clash] = (senders[clash] + 1) % draw.scenario.customers
    send = draw.parts(
        inc.size,
        scenario=inc,
        cust=senders,
        t0=t_send,
        peer=mule[inc],
        amount=amount,
        role=np.full(inc.size, ROLE_SENDER),
    )
    last = np.zeros(n, dtype=np.int64)
    np.maximum.at(last, inc, t_send)
    total = np.bincount(inc, weights=amount, minlength=n)
    cash = draw.parts(
        n,
        scenario=np.arange(n),
        cust=mule,
        t0=_cash_out_time(draw.rng, last),
        peer=draw.customers(n),
        amount=total,
        role=np.full(n, ROLE_CASHOUT),
    )
    return Parts.concat([send, cash])


PATTERN = FraudPattern(
    name="money_mule",
    code=13,
    description=__doc__ or "",
    weight=0.16,
    mean_rows=7.0 + 4.0,
    targets=(
        "mules: young, students and low-income account holders recruited with job offers;"
        " senders: victims of scams"
    ),
    build=build,
    schedule=schedule,
    hours=HOURS_DAY,
    weekdays=WEEKDAYS_WORK,
    span_days=4,
    susceptibility=Susceptibility(
        age=(3.0, 1.4, 0.5, 0.1), segments=(("student", 2.0), ("budget", 1.5)), vulnerability=0.5
    ),
    parties=Susceptibility(age=(0.8, 0.9, 1.2, 2.2), savviness=(2.2, 1.0, 0.5), vulnerability=1.5),
    reuse=2.5,
    reuse_most=3,
)
