"""Tests of the handbook preset: the schema, the book's generating mechanism (amounts, volumes,
terminal radius) and its three fraud scenarios, and shard-order determinism."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from fraudforge.engine import schema
from fraudforge.engine.frames import check_schema
from fraudforge.engine.handbook import (
    CUSTOMER_WINDOW_DAYS,
    FRAUD_AMOUNT,
    RADIUS,
    TERMINAL_WINDOW_DAYS,
    TIME_MEAN_S,
    TIME_SD_S,
    handbook_customers,
    handbook_merchants,
    handbook_profiles,
    handbook_schedule,
    handbook_transactions,
    latlon_to_grid,
    scenario_ids,
)
from fraudforge.engine.scenario import ResolvedScenario, Scenario
from fraudforge.engine.shard import merchants_table, shard_customers, shard_transactions

FRAUD_TYPES = {"none", "amount_manipulation", "card_cloning", "stolen_card"}
KEPT_IN_DAY = math.erf(TIME_MEAN_S / TIME_SD_S / math.sqrt(2))
"""Share of the book's ``int(N(43200, 20000))`` times that fall inside the day."""


def small(seed: int = 7) -> ResolvedScenario:
    """A small scenario in several shards (400 customers, 2,000 terminals, 30 days)."""
    return Scenario(
        preset="handbook", seed=seed, customers=400, merchants=2000, days=30, shard_size=64
    ).resolved()


def all_transactions(s: ResolvedScenario, order: list[int] | None = None) -> list[pl.DataFrame]:
    """The transactions of every shard, generated in ``order`` and returned in shard order."""
    shards = list(range(s.n_shards)) if order is None else order
    frames = {shard: handbook_transactions(s, shard) for shard in shards}
    return [frames[shard] for shard in range(s.n_shards)]


@pytest.fixture(scope="module")
def scen() -> ResolvedScenario:
    """The small scenario."""
    return small()


@pytest.fixture(scope="module")
def tx(scen: ResolvedScenario) -> pl.DataFrame:
    """All transactions of the small scenario, with the day index of each row."""
    df = pl.concat(all_transactions(scen))
    start = pl.lit(scen.start_date).cast(pl.Datetime("us"))
    return df.with_columns(day=(pl.col("timestamp") - start).dt.total_days())


@pytest.fixture(scope="module")
def customers(scen: ResolvedScenario) -> pl.DataFrame:
    """All customers of the small scenario."""
    return pl.concat([handbook_customers(scen, shard) for shard in range(scen.n_shards)])


def test_scenario_accepts_small_sizes(scen: ResolvedScenario) -> None:
    """The preset takes customers, merchants and days, with its own start date."""
    assert (scen.customers, scen.merchants, scen.days) == (400, 2000, 30)
    assert scen.n_shards == 7
    assert scen.start_date.isoformat() == "2018-04-01"


def test_defaults_are_the_books() -> None:
    """5,000 customers, 10,000 terminals, 183 days from 2018-04-01."""
    s = Scenario(preset="handbook").resolved()
    assert (s.customers, s.merchants, s.days, s.start_date.isoformat()) == (
        5000,
        10_000,
        183,
        "2018-04-01",
    )


def test_manifest_reports_the_books_own_fraud(tmp_path: Path) -> None:
    """The resolved scenario in the manifest gives the handbook's own fraud rate and its three
    scenarios' mix, not the india preset's, and no anomaly mix; the data is the book's (a fixed
    content hash at a small size)."""
    from fraudforge.engine.dataset import generate

    m = generate(Scenario(preset="handbook", customers=500, days=30), tmp_path / "hb")
    assert m.resolved["fraud_rate"] == pytest.approx(0.0084)
    assert set(m.resolved["fraud_mix"]) == {"amount_manipulation", "card_cloning", "stolen_card"}
    assert sum(m.resolved["fraud_mix"].values()) == pytest.approx(1.0)
    assert m.resolved["anomaly_mix"] == {}
    assert set(m.fraud_counts) - {"none"} <= set(m.resolved["fraud_mix"])
    assert m.content_hash == (
        "30072:3fbf98f6fe54db201cba36b8ed9a03d19b821250877b141a3c0de7a67a537f30"
    )


def test_schemas(scen: ResolvedScenario, tx: pl.DataFrame, customers: pl.DataFrame) -> None:
    """All three tables have the documented columns, order and types."""
    check_schema(tx.drop("day"), schema.TRANSACTIONS)
    check_schema(customers, schema.CUSTOMERS)
    check_schema(handbook_merchants(scen), schema.MERCHANTS)
    assert customers["customer_id"].to_list() == list(range(1, scen.customers + 1))
    assert handbook_merchants(scen).height == scen.merchants


def test_shard_dispatch(scen: ResolvedScenario) -> None:
    """``shard.py`` routes the handbook preset here."""
    assert shard_transactions(scen, 2).equals(handbook_transactions(scen, 2))
    assert shard_customers(scen, 2).equals(handbook_customers(scen, 2))
    assert merchants_table(scen).equals(handbook_merchants(scen))


def test_fixed_attributes(tx: pl.DataFrame, scen: ResolvedScenario) -> None:
    """Every payment is an approved RuPay debit-card purchase at a terminal, without anomaly."""
    for col, value in [
        ("payment_mode", "debit_card"),
        ("card_network", "rupay"),
        ("channel", "pos"),
        ("txn_type", "purchase"),
        ("status", "approved"),
        ("anomaly_type", "none"),
    ]:
        assert tx[col].cast(pl.String).unique().to_list() == [value], col
    assert tx["device_id"].null_count() == tx.height
    assert tx["card_id"].null_count() == 0
    assert tx.group_by("customer_id").agg(pl.col("card_id").n_unique())["card_id"].max() == 1
    assert tx["transaction_id"].n_unique() == tx.height
    assert not tx["is_anomaly"].any()
    vpa = handbook_merchants(scen).select("merchant_id", "vpa")
    joined = tx.join(vpa, on="merchant_id")
    assert joined.height == tx.height
    assert (joined["counterparty"] == joined["vpa"]).all()


def test_order_and_times(tx: pl.DataFrame, scen: ResolvedScenario) -> None:
    """Rows are ordered by (customer, time) within the period; labels come after the payment."""
    assert tx.select(pl.struct("customer_id", "timestamp").is_sorted()).item()
    day = tx["day"].to_numpy()
    assert day.min() >= 0
    assert day.max() < scen.days
    assert (tx["label_known_at"] > tx["timestamp"]).all()


def test_fraud_labels(tx: pl.DataFrame) -> None:
    """Only the book's three scenarios occur, and each fraud row names an incident."""
    assert set(tx["fraud_type"].cast(pl.String).unique()) == FRAUD_TYPES
    assert (tx["is_fraud"] == (tx["fraud_type"] != "none")).all()
    assert (tx["is_fraud"] == tx["fraud_scenario_id"].is_not_null()).all()
    assert tx.filter(pl.col("amount_inr") > FRAUD_AMOUNT)["is_fraud"].all()


def test_genuine_amounts_follow_the_book(tx: pl.DataFrame, scen: ResolvedScenario) -> None:
    """Genuine amounts are N(mean, mean/2) per customer with mean ~ U(5, 100), in cents."""
    genuine = tx.filter(~pl.col("is_fraud"))
    per_customer = genuine.group_by("customer_id").agg(pl.col("amount_inr").mean())
    assert abs(per_customer["amount_inr"].mean() - 52.5) < 5.0  # type: ignore[operator]
    assert (genuine["amount_inr"] >= 0).all()
    cents = genuine["amount_inr"] * 100
    assert ((cents - cents.round()).abs() < 1e-6).all()
    profiles = pl.concat(
        [
            pl.DataFrame(
                {
                    "customer_id": np.arange(p.offset, p.offset + p.n) + 1,
                    "mean_amount": p.mean_amount,
                }
            )
            for p in (handbook_profiles(scen, shard) for shard in range(scen.n_shards))
        ]
    )
    ratio = genuine.join(profiles, on="customer_id").select(
        (pl.col("amount_inr") / pl.col("mean_amount")).mean()
    )
    # E[amount] / mean is 1.027: negative draws are replaced by U(0, 2 mean).
    assert 0.98 < ratio.item() < 1.07


def test_transactions_per_customer_day(scen: ResolvedScenario, tx: pl.DataFrame) -> None:
    """Poisson(U(0, 4)) per customer-day, thinned by the time-of-day truncation."""
    rate = tx.height / (scen.customers * scen.days)
    assert abs(rate - 2.0 * KEPT_IN_DAY) < 0.15
    lam = np.concatenate(
        [handbook_profiles(scen, shard).mean_nb_tx_per_day for shard in range(scen.n_shards)]
    )
    with_terminal = np.zeros(scen.customers, dtype=bool)
    with_terminal[tx["customer_id"].unique().to_numpy() - 1] = True
    assert with_terminal.mean() > 0.95
    expected = lam[with_terminal].sum() * KEPT_IN_DAY / scen.customers
    assert abs(rate / expected - 1.0) < 0.03


def test_terminals_within_radius(tx: pl.DataFrame, customers: pl.DataFrame) -> None:
    """A customer only pays at terminals closer than 5 grid units to home."""
    joined = tx.join(customers.select("customer_id", "home_lat", "home_lon"), on="customer_id")
    x, y = latlon_to_grid(joined["lat"].to_numpy(), joined["lon"].to_numpy())
    hx, hy = latlon_to_grid(joined["home_lat"].to_numpy(), joined["home_lon"].to_numpy())
    assert (np.hypot(x - hx, y - hy) < RADIUS + 1e-9).all()
    assert ((hx >= 0) & (hx < 100) & (hy >= 0) & (hy < 100)).all()


def test_compromised_terminals(tx: pl.DataFrame, scen: ResolvedScenario) -> None:
    """Scenario 2: every payment at a terminal in the 28 days from its compromise is fraud,
    and card cloning happens nowhere else."""
    sched = handbook_schedule(scen)
    assert sched.terminals.shape == (scen.days, 2)
    assert (sched.terminals[:, 0] != sched.terminals[:, 1]).all()
    windows = pl.DataFrame(
        {
            "merchant_id": sched.terminals.ravel() + 1,
            "from_day": np.repeat(np.arange(scen.days), 2),
        }
    )
    hit = (
        tx.with_row_index("row")
        .join(windows, on="merchant_id")
        .filter(
            (pl.col("day") >= pl.col("from_day"))
            & (pl.col("day") < pl.col("from_day") + TERMINAL_WINDOW_DAYS)
        )
        .unique("row")
    )
    assert hit.height > 0
    assert hit["is_fraud"].all()
    assert set(hit["fraud_type"].cast(pl.String)) <= {"card_cloning", "stolen_card"}
    cloned = tx.with_row_index("row").filter(pl.col("fraud_type") == "card_cloning")
    assert set(cloned["row"]) <= set(hit["row"])
    # One incident per compromised (terminal, day): never more incidents than compromises.
    assert cloned["fraud_scenario_id"].n_unique() <= windows.height


def test_labels_match_the_books_rules(tx: pl.DataFrame, scen: ResolvedScenario) -> None:
    """Outside scenario 3, each row's label and incident follow from its amount and terminal:
    the latest compromise of its terminal within 28 days, else the amount rule."""
    sched = handbook_schedule(scen)
    latest = np.full((scen.merchants, scen.days), -1, dtype=np.int64)
    for d in range(scen.days):
        latest[sched.terminals[d], d : d + TERMINAL_WINDOW_DAYS] = d
    rest = tx.filter(pl.col("fraud_type") != "stolen_card")
    terminal = rest["merchant_id"].to_numpy() - 1
    day = rest["day"].to_numpy()
    cust = rest["customer_id"].to_numpy() - 1
    comp = latest[terminal, day]
    big = rest["amount_inr"].to_numpy() > FRAUD_AMOUNT
    expected = np.where(comp >= 0, "card_cloning", np.where(big, "amount_manipulation", "none"))
    assert (rest["fraud_type"].cast(pl.String).to_numpy() == expected).all()
    ids = np.where(
        comp >= 0,
        scenario_ids(2, terminal * scen.days + comp),
        np.where(big, scenario_ids(1, cust * scen.days + day), -1),
    )
    assert (rest["fraud_scenario_id"].fill_null(-1).to_numpy() == ids).all()


def test_compromised_customers(tx: pl.DataFrame, scen: ResolvedScenario) -> None:
    """Scenario 3: stolen-card rows belong to a compromised customer's 14-day window, about a
    third of that window's rows, with amounts multiplied by 5."""
    sched = handbook_schedule(scen)
    assert sched.customers.shape == (scen.days, 3)
    windows = pl.DataFrame(
        {
            "customer_id": sched.customers.ravel() + 1,
            "from_day": np.repeat(np.arange(scen.days), 3),
        }
    )
    in_window = (
        tx.with_row_index("row")
        .join(windows, on="customer_id")
        .filter(
            (pl.col("day") >= pl.col("from_day"))
            & (pl.col("day") < pl.col("from_day") + CUSTOMER_WINDOW_DAYS)
        )
        .unique("row")
    )
    stolen = tx.with_row_index("row").filter(pl.col("fraud_type") == "stolen_card")
    assert stolen.height > 0
    assert set(stolen["row"]) <= set(in_window["row"])
    assert 0.2 < stolen.height / in_window.height < 0.6  # 1/3, more where windows overlap
    assert stolen["amount_inr"].mean() > 3 * tx["amount_inr"].mean()  # type: ignore[operator]


def test_incidents_span_shards(tx: pl.DataFrame) -> None:
    """A skimmed terminal's incident is shared by customers of different shards."""
    cloned = tx.filter(pl.col("fraud_type") == "card_cloning")
    shared = cloned.group_by("fraud_scenario_id").agg(pl.col("customer_id").n_unique())
    assert shared["customer_id"].max() > 1  # type: ignore[operator]
    # An incident id never names two terminals.
    per_id = cloned.group_by("fraud_scenario_id").agg(pl.col("merchant_id").n_unique())
    assert per_id["merchant_id"].max() == 1


def test_shard_order_does_not_matter(scen: ResolvedScenario) -> None:
    """Generating the shards in reverse gives identical tables."""
    forward = all_transactions(scen)
    backward = all_transactions(small(), order=list(reversed(range(scen.n_shards))))
    assert all(a.equals(b) for a, b in zip(forward, backward, strict=True))
    rev_customers = [handbook_customers(scen, shard) for shard in reversed(range(scen.n_shards))]
    assert all(
        a.equals(handbook_customers(scen, shard))
        for shard, a in zip(reversed(range(scen.n_shards)), rev_customers, strict=True)
    )


def test_seed_determines_output(scen: ResolvedScenario) -> None:
    """The same seed gives the same tables, another seed different ones."""
    assert handbook_transactions(small(7), 3).equals(handbook_transactions(scen, 3))
    assert handbook_merchants(small(7)).equals(handbook_merchants(scen))
    assert not handbook_transactions(small(8), 3).equals(handbook_transactions(scen, 3))
    assert not handbook_merchants(small(8)).equals(handbook_merchants(scen))


def test_fraud_rate_plausible() -> None:
    """Over 60 days the fraud rate is below the book's ~0.8% for 183 days, but not negligible."""
    s = Scenario(preset="handbook", customers=2000, merchants=5000, days=60).resolved()
    frames = all_transactions(s)
    rows = sum(f.height for f in frames)
    fraud = sum(int(f["is_fraud"].sum()) for f in frames)
    assert 0.001 < fraud / rows < 0.03
