"""Properties of the feature stage: window features equal a naive O(n^2) recomputation on random
streams, and structural properties (catalogue, column order and types, informativeness,
determinism across threads and input order) hold on generated datasets."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import statistics
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from fraudforge.engine.scenario import Scenario
from fraudforge.engine.schema import LABEL_COLUMNS
from fraudforge.engine.streaming import scan, scan_customers
from fraudforge.features.batch import compute_features
from fraudforge.features.catalog import ANOMALY, CATALOG, FEATURE_NAMES, FRAUD, INTERACTION
from tests.features.test_feature_values import customers_frame, frame, txn

US = 1_000_000
HOUR_US = 3600 * US
DAY_US = 24 * HOUR_US
BASE = dt.datetime(2025, 9, 1)
HOMES = {1: "Mumbai", 2: "Delhi", 3: "Pune"}
SMALL = Scenario(customers=400, days=30, seed=5)
DEFAULT = Scenario(customers=2000, days=60, seed=1)
"""The default india preset with fewer customers."""


# -- random streams against a naive implementation ------------------------------------------------


@dataclass(frozen=True)
class Event:
    """One generated transaction, times in microseconds from BASE."""

    tid: int
    t: int
    customer: int
    amount: float
    merchant: int | None
    payee: str
    device: int | None
    city: str
    declined: bool
    fraud: bool
    known_at: int

    def party(self) -> tuple[str, int | str]:
        """Whom the payment goes to: the merchant, or the payee's VPA for P2P."""
        return ("merchant", self.merchant) if self.merchant is not None else ("payee", self.payee)

    def row(self) -> dict[str, Any]:
        """The transaction in the engine's schema."""
        return txn(
            BASE + dt.timedelta(microseconds=self.t),
            transaction_id=self.tid,
            customer_id=self.customer,
            amount_inr=self.amount,
            merchant_id=self.merchant,
            counterparty=self.payee if self.merchant is None else f"m{self.merchant}@upi",
            device_id=self.device,
            city=self.city,
            status="declined" if self.declined else "approved",
            is_fraud=self.fraud,
            fraud_type="card_testing" if self.fraud else "none",
            label_known_at=BASE + dt.timedelta(microseconds=self.known_at),
        )


AMOUNTS = st.one_of(
    st.sampled_from([1.0, 50.0, 50.01, 100.0, 480.0, 2_500.0]),
    st.floats(1.0, 20_000.0).map(lambda x: round(x, 2)),
)
# Offsets from a whole hour: exact window edges (0), one microsecond or second either side, or
# anywhere in the hour.
JITTER = st.one_of(st.sampled_from([0, 0, 1, -1, US, -US]), st.integers(0, HOUR_US - 1))
# Label delays: often zero or whole hours, so that labels become known exactly at the time of a
# later payment.
DELAYS = st.one_of(
    st.sampled_from([0, 0, 1]),
    st.integers(0, 48).map(lambda h: h * HOUR_US),
    st.integers(0, 5 * DAY_US),
)


@st.composite
def streams(draw: st.DrawFn) -> list[Event]:
    """1-30 transactions of up to 3 customers over 2 hours to 35 days, many at equal times."""
    n = draw(st.integers(1, 30))
    span_hours = draw(st.sampled_from([2, 30, 240, 35 * 24]))
    ids = draw(st.lists(st.integers(1, 10**9), min_size=n, max_size=n, unique=True))
    events = []
    for tid in ids:
        t = draw(st.integers(0, span_hours)) * HOUR_US + draw(JITTER)
        events.append(
            Event(
                tid=tid,
                t=t,
                customer=draw(st.integers(1, 3)),
                amount=draw(AMOUNTS),
                merchant=draw(st.sampled_from([None, 1, 2, 3])),
                payee=draw(st.sampled_from(["asha@upi", "ravi@upi"])),
                device=draw(st.sampled_from([None, 1, 2, 3])),
                city=draw(st.sampled_from(["Mumbai", "Pune", "Delhi"])),
                declined=draw(st.booleans()),
                fraud=draw(st.booleans()),
                known_at=t + draw(DELAYS),  # labels are never known before the payment
            )
        )
    return events


def naive(events: list[Event]) -> dict[int, dict[str, float | None]]:
    """The features straight from the catalogue's definitions, by scanning all earlier rows."""
    order = sorted(events, key=lambda e: (e.t, e.tid))
    out: dict[int, dict[str, float | None]] = {}
    # A transfer to a payee new to its customer (a merchant payment never is).
    new_payee = {
        e.tid: int(
            e.merchant is None
            and e.party() not in {p.party() for p in order[:i] if p.customer == e.customer}
        )
        for i, e in enumerate(order)
    }
    for i, e in enumerate(order):
        before = order[:i]
        mine = [p for p in before if p.customer == e.customer]

        def within(rows: list[Event], width: int, now: int = e.t) -> list[Event]:
            return [p for p in rows if p.t > now - width]

        h1, h24 = within(mine, HOUR_US), within(mine, DAY_US)
        d7, d30 = within(mine, 7 * DAY_US), within(mine, 30 * DAY_US)
        amounts = [p.amount for p in d30]
        x = e.amount
        f: dict[str, float | None] = {
            "txn_count_1h": len(h1),
            "txn_count_24h": len(h24),
            "txn_count_7d": len(d7),
            "amount_sum_24h": sum(p.amount for p in h24),
            "amount_sum_7d": sum(p.amount for p in d7),
            "declines_24h": sum(p.declined for p in h24),
            "distinct_cities_7d": len({p.city for p in d7}),
            "is_new_payee": new_payee[e.tid],
            "new_payee_transfers_7d": sum(new_payee[p.tid] for p in d7),
            "new_payee_amount_7d": sum(p.amount for p in d7 if new_payee[p.tid]),
            "new_payee_amount_ratio": 0.0,
            "new_device_x_amount": (
                math.log1p(x)
                if e.device is not None and e.device not in {p.device for p in mine}
                else 0.0
            ),
            "secs_since_prev_txn": (e.t - mine[-1].t) / US if mine else None,
            "distinct_merchants_7d": len({p.party() for p in d7}),
            "city_switches_7d": sum(a.city != b.city for a, b in itertools.pairwise(d7)),
            "amount_avg_24h": sum(p.amount for p in h24) / len(h24) if h24 else 0.0,
            "amount_avg_7d": sum(p.amount for p in d7) / len(d7) if d7 else 0.0,
            "amount_avg_30d": 0.0,
            "amount_zscore_30d": 0.0,
            "amount_percentile_30d": 0.5,
            "amount_robust_z_30d": 0.0,
            "merchant_loyalty_30d": 0.0,
        }
        earlier_new = [p.amount for p in d30 if new_payee[p.tid]]
        if new_payee[e.tid] and earlier_new:
            f["new_payee_amount_ratio"] = x / (earlier_new[-1] + 1.0)
        if amounts:
            mean = sum(amounts) / len(amounts)
            std = math.sqrt(sum((a - mean) ** 2 for a in amounts) / len(amounts))
            f["amount_avg_30d"] = mean
            f["amount_zscore_30d"] = (x - mean) / (std + 1.0)
            f["merchant_loyalty_30d"] = sum(p.party() == e.party() for p in d30) / len(d30)
            f["amount_percentile_30d"] = sum(
                1.0 if a < x else 0.5 if a == x else 0.0 for a in amounts
            ) / len(amounts)
            med = statistics.median(amounts)
            mad = statistics.median([abs(a - med) for a in amounts])
            f["amount_robust_z_30d"] = (x - med) / (1.4826 * mad + 1.0)
        f["merchant_txn_count_24h"] = 0
        f["merchant_fraud_rate"] = 0.0
        f["merchant_fraud_7d"] = 0
        f["merchant_fraud_30d"] = 0
        if e.merchant is not None:
            at = [p for p in before if p.merchant == e.merchant]
            f["merchant_txn_count_24h"] = len(within(at, DAY_US))
            f["merchant_fraud_rate"] = sum(p.fraud and p.known_at < e.t for p in at) / (len(at) + 1)
            f["merchant_fraud_7d"] = sum(
                p.fraud and e.t - 7 * DAY_US < p.known_at < e.t for p in at
            )
            f["merchant_fraud_30d"] = sum(
                p.fraud and e.t - 30 * DAY_US < p.known_at < e.t for p in at
            )
        f["payee_txn_count_24h"] = 0
        f["payee_distinct_payers_7d"] = 0
        f["payee_amount_24h"] = 0.0
        if e.merchant is None:
            to = [p for p in before if p.party() == e.party()]
            day = within(to, DAY_US)
            f["payee_txn_count_24h"] = len(day)
            f["payee_distinct_payers_7d"] = len({p.customer for p in within(to, 7 * DAY_US)})
            f["payee_amount_24h"] = sum(p.amount for p in day)
        f["device_fraud_rate"] = 0.0
        if e.device is not None:
            on = [p for p in before if p.device == e.device]
            f["device_fraud_rate"] = sum(p.fraud and p.known_at < e.t for p in on) / (len(on) + 1)
        out[e.tid] = f
    return out


@settings(max_examples=40, deadline=None)
@given(streams())
def test_window_features_match_a_naive_recomputation(events: list[Event]) -> None:
    """Window, amount, merchant, device, payee and first-use features equal naive O(n^2)
    values."""
    got, _ = compute_features(
        frame([e.row() for e in events]), customers_frame(HOMES), with_labels=False
    )
    rows = {int(r["transaction_id"]): r for r in got.iter_rows(named=True)}
    assert sorted(rows) == sorted(e.tid for e in events)
    for tid, want in naive(events).items():
        for name, value in want.items():
            g = rows[tid][name]
            ok = g is None if value is None else math.isclose(g, value, rel_tol=1e-9, abs_tol=1e-9)
            assert ok, f"transaction {tid}, {name}: got {g}, want {value}"


# -- generated datasets ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Transactions and customers of a small generated scenario."""
    return scan(SMALL).collect(), scan_customers(SMALL).collect()


@pytest.fixture(scope="module")
def default_features() -> pl.DataFrame:
    """Features of the default preset with 2,000 customers over 60 days."""
    out, _ = compute_features(
        scan(DEFAULT).collect(), scan_customers(DEFAULT).collect(), with_labels=False
    )
    return out


def test_catalogue_groups_and_core_features() -> None:
    """32 fraud, 27 anomaly and 10 interaction features, uniquely named, with the core ones."""
    assert (len(FRAUD), len(ANOMALY), len(INTERACTION)) == (32, 27, 10)
    assert len(CATALOG) == len(set(FEATURE_NAMES)) == 69
    assert {f.group for f in FRAUD} == {"fraud"}
    assert {f.group for f in ANOMALY} == {"anomaly"}
    assert {f.group for f in INTERACTION} == {"interaction"}
    core = {
        "txn_count_1h",
        "txn_count_24h",
        "txn_count_7d",
        "amount_sum_24h",
        "amount_sum_7d",
        "secs_since_prev_txn",
        "distance_from_home_km",
        "merchant_txn_count_24h",
    }
    assert core <= set(FEATURE_NAMES)


def test_output_columns_and_types_follow_the_catalogue(
    small: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    """transaction_id, the 69 features in catalogue order with their types, then the labels."""
    tx, customers = small
    out, _ = compute_features(tx, customers)
    n = 1 + len(FEATURE_NAMES)
    assert out.columns[:n] == ["transaction_id", *FEATURE_NAMES]
    assert out.columns[n:], "labels are carried by default"
    assert set(out.columns[n:]) <= set(LABEL_COLUMNS)
    assert "is_fraud" in out.columns[n:]
    assert out.schema["transaction_id"] == pl.Int64()
    for spec in CATALOG:
        assert out.schema[spec.name] == getattr(pl, spec.dtype)(), spec.name
    assert out.height == tx.height
    assert out["transaction_id"].sort().equals(tx["transaction_id"].sort())
    bare, _ = compute_features(tx, customers, with_labels=False)
    assert bare.columns == ["transaction_id", *FEATURE_NAMES]
    # Only the first transaction of each customer has no previous one.
    assert out["secs_since_prev_txn"].null_count() == tx["customer_id"].n_unique()


def test_no_feature_is_constant_and_no_two_are_identical(default_features: pl.DataFrame) -> None:
    """Every feature varies on the default preset and no feature duplicates another."""
    cols = {
        name: default_features[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
        for name in FEATURE_NAMES
    }
    constant = [name for name, v in cols.items() if np.unique(v[~np.isnan(v)]).size < 2]
    assert constant == [], f"constant features: {constant}"
    identical = [
        (a, b)
        for i, a in enumerate(FEATURE_NAMES)
        for b in FEATURE_NAMES[i + 1 :]
        if np.array_equal(cols[a], cols[b], equal_nan=True)
    ]
    assert identical == [], f"identical features: {identical}"


def test_results_do_not_depend_on_threads(small: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    """One, two or three threads give bit-identical features and the same outlier model."""
    tx, customers = small
    one, model_one = compute_features(tx, customers, threads=1)
    for threads in (2, 3):
        other, model_other = compute_features(tx, customers, threads=threads)
        assert_frame_equal(one, other, check_exact=True)
        assert model_other == model_one


def test_results_do_not_depend_on_input_row_order(
    small: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    """Shuffling the transactions (and the customers) gives bit-identical features."""
    tx, customers = small
    ordered, model = compute_features(tx, customers)
    shuffled, model_shuffled = compute_features(
        tx.sample(fraction=1.0, shuffle=True, seed=11),
        customers.sample(fraction=1.0, shuffle=True, seed=12),
    )
    assert_frame_equal(ordered, shuffled, check_exact=True)
    assert model_shuffled == model
