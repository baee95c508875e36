"""OnlineFeatures' own behaviour: clear errors for input it cannot take, labels that count only
from their label_known_at, and state that stays bounded to the 30-day window."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest

from fraudforge.engine.scenario import Scenario
from fraudforge.engine.streaming import scan, scan_customers
from fraudforge.features.batch import compute_features
from fraudforge.features.kernels import RETAIN_US
from fraudforge.features.online import OnlineFeatures, TimeOrderError

S = Scenario(customers=150, days=45, seed=12)


@pytest.fixture(scope="module")
def stream() -> tuple[list[dict[str, object]], OnlineFeatures]:
    """The scenario's transactions in time order and a fresh OnlineFeatures."""
    tx = scan(S).collect().sort("timestamp", "transaction_id")
    customers = scan_customers(S).collect()
    _, model = compute_features(tx, customers)
    return list(tx.iter_rows(named=True)), OnlineFeatures.from_customers(customers, model)


def test_errors_name_the_problem(stream: tuple[list[dict[str, object]], OnlineFeatures]) -> None:
    """An unknown customer and a transaction earlier than the customer's last are refused."""
    rows, shared = stream
    online = OnlineFeatures.from_customers(scan_customers(S).collect(), shared._outlier)
    first = dict(rows[0])
    with pytest.raises(KeyError, match="customer_id 999999 is unknown"):
        online.process({**first, "customer_id": 999_999})
    online.process(first)
    earlier = {**first, "timestamp": first["timestamp"] - dt.timedelta(hours=1)}  # type: ignore[operator]
    said = (
        f"transaction {first['transaction_id']} at {earlier['timestamp']} is earlier than "
        f"customer {first['customer_id']}'s last transaction ({first['timestamp']}): each "
        "customer's must come in time order"
    )
    with pytest.raises(TimeOrderError, match=re.escape(said)):
        online.process(earlier)


def test_a_transaction_reads_the_same_in_every_form(
    stream: tuple[list[dict[str, object]], OnlineFeatures],
) -> None:
    """A row as a full mapping, as a mapping without its null optional keys and as an object
    with the names as attributes (as the service's struct) gives the same values, state
    after state; a required key missing is a KeyError naming it."""
    rows, shared = stream
    customers = scan_customers(S).collect()
    forms = [OnlineFeatures.from_customers(customers, shared._outlier) for _ in range(3)]
    for row in rows[:400]:
        sparse = {k: v for k, v in row.items() if v is not None}
        full, short, fields = (
            online.process_row(txn)
            for online, txn in zip(forms, (row, sparse, SimpleNamespace(**row)), strict=True)
        )
        np.testing.assert_array_equal(short, full)
        np.testing.assert_array_equal(fields, full)
    assert any(len(row) > len({k for k, v in row.items() if v is not None}) for row in rows[:400])
    missing = {k: v for k, v in rows[400].items() if k != "city"}
    with pytest.raises(KeyError, match="city"):
        forms[0].process_row(missing)


def test_a_refused_transaction_changes_nothing(
    stream: tuple[list[dict[str, object]], OnlineFeatures],
) -> None:
    """A value outside the schema's vocabulary (a city, a UPI initiation) or a number that is
    not one is refused before the customer, its merchant, payee or device change: the state
    is the same array for array, and the row then goes through as it would have."""
    rows, shared = stream
    online = OnlineFeatures.from_customers(scan_customers(S).collect(), shared._outlier)
    for row in rows[:300]:
        online.process_row(row)
    row = next(r for r in rows[300:] if r["device_id"] is not None)
    before = online.to_state()
    for bad in ({"city": "Atlantis"}, {"upi_initiation": "telepathy"}, {"lat": "north"}):
        with pytest.raises((KeyError, ValueError)):
            online.process_row({**row, **bad})
        after = online.to_state()
        assert after.keys() == before.keys()
        for key in before:
            np.testing.assert_array_equal(after[key], before[key], err_msg=f"{bad}: {key}")
    fresh = OnlineFeatures.from_state(before)
    np.testing.assert_array_equal(online.process_row(row), fresh.process_row(row))


def test_label_counts_only_after_it_is_known() -> None:
    """A merchant's confirmed fraud raises its fraud rate only for transactions after
    label_known_at."""
    tx = scan(S).collect().sort("timestamp", "transaction_id")
    customers = scan_customers(S).collect()
    _, model = compute_features(tx, customers)
    rows = [r for r in tx.iter_rows(named=True) if r["merchant_id"] is not None]
    merchant = tx["merchant_id"].drop_nulls().mode().sort()[0]  # a busy one: 3 rows at least
    at_m = [r for r in rows if r["merchant_id"] == merchant][:3]
    assert len(at_m) == 3
    online = OnlineFeatures.from_customers(customers, model)
    online.process(at_m[0])
    known = at_m[2]["timestamp"]
    online.add_label(merchant_id=merchant, device_id=None, known_at=known)
    before = online.process(at_m[1])["merchant_fraud_rate"]
    after = online.process(at_m[2])["merchant_fraud_rate"]
    assert before == 0.0
    assert after == 0.0  # known at exactly this timestamp: not strictly before
    online.add_label(merchant_id=merchant, device_id=None, known_at=at_m[0]["timestamp"])
    later = dict(
        at_m[2], timestamp=at_m[2]["timestamp"] + dt.timedelta(seconds=1), transaction_id=1
    )
    assert online.process(later)["merchant_fraud_rate"] == pytest.approx(2 / 4)


def test_state_stays_within_the_window(
    stream: tuple[list[dict[str, object]], OnlineFeatures],
) -> None:
    """After a replay, every customer keeps only rows inside 30 days of its last one (plus the
    last row)."""
    rows, online = stream
    for txn in rows:
        online.process(txn)
    for h in online._customers.values():
        t = h.t[: h.n]
        assert (t[1:] > t[-1] - RETAIN_US).all()
    assert pl.Series([h.n for h in online._customers.values()]).max() < 400  # type: ignore[operator]


PROBE_CHECK = """
from fraudforge.features import kernels
from fraudforge.features.online import OnlineFeatures
from fraudforge.features.outlier import OutlierModel

online = OnlineFeatures({7: (19.07, 72.88)}, OutlierModel(median=[0.0] * 9, scale=[1.0] * 9))
assert not kernels.payee_keys.signatures
row = online.probe_row()
assert kernels.payee_keys.signatures, "the probe left the payee key kernel cold"
assert row is not None and row.shape == (69,)
assert online.entity_counts()["payees_active"] == 0 and not online.to_state()["cust_id"].size
print("ok")
"""


def test_probe_row_warms_the_payee_kernel_and_leaves_the_state() -> None:
    """In a fresh interpreter: ``probe_row`` runs a payment to a payee too, so a service
    restored from a snapshot (no batch pass, which also runs the kernel) loads the payee key
    kernel before its first P2P request; the state it is called on stays empty."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", PROBE_CHECK], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok")
