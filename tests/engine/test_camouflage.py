"""Camouflage: fraud rows imitate their customer's own payments as far as the scenario's
``camouflage`` goes, on the habits the pattern's record allows."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from fraudforge.engine import market as mkt
from fraudforge.engine.dataset import generate, scan_dataset
from fraudforge.engine.errors import ScenarioError
from fraudforge.engine.fraud.build import CATEGORY_BAND_Z, FRAUDSTER_DEVICE, imitate
from fraudforge.engine.rows import Rows
from fraudforge.engine.scenario import Scenario
from fraudforge.engine.shard import IndiaWorld
from tests.helpers import num

DAY0 = 1_756_684_800  # 2025-09-01 00:00
HOUR = 3_600


def _case() -> tuple[IndiaWorld, Rows, Rows]:
    world = IndiaWorld.build(Scenario(customers=300, days=10, seed=2).resolved())
    legit = Rows.empty(2)
    legit["cust"] = 5
    legit["ts"] = [DAY0 + 10 * HOUR, DAY0 + 86_400 + 10 * HOUR]
    legit["amount"] = 120.0
    legit["device"] = 777
    legit["category"] = mkt.CAT["grocery"]
    fraud = Rows.empty(3)
    fraud["cust"] = 5
    fraud["scenario"] = 42
    fraud["ts"] = [DAY0 + 2 * 86_400 + 2 * HOUR + m * 600 for m in range(3)]
    fraud["amount"] = [1_200.0, 3_000.0, 10_000.0]
    fraud["txn_type"] = [mkt.TXN["purchase"], mkt.TXN["purchase"], mkt.TXN["withdrawal"]]
    fraud["category"] = [mkt.CAT["marketplace"], mkt.CAT["marketplace"], mkt.CAT["atm"]]
    fraud["device"] = FRAUDSTER_DEVICE
    return world, legit, fraud


def test_full_camouflage_copies_the_victims_habits() -> None:
    """At 1 the amounts become the customer's own (not the ATM withdrawal's), the incident
    moves whole to the customer's hour on its own day, and the customer's device is used."""
    world, legit, fraud = _case()
    out = imitate(world.context(0), fraud, legit, ("amount", "hour", "device"), 1.0)
    assert out["amount"].tolist() == [120.0, 120.0, 10_000.0]
    assert out["ts"].tolist() == [DAY0 + 2 * 86_400 + 10 * HOUR + m * 600 for m in range(3)]
    assert out["device"].tolist() == [777, 777, 777]


def test_half_camouflage_goes_half_way_and_none_changes_nothing() -> None:
    """At 0.5 an amount is the geometric mean of its own and the model's; at 0 nothing moves;
    habits the record does not name stay."""
    world, legit, fraud = _case()
    half = imitate(world.context(0), fraud, legit, ("amount",), 0.5)
    assert half["amount"].tolist() == [379.0, 600.0, 10_000.0]  # sqrt(1,200 x 120), ...
    assert (half["device"] == FRAUDSTER_DEVICE).all()
    world, legit, fraud = _case()
    none = imitate(world.context(0), fraud, legit, ("amount", "hour", "device"), 0.0)
    assert none["amount"].tolist() == [1_200.0, 3_000.0, 10_000.0]
    with pytest.raises(ValueError, match="unknown habits"):
        imitate(world.context(0), fraud, legit, ("mood",), 0.5)


def test_an_imitated_amount_stays_within_what_the_shop_sells() -> None:
    """An electronics purchase imitating the victim's INR 120 grocery bill is not an INR 120
    electronics purchase (below the category's 1st percentile, about INR 170): it keeps the
    amount its pattern built, while a marketplace purchase takes the INR 120."""
    world, legit, fraud = _case()
    fraud["category"] = [mkt.CAT["electronics"], mkt.CAT["marketplace"], mkt.CAT["atm"]]
    out = imitate(world.context(0), fraud, legit, ("amount",), 1.0)
    assert out["amount"].tolist() == [1_200.0, 120.0, 10_000.0]


def test_a_purchase_moved_to_the_victims_category_costs_what_that_category_costs() -> None:
    """A shipping fraudster's INR 30,000 marketplace order that takes the victim's category
    (ride hailing, whose 99th percentile is about INR 580) is not an INR 30,000 ride: its
    amount is drawn again from the ride-hailing model, inside the category's band."""
    world, legit, fraud = _case()
    me = world.merchant_arrays
    ride = int(np.flatnonzero((me.category == mkt.CAT["ride_hailing"]) & me.is_online)[0])
    shop = int(np.flatnonzero((me.category == mkt.CAT["marketplace"]) & me.is_online)[0])
    legit["category"] = mkt.CAT["ride_hailing"]
    legit["merchant"] = ride
    fraud = fraud.take(np.array([0, 1]))
    fraud["category"] = mkt.CAT["marketplace"]
    fraud["merchant"] = shop
    fraud["amount"] = [30_000.0, 25_000.0]
    out = imitate(world.context(0), fraud, legit, ("category",), 1.0)
    assert (out["category"] == mkt.CAT["ride_hailing"]).all()
    k = mkt.CAT["ride_hailing"]
    band = np.exp(CATEGORY_BAND_Z * mkt.CAT_SIGMA[k])
    assert (out["amount"] <= mkt.CAT_MEDIAN[k] * band).all(), out["amount"]
    assert (out["amount"] >= mkt.CAT_MEDIAN[k] / band).all(), out["amount"]
    assert out["amount"][0] != out["amount"][1]


def test_the_dial_moves_fraud_towards_its_victims(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Over a generated dataset, shipping fraud's median amount at camouflage 1 is far nearer
    its victims' own purchases' median than at 0 (fraud imitates payments of its own type)."""
    gap = []
    for level in (0.0, 1.0):
        out = tmp_path_factory.mktemp("camo") / "d"
        generate(Scenario(customers=1_500, days=30, fraud_rate=0.05, seed=4, camouflage=level), out)
        tx = scan_dataset(out).collect()
        fraud = tx.filter(pl.col("fraud_type") == "shipping_fraud")
        victims = tx.filter(
            ~pl.col("is_fraud")
            & (pl.col("txn_type") == "purchase")
            & pl.col("customer_id").is_in(fraud["customer_id"].implode())
        )
        ratio = num(fraud["amount_inr"].median()) / num(victims["amount_inr"].median())
        gap.append(abs(np.log(ratio)))
    assert gap[1] < 0.3 * gap[0]


def test_camouflage_is_validated() -> None:
    """Outside [0, 1] is refused, naming the field."""
    with pytest.raises(ScenarioError, match="`camouflage`"):
        Scenario(camouflage=1.5)
    assert Scenario().resolved().camouflage == 0.5
