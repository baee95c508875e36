"""Anomalies: legitimate but unusual behaviour, made by changing genuine rows of a shard.

- behavioural: a purchase in a category the customer almost never buys, paid the way they least
  often pay;
- geographic: a few days spent in a city at least 1,000 km from home (trips there are rare for
  the customer);
- temporal: a payment in the small hours, against the customer's daytime routine;
- amount: a purchase scaled up 6-25 times (a wedding, a medical bill, a big-ticket buy).

Each changed row is labelled ``is_anomaly`` with its type and a severity in (0, 1]; it is never
fraud.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fraudforge.engine import geo
from fraudforge.engine import market as mkt
from fraudforge.engine.branchless import where
from fraudforge.engine.context import ShardContext
from fraudforge.engine.legit import (
    available_funds,
    choose_modes,
    fill_instrument,
    place_rows,
    round_amounts,
    sample_amount,
)
from fraudforge.engine.population import pick_merchants
from fraudforge.engine.rows import Rows
from fraudforge.engine.taxonomy import ANOMALY_LABELS

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


UNUSUAL_MODE_SHARE = 0.1
"""Share of behavioural anomalies paid the way the customer least often pays (the rest as the
place and amount suggest): enough to be unusual without making rare modes mostly anomalies."""


def _target(ctx: ShardContext, n: int, kind: str) -> int:
    x = n * ctx.scenario.anomaly_rate * ctx.scenario.anomaly_mix[kind]
    return int(np.floor(x) + (ctx.rng.random() < x - np.floor(x)))


def _pick(ctx: ShardContext, candidates: B, k: int) -> I64:
    idx = np.flatnonzero(candidates)
    k = min(k, idx.size)
    return np.sort(ctx.rng.choice(idx, size=k, replace=False)) if k else idx[:0]


def _mark(rows: Rows, idx: I64, kind: str, severity: npt.ArrayLike, taken: B) -> None:
    rows["anomaly"][idx] = ANOMALY_LABELS.index(kind)
    rows["severity"][idx] = np.clip(np.asarray(severity, dtype=np.float64), 0.05, 1.0)
    taken[idx] = True


def _relocate(ctx: ShardContext, rows: Rows, idx: I64, city: I64) -> None:
    """Move rows to ``city``: shops and ATMs are re-picked there, online payments just move."""
    sub = rows.take(idx)
    merchant = sub["merchant"]
    has_m = merchant >= 0
    online = has_m & ctx.merchants.is_online[np.maximum(merchant, 0)]
    shop = has_m & ~online
    if shop.any():
        m, on = pick_merchants(
            ctx.rng,
            ctx.merchants,
            sub["category"][shop].astype(np.int64),
            city[shop],
            np.zeros(int(shop.sum()), bool),
        )
        merchant[shop] = m
        online[shop] = on
    sub["merchant"] = merchant
    place_rows(ctx.rng, ctx.customers, ctx.merchants, sub, city, merchant, online)
    for k in ("merchant", "city", "lat", "lon"):
        rows[k][idx] = sub[k]


def apply_anomalies(ctx: ShardContext, rows: Rows) -> None:
    """Turn a share of the shard's genuine rows into anomalies, in place."""
    if ctx.scenario.anomaly_rate <= 0 or len(rows) == 0:
        return
    rng, cu, cal = ctx.rng, ctx.customers, ctx.calendar
    n = len(rows)
    taken = np.zeros(n, dtype=bool)
    c = rows["cust"] - cu.offset
    ttype = rows["txn_type"]
    purchase = ttype == mkt.TXN["purchase"]
    day = (rows["ts"] - ctx.t_start) // 86_400
    hour = (rows["ts"] % 86_400) // 3600

    # temporal: move a daytime payment to 01:00-04:59 the same day.
    idx = _pick(
        ctx, (ttype != mkt.TXN["refund"]) & (hour >= 8) & (hour <= 21), _target(ctx, n, "temporal")
    )
    new_hour = rng.integers(1, 5, idx.size)
    rows["ts"][idx] = cal.day_start_s[day[idx]] + new_hour * 3600 + rng.integers(0, 3600, idx.size)
    profile = mkt.HOUR_PROFILE[cu.occupation[c[idx]], cal.is_weekend[day[idx]].astype(np.int64)]
    sev = 1.0 - profile[np.arange(idx.size), new_hour] / profile.max(axis=1)
    _mark(rows, idx, "temporal", sev, taken)

    # amount: the same kind of purchase at 6-25 times the size, within what the customer can
    # pay that way (their funds or credit limit): a big purchase, not an impossible one.
    idx = _pick(ctx, purchase & ~taken, _target(ctx, n, "amount"))
    room = available_funds(cu, c[idx], rows["mode"][idx].astype(np.int64)) / np.maximum(
        rows["amount"][idx], 1.0
    )
    mult = np.clip(rng.uniform(6, 25, idx.size), 3.0, np.maximum(0.9 * room, 3.0))
    amount = np.round(rows["amount"][idx] * mult, 2)
    rows["amount"][idx] = amount
    limit = mkt.CAT_UPI_LIMIT[rows["category"][idx].astype(np.int64)]
    over = (rows["mode"][idx] == mkt.MODE["upi"]) & (amount > limit)
    rows["mode"][idx[over]] = mkt.MODE["net_banking"]
    _mark(rows, idx, "amount", np.log(mult) / np.log(25), taken)

    # behavioural: a category the customer rarely buys, paid the way they rarely pay.
    idx = _pick(ctx, purchase & ~taken, _target(ctx, n, "behavioural"))
    if idx.size:
        ci = c[idx]
        # Rare for this customer compared with customers like them (their segment): not simply
        # the rarest categories overall, which would make every jeweller's sale an anomaly.
        w = cu.cat_weight[ci][:, mkt.PURCHASE_CATEGORIES]
        peers = (mkt.SEG_CATEGORY * mkt.CAT_FREQUENCY)[cu.segment[ci]][:, mkt.PURCHASE_CATEGORIES]
        rel = w / np.maximum(peers, 1e-9)
        rare = np.argsort(rel, axis=1)[:, :4]
        choice = rare[np.arange(idx.size), rng.integers(0, 4, idx.size)]
        new_cat = mkt.PURCHASE_CATEGORIES[choice]
        sev = 1.0 - rel[np.arange(idx.size), choice] / rel.max(axis=1)
        rows["category"][idx] = new_cat
        city = rows["city"][idx].astype(np.int64)
        want_online = rng.random(idx.size) < mkt.CAT_ONLINE_SHARE[new_cat]
        m, online = pick_merchants(rng, ctx.merchants, new_cat, city, want_online)
        away = ~online & (ctx.merchants.city[m] != city)
        if away.any():
            m2, o2 = pick_merchants(
                rng, ctx.merchants, new_cat[away], city[away], np.ones(int(away.sum()), bool)
            )
            m[away], online[away] = m2, o2
        sub = rows.take(idx)
        sub["merchant"] = m
        place_rows(rng, cu, ctx.merchants, sub, city, m, online)
        # A coherent purchase of the new kind: its amount is drawn for that category.
        sub["amount"] = round_amounts(
            rng,
            sample_amount(rng, new_cat, cu.amount_scale[ci]),
            np.full(idx.size, mkt.MODE["debit_card"]),
            np.zeros(idx.size, bool),
            np.zeros(idx.size, bool),
        )
        modes = choose_modes(rng, cu, ci, sub["amount"], ~online, np.zeros(idx.size, bool), new_cat)
        mw = cu.mode_weight[ci]
        usable = mw > 0
        least = np.argmin(where(usable, mw, np.inf), axis=1)
        sub["mode"] = where(rng.random(idx.size) < UNUSUAL_MODE_SHARE, least, modes)
        pos_only = ~online & ~np.isin(sub["mode"], np.flatnonzero(mkt.MODE_AT_POS))
        sub["mode"] = where(pos_only, modes, sub["mode"])
        sub["channel"] = where(online, mkt.CHANNEL["ecommerce"], mkt.CHANNEL["pos"])
        fill_instrument(rng, sub, cu)
        upi = sub["mode"] == mkt.MODE["upi"]
        sub["amount"] = where(upi, np.maximum(np.round(sub["amount"]), 1.0), sub["amount"])
        over = upi & (sub["amount"] > mkt.CAT_UPI_LIMIT[new_cat])
        sub["mode"] = where(over, modes, sub["mode"])
        for k in (
            "merchant",
            "city",
            "lat",
            "lon",
            "amount",
            "mode",
            "channel",
            "device",
            "card",
            "network",
        ):
            rows[k][idx] = sub[k]
        _mark(rows, idx, "behavioural", sev, taken)

    # geographic: 1-3 days in a far city; every payment of those days moves there.
    target = _target(ctx, n, "geographic")
    if target:
        _geographic_trips(ctx, rows, c, day, target, taken)


def _geographic_trips(
    ctx: ShardContext, rows: Rows, c: I64, day: I64, target: int, taken: B
) -> None:
    """Send customers on 1-3 day trips to a city >= 1,000 km from home until about ``target``
    rows are covered. All of a trip's rows move (so the customer is never in two far-apart
    places on one day); those not already another anomaly are labelled geographic."""
    rng, cu, days = ctx.rng, ctx.customers, ctx.calendar.days
    per_day = np.bincount(c * days + day, minlength=cu.n * days)
    m = min(cu.n, 8 + target)
    cand = rng.permutation(cu.n)[:m]
    first = rng.integers(0, days, m)
    length = rng.integers(1, 4, m)
    covered = np.zeros(m, dtype=np.int64)
    for j in range(3):
        d = first + j
        ok = (j < length) & (d < days)
        covered += where(ok, per_day[cand * days + np.minimum(d, days - 1)], 0)
    need = int(np.searchsorted(np.cumsum(covered), target)) + 1
    cand, first, length = cand[:need], first[:need], length[:need]
    trip_of = np.full(cu.n, -1, dtype=np.int64)
    trip_of[cand] = np.arange(cand.size)
    t = trip_of[c]
    ts = np.maximum(t, 0)
    on_trip = (t >= 0) & (day >= first[ts]) & (day < first[ts] + length[ts])
    on_trip &= rows["txn_type"] != mkt.TXN["refund"]
    idx = np.flatnonzero(on_trip)
    if idx.size == 0:
        return
    home = cu.home_city[cand]
    far = geo.pick_from_sets(rng, geo.FAR_OFFSETS, geo.FAR_CITIES, home, home)
    _relocate(ctx, rows, idx, far[t[idx]])
    fresh = idx[~taken[idx]]
    dist = geo.CITY_DIST_KM[home[t[fresh]], far[t[fresh]]]
    _mark(rows, fresh, "geographic", dist / 2500.0, taken)
