"""Anomalies are legitimate but unusual rows: their rate and type mix follow the scenario, their
severity is in (0, 1], and each type is unusual for the customer in the documented way (the hour,
the amount, the place or the category)."""

from __future__ import annotations

import polars as pl
import pytest

from fraudforge.engine import geo
from fraudforge.engine.taxonomy import ANOMALY_TYPES, DEFAULT_ANOMALY_MIX
from tests.conftest import Dataset
from tests.helpers import city_dist_km, num, share


@pytest.fixture(scope="module")
def genuine(small: Dataset) -> pl.DataFrame:
    """The genuine (non-fraud) rows, with the hour of day."""
    return small.transactions.filter(~pl.col("is_fraud")).with_columns(
        pl.col("timestamp").dt.hour().alias("hour")
    )


@pytest.fixture(scope="module")
def ordinary(genuine: pl.DataFrame) -> pl.DataFrame:
    """Genuine rows that are not anomalies: each customer's usual behaviour."""
    return genuine.filter(~pl.col("is_anomaly"))


def anomalies_of(genuine: pl.DataFrame, kind: str) -> pl.DataFrame:
    """The anomalies of one type."""
    return genuine.filter(pl.col("anomaly_type") == kind)


def test_anomalies_are_legitimate_and_consistently_labelled(small: Dataset) -> None:
    """No row is both fraud and anomaly; the anomaly flag, type and severity agree, severity in
    (0, 1] for anomalies and 0 otherwise."""
    tx = small.transactions
    assert tx.filter(pl.col("is_fraud") & pl.col("is_anomaly")).height == 0
    assert (tx["is_anomaly"] == (tx["anomaly_type"] != "none")).all()
    sev = tx["anomaly_severity"]
    flagged = tx["is_anomaly"]
    assert ((sev > 0) & (sev <= 1)).filter(flagged).all()
    assert (sev == 0).filter(~flagged).all()


def test_anomaly_rate_and_mix_follow_the_scenario(small: Dataset, genuine: pl.DataFrame) -> None:
    """About anomaly_rate of the genuine rows are anomalies, split by type as the default mix."""
    rate = small.scenario.resolved().anomaly_rate
    # Anomalies are drawn from the genuine rows, so the fraud rows dilute their overall share.
    of_genuine = num(genuine["is_anomaly"].mean())
    overall = num(small.transactions["is_anomaly"].mean())
    assert abs(of_genuine - rate) <= 0.1 * rate, f"{of_genuine:.4f} of genuine rows"
    assert abs(overall - rate) <= 0.15 * rate, f"{overall:.4f} of all rows"
    counts = dict(
        genuine.filter(pl.col("is_anomaly"))
        .group_by("anomaly_type")
        .len()
        .select(pl.col("anomaly_type").cast(pl.String), "len")
        .iter_rows()
    )
    total = sum(counts.values())
    assert set(counts) == set(ANOMALY_TYPES)
    for kind in ANOMALY_TYPES:
        realised, expected = counts[kind] / total, DEFAULT_ANOMALY_MIX[kind]
        assert abs(realised - expected) <= 0.15 * expected, f"{kind}: {realised:.3f}"


def test_temporal_anomalies_fall_in_the_customers_quiet_hours(
    genuine: pl.DataFrame, ordinary: pl.DataFrame
) -> None:
    """Temporal anomalies happen at 01:00-04:59, an hour in which the customer rarely pays."""
    rows = anomalies_of(genuine, "temporal")
    assert rows.height >= 500
    assert rows["hour"].is_between(1, 4).all()
    assert (rows["txn_type"] != "refund").all()
    habits = ordinary.group_by("customer_id").agg(pl.len().alias("n_usual"))
    at_hour = ordinary.group_by("customer_id", "hour").agg(pl.len().alias("n_at_hour"))
    rows = (
        rows.join(habits, on="customer_id", how="left")
        .join(at_hour, on=["customer_id", "hour"], how="left")
        .with_columns(
            (pl.col("n_at_hour").fill_null(0) / pl.col("n_usual")).alias("hour_share"),
        )
    )
    assert rows["n_usual"].null_count() == 0
    assert num(rows["hour_share"].median()) == 0.0
    # A customer with a short history can have one other payment at that hour.
    rare = share(rows.with_columns((pl.col("hour_share") < 0.05).alias("ok")), "ok")
    assert rare >= 0.95
    # The severity reflects how unusual the hour is for the customer's occupation.
    assert num(rows["anomaly_severity"].min()) >= 0.5


def test_amount_anomalies_are_large_for_the_customer_and_category(
    genuine: pl.DataFrame, ordinary: pl.DataFrame
) -> None:
    """Amount anomalies are purchases several times the customer's usual amount in that
    category."""
    rows = anomalies_of(genuine, "amount")
    assert rows.height >= 500
    assert (rows["txn_type"] == "purchase").all()
    usual = (
        ordinary.filter(pl.col("txn_type") == "purchase")
        .group_by("customer_id", "category")
        .agg(pl.col("amount_inr").median().alias("usual"), pl.len().alias("n_usual"))
    )
    rows = rows.join(usual, on=["customer_id", "category"], how="inner").with_columns(
        (pl.col("amount_inr") / pl.col("usual")).alias("ratio")
    )
    # Only customers with some history in the category have a usual amount to compare with.
    assert rows.height >= 300
    assert num(rows["ratio"].median()) >= 6
    # The 6-25x multiplier applies to the row's own (log-normal) amount, so a few anomalies
    # start from an unusually small purchase.
    big = share(rows.with_columns((pl.col("ratio") >= 3).alias("ok")), "ok")
    assert big >= 0.9, f"only {big:.1%} of amount anomalies are >= 3x the customer's median"
    # Severity grows with the multiplier: larger ratios, higher severity.
    corr = rows.select(pl.corr(pl.col("ratio").log(), "anomaly_severity", method="spearman"))
    assert corr.item() > 0.2


def test_geographic_anomalies_are_far_from_home(small: Dataset, genuine: pl.DataFrame) -> None:
    """Geographic anomalies happen in a city >= 1,000 km from the customer's home, one the
    customer rarely visits otherwise."""
    rows = anomalies_of(genuine, "geographic").join(
        small.customers.select("customer_id", "home_city", "home_lat", "home_lon"),
        on="customer_id",
    )
    assert rows.height >= 500
    assert (city_dist_km(rows["city"], rows["home_city"]) >= geo.FAR_KM).all()
    km = geo.haversine_km(
        rows["home_lat"].to_numpy(),
        rows["home_lon"].to_numpy(),
        rows["lat"].to_numpy(),
        rows["lon"].to_numpy(),
    )
    # Home and payment coordinates are jittered a few km around their city centres.
    assert (km >= 0.95 * geo.FAR_KM).all()
    assert (rows["txn_type"] != "refund").all()
    # Ordinary rows of the same customer in the anomaly's city are rare (an ordinary trip can
    # happen to go there).
    visits = (
        genuine.filter(~pl.col("is_anomaly"))
        .group_by("customer_id", "city")
        .agg(pl.len().alias("n_there"))
    )
    there = rows.join(visits, on=["customer_id", "city"], how="left")
    rare = share(there.with_columns(pl.col("n_there").is_null().alias("ok")), "ok")
    assert rare >= 0.95


def test_geographic_trip_days_are_spent_away(genuine: pl.DataFrame) -> None:
    """On a day of a geographic anomaly the customer is away: their other genuine payments that
    day are not >= 1,000 km from the trip city (no impossible travel in genuine data)."""
    trips = (
        anomalies_of(genuine, "geographic")
        .group_by("customer_id", pl.col("timestamp").dt.date().alias("day"))
        .agg(pl.col("city").first().alias("trip_city"))
    )
    same_day = (
        genuine.filter(pl.col("txn_type") != "refund")
        .with_columns(pl.col("timestamp").dt.date().alias("day"))
        .join(trips, on=["customer_id", "day"])
    )
    same_day = same_day.with_columns(
        (city_dist_km(same_day["city"], same_day["trip_city"]) >= geo.FAR_KM).alias("elsewhere")
    )
    split = same_day.group_by("customer_id", "day").agg(pl.col("elsewhere").any())
    assert split.height == trips.height
    bad = share(split, "elsewhere")
    assert bad <= 0.01, f"on {bad:.1%} of trip days the customer also pays >= 1,000 km away"


def test_behavioural_anomalies_are_in_categories_the_customer_rarely_buys(
    genuine: pl.DataFrame, ordinary: pl.DataFrame
) -> None:
    """Behavioural anomalies are purchases in a category that makes a tiny share of the
    customer's ordinary purchases."""
    rows = anomalies_of(genuine, "behavioural")
    assert rows.height >= 500
    assert (rows["txn_type"] == "purchase").all()
    purchases = ordinary.filter(pl.col("txn_type") == "purchase")
    total = purchases.group_by("customer_id").agg(pl.len().alias("n_purchases"))
    per_cat = purchases.group_by("customer_id", "category").agg(pl.len().alias("n_cat"))
    rows = (
        rows.join(total, on="customer_id", how="left")
        .join(per_cat, on=["customer_id", "category"], how="left")
        .with_columns((pl.col("n_cat").fill_null(0) / pl.col("n_purchases")).alias("cat_share"))
    )
    # A customer whose only purchases are anomalies has no ordinary share to compare with.
    assert rows["n_purchases"].null_count() <= 0.01 * rows.height
    rows = rows.filter(pl.col("n_purchases").is_not_null())
    assert num(rows["cat_share"].median()) < 0.05
    assert num(rows["cat_share"].quantile(0.9)) < 0.1
    # Compared with the customer's favourite category it is a small fraction.
    top = per_cat.group_by("customer_id").agg(pl.col("n_cat").max().alias("n_top"))
    rows = rows.join(top, on="customer_id").with_columns(
        (pl.col("n_cat").fill_null(0) <= 0.25 * pl.col("n_top")).alias("minor")
    )
    assert share(rows, "minor") >= 0.9
