"""Legitimate activity of a shard's customers: daily volumes shaped by the calendar, hours by
occupation, categories and payment modes by preference and amount, home / nearby / trip mobility,
loyal merchants, P2P contacts, ATM withdrawals and genuine refunds."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fraudforge.engine import catalog as cat
from fraudforge.engine import geo
from fraudforge.engine.context import ShardContext
from fraudforge.engine.ids import mix63
from fraudforge.engine.population import (
    MAX_DEVICES,
    Customers,
    Merchants,
    card_ids,
    device_ids,
    pick_merchants,
)
from fraudforge.engine.rows import Rows
from fraudforge.engine.volume import REFUND_SHARE

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

NEARBY_SHARE = 0.07
ATM_NOTES: F64 = np.array([500, 1000, 2000, 3000, 5000, 10000, 20000], dtype=np.float64)
ATM_NOTE_P: F64 = np.array([0.12, 0.2, 0.25, 0.12, 0.18, 0.1, 0.03])
SAVVY_ONLINE: F64 = np.array([0.55, 1.0, 1.3])
PURCHASE_MASK = np.zeros(cat.N_MERCHANT_CATEGORIES)
PURCHASE_MASK[cat.PURCHASE_CATEGORIES] = 1.0
BILL_MASK = np.zeros(cat.N_MERCHANT_CATEGORIES)
BILL_MASK[cat.BILL_CATEGORIES] = 1.0


def sample_by_group(rng: np.random.Generator, cum: F64, group: I64) -> I64:
    """One draw per row from the categorical ``cum[group[row]]`` (rows of ``cum`` are cumulative
    probabilities ending at 1), via one ``searchsorted`` over group-offset cumulatives."""
    k = cum.shape[1]
    flat = (cum + np.arange(cum.shape[0])[:, None]).ravel()
    u = group + rng.random(group.shape[0]) * 0.999999
    return np.asarray(np.searchsorted(flat, u, side="right") - group * k, dtype=np.int64).clip(
        0, k - 1
    )


def normalised_cum(weights: F64) -> F64:
    """Row-wise cumulative probabilities of a weight matrix."""
    cum = np.cumsum(weights, axis=1)
    total = cum[:, -1:]
    return np.asarray(cum / np.where(total > 0, total, 1.0), dtype=np.float64)


def sample_amount(rng: np.random.Generator, category: I64, scale: F64) -> F64:
    """Log-normal amounts in INR around each category's median, scaled per customer."""
    mu = np.log(cat.CAT_MEDIAN[category] * scale)
    return np.asarray(np.exp(mu + cat.CAT_SIGMA[category] * rng.standard_normal(category.shape[0])))


def choose_modes(
    rng: np.random.Generator,
    cu: Customers,
    c: I64,
    amount: F64,
    at_pos: B,
    bill: B,
) -> I64:
    """Payment mode per row from the customer's preferences, the amount band and what the
    merchant accepts (card-present shops take UPI and cards; bills take no BNPL or EMI)."""
    n_bands = cat.AMOUNT_BAND_EDGES.shape[0] + 1
    band = np.searchsorted(cat.AMOUNT_BAND_EDGES, amount)
    # One cumulative table per (customer, band, at_pos, bill): rows sample by group lookup.
    w = cu.mode_weight[:, None, None, None, :] * cat.MODE_BAND[None, :, None, None, :]
    w = w * np.stack([np.ones_like(cat.MODE_AT_POS), cat.MODE_AT_POS])[None, None, :, None, :]
    no_credit_line = np.ones(len(cat.PAYMENT_MODES))
    no_credit_line[[cat.MODE["bnpl"], cat.MODE["emi"]]] = 0.0
    w = w * np.stack([np.ones_like(no_credit_line), no_credit_line])[None, None, None, :, :]
    w = w.reshape(-1, len(cat.PAYMENT_MODES))
    dead = w.sum(axis=1) <= 0
    w[dead, cat.MODE["debit_card"]] = 1.0
    group = ((c * n_bands + band) * 2 + at_pos) * 2 + bill
    mode = sample_by_group(rng, normalised_cum(w), group)
    over = (mode == cat.MODE["upi"]) & (amount > cat.UPI_LIMIT_INR)
    mode[over & at_pos] = cat.MODE["debit_card"]
    mode[over & ~at_pos] = cat.MODE["net_banking"]
    return mode


def fill_instrument(rng: np.random.Generator, rows: Rows, cu: Customers) -> None:
    """Fill device (mostly the primary one), card and card network from each row's customer,
    mode and channel."""
    c = rows["cust"] - cu.offset
    mode, channel = rows["mode"], rows["channel"]
    uses_device = (channel == cat.CHANNEL["mobile_app"]) | (channel == cat.CHANNEL["ecommerce"])
    uses_device |= (channel == cat.CHANNEL["pos"]) & (mode == cat.MODE["upi"])
    other = np.floor(rng.random(len(rows)) * cu.n_devices[c]).astype(np.int64)
    device_k = np.where(rng.random(len(rows)) < 0.85, 0, other)
    ids = cu.ids[:, None]
    devices = device_ids(ids, np.arange(MAX_DEVICES)[None, :])
    rows["device"] = np.where(uses_device, devices[c, device_k], -1)
    is_card = cat.MODE_IS_CARD[mode]
    credit = (mode == cat.MODE["credit_card"]) | (mode == cat.MODE["emi"])
    cards = card_ids(ids, np.arange(2)[None, :])
    rows["card"] = np.where(is_card, cards[c, credit.astype(np.int64)], -1)
    net = np.where(credit, cu.credit_network[c], cu.debit_network[c])
    rows["network"] = np.where(is_card, net, 0)


def channel_for(mode: I64, online: B, withdrawal: B, p2p: B, rng: np.random.Generator) -> I64:
    """Channel from where the merchant sells and how the customer pays."""
    app_pref = np.isin(mode, (cat.MODE["upi"], cat.MODE["wallet"], cat.MODE["bnpl"]))
    app = app_pref | (rng.random(mode.shape[0]) < 0.35)
    ch = np.where(
        online,
        np.where(app, cat.CHANNEL["mobile_app"], cat.CHANNEL["ecommerce"]),
        cat.CHANNEL["pos"],
    )
    ch = np.where(p2p, cat.CHANNEL["mobile_app"], ch)
    return np.asarray(np.where(withdrawal, cat.CHANNEL["atm"], ch), dtype=np.int64)


def draw_status(rng: np.random.Generator, mode: I64, amount: F64) -> I64:
    """Approved, declined (more often for large amounts) or pending (UPI / net banking)."""
    u = rng.random(mode.shape[0])
    p_decl = 0.012 + 0.02 * (amount > 20_000) + 0.03 * (amount > 75_000)
    p_pend = np.where(np.isin(mode, (cat.MODE["upi"], cat.MODE["net_banking"])), 0.004, 0.0)
    return np.where(
        u < p_decl, cat.STATUS["declined"], np.where(u < p_decl + p_pend, cat.STATUS["pending"], 0)
    )


def place_rows(
    rng: np.random.Generator,
    cu: Customers,
    merchants: Merchants,
    rows: Rows,
    loc_city: I64,
    merchant: I64,
    online: B,
) -> None:
    """Set city / lat / lon: a shop's own location, or where the customer is when paying online."""
    c = rows["cust"] - cu.offset
    n = len(rows)
    has_m = merchant >= 0
    shop = has_m & ~online
    at_home = loc_city == cu.home_city[c]
    jlat, jlon = geo.jitter(rng, n, 1.5)
    lat = np.where(at_home, cu.home_lat[c], geo.CITY_LAT[loc_city]) + jlat
    lon = np.where(at_home, cu.home_lon[c], geo.CITY_LON[loc_city]) + jlon
    msafe = np.maximum(merchant, 0)
    rows["lat"] = np.where(shop, merchants.lat[msafe], lat)
    rows["lon"] = np.where(shop, merchants.lon[msafe], lon)
    rows["city"] = np.where(shop, merchants.city[msafe], loc_city)


def contacts(rng: np.random.Generator, cust: I64, n_customers: int) -> I64:
    """P2P payees: mostly a handful of regular contacts per customer, sometimes anyone."""
    n = cust.shape[0]
    fav = mix63(cust.astype(np.uint64) * np.uint64(16) + rng.integers(0, 6, n).astype(np.uint64))
    anyone = rng.integers(0, max(n_customers, 1), n)
    payee = np.where(rng.random(n) < 0.7, fav % max(n_customers, 1), anyone)
    clash = payee == cust
    payee[clash] = (payee[clash] + 1) % max(n_customers, 1)
    return np.asarray(payee, dtype=np.int64)


def trips(ctx: ShardContext) -> tuple[I64, I64, I64]:
    """At most one multi-day trip per customer: (first day, end day exclusive, city); first day
    is -1 for customers who stay home."""
    rng, cu, days = ctx.rng, ctx.customers, ctx.calendar.days
    p = np.minimum(cat.SEG_TRAVEL_PROB[cu.segment] * days / 90.0, 0.95)
    goes = rng.random(cu.n) < p
    length = rng.integers(2, 7, cu.n)
    first = np.where(goes, rng.integers(0, max(days - 1, 1), cu.n), -1)
    dest = rng.choice(geo.N_CITIES, size=cu.n, p=geo.CITY_WEIGHT)
    dest = np.where(dest == cu.home_city, (dest + 1) % geo.N_CITIES, dest)
    return first, first + length, dest


def legit_rows(ctx: ShardContext, active: B) -> Rows:
    """Generate the shard's ordinary transactions (``active`` masks customers who transact)."""
    rng, cu, me, cal = ctx.rng, ctx.customers, ctx.merchants, ctx.calendar
    days = cal.days
    lam = (cu.rate * active)[:, None] * cal.day_factor[None, :]
    counts = rng.poisson(lam).ravel()
    cell = np.repeat(np.arange(cu.n * days, dtype=np.int64), counts)
    c = cell // days
    day = cell % days
    n = c.shape[0]
    rows = Rows.empty(n)
    rows["cust"] = c + cu.offset
    # When: hour by occupation and weekday / weekend.
    group = cu.occupation[c] * 2 + cal.is_weekend[day]
    hour = sample_by_group(rng, np.cumsum(cat.HOUR_PROFILE.reshape(-1, 24), axis=1), group)
    rows["ts"] = cal.day_start_s[day] + hour * 3600 + rng.integers(0, 3600, n)
    # What: transaction type and category.
    ttype = rng.choice(4, size=n, p=_TYPE_P)
    ttype = np.array(
        [
            cat.TXN["purchase"],
            cat.TXN["p2p_transfer"],
            cat.TXN["bill_payment"],
            cat.TXN["withdrawal"],
        ]
    )[ttype]
    purchase_cat = sample_by_group(rng, normalised_cum(cu.cat_weight * PURCHASE_MASK), c)
    festive = rng.random(n) < cal.festive[day]
    purchase_cat = np.where(festive, rng.choice(cat.FESTIVE_CATEGORIES, size=n), purchase_cat)
    bill = ttype == cat.TXN["bill_payment"]
    bill_cat = np.zeros(n, dtype=np.int64)
    bill_cat[bill] = sample_by_group(rng, normalised_cum(cu.cat_weight * BILL_MASK), c[bill])
    category = np.select(
        [
            ttype == cat.TXN["purchase"],
            ttype == cat.TXN["bill_payment"],
            ttype == cat.TXN["withdrawal"],
        ],
        [purchase_cat, bill_cat, np.full(n, cat.CAT["atm"])],
        cat.CAT["p2p"],
    )
    # Where: home, a nearby city for the day, or the trip's destination.
    t_first, t_end, t_city = trips(ctx)
    on_trip = (day >= t_first[c]) & (day < t_end[c])
    home = cu.home_city[c]
    near = geo.pick_from_sets(rng, geo.NEARBY_OFFSETS, geo.NEARBY_CITIES, home, home)
    loc = np.where(on_trip, t_city[c], np.where(rng.random(n) < NEARBY_SHARE, near, home))
    # Whom: a merchant (loyal to a few per category) or a P2P contact.
    p2p = ttype == cat.TXN["p2p_transfer"]
    withdrawal = ttype == cat.TXN["withdrawal"]
    p_online = np.minimum(cat.CAT_ONLINE_SHARE[category] * SAVVY_ONLINE[cu.savviness[c]], 1.0)
    want_online = rng.random(n) < p_online
    mcat = np.where(p2p, cat.CAT["grocery"], category)
    merchant, online = pick_merchants(rng, me, mcat, loc, want_online, rows["cust"] * 32 + mcat)
    away = ~online & (me.city[merchant] != loc)
    if away.any():
        # No shop of that kind where the customer is: they buy it online instead.
        mcat[away] = np.where(withdrawal[away], cat.CAT["atm"], cat.CAT["marketplace"])
        m2, o2 = pick_merchants(rng, me, mcat[away], loc[away], ~withdrawal[away])
        merchant[away], online[away] = m2, o2
        category = np.where(away & ~p2p, mcat, category)
    merchant = np.where(p2p, -1, merchant)
    online = online & ~p2p
    rows["merchant"] = merchant
    rows["payee"] = np.where(p2p, contacts(rng, rows["cust"], ctx.scenario.customers), -1)
    # How much and how.
    amount = sample_amount(
        rng,
        category,
        np.where(cat.CAT_IS_BILL[category], cu.amount_scale[c] ** 0.5, cu.amount_scale[c]),
    )
    amount = np.where(withdrawal, rng.choice(ATM_NOTES, size=n, p=ATM_NOTE_P), amount)
    mode = choose_modes(rng, cu, c, amount, ~online & ~p2p & ~withdrawal, bill)
    mode = np.where(
        p2p, np.where(rng.random(n) < 0.92, cat.MODE["upi"], cat.MODE["net_banking"]), mode
    )
    mode = np.where(withdrawal, cat.MODE["debit_card"], mode)
    over_limit = (mode == cat.MODE["upi"]) & (amount > cat.UPI_LIMIT_INR)
    mode = np.where(over_limit, cat.MODE["net_banking"], mode)
    amount = round_amounts(rng, amount, mode, p2p, withdrawal)
    rows["amount"] = amount
    rows["mode"] = mode
    rows["channel"] = channel_for(mode, online, withdrawal, p2p, rng)
    rows["txn_type"] = ttype
    rows["category"] = category
    rows["status"] = draw_status(rng, mode, amount)
    place_rows(rng, cu, me, rows, loc, merchant, online)
    fill_instrument(rng, rows, cu)
    rows["label_delay"] = int(ctx.scenario.chargeback_delay_days * 86_400)
    return Rows.concat([rows, genuine_refunds(ctx, rows)])


_TYPE_W = np.array(
    [
        cat.TXN_TYPE_WEIGHT[cat.TXN["purchase"]],
        cat.TXN_TYPE_WEIGHT[cat.TXN["p2p_transfer"]],
        cat.TXN_TYPE_WEIGHT[cat.TXN["bill_payment"]],
        cat.TXN_TYPE_WEIGHT[cat.TXN["withdrawal"]],
    ]
)
_TYPE_P = _TYPE_W / _TYPE_W.sum()


def round_amounts(rng: np.random.Generator, amount: F64, mode: I64, p2p: B, withdrawal: B) -> F64:
    """Paise for cards and online payments, whole rupees for UPI, round figures for most P2P."""
    out = np.round(np.maximum(amount, 1.0), 2)
    upi = mode == cat.MODE["upi"]
    out = np.where(upi, np.maximum(np.round(out), 1.0), out)
    step = np.where(rng.random(amount.shape[0]) < 0.5, 100.0, 10.0)
    out = np.where(
        p2p & (rng.random(amount.shape[0]) < 0.7),
        np.maximum(np.round(out / step) * step, step),
        out,
    )
    return np.asarray(np.where(withdrawal, amount, out), dtype=np.float64)


def genuine_refunds(ctx: ShardContext, rows: Rows) -> Rows:
    """Refunds of earlier approved purchases (a return, a cancelled order) at the same merchant,
    1 to 10 days later, for the full amount or part of it."""
    rng = ctx.rng
    eligible = np.flatnonzero((rows["txn_type"] == cat.TXN["purchase"]) & (rows["status"] == 0))
    k = rng.binomial(len(eligible), REFUND_SHARE * len(rows) / max(len(eligible), 1))
    pick = np.sort(rng.choice(eligible, size=k, replace=False)) if k else eligible[:0]
    ref = rows.take(pick)
    ref["ts"] = ref["ts"] + rng.integers(86_400, 10 * 86_400, k)
    partial = rng.random(k) < 0.3
    ref["amount"] = np.where(
        partial, np.round(ref["amount"] * rng.uniform(0.2, 0.9, k), 2), ref["amount"]
    )
    ref["txn_type"] = cat.TXN["refund"]
    return ref.take(ref["ts"] < ctx.t_end)
