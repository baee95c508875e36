"""Numba kernels of the features. One per-row function computes a transaction's customer-side
features from the customer's earlier rows and running counts; the batch pass calls it row by row
with windows advanced by two pointers, and the online path calls the very same function on a
customer's retained history, so batch and online values are equal bit for bit. Likewise one
function (``entity_steps``) computes the merchant, device and payee features from an entity's
state: the batch pass runs it over each entity's rows, the online features on each transaction.

Times are int64 microseconds. Rows of a customer are in (timestamp, transaction_id) order.
"""

from __future__ import annotations

import math
from typing import Any

import numba as nb
import numpy as np
import numpy.typing as npt
from llvmlite import ir  # type: ignore[import-untyped]
from numba.extending import intrinsic

from fraudforge.engine import geo
from fraudforge.engine import market as mkt
from fraudforge.features import _jit  # noqa: F401 - fresh kernel caches

US = 1_000_000
HOUR = 3600 * US
DAY = 24 * HOUR
W1H, W24H, W7D, W30D = HOUR, DAY, 7 * DAY, 30 * DAY
RETAIN_US = W30D
"""The longest window: online state keeps this much of a customer's history (and the last row)."""

N_CAT = len(mkt.CATEGORIES)
N_MODE = len(mkt.PAYMENT_MODES)
N_CHANNEL = len(mkt.CHANNELS)
N_TYPE = len(mkt.TXN_TYPES)
N_CITY = geo.N_CITIES

# Layout of a customer's running counts (one int64 vector per customer).
S_N = 0
S_HOUR = 1
S_CAT = S_HOUR + 24
S_MODE = S_CAT + N_CAT
S_CHANNEL = S_MODE + N_MODE
S_TYPE = S_CHANNEL + N_CHANNEL
S_CITY = S_TYPE + N_TYPE
S_WEEKEND = S_CITY + N_CITY
S_NIGHT = S_WEEKEND + 1
STATE_SIZE = S_NIGHT + 1

# The 7-day window's exact aggregates (one int64 vector), kept by ``week_step``.
A_CITIES = 0
A_CATEGORIES = 1
A_PARTIES = 2
A_SWITCHES = 3
AGG_SIZE = 4

CUSTOMER_FEATURES: tuple[str, ...] = (
    "txn_count_1h",
    "txn_count_24h",
    "txn_count_7d",
    "amount_sum_24h",
    "amount_sum_7d",
    "amount_avg_24h",
    "amount_avg_7d",
    "amount_avg_30d",
    "amount_ratio_30d",
    "amount_zscore_30d",
    "amount_percentile_30d",
    "distance_from_home_km",
    "distance_from_prev_km",
    "speed_from_prev_kmh",
    "distinct_cities_7d",
    "is_new_payee",
    "new_payee_transfers_7d",
    "new_payee_amount_7d",
    "new_device_x_amount",
    "secs_since_prev_txn",
    "declines_24h",
    "hour_rarity",
    "category_rarity",
    "payment_mode_rarity",
    "channel_rarity",
    "city_rarity",
    "txn_type_rarity",
    "amount_percentile_category_30d",
    "new_payee_amount_ratio",
    "amount_robust_z_30d",
    "dormancy_ratio",
    "spend_trend_7d_30d",
    "count_trend_7d_30d",
    "category_entropy",
    "merchant_loyalty_30d",
    "distinct_merchants_7d",
    "distinct_categories_7d",
    "city_switches_7d",
    "hour_deviation",
    "distance_from_centroid_km",
    "weekend_deviation",
    "night_deviation",
    "unusual_events_7d",
)
K_CUSTOMER = len(CUSTOMER_FEATURES)
FI = {name: i for i, name in enumerate(CUSTOMER_FEATURES)}
# Output positions of the customer kernel (module constants, so Numba inlines them).
O_TXN_COUNT_1H = FI["txn_count_1h"]
O_TXN_COUNT_24H = FI["txn_count_24h"]
O_TXN_COUNT_7D = FI["txn_count_7d"]
O_AMOUNT_SUM_24H = FI["amount_sum_24h"]
O_AMOUNT_SUM_7D = FI["amount_sum_7d"]
O_AMOUNT_AVG_24H = FI["amount_avg_24h"]
O_AMOUNT_AVG_7D = FI["amount_avg_7d"]
O_AMOUNT_AVG_30D = FI["amount_avg_30d"]
O_AMOUNT_RATIO_30D = FI["amount_ratio_30d"]
O_AMOUNT_ZSCORE_30D = FI["amount_zscore_30d"]
O_AMOUNT_PERCENTILE_30D = FI["amount_percentile_30d"]
O_DISTANCE_FROM_HOME_KM = FI["distance_from_home_km"]
O_DISTANCE_FROM_PREV_KM = FI["distance_from_prev_km"]
O_SPEED_FROM_PREV_KMH = FI["speed_from_prev_kmh"]
O_DISTINCT_CITIES_7D = FI["distinct_cities_7d"]
O_IS_NEW_PAYEE = FI["is_new_payee"]
O_NEW_PAYEE_TRANSFERS_7D = FI["new_payee_transfers_7d"]
O_NEW_PAYEE_AMOUNT_7D = FI["new_payee_amount_7d"]
O_NEW_DEVICE_X_AMOUNT = FI["new_device_x_amount"]
O_SECS_SINCE_PREV_TXN = FI["secs_since_prev_txn"]
O_DECLINES_24H = FI["declines_24h"]
O_HOUR_RARITY = FI["hour_rarity"]
O_CATEGORY_RARITY = FI["category_rarity"]
O_PAYMENT_MODE_RARITY = FI["payment_mode_rarity"]
O_CHANNEL_RARITY = FI["channel_rarity"]
O_CITY_RARITY = FI["city_rarity"]
O_TXN_TYPE_RARITY = FI["txn_type_rarity"]
O_AMOUNT_PERCENTILE_CATEGORY_30D = FI["amount_percentile_category_30d"]
O_NEW_PAYEE_AMOUNT_RATIO = FI["new_payee_amount_ratio"]
O_AMOUNT_ROBUST_Z_30D = FI["amount_robust_z_30d"]
O_DORMANCY_RATIO = FI["dormancy_ratio"]
O_SPEND_TREND_7D_30D = FI["spend_trend_7d_30d"]
O_COUNT_TREND_7D_30D = FI["count_trend_7d_30d"]
O_CATEGORY_ENTROPY = FI["category_entropy"]
O_MERCHANT_LOYALTY_30D = FI["merchant_loyalty_30d"]
O_DISTINCT_MERCHANTS_7D = FI["distinct_merchants_7d"]
O_DISTINCT_CATEGORIES_7D = FI["distinct_categories_7d"]
O_CITY_SWITCHES_7D = FI["city_switches_7d"]
O_HOUR_DEVIATION = FI["hour_deviation"]
O_DISTANCE_FROM_CENTROID_KM = FI["distance_from_centroid_km"]
O_WEEKEND_DEVIATION = FI["weekend_deviation"]
O_NIGHT_DEVIATION = FI["night_deviation"]
O_UNUSUAL_EVENTS_7D = FI["unusual_events_7d"]
HOUR_COS = np.cos(2.0 * np.pi * (np.arange(24) + 0.5) / 24.0)
HOUR_SIN = np.sin(2.0 * np.pi * (np.arange(24) + 0.5) / 24.0)
UNUSUAL_MIN_HISTORY = 10
UNUSUAL_HOUR_SHARE = 0.02
UNUSUAL_MIN_WINDOW = 20
UNUSUAL_KM = 500.0
P2P_TRANSFER = mkt.TXN["p2p_transfer"]
R_KM = geo.EARTH_RADIUS_KM
CLOGC_SIZE = 1 << 16
CLOGC = np.array([0.0, *(c * math.log(c) for c in range(1, CLOGC_SIZE))])
"""c * log(c) for the category counts of the entropy, looked up instead of computed per row."""


def _borrow(typingctx: Any, array: Any) -> tuple[Any, Any]:
    """The typing and code of ``borrowed``: the array's structure with null owner fields."""

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        out = context.make_array(signature.return_type)(context, builder, value=args[0])
        out.meminfo = ir.Constant(out.meminfo.type, None)
        out.parent = ir.Constant(out.parent.type, None)
        return out._getvalue()

    return array(array), codegen


borrowed: Any = intrinsic(_borrow)
"""In Numba-compiled code, an array with no owner: the same data, shape and strides, and no
reference count. Numba counts the references to an array's memory with atomic instructions
each time a kernel passes the array to a function or takes a view of it; the customer kernel,
which passes about twenty arrays to ``customer_row`` and the window steps for every row, spent
about a tenth of its time there (1M rows, one thread: 0.83-0.85 s against 0.73-0.74 s
borrowed). A borrowed array's count is a test of a null pointer. Only for memory that outlives
every use of the borrowed array: a kernel's arguments, which its caller holds for the call."""


@nb.njit(cache=True, inline="always")
def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1 = math.radians(lat1)
    p2 = math.radians(lat2)
    dphi = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    a = min(max(a, 0.0), 1.0)
    return 2.0 * R_KM * math.asin(math.sqrt(a))


@nb.njit(cache=True, inline="always")
def first_after(t: npt.NDArray[np.int64], lo: int, hi: int, bound: int) -> int:
    """First index j in [lo, hi) of ascending ``t`` with t[j] > bound, else hi (binary
    search)."""
    a, b = lo, hi
    while a < b:
        m = (a + b) // 2
        if t[m] > bound:
            b = m
        else:
            a = m + 1
    return a


@nb.njit(cache=True)
def window_start(t: npt.NDArray[np.int64], lo: int, i: int, width: int) -> int:
    """First index j in [lo, i] with t[j] > t[i] - width (binary search)."""
    return first_after(t, lo, i, t[i] - width)


@nb.njit(cache=True)
def _rarity(count: int, n: int, k: int) -> float:
    return 1.0 - (count + 1.0) / (n + float(k))


@nb.njit(cache=True)
def customer_row(
    i: int,
    w1: int,
    w24: int,
    w7: int,
    w30: int,
    has_prev: bool,
    t: npt.NDArray[np.int64],
    amount: npt.NDArray[np.float64],
    party: npt.NDArray[np.int64],
    city: npt.NDArray[np.int64],
    category: npt.NDArray[np.int64],
    mode: npt.NDArray[np.int64],
    channel: npt.NDArray[np.int64],
    ttype: npt.NDArray[np.int64],
    declined: npt.NDArray[np.int64],
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    unusual: npt.NDArray[np.int64],
    new_payee: npt.NDArray[np.int64],
    home_lat: float,
    home_lon: float,
    new_party: int,
    new_device: int,
    state: npt.NDArray[np.int64],
    sorted_amounts: npt.NDArray[np.float64],
    week: npt.NDArray[np.int64],
    out: npt.NDArray[np.float64],
) -> int:
    """Customer-side features of row ``i`` into ``out`` (positions ``O_*``).

    Rows [w30, i) are the customer's earlier rows in the 30-day window (w1 >= w24 >= w7 >= w30
    are the starts of the shorter windows); row i - 1 is the previous row when ``has_prev``.
    ``state`` holds the running counts of all earlier rows, ``sorted_amounts`` the 30-day
    window's amounts in ascending order and ``week`` the 7-day window's aggregates (``A_*``).
    ``new_payee[j]`` is 1 where row j was a P2P transfer to a payee new to the customer: the
    kernel sets it for row i (``new_party``: the party was never paid before). Returns the
    row's "unusual" flag.
    """
    x = amount[i]
    ti = t[i]
    hour_i = (ti // HOUR) % 24
    is_new_payee = 1 if new_party == 1 and ttype[i] == P2P_TRANSFER else 0
    new_payee[i] = is_new_payee
    # -- windows -------------------------------------------------------------------------------
    n1 = i - w1
    n24 = i - w24
    n7 = i - w7
    n30 = i - w30
    s24 = 0.0
    s7 = 0.0
    s30 = 0.0
    q30 = 0.0
    declines = 0
    new_payees7 = 0
    new_payee_sum7 = 0.0
    unusual7 = 0
    cat_i = category[i]
    party_i = party[i]
    cat_n = 0
    cat_less = 0
    cat_equal = 0
    same_party = 0
    lat_sum = 0.0
    lon_sum = 0.0
    last_new_payee = -1.0
    # Branch-free passes over the windows (each a suffix of the 30-day one), in row order.
    for j in range(w30, i):
        a = amount[j]
        s30 += a
        q30 += a * a
        lat_sum += lat[j]
        lon_sum += lon[j]
        same = category[j] == cat_i
        cat_n += same
        cat_less += same and a < x
        cat_equal += same and a == x
        same_party += party[j] == party_i
        if new_payee[j]:
            last_new_payee = a
    for j in range(w7, i):
        s7 += amount[j]
        unusual7 += unusual[j]
        new_payees7 += new_payee[j]
        new_payee_sum7 += amount[j] if new_payee[j] else 0.0
    for j in range(w24, i):
        s24 += amount[j]
        declines += declined[j]
    cat_below = cat_less + 0.5 * cat_equal
    out[O_TXN_COUNT_1H] = n1
    out[O_TXN_COUNT_24H] = n24
    out[O_TXN_COUNT_7D] = n7
    out[O_AMOUNT_SUM_24H] = s24
    out[O_AMOUNT_SUM_7D] = s7
    out[O_AMOUNT_AVG_24H] = s24 / n24 if n24 > 0 else 0.0
    out[O_AMOUNT_AVG_7D] = s7 / n7 if n7 > 0 else 0.0
    mean30 = s30 / n30 if n30 > 0 else 0.0
    out[O_AMOUNT_AVG_30D] = mean30
    out[O_AMOUNT_RATIO_30D] = x / (mean30 + 1.0)
    ss = max(q30 - s30 * mean30, 0.0)
    # Rank of the amount in the sorted window (ties count half).
    window = sorted_amounts[:n30]
    below_x = np.searchsorted(window, x, side="left")
    below = below_x + 0.5 * (np.searchsorted(window, x, side="right") - below_x)
    std = math.sqrt(ss / n30) if n30 > 0 else 0.0
    out[O_AMOUNT_ZSCORE_30D] = (x - mean30) / (std + 1.0) if n30 > 0 else 0.0
    out[O_AMOUNT_PERCENTILE_30D] = below / n30 if n30 > 0 else 0.5
    d_home = _haversine(home_lat, home_lon, lat[i], lon[i])
    out[O_DISTANCE_FROM_HOME_KM] = d_home
    if has_prev:
        d_prev = _haversine(lat[i - 1], lon[i - 1], lat[i], lon[i])
        gap_s = (ti - t[i - 1]) / US
        out[O_DISTANCE_FROM_PREV_KM] = d_prev
        out[O_SPEED_FROM_PREV_KMH] = d_prev / (max(gap_s, 60.0) / 3600.0)
        out[O_SECS_SINCE_PREV_TXN] = gap_s
    else:
        gap_s = 0.0
        out[O_DISTANCE_FROM_PREV_KM] = 0.0
        out[O_SPEED_FROM_PREV_KMH] = 0.0
        out[O_SECS_SINCE_PREV_TXN] = np.nan
    out[O_DISTINCT_CITIES_7D] = week[A_CITIES]
    out[O_IS_NEW_PAYEE] = is_new_payee
    out[O_NEW_PAYEE_TRANSFERS_7D] = new_payees7
    out[O_NEW_PAYEE_AMOUNT_7D] = new_payee_sum7
    n_prev = state[S_N]
    out[O_NEW_DEVICE_X_AMOUNT] = math.log1p(x) if new_device else 0.0
    out[O_DECLINES_24H] = declines
    # rarity against all earlier rows
    out[O_HOUR_RARITY] = _rarity(state[S_HOUR + hour_i], n_prev, 24)
    out[O_CATEGORY_RARITY] = _rarity(state[S_CAT + cat_i], n_prev, N_CAT)
    out[O_PAYMENT_MODE_RARITY] = _rarity(state[S_MODE + mode[i]], n_prev, N_MODE)
    out[O_CHANNEL_RARITY] = _rarity(state[S_CHANNEL + channel[i]], n_prev, N_CHANNEL)
    out[O_CITY_RARITY] = _rarity(state[S_CITY + city[i]], n_prev, N_CITY)
    out[O_TXN_TYPE_RARITY] = _rarity(state[S_TYPE + ttype[i]], n_prev, N_TYPE)
    out[O_AMOUNT_PERCENTILE_CATEGORY_30D] = cat_below / cat_n if cat_n > 0 else 0.5
    out[O_NEW_PAYEE_AMOUNT_RATIO] = (
        x / (last_new_payee + 1.0) if is_new_payee and last_new_payee >= 0.0 else 0.0
    )
    # robust z: median and MAD of the window amounts
    if n30 > 0:
        med = _median_sorted(window)
        mad = _mad_sorted(window, med)
        out[O_AMOUNT_ROBUST_Z_30D] = (x - med) / (1.4826 * mad + 1.0)
    else:
        out[O_AMOUNT_ROBUST_Z_30D] = 0.0
    if has_prev and n30 >= 2:
        mean_gap_s = ((t[i - 1] - t[w30]) / US) / (n30 - 1)
        out[O_DORMANCY_RATIO] = gap_s / (mean_gap_s + 60.0)
    elif has_prev:
        out[O_DORMANCY_RATIO] = gap_s / 60.0
    else:
        out[O_DORMANCY_RATIO] = 0.0
    out[O_SPEND_TREND_7D_30D] = (s7 / 7.0) / (s30 / 30.0 + 1.0)
    out[O_COUNT_TREND_7D_30D] = (n7 / 7.0) / (n30 / 30.0 + 0.1)
    out[O_CATEGORY_ENTROPY] = _entropy(state[S_CAT : S_CAT + N_CAT], n_prev)
    out[O_MERCHANT_LOYALTY_30D] = same_party / n30 if n30 > 0 else 0.0
    out[O_DISTINCT_MERCHANTS_7D] = week[A_PARTIES]
    out[O_DISTINCT_CATEGORIES_7D] = week[A_CATEGORIES]
    out[O_CITY_SWITCHES_7D] = week[A_SWITCHES]
    if n_prev > 0:
        cs = 0.0
        sn = 0.0
        for h in range(24):
            c = state[S_HOUR + h]
            cs += c * HOUR_COS[h]
            sn += c * HOUR_SIN[h]
        mean_hour = (math.atan2(sn, cs) * 24.0 / (2.0 * math.pi)) % 24.0
        diff = abs((hour_i + 0.5) - mean_hour)
        out[O_HOUR_DEVIATION] = min(diff, 24.0 - diff)
        weekend_i = 1.0 if ((ti // DAY + 3) % 7) >= 5 else 0.0
        night_i = 1.0 if hour_i < 6 else 0.0
        out[O_WEEKEND_DEVIATION] = abs(weekend_i - state[S_WEEKEND] / n_prev)
        out[O_NIGHT_DEVIATION] = abs(night_i - state[S_NIGHT] / n_prev)
    else:
        out[O_HOUR_DEVIATION] = 0.0
        out[O_WEEKEND_DEVIATION] = 0.0
        out[O_NIGHT_DEVIATION] = 0.0
    if n30 > 0:
        out[O_DISTANCE_FROM_CENTROID_KM] = _haversine(lat_sum / n30, lon_sum / n30, lat[i], lon[i])
    else:
        out[O_DISTANCE_FROM_CENTROID_KM] = d_home
    out[O_UNUSUAL_EVENTS_7D] = unusual7
    # Unusual against an established habit (10+ earlier rows): an hour used in under 2% of them,
    # a first-time category, an amount above all of 20+ in the 30-day window, or far from home.
    settled = n_prev >= UNUSUAL_MIN_HISTORY
    flag = (
        (settled and state[S_HOUR + hour_i] < UNUSUAL_HOUR_SHARE * n_prev)
        or (settled and state[S_CAT + cat_i] == 0)
        or (n30 >= UNUSUAL_MIN_WINDOW and below_x == n30)
        or d_home > UNUSUAL_KM
    )
    return 1 if flag else 0


@nb.njit(cache=True, inline="always")
def _median_sorted(v: npt.NDArray[np.float64]) -> float:
    n = v.shape[0]
    if n % 2 == 1:
        return float(v[n // 2])
    return float(0.5 * (v[n // 2 - 1] + v[n // 2]))


@nb.njit(cache=True)
def _mad_sorted(v: npt.NDArray[np.float64], med: float) -> float:
    """Median absolute deviation from ``med`` of ascending ``v``. The deviations below and above
    the median form two ascending runs, so each order statistic needed is found by binary search
    over how many of it come from the lower run (O(log n), no sorting)."""
    n = v.shape[0]
    split = int(np.searchsorted(v, med, side="left"))
    hi = n // 2
    lo = hi - 1 if n % 2 == 0 else hi
    return 0.5 * (_kth_deviation(v, split, med, lo) + _kth_deviation(v, split, med, hi))


@nb.njit(cache=True, inline="always")
def _kth_deviation(v: npt.NDArray[np.float64], split: int, med: float, k: int) -> float:
    """The k-th smallest (0-based) of {med - v[j] : j < split} and {v[j] - med : j >= split}."""
    n_low = split
    n_high = v.shape[0] - split
    a = max(0, k + 1 - n_high)  # deviations taken from the lower run
    b = min(k + 1, n_low)
    while a < b:
        m = (a + b) // 2
        # take m from the lower run and k + 1 - m from the upper: too few lower ones if the
        # next lower deviation is smaller than the last upper one taken.
        if med - v[split - 1 - m] < v[split + k - m] - med:
            a = m + 1
        else:
            b = m
    best = -math.inf
    if a > 0:
        best = med - v[split - a]
    if k + 1 - a > 0:
        best = max(best, v[split + k - a] - med)
    return best


@nb.njit(cache=True, inline="always")
def _entropy(counts: npt.NDArray[np.int64], n: int) -> float:
    """Shannon entropy (nats) of ``counts`` summing to ``n``: log n - sum(c log c) / n."""
    if n == 0:
        return 0.0
    acc = 0.0
    for c in counts:
        acc += CLOGC[c] if c < CLOGC_SIZE else c * math.log(c)
    return max(math.log(n) - acc / n, 0.0)


@nb.njit(cache=True, inline="always")
def insert_at(buf: npt.NDArray, n: int, j: int, value: float) -> None:  # type: ignore[type-arg]
    """Put ``value`` at position ``j`` of ``buf[:n]``, shifting the rest up (room for n + 1)."""
    for q in range(n, j, -1):
        buf[q] = buf[q - 1]
    buf[j] = value


@nb.njit(cache=True, inline="always")
def sorted_insert(buf: npt.NDArray, n: int, value: float) -> None:  # type: ignore[type-arg]
    """Insert ``value`` into the ascending ``buf[:n]`` (room for n + 1)."""
    insert_at(buf, n, int(np.searchsorted(buf[:n], value)), value)


@nb.njit(cache=True, inline="always")
def remove_at(buf: npt.NDArray, n: int, j: int) -> None:  # type: ignore[type-arg]
    """Take position ``j`` out of ``buf[:n]``, shifting the rest down (``insert_at`` undone)."""
    for q in range(j, n - 1):
        buf[q] = buf[q + 1]


@nb.njit(cache=True, inline="always")
def sorted_remove(buf: npt.NDArray, n: int, value: float) -> None:  # type: ignore[type-arg]
    """Remove one ``value`` from the ascending ``buf[:n]``."""
    remove_at(buf, n, int(np.searchsorted(buf[:n], value)))


@nb.njit(cache=True, inline="always")
def _count_step(
    counts: npt.NDArray[np.int64], key: int, sign: int, week: npt.NDArray[np.int64], slot: int
) -> None:
    """Add ``sign`` (+1 or -1) to ``counts[key]``; the number of distinct keys, ``week[slot]``,
    moves with it when the key enters the window (its count leaves 0) or leaves it (reaches 0)."""
    before = counts[key]
    counts[key] = before + sign
    if before == 0 or before + sign == 0:
        week[slot] += sign


@nb.njit(cache=True, inline="always")
def week_step(
    row: int,
    neighbour: int,
    n: int,
    sign: int,
    city: npt.NDArray[np.int64],
    category: npt.NDArray[np.int64],
    party: npt.NDArray[np.int64],
    city_counts: npt.NDArray[np.int64],
    category_counts: npt.NDArray[np.int64],
    sorted_parties: npt.NDArray[np.int64],
    week: npt.NDArray[np.int64],
) -> None:
    """Add (``sign`` +1) or drop (``sign`` -1) row ``row`` at one end of the 7-day window of
    ``n`` rows (before the step): the per-city, per-category and (sorted) party counts, and the
    ``A_*`` aggregates they define. ``neighbour`` is the window row next to ``row`` that stays
    in it, if any: a city switch is a pair of consecutive rows, which the step adds or drops."""
    c = city[row]
    _count_step(city_counts, c, sign, week, A_CITIES)
    _count_step(category_counts, category[row], sign, week, A_CATEGORIES)
    p = party[row]
    j = np.searchsorted(sorted_parties[:n], p)
    if sign > 0:
        alone = j == n or sorted_parties[j] != p
        insert_at(sorted_parties, n, j, p)
    else:
        alone = j + 1 == n or sorted_parties[j + 1] != p
        remove_at(sorted_parties, n, j)
    if alone:
        week[A_PARTIES] += sign
    others = n if sign > 0 else n - 1
    if others > 0 and city[neighbour] != c:
        week[A_SWITCHES] += sign


@nb.njit(cache=True, inline="always")
def week_add(
    i: int,
    start: int,
    city: npt.NDArray[np.int64],
    category: npt.NDArray[np.int64],
    party: npt.NDArray[np.int64],
    city_counts: npt.NDArray[np.int64],
    category_counts: npt.NDArray[np.int64],
    sorted_parties: npt.NDArray[np.int64],
    week: npt.NDArray[np.int64],
) -> None:
    """Append row ``i`` to the 7-day window of rows [start, i) (``week_step`` forward)."""
    week_step(
        i, i - 1, i - start, 1, city, category, party, city_counts, category_counts,
        sorted_parties, week,
    )  # fmt: skip


@nb.njit(cache=True, inline="always")
def week_remove(
    start: int,
    end: int,
    city: npt.NDArray[np.int64],
    category: npt.NDArray[np.int64],
    party: npt.NDArray[np.int64],
    city_counts: npt.NDArray[np.int64],
    category_counts: npt.NDArray[np.int64],
    sorted_parties: npt.NDArray[np.int64],
    week: npt.NDArray[np.int64],
) -> None:
    """Drop row ``start``, the oldest of the window rows [start, end) (``week_step`` back)."""
    week_step(
        start, start + 1, end - start, -1, city, category, party, city_counts, category_counts,
        sorted_parties, week,
    )  # fmt: skip


@nb.njit(cache=True)
def update_state(
    state: npt.NDArray[np.int64],
    t: int,
    city: int,
    category: int,
    mode: int,
    channel: int,
    ttype: int,
) -> None:
    """Fold one row into a customer's running counts."""
    hour = (t // HOUR) % 24
    state[S_N] += 1
    state[S_HOUR + hour] += 1
    state[S_CAT + category] += 1
    state[S_MODE + mode] += 1
    state[S_CHANNEL + channel] += 1
    state[S_TYPE + ttype] += 1
    state[S_CITY + city] += 1
    if ((t // DAY + 3) % 7) >= 5:
        state[S_WEEKEND] += 1
    if hour < 6:
        state[S_NIGHT] += 1


EMPTY_KEY = np.int64(-(2**63))
"""An empty slot of ``first_seen``'s table (no party or device id is this)."""
_FIB = np.uint64(0x9E3779B97F4A7C15)


@nb.njit(cache=True, inline="always")
def first_seen(
    table: npt.NDArray[np.int64], used: npt.NDArray[np.int64], n_used: int, key: int
) -> int:
    """Add ``key`` to the open-addressing set ``table`` (a power of two long, ``EMPTY_KEY``
    where free, at most half full): returns ``n_used + 1`` when it was not there (its slot then
    recorded in ``used[n_used]``, so the set is emptied by clearing only those), else
    ``n_used``. A customer's parties and devices were Numba sets, built anew per customer and
    hashed through the typed-container machinery; this is the same membership test on one
    reused buffer."""
    mask = table.shape[0] - 1
    h = np.int64((np.uint64(key) * _FIB) >> np.uint64(32)) & mask
    while True:
        slot = table[h]
        if slot == key:
            return n_used
        if slot == EMPTY_KEY:
            table[h] = key
            used[n_used] = h
            return n_used + 1
        h = (h + 1) & mask


@nb.njit(cache=True, nogil=True)
def customer_pass(
    starts: npt.NDArray[np.int64],
    t: npt.NDArray[np.int64],
    amount: npt.NDArray[np.float64],
    party: npt.NDArray[np.int64],
    device: npt.NDArray[np.int64],
    city: npt.NDArray[np.int64],
    category: npt.NDArray[np.int64],
    mode: npt.NDArray[np.int64],
    channel: npt.NDArray[np.int64],
    ttype: npt.NDArray[np.int64],
    declined: npt.NDArray[np.int64],
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    home_lat: npt.NDArray[np.float64],
    home_lon: npt.NDArray[np.float64],
    out: npt.NDArray[np.float64],
) -> None:
    """All customer-side features. ``starts`` delimits customers (rows sorted by customer, then
    timestamp and transaction_id); windows advance by two pointers. Allocates the scratch
    arrays and runs ``_customer_rows`` on them, which borrows every array (``borrowed``): they
    and the arguments outlive that call."""
    longest = 1
    for c in range(starts.shape[0] - 1):
        longest = max(longest, starts[c + 1] - starts[c])
    # The parties and devices a customer has used: open-addressing sets at most half full.
    size = 1
    while size < 2 * (longest + 1):
        size *= 2
    _customer_rows(
        starts, t, amount, party, device, city, category, mode, channel, ttype, declined, lat,
        lon, home_lat, home_lon, out,
        np.zeros(t.shape[0], dtype=np.int64),  # unusual
        np.zeros(t.shape[0], dtype=np.int64),  # new_payee
        np.zeros(STATE_SIZE, dtype=np.int64),  # state
        np.empty(longest + 1, dtype=np.float64),  # sorted_amounts
        np.empty(longest + 1, dtype=np.int64),  # sorted_parties
        np.zeros(N_CITY, dtype=np.int64),  # city_counts
        np.zeros(N_CAT, dtype=np.int64),  # category_counts
        np.zeros(AGG_SIZE, dtype=np.int64),  # week
        np.full(size, EMPTY_KEY, dtype=np.int64),  # seen_party
        np.full(size, EMPTY_KEY, dtype=np.int64),  # seen_device
        np.empty(longest + 1, dtype=np.int64),  # party_slots
        np.empty(longest + 1, dtype=np.int64),  # device_slots
    )  # fmt: skip


@nb.njit(cache=True, nogil=True)
def _customer_rows(
    starts: npt.NDArray[np.int64],
    t: npt.NDArray[np.int64],
    amount: npt.NDArray[np.float64],
    party: npt.NDArray[np.int64],
    device: npt.NDArray[np.int64],
    city: npt.NDArray[np.int64],
    category: npt.NDArray[np.int64],
    mode: npt.NDArray[np.int64],
    channel: npt.NDArray[np.int64],
    ttype: npt.NDArray[np.int64],
    declined: npt.NDArray[np.int64],
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    home_lat: npt.NDArray[np.float64],
    home_lon: npt.NDArray[np.float64],
    out: npt.NDArray[np.float64],
    unusual: npt.NDArray[np.int64],
    new_payee: npt.NDArray[np.int64],
    state: npt.NDArray[np.int64],
    sorted_amounts: npt.NDArray[np.float64],
    sorted_parties: npt.NDArray[np.int64],
    city_counts: npt.NDArray[np.int64],
    category_counts: npt.NDArray[np.int64],
    week: npt.NDArray[np.int64],
    seen_party: npt.NDArray[np.int64],
    seen_device: npt.NDArray[np.int64],
    party_slots: npt.NDArray[np.int64],
    device_slots: npt.NDArray[np.int64],
) -> None:
    """``customer_pass``'s loop over customers and rows on its scratch arrays (the counts zero,
    the seen sets empty), every array ``borrowed``: each row passes them to ``customer_row``
    and the window steps."""
    t, amount, party, device = borrowed(t), borrowed(amount), borrowed(party), borrowed(device)
    city, category, mode = borrowed(city), borrowed(category), borrowed(mode)
    channel, ttype, declined = borrowed(channel), borrowed(ttype), borrowed(declined)
    lat, lon = borrowed(lat), borrowed(lon)
    home_lat, home_lon, out = borrowed(home_lat), borrowed(home_lon), borrowed(out)
    unusual, new_payee, state = borrowed(unusual), borrowed(new_payee), borrowed(state)
    sorted_amounts, sorted_parties = borrowed(sorted_amounts), borrowed(sorted_parties)
    city_counts, category_counts = borrowed(city_counts), borrowed(category_counts)
    week, seen_party, seen_device = borrowed(week), borrowed(seen_party), borrowed(seen_device)
    party_slots, device_slots = borrowed(party_slots), borrowed(device_slots)
    n_parties = n_devices = 0
    for c in range(starts.shape[0] - 1):
        lo, hi = starts[c], starts[c + 1]
        state[:] = 0
        city_counts[:] = 0
        category_counts[:] = 0
        week[:] = 0
        for q in range(n_parties):
            seen_party[party_slots[q]] = EMPTY_KEY
        for q in range(n_devices):
            seen_device[device_slots[q]] = EMPTY_KEY
        n_parties = n_devices = 0
        w1 = w24 = w7 = w30 = lo
        for i in range(lo, hi):
            ti = t[i]
            while t[w1] <= ti - W1H:
                w1 += 1
            while t[w24] <= ti - W24H:
                w24 += 1
            while t[w7] <= ti - W7D:
                week_remove(
                    w7, i, city, category, party, city_counts, category_counts, sorted_parties,
                    week,
                )  # fmt: skip
                w7 += 1
            while t[w30] <= ti - W30D:
                sorted_remove(sorted_amounts, i - w30, amount[w30])
                w30 += 1
            seen = first_seen(seen_party, party_slots, n_parties, party[i])
            new_party = seen - n_parties
            n_parties = seen
            new_device = 0  # device -1 means "no device", which is never new
            if device[i] >= 0:
                seen = first_seen(seen_device, device_slots, n_devices, device[i])
                new_device = seen - n_devices
                n_devices = seen
            unusual[i] = customer_row(
                i, w1, w24, w7, w30, i > lo,
                t, amount, party, city, category, mode, channel, ttype, declined, lat, lon,
                unusual, new_payee, home_lat[i], home_lon[i], new_party, new_device, state,
                sorted_amounts, week, out[i],
            )  # fmt: skip
            sorted_insert(sorted_amounts, i - w30, amount[i])
            week_add(
                i, w7, city, category, party, city_counts, category_counts, sorted_parties, week
            )  # fmt: skip
            update_state(state, ti, city[i], category[i], mode[i], channel[i], ttype[i])


# Outputs of the entity kernel (columns of its ``out``).
E_COUNT_24H, E_DISTINCT_7D, E_AMOUNT_24H, E_FRAUD_RATE, E_FRAUD_7D, E_FRAUD_30D = range(6)
N_ENTITY_OUT = 6
ENTITY_COLS = np.arange(N_ENTITY_OUT, dtype=np.int64)
"""Where ``entity_steps`` puts each output (``E_*``) when ``out`` is a row of all six."""

# An entity's state (a merchant, device or P2P payee), as ``entity_steps`` reads and updates it:
# ``meta`` (int64, M_SIZE) says where the window sits in the buffers and holds the counts;
# ``window`` (int64, 2 x capacity) the times (row 0) and customers (row 1) of the entity's
# transactions in its window, oldest first, in columns [M_HEAD, M_HEAD + M_N); ``amounts``
# (float64, capacity) their amounts; ``known`` (int64) the label_known_at of the entity's
# confirmed frauds, ascending, M_KNOWN of them. A customer is stored as itself in the column of
# its latest transaction in the window and as -1 - customer in its earlier ones, so the window's
# distinct customers are counted without a set.
M_HEAD, M_N, M_TOTAL, M_LAST, M_KNOWN, M_DISTINCT = range(6)
M_SIZE = 6
NEVER = -(2**62)
"""``M_LAST`` of an entity with no transaction yet."""


@nb.njit(cache=True, inline="always")
def entity_steps(
    meta: npt.NDArray[np.int64],
    window: npt.NDArray[np.int64],
    amounts: npt.NDArray[np.float64],
    known: npt.NDArray[np.int64],
    t: npt.NDArray[np.int64],
    customer: npt.NDArray[np.int64],
    amount: npt.NDArray[np.float64],
    is_fraud: npt.NDArray[np.bool_],
    known_at: npt.NDArray[np.int64],
    wide: bool,
    out: npt.NDArray[np.float64],
    cols: npt.NDArray[np.int64],
) -> int:
    """Transactions j = 0, 1, ... (``t``, ``customer``, ``amount``) at one entity (merchant,
    device or P2P payee), in (timestamp, transaction_id) order: for each, its features from
    the entity's earlier transactions into ``out[j]``, then the transaction folded into the
    entity's state (``M_*``) and, where ``is_fraud[j]``, labelled from ``known_at[j]``
    (``entity_label``). The batch pass calls it on each entity's rows, the online features
    on each transaction (``entity_step``): the one home of the entity features.

    Writes output ``E_*`` to ``out[j, cols[E_*]]`` (none where ``cols`` is negative): the
    entity's transactions in the previous 24 h; the share of its earlier transactions confirmed
    fraud before ``t`` (label_known_at < t) and how many were confirmed in the previous 7 and
    30 days (t - w < label_known_at < t); with ``wide`` its distinct customers in the previous
    7 days and the amount it received in the previous 24 h (summed in arrival order), else
    zeros there. The window kept is 7 days with ``wide``, else 24 hours. Customers are
    non-negative. The caller leaves room in the buffers for all the transactions (and in
    ``known`` for the labels): more than the returned count of transactions in the window
    keeps room for one more. Returns that count."""
    times = window[0]
    custs = window[1]
    head = meta[M_HEAD]
    end = head + meta[M_N]
    distinct = meta[M_DISTINCT]
    total = meta[M_TOTAL]
    last = meta[M_LAST]
    n_known = meta[M_KNOWN]
    span = W7D if wide else W24H
    for j in range(t.shape[0]):
        tj = t[j]
        while head < end and times[head] <= tj - span:
            if wide and custs[head] >= 0:  # the customer's latest transaction leaves
                distinct -= 1
            head += 1
        first = head
        received = 0.0
        if wide:
            first = first_after(times, head, end, tj - W24H)
            for q in range(first, end):
                received += amounts[q]
        confirmed = week = month = 0
        if n_known > 0:
            labels = known[:n_known]
            confirmed = np.searchsorted(labels, tj, side="left")
            week = confirmed - np.searchsorted(labels, tj - W7D, side="right")
            month = confirmed - np.searchsorted(labels, tj - W30D, side="right")
        if cols[E_COUNT_24H] >= 0:
            out[j, cols[E_COUNT_24H]] = end - first
        if cols[E_DISTINCT_7D] >= 0:
            out[j, cols[E_DISTINCT_7D]] = distinct if wide else 0
        if cols[E_AMOUNT_24H] >= 0:
            out[j, cols[E_AMOUNT_24H]] = received
        if cols[E_FRAUD_RATE] >= 0:
            out[j, cols[E_FRAUD_RATE]] = confirmed / (total + 1.0)
        if cols[E_FRAUD_7D] >= 0:
            out[j, cols[E_FRAUD_7D]] = week
        if cols[E_FRAUD_30D] >= 0:
            out[j, cols[E_FRAUD_30D]] = month
        # Fold the transaction in, the window moved to the buffers' start when at their end.
        if end == amounts.shape[0]:
            for q in range(end - head):
                times[q] = times[head + q]
                custs[q] = custs[head + q]
                amounts[q] = amounts[head + q]
            end -= head
            head = 0
        c = customer[j]
        if wide:  # the customer's earlier transaction in the window is no longer its latest
            q = end - 1
            while q >= head and custs[q] != c:
                q -= 1
            if q >= head:
                custs[q] = -1 - c
            else:
                distinct += 1
        times[end] = tj
        custs[end] = c
        amounts[end] = amount[j]
        end += 1
        total += 1
        last = max(last, tj)
        if is_fraud[j]:
            sorted_insert(known, n_known, known_at[j])
            n_known += 1
    meta[M_HEAD] = head
    meta[M_N] = end - head
    meta[M_DISTINCT] = distinct
    meta[M_TOTAL] = total
    meta[M_LAST] = last
    meta[M_KNOWN] = n_known
    return int(end - head)


NO_LABEL = np.zeros(1, dtype=np.bool_)
"""``is_fraud`` of a transaction not (yet) known as fraud, for ``entity_step``."""


@nb.njit(cache=True)
def entity_step(
    meta: npt.NDArray[np.int64],
    window: npt.NDArray[np.int64],
    amounts: npt.NDArray[np.float64],
    known: npt.NDArray[np.int64],
    t: int,
    customer: int,
    amount: float,
    wide: bool,
    out: npt.NDArray[np.float64],
    cols: npt.NDArray[np.int64],
    ints: npt.NDArray[np.int64],
    floats: npt.NDArray[np.float64],
) -> int:
    """``entity_steps`` for one transaction, its features into ``out`` (1-d) at ``cols``, its
    label left for later (``entity_label``): the online features' call, once per transaction
    and entity. ``ints`` (two or more) and ``floats`` (one or more) are the caller's scratch
    for the one-row columns (time and customer, amount), so a call allocates nothing."""
    ints[0] = t
    ints[1] = customer
    floats[0] = amount
    return entity_steps(
        meta, window, amounts, known, ints[:1], ints[1:2], floats[:1], NO_LABEL, ints[:1],
        wide, out.reshape((1, out.shape[0])), cols,
    )  # fmt: skip


@nb.njit(cache=True)
def entity_label(meta: npt.NDArray[np.int64], known: npt.NDArray[np.int64], when: int) -> None:
    """Add a confirmed fraud at the entity, known from ``when`` (room for one more in
    ``known`` is the caller's job)."""
    sorted_insert(known, meta[M_KNOWN], when)
    meta[M_KNOWN] += 1


@nb.njit(cache=True)
def entity_unlabel(meta: npt.NDArray[np.int64], known: npt.NDArray[np.int64], when: int) -> bool:
    """Take back one confirmed fraud known from ``when``; False when the entity has none."""
    n = meta[M_KNOWN]
    j = int(np.searchsorted(known[:n], when))
    if j == n or known[j] != when:
        return False
    remove_at(known, n, j)
    meta[M_KNOWN] = n - 1
    return True


@nb.njit(cache=True, nogil=True)
def entity_pass(
    starts: npt.NDArray[np.int64],
    t: npt.NDArray[np.int64],
    customer: npt.NDArray[np.int64],
    amount: npt.NDArray[np.float64],
    is_fraud: npt.NDArray[np.bool_],
    known_at: npt.NDArray[np.int64],
    wide: bool,
    out: npt.NDArray[np.float64],
) -> None:
    """``entity_steps`` on every entity's rows into ``out`` (rows, N_ENTITY_OUT), each fraud
    row then labelled from its ``known_at``. Rows sorted by entity (merchant, device or P2P
    payee), then timestamp and transaction_id; ``starts`` delimits entities; customer ids are
    non-negative."""
    longest = 1
    for e in range(starts.shape[0] - 1):
        longest = max(longest, starts[e + 1] - starts[e])
    # Buffers for the longest entity's rows and one more: no entity ever needs more room.
    meta = np.zeros(M_SIZE, dtype=np.int64)
    window = np.empty((2, longest + 1), dtype=np.int64)
    amounts = np.empty(longest + 1, dtype=np.float64)
    known = np.empty(longest + 1, dtype=np.int64)
    for e in range(starts.shape[0] - 1):
        meta[:] = 0
        meta[M_LAST] = NEVER
        lo, hi = starts[e], starts[e + 1]
        entity_steps(
            meta, window, amounts, known, t[lo:hi], customer[lo:hi], amount[lo:hi],
            is_fraud[lo:hi], known_at[lo:hi], wide, out[lo:hi], ENTITY_COLS,
        )  # fmt: skip


@nb.njit(cache=True, nogil=True)
def group_rows(
    keys: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The positions of ``keys`` that are not negative, grouped by key, each group in the
    order of ``keys`` (groups in the order their keys first appear), and the groups' bounds
    [0, ..., count]. One hash pass and a counting sort: O(n), where a stable sort by key costs
    O(n log n) (the entity phase's grouping of time-ordered rows by entity)."""
    n = keys.shape[0]
    valid = 0
    for i in range(n):
        valid += keys[i] >= 0
    size = 2
    while size < 2 * valid:  # at most half full
        size *= 2
    mask = size - 1
    table = np.full(size, EMPTY_KEY, dtype=np.int64)
    group_of = np.empty(size, dtype=np.int64)
    codes = np.empty(n, dtype=np.int64)
    counts = np.zeros(valid + 1, dtype=np.int64)
    groups = 0
    for i in range(n):
        key = keys[i]
        if key < 0:
            codes[i] = -1
            continue
        h = np.int64((np.uint64(key) * _FIB) >> np.uint64(32)) & mask
        while table[h] != key and table[h] != EMPTY_KEY:
            h = (h + 1) & mask
        if table[h] == EMPTY_KEY:
            table[h] = key
            group_of[h] = groups
            groups += 1
        code = group_of[h]
        codes[i] = code
        counts[code + 1] += 1
    bounds = np.cumsum(counts[: groups + 1])
    fill = bounds[:groups].copy()
    positions = np.empty(bounds[groups], dtype=np.int64)
    for i in range(n):
        code = codes[i]
        if code >= 0:
            positions[fill[code]] = i
            fill[code] += 1
    return positions, bounds


FNV_OFFSET = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)
P2P_PARTY_BASE = 1 << 61


@nb.njit(cache=True, nogil=True)
def payee_keys(
    data: npt.NDArray[np.uint8], offsets: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """FNV-1a hashes of the strings ``data[offsets[i]:offsets[i + 1]]`` mapped into
    [2**61, 2**62): keys of P2P payees that never collide with merchant ids."""
    n = offsets.shape[0] - 1
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        h = FNV_OFFSET
        for j in range(offsets[i], offsets[i + 1]):
            h = (h ^ np.uint64(data[j])) * FNV_PRIME
        out[i] = np.int64(h % np.uint64(P2P_PARTY_BASE)) + P2P_PARTY_BASE
    return out
