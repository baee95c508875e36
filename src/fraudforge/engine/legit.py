"""Legitimate activity of a shard's customers: daily volumes shaped by the calendar, hours by
occupation, categories and payment modes by preference and amount, home / nearby / trip mobility,
loyal merchants, P2P contacts, ATM withdrawals and genuine refunds."""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

from fraudforge.engine import geo
from fraudforge.engine import market as mkt
from fraudforge.engine.branchless import where
from fraudforge.engine.calendar import PeriodCalendar
from fraudforge.engine.context import ShardContext
from fraudforge.engine.ids import keyed_uniform, mix63
from fraudforge.engine.population import (
    MAX_DEVICES,
    Customers,
    Merchants,
    fresh_device_ids,
    loyalty_key,
    pick_merchants,
    sample_table,
)
from fraudforge.engine.rows import Rows
from fraudforge.engine.search import count_at_or_below, grouped_right, row_cumsum
from fraudforge.engine.volume import REFUND_SHARE, RETRY_SHARE

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

NEARBY_SHARE = 0.07
ATM_MEDIAN_INR = 4_200.0
"""Median cash withdrawal; with the spread below the mean is near INR 5,800 (docs/realism.md)."""
ATM_SIGMA = 0.75
ATM_MAX_INR = 20_000.0
"""The most that most ATMs dispense in one withdrawal."""
P2P_SMALL_SHARE = 0.6
"""Transfers between people are a mixture: small everyday ones (sharing a bill, pocket money)
and larger ones (rent, family support, deposits), about 59 % at or below INR 500 and 21 % above
INR 2,000 (NPCI's amount bands), with a mean near INR 2,700."""
P2P_SMALL = (150.0, 0.9)
P2P_LARGE = (3_000.0, 1.3)
SAVVY_ONLINE: F64 = np.array([0.55, 1.0, 1.3])
PURCHASE_MASK = np.zeros(mkt.N_MERCHANT_CATEGORIES)
PURCHASE_MASK[mkt.PURCHASE_CATEGORIES] = 1.0
BILL_MASK = np.zeros(mkt.N_MERCHANT_CATEGORIES)
BILL_MASK[mkt.BILL_CATEGORIES] = 1.0


def sample_by_group(rng: np.random.Generator, cum: F64, group: I64) -> I64:
    """One draw per row from the categorical ``cum[group[row]]`` (rows of ``cum`` are cumulative
    probabilities ending at 1). A small table (hours, categories by a few groups) is searched
    whole, offset by group (``search.grouped_right``); a large one (modes per customer) would
    miss the cache on every step of that search, so each row counts its cumulatives at or
    below its draw instead (``count_by_group``)."""
    if cum.size > SMALL_TABLE:
        return count_by_group(rng, cum, group)
    k = cum.shape[1]
    u: F64 = np.asarray(rng.random(group.shape[0]) * 0.999999)
    flat = (cum + np.arange(cum.shape[0])[:, None]).ravel()
    pick = grouped_right(flat, cum.shape[0], group, group + u) - group * k
    return np.asarray(pick, dtype=np.int64).clip(0, k - 1)


def count_by_group(rng: np.random.Generator, cum: F64, group: I64) -> I64:
    """``sample_by_group``'s draw for a large table, whatever its size: the same uniforms, and
    for each row the number of its group's cumulatives at or below its own (exact comparisons,
    so the pick does not depend on which other groups the table holds), found by halves
    (``search.count_at_or_below``: no (rows, k) matrix, whose large temporary made glibc's
    allocator return the many mid-sized ones that followed to the system each time)."""
    k = cum.shape[1]
    u: F64 = np.asarray(rng.random(group.shape[0]) * 0.999999)
    return count_at_or_below(cum, group, u).clip(0, k - 1)


def keys_present(key: I64, size: int) -> tuple[I64, I64]:
    """The distinct values of ``key`` (integers below ``size``) in order, and each element's
    rank among them: ``np.unique(key, return_inverse=True)``, from a table of all ``size``
    values instead of a sort of the keys."""
    present = np.zeros(size, dtype=bool)
    present[key] = True
    return np.flatnonzero(present), (np.cumsum(present) - 1)[key]


SMALL_TABLE = 8_192
"""Cumulatives (64 KiB) up to which ``sample_by_group`` searches the whole table."""


def normalised_cum(weights: F64) -> F64:
    """Row-wise cumulative probabilities of a weight matrix."""
    cum = row_cumsum(weights)
    total = cum[:, -1:]
    return np.asarray(cum / where(total > 0, total, 1.0), dtype=np.float64)


def sample_amount(rng: np.random.Generator, category: I64, scale: F64) -> F64:
    """Log-normal amounts in INR around each category's median, scaled per customer."""
    mu = np.log(mkt.CAT_MEDIAN[category] * scale)
    return np.asarray(np.exp(mu + mkt.CAT_SIGMA[category] * rng.standard_normal(category.shape[0])))


def purchase_categories(
    rng: np.random.Generator, cat_weight: F64, c: I64, tilt: F64, tilt_id: I64
) -> I64:
    """A purchase category per row from its customer's preferences times the festival tilt in
    force that day (tilt 0 is none): one cumulative table per (customer, tilt) pair present."""
    key = c * tilt.shape[0] + tilt_id
    pairs, group = keys_present(key, cat_weight.shape[0] * tilt.shape[0])
    w = cat_weight[pairs // tilt.shape[0]] * tilt[pairs % tilt.shape[0]] * PURCHASE_MASK
    return sample_by_group(rng, normalised_cum(w), group.astype(np.int64))


def atm_amounts(rng: np.random.Generator, scale: F64) -> F64:
    """Cash withdrawals in multiples of INR 100, most in multiples of 500, up to an ATM's
    per-withdrawal maximum; larger for customers who spend more."""
    raw = ATM_MEDIAN_INR * scale**0.5 * np.exp(ATM_SIGMA * rng.standard_normal(scale.shape[0]))
    step = where(rng.random(scale.shape[0]) < 0.65, 500.0, 100.0)
    return np.asarray(np.clip(np.round(raw / step) * step, 100.0, ATM_MAX_INR), dtype=np.float64)


def p2p_amounts(rng: np.random.Generator, scale: F64, small: B) -> F64:
    """Amounts of transfers between people: small everyday ones (``small``) or larger ones (see
    ``P2P_SMALL_SHARE``), larger for customers who spend more."""
    median = where(small, P2P_SMALL[0], P2P_LARGE[0]) * scale**0.5
    sigma = where(small, P2P_SMALL[1], P2P_LARGE[1])
    return np.asarray(median * np.exp(sigma * rng.standard_normal(scale.shape[0])))


def mode_context(at_pos: B, bill: B) -> I64:
    """Where each payment is made, as ``market.MODE_CONTEXTS`` numbers it: a shop counter, an
    online checkout or a bill."""
    return where(at_pos, 0, where(bill, 2, 1))


def row_mode_weights(weight: F64, amount: F64, context: I64) -> F64:
    """Each row's weight of each payment mode: the customer's own propensities (``weight``, a
    row each), times what suits the amount's band and the place (``mode_context``)."""
    band = np.searchsorted(mkt.AMOUNT_BAND_EDGES, amount, side="left")
    return weight * mkt.MODE_BAND[band] * mkt.MODE_CONTEXT[context]


def choose_modes(
    rng: np.random.Generator,
    cu: Customers,
    c: I64,
    amount: F64,
    at_pos: B,
    bill: B,
    category: I64,
) -> I64:
    """Payment mode per row from where it happens (a shop counter takes UPI QR and cards, a bill
    no BNPL or EMI, an online checkout anything), the amount band, and the customer's own
    propensities (credit modes only with a credit card). Above the category's UPI limit the
    choice is among the other modes."""
    n_bands = mkt.AMOUNT_BAND_EDGES.shape[0] + 1
    band = np.searchsorted(mkt.AMOUNT_BAND_EDGES, amount, side="left")
    context = mode_context(at_pos, bill)
    over = amount > mkt.CAT_UPI_LIMIT[category]
    # One cumulative table per (customer, band, context, over the UPI limit): rows sample by
    # group lookup.
    group = ((c * n_bands + band) * len(mkt.MODE_CONTEXTS) + context) * 2 + over
    groups = cu.n * n_bands * len(mkt.MODE_CONTEXTS) * 2
    if groups * len(mkt.PAYMENT_MODES) <= SMALL_TABLE:
        return sample_by_group(rng, normalised_cum(_mode_table(cu, np.arange(groups))), group)
    # A large table: only the groups the rows use, in group order (each row's draw compares
    # exactly, so it does not depend on the other rows of the table).
    used, rank = keys_present(group, groups)
    return count_by_group(rng, normalised_cum(_mode_table(cu, used)), rank)


def _mode_table(cu: Customers, group: I64) -> F64:
    """The payment mode weights of ``choose_modes``' groups ``group`` (customer, amount band,
    context, over the UPI limit), a row each; a group no mode suits pays by debit card."""
    n_bands = mkt.AMOUNT_BAND_EDGES.shape[0] + 1
    over = group % 2
    context = group // 2 % len(mkt.MODE_CONTEXTS)
    band = group // (2 * len(mkt.MODE_CONTEXTS)) % n_bands
    c = group // (2 * len(mkt.MODE_CONTEXTS) * n_bands)
    w = cu.mode_weight[c] * mkt.MODE_BAND[band] * mkt.MODE_CONTEXT[context] * _UPI_OR_NOT[over]
    dead = w.sum(axis=1) <= 0
    w[dead, mkt.MODE["debit_card"]] = 1.0
    return np.asarray(w, dtype=np.float64)


_NO_UPI = np.ones(len(mkt.PAYMENT_MODES))
_NO_UPI[mkt.MODE["upi"]] = 0.0
_UPI_OR_NOT: F64 = np.stack([np.ones(len(mkt.PAYMENT_MODES)), _NO_UPI])
"""Mode factors under (row 0) and over (row 1) the category's UPI limit."""


def fill_instrument(rng: np.random.Generator, rows: Rows, cu: Customers) -> None:
    """Fill device (mostly the primary one), card and card network from each row's customer,
    mode and channel."""
    c = rows["cust"] - cu.offset
    mode, channel = rows["mode"], rows["channel"]
    uses_device = (channel == mkt.CHANNEL["mobile_app"]) | (channel == mkt.CHANNEL["ecommerce"])
    uses_device |= (channel == mkt.CHANNEL["pos"]) & (mode == mkt.MODE["upi"])
    other = np.floor(rng.random(len(rows)) * cu.n_devices[c]).astype(np.int64)
    device_k = where(rng.random(len(rows)) < 0.85, 0, other)
    # A customer who changed phones pays from the new one (slot MAX_DEVICES) from then on.
    device_k = where((device_k == 0) & (rows["ts"] >= cu.new_phone_at[c]), MAX_DEVICES, device_k)
    devices = cu.device_table
    own = devices[c, device_k]
    # Families share phones: now and then a payment is made from the partner's phone.
    partner = cu.partner[c]
    shared = (partner >= 0) & (rng.random(len(rows)) < SHARED_PHONE_SHARE)
    own = where(shared, devices[np.maximum(partner, 0), 0], own)
    # Web checkouts from a fingerprint the bank has not seen for the customer (a draw keyed by
    # the row, so no other column changes with it).
    web = np.flatnonzero(channel == mkt.CHANNEL["ecommerce"])
    key = (rows["cust"][web].astype(np.uint64) << np.uint64(34)) ^ rows["ts"][web].astype(np.uint64)
    fresh = keyed_uniform(key, _FRESH_SALT) < FRESH_FINGERPRINT_SHARE
    own[web[fresh]] = fresh_device_ids(key[fresh])
    rows["device"] = where(uses_device, own, -1)
    is_card = mkt.MODE_IS_CARD[mode]
    credit = (mode == mkt.MODE["credit_card"]) | (mode == mkt.MODE["emi"])
    cards = cu.card_table
    rows["card"] = where(is_card, cards[c, credit.astype(np.int64)], -1)
    net = where(credit, cu.credit_network[c], cu.debit_network[c])
    rows["network"] = where(is_card, net, 0)


_APP_PREFERRED = np.zeros(len(mkt.PAYMENT_MODES), dtype=bool)
_APP_PREFERRED[[mkt.MODE["upi"], mkt.MODE["wallet"], mkt.MODE["bnpl"]]] = True
"""Payment modes paid in an app even at an online merchant's website."""


def channel_for(mode: I64, online: B, withdrawal: B, p2p: B, rng: np.random.Generator) -> I64:
    """Channel from where the merchant sells and how the customer pays."""
    app_pref = _APP_PREFERRED[mode]
    app = app_pref | (rng.random(mode.shape[0]) < 0.35)
    ch = where(
        online,
        where(app, mkt.CHANNEL["mobile_app"], mkt.CHANNEL["ecommerce"]),
        mkt.CHANNEL["pos"],
    )
    ch = where(p2p, mkt.CHANNEL["mobile_app"], ch)
    return np.asarray(where(withdrawal, mkt.CHANNEL["atm"], ch), dtype=np.int64)


def draw_status(
    rng: np.random.Generator, cu: Customers, c: I64, mode: I64, channel: I64, amount: F64
) -> I64:
    """Approved, declined or pending. Business declines (wrong PIN, insufficient funds, limits)
    depend on the mode and where it is used, and are likelier for budget customers, customers
    new to digital payments and payments large for the customer; a payment above the credit
    limit, the customer's funds, a wallet's or a pay-later line's limit is almost always
    declined; technical declines strike anyone."""
    remote = (channel == mkt.CHANNEL["ecommerce"]) | (channel == mkt.CHANNEL["mobile_app"])
    business = where(remote, mkt.DECLINE_REMOTE[mode], mkt.DECLINE_PRESENT[mode])
    large = amount > 15.0 * mkt.CAT_MEDIAN[mkt.CAT["grocery"]] * cu.amount_scale[c]
    business = business * DECLINE_SAVVY[cu.savviness[c]] * DECLINE_SEGMENT[cu.segment[c]]
    business = np.minimum(business * where(large, 1.8, 1.0), 0.5)
    business = where(amount > available_funds(cu, c, mode), 0.95, business)
    p_decl = business + mkt.TECHNICAL_DECLINE[mode]
    u = rng.random(mode.shape[0])
    declined = u < p_decl
    pending = ~declined & (u < p_decl + mkt.PENDING_RATE[mode])
    return where(declined, mkt.STATUS["declined"], where(pending, mkt.STATUS["pending"], 0))


def available_funds(cu: Customers, c: I64, mode: I64) -> F64:
    """What customer ``c`` can pay in one payment by ``mode``: the credit limit for cards and EMI,
    a wallet's or a pay-later line's limit, a debit card's daily limit, else the money in the
    bank."""
    credit = (mode == mkt.MODE["credit_card"]) | (mode == mkt.MODE["emi"])
    out = where(credit, cu.credit_limit[c], cu.funds[c])
    out = where(mode == mkt.MODE["wallet"], np.minimum(out, WALLET_MAX_INR), out)
    out = where(mode == mkt.MODE["debit_card"], np.minimum(out, DEBIT_CARD_MAX_INR), out)
    return np.asarray(
        where(mode == mkt.MODE["bnpl"], BNPL_LIMIT_INR[cu.income[c]], out), dtype=np.float64
    )


N_REGULAR_CONTACTS = 6
"""Regular payees per customer (family, friends, the milkman): most transfers go to them."""
VENDOR_SHARE = 0.3
"""Small transfers paid to a small shop's or street vendor's personal UPI address (P2PM: the
tea stall, the vegetable seller, the tutor) rather than to a friend: assumption; the RBI's
February 2026 clarification on P2PM payments names the practice (Business Standard,
https://www.business-standard.com/finance/news/rbi-gives-compliance-breather-for-small-merchant-upi-transactions-126022601192_1.html)."""
SELLER_SHARE = 0.1
"""Larger transfers paid to a small online seller's or service provider's personal address (a
home baker on Instagram, a tutor, an event organiser), who is paid by people all over the
country: assumption, the online side of the same P2PM practice."""
NATIONAL_POOL = 511
"""The pool number of those sellers (the vendors' pools are the cities' numbers)."""
VENDORS_PER_CITY = 2_000
"""Vendor addresses in a city, ranked by popularity (``VENDOR_ZIPF``)."""
VENDOR_ZIPF = 1.05
"""Zipf exponent of the vendors' popularity: a few stalls by a station take payments from
hundreds of people, most from a handful, so a payee's number of payers is heavy-tailed."""
N_VENDOR_HABITS = 3
"""Vendors a customer keeps paying in a city (the same tea stall every morning)."""
VENDOR_QR_SHARE = 0.85
"""Vendor payments made by scanning the vendor's printed QR code (the rest by its number)."""
_VENDOR_CUM: F64 = np.cumsum(1.0 / np.arange(1, VENDORS_PER_CITY + 1) ** VENDOR_ZIPF)
_VENDOR_CUM /= _VENDOR_CUM[-1]
_VENDOR_SALT = np.uint64(0x6C1F_2B95)
TEST_TRANSFER_SHARE = 0.25
"""Large first transfers to a new payee preceded by an INR 1 test transfer."""
DUPLICATE_SHARE = 0.001
"""Approved merchant payments accidentally made twice."""
RENTER_SHARE: F64 = np.array([0.45, 0.25, 0.2, 0.45, 0.15, 0.05, 0.1])
"""Share of each segment (in tier 1 and 2 cities) paying rent to a landlord each month."""
RENT_INR: F64 = np.array([5e3, 8e3, 12e3, 20e3, 35e3, 60e3])
"""Typical monthly rent by income bracket."""
FAMILY_SUPPORT_SHARE: F64 = np.array([0.2, 0.1, 0.15, 0.15, 0.1, 0.02, 0.0])
"""Share of each segment sending money home every month."""
SUPPORT_INR: F64 = np.array([2e3, 3e3, 5e3, 8e3, 15e3, 25e3])
"""Typical monthly family support by income bracket."""
FRESH_FINGERPRINT_SHARE = 0.1
"""Web checkouts (the ``ecommerce`` channel) whose device fingerprint is new to the bank: private
browsing, storage cleared, cookies blocked (about 13 % of smartphones block even first-party
cookies, https://www.webbanalys.se/docs/2015/the-unique-browser-fallback-issue.html), a new
browser, an office or a relative's computer (assumed share)."""
_FRESH_SALT = 0x6F1D_2A47
SHARED_PHONE_SHARE = 0.2
"""Share of a household member's device payments made from the partner's phone."""
NIGHT_OWL_NIGHT_SHARE = 0.35
"""Share of a night owl's payments that follow the late-night hour profile."""
WITHIN_MEANS = 0.8
"""Share of would-be payments beyond the customer's funds that are made smaller instead."""
WALLET_MAX_INR = 10_000.0
"""What a wallet typically holds."""
DEBIT_CARD_MAX_INR = 100_000.0
"""A debit card's usual limit for one day's shop and online payments, set by the bank."""
BNPL_LIMIT_INR: F64 = np.array([5e3, 1e4, 2e4, 3e4, 5e4, 6e4])
"""Pay-later limit by income bracket."""
DECLINE_SAVVY: F64 = np.array([1.35, 1.0, 0.8])
"""Wrong PINs and wrong details by digital savviness (low, medium, high)."""
DECLINE_SEGMENT: F64 = np.array([0.9, 1.0, 1.4, 0.9, 0.6, 1.1, 1.2])
"""Insufficient funds by segment (``market.SEGMENTS``): budget customers and students run dry
more often, the affluent rarely."""


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
    lat = where(at_home, cu.home_lat[c], geo.CITY_LAT[loc_city]) + jlat
    lon = where(at_home, cu.home_lon[c], geo.CITY_LON[loc_city]) + jlon
    msafe = np.maximum(merchant, 0)
    rows["lat"] = where(shop, merchants.lat[msafe], lat)
    rows["lon"] = where(shop, merchants.lon[msafe], lon)
    rows["city"] = where(shop, merchants.city[msafe], loc_city)


def vendors(rng: np.random.Generator, cust: I64, city: I64, n_customers: int) -> I64:
    """The vendor each P2PM payment goes to: one of the customer's ``N_VENDOR_HABITS`` habitual
    vendors in that city (``NATIONAL_POOL``: online sellers), each drawn once by the vendors'
    popularity (a function of customer, city and habit alone, so every shard and every run
    agrees)."""
    habit = rng.integers(0, N_VENDOR_HABITS, cust.shape[0]).astype(np.uint64)
    key = (cust.astype(np.uint64) * np.uint64(4) + habit) * np.uint64(512) + city.astype(np.uint64)
    u = (mix63(key ^ _VENDOR_SALT) >> 10).astype(np.float64) / float(1 << 53)
    rank = np.searchsorted(_VENDOR_CUM, u, side="right").astype(np.uint64)
    who = mix63(city.astype(np.uint64) * np.uint64(1 << 20) + rank + _VENDOR_SALT)
    return np.asarray(who % max(n_customers, 1), dtype=np.int64)


def contacts(rng: np.random.Generator, cust: I64, n_customers: int, at: I64) -> I64:
    """P2P payees of the rows ``at`` (the draws are made for every row of ``cust``, so they do
    not depend on which rows are transfers): mostly a handful of regular contacts per customer,
    sometimes anyone."""
    n = cust.shape[0]
    slot: I64 = np.asarray(rng.integers(0, N_REGULAR_CONTACTS, n))
    anyone: I64 = np.asarray(rng.integers(0, max(n_customers, 1), n))
    regular: B = np.asarray(rng.random(n) < 0.7)
    who = cust[at]
    fav = mix63(who.astype(np.uint64) * np.uint64(16) + slot[at].astype(np.uint64))
    payee = where(regular[at], fav % max(n_customers, 1), anyone[at])
    clash = payee == who
    payee[clash] = (payee[clash] + 1) % max(n_customers, 1)
    return np.asarray(payee, dtype=np.int64)


def trips(ctx: ShardContext) -> tuple[I64, I64, I64]:
    """At most one multi-day trip per customer: (first day, end day exclusive, city); first day
    is -1 for customers who stay home."""
    rng, cu, days = ctx.rng, ctx.customers, ctx.calendar.days
    p = np.minimum(mkt.SEG_TRAVEL_PROB[cu.segment] * days / 90.0, 0.95)
    goes = rng.random(cu.n) < p
    length = rng.integers(2, 7, cu.n)
    first = where(goes, rng.integers(0, max(days - 1, 1), cu.n), -1)
    dest = rng.choice(geo.N_CITIES, size=cu.n, p=geo.CITY_WEIGHT)
    dest = where(dest == cu.home_city, (dest + 1) % geo.N_CITIES, dest)
    return first, first + length, dest


def legit_rows(ctx: ShardContext, active: B) -> Rows:
    """Generate the shard's ordinary transactions (``active`` masks customers who transact)."""
    rng, cu, me, cal = ctx.rng, ctx.customers, ctx.merchants, ctx.calendar
    days = cal.days
    state = geo.CITY_STATE[cu.home_city].astype(np.int64)
    lam = (cu.rate * active)[:, None] * cal.volume(state, cu.occupation)
    counts = rng.poisson(lam).ravel()
    cell = np.repeat(np.arange(cu.n * days, dtype=np.int64), counts)
    c = cell // days
    day = cell % days
    n = c.shape[0]
    rows = Rows.empty(n)
    rows["cust"] = c + cu.offset
    # When: hour by occupation and weekday / weekend.
    group = cu.occupation[c] * 2 + cal.is_weekend[day]
    late = cu.night_owl[c] & (rng.random(n) < NIGHT_OWL_NIGHT_SHARE)
    group = where(late, mkt.NIGHT_OWL_GROUP, group)
    hour = sample_by_group(rng, np.cumsum(mkt.HOURS_BY_GROUP, axis=1), group)
    rows["ts"] = cal.day_start_s[day] + hour * 3600 + rng.integers(0, 3600, n)
    # What: transaction type and category.
    ttype = rng.choice(4, size=n, p=_TYPE_P)
    ttype = np.array(
        [
            mkt.TXN["purchase"],
            mkt.TXN["p2p_transfer"],
            mkt.TXN["bill_payment"],
            mkt.TXN["withdrawal"],
        ]
    )[ttype]
    purchase_cat = purchase_categories(rng, cu.cat_weight, c, cal.tilt, cal.tilt_id[state[c], day])
    bill = ttype == mkt.TXN["bill_payment"]
    bill_cat = np.zeros(n, dtype=np.int64)
    bill_cat[bill] = sample_by_group(rng, normalised_cum(cu.cat_weight * BILL_MASK), c[bill])
    # The category by type (the types exclude each other): drawn for purchases and bills.
    p2p = ttype == mkt.TXN["p2p_transfer"]
    withdrawal = ttype == mkt.TXN["withdrawal"]
    category = where(ttype == mkt.TXN["purchase"], purchase_cat, bill_cat)
    category[withdrawal] = mkt.CAT["atm"]
    category[p2p] = mkt.CAT["p2p"]
    # Where: home, a nearby city for the day, or the trip's destination.
    t_first, t_end, t_city = trips(ctx)
    on_trip = (day >= t_first[c]) & (day < t_end[c])
    home = cu.home_city[c]
    near = geo.pick_from_sets(rng, geo.NEARBY_OFFSETS, geo.NEARBY_CITIES, home, home)
    loc = where(on_trip, t_city[c], where(rng.random(n) < NEARBY_SHARE, near, home))
    # Whom: a merchant (loyal to a few per category) or a P2P contact.
    p_online = np.minimum(mkt.CAT_ONLINE_SHARE[category] * SAVVY_ONLINE[cu.savviness[c]], 1.0)
    want_online = rng.random(n) < p_online
    mcat = where(p2p, mkt.CAT["grocery"], category)
    merchant, online = pick_merchants(
        rng, me, mcat, loc, want_online, loyalty_key(rows["cust"], mcat)
    )
    away = ~online & (me.city[merchant] != loc)
    if away.any():
        # No shop of that kind where the customer is: they buy it online instead.
        mcat[away] = where(withdrawal[away], mkt.CAT["atm"], mkt.CAT["marketplace"])
        m2, o2 = pick_merchants(rng, me, mcat[away], loc[away], ~withdrawal[away])
        merchant[away], online[away] = m2, o2
        category = where(away & ~p2p, mcat, category)
    merchant = where(p2p, -1, merchant)
    online = online & ~p2p
    rows["merchant"] = merchant
    transfers = np.flatnonzero(p2p)  # every other row has no payee (-1)
    rows["payee"][transfers] = contacts(rng, rows["cust"], ctx.scenario.customers, transfers)
    # Small transfers are partly payments to vendors' personal addresses, mostly by their QR.
    small = p2p & (rng.random(n) < P2P_SMALL_SHARE)
    vendor = small & (rng.random(n) < VENDOR_SHARE)
    at = np.flatnonzero(vendor)
    rows["payee"][at] = vendors(rng, rows["cust"][at], loc[at], ctx.scenario.customers)
    seller = p2p & ~small & (rng.random(n) < SELLER_SHARE)
    at = np.flatnonzero(seller)
    pool = np.full(at.size, NATIONAL_POOL, dtype=np.int64)
    rows["payee"][at] = vendors(rng, rows["cust"][at], pool, ctx.scenario.customers)
    clash = (vendor | seller) & (rows["payee"] == rows["cust"])
    rows["payee"][clash] = (rows["payee"][clash] + 1) % max(ctx.scenario.customers, 1)
    qr = vendor & (rng.random(n) < VENDOR_QR_SHARE)
    rows["upi_via"] = where(qr, mkt.UPI_INITIATION["qr"], rows["upi_via"])
    # How much and how.
    scale = cu.amount_scale[c]
    amount = sample_amount(rng, category, where(mkt.CAT_IS_BILL[category], scale**0.5, scale))
    amount = where(withdrawal, atm_amounts(rng, scale), amount)
    amount = where(p2p, p2p_amounts(rng, scale, small), amount)
    # Most customers stay within their means: a payment beyond their funds is usually made
    # smaller; the rest try and are declined (draw_status).
    beyond = (amount > cu.funds[c]) & (rng.random(n) < WITHIN_MEANS) & ~withdrawal
    amount = where(beyond, cu.funds[c] * rng.uniform(0.2, 0.9, n), amount)
    mode = choose_modes(rng, cu, c, amount, ~online & ~p2p & ~withdrawal, bill, category)
    mode = where(
        p2p,
        where(rng.random(n) < mkt.P2P_UPI_SHARE, mkt.MODE["upi"], mkt.MODE["net_banking"]),
        mode,
    )
    mode = where(withdrawal, mkt.MODE["debit_card"], mode)
    over_limit = (mode == mkt.MODE["upi"]) & (amount > mkt.CAT_UPI_LIMIT[category])
    mode = where(over_limit, mkt.MODE["net_banking"], mode)
    amount = round_amounts(rng, amount, mode, p2p, withdrawal)
    rows["amount"] = amount
    rows["mode"] = mode
    rows["channel"] = channel_for(mode, online, withdrawal, p2p, rng)
    rows["txn_type"] = ttype
    rows["category"] = category
    rows["status"] = draw_status(rng, cu, c, mode, rows["channel"], amount)
    place_rows(rng, cu, me, rows, loc, merchant, online)
    fill_instrument(rng, rows, cu)
    rows["label_delay"] = int(ctx.scenario.chargeback_delay_days * 86_400)
    extra = [retries(ctx, rows), genuine_refunds(ctx, rows), test_transfers(ctx, rows)]
    extra += [duplicates(ctx, rows), recurring_transfers(ctx, active)]
    return Rows.concat([rows, *extra])


_TYPE_W = np.array(
    [
        mkt.TXN_TYPE_WEIGHT[mkt.TXN["purchase"]],
        mkt.TXN_TYPE_WEIGHT[mkt.TXN["p2p_transfer"]],
        mkt.TXN_TYPE_WEIGHT[mkt.TXN["bill_payment"]],
        mkt.TXN_TYPE_WEIGHT[mkt.TXN["withdrawal"]],
    ]
)
_TYPE_P = _TYPE_W / _TYPE_W.sum()


P2P_ROUND_STEPS = np.array([10.0, 100.0, 500.0, 1_000.0])
P2P_ROUND_BY_SIZE: F64 = np.array(
    [
        [0.5, 0.5, 0.0, 0.0],  # below INR 1,000: to the ten or the hundred
        [0.2, 0.5, 0.15, 0.15],  # INR 1,000 to 10,000
        [0.0, 0.3, 0.25, 0.45],  # INR 10,000 and more: mostly the five hundred or thousand
    ]
)
"""How far a rounded transfer between people is rounded, by its size: the larger the sum, the
rounder (people send INR 48,000, not INR 48,370)."""


def round_amounts(rng: np.random.Generator, amount: F64, mode: I64, p2p: B, withdrawal: B) -> F64:
    """Paise for cards and online payments, whole rupees for UPI, round figures for most P2P
    (rounder the larger they are, ``P2P_ROUND_BY_SIZE``)."""
    out = np.round(np.maximum(amount, 1.0), 2)
    upi = mode == mkt.MODE["upi"]
    out = where(upi, np.maximum(np.round(out), 1.0), out)
    size = np.searchsorted(np.array([1_000.0, 10_000.0]), np.asarray(out), side="right")
    step = P2P_ROUND_STEPS[sample_table(rng, P2P_ROUND_BY_SIZE, size)]
    out = where(
        p2p & (rng.random(amount.shape[0]) < 0.7),
        np.maximum(np.round(out / step) * step, step),
        out,
    )
    return np.asarray(where(withdrawal, amount, out), dtype=np.float64)


def retries(ctx: ShardContext, rows: Rows) -> Rows:
    """Declined payments tried again 20 seconds to 8 minutes later: the same payment to the same
    payee (a mistyped PIN, a momentary failure), about one in six with another payment mode
    when the first one was refused. Retries come out of ``RETRY_SHARE`` of the rows."""
    rng, cu = ctx.rng, ctx.customers
    declined = np.flatnonzero(rows["status"] == mkt.STATUS["declined"])
    k = rng.binomial(len(declined), min(RETRY_SHARE * len(rows) / max(len(declined), 1), 1.0))
    pick = np.sort(rng.choice(declined, size=k, replace=False)) if k else declined[:0]
    again = rows.take(pick)
    again["ts"] = again["ts"] + rng.integers(20, 480, k)
    c = again["cust"] - cu.offset
    switch = (rng.random(k) < 0.17) & (again["txn_type"] != mkt.TXN["withdrawal"])
    if switch.any():
        s = np.flatnonzero(switch)
        other = where(
            again["mode"][s] == mkt.MODE["upi"],
            where(cu.has_credit[c[s]], mkt.MODE["credit_card"], mkt.MODE["debit_card"]),
            mkt.MODE["upi"],
        )
        pos = again["channel"][s] == mkt.CHANNEL["pos"]
        p2p = again["txn_type"][s] == mkt.TXN["p2p_transfer"]
        other = where(p2p, mkt.MODE["net_banking"], other)
        other = where(pos & (other == mkt.MODE["net_banking"]), mkt.MODE["upi"], other)
        limit = mkt.CAT_UPI_LIMIT[again["category"][s].astype(np.int64)]
        over = (other == mkt.MODE["upi"]) & (again["amount"][s] > limit)
        other = where(over, again["mode"][s], other)
        again["mode"][s] = other
        sub = again.take(s)
        fill_instrument(rng, sub, cu)
        for key in ("device", "card", "network"):
            again[key][s] = sub[key]
    again["status"] = draw_status(rng, cu, c, again["mode"], again["channel"], again["amount"])
    return again.take(again["ts"] < ctx.t_end)


def test_transfers(ctx: ShardContext, rows: Rows) -> Rows:
    """Before a large first transfer to someone outside their usual contacts, a careful customer
    sends INR 1 a few minutes earlier to check the payee's account (``TEST_TRANSFER_SHARE``)."""
    rng = ctx.rng
    p2p = rows["txn_type"] == mkt.TXN["p2p_transfer"]
    large = np.flatnonzero(p2p & (rows["amount"] >= 2_000))
    # Only the large transfers are checked against the contacts (a few % of the rows).
    regular = regular_payee(rows["cust"][large], rows["payee"][large], ctx.scenario.customers)
    first = large[~regular]
    chosen = rng.random(len(rows)) < TEST_TRANSFER_SHARE
    pick = first[chosen[first]]
    probe = rows.take(pick)
    probe["ts"] = probe["ts"] - rng.integers(60, 600, pick.size)
    probe["amount"] = 1.0
    probe["mode"] = mkt.MODE["upi"]
    probe["status"] = mkt.STATUS["approved"]
    return probe.take(probe["ts"] >= ctx.t_start)


def duplicates(ctx: ShardContext, rows: Rows) -> Rows:
    """Accidental double payments: an approved merchant payment made again 30 seconds to three
    minutes later (a double tap, an app that seemed to hang), ``DUPLICATE_SHARE`` of them."""
    rng = ctx.rng
    paid = (rows["status"] == mkt.STATUS["approved"]) & (rows["merchant"] >= 0)
    paid &= rows["txn_type"] == mkt.TXN["purchase"]
    pick = np.flatnonzero(paid & (rng.random(len(rows)) < DUPLICATE_SHARE))
    again = rows.take(pick)
    again["ts"] = again["ts"] + rng.integers(30, 180, pick.size)
    return again.take(again["ts"] < ctx.t_end)


def recurring_transfers(ctx: ShardContext, active: B) -> Rows:
    """Monthly transfers between people: rent to a landlord on one of the first five days of the
    month (renters in tier 1 and 2 cities) and money sent home to family; the same payee and
    amount every month, by UPI (bank transfer above its limit); ``active`` customers only."""
    rng, cu, cal = ctx.rng, ctx.customers, ctx.calendar
    renter = active & (cu.tier < 3) & (rng.random(cu.n) < RENTER_SHARE[cu.segment])
    sender = active & (rng.random(cu.n) < FAMILY_SUPPORT_SHARE[cu.segment])
    starts = np.flatnonzero(np.array([d.day == 1 for d in _dates(cal)]))
    blocks = []
    for who, amount, first_day, spread in (
        (renter, RENT_INR[cu.income] * rng.lognormal(0, 0.3, cu.n), 0, 5),
        (sender, SUPPORT_INR[cu.income] * rng.lognormal(0, 0.4, cu.n), 0, 10),
    ):
        c = np.flatnonzero(who)
        if c.size == 0 or starts.size == 0:
            continue
        day_of = rng.integers(first_day, first_day + spread, c.size)
        payee = mix63(cu.ids[c].astype(np.uint64) * np.uint64(16) + np.uint64(15)) % max(
            ctx.scenario.customers, 1
        )
        cc = np.repeat(c, starts.size)
        day = np.tile(starts, c.size) + np.repeat(day_of, starts.size)
        keep = day < cal.days
        cc, day = cc[keep], day[keep]
        block = Rows.empty(cc.size)
        block["cust"] = cc + cu.offset
        block["ts"] = cal.day_start_s[day] + rng.integers(8 * 3600, 22 * 3600, cc.size)
        block["payee"] = np.repeat(payee.astype(np.int64), starts.size)[keep]
        block["amount"] = np.round(np.repeat(amount[c], starts.size)[keep], -2)
        block["mode"] = where(
            block["amount"] <= mkt.UPI_LIMIT_INR, mkt.MODE["upi"], mkt.MODE["net_banking"]
        )
        block["channel"] = mkt.CHANNEL["mobile_app"]
        block["txn_type"] = mkt.TXN["p2p_transfer"]
        block["category"] = mkt.CAT["p2p"]
        block["city"] = cu.home_city[cc]
        block["lat"] = cu.home_lat[cc]
        block["lon"] = cu.home_lon[cc]
        block["label_delay"] = int(ctx.scenario.chargeback_delay_days * 86_400)
        fill_instrument(rng, block, cu)
        block["status"] = draw_status(
            rng,
            cu,
            cc,
            block["mode"].astype(np.int64),
            block["channel"].astype(np.int64),
            block["amount"],
        )
        blocks.append(block)
    return Rows.concat(blocks)


def _dates(cal: PeriodCalendar) -> list[dt.date]:
    return [cal.start + dt.timedelta(days=i) for i in range(cal.days)]


def regular_payee(cust: I64, payee: I64, n_customers: int) -> B:
    """Whether each payee is one of the customer's regular contacts (see ``contacts``)."""
    hit = np.zeros(cust.shape[0], dtype=bool)
    for k in range(N_REGULAR_CONTACTS):
        fav = mix63(cust.astype(np.uint64) * np.uint64(16) + np.uint64(k))
        hit |= payee == fav % max(n_customers, 1)
    return hit


def genuine_refunds(ctx: ShardContext, rows: Rows) -> Rows:
    """Refunds of earlier approved purchases (a return, a cancelled order) at the same merchant,
    1 to 10 days later, for the full amount or part of it."""
    rng = ctx.rng
    eligible = np.flatnonzero((rows["txn_type"] == mkt.TXN["purchase"]) & (rows["status"] == 0))
    k = rng.binomial(len(eligible), REFUND_SHARE * len(rows) / max(len(eligible), 1))
    pick = np.sort(rng.choice(eligible, size=k, replace=False)) if k else eligible[:0]
    ref = rows.take(pick)
    ref["ts"] = ref["ts"] + rng.integers(86_400, 10 * 86_400, k)
    partial = rng.random(k) < 0.3
    ref["amount"] = where(
        partial, np.round(ref["amount"] * rng.uniform(0.2, 0.9, k), 2), ref["amount"]
    )
    ref["txn_type"] = mkt.TXN["refund"]
    return ref.take(ref["ts"] < ctx.t_end)
