"""Payment mechanics the fraud patterns share, so that fraud obeys the same market as genuine
payments: amounts drawn from a category's own genuine amount model (restricted to the part of it
a fraudster wants), the customer's usual payment modes and hours, cash in the amounts ATMs pay
out, the limits of UPI, cards and credit lines, and the bank's decision on every attempt (the
same ``approved`` / ``declined`` / ``pending`` vocabulary and business-decline model as genuine
rows, plus the declines of the bank's own fraud rules).

Light at import like the pattern modules (NumPy, ``market``, ``rows``); the genuine generator's
helpers are imported where used.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from fraudforge.engine import market as mkt
from fraudforge.engine.rows import Rows

if TYPE_CHECKING:
    from fraudforge.engine.context import ShardContext

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

UPI_DAILY_LIMIT_INR = 100_000.0
"""What one account may send by UPI in a day (NPCI; 20 transactions a day)."""
NEW_DEVICE_LIMIT_INR = 5_000.0
"""What an account may send by UPI in the first 24 hours after UPI is set up on a new device or
for a new user (NPCI's cooling limit, applied by banks)."""
NEW_DEVICE_WINDOW_S = 86_400
CONTACTLESS_LIMIT_INR = 5_000.0
"""The most a card pays by a tap without its PIN (RBI, from 1 January 2021)."""
ATM_DAILY_LIMIT_INR = 40_000.0
"""A common debit card's daily cash withdrawal limit."""

_SQRT2 = math.sqrt(2.0)
_ERF = np.frompyfunc(math.erf, 1, 1)


def normal_cdf(z: F64) -> F64:
    """Standard normal distribution function, element-wise."""
    return np.asarray(0.5 * (1.0 + _ERF(np.asarray(z, dtype=np.float64) / _SQRT2)), np.float64)


# Acklam's rational approximation of the normal quantile (relative error < 1.2e-9).
_A = (-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.3577518672690,
      -30.66479806614716, 2.506628277459239)  # fmt: skip
_B = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
      -13.28068155288572)  # fmt: skip
_C = (-7.784894002430293e-03, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
      4.374664141464968, 2.938163982698783)  # fmt: skip
_D = (7.784695709041462e-03, 0.3224671290700398, 2.445134137142996, 3.754408661907416)


def normal_ppf(p: F64) -> F64:
    """Standard normal quantile of each probability in (0, 1)."""
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1 - 1e-12)
    q = np.minimum(p, 1 - p)
    # Tails.
    t = np.sqrt(-2.0 * np.log(q))
    tail = (((((_C[0] * t + _C[1]) * t + _C[2]) * t + _C[3]) * t + _C[4]) * t + _C[5]) / (
        (((_D[0] * t + _D[1]) * t + _D[2]) * t + _D[3]) * t + 1.0
    )
    tail = np.where(p < 0.5, tail, -tail)
    # Central region.
    r = (p - 0.5) ** 2
    central = (
        (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5])
        * (p - 0.5)
        / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0)
    )
    return np.asarray(np.where(q < 0.02425, tail, central), dtype=np.float64)


def category_amounts(
    rng: np.random.Generator,
    category: I64,
    scale: F64,
    *,
    lo: float | F64 = 0.0,
    hi: float | F64 = 1.0,
    floor: float | F64 = 0.0,
    cap: float | F64 = np.inf,
) -> F64:
    """Amounts from each row's category model (the genuine log-normal: the category's median
    times the customer's amount scale, the category's spread), restricted to the quantiles
    [lo, hi) of that model and to amounts in [floor, cap): a fraudster buys the dear end of
    what a shop sells, a thief stays under the tap limit, but never outside what the shop's own
    customers pay."""
    n = category.shape[0]
    mu = np.log(mkt.CAT_MEDIAN[category] * scale)
    sigma = mkt.CAT_SIGMA[category]
    q_lo = np.broadcast_to(np.asarray(lo, dtype=np.float64), (n,))
    q_hi = np.broadcast_to(np.asarray(hi, dtype=np.float64), (n,))
    floor_a = np.broadcast_to(np.asarray(floor, dtype=np.float64), (n,))
    cap_a = np.broadcast_to(np.asarray(cap, dtype=np.float64), (n,))
    has_floor = floor_a > 0
    if has_floor.any():
        z = (np.log(np.where(has_floor, floor_a, 1.0)) - mu) / sigma
        q_lo = np.where(has_floor, np.maximum(q_lo, normal_cdf(z)), q_lo)
    q_cap = np.ones(n)
    has_cap = np.isfinite(cap_a)
    if has_cap.any():
        z = (np.log(np.where(has_cap, cap_a, 1.0)) - mu) / sigma
        q_cap = np.where(has_cap, normal_cdf(z), 1.0)
    # Where the wanted quantiles and the bounds clash, the bounds win: under a cap the rows
    # take the top of what is left below it; above a floor, the part of the model above it.
    clash = q_lo >= np.minimum(q_hi, q_cap)
    q_hi = np.where(clash, np.minimum(q_cap, q_lo + 0.9 * (1.0 - q_lo)), np.minimum(q_hi, q_cap))
    q_lo = np.where(q_lo < q_hi, q_lo, 0.5 * q_hi)
    u = q_lo + (q_hi - q_lo) * rng.random(n)
    return np.asarray(np.exp(mu + sigma * normal_ppf(u)), dtype=np.float64)


def atm_cash(rng: np.random.Generator, scale: F64, *, boost: float = 1.0) -> F64:
    """Withdrawals in the amounts ATMs pay out (the genuine ATM model, up to an ATM's maximum),
    drawn as for a customer spending ``boost`` times more, in multiples of INR 500 (as most
    genuine withdrawals, and nearly all large ones, are)."""
    from fraudforge.engine.legit import ATM_MAX_INR, atm_amounts

    cash = atm_amounts(rng, np.asarray(scale, dtype=np.float64) * boost)
    return np.asarray(np.clip(np.round(cash / 500.0) * 500.0, 500.0, ATM_MAX_INR), np.float64)


def usual_modes(
    ctx: ShardContext, cust: I64, amount: F64, category: I64, *, at_pos: B, bill: B | None = None
) -> I64:
    """Each row's payment mode as the customer would choose it, by the genuine generator's
    rules (``legit.choose_modes``): where it is paid (a shop counter takes UPI QR and cards, a
    bill no BNPL or EMI), the amount band and the customer's own propensities; no UPI above the
    category's UPI limit. Weighed row by row, as fraud rows are few."""
    from fraudforge.engine.legit import (
        mode_context,
        normalised_cum,
        row_mode_weights,
        sample_by_group,
    )

    n = cust.shape[0]
    bill = np.zeros(n, dtype=bool) if bill is None else bill
    context = mode_context(at_pos, bill)
    w = row_mode_weights(ctx.customers.mode_weight[ctx.local(cust)], amount, context)
    w[amount > mkt.CAT_UPI_LIMIT[category], mkt.MODE["upi"]] = 0.0
    w[w.sum(axis=1) <= 0, mkt.MODE["debit_card"]] = 1.0
    return sample_by_group(ctx.rng, normalised_cum(w), np.arange(n, dtype=np.int64))


def whole_rupees(amount: F64, mode: I64) -> F64:
    """UPI payments are in whole rupees, as in genuine traffic."""
    return np.asarray(
        np.where(mode == mkt.MODE["upi"], np.maximum(np.round(amount), 1.0), amount), np.float64
    )


def escalating(
    rng: np.random.Generator, first: F64, pos: I64, growth: tuple[float, float], room: float | F64
) -> F64:
    """Amounts a scam takes in turn: each row's ``first`` (its incident's first amount) times a
    factor drawn from ``growth`` to the power of the row's position ``pos`` in the incident, as
    the script asks for "the rest" or the fraudster learns what the account holds; a want
    beyond ``room`` (a limit per payment) becomes a payment somewhat under it, as a fraudster
    who knows the limit keeps within it."""
    n = pos.shape[0]
    want = first * rng.uniform(*growth, n) ** pos
    cap = np.broadcast_to(np.asarray(room, dtype=np.float64), (n,))
    return np.asarray(np.where(want > cap, cap * rng.uniform(0.5, 1.0, n), want), np.float64)


def transfer_amounts(rng: np.random.Generator, amount: F64) -> F64:
    """Amounts of transfers between people, rounded the way people round them (most to 10 or
    100 rupees, the rest to the rupee), as genuine transfers are."""
    from fraudforge.engine.legit import round_amounts

    n = amount.shape[0]
    p2p = np.ones(n, dtype=bool)
    out = round_amounts(rng, amount, np.full(n, mkt.MODE["upi"]), p2p, ~p2p)
    return np.asarray(np.maximum(out, 1.0), dtype=np.float64)


def usual_times(ctx: ShardContext, cust: I64, t: I64) -> I64:
    """Each time moved to an hour of the same day drawn from the customer's own hour profile (by
    occupation and weekday or weekend; night owls' late hours), as genuine payments are timed."""
    from fraudforge.engine.legit import NIGHT_OWL_NIGHT_SHARE, sample_by_group

    rng, cu, cal = ctx.rng, ctx.customers, ctx.calendar
    c = ctx.local(cust)
    day = np.clip((t - ctx.t_start) // 86_400, 0, cal.days - 1)
    group = cu.occupation[c] * 2 + cal.is_weekend[day]
    late = cu.night_owl[c] & (rng.random(c.shape[0]) < NIGHT_OWL_NIGHT_SHARE)
    group = np.where(late, mkt.NIGHT_OWL_GROUP, group)
    hour = sample_by_group(rng, np.cumsum(mkt.HOURS_BY_GROUP, axis=1), group)
    return np.asarray(
        cal.day_start_s[day] + hour * 3600 + rng.integers(0, 3600, c.shape[0]), dtype=np.int64
    )


def whereabouts(ctx: ShardContext, legit: Rows, cust: I64, ts: I64) -> I64:
    """The city each customer is in at each time, as their own genuine payments show it: the
    city of their genuine payment nearest in time that day (on a trip or in a nearby town, as
    genuine payments follow the customer), home when they made none that day. ``legit`` is
    the shard's genuine rows, ordered by customer then time."""
    home = ctx.customers.home_city[ctx.local(cust)]
    n = cust.shape[0]
    if n == 0 or len(legit) == 0:
        return np.asarray(home, dtype=np.int64)
    from fraudforge.engine.session import search_by_customer_time

    lc, lt = legit["cust"], legit["ts"]
    # The customer's first row at or after ts, and the one before it.
    after = search_by_customer_time(lc, lt, cust, ts)
    best = np.full(n, -1, dtype=np.int64)
    gap = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    for cand in (after - 1, after):
        safe = np.clip(cand, 0, len(legit) - 1)
        ok = (cand >= 0) & (cand < len(legit)) & (lc[safe] == cust)
        d = np.where(ok, np.abs(lt[safe] - ts), np.iinfo(np.int64).max)
        better = d < gap
        best, gap = np.where(better, safe, best), np.where(better, d, gap)
    day = (ts - ctx.t_start) // 86_400
    same_day = (best >= 0) & ((lt[np.maximum(best, 0)] - ctx.t_start) // 86_400 == day)
    return np.asarray(np.where(same_day, legit["city"][np.maximum(best, 0)], home), np.int64)


def running_total(group: I64, ts: I64, amount: F64) -> F64:
    """For each row, the sum of ``amount`` over the rows of its group up to and including it, in
    time order (ties in row order)."""
    n = group.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.float64)
    order = np.lexsort((np.arange(n), ts, group))
    g, a = group[order], amount[order]
    total = np.cumsum(a)
    start = np.concatenate(([True], g[1:] != g[:-1]))  # np.r_ costs ~8 us a call
    base = np.maximum.accumulate(np.where(start, np.arange(n), 0))
    before = np.where(base > 0, total[base - 1], 0.0)
    out = np.empty(n, dtype=np.float64)
    out[order] = total - before
    return out


def over_upi_daily_limit(cust: I64, ts: I64, amount: F64, counts: B) -> B:
    """``over_limit`` for UPI's daily limit, which a bank applies per account and day: the
    counted rows of one customer on one day (of the epoch seconds ``ts``) share it, across the
    incidents of a pattern that hit that customer."""
    day = np.asarray(cust, dtype=np.int64) * 1_000_000 + np.asarray(ts, dtype=np.int64) // 86_400
    return over_limit(day, ts, amount, counts, UPI_DAILY_LIMIT_INR)


def over_limit(group: I64, ts: I64, amount: F64, counts: B, limit: float | F64) -> B:
    """Rows that would take their group's running total of counted rows (``counts``) beyond
    ``limit`` (per row): what a bank refuses, and what therefore does not count further. An
    approximation that counts every earlier attempt of the group, refused or not, would refuse
    too much; here refused rows are taken out and the totals recomputed (a few passes)."""
    limit_a = np.broadcast_to(np.asarray(limit, dtype=np.float64), group.shape)
    refused = np.zeros(group.shape[0], dtype=bool)
    for _ in range(4):
        live = counts & ~refused
        total = running_total(group, ts, np.where(live, amount, 0.0))
        now = live & (total > limit_a)
        if not now.any():
            break
        # Refuse the earliest offender of each group per pass: later totals drop by its amount.
        first = np.zeros(group.shape[0], dtype=bool)
        idx = np.flatnonzero(now)
        order = idx[np.lexsort((ts[idx], group[idx]))]
        lead = np.concatenate(([True], group[order][1:] != group[order][:-1]))
        first[order[lead]] = True
        refused |= first
    total = running_total(group, ts, np.where(counts & ~refused, amount, 0.0))
    return refused | (counts & ~refused & (total > limit_a))


def settle(
    ctx: ShardContext,
    rows: Rows,
    *,
    risk: float | F64 = 0.0,
    funded: B | None = None,
    refused: B | None = None,
) -> Rows:
    """Decide every attempt as the bank decides a genuine one (``legit.draw_status``: business
    declines by mode, place, customer and size, payments beyond the customer's funds or limits,
    technical declines, pending UPI), then decline a further share ``risk`` (per row) caught by
    the bank's fraud rules, and every row in ``refused`` (beyond a limit). ``funded`` rows are
    paid from money that just came in (a mule's credits), so the customer's usual balance does
    not limit them."""
    from fraudforge.engine.legit import available_funds, draw_status

    cu = ctx.customers
    c = ctx.local(rows["cust"])
    mode = rows["mode"].astype(np.int64)
    amount = rows["amount"]
    if funded is not None:
        amount = np.where(funded, np.minimum(amount, available_funds(cu, c, mode)), amount)
    status = draw_status(ctx.rng, cu, c, mode, rows["channel"].astype(np.int64), amount)
    caught = ctx.rng.random(len(rows)) < np.asarray(risk, dtype=np.float64)
    if refused is not None:
        caught |= refused
    rows["status"] = np.where(caught, mkt.STATUS["declined"], status)
    return rows


def moved_category(rows: Rows, wanted: I64) -> B:
    """Rows whose merchant is of another category than the one wanted (no such shop where the
    payment happened, so ``build.make_rows`` went to an everyday shop instead)."""
    return np.asarray(rows["category"] != wanted, dtype=bool)


def credit_line(ctx: ShardContext, cust: I64, mode: I64) -> tuple[B, B, F64]:
    """For each row: whether it draws on a credit line, whether that line is pay-later, and the
    line's limit (the credit card's limit for card and EMI payments, the pay-later limit by
    income for BNPL)."""
    from fraudforge.engine.legit import BNPL_LIMIT_INR

    cu = ctx.customers
    c = ctx.local(cust)
    bnpl = mode == mkt.MODE["bnpl"]
    on_line = bnpl | (mode == mkt.MODE["credit_card"]) | (mode == mkt.MODE["emi"])
    limit = np.where(bnpl, BNPL_LIMIT_INR[cu.income[c]], cu.credit_limit[c])
    return on_line, bnpl, np.asarray(limit, dtype=np.float64)


def beyond_credit(ctx: ShardContext, group: I64, rows: Rows) -> B:
    """Rows that would take a customer's spending in an incident (``group``) beyond the credit
    line they draw on (see ``credit_line``)."""
    on_line, bnpl, limit = credit_line(ctx, rows["cust"], rows["mode"])
    return over_limit(group * 2 + bnpl, rows["ts"], rows["amount"], on_line, limit)


def size_to_line(ctx: ShardContext, group: I64, cust: I64, amount: F64, mode: I64) -> F64:
    """Amounts scaled down, per ``group`` (an incident's part) and credit line, so that what is
    spent on each line comes to about its limit (0.85-1.15 of it): a bust-out aims to use all
    the credit there is, not many times more; the attempts that overshoot are refused
    (``beyond_credit``)."""
    on_line, bnpl, limit = credit_line(ctx, cust, mode)
    keys, inv = np.unique(group * 2 + bnpl, return_inverse=True)
    spent = np.bincount(inv, weights=np.where(on_line, amount, 0.0), minlength=keys.size)
    first = np.zeros(keys.size, dtype=np.int64)
    first[inv[::-1]] = np.arange(inv.size)[::-1]
    target = limit[first] * ctx.rng.uniform(0.85, 1.15, keys.size)
    factor = np.minimum(1.0, target / np.maximum(spent, 1.0))
    return np.asarray(np.where(on_line, amount * factor[inv], amount), dtype=np.float64)


def far_city(rng: np.random.Generator, origin: I64) -> I64:
    """For each origin city, a city at least ``geo.FAR_KM`` away, drawn by population: cashers,
    drop addresses and fraudsters are where people are, not in the remotest towns."""
    from fraudforge.engine import geo
    from fraudforge.engine.legit import normalised_cum, sample_by_group

    n = origin.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    weight = (geo.CITY_DIST_KM[origin] >= geo.FAR_KM) * geo.CITY_WEIGHT[None, :]
    pick = sample_by_group(rng, normalised_cum(weight), np.arange(n, dtype=np.int64))
    return np.asarray(np.where(weight.sum(axis=1) > 0, pick, origin), dtype=np.int64)


CREDIT_MODES = np.array([mkt.MODE["credit_card"], mkt.MODE["emi"], mkt.MODE["bnpl"]])


def credit_modes_for(ctx: ShardContext, cust: I64, amount: F64, *, online: B) -> I64:
    """A credit mode per row (credit card, card EMI or pay-later) as the customer would choose
    it for that amount and place: their own propensities, the amount band and what the place
    takes (a shop counter takes the credit card only); a card or EMI needs a credit card. A
    customer with no credit mode open to them (no credit card, and never pay-later, as most
    seniors) pays the way they usually pay."""
    from fraudforge.engine.legit import (
        mode_context,
        normalised_cum,
        row_mode_weights,
        sample_by_group,
    )

    cu = ctx.customers
    c = ctx.local(cust)
    n = c.shape[0]
    context = mode_context(~online, np.zeros(n, dtype=bool))
    w = row_mode_weights(cu.mode_weight[c], amount, context)[:, CREDIT_MODES]
    w[:, :2] *= cu.has_credit[c][:, None]
    pick = CREDIT_MODES[sample_by_group(ctx.rng, normalised_cum(w), np.arange(n, dtype=np.int64))]
    open_ = w.sum(axis=1) > 0
    if open_.all():
        return np.asarray(pick, dtype=np.int64)
    category = np.full(n, mkt.CAT["marketplace"])
    usual = usual_modes(ctx, cust, amount, category, at_pos=~online)
    return np.asarray(np.where(open_, pick, usual), dtype=np.int64)
