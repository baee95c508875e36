"""Investment and task scam ("work from home: like videos, rate hotels", Telegram and WhatsApp
trading groups, fake trading apps). A message on WhatsApp or Telegram offers easy money for
liking videos or rating hotels, or a place in a "VIP" trading group; the first tasks are paid
(INR 50-250 a task, a few hundred in all) from an account of the gang's, then the victim is
asked to "top up" or "invest" for a prepaid task or a trading plan: a first deposit of a few
hundred to a few thousand rupees comes back with a commission within hours, so the next, larger
deposit follows. From then on the gains are only shown on the website: the victim sends
escalating transfers over days to weeks (three to nine deposits, each larger than the last until
the victim's savings run short), to several accounts the gang rotates every few days, and at the
end pays "withdrawal fees" or "taxes" of a tenth to a third of what the site shows, and never
gets the money out. Every payment is made by the victim on their own phone, to mule accounts
that the gang uses for all its victims of those days: accounts opened for it weeks before (young
UPI addresses), or existing accounts of students and unemployed youths rented for a commission.
UPI carries deposits up to its INR 1 lakh a day; larger ones, and some from INR 25,000 as the
group asks, go by IMPS in the bank's app (at most INR 2 lakh each); the bank declines deposits
beyond the UPI daily limit and some by its fraud rules (more of the large ones). The returns are
the mule account's own P2P transfers to the victim, labelled as part of the incident (a bank
sees the mule's outgoing payment); the victim reports when the withdrawal fails, so a return's
label is known only a report delay after the incident's usual length. Sources: I4C's figures for
January-September 2024, stock trading scams INR 4,636 crore in 2,28,094 complaints and
investment scams INR 3,216 crore in 1,00,360, together 69 % of the INR 11,333 crore of
cyber-fraud losses (Business Standard, 27 November 2024,
https://business-standard.com/india-news/rs-11-333-crore-lost-in-cyber-frauds-till-sep-pm-warns-of-digital-arrest-124112700589_1.html);
the mechanism, as Chennai police described it: paid likes, a small investment with a minor
return, then bigger ones, then processing and withdrawal fees (The New Indian Express, 3 April
2023,
https://www.newindianexpress.com/states/tamil-nadu/2023/apr/03/part-time-jobs-new-tool-in-online-scammers-arsenal-2562150.html);
Mumbai task-fraud cases, INR 150-200 first payments, then prepaid tasks, INR 28.51 lakh to four
accounts in three days (Business Standard, 21 May 2024,
https://business-standard.com/finance/personal-finance/mumbai-women-lose-rs-53-lakh-to-task-fraud-latest-scam-decoded-124052100319_1.html);
INR 14.25 lakh to eight accounts over ten days (Moneycontrol,
https://www.moneycontrol.com/news/trends/features/job-scams-like-subscribe-and-get-paid-have-you-fallen-for-work-from-home-frauds-10574021.html);
accounts taken on rent from students and unemployed youths for INR 1,500-10,000 a month (Pune
Mirror,
https://punemirror.com/pune/crime/pune-cyber-crime-news-mule-account-holders-end-up-behind-bars/cid1735043677.htm).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fraudforge.engine import market as mkt
from fraudforge.engine.fraud.build import clip_to_period, expand, label, make_rows
from fraudforge.engine.fraud.parts import ROLE_MAIN, Parts
from fraudforge.engine.fraud.record import HOURS_ONLINE, FraudPattern, Susceptibility
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext
    from fraudforge.engine.fraud.schedule import IncidentDraw

ROLE_RETURN = 3
"""A part that is a mule account's "return" to the victim (its own P2P transfer)."""
DEPOSITS = (3, 9)
"""Deposits one victim makes, fees included."""
LENGTH_DAYS = (2.0, 24.0)
"""From the first deposit to the last (uniform)."""
FIRST_DEPOSIT_MEDIAN_INR = 1_500.0
"""The first "prepaid task" or trial investment: log-normal around this, INR 200-10,000."""
GROWTH = (1.6, 2.8)
"""Each deposit is this many times the one before (uniform per incident), until savings run
short (``SAVINGS_SHARE`` of the account's usual balance per deposit at most)."""
SAVINGS_SHARE = (0.4, 0.9)
FEE_SHARE = 0.6
"""Incidents that end with one or two "withdrawal fee" or "tax" deposits."""
FEE_OF_BALANCE = (0.1, 0.3)
"""A fee is this share of what the victim has deposited so far (the "balance" shown)."""
TASK_PAY_SHARE, FIRST_RETURN_SHARE, SECOND_RETURN_SHARE = 0.6, 0.9, 0.4
"""Incidents whose victim is first paid for tasks (before any deposit), whose first deposit
comes back with a commission, and whose second does too."""
TASK_PAY_INR = (100.0, 1_000.0)
COMMISSION = (1.2, 1.6)
"""A returned deposit comes back as this multiple of it."""
VICTIMS_PER_GANG = 4.0
"""Victims one gang runs in the period, on average: its mule accounts take all their money."""
MULE_SHIFT_DAYS = 4.0
"""A gang rotates its receiving accounts this often (two in use at a time)."""
MULE_HANDLE_DAYS = 60.0
"""A mule account opened for the gang has a UPI address at most this old when the gang starts
using it."""
RENTED_SHARE = 0.4
"""Mule accounts that are someone's existing account rented to the gang for a commission (a
student's, an unemployed youth's), with an address of any age."""
UPI_SHARE_MID = 0.6
"""Deposits of INR 25,000 to 1 lakh sent by UPI (the rest by IMPS, as the group asks)."""
NET_BANKING_MAX_INR = 200_000.0
"""The largest IMPS transfer a victim makes in the bank's app."""
RISK, RISK_LARGE = 0.04, 0.12
"""Share of deposits the bank's rules decline (``RISK_LARGE`` for those above INR 50,000)."""
REPORT_AFTER_RETURN_DAYS = 10.0
"""Mean days from a return to the victim's report (about an incident's length): the delay, on
top of the scenario's, before a return's label is known."""
MULES = Susceptibility(
    age=(3.0, 1.4, 0.5, 0.1), segments=(("student", 2.0), ("budget", 1.5)), vulnerability=0.5
)
"""Who rents out a mule account (as ``money_mule``'s mules)."""


def schedule(draw: IncidentDraw, n: int) -> Parts:
    """Each incident's deposits (the victim's parts, one per deposit) and returns (the mule
    accounts' parts), with the gang's mule accounts of the day as payees and payers."""
    rng = draw.rng
    victim = draw.customers(n)
    t0 = draw.times(n)
    k = rng.integers(DEPOSITS[0], DEPOSITS[1] + 1, n)
    inc, pos = expand(k)
    length = rng.uniform(*LENGTH_DAYS, n)
    offset = np.where(pos == 0, 0.0, rng.random(inc.size) * length[inc])
    t_dep = draw.later(t0[inc] + (offset * 86_400).astype(np.int64), 1)
    t_dep = np.where(pos == 0, t0[inc], t_dep)
    t_dep = np.sort(t_dep + inc * (1 << 40)) - inc * (1 << 40)  # in time order per incident
    # Escalation: each deposit a multiple of the one before; fees at the end (amounts are
    # capped by the victim's savings in the builder, which sees them).
    first = np.clip(FIRST_DEPOSIT_MEDIAN_INR * rng.lognormal(0.0, 0.7, n), 200.0, 10_000.0)
    want = first[inc] * rng.uniform(*GROWTH, n)[inc] ** pos
    fees = np.where(rng.random(n) < FEE_SHARE, rng.integers(1, 3, n), 0)
    is_fee = pos >= (k - np.minimum(fees, k - 2))[inc]
    invested = np.where(is_fee, 0.0, want)
    total = np.r_[0.0, np.cumsum(invested)]
    balance = total[np.r_[0, np.cumsum(k)][1:]][inc] - total[np.r_[0, np.cumsum(k)][:-1]][inc]
    want = np.where(is_fee, balance * rng.uniform(*FEE_OF_BALANCE, inc.size), want)
    gang = rng.integers(0, max(round(n / VICTIMS_PER_GANG), 1), n)
    deposits = draw.parts(
        inc.size,
        scenario=inc,
        cust=victim[inc],
        t0=t_dep,
        peer=_mules(draw, gang[inc], t_dep, victim[inc]),
        amount=np.maximum(want, 1.0),
        role=np.full(inc.size, ROLE_MAIN),
    )
    # Returns: task pay before the first deposit, then the first one or two deposits back.
    first_at = np.r_[0, np.cumsum(k)][:-1]
    kinds = (
        (rng.random(n) < TASK_PAY_SHARE, -1),
        (rng.random(n) < FIRST_RETURN_SHARE, 0),
        (rng.random(n) < SECOND_RETURN_SHARE, 1),
    )
    ret_inc = np.concatenate([np.flatnonzero(has) for has, _ in kinds])
    step = np.concatenate([np.full(int(has.sum()), s) for has, s in kinds])
    dep = first_at[ret_inc] + np.maximum(step, 0)
    hours = rng.uniform(0.2, 6.0, ret_inc.size) * 3_600
    t_ret = np.where(
        step < 0, t_dep[dep] - rng.uniform(1.0, 48.0, ret_inc.size) * 3_600, t_dep[dep] + hours
    ).astype(np.int64)
    back = np.where(
        step < 0,
        rng.uniform(*TASK_PAY_INR, ret_inc.size),
        want[dep] * rng.uniform(*COMMISSION, ret_inc.size),
    )
    returns = draw.parts(
        ret_inc.size,
        scenario=ret_inc,
        cust=_mules(draw, gang[ret_inc], t_ret, victim[ret_inc]),
        t0=t_ret,
        peer=victim[ret_inc],
        amount=back,
        role=np.full(ret_inc.size, ROLE_RETURN),
    )
    return Parts.concat([deposits, returns])


def _mules(draw: IncidentDraw, gang: np.ndarray, t: np.ndarray, avoid: np.ndarray) -> np.ndarray:
    """The mule account a gang uses at each time: one of the two of its current shift, each
    the same for every payment of the shift (a function of the seed, the gang, the shift and
    the slot), drawn by ``MULES`` among accounts no pattern reserves: an account opened for the
    gang, its UPI address at most ``MULE_HANDLE_DAYS`` old at the shift's start, or one rented
    (``RENTED_SHARE``), of any age; never ``avoid`` (the victim)."""
    from fraudforge.engine.ids import mix63
    from fraudforge.engine.session import handle_created

    people = draw.people
    shift_s = int(MULE_SHIFT_DAYS * 86_400)
    shift = (t - draw.t_start) // shift_s
    slot = draw.rng.integers(0, 2, t.shape[0])
    key = (gang * 100_000 + shift + 50_000) * 2 + slot
    uniq, inv = np.unique(key, return_inverse=True)
    start = draw.t_start + ((uniq // 2) % 100_000 - 50_000) * shift_s
    created, _ = handle_created(
        np.arange(people.n), np.zeros(people.n, dtype=bool), draw.t_start + draw.span
    )
    w = people.weights(MULES)
    w[draw.reserved] = 0.0
    order = np.argsort(created, kind="stable")
    cum = np.r_[0.0, np.cumsum(w[order])]
    lo = np.searchsorted(created[order], start - int(MULE_HANDLE_DAYS * 86_400))
    hi = np.searchsorted(created[order], start, side="right")
    h = mix63(uniq.astype(np.uint64) ^ np.uint64(draw.scenario.seed & ((1 << 63) - 1)))
    u = (np.asarray(h, dtype=np.uint64) >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    rented = (np.asarray(h, dtype=np.uint64) & np.uint64(1023)).astype(np.float64) < (
        RENTED_SHARE * 1024
    )
    lo, hi = np.where(rented, 0, lo), np.where(rented, people.n, hi)
    got = np.searchsorted(cum, cum[lo] + u * (cum[hi] - cum[lo]), side="right") - 1
    mule = order[np.clip(got, lo, np.maximum(hi - 1, lo))]
    mule = np.where(hi > lo, mule, draw.parties(uniq.size))[inv]
    clash = np.flatnonzero(mule == avoid)
    mule[clash] = draw.parties(clash.size)
    return np.asarray(mule, dtype=np.int64)


def build(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """The rows of a shard's parts of this pattern: the victims' deposits and the mules'
    returns."""
    from fraudforge.engine.fraud.mechanics import (
        over_upi_daily_limit,
        settle,
        transfer_amounts,
    )

    rng = ctx.rng
    blocks = []
    deposits = parts.take(parts.role == ROLE_MAIN)
    if len(deposits):
        n = len(deposits)
        funds = ctx.customers.funds[ctx.local(deposits.cust)]
        cap = np.minimum(funds * rng.uniform(*SAVINGS_SHARE, n), NET_BANKING_MAX_INR)
        amount = transfer_amounts(rng, np.minimum(deposits.amount, cap))
        mid = (amount > 25_000) & (rng.random(n) >= UPI_SHARE_MID)
        upi = (amount <= mkt.UPI_LIMIT_INR) & ~mid
        rows = make_rows(
            ctx,
            cust=deposits.cust,
            ts=clip_to_period(ctx, deposits.t0),
            amount=amount,
            mode=np.where(upi, mkt.MODE["upi"], mkt.MODE["net_banking"]),
            category=np.full(n, mkt.CAT["p2p"]),
            online=np.ones(n, dtype=bool),
            txn_type=mkt.TXN["p2p_transfer"],
            payee=deposits.peer,
        )
        rows["upi_via"] = np.where(upi, mkt.UPI_INITIATION["pay"], -1)
        # UPI's daily limit per victim and day; what the victim tries beyond it is refused.
        refused = over_upi_daily_limit(rows["cust"], rows["ts"], rows["amount"], upi)
        risk = np.where(rows["amount"] > 50_000, RISK_LARGE, RISK)
        settle(ctx, rows, risk=risk, refused=refused)
        # One incident, one report: the confirmation time of every deposit is the same.
        incident = np.unique(deposits.scenario, return_index=True, return_inverse=True)
        blocks.append(label(ctx, rows, deposits.take(incident[1]), incident[2]))
    returns = parts.take(parts.role == ROLE_RETURN)
    if len(returns):
        n = len(returns)
        part = np.arange(n, dtype=np.int64)
        rows = make_rows(
            ctx,
            cust=returns.cust,
            ts=clip_to_period(ctx, returns.t0),
            amount=transfer_amounts(rng, returns.amount),
            mode=np.full(n, mkt.MODE["upi"]),
            category=np.full(n, mkt.CAT["p2p"]),
            online=np.ones(n, dtype=bool),
            txn_type=mkt.TXN["p2p_transfer"],
            payee=returns.peer,
        )
        rows["upi_via"] = mkt.UPI_INITIATION["pay"]
        settle(ctx, rows, funded=np.ones(n, dtype=bool))
        delay = ctx.scenario.label_delay_days + REPORT_AFTER_RETURN_DAYS
        blocks.append(label(ctx, rows, returns, part, delay_days=delay))
    return Rows.concat(blocks)


PATTERN = FraudPattern(
    name="investment_scam",
    code=21,
    description=__doc__ or "",
    weight=0.08,
    mean_rows=6.0 + TASK_PAY_SHARE + FIRST_RETURN_SHARE + SECOND_RETURN_SHARE,
    targets=(
        "salaried and self-employed adults looking for extra income or returns, reached on "
        "WhatsApp and Telegram: working-age professionals most, the young and the old less"
    ),
    build=build,
    schedule=schedule,
    hours=HOURS_ONLINE,
    span_days=LENGTH_DAYS[1],
    susceptibility=Susceptibility(
        age=(0.8, 1.5, 1.3, 0.6),
        segments=(("young_professional", 1.5), ("tech_savvy_millennial", 1.3), ("student", 0.6)),
        vulnerability=1.2,
    ),
    parties=MULES,
)
