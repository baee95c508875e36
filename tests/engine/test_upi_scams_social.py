"""India's social-engineering scams leave their own signatures: a QR scam is QR-initiated
payments the victim approves on their own phone to a mule several victims pay; a fake customer
care call is escalating transfers from the victim's own session with a remote-access tool
running; a KYC phishing SMS is card purchases online within minutes, from a device the victim
never used."""

from __future__ import annotations

import msgspec
import numpy as np
import polars as pl
import pytest

from fraudforge.engine.fraud.mechanics import escalating
from fraudforge.engine.fraud.patterns import REGISTRY
from fraudforge.engine.session import REMOTE_USER_SHARE, in_sessions, remote_user_share
from fraudforge.engine.streaming import scan
from tests.conftest import SMALL, Dataset

INC = "fraud_scenario_id"
NEW = ("upi_qr_scam", "customer_care_scam", "phishing_otp")


def _rows(small: Dataset, pattern: str) -> pl.DataFrame:
    return small.transactions.filter(pl.col("fraud_type") == pattern)


def _own_devices(small: Dataset) -> pl.DataFrame:
    """(customer, device) pairs seen in genuine rows."""
    return (
        small.transactions.filter(~pl.col("is_fraud") & pl.col("device_id").is_not_null())
        .select("customer_id", "device_id")
        .unique()
        .with_columns(own=pl.lit(True))
    )


def _per_incident(rows: pl.DataFrame) -> pl.DataFrame:
    """Each incident's victims, rows, span in minutes, and whether its last amount is at least
    its first (in time order)."""
    return (
        rows.sort("timestamp")
        .group_by(INC)
        .agg(
            pl.col("customer_id").n_unique().alias("victims"),
            pl.len().alias("rows"),
            (pl.col("timestamp").max() - pl.col("timestamp").min())
            .dt.total_minutes()
            .alias("span"),
            (pl.col("amount_inr").last() >= pl.col("amount_inr").first()).alias("grows"),
            pl.col("counterparty").n_unique().alias("payees"),
        )
    )


def test_the_three_scams_are_records_in_the_default_mix() -> None:
    """Codes 18-20, a share of the default mix, a mechanism with its sources."""
    assert [REGISTRY.by_name(n).code for n in NEW] == [18, 19, 20]
    for name in NEW:
        p = REGISTRY.by_name(name)
        assert p.weight > 0
        assert "Sources" in p.description
        assert "https://" in p.description


def test_escalating_amounts_grow_by_position_and_keep_under_the_room() -> None:
    """With a fixed growth of 2 each payment doubles the first; a want beyond the room becomes
    a payment between half the room and the room."""
    rng = np.random.default_rng(0)
    first = np.full(4, 1_000.0)
    pos = np.array([0, 1, 2, 6])
    out = escalating(rng, first, pos, (2.0, 2.0), 10_000.0)
    assert out[:3].tolist() == [1_000.0, 2_000.0, 4_000.0]
    assert 5_000.0 <= out[3] <= 10_000.0


def test_a_screen_sharing_tool_runs_for_a_whole_session() -> None:
    """A customer's payments under 30 minutes apart share the tool's flag."""
    cust = np.array([1, 1, 1, 2, 2])
    ts = np.array([0, 600, 4_000, 0, 100])
    flag = np.array([False, True, False, False, False])
    assert in_sessions(cust, ts, flag).tolist() == [True, True, False, False, False]
    flag = np.array([False, False, False, False, True])
    assert in_sessions(cust, ts, flag).tolist() == [False, False, False, True, True]


def test_older_and_less_savvy_customers_share_screens_more() -> None:
    """Medium savviness under 60 at the base rate; low savviness and 60 or over twice each."""
    got = remote_user_share(np.array([30, 65, 30]), np.array([1, 0, 2]))
    assert got.tolist() == pytest.approx(
        [REMOTE_USER_SHARE, 4 * REMOTE_USER_SHARE, 0.6 * REMOTE_USER_SHARE]
    )


def test_a_qr_scam_is_qr_payments_approved_on_the_victims_phone_to_a_mule(small: Dataset) -> None:
    """Every row is a QR-initiated UPI transfer to a person, from a device the victim uses for
    their own payments, mostly approved; an incident is one to three payments within half an
    hour from one victim, rising; mule accounts take several victims' money."""
    rows = _rows(small, "upi_qr_scam")
    assert rows.height > 100
    assert (rows["payment_mode"] == "upi").all()
    assert (rows["upi_initiation"] == "qr").all()
    assert (rows["txn_type"] == "p2p_transfer").all()
    assert (rows["status"] == "approved").mean() > 0.7  # type: ignore[operator]
    own = rows.join(_own_devices(small), on=["customer_id", "device_id"], how="left")
    assert own["own"].fill_null(False).mean() > 0.95  # type: ignore[operator]
    assert (rows["remote_access"].fill_null(False)).mean() < 0.05  # type: ignore[operator]
    per = _per_incident(rows)
    assert (per["victims"] == 1).all()
    assert per["rows"].is_between(1, 3).all()
    assert (per["span"] <= 30).all()
    assert per.filter(pl.col("rows") > 1)["grows"].mean() > 0.9  # type: ignore[operator]
    # Mules: most opened for the scam (young addresses), some rented (any age).
    genuine = small.transactions.filter(
        ~pl.col("is_fraud") & (pl.col("txn_type") == "p2p_transfer")
    )["payee_handle_age_days"]
    assert (rows["payee_handle_age_days"] <= 120).mean() > 0.5  # type: ignore[operator]
    assert (genuine <= 120).mean() < 0.2  # type: ignore[operator]
    victims = rows.group_by("counterparty").agg(pl.col("customer_id").n_unique().alias("n"))
    assert victims["n"].max() >= 3  # type: ignore[operator]
    assert (victims["n"] >= 2).mean() > 0.2  # type: ignore[operator]


def test_a_customer_care_scam_escalates_from_the_victims_own_session(small: Dataset) -> None:
    """Transfers to people from the victim's app (UPI, or IMPS in the bank's app), with the
    remote-access tool seen in about half the rows on the victim's own device; two to five within an
    hour and a half, rising, to more than one payee in most incidents; a few from a device
    registered that day, within the INR 5,000 a new registration may send."""
    rows = _rows(small, "customer_care_scam")
    assert rows.height > 100
    assert (rows["txn_type"] == "p2p_transfer").all()
    assert rows["payment_mode"].is_in(["upi", "net_banking"]).all()
    assert (rows["channel"] == "mobile_app").all()
    own = rows.join(_own_devices(small), on=["customer_id", "device_id"], how="left")
    on_own = own.filter(pl.col("own").fill_null(False))
    other = own.filter(~pl.col("own").fill_null(False))
    assert on_own.height > 0.8 * rows.height
    assert 0.35 < on_own["remote_access"].mean() < 0.65  # type: ignore[operator]
    # (A victim's own device that none of their genuine payments used counts among the
    # others: those rows keep the device's old binding.)
    assert other.height > 0
    assert (other["device_bound_days"] == 0).mean() > 0.5  # type: ignore[operator]
    fresh = other.filter(pl.col("device_bound_days") == 0)
    approved = fresh.filter(pl.col("status") == "approved").group_by(INC).agg(pl.sum("amount_inr"))
    assert approved["amount_inr"].max() <= 5_000  # type: ignore[operator]
    per = _per_incident(rows)
    assert (per["victims"] == 1).all()
    assert per["rows"].is_between(2, 5).all()
    assert (per["span"] <= 90).all()
    assert per["grows"].mean() > 0.8  # type: ignore[operator]
    assert (per["payees"] > 1).mean() > 0.5  # type: ignore[operator]
    # UPI's INR 1 lakh a day holds for what is approved.
    upi = rows.filter((pl.col("payment_mode") == "upi") & (pl.col("status") == "approved"))
    daily = upi.group_by("customer_id", pl.col("timestamp").dt.date()).agg(pl.sum("amount_inr"))
    assert daily["amount_inr"].max() <= 100_000  # type: ignore[operator]


def test_a_kyc_phishing_is_card_purchases_online_minutes_after_the_lure(small: Dataset) -> None:
    """Online card purchases of goods, vouchers and tickets, from a device the victim never
    used, one to three within half an hour; no UPI app session of the victim's (its session
    columns are null); the victims are older and less savvy than the customers at large."""
    rows = _rows(small, "phishing_otp")
    assert rows.height > 100
    assert rows["payment_mode"].is_in(["debit_card", "credit_card"]).all()
    assert rows["channel"].is_in(["ecommerce", "mobile_app"]).all()
    assert rows["category"].is_in(["electronics", "marketplace", "airlines", "railways"]).all()
    assert rows["upi_initiation"].is_null().all()
    assert rows["remote_access"].is_null().all()
    own = rows.join(_own_devices(small), on=["customer_id", "device_id"], how="left")
    assert not own["own"].fill_null(False).any()
    assert (rows["status"] == "approved").mean() > 0.5  # type: ignore[operator]
    per = _per_incident(rows)
    assert per["rows"].is_between(1, 3).all()
    assert (per["span"] <= 30).all()
    victims = small.customers.join(rows.select("customer_id"), on="customer_id", how="semi")
    assert victims["age"].mean() > small.customers["age"].mean() + 5  # type: ignore[operator]


def test_the_scams_are_deterministic_by_seed() -> None:
    """The same scenario, with the three scams raised, gives the same rows."""
    s = msgspec.structs.replace(
        SMALL,
        customers=600,
        days=20,
        fraud_mix={"upi_qr_scam": 1.0, "customer_care_scam": 1.0, "phishing_otp": 1.0},
    )
    a, b = scan(s).collect(), scan(s).collect()
    assert a.filter(pl.col("is_fraud"))["fraud_type"].cast(pl.String).is_in(NEW).all()
    assert a.filter(pl.col("is_fraud")).height > 50
    assert a.equals(b)
