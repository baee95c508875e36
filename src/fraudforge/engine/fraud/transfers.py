"""Fraud that moves money between people: money mules and structuring below reporting
thresholds."""

from __future__ import annotations

import numpy as np

from fraudforge.engine import catalog as cat
from fraudforge.engine.context import ShardContext
from fraudforge.engine.fraud.build import clip_to_period, counts_between, expand, label, make_rows
from fraudforge.engine.fraud.schedule import ROLE_CASHOUT, ROLE_SENDER, Parts
from fraudforge.engine.rows import Rows

THRESHOLDS = np.array([10_000.0, 50_000.0, 100_000.0, 200_000.0])
"""Amounts that draw scrutiny (PAN quotation at 50k, the UPI limit at 1 lakh, 2 lakh cash rule)."""


def money_mule(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """Several accounts send P2P credits (5k-45k INR) to one mule account over up to three days;
    within hours of the last credit the mule withdraws 2-4 times at ATMs and forwards the rest to
    another account. Sender parts and the cash-out part may sit in different shards."""
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
            mode=np.where(amount <= cat.UPI_LIMIT_INR, cat.MODE["upi"], cat.MODE["net_banking"]),
            category=np.full(n, cat.CAT["p2p"]),
            txn_type=cat.TXN["p2p_transfer"],
            payee=senders.peer,
        )
        blocks.append(label(ctx, rows, senders, part, "money_mule"))
    if len(cashout):
        rng = ctx.rng
        n = len(cashout)
        k = counts_between(rng, n, 2, 4)
        part, pos = expand(k + 1)
        forward = pos == k[part]
        cash = np.minimum(
            rng.choice([10_000.0, 20_000.0], size=part.size), cashout.amount[part] / (k[part] + 1)
        )
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
                np.where(amount <= cat.UPI_LIMIT_INR, cat.MODE["upi"], cat.MODE["net_banking"]),
                cat.MODE["debit_card"],
            ),
            category=np.where(forward, cat.CAT["p2p"], cat.CAT["atm"]),
            txn_type=np.where(forward, cat.TXN["p2p_transfer"], cat.TXN["withdrawal"]),
            payee=cashout.peer[part],
        )
        blocks.append(label(ctx, rows, cashout, part, "money_mule"))
    return Rows.concat(blocks)


def amount_manipulation(ctx: ShardContext, parts: Parts, legit: Rows) -> Rows:
    """Structuring: one large sum is split into 3-6 transfers or jewellery purchases within two
    days, each just below a scrutiny threshold (10k, 50k, 1 lakh or 2 lakh INR)."""
    rng = ctx.rng
    n = len(parts)
    k = counts_between(rng, n, 3, 6)
    part, _ = expand(k)
    limit = rng.choice(THRESHOLDS, size=n)[part]
    amount = np.floor(limit - rng.uniform(1, 0.02 * limit))
    ts = parts.t0[part] + rng.integers(0, 2 * 86_400, part.size)
    p2p = rng.random(n)[part] < 0.6
    mode = np.where(
        p2p & (amount <= cat.UPI_LIMIT_INR),
        cat.MODE["upi"],
        np.where(p2p, cat.MODE["net_banking"], cat.MODE["debit_card"]),
    )
    rows = make_rows(
        ctx,
        cust=parts.cust[part],
        ts=clip_to_period(ctx, ts),
        amount=amount,
        mode=mode,
        category=np.where(p2p, cat.CAT["p2p"], cat.CAT["jewellery"]),
        txn_type=np.where(p2p, cat.TXN["p2p_transfer"], cat.TXN["purchase"]),
        payee=rng.integers(0, ctx.scenario.customers, part.size),
    )
    return label(ctx, rows, parts, part, "amount_manipulation")
