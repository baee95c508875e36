"""The ``handbook`` preset: the transaction simulator of the Fraud Detection Handbook (Le Borgne,
Siblini, Lebichot and Bontempi, *Reproducible Machine Learning for Credit Card Fraud Detection -
Practical Handbook*, 2022, chapter 3 "Simulated dataset"), vectorised with NumPy.

The mechanism is the book's:

* customers sit at ``(x, y) ~ U(0, 100)^2`` with ``mean_amount ~ U(5, 100)``,
  ``std_amount = mean_amount / 2`` and ``mean_nb_tx_per_day ~ U(0, 4)``; terminals sit at
  ``(x, y) ~ U(0, 100)^2``, and a customer uses the terminals closer than ``r = 5``;
* each customer-day has ``Poisson(mean_nb_tx_per_day)`` transactions at
  ``int(N(43200, 20000))`` seconds into the day (kept inside the day), of amount
  ``N(mean_amount, std_amount)`` (redrawn ``U(0, 2 mean_amount)`` if negative, rounded to
  cents), at a terminal drawn uniformly among the customer's (none: no transaction);
* fraud, applied in the book's order, later scenarios overwriting earlier labels:
  1. every amount above 220 is fraud (``amount_manipulation``);
  2. each day 2 random terminals are compromised and all their transactions of the next 28 days
     are fraud (``card_cloning``, a skimmed terminal);
  3. each day 3 random customers are compromised and, over the next 14 days, a third of their
     transactions (each with probability 1/3) have their amount multiplied by 5 and are fraud
     (``stolen_card``).

Determinism across shards: terminals come from ``stream(seed, STREAM_HANDBOOK, 2)``, the daily
compromised terminals and customers from one global schedule ``stream(seed, STREAM_HANDBOOK, 0)``,
and a shard's customer profiles, transactions and labels from
``stream(seed, STREAM_HANDBOOK, 1, shard)``, so any shard can be generated alone, in any order.
Cosmetic customer attributes (name, age, income, ...) come from ``stream(seed, STREAM_HANDBOOK,
3, shard)`` so that they never perturb the book's draws.

The 100 x 100 grid is laid over a box of central India (about 1 km per unit, near Nagpur),
terminals become offline merchants and every payment is a RuPay debit card at the point of sale,
so the tables have exactly the schema of the india preset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from fraudforge.engine import geo
from fraudforge.engine import market as mkt
from fraudforge.engine._data.names import FIRST_NAMES, SURNAMES
from fraudforge.engine.calendar import epoch_seconds
from fraudforge.engine.frames import customers_frame, enum_series, transactions_frame
from fraudforge.engine.ids import KEY_SCENARIO, mix63, opaque_ids
from fraudforge.engine.population import Customers, card_ids, sample_rows
from fraudforge.engine.rng import STREAM_HANDBOOK, stream
from fraudforge.engine.rows import Rows
from fraudforge.engine.scenario import ResolvedScenario
from fraudforge.engine.taxonomy import FRAUD_LABELS
from fraudforge.engine.world import World

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

# --- the book's parameters -----------------------------------------------------------------------
GRID = 100.0
"""Side of the square on which customers and terminals are placed."""
RADIUS = 5.0
"""A customer uses the terminals strictly closer than this (grid units)."""
TIME_MEAN_S = 86_400 / 2
TIME_SD_S = 20_000.0
DAY_S = 86_400
FRAUD_AMOUNT = 220.0
"""Scenario 1: any amount above this is fraud."""
TERMINALS_PER_DAY = 2
TERMINAL_WINDOW_DAYS = 28
CUSTOMERS_PER_DAY = 3
CUSTOMER_WINDOW_DAYS = 14
STOLEN_SHARE = 1 / 3
STOLEN_FACTOR = 5.0

# --- mapping onto fraudforge's schema ------------------------------------------------------------
LAT0, LAT_PER_UNIT = 21.0, 0.009
LON0, LON_PER_UNIT = 78.0, 0.0096
TERMINAL_CATEGORIES = np.array(
    [mkt.CAT[c] for c in ("grocery", "restaurants", "fuel", "pharmacy", "apparel", "electronics")],
    dtype=np.int64,
)
FAMILY = mkt.SEGMENTS.index("family")
AGE_RANGE = (30, 60)
REPUTATION = 0.8
SCENARIO_NUMBER_BITS = 56
"""Low bits of a handbook incident key; its high part ``8 | scenario number`` sets key bit 59,
which the india preset's keys (pattern << 40 | incident, below 2**44) never reach."""

FRAUD_AMOUNT_CODE = FRAUD_LABELS.index("amount_manipulation")
FRAUD_TERMINAL_CODE = FRAUD_LABELS.index("card_cloning")
FRAUD_CUSTOMER_CODE = FRAUD_LABELS.index("stolen_card")
MIN_LABEL_DELAY_S = 3_600


def grid_to_latlon(x: F64, y: F64) -> tuple[F64, F64]:
    """Latitude and longitude of grid points (about 1 km per grid unit)."""
    return LAT0 + y * LAT_PER_UNIT, LON0 + x * LON_PER_UNIT


def latlon_to_grid(lat: F64, lon: F64) -> tuple[F64, F64]:
    """Grid ``(x, y)`` of points placed by :func:`grid_to_latlon` (its inverse)."""
    return (lon - LON0) / LON_PER_UNIT, (lat - LAT0) / LAT_PER_UNIT


def nearest_city(lat: F64, lon: F64) -> I64:
    """Index of the nearest city of ``geo`` to each point."""
    out = np.empty(lat.shape[0], dtype=np.int64)
    step = 65_536  # bound the (points x cities) distance matrix
    for i in range(0, lat.shape[0], step):
        part = slice(i, i + step)
        d = geo.haversine_km(lat[part, None], lon[part, None], geo.CITY_LAT, geo.CITY_LON)
        out[part] = np.argmin(d, axis=1)
    return out


def scenario_ids(number: int, low: I64) -> I64:
    """Opaque ``fraud_scenario_id`` of handbook incidents of a scenario (1, 2 or 3)."""
    return opaque_ids(KEY_SCENARIO, 8 | number, low, SCENARIO_NUMBER_BITS)


def _ranges(start: I64, stop: I64) -> tuple[I64, I64]:
    """Flatten the integer ranges ``[start, stop)``: (index of the range, value) per element."""
    count = np.maximum(stop - start, 0)
    owner = np.repeat(np.arange(start.shape[0], dtype=np.int64), count)
    first = np.cumsum(count) - count
    value = np.arange(owner.shape[0], dtype=np.int64) - first[owner] + start[owner]
    return owner, value


# --- terminals -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Terminals:
    """All terminals of a scenario, with a grid index of cells of side ``RADIUS``."""

    x: F64
    y: F64
    category: I64
    city: I64
    by_cell: I64
    """Terminal indices sorted by cell."""
    cell_start: I64
    """``by_cell[cell_start[c]:cell_start[c + 1]]`` are the terminals of cell ``c``."""

    @property
    def n(self) -> int:
        return int(self.x.shape[0])


N_CELLS = int(np.ceil(GRID / RADIUS))


def _cell_xy(v: F64) -> I64:
    return np.clip((v // RADIUS).astype(np.int64), 0, N_CELLS - 1)


def handbook_terminals(seed: int, n: int) -> Terminals:
    """The ``n`` terminals of a scenario, drawn once from the seed (the book's terminal table)."""
    rng = stream(seed, STREAM_HANDBOOK, 2)
    xy = rng.uniform(0.0, GRID, size=(n, 2))
    x, y = xy[:, 0].copy(), xy[:, 1].copy()
    cell = _cell_xy(x) * N_CELLS + _cell_xy(y)
    by_cell = np.argsort(cell, kind="stable").astype(np.int64)
    cell_start = np.searchsorted(cell[by_cell], np.arange(N_CELLS * N_CELLS + 1)).astype(np.int64)
    ids = np.arange(1, n + 1, dtype=np.int64)
    category = TERMINAL_CATEGORIES[mix63(ids) % TERMINAL_CATEGORIES.shape[0]]
    lat, lon = grid_to_latlon(x, y)
    t = Terminals(x, y, category, nearest_city(lat, lon), by_cell, cell_start)
    for a in (t.x, t.y, t.category, t.city, t.by_cell, t.cell_start):
        a.setflags(write=False)
    return t


def available_terminals(t: Terminals, x: F64, y: F64) -> tuple[I64, I64]:
    """Each point's terminals within ``RADIUS`` (the book's ``available_terminals``), as CSR
    ``(offsets, terminal indices)``, sorted by terminal within each point."""
    n = x.shape[0]
    cx, cy = _cell_xy(x), _cell_xy(y)
    d = np.array([-1, 0, 1], dtype=np.int64)
    nx = (cx[:, None, None] + d[None, :, None]).repeat(3, axis=2).reshape(n, 9)
    ny = (cy[:, None, None] + d[None, None, :]).repeat(3, axis=1).reshape(n, 9)
    ok = (nx >= 0) & (nx < N_CELLS) & (ny >= 0) & (ny < N_CELLS)
    cell = np.where(ok, nx * N_CELLS + ny, 0)
    start = np.where(ok, t.cell_start[cell], 0).ravel()
    stop = np.where(ok, t.cell_start[cell + 1], 0).ravel()
    owner, pos = _ranges(start, stop)
    point = owner // 9
    term = t.by_cell[pos]
    near = np.hypot(t.x[term] - x[point], t.y[term] - y[point]) < RADIUS
    point, term = point[near], term[near]
    order = np.lexsort((term, point))
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(point, minlength=n), out=offsets[1:])
    return offsets, term[order]


# --- the global fraud schedule -------------------------------------------------------------------


def _distinct(rng: np.random.Generator, n: int, rows: int, k: int) -> I64:
    """``rows`` draws of ``min(k, n)`` distinct integers of ``[0, n)`` (sampling without
    replacement, vectorised over rows)."""
    k = min(k, n)
    out = np.empty((rows, k), dtype=np.int64)
    for j in range(k):
        v = rng.integers(0, n - j, size=rows)
        for s in np.sort(out[:, :j], axis=1).T:  # shift past the values already taken, in order
            v = v + (v >= s)
        out[:, j] = v
    return out


@dataclass(frozen=True)
class Schedule:
    """Per day, the terminals (scenario 2) and customers (scenario 3) compromised that day."""

    terminals: I64
    """(days, 2) global terminal indices."""
    customers: I64
    """(days, 3) global customer indices."""


def handbook_schedule(s: ResolvedScenario) -> Schedule:
    """The compromised terminals and customers of every day, one draw for the whole scenario."""
    rng = stream(s.seed, STREAM_HANDBOOK, 0)
    sched = Schedule(
        terminals=_distinct(rng, s.merchants, s.days, TERMINALS_PER_DAY),
        customers=_distinct(rng, s.customers, s.days, CUSTOMERS_PER_DAY),
    )
    sched.terminals.setflags(write=False)
    sched.customers.setflags(write=False)
    return sched


# --- customers and transactions of a shard -------------------------------------------------------


@dataclass(frozen=True)
class Profiles:
    """The book's customer profiles of one shard; index ``i`` is global customer ``offset + i``."""

    offset: int
    x: F64
    y: F64
    mean_amount: F64
    std_amount: F64
    mean_nb_tx_per_day: F64

    @property
    def n(self) -> int:
        return int(self.x.shape[0])


def _bounds(s: ResolvedScenario, shard: int) -> tuple[int, int]:
    if not 0 <= shard < s.n_shards:
        raise IndexError(f"shard {shard} out of range: allowed 0..{s.n_shards - 1}")
    lo = shard * s.shard_size
    return lo, min(lo + s.shard_size, s.customers)


def _draw_profiles(rng: np.random.Generator, offset: int, n: int) -> Profiles:
    x = rng.uniform(0.0, GRID, n)
    y = rng.uniform(0.0, GRID, n)
    mean_amount = rng.uniform(5.0, 100.0, n)
    mean_nb = rng.uniform(0.0, 4.0, n)
    return Profiles(offset, x, y, mean_amount, mean_amount / 2, mean_nb)


def handbook_profiles(s: ResolvedScenario, shard: int) -> Profiles:
    """The book's profiles of a shard's customers (the first draws of the shard's stream)."""
    lo, hi = _bounds(s, shard)
    return _draw_profiles(stream(s.seed, STREAM_HANDBOOK, 1, shard), lo, hi - lo)


@dataclass(frozen=True)
class _Txns:
    """A shard's transactions before labelling, ordered by (customer, time)."""

    cust: I64  # local customer index
    day: I64
    ts: I64  # seconds since the start of the period
    amount: F64
    terminal: I64


def _transactions(rng: np.random.Generator, p: Profiles, t: Terminals, days: int) -> _Txns:
    """The book's ``generate_transactions_table`` for every customer of a shard at once."""
    offsets, members = available_terminals(t, p.x, p.y)
    nb = rng.poisson(np.broadcast_to(p.mean_nb_tx_per_day[:, None], (p.n, days))).ravel()
    cust_day = np.repeat(np.arange(p.n * days, dtype=np.int64), nb)
    # The book's int(): truncation toward zero.
    time_s = rng.normal(TIME_MEAN_S, TIME_SD_S, cust_day.shape[0]).astype(np.int64)
    keep = (time_s > 0) & (time_s < DAY_S)
    cust_day, time_s = cust_day[keep], time_s[keep]
    cust, day = cust_day // days, cust_day % days
    mean = p.mean_amount[cust]
    amount = rng.normal(mean, p.std_amount[cust])
    neg = amount < 0
    amount[neg] = rng.uniform(0.0, 2 * mean[neg])
    amount = np.round(amount, 2)
    count = (offsets[1:] - offsets[:-1])[cust]
    pick = offsets[cust] + np.floor(rng.random(cust.shape[0]) * count).astype(np.int64)
    has = count > 0
    ts = day * DAY_S + time_s
    order = np.flatnonzero(has)[np.lexsort((ts[has], cust[has]))]
    return _Txns(cust[order], day[order], ts[order], amount[order], members[pick[order]])


def _label(
    rng: np.random.Generator, s: ResolvedScenario, sched: Schedule, lo: int, hi: int, tx: _Txns
) -> tuple[I64, I64, F64]:
    """The book's ``add_frauds``: fraud codes, incident ids and amounts after scenario 3."""
    days = s.days
    n = tx.cust.shape[0]
    gcust = tx.cust + lo
    fraud = np.zeros(n, dtype=np.int64)
    scenario = np.full(n, -1, dtype=np.int64)
    amount = tx.amount.copy()

    # Scenario 1: large amounts; one incident per customer-day.
    hit = amount > FRAUD_AMOUNT
    fraud[hit] = FRAUD_AMOUNT_CODE
    scenario[hit] = scenario_ids(1, gcust[hit] * days + tx.day[hit])

    # Scenario 2: the latest compromise of the row's terminal at most 27 days before the row.
    c_days = np.repeat(np.arange(days, dtype=np.int64), sched.terminals.shape[1])
    c_key = np.sort(sched.terminals.ravel() * days + c_days)
    if c_key.size:
        key = tx.terminal * days + tx.day
        j = np.searchsorted(c_key, key, side="right") - 1
        prev = c_key[np.maximum(j, 0)]
        same = (j >= 0) & (prev // days == tx.terminal)
        hit = same & (tx.day - prev % days < TERMINAL_WINDOW_DAYS)
        fraud[hit] = FRAUD_TERMINAL_CODE
        scenario[hit] = scenario_ids(2, prev[hit])

    # Scenario 3: each compromise of a customer of this shard covers its next 14 days; each of
    # those rows is stolen with probability 1/3 (x5 amount per hit; the latest hit names it).
    cc = sched.customers
    inc_day = np.repeat(np.arange(days, dtype=np.int64), cc.shape[1])
    inc_cust = cc.ravel()
    mine = (inc_cust >= lo) & (inc_cust < hi)
    inc_cust, inc_day = inc_cust[mine] - lo, inc_day[mine]
    if inc_cust.size:
        order = np.lexsort((inc_day, inc_cust))
        inc_cust, inc_day = inc_cust[order], inc_day[order]
        row_key = tx.cust * days + tx.day
        start = np.searchsorted(row_key, inc_cust * days + inc_day, side="left")
        end_day = np.minimum(inc_day + CUSTOMER_WINDOW_DAYS, days)  # not into the next customer
        stop = np.searchsorted(row_key, inc_cust * days + end_day, side="left")
        inc, row = _ranges(start, stop)
        stolen = rng.random(row.shape[0]) < STOLEN_SHARE
        inc, row = inc[stolen], row[stolen]
        hits = np.bincount(row, minlength=n)
        latest = np.full(n, -1, dtype=np.int64)
        np.maximum.at(latest, row, inc)  # incidents are in day order per customer
        hit = hits > 0
        amount[hit] = np.round(amount[hit] * STOLEN_FACTOR ** hits[hit], 2)
        fraud[hit] = FRAUD_CUSTOMER_CODE
        scenario[hit] = scenario_ids(3, (inc_cust[latest[hit]] + lo) * days + inc_day[latest[hit]])
    return fraud, scenario, amount


def handbook_rows(s: ResolvedScenario, shard: int, world: HandbookWorld | None = None) -> Rows:
    """A shard's transactions as ``Rows``, ordered by customer then time."""
    w = world or HandbookWorld.build(s)
    lo, hi = _bounds(s, shard)
    rng = stream(s.seed, STREAM_HANDBOOK, 1, shard)
    p = _draw_profiles(rng, lo, hi - lo)
    t = w.terminals
    tx = _transactions(rng, p, t, s.days)
    fraud, scenario, amount = _label(rng, s, w.schedule, lo, hi, tx)
    n = tx.cust.shape[0]
    is_fraud = fraud > 0
    delay = np.full(n, int(s.chargeback_delay_days * DAY_S), dtype=np.int64)
    mean_s = s.label_delay_days * DAY_S
    fraud_delay = rng.gamma(4.0, mean_s / 4.0, int(is_fraud.sum()))
    delay[is_fraud] = np.maximum(fraud_delay, MIN_LABEL_DELAY_S).astype(np.int64)
    rows = Rows.empty(n)
    gcust = tx.cust + lo
    lat, lon = grid_to_latlon(t.x[tx.terminal], t.y[tx.terminal])
    rows["cust"] = gcust
    rows["ts"] = epoch_seconds(s.start_date) + tx.ts
    rows["merchant"] = tx.terminal
    rows["amount"] = amount
    rows["mode"] = mkt.MODE["debit_card"]
    rows["channel"] = mkt.CHANNEL["pos"]
    rows["txn_type"] = mkt.TXN["purchase"]
    rows["status"] = mkt.STATUS["approved"]
    rows["category"] = t.category[tx.terminal]
    rows["city"] = t.city[tx.terminal]
    rows["lat"] = lat
    rows["lon"] = lon
    rows["card"] = card_ids(gcust, 0)
    rows["network"] = mkt.CARD_NETWORKS.index("rupay")
    rows["fraud"] = fraud
    rows["scenario"] = scenario
    rows["label_delay"] = delay
    return rows


def handbook_transactions(
    s: ResolvedScenario, shard: int, world: HandbookWorld | None = None
) -> pl.DataFrame:
    """The transactions table of one shard of the handbook preset."""
    w = world or HandbookWorld.build(s)
    return transactions_frame(shard, handbook_rows(s, shard, w), w.merchant_table["vpa"])


def handbook_customers(
    s: ResolvedScenario, shard: int, world: HandbookWorld | None = None
) -> pl.DataFrame:
    """The customers table of one shard: the book's positions, plus plausible attributes of a
    family segment (from their own stream, so the book's draws stay untouched)."""
    p = handbook_profiles(s, shard)
    n = p.n
    rng = stream(s.seed, STREAM_HANDBOOK, 3, shard)
    lat, lon = grid_to_latlon(p.x, p.y)
    t = world.terminals if world is not None else handbook_terminals(s.seed, s.merchants)
    offsets, members = available_terminals(t, p.x, p.y)
    owner = np.repeat(np.arange(n, dtype=np.int64), offsets[1:] - offsets[:-1])
    n_cat = mkt.N_MERCHANT_CATEGORIES
    counts = np.bincount(owner * n_cat + t.category[members], minlength=n * n_cat)
    cat_weight: F64 = counts.reshape(n, n_cat).astype(np.float64)
    # Tie-break (and fill customers without terminals) in the terminal categories' order.
    cat_weight[:, TERMINAL_CATEGORIES] += 1e-3 * np.linspace(1.0, 0.5, TERMINAL_CATEGORIES.shape[0])
    mode_weight = np.zeros((n, len(mkt.PAYMENT_MODES)))
    mode_weight[:, mkt.MODE["debit_card"]] = 1.0
    mode_weight[:, mkt.MODE["upi"]] = 0.5
    family = np.full(n, FAMILY, dtype=np.int64)
    home = nearest_city(lat, lon)
    cu = Customers(
        offset=p.offset,
        segment=family,
        tier=geo.CITY_TIER[home].astype(np.int64),
        age=rng.integers(AGE_RANGE[0], AGE_RANGE[1] + 1, n),
        income=sample_rows(rng, mkt.SEG_INCOME[family]),
        occupation=sample_rows(rng, mkt.SEG_OCCUPATION[family]),
        savviness=sample_rows(rng, mkt.SEG_SAVVINESS[family]),
        home_city=home,
        home_lat=lat,
        home_lon=lon,
        cat_weight=cat_weight,
        mode_weight=mode_weight,
        rate=p.mean_nb_tx_per_day,
        amount_scale=p.mean_amount,
        n_devices=np.ones(n, dtype=np.int64),
        has_credit=np.zeros(n, dtype=bool),
        credit_limit=np.zeros(n),
        funds=np.full(n, np.inf),
        partner=np.full(n, -1, dtype=np.int64),
        new_phone_at=np.full(n, np.iinfo(np.int64).max // 2, dtype=np.int64),
        night_owl=np.zeros(n, dtype=bool),
        debit_network=np.full(n, mkt.CARD_NETWORKS.index("rupay"), dtype=np.int64),
        credit_network=np.zeros(n, dtype=np.int64),
        first_name=rng.integers(0, len(FIRST_NAMES), n),
        surname=rng.integers(0, len(SURNAMES), n),
    )
    return customers_frame(cu)


def handbook_merchants(s: ResolvedScenario, world: HandbookWorld | None = None) -> pl.DataFrame:
    """The merchants table: one offline shop per terminal of the book."""
    return (world or HandbookWorld.build(s)).merchant_table


def _merchants(t: Terminals) -> pl.DataFrame:
    n = t.n
    ids = np.arange(1, n + 1, dtype=np.int64)
    id_str = pl.Series(ids).cast(pl.String)
    lat, lon = grid_to_latlon(t.x, t.y)
    return pl.DataFrame(
        [
            pl.Series("merchant_id", ids),
            ("Terminal " + id_str).alias("name"),
            enum_series("category", t.category),
            pl.Series("mcc", mkt.CAT_MCC[t.category]).cast(pl.Int16),
            pl.Series("is_chain", np.zeros(n, dtype=bool)),
            pl.Series("is_online", np.zeros(n, dtype=bool)),
            enum_series("city", t.city),
            enum_series("state", geo.CITY_STATE[t.city]),
            pl.Series("lat", lat),
            pl.Series("lon", lon),
            pl.Series("reputation", np.full(n, REPUTATION)),
            ("terminal" + id_str + "@okaxis").alias("vpa"),
        ]
    )


@dataclass(frozen=True, eq=False)
class HandbookWorld(World):
    """The handbook preset: its terminals, daily compromises and merchants table, drawn once per
    scenario."""

    scenario: ResolvedScenario
    terminals: Terminals
    schedule: Schedule
    merchant_table: pl.DataFrame

    @classmethod
    def build(cls, s: ResolvedScenario) -> HandbookWorld:
        """Draw the scenario-wide parts of a handbook dataset from its seed."""
        t = handbook_terminals(s.seed, s.merchants)
        return cls(
            scenario=s, terminals=t, schedule=handbook_schedule(s), merchant_table=_merchants(t)
        )

    def transactions(self, shard: int) -> pl.DataFrame:
        """The transactions table of one shard."""
        return handbook_transactions(self.scenario, shard, self)

    def customers(self, shard: int) -> pl.DataFrame:
        """The customers table of one shard."""
        return handbook_customers(self.scenario, shard, self)

    def merchants(self) -> pl.DataFrame:
        """The merchants table."""
        return self.merchant_table
