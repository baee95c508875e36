"""The compiled step of ``OnlineFeatures``: one Numba call per transaction (``online_txn``)
that finds the transaction's merchant or payee and device in the entity store
(``entity_store``), runs the batch pass's entity kernel on them,
writes its session values, expires the customer's old rows, appends the new one, runs the batch
pass's per-row kernel on the retained history, finishes the row (time, outlier, interactions)
and folds it into the running counts. One call, because the call itself (the dispatcher's
checks of each argument) cost more than the work of the three it replaced."""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

from fraudforge.features import _jit  # noqa: F401 - fresh kernel caches
from fraudforge.features.entity_store import (
    COMPACT_EVERY_US,
    H_NEXT_COMPACT,
    H_NOW,
    N_KINDS,
    S_KCAP,
    S_KOFF,
    S_WCAP,
    S_WOFF,
    compact,
    needs,
    short,
    touch,
)
from fraudforge.features.kernels import (
    AGG_SIZE,
    M_SIZE,
    N_CAT,
    N_CITY,
    RETAIN_US,
    W1H,
    W7D,
    W24H,
    W30D,
    customer_row,
    entity_step,
    update_state,
    week_add,
    window_start,
)
from fraudforge.features.layout import EXTERNAL_COLS, SESSION_INPUTS, finish_rows

# Columns of a customer's retained integer and float rows.
I_PARTY, I_CITY, I_CAT, I_MODE, I_CHANNEL, I_TYPE, I_DECLINED, I_UNUSUAL, I_NEW_PAYEE = range(9)
N_INT = 9
F_AMOUNT, F_LAT, F_LON = range(3)
N_FLOAT = 3
SESSION_COLS = EXTERNAL_COLS[EXTERNAL_COLS.shape[0] - len(SESSION_INPUTS) :].copy()
"""Where the raw session values (``layout.SESSION_INPUTS`` order) go in a row."""


# Regions of the customer step's integer scratch (``online_txn``'s ``counts``).
C_CITY = 0
C_CAT = C_CITY + N_CITY
C_WEEK = C_CAT + N_CAT
N_COUNTS = C_WEEK + AGG_SIZE
# Entity kinds, the rows of ``online_txn``'s ``cols`` (``OnlineFeatures``' table order).
K_MERCHANT, K_DEVICE, K_PAYEE = range(3)
NO_ENTITY = -1
"""``online_txn``'s party kind of a payment with neither a merchant nor a payee."""


@nb.njit(cache=True, inline="always")
def _customer_step(
    t: npt.NDArray[np.int64],
    ints: npt.NDArray[np.int64],
    floats: npt.NDArray[np.float64],
    n: int,
    state: npt.NDArray[np.int64],
    t_new: int,
    amount: float,
    lat: float,
    lon: float,
    home_lat: float,
    home_lon: float,
    party: int,
    city: int,
    category: int,
    mode: int,
    channel: int,
    ttype: int,
    declined: int,
    new_party: int,
    new_device: int,
    counts: npt.NDArray[np.int64],
    sort_f: npt.NDArray[np.float64],
    sort_i: npt.NDArray[np.int64],
    out: npt.NDArray[np.float64],
) -> int:
    """The customer-side features of one transaction of a customer whose retained rows fill the
    first ``n`` columns of ``ints`` (N_INT, capacity) and ``floats`` (N_FLOAT, capacity) (room
    for one more is the caller's job): expire the rows no window reaches, append the new one,
    run the batch pass's per-row kernel on the retained history into ``out``. ``sort_f`` /
    ``sort_i`` (at least the capacity) and the all-zero ``counts`` (``N_COUNTS``, left as
    found) are scratch space, so no call allocates. Returns the new number of retained rows."""
    # Drop rows no window can reach any more, keeping the previous row.
    if n > 0:
        keep = int(np.searchsorted(t[:n], t_new - RETAIN_US, side="right"))
        keep = min(keep, n - 1)
        if keep > 0:
            m = n - keep
            t[:m] = t[keep:n]
            ints[:, :m] = ints[:, keep:n]
            floats[:, :m] = floats[:, keep:n]
            n = m
    i = n
    t[i] = t_new
    ints[I_PARTY, i] = party
    ints[I_CITY, i] = city
    ints[I_CAT, i] = category
    ints[I_MODE, i] = mode
    ints[I_CHANNEL, i] = channel
    ints[I_TYPE, i] = ttype
    ints[I_DECLINED, i] = declined
    ints[I_UNUSUAL, i] = 0
    ints[I_NEW_PAYEE, i] = 0
    floats[F_AMOUNT, i] = amount
    floats[F_LAT, i] = lat
    floats[F_LON, i] = lon
    n += 1
    w30 = window_start(t, 0, i, W30D)
    w7 = window_start(t, w30, i, W7D)
    w24 = window_start(t, w7, i, W24H)
    w1 = window_start(t, w24, i, W1H)
    # Sorted windows in caller-owned scratch space (no allocation per transaction).
    sorted_amounts = sort_f[: i - w30]
    sorted_amounts[:] = floats[F_AMOUNT, w30:i]
    sorted_amounts.sort()
    # The 7-day aggregates, rebuilt with the batch pass's own window step.
    city_counts = counts[C_CITY:C_CAT]
    category_counts = counts[C_CAT:C_WEEK]
    week = counts[C_WEEK:N_COUNTS]
    cities, categories, parties = ints[I_CITY], ints[I_CAT], ints[I_PARTY]
    for j in range(w7, i):
        week_add(j, w7, cities, categories, parties, city_counts, category_counts, sort_i, week)
    ints[I_UNUSUAL, i] = customer_row(
        i, w1, w24, w7, w30, i > 0,
        t, floats[F_AMOUNT], ints[I_PARTY], ints[I_CITY], ints[I_CAT], ints[I_MODE],
        ints[I_CHANNEL], ints[I_TYPE], ints[I_DECLINED], floats[F_LAT], floats[F_LON],
        ints[I_UNUSUAL], ints[I_NEW_PAYEE], home_lat, home_lon, new_party, new_device, state,
        sorted_amounts, week, out,
    )  # fmt: skip
    for j in range(w7, i):
        city_counts[cities[j]] = 0
        category_counts[categories[j]] = 0
    week[:] = 0
    return n


@nb.njit(cache=True, inline="always")
def _zero_outputs(out: npt.NDArray[np.float64], cols: npt.NDArray[np.int64]) -> None:
    """Zeros at an absent entity's features (``cols``, -1: not one of its features)."""
    for j in range(cols.shape[0]):
        if cols[j] >= 0:
            out[cols[j]] = 0.0


@nb.njit(cache=True)
def online_txn(
    t: npt.NDArray[np.int64],
    ints: npt.NDArray[np.int64],
    floats: npt.NDArray[np.float64],
    n: int,
    state: npt.NDArray[np.int64],
    customer: int,
    t_new: int,
    amount: float,
    lat: float,
    lon: float,
    home_lat: float,
    home_lon: float,
    party: int,
    city: int,
    category: int,
    mode: int,
    channel: int,
    ttype: int,
    declined: int,
    new_party: int,
    new_device: int,
    party_kind: int,
    device: int,
    has_device: bool,
    initiation: float,
    address_days: float,
    binding_days: float,
    sim_days: float,
    remote: float,
    hdr: npt.NDArray[np.int64],
    slots: npt.NDArray[np.int64],
    index: npt.NDArray[np.int64],
    pool: npt.NDArray[np.int64],
    amounts: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    counts: npt.NDArray[np.int64],
    outlier: npt.NDArray[np.float64],
    sort_f: npt.NDArray[np.float64],
    sort_i: npt.NDArray[np.int64],
    out: npt.NDArray[np.float64],
) -> int:
    """One transaction of the online features in one call: its merchant or P2P payee
    (``party_kind``: ``K_MERCHANT``, ``K_PAYEE`` or ``NO_ENTITY``; ``party`` its id) and its
    device (``has_device``) found or made in the entity store (``entity_store``: ``hdr`` to
    ``labels``), each now its kind's most recently seen; the entity features of each from its
    state (``kernels.entity_step``, the entity then folding the transaction in; zeros for the
    kinds it has none of, and for a device of negative id, which is held but not stepped), its
    raw session values (NaN: null), then the customer's step and the finished row, all into
    ``out`` (``layout.LAYOUT`` order); then, at most once a minute of stream time, the
    entities idle for their window are compacted.

    ``cols`` (3 x ``kernels.N_ENTITY_OUT``) says where each kind's entity outputs go in
    ``out`` (-1: nowhere); ``counts`` (``N_COUNTS``, all zero, left so) and ``sort_f`` /
    ``sort_i`` (at least the customer's capacity) are scratch space; ``outlier`` holds the
    outlier model's medians and scales (2 rows). Room for one more row in the customer's
    arrays is the caller's job. Returns the customer's new number of retained rows, or -1
    when the store must grow first (``EntityStore.grow``), having changed nothing."""
    rows = cells = 0
    if party_kind != NO_ENTITY:
        rows, cells = needs(hdr, slots, index, party_kind, party)
    if has_device:
        more_rows, more_cells = needs(hdr, slots, index, K_DEVICE, device)
        rows += more_rows
        cells += more_cells
    if short(hdr, slots, index, pool, labels, rows, cells, 0):
        return -1
    at = on = -1
    if party_kind != NO_ENTITY:
        at = touch(hdr, slots, index, pool, amounts, party_kind, party)
    if has_device:
        on = touch(hdr, slots, index, pool, amounts, K_DEVICE, device)
    if party_kind == NO_ENTITY:
        _zero_outputs(out, cols[K_MERCHANT])
        _zero_outputs(out, cols[K_PAYEE])
    else:
        wide = party_kind == K_PAYEE
        _zero_outputs(out, cols[K_MERCHANT if wide else K_PAYEE])
        _entity_step(
            hdr, slots, pool, amounts, labels, at, t_new, customer, amount, wide, out,
            cols[party_kind], sort_f, sort_i,
        )  # fmt: skip
    if has_device and device >= 0:
        _entity_step(
            hdr, slots, pool, amounts, labels, on, t_new, customer, amount, False, out,
            cols[K_DEVICE], sort_f, sort_i,
        )  # fmt: skip
    else:
        _zero_outputs(out, cols[K_DEVICE])
    out[SESSION_COLS[0]] = initiation
    out[SESSION_COLS[1]] = address_days
    out[SESSION_COLS[2]] = binding_days
    out[SESSION_COLS[3]] = sim_days
    out[SESSION_COLS[4]] = remote
    n = _customer_step(
        t, ints, floats, n, state, t_new, amount, lat, lon, home_lat, home_lon, party, city,
        category, mode, channel, ttype, declined, new_party, new_device, counts, sort_f, sort_i,
        out,
    )  # fmt: skip
    sort_i[0] = t_new  # the scratch, free again, as the finished row's one-row columns
    sort_f[0] = amount
    finish_rows(out.reshape((1, out.shape[0])), sort_i[:1], sort_f[:1], outlier[0], outlier[1])
    update_state(state, t_new, city, category, mode, channel, ttype)
    if t_new > hdr[H_NOW]:
        hdr[H_NOW] = t_new
        if t_new >= hdr[H_NEXT_COMPACT]:
            hdr[H_NEXT_COMPACT] = t_new + COMPACT_EVERY_US
            for kind in range(N_KINDS):
                compact(hdr, slots, kind, t_new)
    return n


@nb.njit(cache=True, inline="always")
def _entity_step(
    hdr: npt.NDArray[np.int64],
    slots: npt.NDArray[np.int64],
    pool: npt.NDArray[np.int64],
    amounts: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int64],
    s: int,
    t_new: int,
    customer: int,
    amount: float,
    wide: bool,
    out: npt.NDArray[np.float64],
    cols: npt.NDArray[np.int64],
    sort_f: npt.NDArray[np.float64],
    sort_i: npt.NDArray[np.int64],
) -> None:
    """``kernels.entity_step`` on the entity of the store's row ``s``, its one-row columns
    (time, customer, amount) in the scratch arrays rather than allocated for each call."""
    lo, cap = slots[s, S_WOFF], slots[s, S_WCAP]
    k_lo = slots[s, S_KOFF]
    entity_step(
        slots[s, :M_SIZE], pool[:, lo : lo + cap], amounts[lo : lo + cap],
        labels[k_lo : k_lo + slots[s, S_KCAP]], t_new, customer, amount, wide, out, cols,
        sort_i, sort_f,
    )  # fmt: skip
