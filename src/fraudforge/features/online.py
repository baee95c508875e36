"""``OnlineFeatures``: the same 69 features for one new transaction at a time, from per-customer,
per-merchant, per-device and per-payee state kept in memory.

The customer-side values come from the batch pass's own per-row kernel (``kernels.customer_row``)
run on the customer's retained history, and the merchant, device and payee values from the batch
pass's own entity kernel (``kernels.entity_steps``) run on each entity's state in the entity
store's NumPy arrays (``entity_store``), so replaying a stream reproduces the batch values. One
Numba call per transaction (``online_kernel.online_txn``) finds its entities, computes every
value and folds the transaction in.

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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from fraudforge.engine import geo
from fraudforge.engine import market as mkt
from fraudforge.features import entity_store as es
from fraudforge.features import kernels as k
from fraudforge.features import online_kernel as ok
from fraudforge.features.batch import ENTITY_KINDS, EntityKind, payee_key
from fraudforge.features.catalog import FEATURE_NAMES
from fraudforge.features.entity_store import EntityStore
from fraudforge.features.layout import COL, LAYOUT, SESSION_INPUTS
from fraudforge.features.outlier import OutlierModel
from fraudforge.foundation.errors import ConfigError, DataError, NotFoundError

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
EPOCH = dt.datetime(1970, 1, 1)
_MICROSECOND = dt.timedelta(microseconds=1)
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


def _entity_cols(kind: EntityKind) -> I64:
    """Where ``kind``'s entity kernel outputs (``kernels.E_*`` order) go in a feature row
    (``layout.LAYOUT``): at the features it yields, -1 for the others."""
    cols = np.full(k.N_ENTITY_OUT, -1, dtype=np.int64)
    for feature, output in kind.features:
        cols[output] = COL[feature]
    return cols


_KINDS = ("merchant", "device", "payee")
"""The entity kinds of a state, in the store's order (``online_kernel.K_*``)."""
_BY_NAME = {kind.name: kind for kind in ENTITY_KINDS}
_OUT_COLS = np.stack([_entity_cols(_BY_NAME[name]) for name in _KINDS])
"""``online_txn``'s ``cols``: each kind's entity outputs' places in the row."""
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
        self._entities = EntityStore()
        """The merchants, devices and payees (``_KINDS`` order), with the newest timestamp
        processed: the stream time idle entities are compacted by."""
        self._arrays = self._entities.arrays()
        """The store's arrays as ``online_txn`` takes them (new ones after it grows)."""
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
        # The merchant or P2P payee and the device: the kernel finds (or makes) them in the
        # store, computes their features and folds the transaction into them.
        if merchant_id is not None:
            party = int(merchant_id)
            kind = ok.K_MERCHANT
        else:
            vpa = "" if counterparty is None else str(counterparty)
            party = self._payee_keys.get(vpa, -1)
            if party < 0:
                if len(self._payee_keys) > 1_000_000:
                    self._payee_keys.clear()
                party = self._payee_keys[vpa] = payee_key(vpa)
            kind = ok.NO_ENTITY if counterparty is None else ok.K_PAYEE
        device = -1 if device_id is None else int(device_id)
        if h.n == h.t.shape[0]:
            h.reserve()
            if h.t.shape[0] > self._scratch_f.shape[0]:
                self._scratch_f = np.empty(h.t.shape[0], dtype=np.float64)
                self._scratch_i = np.empty(h.t.shape[0], dtype=np.int64)
        out = np.empty(_N_LAYOUT, dtype=np.float64)
        h.last_t = t
        while True:
            n = ok.online_txn(
                h.t, h.ints, h.floats, h.n, h.state, cid, t, amount, lat, lon, h.home_lat,
                h.home_lon, party, city, category, mode, channel, ttype,
                1 if status == "declined" else 0, 0 if party in h.seen_party else 1,
                1 if device >= 0 and device not in h.seen_device else 0,
                kind, device, device_id is not None, initiation, address, binding, sim, remote,
                *self._arrays, _OUT_COLS, self._counts, self._outlier_arrays, self._scratch_f,
                self._scratch_i, out,
            )  # fmt: skip
            if n >= 0:
                break
            self._grow()
        h.n = n
        h.seen_party.add(party)
        if device >= 0:
            h.seen_device.add(device)
        return out

    def _grow(self) -> None:
        """Make the room in the entity store a refused call needed."""
        self._entities.grow()
        self._arrays = self._entities.arrays()

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
            self._entities.label(ok.K_MERCHANT, int(merchant_id), when)
        if device_id is not None:
            self._entities.label(ok.K_DEVICE, int(device_id), when)
        self._arrays = self._entities.arrays()

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
        for kind, eid in ((ok.K_MERCHANT, merchant_id), (ok.K_DEVICE, device_id)):
            if eid is not None:
                self._entities.unlabel(kind, int(eid), when)

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
        self._entities.limit(cap)

    def entity_counts(self) -> dict[str, int]:
        """Merchants, devices and payees held (active and compacted) and forgotten at the cap so
        far."""
        counts = {}
        for code, kind in enumerate(_KINDS):
            active, idle, forgotten = self._entities.counts(code)
            counts[f"{kind}s_active"] = active
            counts[f"{kind}s_idle"] = idle
            counts[f"{kind}s_forgotten"] = forgotten
        return counts

    def probe_row(self) -> F64 | None:
        """The features of one made-up payment of a known customer, computed on a fresh empty
        state with the same homes and outlier model (None when no customer is known): runs the
        online kernels once without touching this state, e.g. to warm them before serving. A
        made-up P2P payment follows it on that state, so the payee's key kernel is warm too (a
        cold one cost the first P2P request a kernel load of tenths of a second), and a fraud
        label is added and taken back, so the label kernels are warm for the first feedback; the
        entity store's growth, snapshot and restore kernels are run once on a store of their
        own (``EntityStore.warm``)."""
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
        EntityStore.warm()
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
        for code, kind in enumerate(_KINDS):
            ids, totals, w_off, times, custs, amounts, k_off, known = self._entities.save(code)
            out[f"{kind}_id"], out[f"{kind}_total"] = ids, totals
            out[f"{kind}_recent_t_offsets"], out[f"{kind}_recent_t"] = w_off, times
            out[f"{kind}_recent_c_offsets"], out[f"{kind}_recent_c"] = w_off.copy(), custs
            out[f"{kind}_recent_a"] = amounts
            out[f"{kind}_fraud_offsets"], out[f"{kind}_fraud"] = k_off, known
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
        for code, kind in enumerate(_KINDS):
            self._entities.load(
                code,
                _ints(state, f"{kind}_id"),
                _ints(state, f"{kind}_total"),
                _ints(state, f"{kind}_recent_t_offsets"),
                _ints(state, f"{kind}_recent_t"),
                _ints(state, f"{kind}_recent_c"),
                np.ascontiguousarray(state[f"{kind}_recent_a"], dtype=np.float64),
                _ints(state, f"{kind}_fraud_offsets"),
                _ints(state, f"{kind}_fraud"),
            )
        self._arrays = self._entities.arrays()
        if state["cust_last_t"].size:
            self._entities.hdr[es.H_NOW] = int(state["cust_last_t"].max())
        return self


UPI = mkt.UPI_INITIATION


def _ragged(out: dict[str, npt.NDArray[Any]], key: str, rows: list[list[int]]) -> None:
    """Store a list of int lists as ``key`` (the values) and ``key_offsets``."""
    out[f"{key}_offsets"] = np.cumsum([0, *map(len, rows)], dtype=np.int64)
    out[key] = np.fromiter((v for row in rows for v in row), dtype=np.int64)


def _ints(state: Mapping[str, npt.NDArray[Any]], key: str) -> I64:
    """``state[key]`` as a contiguous int64 array (as the store's kernels take it)."""
    return np.ascontiguousarray(state[key], dtype=np.int64)


def _unragged(state: Mapping[str, npt.NDArray[Any]], key: str) -> list[list[int]]:
    """The int lists ``_ragged`` stored under ``key``."""
    values, offsets = state[key].tolist(), state[f"{key}_offsets"].tolist()
    return [values[a:b] for a, b in itertools.pairwise(offsets)]
