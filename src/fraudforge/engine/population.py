"""Customers (drawn shard by shard) and merchants (drawn once from the seed), with the lookup
structures the transaction generators use: per-customer preference weights, devices and cards,
and merchant groups by (category, city)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import numpy.typing as npt
import polars as pl

from fraudforge.engine import geo
from fraudforge.engine import market as mkt
from fraudforge.engine._data.names import (
    CHAIN_BRANDS,
    FIRST_NAMES,
    LOCAL_SUFFIXES,
    SURNAMES,
    UPI_HANDLES,
)
from fraudforge.engine.branchless import where
from fraudforge.engine.ids import KEY_CARD, KEY_CUSTOMER_DEVICE, mix63, opaque_ids
from fraudforge.engine.rng import STREAM_MERCHANTS, stream
from fraudforge.engine.search import grouped_right
from fraudforge.foundation.errors import ConfigError

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
MAX_DEVICES = 3


def sample_rows(rng: np.random.Generator, probs: F64) -> I64:
    """One categorical draw per row of a (n, k) probability matrix (rows need not be normalised)."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(probs.shape[0]) * cum[:, -1]
    return np.asarray((cum < u[:, None]).sum(axis=1), dtype=np.int64).clip(0, probs.shape[1] - 1)


def sample_table(rng: np.random.Generator, table: F64, row: I64) -> I64:
    """``sample_rows(rng, table[row])`` (the same draws and picks) for a small (k, m) table of
    probabilities and many rows: the table's cumulatives are summed once and compared a column
    at a time, with no (rows, m) matrix gathered."""
    cum = np.cumsum(table, axis=1)
    u = rng.random(row.shape[0]) * cum[row, -1]
    pick = np.zeros(row.shape[0], dtype=np.int64)
    for column in cum.T:
        pick += column[row] < u
    return pick.clip(0, table.shape[1] - 1)


@dataclass(frozen=True)
class Customers:
    """The customers of one shard; index ``i`` is global customer ``offset + i``."""

    offset: int
    segment: I64
    tier: I64
    """Tier of the place the customer lives: 1 metro, 2 large city, 3 town or village (around
    ``home_city`` when that is a tier 1 or 2 city)."""
    age: I64
    income: I64
    occupation: I64
    savviness: I64
    home_city: I64
    home_lat: F64
    home_lon: F64
    cat_weight: F64
    """(n, merchant categories) preference weights."""
    mode_weight: F64
    """(n, payment modes) preference weights."""
    rate: F64
    """Expected transactions per ordinary day."""
    amount_scale: F64
    n_devices: I64
    has_credit: npt.NDArray[np.bool_]
    credit_limit: F64
    """Credit card limit in INR (0 without a credit card); EMI and card payments stay under it."""
    funds: F64
    """Money the customer typically has in the bank, INR: a UPI, debit card or bank payment larger
    than this is declined for insufficient funds."""
    partner: I64
    """Shard-local index of the household's first member, whose home the customer shares and
    whose phone the customer sometimes pays from (-1 for none): families share devices."""
    new_phone_at: I64
    """Epoch seconds from which the customer pays from a new phone (a large number for never)."""
    night_owl: npt.NDArray[np.bool_]
    """Shops and pays late at night more than the customer's occupation suggests."""
    debit_network: I64
    credit_network: I64
    first_name: I64
    surname: I64

    @property
    def n(self) -> int:
        return int(self.segment.shape[0])

    @property
    def ids(self) -> I64:
        """Global customer indices (0-based)."""
        return np.arange(self.offset, self.offset + self.n, dtype=np.int64)

    @cached_property
    def device_table(self) -> I64:
        """(n, ``MAX_DEVICES`` + 1) ids of each customer's devices by slot (``device_ids``),
        made once per shard: every block of rows the shard generates looks them up."""
        return device_ids(self.ids[:, None], np.arange(MAX_DEVICES + 1)[None, :])

    @cached_property
    def card_table(self) -> I64:
        """(n, 2) ids of each customer's debit and credit card (``card_ids``), made once."""
        return card_ids(self.ids[:, None], np.arange(2)[None, :])


INCOME_AMOUNT = np.array([0.6, 0.85, 1.0, 1.3, 1.7, 2.3])
HOUSEHOLD_SHARE = 0.2
"""Customers who live with the customer drawn before them (same home) and sometimes pay from
that person's phone. Phones are shared in Indian households: NSO's telecom survey (CMS:T,
2025) found 56.2 % of women aged 15 and over owning a mobile phone (48 % in villages), so many
pay from a family member's (Business Standard, 1 Jun 2025,
https://www.business-standard.com/industry/news/chhattisgarh-tripura-laggard-states-in-mobile-phone-ownership-among-women-125060100514_1.html);
households of four or more customers on one phone occur."""
NEW_PHONE_PER_90_DAYS = 0.08
"""Customers who change their phone in a 90-day period."""
NIGHT_OWL_BY_SEGMENT: F64 = np.array([0.08, 0.02, 0.03, 0.10, 0.05, 0.01, 0.12])
"""Share of each segment (``market.SEGMENTS``) who are night owls."""
NEVER = np.iinfo(np.int64).max // 2
CREDIT_LIMIT_INR: F64 = np.array([25e3, 50e3, 1e5, 2.5e5, 5e5, 1e6])
"""Typical credit card limit by income bracket (``market.INCOME_BRACKETS``)."""
FUNDS_INR: F64 = np.array([2e4, 5e4, 1.2e5, 3e5, 8e5, 2e6])
"""Typical bank balance by income bracket."""
SEG_BY_TIER: F64 = (
    np.array(
        [
            [1.5, 0.9, 0.5, 1.6, 2.0, 0.8, 1.0],
            [1.1, 1.0, 0.9, 1.1, 1.1, 1.0, 1.0],
            [0.8, 1.05, 1.2, 0.75, 0.55, 1.05, 1.0],
        ]
    )
    * mkt.SEG_WEIGHT
)
SEG_BY_TIER /= SEG_BY_TIER.sum(axis=1, keepdims=True)
"""Segment mix by the tier of the customer's home: more young professionals and affluent
customers in the metros, more budget customers in towns and villages."""
SEGMENT_MIX: F64 = geo.TIER_SHARE @ SEG_BY_TIER
"""The population's segment mix over all tiers (what volumes are planned with)."""


def draw_customers(
    rng: np.random.Generator, offset: int, n: int, period: tuple[int, int] = (0, 0)
) -> Customers:
    """Draw ``n`` customers' attributes from the shard's stream; ``period`` (start and end, epoch
    seconds) places phone changes."""
    cell = rng.choice(geo.HOME_WEIGHT.shape[0], size=n, p=geo.HOME_WEIGHT)
    home = geo.HOME_CITY[cell]
    tier = geo.HOME_TIER[cell].astype(np.int64)
    seg = sample_rows(rng, SEG_BY_TIER[tier - 1])
    lo, hi = mkt.SEG_AGE_RANGE[seg, 0], mkt.SEG_AGE_RANGE[seg, 1]
    age = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)
    income = sample_rows(rng, mkt.SEG_INCOME[seg])
    occupation = sample_rows(rng, mkt.SEG_OCCUPATION[seg])
    savviness = sample_rows(rng, mkt.SEG_SAVVINESS[seg])
    spread = np.where(tier < geo.CITY_TIER[home], geo.HINTERLAND_KM, geo.URBAN_KM)
    dlat, dlon = geo.jitter(rng, n, spread)
    cat_w = (
        mkt.SEG_CATEGORY[seg]
        * mkt.CAT_FREQUENCY
        * rng.gamma(1.5, 1 / 1.5, size=(n, mkt.N_MERCHANT_CATEGORIES))
    )
    has_credit = rng.random(n) < mkt.SEG_CREDIT_CARD_PROB[seg]
    mode_w = mkt.SEG_MODE[seg] * rng.gamma(2.0, 0.5, size=(n, len(mkt.PAYMENT_MODES)))
    mode_w[:, mkt.MODE["upi"]] = mkt.SEG_MODE[seg, mkt.MODE["upi"]]  # everyone's main mode
    savvy_boost = np.array([0.6, 1.0, 1.3])[savviness]
    for m in ("wallet", "bnpl"):
        mode_w[:, mkt.MODE[m]] *= savvy_boost
    for m in ("credit_card", "emi"):
        mode_w[:, mkt.MODE[m]] *= has_credit
    rate = mkt.SEG_TXN_PER_DAY[seg] * rng.gamma(2.5, 1 / 2.5, size=n) * savvy_boost**0.5
    amount_scale = mkt.SEG_AMOUNT_SCALE[seg] * INCOME_AMOUNT[income] * rng.lognormal(0, 0.2, n)
    lat, lon = geo.CITY_LAT[home] + dlat, geo.CITY_LON[home] + dlon
    # Households: a customer living with the one drawn before shares the home and the surname.
    partner = np.where((rng.random(n) < HOUSEHOLD_SHARE) & (np.arange(n) > 0), np.arange(n) - 1, -1)
    # A household is a run of such customers: each takes the home of the run's first member.
    while ((partner >= 0) & (partner[np.maximum(partner, 0)] >= 0)).any():
        up = partner[np.maximum(partner, 0)]
        partner = np.where((partner >= 0) & (up >= 0), up, partner)
    lives = partner >= 0
    for a in (home, tier, lat, lon):
        a[lives] = a[partner[lives]]
    surname = rng.integers(0, len(SURNAMES), n)
    surname[lives] = surname[partner[lives]]
    start, end = period
    days = max(end - start, 0) / 86_400
    changes = rng.random(n) < NEW_PHONE_PER_90_DAYS * days / 90
    new_phone_at = np.where(
        changes, start + (rng.random(n) * max(end - start, 1)).astype(np.int64), NEVER
    )
    return Customers(
        offset=offset,
        segment=seg,
        tier=tier,
        age=age,
        income=income,
        occupation=occupation,
        savviness=savviness,
        home_city=home,
        home_lat=lat,
        home_lon=lon,
        cat_weight=cat_w,
        mode_weight=mode_w,
        rate=rate,
        amount_scale=amount_scale,
        n_devices=1 + sample_rows(rng, np.tile([0.6, 0.3, 0.1], (n, 1))),
        has_credit=has_credit,
        credit_limit=np.where(
            has_credit, np.round(CREDIT_LIMIT_INR[income] * rng.lognormal(0, 0.35, n), -3), 0.0
        ),
        funds=FUNDS_INR[income] * rng.lognormal(0, 0.7, n),
        debit_network=rng.choice(len(mkt.CARD_NETWORKS), size=n, p=mkt.DEBIT_NETWORK_P),
        credit_network=np.where(
            has_credit, rng.choice(len(mkt.CARD_NETWORKS), size=n, p=mkt.CREDIT_NETWORK_P), 0
        ),
        first_name=rng.integers(0, len(FIRST_NAMES), n),
        surname=surname,
        partner=partner.astype(np.int64),
        new_phone_at=new_phone_at.astype(np.int64),
        night_owl=rng.random(n) < NIGHT_OWL_BY_SEGMENT[seg],
    )


def device_ids(cust: I64, k: npt.ArrayLike) -> I64:
    """Opaque id of customer ``cust``'s ``k``-th device."""
    return opaque_ids(KEY_CUSTOMER_DEVICE, cust, k, 4)


FRESH_OWNER = 1 << 55
"""Owner numbers from here up are no customer's: the device space's room for fingerprints that
are seen once."""


def fresh_device_ids(keys: npt.ArrayLike) -> I64:
    """Opaque ids of device fingerprints seen once (a browser in private mode or with its
    storage cleared, an office computer), one per key: ids of the customers' device space under
    an owner number no customer has, so no id tells them from any other device."""
    low = mix63(np.asarray(keys, dtype=np.uint64)).astype(np.uint64) & np.uint64(FRESH_OWNER - 1)
    return opaque_ids(KEY_CUSTOMER_DEVICE, np.uint64(FRESH_OWNER) | low, 0, 4)


def card_ids(cust: I64, credit: npt.ArrayLike) -> I64:
    """Opaque id of a customer's debit (0) or credit (1) card."""
    return opaque_ids(KEY_CARD, cust, credit, 2)


def customer_vpas(cust: I64) -> pl.Series:
    """UPI addresses of global customer indices (a function of the index alone)."""
    h = mix63(cust.astype(np.uint64) ^ np.uint64(0x5DEECE66D))
    mobile = 6_000_000_000 + (h % 4_000_000_000)
    handle = (h >> 40) % len(UPI_HANDLES)
    handles = pl.Series(UPI_HANDLES, dtype=pl.String).gather(handle)
    return pl.Series(mobile).cast(pl.String) + "@" + handles


# --- merchants -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Merchants:
    """All merchants of a scenario, grouped for fast lookup."""

    category: I64
    city: I64
    lat: F64
    lon: F64
    is_online: npt.NDArray[np.bool_]
    is_chain: npt.NDArray[np.bool_]
    reputation: F64
    brand: I64
    """Index into the category's chain brands (chain) or the surname list (local)."""
    suffix: I64
    group_offsets: I64
    """CSR offsets into ``group_members`` for key ``category * (N_CITIES + 1) + city`` (offline)
    and ``category * (N_CITIES + 1) + N_CITIES`` (online)."""
    group_members: I64
    group_cum: F64
    """Aligned with ``group_members``: the group key plus the cumulative share of the group's
    custom up to each member (the last of a group reaches key + 1)."""
    group_counts: I64
    """Members of each group key (``group_offsets``' differences), made once: every pick looks
    up two groups per row. (Not a cached property: the world is pickled to helper processes
    while shards are generated, so it must not change after it is built.)"""

    @property
    def n(self) -> int:
        return int(self.category.shape[0])

    def custom_shares(self) -> F64:
        """Each merchant's share of its group's custom (its kind of shop in its city, or
        online): how busy it is beside the others a customer could pick."""
        members = self.group_members
        cum = self.group_cum
        key = group_key(self.category[members], self.city[members], self.is_online[members])
        first = np.r_[True, key[1:] != key[:-1]]
        share = np.where(first, cum - key, np.diff(cum, prepend=0.0))
        out = np.empty(members.shape[0], dtype=np.float64)
        out[members] = share
        return out


GROUP_STRIDE = geo.N_CITIES + 1


def group_key(category: npt.ArrayLike, city: npt.ArrayLike, online: npt.ArrayLike) -> I64:
    """Lookup key of the merchant group for (category, city) or (category, online)."""
    c = np.asarray(category, dtype=np.int64)
    place = np.asarray(city, dtype=np.int64)
    out = np.where(np.asarray(online), c * GROUP_STRIDE + geo.N_CITIES, c * GROUP_STRIDE + place)
    return np.asarray(out, dtype=np.int64)


BASE_LOCAL_CATEGORIES = ("grocery", "restaurants", "pharmacy", "fuel", "atm")
"""Offline in every city, so that local purchases and withdrawals never need a trip."""
BIG_TICKET_CATEGORIES = ("electronics", "jewellery", "home_furnishing", "apparel", "healthcare")
"""Offline in every tier 1 and tier 2 city."""
ONLINE_BASE = 6
"""Online merchants of each category sold online, at least."""
BIG_CITIES = np.flatnonzero(geo.CITY_TIER < 3)
_SOLD_ONLINE = np.flatnonzero(mkt.CAT_ONLINE_SHARE[: mkt.N_MERCHANT_CATEGORIES] > 0)
_SOLD_OFFLINE = np.flatnonzero(mkt.CAT_ONLINE_SHARE[: mkt.N_MERCHANT_CATEGORIES] < 1)
MIN_MERCHANTS = (
    len(BASE_LOCAL_CATEGORIES) * geo.N_CITIES
    + len(BIG_TICKET_CATEGORIES) * BIG_CITIES.size
    + ONLINE_BASE * _SOLD_ONLINE.size
    + _SOLD_OFFLINE.size
)
"""Smallest merchant population of the india preset: the guaranteed base."""
POPULARITY_EXPONENT = 0.7
"""Merchants of a (category, city) group are chosen with Zipf-like weights 1 / rank^this: a few
busy shops and a long tail of quiet ones."""
CHAIN_POPULARITY = 3.0
"""A chain's outlet or brand draws this many times the custom of an independent of the same
rank."""


def _base(rng: np.random.Generator) -> tuple[I64, I64, npt.NDArray[np.bool_]]:
    """The guaranteed base: categories, cities and online flags (``MIN_MERCHANTS`` of them)."""
    local = np.array([mkt.CAT[c] for c in BASE_LOCAL_CATEGORIES])
    big = np.array([mkt.CAT[c] for c in BIG_TICKET_CATEGORIES])
    parts = [
        (np.repeat(local, geo.N_CITIES), np.tile(np.arange(geo.N_CITIES), local.size), False),
        (np.repeat(big, BIG_CITIES.size), np.tile(BIG_CITIES, big.size), False),
        (np.repeat(_SOLD_ONLINE, ONLINE_BASE), None, True),
        (_SOLD_OFFLINE, None, False),
    ]
    cats, cities, online = [], [], []
    for c, place, on in parts:
        cats.append(c)
        if place is None:
            place = rng.choice(geo.N_CITIES, size=c.size, p=geo.HOME_CITY_WEIGHT)
        cities.append(place)
        online.append(np.full(c.size, on))
    return np.concatenate(cats), np.concatenate(cities), np.concatenate(online)


@lru_cache(maxsize=8)
def draw_merchants(seed: int, n: int) -> Merchants:
    """Draw the merchant population from the seed's merchant stream (cached per scenario): the
    guaranteed base, then merchants of every category where the customers live, each with a
    popularity within its (category, city) group."""
    rng = stream(seed, STREAM_MERCHANTS)
    k = mkt.N_MERCHANT_CATEGORIES
    share = mkt.CAT_ONLINE_SHARE[:k]
    base_cat, base_city, base_online = _base(rng)
    if n < base_cat.size:
        raise ConfigError(f"merchants={n} is below the guaranteed base of {base_cat.size}")
    extra = n - base_cat.size
    weights = mkt.CAT_MERCHANT_WEIGHT / mkt.CAT_MERCHANT_WEIGHT.sum()
    extra_cat = rng.choice(k, size=extra, p=weights)
    category = np.concatenate([base_cat, extra_cat])
    online = np.concatenate([base_online, rng.random(extra) < share[extra_cat]])
    city = np.concatenate([base_city, rng.choice(geo.N_CITIES, size=extra, p=geo.HOME_CITY_WEIGHT)])
    dlat, dlon = geo.jitter(rng, n, 5.0)
    is_chain = rng.random(n) < np.where(online, 0.6, 0.25)
    brand = np.where(
        is_chain,
        rng.integers(0, 1 << 30, n)
        % np.array([len(CHAIN_BRANDS[mkt.CATEGORIES[c]]) for c in category]),
        rng.integers(0, len(SURNAMES), n),
    )
    suffix_len = np.array(
        [max(len(LOCAL_SUFFIXES.get(mkt.CATEGORIES[c], ())), 1) for c in category]
    )
    suffix = rng.integers(0, 1 << 30, n) % suffix_len
    reputation = np.clip(rng.beta(8, 2, n) - np.where(is_chain, 0.0, 0.1 * rng.random(n)), 0, 1)
    keys = group_key(category, city, online)
    order = np.argsort(keys, kind="stable")
    counts = np.bincount(keys, minlength=k * GROUP_STRIDE)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    popularity = np.where(is_chain, CHAIN_POPULARITY, 1.0)
    cum = _group_cumulative(keys[order], offsets, popularity[order], rng)
    return Merchants(
        category=category,
        city=city,
        lat=geo.CITY_LAT[city] + dlat,
        lon=geo.CITY_LON[city] + dlon,
        is_online=online,
        is_chain=is_chain,
        reputation=reputation,
        brand=brand,
        suffix=suffix,
        group_offsets=offsets,
        group_members=order.astype(np.int64),
        group_cum=cum,
        group_counts=np.diff(offsets),
    )


def _group_cumulative(sorted_keys: I64, offsets: I64, boost: F64, rng: np.random.Generator) -> F64:
    """For members sorted by group: ``group + cumulative share of the group's custom`` up to and
    including each member, with Zipf-like weights by a random rank within the group."""
    n = sorted_keys.shape[0]
    start = offsets[sorted_keys]
    # A random rank within each group: sort by (group, random) and number the members.
    shuffle = np.lexsort(np.stack([rng.random(n), sorted_keys.astype(np.float64)]))
    rank = np.empty(n, dtype=np.int64)
    rank[shuffle] = np.arange(n) - start[shuffle]
    weight = boost / (1.0 + rank) ** POPULARITY_EXPONENT
    cum = np.cumsum(weight)
    before = np.concatenate([[0.0], cum])[start]
    total = np.bincount(sorted_keys, weights=weight, minlength=offsets.shape[0] - 1)[sorted_keys]
    return np.asarray(sorted_keys + (cum - before) / total, dtype=np.float64)


def loyalty_key(cust: I64, category: I64) -> I64:
    """The key of a customer's favourite merchants of a category (``pick_merchants``)."""
    return cust * 32 + category


def pick_merchants(
    rng: np.random.Generator,
    merchants: Merchants,
    category: I64,
    city: I64,
    want_online: npt.NDArray[np.bool_],
    loyalty_key: I64 | None = None,
) -> tuple[I64, npt.NDArray[np.bool_]]:
    """Choose a merchant of each row's category: offline in ``city`` unless ``want_online`` or no
    such merchant exists, else online, else any of the category. With ``loyalty_key`` most picks
    fall on a few favourites per key (customers return to the same shops).

    Returns merchant indices and whether each chosen merchant is online.
    """
    off, count = merchants.group_offsets, merchants.group_counts
    n = category.shape[0]
    base = np.asarray(category, dtype=np.int64) * GROUP_STRIDE  # ``group_key``, both ways
    key_off = base + np.asarray(city, dtype=np.int64)
    key_on = base + geo.N_CITIES
    cnt_off = count[key_off]
    cnt_on = count[key_on]
    use_on = (want_online & (cnt_on > 0)) | (cnt_off == 0)
    key = where(use_on, key_on, key_off)
    cnt = where(use_on, cnt_on, cnt_off)
    if loyalty_key is not None:
        # Favourites: a few per key (customer and category), drawn by popularity like any pick,
        # from a uniform that is a function of the key alone.
        fav_u = (
            mix63(
                loyalty_key.astype(np.uint64) * np.uint64(8)
                + rng.integers(0, 3, n).astype(np.uint64)
            )
            % np.uint64(1 << 40)
        ).astype(np.float64) / float(1 << 40)
        u: F64 = where(rng.random(n) < 0.75, fav_u, rng.random(n))
    else:
        u = np.asarray(rng.random(n), dtype=np.float64)
    # A (category, online) group can be empty only if the category has no merchants at all,
    # which draw_merchants rules out; fall back to any merchant of the category then.
    found = cnt > 0
    key = where(found, key, category * GROUP_STRIDE)
    groups = off.shape[0] - 1
    pos = grouped_right(merchants.group_cum, groups, key, key + u * 0.999999, held=True)
    first = off[key]
    pos = np.clip(pos, first, first + np.maximum(count[key] - 1, 0))
    if not found.all():
        any_cat = off[category * GROUP_STRIDE]
        pos = where(found, pos, any_cat)
    m = merchants.group_members[np.minimum(pos, merchants.n - 1)]
    return m, merchants.is_online[m]
