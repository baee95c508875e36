"""``OnlineFeatures``: the same 69 features for one new transaction at a time, from per-customer,
per-merchant and per-device state kept in memory.

The customer-side values come from the batch pass's own per-row kernel (``kernels.customer_row``)
run on the customer's retained history, so replaying a stream reproduces the batch values.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from fraudforge.engine import catalog as cat
from fraudforge.engine import geo
from fraudforge.features import kernels as k
from fraudforge.features.batch import payee_key
from fraudforge.features.catalog import FEATURE_NAMES
from fraudforge.features.finish import COL, LAYOUT, finish_rows
from fraudforge.features.local import festival_days
from fraudforge.features.outlier import OutlierModel

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
EPOCH = dt.datetime(1970, 1, 1)
_CODE = {
    "city": {name: i for i, name in enumerate(geo.CITY_NAMES)},
    "category": {name: i for i, name in enumerate(cat.CATEGORIES)},
    "payment_mode": {name: i for i, name in enumerate(cat.PAYMENT_MODES)},
    "channel": {name: i for i, name in enumerate(cat.CHANNELS)},
    "txn_type": {name: i for i, name in enumerate(cat.TXN_TYPES)},
}
_CATALOG_COLS = tuple(COL[name] for name in FEATURE_NAMES)
_M_COUNT = COL["merchant_txn_count_24h"]
_M_DISTINCT = COL["merchant_distinct_customers_24h"]
_M_RATE = COL["merchant_fraud_rate"]
_D_RATE = COL["device_fraud_rate"]
_INT_FIELDS = ("party", "city", "category", "mode", "channel", "ttype", "declined", "unusual")
_FLOAT_FIELDS = ("amount", "lat", "lon")


def to_micros(ts: dt.datetime | int) -> int:
    """Microseconds since the epoch of a naive timestamp (or pass an int through)."""
    if isinstance(ts, int):
        return ts
    delta = ts - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@dataclass
class _History:
    """A customer's retained rows (30 days and the last row), running counts and seen sets."""

    home_lat: float
    home_lon: float
    n: int = 0
    t: I64 = field(default_factory=lambda: np.empty(16, dtype=np.int64))
    cols: dict[str, npt.NDArray[Any]] = field(
        default_factory=lambda: {
            **{name: np.empty(16, dtype=np.int64) for name in _INT_FIELDS},
            **{name: np.empty(16, dtype=np.float64) for name in _FLOAT_FIELDS},
        }
    )
    state: I64 = field(default_factory=lambda: np.zeros(k.STATE_SIZE, dtype=np.int64))
    seen_party: set[int] = field(default_factory=set)
    seen_device: set[int] = field(default_factory=set)

    def append(self, t: int, row: Mapping[str, float | int]) -> None:
        """Add a row at the end, growing the arrays when full."""
        if self.n == self.t.shape[0]:
            self.t = np.concatenate([self.t, np.empty_like(self.t)])
            self.cols = {
                name: np.concatenate([a, np.empty_like(a)]) for name, a in self.cols.items()
            }
        self.t[self.n] = t
        for name, a in self.cols.items():
            a[self.n] = row[name]
        self.n += 1

    def expire(self, now: int) -> None:
        """Drop rows no window can reach any more (keeping the last row)."""
        keep_from = int(np.searchsorted(self.t[: self.n], now - k.RETAIN_US, side="right"))
        keep_from = min(keep_from, self.n - 1)
        if keep_from > 0:
            m = self.n - keep_from
            self.t[:m] = self.t[keep_from : self.n]
            for a in self.cols.values():
                a[:m] = a[keep_from : self.n]
            self.n = m


@dataclass
class _Entity:
    """A merchant's or device's recent transactions, total count and confirmed-fraud times."""

    recent: deque[tuple[int, int]] = field(default_factory=deque)
    customers: dict[int, int] = field(default_factory=dict)
    total: int = 0
    known_fraud: list[int] = field(default_factory=list)

    def features(self, now: int) -> tuple[float, float, float]:
        """(transactions in the previous 24 h, distinct customers among them, fraud rate)."""
        while self.recent and self.recent[0][0] <= now - k.W24H:
            _, cust = self.recent.popleft()
            self.customers[cust] -= 1
            if self.customers[cust] == 0:
                del self.customers[cust]
        confirmed = bisect.bisect_left(self.known_fraud, now)
        return float(len(self.recent)), float(len(self.customers)), confirmed / (self.total + 1.0)

    def add(self, now: int, customer: int) -> None:
        """Fold one transaction in."""
        self.recent.append((now, customer))
        self.customers[customer] = self.customers.get(customer, 0) + 1
        self.total += 1


class OnlineFeatures:
    """Per-customer, per-merchant and per-device state that yields a transaction's 69 features.

    ``homes`` maps customer_id to (home_lat, home_lon); ``outlier`` is the model fitted by the
    batch pipeline. Feed transactions in time order with ``process``; report confirmed fraud
    with ``add_label`` (it counts from its ``label_known_at`` on).
    """

    def __init__(self, homes: Mapping[int, tuple[float, float]], outlier: OutlierModel) -> None:
        self._homes = homes
        self._outlier = outlier
        self._customers: dict[int, _History] = {}
        self._merchants: dict[int, _Entity] = {}
        self._devices: dict[int, _Entity] = {}
        self._scratch_city = np.zeros(k.N_CITY, dtype=np.bool_)
        self._scratch_cat = np.zeros(k.N_CAT, dtype=np.bool_)
        self._median, self._scale = outlier.arrays()
        self._festival = festival_days()
        self._t1 = np.zeros(1, dtype=np.int64)
        self._a1 = np.zeros(1, dtype=np.float64)

    @classmethod
    def from_customers(cls, customers: pl.DataFrame, outlier: OutlierModel) -> OnlineFeatures:
        """Build from a customers table (customer_id, home_lat, home_lon)."""
        rows = customers.select("customer_id", "home_lat", "home_lon").iter_rows()
        return cls({cid: (lat, lon) for cid, lat, lon in rows}, outlier)

    def _history(self, customer_id: int) -> _History:
        h = self._customers.get(customer_id)
        if h is None:
            if customer_id not in self._homes:
                raise KeyError(
                    f"customer_id {customer_id} is unknown: add it to the customers table"
                )
            lat, lon = self._homes[customer_id]
            h = self._customers[customer_id] = _History(home_lat=lat, home_lon=lon)
        return h

    def process(self, txn: Mapping[str, Any]) -> dict[str, float]:
        """The features of ``txn`` (a transaction in the engine's schema) by catalogue name,
        then fold it into the state. Timestamps must not go backwards for a customer."""
        row = self.process_row(txn)
        return {name: float(row[j]) for name, j in zip(FEATURE_NAMES, _CATALOG_COLS, strict=True)}

    def process_row(self, txn: Mapping[str, Any]) -> F64:
        """As ``process``, returning the feature row in ``finish.LAYOUT`` order."""
        t = to_micros(txn["timestamp"])
        cid = int(txn["customer_id"])
        h = self._history(cid)
        if h.n and t < h.t[h.n - 1]:
            raise ValueError(
                f"transaction {txn.get('transaction_id')} at {txn['timestamp']} is earlier than "
                "the customer's last one: feed each customer's transactions in time order"
            )
        h.expire(t)
        merchant_id = txn.get("merchant_id")
        if merchant_id is not None:
            party = int(merchant_id)
        else:
            party = payee_key(str(txn.get("counterparty") or ""))
        row: dict[str, float | int] = {
            "party": party,
            "city": _CODE["city"][txn["city"]],
            "category": _CODE["category"][txn["category"]],
            "mode": _CODE["payment_mode"][txn["payment_mode"]],
            "channel": _CODE["channel"][txn["channel"]],
            "ttype": _CODE["txn_type"][txn["txn_type"]],
            "declined": 1 if txn["status"] == "declined" else 0,
            "unusual": 0,
            "amount": float(txn["amount_inr"]),
            "lat": float(txn["lat"]),
            "lon": float(txn["lon"]),
        }
        device = -1 if txn.get("device_id") is None else int(txn["device_id"])
        h.append(t, row)
        c = h.cols
        out = np.empty(len(LAYOUT), dtype=np.float64)
        c["unusual"][h.n - 1] = k.online_row(
            h.t, c["amount"], c["party"], c["city"], c["category"], c["mode"], c["channel"],
            c["ttype"], c["declined"], c["lat"], c["lon"], c["unusual"], h.n, h.home_lat,
            h.home_lon, 0 if party in h.seen_party else 1,
            1 if device >= 0 and device not in h.seen_device else 0,
            h.state, self._scratch_city, self._scratch_cat, out,
        )  # fmt: skip
        if merchant_id is not None:
            m = self._merchants.setdefault(int(merchant_id), _Entity())
            out[_M_COUNT], out[_M_DISTINCT], out[_M_RATE] = m.features(t)
            m.add(t, cid)
        else:
            out[_M_COUNT] = out[_M_DISTINCT] = out[_M_RATE] = 0.0
        if device >= 0:
            d = self._devices.setdefault(device, _Entity())
            out[_D_RATE] = d.features(t)[2]
            d.add(t, cid)
            h.seen_device.add(device)
        else:
            out[_D_RATE] = 0.0
        self._t1[0] = t
        self._a1[0] = row["amount"]
        finish_rows(
            out.reshape(1, -1), self._t1, self._a1, self._festival, self._median, self._scale
        )
        h.seen_party.add(party)
        k.update_state(
            h.state, t, int(row["city"]), int(row["category"]), int(row["mode"]),
            int(row["channel"]), int(row["ttype"]),
        )  # fmt: skip
        return out

    def add_label(
        self, *, merchant_id: int | None, device_id: int | None, known_at: dt.datetime | int
    ) -> None:
        """A transaction at this merchant / on this device is confirmed fraud from ``known_at``."""
        when = to_micros(known_at)
        if merchant_id is not None:
            bisect.insort(self._merchants.setdefault(int(merchant_id), _Entity()).known_fraud, when)
        if device_id is not None:
            bisect.insort(self._devices.setdefault(int(device_id), _Entity()).known_fraud, when)
