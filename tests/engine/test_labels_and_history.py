"""Whole-dataset properties: chronological histories with true daily counts, labels that no
identifier or null pattern betrays, and the calendar's effect on volumes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from fraudforge.engine import market as mkt
from fraudforge.engine.calendar import period_calendar
from fraudforge.engine.schema import LABEL_COLUMNS, TRANSACTIONS
from tests.conftest import Dataset

NON_LABEL = [c.name for c in TRANSACTIONS if c.name not in LABEL_COLUMNS]


def test_history_is_chronological_per_customer(small: Dataset) -> None:
    """Within each customer rows are in time order: no negative gap to the previous one."""
    gaps = small.transactions.select(
        (pl.col("timestamp").diff().over("customer_id").dt.total_seconds()).alias("gap")
    )["gap"].drop_nulls()
    assert gaps.len() > 0
    assert (gaps >= 0).all()
    assert small.transactions["customer_id"].is_sorted()


def test_timestamps_lie_in_the_period_and_labels_after_them(small: Dataset) -> None:
    """Every row falls inside the simulated period and its label is known after it."""
    s = small.scenario.resolved()
    start = dt.datetime.combine(s.start_date, dt.time())
    tx = small.transactions
    end = start + dt.timedelta(days=s.days)
    inside = tx.select((pl.col("timestamp").min() >= start) & (pl.col("timestamp").max() < end))
    assert inside.item()
    assert (tx["label_known_at"] > tx["timestamp"]).all()


def test_daily_counts_are_true_counts(small: Dataset) -> None:
    """Counts per customer-day from a group-by equal a direct count of the rows, and add up."""
    tx = small.transactions.with_columns(pl.col("timestamp").dt.date().alias("day"))
    daily = tx.group_by("customer_id", "day").len()
    assert daily["len"].sum() == tx.height
    sample = daily.sample(50, seed=1)
    for cid, day, n in sample.iter_rows():
        direct = tx.filter((pl.col("customer_id") == cid) & (pl.col("day") == day)).height
        assert direct == n


def test_transaction_ids_are_unique(small: Dataset) -> None:
    """No two rows share a transaction id."""
    assert small.transactions["transaction_id"].is_unique().all()


def _chance_se(y: np.ndarray) -> float:
    """Standard error of a ROC AUC of 0.5 with these positives and negatives (random scores)."""
    n1, n0 = int(y.sum()), int((~y).sum())
    return float(((n1 + n0 + 1) / (12 * n1 * n0)) ** 0.5)


@pytest.mark.parametrize(
    "column", ["transaction_id", "customer_id", "device_id", "card_id", "fraud_scenario_id"]
)
def test_no_identifier_orders_fraud_apart(small: Dataset, column: str) -> None:
    """An id's raw value ranks fraud no better than chance (AUC about 0.5), so no id format or
    range encodes the label: transaction ids over rows, customer, device and card ids over the
    ids (touched by fraud or not, within four standard errors of 0.5). fraud_scenario_id is
    checked among incidents only (one value each): its value must not reveal the pattern, for
    any pattern with enough incidents to tell (within four standard errors of 0.5)."""
    tx = small.transactions.filter(pl.col(column).is_not_null())
    if column == "transaction_id":
        auc = roc_auc_score(tx["is_fraud"].to_numpy(), tx[column].to_numpy())
        assert abs(auc - 0.5) < 0.03, f"{column}: AUC {auc:.3f}"
        return
    if column != "fraud_scenario_id":
        # One value per customer, device or card (touched by fraud or not): fraud returns to
        # the same few accounts, so rows would count each id many times over.
        ids = tx.group_by(column).agg(pl.col("is_fraud").any())
        y = ids["is_fraud"].to_numpy()
        auc = roc_auc_score(y, ids[column].to_numpy())
        assert abs(auc - 0.5) < 4 * _chance_se(y), f"{column}: AUC {auc:.3f} over {y.sum()} ids"
        return
    incidents = tx.select(column, "fraud_type").unique()
    checked = 0
    for pattern in incidents["fraud_type"].unique().to_list():
        y = (incidents["fraud_type"] == pattern).to_numpy()
        if min(int(y.sum()), int((~y).sum())) < 30:
            continue
        auc = roc_auc_score(y, incidents[column].to_numpy())
        assert abs(auc - 0.5) < 4 * _chance_se(y), f"{pattern}: AUC {auc:.3f} of its incidents' ids"
        checked += 1
    assert checked >= 5


def test_model_on_identifiers_alone_is_at_chance(small: Dataset) -> None:
    """A gradient-boosted model trained on ids (customers split into train and test) scores
    ROC AUC about 0.5."""
    tx = small.transactions
    x = tx.select("transaction_id", "customer_id").to_numpy()
    y = tx["is_fraud"].to_numpy()
    train = (tx["customer_id"] % 2 == 0).to_numpy()
    model = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(x[train], y[train])
    auc = roc_auc_score(y[~train], model.predict_proba(x[~train])[:, 1])
    assert 0.45 < auc < 0.55, auc


@pytest.mark.parametrize("column", NON_LABEL)
def test_no_column_is_present_or_null_only_on_fraud(small: Dataset, column: str) -> None:
    """Nulls appear on genuine rows wherever they appear on fraud rows, and vice versa for
    values: no column's presence betrays the label."""
    tx = small.transactions
    stats = tx.group_by("is_fraud").agg(
        pl.col(column).null_count().alias("nulls"), pl.col(column).count().alias("values")
    )
    by = {r["is_fraud"]: r for r in stats.iter_rows(named=True)}
    fraud, legit = by[True], by[False]
    if fraud["nulls"]:
        assert legit["nulls"], f"{column} is null only on fraud rows"
    if fraud["values"]:
        assert legit["values"], f"{column} has values only on fraud rows"


def test_calendar_shapes_daily_volume(small: Dataset) -> None:
    """Daily genuine volume of open accounts follows the calendar (weekends, salary days, month
    ends, festival windows): correlation with the calendar's day factor above 0.9. Accounts
    that bust out go dormant, a designed downward trend left out here."""
    s = small.scenario.resolved()
    cal = period_calendar(s.start_date, s.days)
    gone = small.transactions.filter(pl.col("fraud_type") == "bust_out")["customer_id"].unique()
    tx = small.transactions.filter(
        ~pl.col("is_fraud") & ~pl.col("customer_id").is_in(gone.implode())
    )
    start = dt.datetime.combine(s.start_date, dt.time())
    day = ((pl.col("timestamp") - start).dt.total_days()).alias("d")
    daily = tx.group_by(day).len().sort("d")["len"].to_numpy()
    assert daily.shape[0] == s.days
    assert np.corrcoef(daily, cal.day_factor)[0, 1] > 0.9


def test_festive_shopping_before_diwali(small: Dataset) -> None:
    """In the ten days up to Diwali (2025-10-20) festive categories take a larger share of
    purchases than in the first half of September, and jewellery peaks on Dhanteras."""
    festive = ["apparel", "electronics", "jewellery", "marketplace", "home_furnishing"]
    tx = small.transactions.filter(~pl.col("is_fraud") & (pl.col("txn_type") == "purchase"))
    date = pl.col("timestamp").dt.date()

    def share(lo: dt.date, hi: dt.date) -> float:
        window = tx.filter(date.is_between(lo, hi))
        return float(window.select(pl.col("category").cast(pl.String).is_in(festive).mean()).item())

    before = share(dt.date(2025, 10, 10), dt.date(2025, 10, 20))
    ordinary = share(dt.date(2025, 9, 8), dt.date(2025, 9, 15))
    assert before > ordinary * 1.25
    on_day = tx.filter(date.is_between(dt.date(2025, 10, 17), dt.date(2025, 10, 18)))
    usual = tx.filter(date.is_between(dt.date(2025, 9, 8), dt.date(2025, 9, 22)))
    jewellery = pl.col("category") == "jewellery"
    # About 20 jewellery purchases in the two days at this size: a factor of 1.5 leaves room for
    # which customers the fraud schedule takes (fabricated identities have no genuine rows).
    assert on_day.select(jewellery.mean()).item() > 1.5 * usual.select(jewellery.mean()).item()


def test_hours_follow_daily_routines(small: Dataset) -> None:
    """Genuine payments cluster in waking hours: under 3% fall between 01:00 and 05:00."""
    genuine = small.transactions.filter(~pl.col("is_fraud") & ~pl.col("is_anomaly"))
    night = genuine.filter(pl.col("timestamp").dt.hour().is_between(1, 4)).height
    assert night / genuine.height < 0.03


def test_upi_dominates_small_payments_and_cards_large_ones(small: Dataset) -> None:
    """Most payments under 500 INR are UPI; EMI and credit cards carry far larger amounts; UPI
    stays within its limits (INR 1 lakh, more for a few categories)."""
    tx = small.transactions.filter(~pl.col("is_fraud"))
    small_pay = tx.filter(pl.col("amount_inr") < 500)
    assert (small_pay["payment_mode"] == "upi").mean() > 0.6  # type: ignore[operator]
    med = tx.group_by("payment_mode").agg(pl.col("amount_inr").median()).sort("payment_mode")
    m = dict(med.iter_rows())
    assert m["emi"] > 5 * m["upi"]
    assert m["credit_card"] > m["upi"]
    upi = tx.filter(pl.col("payment_mode") == "upi")
    limit = (
        pl.col("category")
        .cast(pl.String)
        .replace_strict(
            {c: mkt.CAT_UPI_LIMIT[i] for i, c in enumerate(mkt.CATEGORIES)}, return_dtype=pl.Float64
        )
    )
    assert upi.filter(pl.col("amount_inr") > limit).height == 0  # within each category's limit
    general = upi.filter(limit == mkt.UPI_LIMIT_INR)
    assert general["amount_inr"].max() <= 100_000  # type: ignore[operator]


def test_rows_vary_in_every_observable_column(small: Dataset) -> None:
    """No observable column is constant on the default preset."""
    tx = small.transactions
    for column in NON_LABEL:
        assert tx[column].n_unique() > 1, column
    assert np.isfinite(tx["lat"].to_numpy()).all()
