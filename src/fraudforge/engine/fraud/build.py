"""Building blocks the fraud patterns share: expanding parts into rows, making complete
transaction rows through the same merchant, placement and instrument logic as genuine activity,
and stamping the labels.

The pattern modules import this module, and the taxonomy imports the pattern modules, so it
stays light at import: the genuine generator's placement helpers are imported where used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from fraudforge.engine import market as mkt
from fraudforge.engine.fraud.parts import Parts
from fraudforge.engine.rows import Rows
from fraudforge.foundation.errors import ConfigError

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext
    from fraudforge.engine.fraud.schedule import IncidentDraw

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


def expand(counts: I64) -> tuple[I64, I64]:
    """Row -> part index and the row's position within its part, for ``counts`` rows per part."""
    part = np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    return part, np.arange(part.shape[0], dtype=np.int64) - starts[part]


def counts_between(rng: np.random.Generator, n: int, lo: int, hi: int) -> I64:
    """``n`` uniform integers in [lo, hi]."""
    return np.asarray(rng.integers(lo, hi + 1, n), dtype=np.int64)


FRAUDSTER_DEVICE = -2
"""Placeholder device of a row made from the fraudster's device: ``fraud_rows`` replaces it
with the device the incident's fraudster uses (the schedule's ``Parts.device``), which may serve
several incidents and comes from the customers' own device id space."""
NO_DEVICE = -1


def fraudster_device(scenario: I64) -> I64:
    """The fraudster's device for rows of the given incidents (a placeholder the shard resolves
    to the incident's device; never one of the victim's devices)."""
    return np.full(scenario.shape[0], FRAUDSTER_DEVICE, dtype=np.int64)


def pick_category(rng: np.random.Generator, n: int, names: tuple[str, ...]) -> I64:
    """Uniform choice among named categories."""
    return np.asarray(rng.choice([mkt.CAT[c] for c in names], size=n), dtype=np.int64)


def card_mode(ctx: ShardContext, cust: I64) -> I64:
    """Debit card, or the credit card for customers who have one, half the time."""
    has = ctx.customers.has_credit[ctx.local(cust)]
    credit = has & (ctx.rng.random(cust.shape[0]) < 0.5)
    return np.where(credit, mkt.MODE["credit_card"], mkt.MODE["debit_card"])


def credit_modes(ctx: ShardContext, cust: I64) -> I64:
    """Credit card, EMI or BNPL for customers with a credit card; BNPL or debit card otherwise."""
    rng = ctx.rng
    n = cust.shape[0]
    has = ctx.customers.has_credit[ctx.local(cust)]
    with_cc = rng.choice(
        [mkt.MODE["credit_card"], mkt.MODE["emi"], mkt.MODE["bnpl"]], size=n, p=[0.5, 0.3, 0.2]
    )
    without = rng.choice([mkt.MODE["bnpl"], mkt.MODE["debit_card"]], size=n, p=[0.6, 0.4])
    return np.asarray(np.where(has, with_cc, without), dtype=np.int64)


BIG_TICKET = ("electronics", "jewellery", "home_furnishing", "marketplace")
"""Categories where credit lines are maxed out (bust-outs of real and fabricated accounts)."""

EVERYDAY_SHOPS = ("grocery", "fuel", "restaurants", "pharmacy")
"""Shop categories present in every city: a subset of population.BASE_LOCAL_CATEGORIES, which
the merchant population guarantees (in this order, the draws that pick among them)."""


def make_rows(
    ctx: ShardContext,
    *,
    cust: I64,
    ts: I64,
    amount: F64,
    mode: I64,
    category: I64,
    loc_city: I64 | None = None,
    online: B | None = None,
    merchant: I64 | None = None,
    txn_type: int | I64 = mkt.TXN["purchase"],
    payee: I64 | None = None,
    device: I64 | None = None,
    status: I64 | None = None,
    loyalty_key: I64 | None = None,
) -> Rows:
    """Complete rows for given customers, times, amounts, modes and categories.

    Merchants are picked unless given: online ones where ``online`` is true, otherwise a shop in
    ``loc_city`` (default: home); where the city has no shop of the category, the row moves to
    an everyday category every city has (grocery, fuel, restaurants, pharmacy), so card-present
    fraud stays card-present. ``device`` (where >= 0) replaces the customer's own device; P2P
    rows (category ``p2p``) go to ``payee``; purchases from a biller are bill payments.
    ``loyalty_key`` (``population.loyalty_key``) makes the merchant one of the customer's own
    favourites, as for their genuine purchases: for fraud made of the customer's own purchases.
    """
    from fraudforge.engine.legit import channel_for, fill_instrument, place_rows
    from fraudforge.engine.population import pick_merchants

    rng, cu, me = ctx.rng, ctx.customers, ctx.merchants
    n = cust.shape[0]
    c = cust - cu.offset
    rows = Rows.empty(n)
    rows["cust"] = cust
    rows["ts"] = ts
    loc = cu.home_city[c] if loc_city is None else loc_city
    p2p = category == mkt.CAT["p2p"]
    if online is None:
        online = np.zeros(n, dtype=bool)
    if merchant is None:
        mcat = np.where(p2p, mkt.CAT["marketplace"], category)
        merchant, got_online = pick_merchants(rng, me, mcat, loc, online, loyalty_key)
        stray = ~online & ~p2p & (got_online | (me.city[merchant] != loc))
        if stray.any():
            k = int(stray.sum())
            category = category.copy()
            category[stray] = pick_category(rng, k, EVERYDAY_SHOPS)
            m2, o2 = pick_merchants(rng, me, category[stray], loc[stray], np.zeros(k, dtype=bool))
            merchant[stray], got_online[stray] = m2, o2
    else:
        got_online = me.is_online[np.maximum(merchant, 0)]
    merchant = np.where(p2p, -1, merchant)
    got_online = got_online & ~p2p
    rows["merchant"] = merchant
    rows["payee"] = np.where(p2p, -1 if payee is None else payee, -1)
    rows["amount"] = np.round(amount, 2)
    rows["mode"] = mode
    ttype = np.broadcast_to(np.asarray(txn_type, dtype=np.int64), (n,))
    # A payment to a biller (telecom, utilities, ...) is a bill payment, as genuine ones are.
    ttype = np.where(
        (ttype == mkt.TXN["purchase"]) & mkt.CAT_IS_BILL[category], mkt.TXN["bill_payment"], ttype
    )
    withdrawal = ttype == mkt.TXN["withdrawal"]
    rows["txn_type"] = ttype
    rows["channel"] = channel_for(mode, got_online, withdrawal, p2p, rng)
    rows["category"] = category
    rows["status"] = 0 if status is None else status
    place_rows(rng, cu, me, rows, loc, merchant, got_online)
    fill_instrument(rng, rows, cu)
    if device is not None:
        own = rows["device"] >= 0
        rows["device"] = np.where(own & (device != NO_DEVICE), device, rows["device"])
    return rows


def label(
    ctx: ShardContext,
    rows: Rows,
    parts: Parts,
    part_of_row: I64,
    delay_days: float | None = None,
) -> Rows:
    """Stamp fraud labels: the parts' pattern code, incident id, and a confirmation time shared
    by each part's rows (its last row plus a reporting delay, by default the scenario's
    ``label_delay_days``)."""
    rng = ctx.rng
    n_parts = len(parts)
    rows["fraud"] = parts.pattern[part_of_row]
    rows["scenario"] = parts.scenario[part_of_row]
    last = np.full(n_parts, np.iinfo(np.int64).min)
    np.maximum.at(last, part_of_row, rows["ts"])
    mean = ctx.scenario.label_delay_days if delay_days is None else delay_days
    delay = np.maximum(rng.gamma(4.0, mean / 4.0, n_parts) * 86_400, 3_600).astype(np.int64)
    rows["label_delay"] = (last + delay)[part_of_row] - rows["ts"]
    return rows


def unlabel(ctx: ShardContext, rows: Rows, genuine: npt.NDArray[np.bool_]) -> Rows:
    """Clear the fraud labels of the ``genuine`` rows of an incident (rows a fraudster makes
    that are no one's loss, such as a synthetic identity's paid-back history): no pattern, no
    incident, and the label delay genuine rows have."""
    rows["fraud"] = np.where(genuine, 0, rows["fraud"])
    rows["scenario"] = np.where(genuine, -1, rows["scenario"])
    delay = int(ctx.scenario.chargeback_delay_days * 86_400)
    rows["label_delay"] = np.where(genuine, delay, rows["label_delay"])
    return rows


def pick_weighted(rng: np.random.Generator, weight: F64, n: int) -> I64:
    """``n`` indices drawn with probability proportional to ``weight``."""
    cum = np.cumsum(weight)
    idx = np.searchsorted(cum, rng.random(n) * cum[-1], side="right")
    return np.asarray(np.minimum(idx, weight.shape[0] - 1), dtype=np.int64)


def later(rng: np.random.Generator, t: I64, days: int, hours: tuple[float, ...]) -> I64:
    """Times on one of the ``days`` days from ``t``'s own day (uniformly), at an hour drawn from
    ``hours`` (a pattern's hour profile), never before ``t`` (a time of day already past on that
    day moves to the next day): steps of an incident that spread over days at the hours the
    pattern keeps, rather than uniformly around the clock."""
    n = t.shape[0]
    day = t - t % 86_400 + rng.integers(0, max(days, 1), n) * 86_400
    hour = pick_weighted(rng, np.asarray(hours, dtype=np.float64), n)
    out = day + hour * 3_600 + rng.integers(0, 3_600, n)
    return np.asarray(np.where(out > t, out, out + 86_400), dtype=np.int64)


def clip_to_period(ctx: ShardContext, ts: I64) -> I64:
    """An incident's row times as they fall. Incidents may start before the period and run past
    its end (so the fraud rate is flat over the period); the shard drops the rows outside it
    after the pattern has built them (``fraud.generate.fraud_rows``), never moving a row to the
    period's edge."""
    return np.asarray(ts, dtype=np.int64)


def nearest_prior(row_cust: I64, row_ts: I64, cust: I64, t: I64) -> I64:
    """Position of each customer's latest row at or before ``t`` among rows given by their
    customer and time, which must be sorted by (customer, time); -1 where there is none."""
    if row_cust.shape[0] == 0:
        return np.full(cust.shape[0], -1, dtype=np.int64)
    c0 = int(min(row_cust.min(), cust.min(initial=row_cust.min())))
    t_min = int(min(row_ts.min(), t.min(initial=row_ts.min())))
    key = (row_cust - c0) * (1 << 36) + (row_ts - t_min)
    q = (cust - c0) * (1 << 36) + (t - t_min)
    pos = np.searchsorted(key, q, side="right") - 1
    ok = (pos >= 0) & (row_cust[np.maximum(pos, 0)] == cust)
    return np.asarray(np.where(ok, pos, -1), dtype=np.int64)


MODEL_TRIES = 8
"""Draws among a customer's genuine rows when looking for one of a given type."""


def same_type_model(
    rng: np.random.Generator, legit: Rows, txn_type: I64, lo: I64, hi: I64, fallback: I64
) -> I64:
    """For each row, one of its customer's genuine rows (``legit[lo:hi]``, ``hi > lo`` where
    any) of type ``txn_type``: the first of ``MODEL_TRIES`` random draws that has it, else
    ``fallback``. A few draws instead of an index by (customer, type) keep it cheap."""
    n = txn_type.shape[0]
    span = np.maximum(hi - lo, 1)
    draws = lo[:, None] + (rng.random((n, MODEL_TRIES)) * span[:, None]).astype(np.int64)
    draws = np.minimum(draws, np.maximum(hi - 1, lo)[:, None])
    hit = legit["txn_type"][np.minimum(draws, len(legit) - 1)] == txn_type[:, None]
    first = np.argmax(hit, axis=1)
    found = hit[np.arange(n), first] & (hi > lo)
    return np.asarray(np.where(found, draws[np.arange(n), first], fallback), dtype=np.int64)


HABITS = ("amount", "hour", "category", "device")
"""What a fraudster can imitate of the victim's own payments (``Scenario.camouflage``)."""


def imitate(
    ctx: ShardContext, rows: Rows, legit: Rows, habits: tuple[str, ...], strength: float
) -> Rows:
    """Make fraud rows imitate their customer's genuine habits, ``strength`` in [0, 1] (the
    scenario's ``camouflage``): each incident part copies one genuine payment of its customer
    (a random one of the shard's genuine rows) as its model.

    - ``amount``: each row's amount moves towards that of one of the customer's genuine
      payments of the same type (a transfer like their own transfers, a purchase like their
      purchases; any payment of theirs when they made none of that type), ``strength`` of the
      way in log terms (withdrawals and refunds keep theirs: ATM notes, the purchase they
      return); whole amounts stay whole.
    - ``hour``: with probability ``strength`` the part moves later, all rows together (the
      incident's own order and gaps kept), to the model's time of day (never earlier than it
      started: an account that goes dormant stays so).
    - ``category``: with probability ``strength`` the part's online purchases take the model's
      category at the customer's own favourite online merchant of it, as their genuine online
      purchases of it are made (where one exists and the model is not a bill); an
      amount that the new category's genuine purchases never reach (the loot of an electronics
      order on a food delivery) is drawn again from that category's model at the customer's
      spending level.
    - ``device``: with probability ``strength`` rows made from the fraudster's device use the
      customer's own device of the model instead (a remote-access app on the victim's phone).

    Customers without genuine rows (fabricated identities) keep their rows as built."""
    unknown = set(habits) - set(HABITS)
    if unknown:
        raise ConfigError(f"unknown habits {sorted(unknown)}: allowed are {', '.join(HABITS)}")
    n = len(rows)
    if n == 0 or strength <= 0 or not habits or len(legit) == 0:
        return rows
    rng = ctx.rng
    # Parts: rows sharing customer and incident.
    key = rows["scenario"] * 1_000_003 + rows["cust"]
    uniq, part = np.unique(key, return_inverse=True)
    first_row = np.full(uniq.shape[0], n, dtype=np.int64)
    np.minimum.at(first_row, part, np.arange(n))
    cust = rows["cust"][first_row]
    lo = np.searchsorted(legit["cust"], cust)
    hi = np.searchsorted(legit["cust"], cust, side="right")
    has = hi > lo
    model = np.where(has, lo + (rng.random(uniq.shape[0]) * (hi - lo)).astype(np.int64), 0)
    coin = has & (rng.random(uniq.shape[0]) < strength)
    m = model[part]
    ok = np.zeros(n, dtype=bool)
    recat = np.zeros(n, dtype=bool)
    built = rows["amount"].copy()
    if "amount" in habits:
        keep = (rows["txn_type"] == mkt.TXN["withdrawal"]) | (rows["txn_type"] == mkt.TXN["refund"])
        like = same_type_model(rng, legit, rows["txn_type"], lo[part], hi[part], m)
        ok = has[part] & ~keep & (rows["amount"] > 0) & (legit["amount"][like] > 0)
        a = rows["amount"]
        new = np.exp(
            (1 - strength) * np.log(np.maximum(a, 0.01))
            + strength * np.log(np.maximum(legit["amount"][like], 0.01))
        )
        whole = a == np.round(a)
        new = np.where(whole, np.maximum(np.round(new), 1.0), np.round(new, 2))
        rows["amount"] = np.where(ok, new, a)
    if "hour" in habits:
        day_s = rows["ts"][first_row] % 86_400
        shift = np.where(coin, (legit["ts"][model] - day_s) % 86_400, 0)
        rows["ts"] = rows["ts"] + shift[part]
    if "category" in habits:
        online = (rows["merchant"] >= 0) & ctx.merchants.is_online[np.maximum(rows["merchant"], 0)]
        want = legit["category"][m]
        at = np.flatnonzero(
            coin[part]
            & online
            & (rows["txn_type"] == mkt.TXN["purchase"])
            & (legit["merchant"][m] >= 0)
            & ~mkt.CAT_IS_BILL[want]
        )
        if at.size:
            from fraudforge.engine.population import loyalty_key, pick_merchants

            shop, got = pick_merchants(
                rng,
                ctx.merchants,
                want[at],
                rows["city"][at],
                np.ones(at.size, dtype=bool),
                loyalty_key(rows["cust"][at], want[at]),
            )
            at, shop = at[got], shop[got]
            rows["merchant"][at] = shop
            recat[at] = rows["category"][at] != want[at]
            rows["category"][at] = want[at]
    if "device" in habits:
        own = legit["device"][m]
        swap = coin[part] & (rows["device"] == FRAUDSTER_DEVICE) & (own >= 0)
        rows["device"] = np.where(swap, own, rows["device"])
    if ok.any() or recat.any():
        rows["amount"] = _within_category(ctx, rows, ok, built, recat)
    return rows


CATEGORY_BAND_Z = 2.33
"""A merchant purchase's amount stays within this many log-sds of its category's median (the
1st to 99th percentile of genuine purchases there)."""


def _within_category(
    ctx: ShardContext,
    rows: Rows,
    moved: npt.NDArray[np.bool_],
    built: F64,
    recat: npt.NDArray[np.bool_],
) -> F64:
    """The amounts of ``rows``, where imitation took a merchant purchase outside what its
    category's genuine purchases cost: an amount ``moved`` towards the victim's (an INR 50
    amount copied from their grocery bill onto an electronics purchase) is set back to the
    amount the pattern ``built``; a purchase moved to another category (``recat``), whose
    built amount was for the old one, gets an amount of the new category's model at the
    customer's spending level, within the band. The victim's habits are imitated only as far
    as the shop allows."""
    from fraudforge.engine.fraud.mechanics import category_amounts, whole_rupees

    a = rows["amount"]
    cat = rows["category"]
    purchase = (cat < mkt.N_MERCHANT_CATEGORIES) & (rows["txn_type"] == mkt.TXN["purchase"])
    c = np.minimum(cat, mkt.N_MERCHANT_CATEGORIES - 1)
    z = np.log(np.maximum(a, 0.01) / mkt.CAT_MEDIAN[c]) / mkt.CAT_SIGMA[c]
    outside = purchase & (np.abs(z) > CATEGORY_BAND_Z)
    out = np.asarray(np.where(outside & moved & ~recat, built, a), dtype=np.float64)
    redraw = np.flatnonzero(outside & recat)
    if redraw.size:
        k = c[redraw]
        band = np.exp(CATEGORY_BAND_Z * mkt.CAT_SIGMA[k])
        scale = ctx.customers.amount_scale[ctx.local(rows["cust"][redraw])]
        fresh = category_amounts(
            ctx.rng, k, scale, floor=mkt.CAT_MEDIAN[k] / band, cap=mkt.CAT_MEDIAN[k] * band
        )
        out[redraw] = whole_rupees(np.round(fresh, 2), rows["mode"][redraw])
    return out


MULE_REUSE = 1.5
"""Victims one mule account of a scam serves on average. The Ministry of Home Affairs' figures
to Parliament: 23.02 lakh complaints on the citizen fraud reporting system since 2021 and 26.48
lakh layer-1 mule accounts shared with banks through the Suspect Registry (the420.in,
https://the420.in/india-i4c-cybercrime-prevention-cfcfrms-cytrain-sim-blocking-report;
Asianet Newsable, https://newsable.asianetnews.com/gallery/india/cyber-crime-controls-prevent-rs-8189-crore-loss-since-2021-govt-in-rajya-sabha-rncuib2):
about one account that received a victim's money per complaint, a few serving many."""
MULE_MOST_VICTIMS = 4
"""The most victims a mule account serves: a complaint on the 1930 helpline reaches the bank's
nodal officer, who freezes the receiving account (Mumbai Police, via Lokmat Times,
https://www.lokmattimes.com/mumbai/mumbai-police-freeze-rs100-crore-in-cyber-fraud-cases-in-first-seven-months-of-2024-a507/).
The tail is real (an account linked to 14 complaints in six months, The Tribune,
https://www.tribuneindia.com/news/haryana/explainer-how-do-cybercriminals-use-mule-accounts-to-launder-money-obtained-through-fraud/),
but over a 90-day window an account is frozen after a few."""


@dataclass(frozen=True)
class ToMules:
    """A schedule hook for scams whose proceeds go to mule accounts: one part per incident (a
    victim by the pattern's susceptibility, a start time) whose ``peer`` is the mule that takes
    the money. Runs of ``MULE_REUSE`` consecutive incidents on average (``MULE_MOST_VICTIMS``
    at most) pay one mule, as herders use an account for victims until it is reported and
    frozen; a share ``rented`` of the mules are existing accounts their holders lend for a
    commission (an address of any age),
    the rest accounts opened for the purpose, whose address was at most ``max_days`` old at
    their first victim. Drawn from the pattern's schedule stream, so a mule's victims in other
    shards agree. A class rather than a closure: the registry travels to worker processes."""

    max_days: float
    rented: float

    def __call__(self, draw: IncidentDraw, n: int) -> Parts:
        """``n`` incidents' parts."""
        from fraudforge.engine.fraud.schedule import runs
        from fraudforge.engine.session import young_customers

        rng, customers = draw.rng, draw.scenario.customers
        t0, cust = draw.times(n), draw.customers(n)
        run = runs(rng, n, MULE_REUSE, MULE_MOST_VICTIMS)
        first = np.flatnonzero(np.r_[True, run[1:] != run[:-1]])
        t_end = draw.t_start + draw.span
        young = young_customers(rng, customers, t_end, t0[first], self.max_days, cust[first])
        lent = rng.integers(0, max(customers, 1), first.size)
        mule = np.where(rng.random(first.size) < self.rented, lent, young)[run]
        clash = np.flatnonzero(mule == cust)  # a run's later victim who is its mule
        mule[clash] = young_customers(rng, customers, t_end, t0[clash], self.max_days, cust[clash])
        return draw.parts(n, scenario=np.arange(n), cust=cust, t0=t0, peer=mule)
