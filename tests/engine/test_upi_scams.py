"""India's UPI scams leave their signatures in the session columns: a collect-request scam is
collect requests the victim approves, to a young address; a SIM swap is a SIM change, then a
device bound the same hour, then transfers to new payees."""

from __future__ import annotations

import datetime as dt

import polars as pl

from fraudforge.engine.fraud.patterns import REGISTRY
from tests.conftest import Dataset

INC = "fraud_scenario_id"
CUTOFF = dt.datetime(2025, 10, 1)


def _rows(small: Dataset, pattern: str) -> pl.DataFrame:
    return small.transactions.filter(pl.col("fraud_type") == pattern)


def test_both_scams_are_in_the_default_mix() -> None:
    """One record each, with its mechanism and source in its description."""
    for name in ("upi_collect_scam", "sim_swap"):
        p = REGISTRY.by_name(name)
        assert p.weight > 0
        assert "Sources" in p.description


def test_a_collect_scam_is_collect_requests_the_victim_approves(small: Dataset) -> None:
    """Every row is a UPI collect request approved (mostly) on the victim's own phone, person to
    person up to INR 2,000 before 1 October 2025 to an address at most 120 days old, and a
    merchant collect after, from a merchant far younger than most; within an incident the
    requests come minutes apart and do not shrink."""
    rows = _rows(small, "upi_collect_scam")
    assert rows.height > 50
    assert (rows["payment_mode"] == "upi").all()
    assert (rows["upi_initiation"] == "collect").all()
    assert (rows["status"] == "approved").mean() > 0.8  # type: ignore[operator]
    before = rows.filter(pl.col("timestamp") < CUTOFF)
    after = rows.filter(pl.col("timestamp") >= CUTOFF)
    assert before.height
    assert after.height
    assert (before["txn_type"] == "p2p_transfer").all()
    assert before["amount_inr"].max() <= 2_000  # type: ignore[operator]
    assert after["merchant_id"].is_not_null().all()
    assert (before["payee_handle_age_days"] <= 120).mean() > 0.95  # type: ignore[operator]
    genuine_p2m = small.transactions.filter(
        ~pl.col("is_fraud")
        & (pl.col("payment_mode") == "upi")
        & pl.col("merchant_id").is_not_null()
    )
    young = after["payee_handle_age_days"].median()
    assert young < genuine_p2m["payee_handle_age_days"].median() / 4  # type: ignore[operator]
    assert rows["device_bound_days"].is_not_null().all()
    per = (
        rows.sort("timestamp")
        .group_by(INC)
        .agg(
            (pl.col("timestamp").max() - pl.col("timestamp").min())
            .dt.total_minutes()
            .alias("span"),
            (pl.col("amount_inr").last() >= pl.col("amount_inr").first()).alias("grows"),
            pl.col("customer_id").n_unique().alias("victims"),
        )
    )
    assert (per["victims"] == 1).all()
    assert (per["span"] <= 30).all()
    assert per["grows"].mean() > 0.9  # type: ignore[operator]


def test_a_sim_swap_changes_the_sim_then_binds_a_device_then_transfers(small: Dataset) -> None:
    """Each incident's rows come from a device new to the account, bound that day, one or two
    days after the SIM changed (a new SIM gets no SMS for a day); the victim's genuine payments
    before it saw an older SIM; the transfers go to people, by UPI within the cooling limit of
    INR 5,000 a day and otherwise by IMPS in the bank's app, to payees whose addresses are at
    most 60 days old."""
    every = _rows(small, "sim_swap")
    by_card = every.group_by(INC).agg(
        pl.col("payment_mode").is_in(["debit_card", "credit_card"]).all().alias("card")
    )
    rows = every.join(by_card.filter(~pl.col("card")), on=INC, how="semi")
    assert rows.height > 50
    assert (rows["txn_type"] == "p2p_transfer").all()
    assert rows["payment_mode"].is_in(["upi", "net_banking"]).all()
    assert (rows["device_bound_days"] <= 1).all()
    # A new SIM gets no SMS, so no OTP and no registration, for its first day.
    assert rows["sim_changed_days"].is_between(1, 2).all()
    upi = rows.filter(pl.col("payment_mode") == "upi")
    assert (upi["payee_handle_age_days"] <= 60).mean() > 0.95  # type: ignore[operator]
    approved = upi.filter(pl.col("status") == "approved").group_by(INC).agg(pl.sum("amount_inr"))
    assert approved["amount_inr"].max() <= 5_000  # type: ignore[operator]
    # The SIM changed after the victim's genuine payments of the days before (the swap comes a
    # day to two days before the first transfer).
    day = pl.col("timestamp").dt.date()
    sim_date = (day - pl.duration(days=pl.col("sim_changed_days"))).alias("sim_date")
    first = rows.group_by(INC).agg(
        pl.col("customer_id").first(), pl.col("timestamp").min().alias("start")
    )
    genuine = small.transactions.filter(
        ~pl.col("is_fraud") & pl.col("sim_changed_days").is_not_null()
    ).drop(INC)
    last_before = (
        genuine.join(first, on="customer_id")
        .filter(pl.col("timestamp") < pl.col("start") - pl.duration(days=2))
        .sort("timestamp")
        .group_by(INC)
        .agg(sim_date.last().alias("old"))
    )
    now = rows.group_by(INC).agg(sim_date.min().alias("new"))
    both = last_before.join(now, on=INC)
    assert both.height > 10
    assert (both["new"] > both["old"]).mean() > 0.9  # type: ignore[operator]


def test_some_sim_swaps_spend_by_card_with_the_victims_otps(small: Dataset) -> None:
    """About three incidents in ten are 1-3 online card purchases instead of transfers: no app
    session, so no SIM or binding field on them, yet the victim's SIM changed, as the victim's
    own next app payment shows (a swap a day to two days before the first purchase: a new SIM
    gets no SMS, so no OTP, for its first day)."""
    every = _rows(small, "sim_swap")
    per = every.group_by(INC).agg(
        pl.col("payment_mode").is_in(["debit_card", "credit_card"]).all().alias("card"),
        pl.col("payment_mode").is_in(["upi", "net_banking"]).all().alias("transfer"),
        pl.len().alias("n"),
        pl.col("customer_id").first(),
        pl.col("timestamp").min().alias("start"),
    )
    assert (per["card"] | per["transfer"]).all()
    cards = per.filter(pl.col("card"))
    assert 0.15 <= cards.height / per.height <= 0.45
    assert cards["n"].is_between(1, 3).all()
    rows = every.join(cards, on=INC, how="semi")
    assert rows["channel"].is_in(["ecommerce", "mobile_app"]).all()  # card not present
    assert rows["sim_changed_days"].is_null().all()
    assert rows["device_bound_days"].is_null().all()
    day = pl.col("timestamp").dt.date()
    after = (
        small.transactions.filter(~pl.col("is_fraud") & pl.col("sim_changed_days").is_not_null())
        .drop(INC)
        .join(cards.select("customer_id", INC, "start"), on="customer_id")
        .filter(pl.col("timestamp") > pl.col("start"))
        .sort("timestamp")
        .group_by(INC)
        .agg((day - pl.duration(days=pl.col("sim_changed_days"))).first().alias("sim_date"),
             pl.col("start").first())
    )  # fmt: skip
    assert after.height >= 5
    swapped = after["sim_date"] >= after["start"].dt.date() - dt.timedelta(days=2)
    assert swapped.mean() > 0.9  # type: ignore[operator]
