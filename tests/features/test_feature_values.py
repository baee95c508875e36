"""Hand-computed feature values on tiny transaction tables, one test per feature family.

Every expected value is worked out in the comments from the catalogue's definitions: "before"
means earlier in (timestamp, transaction_id) order, a window w covers (t - w, t], and the current
row is never part of its own window.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
import pytest

from fraudforge.engine import geo
from fraudforge.engine.schema import TRANSACTIONS, polars_schema
from fraudforge.features.batch import compute_features
from fraudforge.features.outlier import OutlierModel

T = dt.datetime(2025, 9, 10, 12, 0, 0)
"""A Wednesday noon, not a festival."""
S = dt.timedelta(seconds=1)
MIN = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
N_CITIES = geo.N_CITIES
HOMES: dict[int, str] = {1: "Mumbai", 2: "Delhi"}
"""Home city of each hand-built customer (home coordinates = the city centre)."""

Row = dict[str, Any]
Expected = Mapping[str, float | int | None]


def point(city: str) -> tuple[float, float]:
    """(lat, lon) of a city centre."""
    i = geo.CITY_NAMES.index(city)
    return float(geo.CITY_LAT[i]), float(geo.CITY_LON[i])


def km(a: str, b: str) -> float:
    """Haversine km between two city centres (the engine's own formula)."""
    (lat1, lon1), (lat2, lon2) = point(a), point(b)
    return float(geo.haversine_km(lat1, lon1, lat2, lon2))


def txn(t: dt.datetime, **fields: Any) -> Row:
    """One transaction with a sensible default for every TRANSACTIONS column.

    Defaults: customer 1 buying groceries for 100 INR at merchant 1 in Mumbai by UPI on the
    mobile app, approved, no device, genuine, label known 45 days later. ``merchant_id=None``
    makes a P2P payment to ``counterparty`` (default ``friend@upi``).
    """
    city = str(fields.get("city", "Mumbai"))
    lat, lon = point(city)
    merchant = fields.get("merchant_id", 1)
    row: Row = {
        "transaction_id": None,
        "timestamp": t,
        "customer_id": 1,
        "merchant_id": merchant,
        "device_id": None,
        "card_id": None,
        "amount_inr": 100.0,
        "payment_mode": "upi",
        "card_network": "none",
        "channel": "mobile_app",
        "txn_type": "purchase" if merchant is not None else "p2p_transfer",
        "status": "approved",
        "category": "grocery" if merchant is not None else "p2p",
        "mcc": 5411 if merchant is not None else None,
        "city": city,
        "state": geo.CITY_STATE_NAMES[geo.CITY_NAMES.index(city)],
        "lat": lat,
        "lon": lon,
        "counterparty": f"merchant{merchant}@upi" if merchant is not None else "friend@upi",
        "is_fraud": False,
        "fraud_type": "none",
        "fraud_scenario_id": None,
        "is_anomaly": False,
        "anomaly_type": "none",
        "anomaly_severity": 0.0,
        "label_known_at": t + 45 * D,
    }
    row.update(fields)
    return row


def frame(rows: Sequence[Row]) -> pl.DataFrame:
    """A transactions table in the engine's schema; rows without an id get their 1-based
    position as transaction_id."""
    filled = [
        {**r, "transaction_id": i + 1 if r["transaction_id"] is None else r["transaction_id"]}
        for i, r in enumerate(rows)
    ]
    return pl.DataFrame(filled, schema=polars_schema(TRANSACTIONS))


def customers_frame(homes: Mapping[int, str] = HOMES) -> pl.DataFrame:
    """A customers table with just customer_id, home_lat and home_lon."""
    ids = sorted(homes)
    return pl.DataFrame(
        {
            "customer_id": ids,
            "home_lat": [point(homes[c])[0] for c in ids],
            "home_lon": [point(homes[c])[1] for c in ids],
        },
        schema={"customer_id": pl.Int64, "home_lat": pl.Float64, "home_lon": pl.Float64},
    )


def run(rows: Sequence[Row]) -> dict[int, Row]:
    """Features of the rows, keyed by transaction_id."""
    out, _ = compute_features(frame(rows), customers_frame(), threads=1)
    return {int(r["transaction_id"]): r for r in out.iter_rows(named=True)}


def check(got: Row, want: Expected) -> None:
    """Ints and nulls exactly, floats to a relative 1e-9."""
    for name, value in want.items():
        if value is None or isinstance(value, int):
            assert got[name] == value, f"{name}: got {got[name]!r}, want {value!r}"
        else:
            assert got[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


# -- velocity and amounts -------------------------------------------------------------------------


def test_velocity_windows_exclude_a_row_exactly_one_width_before() -> None:
    """Counts and sums of 1 h/6 h/24 h/7 d windows at their exact edges; means and trends."""
    rows = [
        txn(T - 7 * D, amount_inr=10_000.0),  # 1: exactly 7 d before row 8: in 30 d only
        txn(T - 7 * D + S, amount_inr=5_000.0),  # 2: 1 s inside 7 d
        txn(T - 24 * H, amount_inr=1_000.0),  # 3: exactly 24 h before: not in 24 h
        txn(T - 24 * H + S, amount_inr=800.0),  # 4: 1 s inside 24 h
        txn(T - 6 * H, amount_inr=600.0),  # 5: exactly 6 h before: not in 6 h
        txn(T - H, amount_inr=300.0),  # 6: exactly 1 h before: not in 1 h
        txn(T - H + S, amount_inr=200.0),  # 7: 59 min 59 s before: in 1 h
        txn(T, amount_inr=100.0),  # 8
    ]
    f = run(rows)
    s24 = 800.0 + 600.0 + 300.0 + 200.0  # rows 4-7 = 1,900
    s7 = 5_000.0 + 1_000.0 + s24  # rows 2-7 = 7,900
    s30 = 10_000.0 + s7  # rows 1-7 = 17,900
    check(
        f[8],
        {
            "txn_count_1h": 1,  # row 7
            "txn_count_24h": 4,  # rows 4-7
            "txn_count_7d": 6,  # rows 2-7
            "amount_sum_24h": 1_900.0,
            "amount_sum_7d": 7_900.0,
            "amount_avg_24h": s24 / 4,  # 475
            "amount_avg_7d": s7 / 6,  # 1,316.67
            "amount_avg_30d": s30 / 7,  # 2,557.14
            "amount_ratio_30d": 100.0 / (s30 / 7 + 1.0),
            "spend_trend_7d_30d": (s7 / 7) / (s30 / 30 + 1.0),
            "count_trend_7d_30d": (6 / 7) / (7 / 30 + 0.1),
        },
    )
    # Row 7 at T - 1 h + 1 s: 1 h holds row 6 (1 s earlier); 24 h rows 3-6 (row 3 is 22 h 59
    # min 59 s earlier); 7 d rows 1-6.
    check(f[7], {"txn_count_1h": 1, "txn_count_24h": 4, "txn_count_7d": 6})
    # The first row has empty windows: sums and means 0, ratio amount / 1.
    check(
        f[1],
        {
            "txn_count_1h": 0,
            "txn_count_7d": 0,
            "amount_sum_7d": 0.0,
            "amount_avg_24h": 0.0,
            "amount_avg_30d": 0.0,
            "amount_ratio_30d": 10_000.0,
            "spend_trend_7d_30d": 0.0,
            "count_trend_7d_30d": 0.0,
        },
    )


def test_equal_timestamps_are_ordered_by_transaction_id() -> None:
    """Rows at the same instant count as earlier when their transaction_id is smaller."""
    rows = [
        # Given out of order on purpose: the order is (timestamp, transaction_id).
        txn(T, transaction_id=30, amount_inr=300.0),
        txn(T, transaction_id=10, amount_inr=100.0),
        txn(T, transaction_id=20, amount_inr=200.0, city="Pune"),
        txn(T - 10 * MIN, transaction_id=7, amount_inr=400.0),
        # Another customer at the same instant, with the smallest id: never in customer 1's
        # windows.
        txn(T, transaction_id=1, customer_id=2, city="Delhi"),
    ]
    f = run(rows)
    pune = km("Mumbai", "Pune")
    check(f[7], {"txn_count_1h": 0, "secs_since_prev_txn": None, "amount_sum_24h": 0.0})
    check(f[10], {"txn_count_1h": 1, "secs_since_prev_txn": 600.0, "amount_sum_24h": 400.0})
    # id 20: rows 7 and 10 before it; same instant as 10, so 0 s and the 1-minute floor:
    # speed = distance / (60 s / 3600) = 60 * distance.
    check(
        f[20],
        {
            "txn_count_1h": 2,
            "secs_since_prev_txn": 0.0,
            "amount_sum_24h": 500.0,  # 400 + 100
            "distance_from_prev_km": pune,
            "speed_from_prev_kmh": 60.0 * pune,
        },
    )
    check(
        f[30],
        {
            "txn_count_1h": 3,
            "secs_since_prev_txn": 0.0,
            "amount_sum_24h": 700.0,  # 400 + 100 + 200
            "distance_from_prev_km": pune,  # back from Pune to Mumbai
        },
    )
    check(f[1], {"txn_count_1h": 0, "secs_since_prev_txn": None})


def test_amount_mean_zscore_percentile_and_robust_z() -> None:
    """Mean, ratio, z-score (population std), percentile (ties half) and median/MAD z over 30 d."""
    rows = [
        txn(T - 30 * D, amount_inr=100_000.0),  # 1: exactly 30 d before row 6: outside
        txn(T - 5 * D, amount_inr=100.0),  # 2
        txn(T - 4 * D, amount_inr=150.0),  # 3
        txn(T - 3 * D, amount_inr=200.0),  # 4
        txn(T - 2 * D, amount_inr=700.0),  # 5
        txn(T, amount_inr=200.0),  # 6: window [100, 150, 200, 700]
        txn(T + MIN, amount_inr=400.0, category="fast_food"),  # 7: [100, 150, 200, 700, 200]
    ]
    f = run(rows)
    # Row 6: mean = 1,150 / 4 = 287.5; deviations -187.5, -137.5, -87.5, 412.5;
    # squares 35,156.25 + 18,906.25 + 7,656.25 + 170,156.25 = 231,875; / 4 = 57,968.75.
    std = math.sqrt(57_968.75)  # 240.77
    check(
        f[6],
        {
            "amount_avg_30d": 287.5,
            "amount_ratio_30d": 200.0 / 288.5,
            "amount_zscore_30d": (200.0 - 287.5) / (std + 1.0),
            # 100 and 150 below (1 + 1), 200 ties (0.5), 700 above: 2.5 / 4
            "amount_percentile_30d": 0.625,
            # median (150 + 200) / 2 = 175; |dev| = 75, 25, 25, 525 -> MAD (25 + 75) / 2 = 50
            "amount_robust_z_30d": (200.0 - 175.0) / (1.4826 * 50.0 + 1.0),
            # Every window row is grocery too: the same share.
            "amount_percentile_category_30d": 0.625,
            "log_amount": math.log(201.0),
        },
    )
    # Row 7: sorted window [100, 150, 200, 200, 700]: median 200; |dev| = 100, 50, 0, 0, 500
    # -> sorted 0, 0, 50, 100, 500 -> MAD 50. Percentile: 4 below, 700 above: 4 / 5.
    check(
        f[7],
        {
            "amount_avg_30d": 1_350.0 / 5,
            "amount_percentile_30d": 0.8,
            "amount_robust_z_30d": (400.0 - 200.0) / (1.4826 * 50.0 + 1.0),
            # No fast_food in the window: 0.5.
            "amount_percentile_category_30d": 0.5,
        },
    )
    # The first row: no window, so z 0, percentile 0.5, robust z 0.
    check(
        f[1],
        {"amount_zscore_30d": 0.0, "amount_percentile_30d": 0.5, "amount_robust_z_30d": 0.0},
    )
    # Row 2: the only window amount is 100,000 (25 d earlier); none of it is below 100, so the
    # percentile is 0 / 1; std and MAD are 0, so both z-scores are (100 - 100,000) / (0 + 1).
    check(
        f[2],
        {
            "amount_percentile_30d": 0.0,
            "amount_zscore_30d": 100.0 - 100_000.0,
            "amount_robust_z_30d": 100.0 - 100_000.0,  # MAD 0
        },
    )


def test_session_columns_and_their_recency_interactions() -> None:
    """The UPI initiation as its code, the three ages in days and the remote-access flag are the
    transaction's own, -1 (the flag 0) where null; each age weights log_amount by recency."""
    rows = [
        txn(T, amount_inr=999.0, upi_initiation="collect", payee_handle_age_days=3,
            device_bound_days=0, sim_changed_days=1, remote_access=True),  # 1
        txn(T + H, amount_inr=99.0, upi_initiation="qr", payee_handle_age_days=400,
            device_bound_days=30, sim_changed_days=700, remote_access=False),  # 2
        txn(T + 2 * H, payment_mode="credit_card", channel="pos"),  # 3: a card: all null
        txn(T + 3 * H, upi_initiation="mandate"),  # 4: UPI outside an app session
    ]  # fmt: skip
    f = run(rows)
    check(
        f[1],
        {
            "log_amount": math.log(1_000.0),
            "upi_initiation_code": 1,
            "payee_address_age_days": 3,
            "device_binding_age_days": 0,
            "sim_change_age_days": 1,
            "is_remote_access": 1,
            "address_recency_x_amount": math.log(1_000.0) / 4.0,
            "binding_recency_x_amount": math.log(1_000.0) / 1.0,
            "sim_recency_x_amount": math.log(1_000.0) / 2.0,
        },
    )
    check(
        f[2],
        {
            "upi_initiation_code": 2,
            "payee_address_age_days": 400,
            "device_binding_age_days": 30,
            "sim_change_age_days": 700,
            "is_remote_access": 0,
            "sim_recency_x_amount": math.log(100.0) / 701.0,
        },
    )
    unknown = {
        "upi_initiation_code": -1,
        "payee_address_age_days": -1,
        "device_binding_age_days": -1,
        "sim_change_age_days": -1,
        "is_remote_access": 0,
        "address_recency_x_amount": 0.0,
        "binding_recency_x_amount": 0.0,
        "sim_recency_x_amount": 0.0,
    }
    check(f[3], unknown)
    check(f[4], {**unknown, "upi_initiation_code": 4})


def test_transfers_to_new_payees_and_their_escalation() -> None:
    """A P2P transfer to a payee never paid before is new; the 7-day count and sum of such
    transfers, and each one's amount against the previous one's within 30 days."""
    p2p = {"merchant_id": None}
    rows = [
        txn(T - 10 * D, amount_inr=500.0, counterparty="a@upi", **p2p),  # 1: new payee
        txn(T - 6 * D, amount_inr=2_000.0, counterparty="b@upi", **p2p),  # 2: new
        txn(T - 5 * D, amount_inr=700.0, counterparty="a@upi", **p2p),  # 3: paid before
        txn(T - 4 * D, amount_inr=300.0),  # 4: a merchant: never a new payee
        txn(T - 2 * D, amount_inr=9_000.0, counterparty="c@upi", **p2p),  # 5: new
        txn(T, amount_inr=40_000.0, counterparty="d@upi", **p2p),  # 6: new
    ]
    f = run(rows)
    check(f[1], {"is_new_payee": 1, "new_payee_transfers_7d": 0, "new_payee_amount_ratio": 0.0})
    check(f[1], {"new_payee_x_amount": math.log(501.0)})
    # Row 2: row 1 (4 days earlier) is in its week and is the previous new-payee transfer.
    check(
        f[2],
        {
            "is_new_payee": 1,
            "new_payee_transfers_7d": 1,
            "new_payee_amount_7d": 500.0,
            "new_payee_amount_ratio": 2_000.0 / 501.0,
        },
    )
    check(f[3], {"is_new_payee": 0, "new_payee_amount_ratio": 0.0, "new_payee_x_amount": 0.0})
    check(f[4], {"is_new_payee": 0, "new_payee_transfers_7d": 2, "new_payee_amount_7d": 2_500.0})
    # Row 6: rows 2 (6 d earlier) and 5 in the week; the previous new-payee transfer is row 5.
    check(
        f[6],
        {
            "is_new_payee": 1,
            "new_payee_transfers_7d": 2,
            "new_payee_amount_7d": 11_000.0,
            "new_payee_amount_ratio": 40_000.0 / 9_001.0,
        },
    )


# -- geography ------------------------------------------------------------------------------------


def test_distance_from_home_previous_and_speed() -> None:
    """Haversine from home and from the previous row; speed with a 1-minute floor on the gap."""
    mumbai_delhi = km("Mumbai", "Delhi")
    delhi_pune = km("Delhi", "Pune")
    assert 1_135.0 < mumbai_delhi < 1_165.0  # the well-known ~1,150 km
    rows = [
        txn(T, city="Mumbai"),  # 1: at home
        txn(T + 2 * H, city="Delhi"),  # 2: 2 h later, ~1,150 km away
        txn(T + 2 * H + 30 * S, city="Pune"),  # 3: 30 s later
        txn(T, customer_id=2, city="Delhi"),  # 4: customer 2 is at home in Delhi
    ]
    f = run(rows)
    check(
        f[1],
        {
            "distance_from_home_km": 0.0,
            "distance_from_prev_km": 0.0,
            "speed_from_prev_kmh": 0.0,
            "secs_since_prev_txn": None,
            "distinct_cities_7d": 0,
        },
    )
    check(
        f[2],
        {
            "distance_from_home_km": mumbai_delhi,
            "distance_from_prev_km": mumbai_delhi,
            "speed_from_prev_kmh": mumbai_delhi / 2.0,  # km over 2 h
            "secs_since_prev_txn": 7_200.0,
            "distinct_cities_7d": 1,
        },
    )
    (m_lat, m_lon), (d_lat, d_lon), (p_lat, p_lon) = point("Mumbai"), point("Delhi"), point("Pune")
    centroid = geo.haversine_km((m_lat + d_lat) / 2, (m_lon + d_lon) / 2, p_lat, p_lon)
    check(
        f[3],
        {
            "distance_from_home_km": km("Mumbai", "Pune"),
            "distance_from_prev_km": delhi_pune,
            "speed_from_prev_kmh": delhi_pune / (60.0 / 3600.0),  # 30 s -> 1 minute floor
            "secs_since_prev_txn": 30.0,
            "distinct_cities_7d": 2,  # Mumbai, Delhi
            "city_switches_7d": 1,  # Mumbai -> Delhi
            "distance_from_centroid_km": float(centroid),
        },
    )
    check(f[4], {"distance_from_home_km": 0.0, "secs_since_prev_txn": None})


def test_first_time_payee_and_device() -> None:
    """New payee (P2P only) and device per customer; a missing device is never new."""
    rows = [
        txn(T, merchant_id=1, city="Mumbai"),  # 1
        txn(T + 1 * H, merchant_id=1, city="Mumbai", device_id=7),  # 2
        txn(T + 2 * H, merchant_id=2, city="Pune", device_id=7),  # 3
        txn(T + 3 * H, merchant_id=1, city="Pune"),  # 4
        txn(T + 4 * H, merchant_id=None, counterparty="asha@upi", device_id=8),  # 5: P2P
        txn(T + 5 * H, merchant_id=None, counterparty="asha@upi", device_id=7),  # 6: same payee
        txn(T + 6 * H, merchant_id=None, counterparty="ravi@upi"),  # 7: another payee
        txn(T + 7 * H, customer_id=2, merchant_id=1, city="Mumbai", device_id=7),  # 8
    ]
    f = run(rows)
    want = {
        # id: (is_new_payee, new device)
        1: (0, 0),  # no device: never new
        2: (0, 1),
        3: (0, 0),  # a new merchant is no new payee
        4: (0, 0),
        5: (1, 1),
        6: (0, 0),
        7: (1, 0),
        8: (0, 1),  # customer 2's first device
    }
    for tid, (payee, device) in want.items():
        got = (f[tid]["is_new_payee"], f[tid]["new_device_x_amount"])
        assert got == (payee, device * math.log(101.0)), f"row {tid}: got {got}"
    # P2P rows have no merchant-side values.
    check(f[5], {"merchant_txn_count_24h": 0, "merchant_fraud_30d": 0})
    check(f[6], {"merchant_fraud_rate": 0.0})


# -- time -----------------------------------------------------------------------------------------


def test_hour_and_weekday() -> None:
    """Calendar features of naive IST timestamps."""
    rows = [
        txn(dt.datetime(2025, 10, 20, 3, 30)),  # 1: Monday
        txn(dt.datetime(2025, 10, 19, 23, 59, 59)),  # 2: Sunday
        txn(dt.datetime(2025, 10, 21, 6, 0)),  # 3: Tuesday
        txn(dt.datetime(2025, 9, 6, 0, 0)),  # 4: Saturday midnight
    ]
    f = run(rows)
    want = {1: (3, 0), 2: (23, 6), 3: (6, 1), 4: (0, 5)}
    for tid, values in want.items():
        got = (f[tid]["hour"], f[tid]["weekday"])
        assert got == values, f"row {tid}: got {got}, want {values}"


def test_declines_in_the_last_day() -> None:
    """declines_24h counts the customer's declined rows in (t - 24 h, t); pending is no decline."""
    rows = [
        txn(T - 24 * H, status="declined"),  # 1: exactly 24 h before row 5: outside
        txn(T - 23 * H, status="declined"),  # 2
        txn(T - H, status="pending"),  # 3: exactly 1 h before: outside the hour
        txn(T - 10 * MIN, status="declined"),  # 4
        txn(T, status="declined"),  # 5: its own decline is not counted
    ]
    f = run(rows)
    # declines_24h = rows 2 and 4 = 2; txn_count_1h = row 4 = 1; interaction 2 * 1.
    check(f[5], {"declines_24h": 2, "txn_count_1h": 1, "declines_x_velocity": 2.0})
    check(f[2], {"declines_24h": 1, "declines_x_velocity": 0.0})  # row 1 is 1 h earlier


# -- merchant and device --------------------------------------------------------------------------


def test_merchant_counts_over_24h() -> None:
    """Merchant 24-hour counts over all customers, same-instant rows by id."""
    rows = [
        txn(T - 24 * H, customer_id=1),  # 1: exactly 24 h before rows 5, 6
        txn(T - 20 * H, customer_id=1),  # 2
        txn(T - 10 * H, customer_id=2, city="Delhi"),  # 3
        txn(T - 5 * H, customer_id=1),  # 4
        txn(T, customer_id=2, city="Delhi"),  # 5
        txn(T, customer_id=1),  # 6: same instant as 5, larger id
        txn(T - H, customer_id=1, merchant_id=2),  # 7: another merchant
    ]
    f = run(rows)
    # rows 1-3 for row 4 (row 1 is 19 h earlier); rows 2-4 for row 5 (row 1 exactly 24 h).
    want = {1: 0, 2: 1, 3: 2, 4: 3, 5: 3, 6: 4, 7: 0}
    for tid, count in want.items():
        check(f[tid], {"merchant_txn_count_24h": count})


def test_payee_fan_in_and_received_volume_over_all_customers() -> None:
    """A P2P payee's transactions and amount received in 24 h and distinct payers in 7 days,
    over every customer's transfers to it; 0 for payments to merchants."""
    p2p = {"merchant_id": None, "counterparty": "mule@upi"}
    rows = [
        txn(T - 7 * D, amount_inr=100.0, **p2p),  # 1: exactly 7 d before row 6
        txn(T - 3 * D, customer_id=2, city="Delhi", amount_inr=200.0, **p2p),  # 2
        txn(T - 20 * H, amount_inr=300.0, **p2p),  # 3
        txn(T - 2 * H, customer_id=2, city="Delhi", amount_inr=400.0, **p2p),  # 4
        txn(T - H, amount_inr=50.0, merchant_id=None, counterparty="other@upi"),  # 5
        txn(T, amount_inr=10.0, **p2p),  # 6
        txn(T + H, amount_inr=10.0),  # 7: a merchant payment
    ]
    f = run(rows)
    check(f[1], {"payee_txn_count_24h": 0, "payee_distinct_payers_7d": 0, "payee_amount_24h": 0.0})
    check(f[3], {"payee_txn_count_24h": 0, "payee_distinct_payers_7d": 2})  # rows 1, 2
    # Row 6: rows 3 and 4 in 24 h; rows 2-4 in 7 d (row 1 exactly 7 d earlier): customers 1, 2.
    check(
        f[6], {"payee_txn_count_24h": 2, "payee_distinct_payers_7d": 2, "payee_amount_24h": 700.0}
    )
    check(f[5], {"payee_txn_count_24h": 0, "payee_distinct_payers_7d": 0})
    check(f[7], {"payee_txn_count_24h": 0, "payee_distinct_payers_7d": 0, "payee_amount_24h": 0.0})


def test_merchant_fraud_rate_counts_a_fraud_once_its_label_is_known() -> None:
    """merchant_fraud_rate = earlier frauds with label_known_at < t / (earlier rows + 1)."""
    rows = [
        txn(T, amount_inr=1_000.0, is_fraud=True, fraud_type="card_cloning",
            label_known_at=T + 2 * H),  # 1: fraud, known at T + 2 h
        txn(T + H, label_known_at=T + H + 10 * S),  # 2: genuine, known early: never counts
        txn(T + 2 * H, customer_id=2, city="Delhi"),  # 3: at the instant row 1 becomes known
        txn(T + 2 * H + S, customer_id=2, city="Delhi"),  # 4
        txn(T + 3 * H, is_fraud=True, fraud_type="card_cloning",
            label_known_at=T + 4 * H),  # 5: fraud, known at T + 4 h
        txn(T + 5 * H, customer_id=2, city="Delhi", amount_inr=999.0),  # 6
        txn(T + 6 * H, merchant_id=2),  # 7: frauds at merchant 1 do not leak to merchant 2
        txn(T + 2 * H + 7 * D, customer_id=2, city="Delhi"),  # 8: row 1 known exactly 7 d ago
    ]  # fmt: skip
    f = run(rows)
    want = {
        1: 0.0,  # 0 / (0 + 1)
        2: 0.0,  # row 1 not yet known: 0 / (1 + 1)
        3: 0.0,  # known_at == t is not before t: 0 / (2 + 1)
        4: 0.25,  # row 1 known: 1 / (3 + 1)
        5: 0.2,  # 1 / (4 + 1)
        6: 1.0 / 3.0,  # rows 1 and 5 known: 2 / (5 + 1)
        7: 0.0,
    }
    for tid, rate in want.items():
        check(f[tid], {"merchant_fraud_rate": rate})
    # Frauds confirmed in the 7 and 30 days before: row 1's from row 4 on, row 5's from row 6
    # on; at row 8 row 1's confirmation is exactly 7 days old, out of the week.
    recent = {1: 0, 2: 0, 3: 0, 4: 1, 5: 1, 6: 2, 7: 0}
    for tid, count in recent.items():
        check(f[tid], {"merchant_fraud_7d": count, "merchant_fraud_30d": count})
    check(f[8], {"merchant_fraud_7d": 1, "merchant_fraud_30d": 2})
    check(f[6], {"merchant_risk_x_amount": (1.0 / 3.0) * math.log1p(999.0)})
    check(f[5], {"merchant_risk_x_amount": 0.2 * math.log1p(100.0)})


def test_device_fraud_rate_over_all_customers() -> None:
    """device_fraud_rate is the delayed-label rate of the device over all customers; 0 without."""
    rows = [
        txn(T, device_id=5, is_fraud=True, fraud_type="account_takeover",
            label_known_at=T + H),  # 1
        txn(T + 2 * H, customer_id=2, city="Delhi", device_id=5, merchant_id=2),  # 2
        txn(T + 3 * H, customer_id=2, city="Delhi"),  # 3: no device
        txn(T + 3 * H, device_id=6),  # 4: another device
        txn(T + 4 * H, device_id=5, is_fraud=True, fraud_type="account_takeover",
            label_known_at=T + 4 * H + S),  # 5
        txn(T + 5 * H, customer_id=2, city="Delhi", device_id=5),  # 6
    ]  # fmt: skip
    f = run(rows)
    want = {
        1: 0.0,  # 0 / 1
        2: 0.5,  # row 1 (customer 1's fraud) known: 1 / (1 + 1)
        3: 0.0,  # no device
        4: 0.0,  # 0 / 1
        5: 1.0 / 3.0,  # 1 / (2 + 1)
        6: 0.5,  # rows 1 and 5 known: 2 / (3 + 1)
    }
    for tid, rate in want.items():
        check(f[tid], {"device_fraud_rate": rate})


# -- anomaly features -----------------------------------------------------------------------------


def test_rarity_entropy_and_new_category_mode_channel() -> None:
    """Rarities 1 - (count + 1) / (n + k), category entropy and first-use flags over all rows."""
    usual = {"category": "grocery", "payment_mode": "upi", "channel": "mobile_app"}
    rows = [
        txn(T - 4 * D + 0 * MIN, **usual),  # 1: 12:00
        txn(T - 3 * D + 30 * MIN, **usual),  # 2: 12:30
        txn(T - 2 * D + H, category="fast_food", payment_mode="credit_card", channel="pos",
            city="Pune", txn_type="bill_payment"),  # 3: 13:00
        txn(T - D + 15 * MIN, **usual),  # 4: 12:15
        txn(T, category="electronics", payment_mode="wallet", channel="ecommerce"),  # 5: 12:00
    ]  # fmt: skip
    f = run(rows)
    nc = N_CITIES
    # Row 1: nothing earlier (n = 0, every count 0): 1 - 1 / k.
    check(
        f[1],
        {
            "hour_rarity": 1 - 1 / 24,
            "category_rarity": 1 - 1 / 26,
            "payment_mode_rarity": 1 - 1 / 7,
            "channel_rarity": 1 - 1 / 4,
            "city_rarity": 1 - 1 / nc,
            "txn_type_rarity": 1 - 1 / 5,
            "category_entropy": 0.0,
        },
    )
    # Row 2: n = 1, every count 1: 1 - 2 / (1 + k).
    check(
        f[2],
        {
            "hour_rarity": 1 - 2 / 25,
            "category_rarity": 1 - 2 / 27,
            "payment_mode_rarity": 1 - 2 / 8,
            "channel_rarity": 1 - 2 / 5,
            "city_rarity": 1 - 2 / (1 + nc),
            "txn_type_rarity": 1 - 2 / 6,
            "category_entropy": 0.0,  # one category
            "distinct_categories_7d": 1,
        },
    )
    # Row 3: n = 2, every count 0: 1 - 1 / (2 + k).
    check(
        f[3],
        {
            "hour_rarity": 1 - 1 / 26,
            "category_rarity": 1 - 1 / 28,
            "payment_mode_rarity": 1 - 1 / 9,
            "channel_rarity": 1 - 1 / 6,
            "city_rarity": 1 - 1 / (2 + nc),
            "txn_type_rarity": 1 - 1 / 7,
        },
    )
    # Row 4: n = 3, every count 2: 1 - 3 / (3 + k); categories {grocery: 2, fast_food: 1}.
    check(
        f[4],
        {
            "hour_rarity": 1 - 3 / 27,
            "category_rarity": 1 - 3 / 29,
            "payment_mode_rarity": 1 - 3 / 10,
            "channel_rarity": 1 - 3 / 7,
            "city_rarity": 1 - 3 / (3 + nc),
            "txn_type_rarity": 1 - 3 / 8,
            "category_entropy": -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)),
        },
    )
    # Row 5: n = 4; hour 12 seen 3 times, electronics/wallet/ecommerce never; grocery 3, ff 1.
    check(
        f[5],
        {
            "hour_rarity": 1 - 4 / 28,
            "category_rarity": 1 - 1 / 30,
            "payment_mode_rarity": 1 - 1 / 11,
            "channel_rarity": 1 - 1 / 8,
            "city_rarity": 1 - 4 / (4 + nc),  # Mumbai 3 times
            "txn_type_rarity": 1 - 4 / 9,  # purchase 3 times
            "category_entropy": -(3 / 4 * math.log(3 / 4) + 1 / 4 * math.log(1 / 4)),
            "distinct_categories_7d": 2,  # rows 1-4: grocery, fast_food
        },
    )


def test_merchant_loyalty_and_distinct_merchants() -> None:
    """Share of 30-day window rows at this merchant (P2P: this payee); 7-day distinct parties."""
    rows = [
        txn(T - 30 * D, merchant_id=1),  # 1: exactly 30 d before row 6: outside
        txn(T - 20 * D, merchant_id=1),  # 2
        txn(T - 10 * D, merchant_id=2),  # 3
        txn(T - 5 * D, merchant_id=1),  # 4
        txn(T - D, merchant_id=None, counterparty="asha@upi"),  # 5
        txn(T, merchant_id=1),  # 6
        txn(T + H, merchant_id=None, counterparty="asha@upi"),  # 7
    ]
    f = run(rows)
    check(f[1], {"merchant_loyalty_30d": 0.0, "distinct_merchants_7d": 0})  # no window
    check(f[2], {"merchant_loyalty_30d": 1.0})  # row 1 (10 d earlier): 1 / 1
    # Row 6: window rows 2-5, merchant 1 in rows 2 and 4: 2 / 4. 7 d: rows 4, 5 -> {m1, asha}.
    check(f[6], {"merchant_loyalty_30d": 0.5, "distinct_merchants_7d": 2})
    # Row 7: window rows 2-6, payee asha in row 5: 1 / 5. 7 d: rows 4-6 -> {m1, asha}.
    check(f[7], {"merchant_loyalty_30d": 0.2, "distinct_merchants_7d": 2})


def test_dormancy_ratio() -> None:
    """secs_since_prev_txn / (mean gap between the 30-day window rows + 60 s); 0 for the first."""
    rows = [txn(T), txn(T + H), txn(T + 3 * H), txn(T + 9 * H)]
    f = run(rows)
    check(f[1], {"dormancy_ratio": 0.0})
    # Row 2: one window row, no gap between window rows (mean gap 0): 3,600 / 60.
    check(f[2], {"dormancy_ratio": 60.0})
    # Row 3: window rows at 0 h and 1 h: mean gap 3,600 s; gap 7,200 s.
    check(f[3], {"dormancy_ratio": 7_200.0 / (3_600.0 + 60.0)})
    # Row 4: window rows at 0, 1, 3 h: mean gap 3 h / 2 = 5,400 s; gap 6 h = 21,600 s.
    check(f[4], {"dormancy_ratio": 21_600.0 / (5_400.0 + 60.0)})


def test_hour_deviation_is_circular_and_weekend_night_deviation() -> None:
    """Circular distance from the mean hour (hour centres h + 0.5), and weekend/night shares."""
    rows = [
        txn(dt.datetime(2025, 9, 6, 23, 10)),  # 1: Saturday 23:xx
        txn(dt.datetime(2025, 9, 7, 1, 20)),  # 2: Sunday 01:xx (night)
        txn(dt.datetime(2025, 9, 8, 22, 5)),  # 3: Monday 22:xx
        txn(dt.datetime(2025, 9, 8, 10, 0), customer_id=2, city="Delhi"),  # 4
        txn(dt.datetime(2025, 9, 8, 12, 0), customer_id=2, city="Delhi"),  # 5
        txn(dt.datetime(2025, 9, 8, 20, 0), customer_id=2, city="Delhi"),  # 6
    ]
    f = run(rows)
    check(f[1], {"hour_deviation": 0.0, "weekend_deviation": 0.0, "night_deviation": 0.0})
    # Row 2: mean of 23.5 is 23.5; own centre 1.5: |1.5 - 23.5| = 22 -> min(22, 24 - 22) = 2.
    # weekend: |1 - 1/1| = 0; night: |1 - 0/1| = 1.
    check(f[2], {"hour_deviation": 2.0, "weekend_deviation": 0.0, "night_deviation": 1.0})
    # Row 3: circular mean of 23.5 and 1.5 is 0.5; own centre 22.5: |22.5 - 0.5| = 22 -> 2.
    # weekend: |0 - 2/2| = 1; night: |0 - 1/2| = 0.5.
    check(f[3], {"hour_deviation": 2.0, "weekend_deviation": 1.0, "night_deviation": 0.5})
    # Row 5: mean 10.5; own 12.5 -> 2. Row 6: mean of 10.5, 12.5 is 11.5; own 20.5 -> 9.
    check(f[5], {"hour_deviation": 2.0})
    check(f[6], {"hour_deviation": 9.0})


# -- interactions ---------------------------------------------------------------------------------


def test_interaction_features_follow_their_formulas() -> None:
    """Interactions computed from hand-derived base features of a night-time burst."""
    night = dt.datetime(2025, 9, 10, 2, 0)  # Wednesday 02:00
    rows = [
        txn(night, amount_inr=999.0, device_id=11),  # 1: new device
        txn(night + 10 * MIN, amount_inr=20.0, device_id=11, status="declined"),  # 2
        txn(night + 20 * MIN, amount_inr=30.0, device_id=12),  # 3: new device
        txn(night + 50 * MIN, amount_inr=5_000.0, merchant_id=None, counterparty="x@upi",
            city="Pune"),  # 4: a first transfer to x, in Pune
    ]  # fmt: skip
    f = run(rows)
    # Row 1: new device; nothing earlier (pct 0.5).
    check(
        f[1],
        {
            "new_device_x_amount": math.log(1_000.0),  # log1p(999)
            "new_payee_x_amount": 0.0,  # a merchant payment
            "category_rarity_x_amount_pct": (1 - 1 / 26) * 0.5,
            "home_distance_x_hour_rarity": 0.0,  # log1p(0 km from home)
        },
    )
    # Row 3: one decline (row 2) in the day; a new device.
    check(
        f[3],
        {
            "declines_24h": 1,
            "declines_x_velocity": 2.0,  # 1 decline * 2 rows in the hour
            "new_device_x_amount": math.log1p(30.0),
        },
    )
    # Row 4: 3 rows in the hour, 30 min after row 3 and ~120 km away in Pune (a new payee, no
    # device); the hour 02 seen 3 times out of 3; the p2p category never before.
    d = km("Mumbai", "Pune")
    check(
        f[4],
        {
            "velocity_x_distance": 3 * math.log1p(d),
            "home_distance_x_hour_rarity": math.log1p(d) * (1 - 4 / 27),
            "new_payee_x_amount": math.log(5_001.0),
            "new_device_x_amount": 0.0,
            "declines_x_velocity": 3.0,  # 1 decline * 3 rows in the hour
            "category_rarity_x_amount_pct": (1 - 1 / 29) * 1.0,  # p2p 0 of 3; above all
        },
    )


def test_unusual_events_count_earlier_unusual_rows() -> None:
    """Against a settled habit (10+ earlier rows), a row is unusual at an hour used in under 2%
    of them, in a first-time category, above every amount of 20+ in the 30-day window, or more
    than 500 km from home; such earlier rows are counted over 7 d."""
    morning = T.replace(hour=10)
    habit = [txn(morning + i * D) for i in range(21)]  # 1-21: daily at 10:00, 100 INR, home
    day = morning + 21 * D
    rows = [
        *habit,
        txn(day.replace(hour=3)),  # 22: 03:00, never used before: rare hour
        txn(day + 30 * MIN, amount_inr=5_000.0),  # 23: above all 22 window amounts
        txn(day + 40 * MIN, category="electronics"),  # 24: first electronics payment
        txn(day + 50 * MIN, city="Delhi"),  # 25: ~1,150 km from the Mumbai home
        txn(day + 55 * MIN),  # 26
        txn(day + 56 * MIN),  # 27
        txn(day + 8 * D),  # 28: rows 22-25 are more than 7 days earlier
    ]
    f = run(rows)
    # Before the habit is settled nothing is unusual: a new hour or category is no news yet.
    check(f[12], {"unusual_events_7d": 0})
    check(f[22], {"unusual_events_7d": 0})
    check(f[23], {"unusual_events_7d": 1})  # row 22
    check(f[26], {"unusual_events_7d": 4})  # rows 22-25
    check(f[27], {"unusual_events_7d": 4})  # row 26 is usual
    check(f[28], {"unusual_events_7d": 0})


def test_outlier_score_with_a_fixed_model() -> None:
    """The score is the mean |x - median| / scale of the 8 inputs (4 logged) and log1p(amount)."""
    model = OutlierModel(median=[0.0] * 9, scale=[1.0] * 9)
    got, used = compute_features(
        frame([txn(T, amount_inr=99.0)]), customers_frame(), outlier=model, threads=1
    )
    assert used == model
    # First row at home: txn_count_24h 0, log1p(amount_ratio 99 / 1), log1p(0 km), log1p(0
    # km/h), log1p(null -> 0 s), hour rarity 1 - 1/24, category 1 - 1/26, city 1 - 1/N,
    # log1p(99).
    inputs = [
        0.0,
        math.log(100.0),
        0.0,
        0.0,
        0.0,
        1 - 1 / 24,
        1 - 1 / 26,
        1 - 1 / N_CITIES,
        math.log(100.0),
    ]
    assert got["outlier_score"][0] == pytest.approx(sum(inputs) / 9, rel=1e-12)
    shifted = OutlierModel(median=[1.0] * 9, scale=[2.0] * 9)
    again, _ = compute_features(
        frame([txn(T, amount_inr=99.0)]), customers_frame(), outlier=shifted
    )
    want = sum(abs(x - 1.0) / 2.0 for x in inputs) / 9
    assert again["outlier_score"][0] == pytest.approx(want, rel=1e-12)


def test_time_order_breaks_timestamp_ties_by_id() -> None:
    """Rows in (timestamp, transaction_id) order, ties at one instant put in id order."""
    import numpy as np

    from fraudforge.features.batch import time_order

    t = np.array([5, 3, 5, 3, 1, 5], dtype=np.int64)
    ids = np.array([9, 2, 1, 7, 4, 3], dtype=np.int64)
    assert time_order(t, ids).tolist() == [4, 1, 3, 2, 5, 0]
    assert time_order(t[:1], ids[:1]).tolist() == [0]
