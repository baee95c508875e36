"""Who fraud reaches: victims by susceptibility, at most a third of customers touched in 90
days on the default preset, social engineering aimed at older and less savvy customers, mules
young, and the same vulnerable customers hit again, a few times rather than dozens."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from fraudforge.engine.fraud.record import Susceptibility
from fraudforge.engine.fraud.victims import WEIGHT_CAP, People, pick
from fraudforge.engine.scenario import Scenario
from fraudforge.engine.streaming import scan, scan_customers
from tests.helpers import num

DEFAULT = Scenario(customers=1_500, seed=3)
"""The default preset (90 days, 1 % fraud) at about 200K rows."""


@pytest.fixture(scope="module")
def default() -> tuple[pl.DataFrame, pl.DataFrame]:
    """The default preset's transactions and customers at a small size."""
    return scan(DEFAULT).collect(), scan_customers(DEFAULT).collect()


def test_at_most_a_quarter_of_customers_touched(
    default: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    """At most one customer in four has any fraud row over the 90 days."""
    tx, customers = default
    touched = tx.filter(pl.col("is_fraud"))["customer_id"].n_unique()
    assert touched / customers.height <= 1 / 4


def test_no_customer_carries_many_incidents(default: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    """Repeat victims are hit a few times under each pattern: no customer's rows belong to
    more than 3 % of the incidents (before the weight cap one customer held about a tenth of
    them; the most vulnerable are at the cap under every pattern that targets them, so they
    gather 2-3 % of all incidents)."""
    tx, _ = default
    fraud = tx.filter(pl.col("is_fraud"))
    per = fraud.group_by("customer_id").agg(pl.col("fraud_scenario_id").n_unique().alias("k"))
    assert num(per["k"].max()) <= 0.03 * fraud["fraud_scenario_id"].n_unique()
    assert num(per["k"].max()) >= 2


def test_weights_are_capped_at_a_multiple_of_the_mean() -> None:
    """One extreme vulnerability cannot make a customer the target of most incidents: weights
    stop at ``WEIGHT_CAP`` times the mean weight (exact, on ten customers)."""
    n = 10
    vulnerability = np.ones(n)
    vulnerability[0] = 1_000.0
    people = People(
        age=np.full(n, 30), savviness=np.ones(n, dtype=np.int64), tier=np.ones(n, dtype=np.int64),
        segment=np.zeros(n, dtype=np.int64), income=np.zeros(n, dtype=np.int64),
        has_credit=np.zeros(n, dtype=bool),
        rate=np.ones(n), home_city=np.zeros(n, dtype=np.int64), partner=np.full(n, -1),
        vulnerability=vulnerability, propensity=np.ones(n),
    )  # fmt: skip
    w = people.weights(Susceptibility(vulnerability=1.0))
    assert w[0] == pytest.approx(WEIGHT_CAP * (1_000.0 + 9.0) / 10)
    np.testing.assert_allclose(w[1:], 1.0)


def test_targets_follow_susceptibility(default: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    """Account-takeover victims are older and less savvy than customers at large; mules (the
    account that withdraws) younger."""
    tx, customers = default

    def of(pattern: str, only: pl.Expr | None = None) -> pl.DataFrame:
        rows = tx.filter(pl.col("fraud_type") == pattern)
        ids = (rows if only is None else rows.filter(only))["customer_id"].unique()
        return customers.filter(pl.col("customer_id").is_in(ids.implode()))

    everyone = num(customers["age"].mean())
    ato = of("account_takeover")
    assert num(ato["age"].mean()) > everyone + 5
    low = pl.col("digital_savviness") == "low"
    assert num(ato.select(low.mean()).item()) > num(customers.select(low.mean()).item())
    mules = of("money_mule", pl.col("txn_type") == "withdrawal")
    assert num(mules["age"].median()) < everyone - 3  # the median: a handful of mule accounts


def test_weights_multiply_the_attributes() -> None:
    """A customer's weight is the product of the profile's multipliers (exact, on three
    customers), and ``pick`` never draws a customer of weight 0."""
    people = People(
        age=np.array([20, 45, 70]),
        savviness=np.array([2, 1, 0]),
        tier=np.array([1, 2, 3]),
        segment=np.array([6, 1, 5]),
        income=np.array([0, 2, 5]),
        has_credit=np.array([False, True, False]),
        rate=np.array([4.0, 1.0, 1.0]),
        home_city=np.zeros(3, dtype=np.int64),
        partner=np.full(3, -1),
        vulnerability=np.array([1.0, 2.0, 0.5]),
        propensity=np.ones(3),
    )
    s = Susceptibility(
        age=(2.0, 1.0, 1.0, 3.0),
        savviness=(4.0, 1.0, 0.5),
        tier=(1.0, 1.0, 2.0),
        segments=(("student", 5.0),),
        income=(1.0, 1.0, 3.0, 1.0, 1.0, 0.5),
        credit_card=10.0,
        activity=0.5,
    )
    np.testing.assert_allclose(
        people.weights(s), [2 * 0.5 * 5 * 2, 10 * 2 * 3, 3 * 4 * 2 * 0.5 * 0.5]
    )
    drawn = pick(np.random.default_rng(0), np.array([0.0, 1.0, 0.0]), 50)
    assert (drawn == 1).all()
    with pytest.raises(ValueError, match="every weight is 0"):
        pick(np.random.default_rng(0), np.zeros(3), 2)
