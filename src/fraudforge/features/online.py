"""``OnlineFeatures``: the same 69 features for one new transaction at a time, from per-customer,
per-merchant, per-device and per-payee state kept in memory.

The customer-side values come from the batch pass's own per-row kernel (``kernels.customer_row``)
run on the customer's retained history, and the merchant, device and payee values from the batch
pass's own entity kernel (``kernels.entity_steps``) run on each entity's state in NumPy buffers,
so replaying a stream reproduces the batch values.

Merchants, devices and P2P payees are bounded two ways. One not seen for its window (24 hours
of stream time, the newest timestamp processed; 7 days for a payee) is compacted: its window is
empty for any later transaction of a time-ordered stream, so only its lifetime count and fraud
labels (what the all-time fraud rate reads) are kept. That is exact. Over ``limit_entities``
(per kind), the least recently seen compacted ones, then the least recently seen active ones,
are forgotten: a forgotten entity restarts from nothing, so its fraud rate (lifetime count and
labels) or its payee windows are no longer the batch ones. That cap is where batch == online
parity can end.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from fraudforge.engine import geo
from fraudforge.engine import market as mkt
from fraudforge.features import kernels as k
from fraudforge.features import online_kernel as ok
from fraudforge.features.batch import ENTITY_KINDS, EntityKind, payee_key
from fraudforge.features.catalog import FEATURE_NAMES
from fraudforge.features.layout import COL, LAYOUT, SESSION_INPUTS
from fraudforge.features.outlier import OutlierModel
from fraudforge.foundation.errors import ConfigError, DataError, NotFoundError

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
EPOCH = dt.datetime(1970, 1, 1)
_MICROSECOND = dt.timedelta(microseconds=1)
_COMPACT_EVERY_US = 60_000_000
"""Stream time between two compactions of idle merchants, devices and payees (any period is
exact)."""
_CATALOG_COLS = np.array([COL[name] for name in FEATURE_NAMES], dtype=np.int64)
_N_LAYOUT = len(LAYOUT)
_NAN = float("nan")


def to_micros(ts: dt.datetime | int) -> int:
    """Microseconds since the epoch of a naive timestamp (or pass an int through)."""
    if isinstance(ts, int):
        return ts
    return (ts - EPOCH) // _MICROSECOND


class TimeOrderError(DataError):
    """A customer's transaction earlier than that customer's previous one: the online features
    read each customer's transactions in time order (``check_time_order``)."""


def check_time_order(
    customer_id: int,
    timestamp: dt.datetime | int,
    previous: dt.datetime | int | None,
    *,
    transaction_id: int | None = None,
    in_batch: bool = False,
) -> None:
    """The time-order rule of the online features, the one place it is checked: a customer's
    transaction at ``timestamp`` may not be earlier than that customer's ``previous`` one (the
    same time is allowed; None: there is none). Raises ``TimeOrderError`` naming the
    transaction (by ``transaction_id`` when given, else by its time) and the previous one:
    the last one the state holds, or with ``in_batch`` an earlier one of the same request."""
    if previous is None or to_micros(timestamp) >= to_micros(previous):
        return
    if in_batch:
        subject, before = f"transaction {transaction_id}", "previous one in this batch"
    else:
        at, last = (_datetime(t) for t in (timestamp, previous))
        subject = f"{at}" if transaction_id is None else f"transaction {transaction_id} at {at}"
        before = f"last transaction ({last})"
    raise TimeOrderError(
        f"{subject} is earlier than customer {customer_id}'s {before}: each customer's must "
        "come in time order"
    )


def _datetime(ts: dt.datetime | int) -> dt.datetime:
    """A naive timestamp, from itself or its microseconds since the epoch."""
    return ts if isinstance(ts, dt.datetime) else EPOCH + ts * _MICROSECOND


@dataclass
class _History:
    """A customer's retained rows (30 days and the last row) as field-major arrays, running
    counts and the payees and devices seen so far."""

    home_lat: float
    home_lon: float
    n: int = 0
    last_t: int = -(2**62)
    t: I64 = field(default_factory=lambda: np.empty(16, dtype=np.int64))
    ints: I64 = field(default_factory=lambda: np.empty((ok.N_INT, 16), dtype=np.int64))
    floats: F64 = field(default_factory=lambda: np.empty((ok.N_FLOAT, 16), dtype=np.float64))
    state: I64 = field(default_factory=lambda: np.zeros(k.STATE_SIZE, dtype=np.int64))
    seen_party: set[int] = field(default_factory=set)
    seen_device: set[int] = field(default_factory=set)

    def reserve(self) -> None:
        """Make room for one more row."""
        if self.n == self.t.shape[0]:
            cap = 2 * self.t.shape[0]
            self.t = np.resize(self.t, cap)
            ints = np.empty((ok.N_INT, cap), dtype=np.int64)
            ints[:, : self.n] = self.ints[:, : self.n]
            floats = np.empty((ok.N_FLOAT, cap), dtype=np.float64)
            floats[:, : self.n] = self.floats[:, : self.n]
            self.ints, self.floats = ints, floats


_NO_LABELS = np.empty(0, dtype=np.int64)
"""``known`` of an entity without labels (never written: a first label gives it its own)."""
_FRESH = np.zeros(k.M_SIZE, dtype=np.int64)
_FRESH[k.M_LAST] = k.NEVER
"""``meta`` of an entity before its first transaction."""
_SPARES = 64
"""Most objects of entities compacted to their count kept for reuse, per table."""
_SPARE_ROOM = 64
"""Largest buffers (transactions) an object kept for reuse may have."""


class _Entity:
    """A merchant's, device's or payee's state in the NumPy arrays ``kernels.entity_steps``
    reads and updates (``kernels.M_*``): its transactions in its window (time, customer,
    amount), total count, confirmed-fraud times and latest transaction time."""

    __slots__ = ("amounts", "known", "meta", "window")

    def __init__(self, total: int = 0, room: int = 4) -> None:
        self.meta = np.empty(k.M_SIZE, dtype=np.int64)
        self.window = np.empty((2, room), dtype=np.int64)
        self.amounts = np.empty(room, dtype=np.float64)
        self.reset(total)

    def reset(self, total: int) -> _Entity:
        """Make this an entity with ``total`` transactions so far, an empty window and no
        labels, keeping its buffers (a compacted entity's object reused for a revived one
        costs a third of a new one's allocations)."""
        self.meta[:] = _FRESH
        self.meta[k.M_TOTAL] = total
        self.known = _NO_LABELS
        return self

    @classmethod
    def restored(
        cls,
        total: int,
        recent: tuple[list[int], list[int], list[float]],
        known: list[int],
    ) -> _Entity:
        """An entity from what ``recent`` and ``known_fraud`` gave for it: its ``total``, its
        window's (times, customers, amounts) oldest first, and its confirmed-fraud times."""
        times, customers, amounts = recent
        n = len(times)
        e = cls(total, room=max(4, 2 * n))
        e.window[0, :n] = times
        # Each customer as itself at its latest transaction, as -1 - customer before it.
        later: set[int] = set()
        for j in range(n - 1, -1, -1):
            c = customers[j]
            e.window[1, j] = -1 - c if c in later else c
            later.add(c)
        e.amounts[:n] = amounts
        e.meta[k.M_N] = n
        e.meta[k.M_DISTINCT] = len(later)
        if n:
            e.meta[k.M_LAST] = times[-1]
        if known:
            e.known = np.array(known, dtype=np.int64)
            e.meta[k.M_KNOWN] = len(known)
        return e

    @property
    def total(self) -> int:
        """Transactions at the entity so far."""
        return int(self.meta[k.M_TOTAL])

    @property
    def last(self) -> int:
        """Time of its latest transaction (``kernels.NEVER`` before the first)."""
        return int(self.meta[k.M_LAST])

    def known_fraud(self) -> list[int]:
        """The label_known_at of its confirmed frauds, ascending."""
        known: list[int] = self.known[: self.meta[k.M_KNOWN]].tolist()
        return known

    def recent(self) -> tuple[list[int], list[int], list[float]]:
        """The (times, customers, amounts) of its transactions in its window, oldest first."""
        lo = int(self.meta[k.M_HEAD])
        hi = lo + int(self.meta[k.M_N])
        customers = self.window[1, lo:hi]
        return (
            self.window[0, lo:hi].tolist(),
            np.where(customers >= 0, customers, -1 - customers).tolist(),
            self.amounts[lo:hi].tolist(),
        )

    def grow(self) -> None:
        """Double the buffers' capacity (the window fills them), the window at their start."""
        lo = int(self.meta[k.M_HEAD])
        n = int(self.meta[k.M_N])
        window = np.empty((2, 2 * n), dtype=np.int64)
        window[:, :n] = self.window[:, lo : lo + n]
        amounts = np.empty(2 * n, dtype=np.float64)
        amounts[:n] = self.amounts[lo : lo + n]
        self.window, self.amounts = window, amounts
        self.meta[k.M_HEAD] = 0

    def label(self, when: int) -> None:
        """A confirmed fraud at the entity, counting from ``when``."""
        n = int(self.meta[k.M_KNOWN])
        if n == self.known.shape[0]:
            known = np.empty(max(4, 2 * n), dtype=np.int64)
            known[:n] = self.known[:n]
            self.known = known
        k.entity_label(self.meta, self.known, when)

    def unlabel(self, when: int) -> None:
        """Take back one confirmed fraud counting from ``when`` (none if there is none)."""
        k.entity_unlabel(self.meta, self.known, when)

    def forget_window(self) -> None:
        """Empty the window (its transactions are all out of it), keeping the count and
        labels, and give back its buffers' memory."""
        self.meta[k.M_HEAD] = self.meta[k.M_N] = self.meta[k.M_DISTINCT] = 0
        self.window = np.empty((2, 4), dtype=np.int64)
        self.amounts = np.empty(4, dtype=np.float64)


class _Entities:
    """Merchants, devices or payees by id: the ``active`` ones in the order last seen, then the
    ``idle`` ones (not seen for their window of stream time), compacted to their lifetime count
    (an int) or, when they hold fraud labels, kept whole with an empty window; oldest first.
    With a ``cap``, the first idle ones (then the first active ones) are forgotten beyond it.
    ``wide``: a payee's window (7 days, distinct payers and amounts received), else 24 hours."""

    __slots__ = ("active", "cap", "forgotten", "idle", "span", "spares", "wide")

    def __init__(self, *, wide: bool = False) -> None:
        self.active: OrderedDict[int, _Entity] = OrderedDict()
        self.idle: OrderedDict[int, int | _Entity] = OrderedDict()
        self.cap: int | None = None
        self.forgotten = 0
        self.wide = wide
        self.span = k.W7D if wide else k.W24H
        self.spares: list[_Entity] = []

    def __len__(self) -> int:
        return len(self.active) + len(self.idle)

    def items(self) -> Iterator[tuple[int, _Entity]]:
        """Every entity, idle ones first (a compacted one as an entity with an empty window)."""
        for eid, held in self.idle.items():
            yield eid, (_Entity(held) if isinstance(held, int) else held)
        yield from self.active.items()

    def touch(self, eid: int) -> _Entity:
        """The entity ``eid`` a transaction is at (created or revived), now the most recently
        seen; the caller folds the transaction in (``online_kernel.online_txn``) and makes the
        buffers grow when the window fills them (``_Entity.grow``)."""
        e = self.active.get(eid)
        if e is not None:
            self.active.move_to_end(eid)
            return e
        held = self.idle.pop(eid, None)
        if isinstance(held, _Entity):
            e = held
        elif self.spares:
            e = self.spares.pop().reset(held or 0)
        else:
            e = _Entity(held or 0)
        self.active[eid] = e
        self.limit()
        return e

    def labelled(self, eid: int) -> _Entity:
        """The entity to add a fraud label to, without changing its place in the order."""
        e = self.active.get(eid)
        if e is not None:
            return e
        held = self.idle.get(eid)
        if isinstance(held, _Entity):
            return held
        e = self.idle[eid] = _Entity(held or 0)
        if held is None:
            self.limit()
        return e

    def held(self, eid: int) -> _Entity | None:
        """The entity ``eid`` when it holds labels or a window (None when compacted to its count
        or unknown)."""
        e = self.active.get(eid)
        held = self.idle.get(eid) if e is None else e
        return held if isinstance(held, _Entity) else None

    def compact(self, now: int) -> None:
        """Compact the active entities last seen at or before ``now - span`` (in the order seen;
        stops at the first one seen later). The objects of those compacted to their count are
        kept for reuse (``spares``), up to ``_SPARES`` with buffers of at most ``_SPARE_ROOM``."""
        active, idle, spares = self.active, self.idle, self.spares
        horizon = now - self.span
        gone = []
        for eid, e in active.items():
            if e.meta.item(k.M_LAST) > horizon:
                break
            gone.append(eid)
        for eid in gone:
            e = active.pop(eid)
            if e.meta.item(k.M_KNOWN):
                e.forget_window()
                idle[eid] = e
                continue
            idle[eid] = e.meta.item(k.M_TOTAL)
            if len(spares) < _SPARES and e.amounts.shape[0] <= _SPARE_ROOM:
                spares.append(e)

    def limit(self) -> None:
        """Forget the oldest entities beyond ``cap``."""
        if self.cap is None:
            return
        while len(self) > self.cap:
            if self.idle:
                self.idle.popitem(last=False)
            else:
                self.active.popitem(last=False)
            self.forgotten += 1

    def restore(self, eid: int, e: _Entity) -> None:
        """Put a saved entity back (in saving order)."""
        if e.meta[k.M_N]:
            self.active[eid] = e
        elif e.meta[k.M_KNOWN]:
            self.idle[eid] = e
        else:
            self.idle[eid] = e.total


def _entity_cols(kind: EntityKind) -> I64:
    """Where ``kind``'s entity kernel outputs (``kernels.E_*`` order) go in a feature row
    (``layout.LAYOUT``): at the features it yields, -1 for the others."""
    cols = np.full(k.N_ENTITY_OUT, -1, dtype=np.int64)
    for feature, output in kind.features:
        cols[output] = COL[feature]
    return cols


_KINDS = ("merchant", "device", "payee")
"""The entity tables of a state, in ``OnlineFeatures._tables`` order (``online_kernel.K_*``)."""
_BY_NAME = {kind.name: kind for kind in ENTITY_KINDS}
_OUT_COLS = np.stack([_entity_cols(_BY_NAME[name]) for name in _KINDS])
"""``online_txn``'s ``cols``: each kind's entity outputs' places in the row."""
_NO_ENTITY = _Entity()
"""The arrays passed for a kind the transaction has none of (the kernel does not read them)."""
_INPUTS = (
    "timestamp",
    "customer_id",
    "merchant_id",
    "counterparty",
    "device_id",
    "amount_inr",
    "lat",
    "lon",
    "city",
    "category",
    "payment_mode",
    "channel",
    "txn_type",
    "status",
    *SESSION_INPUTS,
    "transaction_id",
)
"""What ``process_row`` reads of a transaction, in the order it unpacks them."""
_OPTIONAL = frozenset(
    ("merchant_id", "counterparty", "device_id", "transaction_id", *SESSION_INPUTS)
)
_ITEMS = operator.itemgetter(*_INPUTS)
_FIELDS = operator.attrgetter(*_INPUTS)


def _inputs(txn: Mapping[str, Any]) -> tuple[Any, ...]:
    """``_INPUTS`` of a mapping without some optional keys (None for those; a required one
    missing raises its KeyError)."""
    return tuple(txn.get(key) if key in _OPTIONAL else txn[key] for key in _INPUTS)


class OnlineFeatures:
    """Per-customer, per-merchant, per-device and per-payee state that yields a transaction's 69
    features.

    ``homes`` maps customer_id to (home_lat, home_lon); ``outlier`` is the model fitted by the
    batch pipeline. Feed transactions in time order with ``process``; report confirmed fraud
    with ``add_label`` (it counts from its ``label_known_at`` on).

    Parameters
    ----------
    homes
        Each customer's home coordinates (degrees), by customer_id; kept, not copied. A
        transaction of a customer not in it is refused.
    outlier
        The outlier model of the batch features the scoring model was trained on
        (``FeaturesManifest.outlier``), so that online values equal batch ones.

    Examples
    --------
    The features of a generated dataset's stream (``features.replay`` also reports its
    confirmed frauds as they become known, as the batch features count them):

    >>> from fraudforge import scan_dataset
    >>> from fraudforge.features import OnlineFeatures, read_features
    >>> manifest, _ = read_features("features")
    >>> customers = scan_dataset("data", "customers").collect()
    >>> online = OnlineFeatures.from_customers(customers, manifest.outlier)
    >>> stream = scan_dataset("data").sort("timestamp", "transaction_id").collect()
    >>> values = [online.process(txn) for txn in stream.iter_rows(named=True)]
    >>> values[0]["txn_count_24h"]
    0.0
    """

    def __init__(self, homes: Mapping[int, tuple[float, float]], outlier: OutlierModel) -> None:
        self._homes = homes
        self._outlier = outlier
        self._customers: dict[int, _History] = {}
        self._merchants = _Entities()
        self._devices = _Entities()
        self._payees = _Entities(wide=True)
        self._now = -(2**62)
        """The newest timestamp processed: the stream time idle entities are compacted by."""
        self._next_compact = -(2**62)
        self._counts = np.zeros(ok.N_COUNTS, dtype=np.int64)
        self._median, self._scale = outlier.arrays()
        self._outlier_arrays = np.stack([self._median, self._scale])
        self._scratch_f = np.empty(64, dtype=np.float64)
        self._scratch_i = np.empty(64, dtype=np.int64)
        self._payee_keys: dict[str, int] = {}

    @classmethod
    def from_customers(cls, customers: pl.DataFrame, outlier: OutlierModel) -> OnlineFeatures:
        """Build from a customers table (customer_id, home_lat, home_lon).

        Parameters
        ----------
        customers
            A table with ``customer_id``, ``home_lat`` and ``home_lon`` (other columns are
            ignored), such as a dataset's ``customers`` table.
        outlier
            The outlier model of the batch features (as for the constructor).

        Returns
        -------
        OnlineFeatures
            An empty state for those customers.
        """
        rows = customers.select("customer_id", "home_lat", "home_lon").iter_rows()
        return cls({cid: (lat, lon) for cid, lat, lon in rows}, outlier)

    def _history(self, customer_id: int) -> _History:
        h = self._customers.get(customer_id)
        if h is None:
            if customer_id not in self._homes:
                raise NotFoundError(
                    f"customer_id {customer_id} is unknown: add it to the customers table"
                )
            lat, lon = self._homes[customer_id]
            h = self._customers[customer_id] = _History(home_lat=lat, home_lon=lon)
        return h

    def check(self, customer_id: int, timestamp: dt.datetime | int) -> None:
        """Raise what ``process`` would for this customer and time (KeyError for an unknown
        customer, ``TimeOrderError`` for a time before the customer's last), changing
        nothing.

        Parameters
        ----------
        customer_id
            The transaction's customer.
        timestamp
            The transaction's time: a naive datetime, or microseconds since 1970-01-01
            as an int.

        Raises
        ------
        KeyError
            When the customer is not in the homes.
        TimeOrderError
            When ``timestamp`` is earlier than the customer's last processed transaction (a
            ``ValueError``).
        """
        h = self._customers.get(customer_id)
        if h is None and customer_id not in self._homes:
            raise NotFoundError(
                f"customer_id {customer_id} is unknown: add it to the customers table"
            )
        check_time_order(customer_id, timestamp, None if h is None else h.last_t)

    def process(self, txn: Mapping[str, Any]) -> dict[str, float]:
        """The features of ``txn`` (a transaction in the engine's schema) by catalogue name,
        then fold it into the state. Timestamps must not go backwards for a customer.

        Parameters
        ----------
        txn
            One transaction by column name, as a row of the transactions table reads
            (``iter_rows(named=True)``): ``timestamp`` (a naive datetime, or microseconds
            since 1970-01-01 as an int), ``customer_id``, ``amount_inr`` (INR), ``lat`` and
            ``lon`` (degrees), and ``city``, ``category``, ``payment_mode``, ``channel``,
            ``txn_type`` and ``status`` as the schema's values. Optional (missing or None):
            ``merchant_id`` (None: a P2P payment to ``counterparty``, the payee's UPI
            address), ``device_id``, ``transaction_id`` (named in errors) and the session
            columns (``upi_initiation``, ``payee_handle_age_days``, ``device_bound_days``,
            ``sim_changed_days``, ``remote_access``). Other keys are ignored.

        Returns
        -------
        dict[str, float]
            Each catalogue feature's value, in ``FEATURE_NAMES`` order.

        Raises
        ------
        KeyError
            For a customer not in the homes, a required key missing, or a value outside the
            schema's vocabulary.
        TimeOrderError
            When ``timestamp`` is earlier than the customer's last processed transaction (a
            ``ValueError``); the state is unchanged.
        """
        values = self.process_row(txn)[_CATALOG_COLS].tolist()
        return dict(zip(FEATURE_NAMES, values, strict=True))

    def process_row(self, txn: Mapping[str, Any] | Any) -> F64:
        """As ``process``, returning the feature row in ``layout.LAYOUT`` order.

        Parameters
        ----------
        txn
            One transaction by column name, as ``process`` takes it, or an object with those
            names as attributes (every one, optional ones None), such as the service's
            ``wire.Transaction``: read as it is, with no mapping built from it.

        Returns
        -------
        numpy.ndarray
            The 69 values as float64, in ``layout.LAYOUT`` order (the order the service's
            compiled models read).

        Raises
        ------
        KeyError, TimeOrderError
            As ``process``.
        AttributeError
            For an object without one of the names.
        """
        if isinstance(txn, Mapping):
            try:
                values = _ITEMS(txn)
            except KeyError:
                values = _inputs(txn)
        else:
            values = _FIELDS(txn)
        (
            ts, cid, merchant_id, counterparty, device_id, amount, lat, lon, city, category,
            mode, channel, ttype, status, initiation, address, binding, sim, remote, txn_id,
        ) = values  # fmt: skip
        t = ts if type(ts) is int else to_micros(ts)
        cid = int(cid)
        h = self._customers.get(cid)
        if h is None:
            h = self._history(cid)
        if t < h.last_t:  # the rule's own test first: the call costs 0.2 µs a transaction
            check_time_order(cid, t, h.last_t, transaction_id=txn_id)
        # Every look-up and conversion that can refuse the transaction, before anything changes.
        city, category = geo.CITY[city], mkt.CAT[category]
        mode, channel, ttype = mkt.MODE[mode], mkt.CHANNEL[channel], mkt.TXN[ttype]
        amount, lat, lon = float(amount), float(lat), float(lon)
        initiation = _NAN if initiation is None else float(UPI[initiation])
        address = _NAN if address is None else float(address)
        binding = _NAN if binding is None else float(binding)
        sim = _NAN if sim is None else float(sim)
        remote = _NAN if remote is None else float(remote)
        # The merchant or P2P payee and the device, found (or revived) in Python; the kernel
        # computes their features and folds the transaction into them.
        if merchant_id is not None:
            party = int(merchant_id)
            kind = ok.K_MERCHANT
            at = self._merchants.touch(party)
        else:
            vpa = "" if counterparty is None else str(counterparty)
            party = self._payee_keys.get(vpa, -1)
            if party < 0:
                if len(self._payee_keys) > 1_000_000:
                    self._payee_keys.clear()
                party = self._payee_keys[vpa] = payee_key(vpa)
            if counterparty is not None:
                kind = ok.K_PAYEE
                at = self._payees.touch(party)
            else:
                kind = ok.NO_ENTITY
                at = _NO_ENTITY
        if device_id is None:
            device = -1
            on = _NO_ENTITY
        else:
            device = int(device_id)
            on = self._devices.touch(device)
        if h.n == h.t.shape[0]:
            h.reserve()
            if h.t.shape[0] > self._scratch_f.shape[0]:
                self._scratch_f = np.empty(h.t.shape[0], dtype=np.float64)
                self._scratch_i = np.empty(h.t.shape[0], dtype=np.int64)
        out = np.empty(_N_LAYOUT, dtype=np.float64)
        h.last_t = t
        h.n, at_n, on_n = ok.online_txn(
            h.t, h.ints, h.floats, h.n, h.state, cid, t, amount, lat, lon, h.home_lat,
            h.home_lon, party, city, category, mode, channel, ttype,
            1 if status == "declined" else 0, 0 if party in h.seen_party else 1,
            1 if device >= 0 and device not in h.seen_device else 0,
            kind, at.meta, at.window, at.amounts, at.known,
            device >= 0, on.meta, on.window, on.amounts, on.known,
            initiation, address, binding, sim, remote,
            _OUT_COLS, self._counts, self._outlier_arrays, self._scratch_f, self._scratch_i, out,
        )  # fmt: skip
        # A window that fills its buffers grows before the entity's next transaction.
        if at_n == at.amounts.shape[0]:
            at.grow()
        if on_n == on.amounts.shape[0]:
            on.grow()
        h.seen_party.add(party)
        if device >= 0:
            h.seen_device.add(device)
        if t > self._now:
            self._now = t
            if t >= self._next_compact:  # at most once a minute of stream time: cheap rows
                self._next_compact = t + _COMPACT_EVERY_US
                for table in self._tables():
                    table.compact(t)
        return out

    def _tables(self) -> tuple[_Entities, _Entities, _Entities]:
        """The merchants, devices and payees."""
        return self._merchants, self._devices, self._payees

    def add_label(
        self, *, merchant_id: int | None, device_id: int | None, known_at: dt.datetime | int
    ) -> None:
        """A transaction at this merchant / on this device is confirmed fraud from ``known_at``.

        The label counts in the merchant's and the device's fraud features of transactions
        after ``known_at`` (``label_known_at``: when the bank learns it), never before.

        Parameters
        ----------
        merchant_id
            The fraudulent transaction's merchant; None: no merchant (a P2P payment).
        device_id
            Its device; None: no device.
        known_at
            When the label becomes known: a naive datetime, or microseconds since
            1970-01-01 as an int.
        """
        when = to_micros(known_at)
        if merchant_id is not None:
            self._merchants.labelled(int(merchant_id)).label(when)
        if device_id is not None:
            self._devices.labelled(int(device_id)).label(when)

    def remove_label(
        self, *, merchant_id: int | None, device_id: int | None, known_at: dt.datetime | int
    ) -> None:
        """Take back one label ``add_label`` added with these arguments (none if it is gone,
        e.g. its entity was forgotten at the cap).

        Parameters
        ----------
        merchant_id, device_id, known_at
            As given to ``add_label``.
        """
        when = to_micros(known_at)
        for table, eid in ((self._merchants, merchant_id), (self._devices, device_id)):
            if eid is None:
                continue
            held = table.held(int(eid))
            if held is not None:
                held.unlabel(when)

    def limit_entities(self, cap: int | None) -> None:
        """Keep at most ``cap`` merchants, devices and payees each (None: no limit), forgetting the
        least recently seen beyond it (see the module's doc for what that costs).

        Parameters
        ----------
        cap
            The most entities of each kind held, at least 1, or None for no limit. Those over
            it are forgotten now, idle ones first.

        Raises
        ------
        ValueError
            When ``cap`` is below 1.
        """
        if cap is not None and cap < 1:
            raise ConfigError(f"entity cap {cap} is below 1")
        for table in self._tables():
            table.cap = cap
            table.limit()

    def entity_counts(self) -> dict[str, int]:
        """Merchants, devices and payees held (active and compacted) and forgotten at the cap so
        far."""
        counts = {}
        for kind, table in zip(_KINDS, self._tables(), strict=True):
            counts[f"{kind}s_active"] = len(table.active)
            counts[f"{kind}s_idle"] = len(table.idle)
            counts[f"{kind}s_forgotten"] = table.forgotten
        return counts

    def probe_row(self) -> F64 | None:
        """The features of one made-up payment of a known customer, computed on a fresh empty
        state with the same homes and outlier model (None when no customer is known): runs the
        online kernels once without touching this state, e.g. to warm them before serving. A
        made-up P2P payment follows it on that state, so the payee's key kernel is warm too (a
        cold one cost the first P2P request a kernel load of tenths of a second), and a fraud
        label is added and taken back, so the label kernels are warm for the first feedback."""
        customer_id = next(iter(self._homes), None)
        if customer_id is None:
            return None
        lat, lon = self._homes[customer_id]
        when = dt.datetime(2025, 1, 1, 12)
        probe = {
            "transaction_id": 0,
            "timestamp": when,
            "customer_id": customer_id,
            "amount_inr": 500.0,
            "payment_mode": mkt.PAYMENT_MODES[0],
            "card_network": mkt.CARD_NETWORKS[0],
            "channel": mkt.CHANNELS[0],
            "txn_type": mkt.TXN_TYPES[0],
            "status": mkt.STATUSES[0],
            "category": mkt.CATEGORIES[0],
            "city": geo.CITY_NAMES[0],
            "state": geo.STATES[0],
            "lat": lat,
            "lon": lon,
            "counterparty": "probe@upi",
            "merchant_id": 0,
            "device_id": 0,
            "card_id": 0,
            "mcc": 5411,
        }
        fresh = OnlineFeatures(self._homes, self._outlier)
        row = fresh.process_row(probe)
        fresh.process_row({**probe, "transaction_id": 1, "merchant_id": None, "mcc": None})
        fresh.add_label(merchant_id=0, device_id=0, known_at=when)
        fresh.remove_label(merchant_id=0, device_id=0, known_at=when)
        return row

    def to_state(self) -> dict[str, npt.NDArray[Any]]:
        """The whole state as flat NumPy arrays (ragged parts as values + offsets), for a
        snapshot that ``from_state`` restores exactly; no pickling."""
        out: dict[str, npt.NDArray[Any]] = {}
        homes = sorted(self._homes.items())
        out["home_id"] = np.array([c for c, _ in homes], dtype=np.int64)
        out["home_latlon"] = np.array([ll for _, ll in homes], dtype=np.float64).reshape(-1, 2)
        out["outlier"] = np.stack([self._median, self._scale])
        hs = list(self._customers.items())
        out["cust_id"] = np.array([c for c, _ in hs], dtype=np.int64)
        out["cust_n"] = np.array([h.n for _, h in hs], dtype=np.int64)
        out["cust_last_t"] = np.array([h.last_t for _, h in hs], dtype=np.int64)
        out["cust_state"] = np.array([h.state for _, h in hs], dtype=np.int64).reshape(
            -1, k.STATE_SIZE
        )
        out["cust_t"] = np.concatenate([h.t[: h.n] for _, h in hs] or [np.empty(0, np.int64)])
        out["cust_ints"] = np.concatenate(
            [h.ints[:, : h.n] for _, h in hs] or [np.empty((ok.N_INT, 0), np.int64)], axis=1
        )
        out["cust_floats"] = np.concatenate(
            [h.floats[:, : h.n] for _, h in hs] or [np.empty((ok.N_FLOAT, 0), np.float64)], axis=1
        )
        _ragged(out, "cust_party", [sorted(h.seen_party) for _, h in hs])
        _ragged(out, "cust_device", [sorted(h.seen_device) for _, h in hs])
        for kind, table in zip(_KINDS, self._tables(), strict=True):
            es = list(table.items())
            out[f"{kind}_id"] = np.array([e for e, _ in es], dtype=np.int64)
            out[f"{kind}_total"] = np.array([e.total for _, e in es], dtype=np.int64)
            recent = [e.recent() for _, e in es]
            _ragged(out, f"{kind}_recent_t", [times for times, _, _ in recent])
            _ragged(out, f"{kind}_recent_c", [custs for _, custs, _ in recent])
            out[f"{kind}_recent_a"] = np.fromiter(
                (a for _, _, amounts in recent for a in amounts), dtype=np.float64
            )
            _ragged(out, f"{kind}_fraud", [e.known_fraud() for _, e in es])
        return out

    @classmethod
    def from_state(cls, state: Mapping[str, npt.NDArray[Any]]) -> OnlineFeatures:
        """Rebuild the object ``to_state`` described (its outlier model included).

        Parameters
        ----------
        state
            The arrays ``to_state`` returned, by name (as ``numpy.load`` reads them back from
            an ``.npz`` file).

        Returns
        -------
        OnlineFeatures
            A state that yields the same features as the one saved.

        Raises
        ------
        KeyError
            When an array ``to_state`` writes is missing.
        """
        median, scale = np.asarray(state["outlier"], dtype=np.float64)
        latlon = state["home_latlon"].tolist()
        homes = dict(zip(state["home_id"].tolist(), map(tuple, latlon), strict=True))
        self = cls(homes, OutlierModel(median=median.tolist(), scale=scale.tolist()))
        ends = np.cumsum(state["cust_n"])
        party = _unragged(state, "cust_party")
        device = _unragged(state, "cust_device")
        for i, cid in enumerate(state["cust_id"].tolist()):
            n = int(state["cust_n"][i])
            lo, hi = int(ends[i]) - n, int(ends[i])
            cap = max(16, 1 << max(n - 1, 0).bit_length())
            h = _History(home_lat=homes[cid][0], home_lon=homes[cid][1], n=n)
            h.last_t = int(state["cust_last_t"][i])
            h.t = np.empty(cap, dtype=np.int64)
            h.t[:n] = state["cust_t"][lo:hi]
            h.ints = np.empty((ok.N_INT, cap), dtype=np.int64)
            h.ints[:, :n] = state["cust_ints"][:, lo:hi]
            h.floats = np.empty((ok.N_FLOAT, cap), dtype=np.float64)
            h.floats[:, :n] = state["cust_floats"][:, lo:hi]
            h.state = np.array(state["cust_state"][i], dtype=np.int64)
            h.seen_party, h.seen_device = set(party[i]), set(device[i])
            self._customers[cid] = h
            if cap > self._scratch_f.shape[0]:
                self._scratch_f = np.empty(cap, dtype=np.float64)
                self._scratch_i = np.empty(cap, dtype=np.int64)
        for kind, table in zip(_KINDS, self._tables(), strict=True):
            times, custs = (
                _unragged(state, f"{kind}_recent_t"),
                _unragged(state, f"{kind}_recent_c"),
            )
            amounts = state[f"{kind}_recent_a"].tolist()
            frauds = _unragged(state, f"{kind}_fraud")
            at = 0
            for i, eid in enumerate(state[f"{kind}_id"].tolist()):
                n = len(times[i])
                recent = (times[i], custs[i], amounts[at : at + n])
                at += n
                e = _Entity.restored(int(state[f"{kind}_total"][i]), recent, frauds[i])
                table.restore(eid, e)
        if state["cust_last_t"].size:
            self._now = int(state["cust_last_t"].max())
        return self


UPI = mkt.UPI_INITIATION


def _ragged(out: dict[str, npt.NDArray[Any]], key: str, rows: list[list[int]]) -> None:
    """Store a list of int lists as ``key`` (the values) and ``key_offsets``."""
    out[f"{key}_offsets"] = np.cumsum([0, *map(len, rows)], dtype=np.int64)
    out[key] = np.fromiter((v for row in rows for v in row), dtype=np.int64)


def _unragged(state: Mapping[str, npt.NDArray[Any]], key: str) -> list[list[int]]:
    """The int lists ``_ragged`` stored under ``key``."""
    values, offsets = state[key].tolist(), state[f"{key}_offsets"].tolist()
    return [values[a:b] for a, b in itertools.pairwise(offsets)]
